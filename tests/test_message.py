"""Channel.query_message / DNSResolver.query_message (ctypes_cares.message): header bits
both ways, rcodes as data, EDNS and DO, raw rdata of types not decoded; the CLI's flags
line, --dnssec and --cd."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

import pytest

import ctypes_cares as cares
from capabilities import needs
from cares_helpers import ChannelFactory, Requester, run_python
from ctypes_cares import _lib, aio
from ctypes_cares.constants import QUERY_TYPE_SVCB
from ctypes_cares.errno import ARES_ENOTIMP
from ctypes_cares._answer import parse_dns_message
from ctypes_cares.records import (
    EDNS,
    ARecordData,
    BadResponse,
    DNSFlags,
    RawRecordData,
    SOARecordData,
    SVCBRecordData,
)
from dnsserver import DNSServer
from dnswire import build_message, RR

A = cares.QUERY_TYPE_A
DNSKEY, RRSIG = 48, 46
KEY = b"\x01\x01\x03\x08" + b"public key"
SIG = struct.pack("!HBBIIIH", A, 8, 2, 300, 2, 1, 7) + b"\x07example\x00" + b"signature"


def zone(server: DNSServer) -> None:
    server.set_soa("example")
    server.add("www.example", "A", "192.0.2.1")
    server.add("www.example", "RRSIG", SIG)
    server.add("example", "DNSKEY", KEY)


@needs("dnsrec", "1.28")
def test_header_bits_both_ways(
    dns_server: DNSServer, channel: cares.Channel, resolve: Requester
) -> None:
    zone(dns_server)
    dns_server.authentic = True
    message = resolve.result(channel.query_message, "www.example", A, checking_disabled=True)
    assert message.flags == DNSFlags(qr=True, aa=True, tc=False, rd=True, ra=True, ad=True, cd=True)
    assert (message.opcode, message.rcode) == (0, 0)
    assert [r.data for r in message.answer] == [ARecordData("192.0.2.1")]  # no DO: no RRSIG
    [query] = dns_server.queries
    assert (query.rd, query.cd, query.dnssec_ok, query.udp_size) == (True, True, False, 1232)
    assert message.id == query.id
    assert parse_dns_message(message.raw) == message

    message = resolve.result(channel.query_message, "www.example", A, recursion_desired=False)
    assert (message.flags.ad, message.flags.cd, message.flags.rd) == (True, False, False)
    assert dns_server.queries[-1].rd is False


@needs("dnsrec", "1.28")
def test_dnssec_ok_reaches_the_server_and_brings_rrsig(
    dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester
) -> None:
    zone(dns_server)
    channel = make_channel(edns_packet_size=1400)
    message = resolve.result(channel.query_message, "www.example", A, dnssec_ok=True)
    assert [query.dnssec_ok for query in dns_server.queries] == [True]
    assert dns_server.queries[0].udp_size == 1400
    assert [r.type for r in message.answer] == [A, RRSIG]
    assert message.answer[1].data == RawRecordData(SIG)
    assert message.edns == EDNS(udp_size=1232, version=0, dnssec_ok=True, options=[])


@needs("dnsrec", "1.28")
def test_any_type_by_number_round_trips_as_raw_rdata(
    dns_server: DNSServer, channel: cares.Channel, resolve: Requester
) -> None:
    zone(dns_server)
    message = resolve.result(channel.query_message, "example", DNSKEY)
    assert [(r.name, r.type, r.data) for r in message.answer] == [("example", DNSKEY, RawRecordData(KEY))]
    dns_server.add("_svc.example", "SVCB", (1, "svc.example", [(3, b"\x01\xbb")]))
    message = resolve.result(channel.query_message, "_svc.example", QUERY_TYPE_SVCB)
    assert message.answer[0].data == SVCBRecordData(1, "svc.example", [(3, b"\x01\xbb")])


@needs("dnsrec", "1.28")
def test_nxdomain_is_data_with_the_soa(
    dns_server: DNSServer, channel: cares.Channel, resolve: Requester
) -> None:
    zone(dns_server)
    message = resolve.result(channel.query_message, "nope.example", A)
    assert message.rcode == 3 and message.answer == []
    assert [type(r.data) for r in message.authority] == [SOARecordData]


@needs("dnsrec", "1.28")
def test_servfail_is_data_with_nocheckresp(
    dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester
) -> None:
    dns_server.set_fault("servfail")
    channel = make_channel(flags=cares.ARES_FLAG_NOCHECKRESP)
    assert resolve.result(channel.query_message, "www.example", A).rcode == 2


def test_bad_arguments(channel: cares.Channel) -> None:
    bad_types: Any = ((-1, ValueError), (65536, ValueError), ("A", TypeError), (True, TypeError))
    for bad_type, error in bad_types:
        with pytest.raises(error):
            channel.query_message("www.example", bad_type, callback=lambda r, e: None)
    with pytest.raises(TypeError):
        channel.query_message("www.example", A, callback=None)  # type: ignore[arg-type]


@pytest.mark.skipif(_lib.caps.dnsrec, reason="the library has ares_send_dnsrec")
def test_older_library_names_the_version(channel: cares.Channel) -> None:
    with pytest.raises(cares.AresError) as info:
        channel.query_message("www.example", A, callback=lambda r, e: None)
    assert info.value.args[0] == ARES_ENOTIMP
    assert "query_message() needs c-ares >= 1.28.0" in info.value.args[1]


def test_parse_extended_rcode_and_malformed() -> None:
    opt = RR((), 41, b"\x00\x0a\x00\x02ab", ttl=(1 << 24) | 0x8000, rclass=4096)
    raw = build_message(7, rcode=1, questions=[("x.example", "A")], additional=[opt])
    message = parse_dns_message(raw)
    assert message.rcode == (1 << 4) | 1
    assert message.edns == EDNS(4096, 0, True, [(10, b"ab")])
    with pytest.raises(BadResponse):
        parse_dns_message(raw[:-3])


@needs("dnsrec", "1.28")
@pytest.mark.parametrize("event_thread", [False, True])
def test_resolver_query_message(dns_server: DNSServer, event_thread: bool) -> None:
    zone(dns_server)
    dns_server.authentic = True

    async def main() -> Any:
        async with aio.DNSResolver([dns_server.address], event_thread=event_thread) as resolver:
            return await asyncio.gather(
                resolver.query_message("www.example", "a", dnssec_ok=True),
                resolver.query_message("example", DNSKEY),
            )

    message, keys = asyncio.run(main())
    assert message.flags.ad and [r.type for r in message.answer] == [A, RRSIG]
    assert keys.answer[0].data == RawRecordData(KEY)


# -- the command line --------------------------------------------------------------------


def cli(server: DNSServer, *args: str) -> Any:
    return run_python("import sys, ctypes_cares.__main__ as m; sys.exit(m.main(sys.argv[1:]))",
                      "--server", server.address, *args)


@needs("dnsrec", "1.28")
def test_cli_flags_line_dnssec_and_cd(dns_server: DNSServer) -> None:
    zone(dns_server)
    dns_server.authentic = True
    proc = cli(dns_server, "--dnssec", "--cd", "www.example")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ";; flags: qr aa rd ra ad cd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1"
    assert any(" RRSIG " in line and line.rstrip().endswith(SIG.hex().upper()) for line in lines)
    [query] = dns_server.queries
    assert query.dnssec_ok and query.cd
    proc = cli(dns_server, "--json", "www.example", "A")
    header = json.loads(proc.stdout)["header"]
    assert header["flags"]["ad"] is True and header["rcode"] == 0


@pytest.mark.skipif(_lib.caps.dnsrec, reason="the library has ares_send_dnsrec")
def test_cli_dnssec_on_an_older_library(dns_server: DNSServer) -> None:
    proc = cli(dns_server, "--dnssec", "www.example")
    assert proc.returncode == 2 and "need c-ares >= 1.28" in proc.stderr
