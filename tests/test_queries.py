"""DNS queries through the binding against the test server: every record type, every
section, CNAME chains, IDNA, search domains, TCP fallback, retries, statuses, the cache,
and the getaddrinfo / gethostbyaddr / getnameinfo family.

Results are compared field by field with exact types (``1 == True`` and ``'a' != b'a'``
are not good enough for a drop-in).
"""

from __future__ import annotations

import dataclasses
import functools
import socket
import threading
from typing import Any, Dict, List, Tuple

import pytest
from capabilities import needs
from cares_helpers import ChannelFactory, Requester
from dnsserver import DNSServer

import ctypes_cares as cares
from ctypes_cares import (
    AAAARecordData,
    ARecordData,
    CAARecordData,
    CNAMERecordData,
    DNSRecord,
    DNSResult,
    HTTPSRecordData,
    MXRecordData,
    NAPTRRecordData,
    NSRecordData,
    PTRRecordData,
    SOARecordData,
    SRVRecordData,
    TLSARecordData,
    TXTRecordData,
    URIRecordData,
)
from ctypes_cares import errno as ares_errno
from ctypes_cares.channel import query_wire

A = cares.QUERY_TYPE_A
AAAA = cares.QUERY_TYPE_AAAA
ANY = cares.QUERY_TYPE_ANY
CAA = cares.QUERY_TYPE_CAA
CNAME = cares.QUERY_TYPE_CNAME
HTTPS = cares.QUERY_TYPE_HTTPS
MX = cares.QUERY_TYPE_MX
NAPTR = cares.QUERY_TYPE_NAPTR
NS = cares.QUERY_TYPE_NS
PTR = cares.QUERY_TYPE_PTR
SOA = cares.QUERY_TYPE_SOA
SRV = cares.QUERY_TYPE_SRV
TLSA = cares.QUERY_TYPE_TLSA
TXT = cares.QUERY_TYPE_TXT
URI = cares.QUERY_TYPE_URI


def rr(name: str, rtype: int, data: Any, ttl: int = 300, rclass: int = 1) -> DNSRecord:
    return DNSRecord(name, rtype, rclass, ttl, data)


def assert_same(actual: Any, expected: Any, path: str = "result") -> None:
    """Equal, and of exactly the same types all the way down."""
    assert type(actual) is type(expected), f"{path}: {type(actual).__name__} {actual!r} != {expected!r}"
    if dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            assert_same(getattr(actual, field.name), getattr(expected, field.name), f"{path}.{field.name}")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def server_log(server: DNSServer) -> List[Tuple[str, int, str]]:
    server.sync()
    return [(q.name, q.qtype, q.transport) for q in server.queries]


# --------------------------------------------------------------------------------------
# Every query type, value by value.

HTTPS_PARAMS = [
    (0, b"\x00\x01\x00\x03"),  # mandatory: alpn, port
    (1, b"\x02h2\x02h3"),  # alpn
    (2, b""),  # no-default-alpn
    (3, b"\x20\xfb"),  # port 8443
    (4, bytes([192, 0, 2, 1, 192, 0, 2, 2])),  # ipv4hint
    (6, socket.inet_pton(socket.AF_INET6, "2001:db8::1")),  # ipv6hint
    (65000, b"private"),  # unknown key, kept raw
]

ZoneRow = Tuple[Any, str, Any, int]
# name -> (zone rows (name, type, data, ttl), (query name, query type), expected answer section)
RECORD_CASES: Dict[str, Tuple[List[ZoneRow], Tuple[str, int], List[DNSRecord]]] = {
    "A": (
        [("www.example", "A", "10.0.0.1", 3600), ("www.example", "A", "10.0.0.2", 60)],
        ("www.example", A),
        [rr("www.example", A, ARecordData("10.0.0.1"), 3600), rr("www.example", A, ARecordData("10.0.0.2"), 60)],
    ),
    "AAAA": (
        [("www.example", "AAAA", "2001:0db8:0000::0001", 300), ("www.example", "AAAA", "::ffff:10.0.0.1", 300)],
        ("www.example", AAAA),
        [rr("www.example", AAAA, AAAARecordData("2001:db8::1")), rr("www.example", AAAA, AAAARecordData("::ffff:10.0.0.1"))],
    ),
    "NS": (
        [("example", "NS", "ns1.example", 86400), ("example", "NS", "ns2.example", 86400)],
        ("example", NS),
        [rr("example", NS, NSRecordData("ns1.example"), 86400), rr("example", NS, NSRecordData("ns2.example"), 86400)],
    ),
    "CNAME": (
        [("alias.example", "CNAME", "www.example", 120), ("www.example", "A", "10.0.0.1", 300)],
        ("alias.example", CNAME),
        [rr("alias.example", CNAME, CNAMERecordData("www.example"), 120)],
    ),
    "SOA": (
        [("example", "SOA", ("ns1.example", "hostmaster.example", 2024010101, 7200, 900, 1209600, 300), 3600)],
        ("example", SOA),
        [rr("example", SOA, SOARecordData("ns1.example", "hostmaster.example", 2024010101, 7200, 900, 1209600, 300), 3600)],
    ),
    "SOA max u32": (
        [("big.example", "SOA", ("ns1.example", "h.example", 4294967295, 4294967295, 0, 1, 2), 300)],
        ("big.example", SOA),
        [rr("big.example", SOA, SOARecordData("ns1.example", "h.example", 4294967295, 4294967295, 0, 1, 2))],
    ),
    "PTR": (
        [("1.0.0.10.in-addr.arpa", "PTR", "www.example", 300)],
        ("1.0.0.10.in-addr.arpa", PTR),
        [rr("1.0.0.10.in-addr.arpa", PTR, PTRRecordData("www.example"))],
    ),
    "MX": (
        [("example", "MX", (10, "mail.example"), 300), ("example", "MX", (65535, "."), 300)],
        ("example", MX),
        [rr("example", MX, MXRecordData(10, "mail.example")), rr("example", MX, MXRecordData(65535, ""))],
    ),
    "TXT": (
        [
            ("txt.example", "TXT", ["hello", "world"], 300),  # chunks joined, no separator
            ("txt.example", "TXT", "", 300),
            ("txt.example", "TXT", [b"\x00nul", b"\xff\xfe"], 300),
            ("txt.example", "TXT", ["x" * 255, "y"], 300),
        ],
        ("txt.example", TXT),
        [
            rr("txt.example", TXT, TXTRecordData(b"helloworld")),
            rr("txt.example", TXT, TXTRecordData(b"")),
            rr("txt.example", TXT, TXTRecordData(b"\x00nul\xff\xfe")),
            rr("txt.example", TXT, TXTRecordData(b"x" * 255 + b"y")),
        ],
    ),
    "SRV": (
        [("_sip._tcp.example", "SRV", (10, 60, 5060, "sip.example"), 300), ("_sip._tcp.example", "SRV", (0, 0, 0, "."), 300)],
        ("_sip._tcp.example", SRV),
        [rr("_sip._tcp.example", SRV, SRVRecordData(10, 60, 5060, "sip.example")), rr("_sip._tcp.example", SRV, SRVRecordData(0, 0, 0, ""))],
    ),
    "NAPTR": (
        [
            ("example", "NAPTR", (100, 10, "S", "SIP+D2T", "", "_sip._tcp.example"), 300),
            ("example", "NAPTR", (65535, 0, "U", "E2U+sip", "!^.*$!sip:info@example!", "."), 300),
        ],
        ("example", NAPTR),
        [
            rr("example", NAPTR, NAPTRRecordData(100, 10, "S", "SIP+D2T", "", "_sip._tcp.example")),
            rr("example", NAPTR, NAPTRRecordData(65535, 0, "U", "E2U+sip", "!^.*$!sip:info@example!", "")),
        ],
    ),
    "TLSA": (
        [("_443._tcp.www.example", "TLSA", (3, 1, 1, bytes(range(32))), 300), ("_443._tcp.www.example", "TLSA", (255, 255, 255, b"\x00"), 300)],
        ("_443._tcp.www.example", TLSA),
        [rr("_443._tcp.www.example", TLSA, TLSARecordData(3, 1, 1, bytes(range(32)))), rr("_443._tcp.www.example", TLSA, TLSARecordData(255, 255, 255, b"\x00"))],
    ),
    "HTTPS": (
        [("example", "HTTPS", (1, ".", HTTPS_PARAMS), 300)],
        ("example", HTTPS),
        [rr("example", HTTPS, HTTPSRecordData(1, "", HTTPS_PARAMS))],
    ),
    "HTTPS alias mode": (
        [("alias.example", "HTTPS", (0, "svc.example", []), 300)],
        ("alias.example", HTTPS),
        [rr("alias.example", HTTPS, HTTPSRecordData(0, "svc.example", []))],
    ),
    "URI": (
        [("_http._tcp.example", "URI", (10, 1, "https://www.example/path?q=1"), 300), ("_http._tcp.example", "URI", (65535, 65535, "x"), 300)],
        ("_http._tcp.example", URI),
        [rr("_http._tcp.example", URI, URIRecordData(10, 1, "https://www.example/path?q=1")), rr("_http._tcp.example", URI, URIRecordData(65535, 65535, "x"))],
    ),
    "CAA": (
        [("example", "CAA", (0, "issue", "ca.example"), 300), ("example", "CAA", (128, "iodef", "mailto:sec@example"), 300)],
        ("example", CAA),
        # critical is the raw flags byte (128, not 1)
        [rr("example", CAA, CAARecordData(0, "issue", "ca.example")), rr("example", CAA, CAARecordData(128, "iodef", "mailto:sec@example"))],
    ),
    "CAA quirks": (
        [("q.example", "CAA", (0, "issue", b"ca\x00junk"), 300), ("q.example", "CAA", (0, "issuewild", "café.org"), 300)],
        ("q.example", CAA),
        # value cut at the first NUL; a non-ASCII value stays bytes (pycares quirk)
        [rr("q.example", CAA, CAARecordData(0, "issue", "ca")), rr("q.example", CAA, CAARecordData(0, "issuewild", "café.org".encode()))],  # type: ignore[arg-type]
    ),
    "ANY": (
        [
            ("any.example", "A", "10.0.0.9", 300),
            ("any.example", "HINFO", b"\x03cpu\x02os", 300),  # unsupported type: dropped
            ("any.example", "MX", (5, "mx.example"), 300),
            ("any.example", "TXT", "v=spf1 -all", 300),
        ],
        ("any.example", ANY),
        [rr("any.example", A, ARecordData("10.0.0.9")), rr("any.example", MX, MXRecordData(5, "mx.example")), rr("any.example", TXT, TXTRecordData(b"v=spf1 -all"))],
    ),
}


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_record_types(case: str, dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    rows, (qname, qtype), expected = RECORD_CASES[case]
    for name, rtype, data, ttl in rows:
        dns_server.add(name, rtype, data, ttl=ttl)
    result = resolve.result(channel.query, qname, qtype)
    assert_same(result, DNSResult(expected, [], []))
    assert server_log(dns_server) == [(qname, qtype, "udp")]


def test_every_query_type_is_covered() -> None:
    covered = {case[1][1] for case in RECORD_CASES.values()}
    assert covered == set(cares.Channel.__qtypes__)


def test_search_decodes_like_query(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    for name, rtype, data, ttl in RECORD_CASES["HTTPS"][0] + RECORD_CASES["NAPTR"][0]:
        dns_server.add(name, rtype, data, ttl=ttl)
    assert_same(resolve.result(channel.search, "example.", HTTPS), DNSResult(RECORD_CASES["HTTPS"][2], [], []))
    assert_same(resolve.result(channel.search, "example.", NAPTR), DNSResult(RECORD_CASES["NAPTR"][2], [], []))


def test_ttl_is_not_clamped(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("ttl.example", "A", "10.0.0.1", ttl=0)
    dns_server.add("ttl.example", "A", "10.0.0.2", ttl=0xFFFFFFFF)
    result = resolve.result(channel.query, "ttl.example", A)
    assert [r.ttl for r in result.answer] == [0, 0xFFFFFFFF]


def test_query_class_chaos(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("version.bind", "TXT", "test-server", rclass=3)
    result = resolve.result(channel.query, "version.bind", TXT, query_class=cares.QUERY_CLASS_CHAOS)
    assert_same(result.answer, [rr("version.bind", TXT, TXTRecordData(b"test-server"), rclass=3)])
    assert dns_server.queries[0].qclass == 3


def test_bytes_name(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    assert resolve.result(channel.query, b"www.example", A).answer[0].data == ARecordData("10.0.0.1")


def test_name_case_and_trailing_dot(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    result = resolve.result(channel.query, "WWW.Example.", A)
    assert result.answer[0].name.lower() == "www.example"  # no trailing dot
    assert dns_server.queries[0].name == "WWW.Example"  # sent as given (no 0x20 mixing)


# --------------------------------------------------------------------------------------
# Sections and CNAME chains


def test_authority_and_additional_sections(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1", ttl=60)
    dns_server.add("www.example", "NS", "ns1.example", ttl=120, section="authority")
    dns_server.add("www.example", "SOA", ("ns1.example", "h.example", 7, 1, 2, 3, 4), ttl=130, section="authority")
    dns_server.add("www.example", "AAAA", "2001:db8::53", ttl=180, section="additional")
    dns_server.add("www.example", "TXT", ["extra"], ttl=190, section="additional")
    result = resolve.result(channel.query, "www.example", A)
    assert_same(
        result,
        DNSResult(
            [rr("www.example", A, ARecordData("10.0.0.1"), 60)],
            [
                rr("www.example", NS, NSRecordData("ns1.example"), 120),
                rr("www.example", SOA, SOARecordData("ns1.example", "h.example", 7, 1, 2, 3, 4), 130),
            ],
            [
                rr("www.example", AAAA, AAAARecordData("2001:db8::53"), 180),
                rr("www.example", TXT, TXTRecordData(b"extra"), 190),
            ],
        ),
    )
    # Where c-ares sent EDNS, the server's OPT RR was in the additional section too:
    # never shown (the equality above).


def test_unsupported_types_dropped_from_every_section(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.add("www.example", "HINFO", b"\x01a\x01b", section="authority")
    dns_server.add("www.example", "TYPE4242", b"opaque", section="additional")
    result = resolve.result(channel.query, "www.example", A)
    assert_same(result, DNSResult([rr("www.example", A, ARecordData("10.0.0.1"))], [], []))


def test_cname_chain(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("a.example", "CNAME", "b.example", ttl=10)
    dns_server.add("b.example", "CNAME", "c.example", ttl=20)
    dns_server.add("c.example", "A", "10.0.0.3", ttl=30)
    expected = [
        rr("a.example", CNAME, CNAMERecordData("b.example"), 10),
        rr("b.example", CNAME, CNAMERecordData("c.example"), 20),
        rr("c.example", A, ARecordData("10.0.0.3"), 30),
    ]
    assert_same(resolve.result(channel.query, "a.example", A).answer, expected)
    # Asked for the CNAME itself: only the first hop.
    assert_same(resolve.result(channel.query, "a.example", CNAME).answer, expected[:1])


def test_cname_without_target_data_is_success(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("dangling.example", "CNAME", "nowhere.example")
    dns_server.add("nowhere.example", "TXT", "not an address")
    result = resolve.result(channel.query, "dangling.example", A)
    assert_same(result.answer, [rr("dangling.example", CNAME, CNAMERecordData("nowhere.example"))])


def test_unusual_label_bytes_in_answers(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    """Names with '.', '\\' and non-ASCII bytes inside labels come back escaped, as c-ares prints them."""
    dns_server.add("w.example", "CNAME", "first\\.last.example")
    dns_server.add("first\\.last.example", "CNAME", "adm\\195\\169n.example")
    dns_server.add("adm\\195\\169n.example", "MX", (1, "back\\\\slash.example"))
    result = resolve.result(channel.query, "w.example", MX)
    assert_same(
        result.answer,
        [
            rr("w.example", CNAME, CNAMERecordData("first\\.last.example")),
            rr("first\\.last.example", CNAME, CNAMERecordData("adm\\195\\169n.example")),
            rr("adm\\195\\169n.example", MX, MXRecordData(1, "back\\\\slash.example")),
        ],
    )


# Owner names whose escaped form is too long for ares_dns_write: such answers are decoded
# through c-ares's record accessors instead of the wire bytes (ctypes_cares._answer.walk).
LONG_WEIRD_LABELS = [b"\x00" * 40, b"\xff" * 40, b"example"]
LONG_WEIRD_TEXT = "\\000" * 40 + "." + "\\255" * 40 + ".example"


@pytest.mark.parametrize("case", [c for c in RECORD_CASES if RECORD_CASES[c][1][1] not in (CNAME, ANY)])
def test_record_types_through_the_accessor_walk(case: str, dns_server: DNSServer, channel: cares.Channel, resolve: Requester, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes_cares._answer as answer

    walked: List[int] = []
    walk = answer.walk

    def counting_walk(record: int) -> DNSResult:
        walked.append(1)
        return walk(record)

    monkeypatch.setattr(answer, "walk", counting_walk)
    rows, (qname, qtype), expected = RECORD_CASES[case]
    dns_server.add("w.example", "CNAME", LONG_WEIRD_LABELS, ttl=5)
    for name, rtype, data, ttl in rows:
        dns_server.add(LONG_WEIRD_LABELS if name == qname else name, rtype, data, ttl=ttl)
    result = resolve.result(channel.query, "w.example", qtype)
    # Without ares_query_dnsrec (< 1.28) answers arrive as wire bytes and need no walk.
    assert walked == ([1] if cares.capabilities.dnsrec else [])
    assert_same(
        result,
        DNSResult(
            [rr("w.example", CNAME, CNAMERecordData(LONG_WEIRD_TEXT), 5)]
            + [dataclasses.replace(r, name=LONG_WEIRD_TEXT) for r in expected],
            [],
            [],
        ),
    )


def test_query_wire_gives_the_answer_undecoded(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    # The aio resolver's path: wire bytes that decode to exactly what query() delivers;
    # answers only the accessor walk can read arrive decoded; failures as statuses.
    from ctypes_cares.records import parse_dns_response

    rows, (qname, qtype), expected = RECORD_CASES["MX"]
    for name, rtype, data, ttl in rows:
        dns_server.add(name, rtype, data, ttl=ttl)
    answer = resolve.result(functools.partial(query_wire, channel), qname, qtype, 1)
    if cares.capabilities.dnsrec:
        assert isinstance(answer, bytes)
        answer = parse_dns_response(answer)
    assert_same(answer, DNSResult(expected, [], []))
    assert_same(answer, resolve.result(channel.query, qname, qtype))

    dns_server.add("w.example", "A", "10.0.0.1")
    dns_server.add(LONG_WEIRD_LABELS, "A", "10.0.0.2")
    dns_server.add("v.example", "CNAME", LONG_WEIRD_LABELS)
    walked = resolve.result(functools.partial(query_wire, channel), "v.example", A, 1)
    assert isinstance(walked, DNSResult) or not cares.capabilities.dnsrec
    assert resolve.error(functools.partial(query_wire, channel), "nx.example", A, 1) == ares_errno.ARES_ENOTFOUND
    with pytest.raises(ValueError):
        query_wire(channel, "w.example", 9999, 1, lambda *a: None)


def test_idna_names_reach_the_server_as_a_labels(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("xn--bcher-kva.example", "A", "10.0.0.7")
    result = resolve.result(channel.query, "bücher.example", A)
    assert result.answer == [rr("xn--bcher-kva.example", A, ARecordData("10.0.0.7"))]
    resolve.error(channel.search, "ñandú.example", A)
    nodes = resolve.result(channel.getaddrinfo, "bücher.example", None, family=socket.AF_INET).nodes
    assert [n.addr for n in nodes] == [(b"10.0.0.7", 0)]
    expected = [("xn--bcher-kva.example", A, "udp"), ("xn--and-6ma2c.example", A, "udp")]
    if not cares.capabilities.query_cache:  # else the query cache answered getaddrinfo
        expected.append(("xn--bcher-kva.example", A, "udp"))
    assert server_log(dns_server) == expected


# --------------------------------------------------------------------------------------
# search: domains and ndots


@pytest.fixture
def search_zone(dns_server: DNSServer) -> DNSServer:
    dns_server.add("www.b.example", "A", "10.0.0.5")
    dns_server.add("host.sub", "A", "10.0.0.6")
    dns_server.add("example", "NS", "ns.example")  # a.example and b.example exist below it
    return dns_server


def test_search_tries_domains_in_order(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["a.example", "b.example"], ndots=1)
    result = resolve.result(channel.search, "www", A)
    assert result.answer == [rr("www.b.example", A, ARecordData("10.0.0.5"))]
    assert server_log(search_zone) == [("www.a.example", A, "udp"), ("www.b.example", A, "udp")]


def test_search_all_fail_tries_the_name_last(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["a.example", "b.example"], ndots=1)
    assert resolve.error(channel.search, "nothere", A) == ares_errno.ARES_ENOTFOUND
    assert [q[0] for q in server_log(search_zone)] == ["nothere.a.example", "nothere.b.example", "nothere"]


def test_search_enough_dots_tries_the_name_first(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["a.example", "b.example"], ndots=1)
    assert resolve.result(channel.search, "host.sub", A).answer[0].name == "host.sub"
    assert [q[0] for q in server_log(search_zone)] == ["host.sub"]
    search_zone.clear_log()
    assert resolve.error(channel.search, "no.sub", A) == ares_errno.ARES_ENOTFOUND
    assert [q[0] for q in server_log(search_zone)] == ["no.sub", "no.sub.a.example", "no.sub.b.example"]


def test_search_ndots(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["a.example"], ndots=3)
    assert resolve.result(channel.search, "host.sub", A).answer[0].name == "host.sub"
    assert [q[0] for q in server_log(search_zone)] == ["host.sub.a.example", "host.sub"]


def test_search_absolute_name_and_query_skip_domains(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["b.example"], ndots=5)
    assert resolve.error(channel.search, "www.", A) == ares_errno.ARES_ENOTFOUND
    assert resolve.error(channel.query, "www", A) == ares_errno.ARES_ENOTFOUND
    # No SOA in this zone, so the NXDOMAIN was not cached: two queries, both for "www".
    assert [q[0] for q in server_log(search_zone)] == ["www", "www"]


def test_search_nosearch_flag(search_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(domains=["b.example"], flags=cares.ARES_FLAG_NOSEARCH)
    assert resolve.error(channel.search, "www", A) == ares_errno.ARES_ENOTFOUND
    assert [q[0] for q in server_log(search_zone)] == ["www"]


@pytest.mark.parametrize("method", ["query", "search"])
def test_norecurse_flag_clears_rd(method: str, dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    recursive = make_channel()
    resolve.result(getattr(recursive, method), "www.example", A)
    plain = make_channel(flags=cares.ARES_FLAG_NORECURSE)
    resolve.result(getattr(plain, method), "www.example", A)
    assert [q.rd for q in dns_server.queries] == [True, False]


# --------------------------------------------------------------------------------------
# Transport, retries and failures


def test_tcp_fallback_on_truncation(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("truncate", name="www.example")
    result = resolve.result(channel.query, "www.example", A)
    assert result.answer == [rr("www.example", A, ARecordData("10.0.0.1"))]
    assert server_log(dns_server) == [("www.example", A, "udp"), ("www.example", A, "tcp")]


def test_large_answer_over_tcp(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    for i in range(60):
        dns_server.add("big.example", "TXT", f"{i:03d}" + "x" * 97)
    result = resolve.result(channel.query, "big.example", TXT)
    assert [r.data.data[:3] for r in result.answer] == [b"%03d" % i for i in range(60)]
    assert server_log(dns_server) == [("big.example", TXT, "udp"), ("big.example", TXT, "tcp")]


def test_usevc_flag_uses_tcp_only(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    channel = make_channel(flags=cares.ARES_FLAG_USEVC)
    resolve.result(channel.query, "www.example", A)
    assert server_log(dns_server) == [("www.example", A, "tcp")]


def test_igntc_flag_keeps_truncated_answer(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("truncate")
    channel = make_channel(flags=cares.ARES_FLAG_IGNTC)
    assert resolve.error(channel.query, "www.example", A) == ares_errno.ARES_ENODATA
    assert [q[2] for q in server_log(dns_server)] == ["udp"]


def test_timeout_after_all_tries(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.set_fault("drop")
    channel = make_channel(timeout=0.2, tries=2)
    assert resolve.error(channel.query, "www.example", A) == ares_errno.ARES_ETIMEOUT
    assert server_log(dns_server) == [("www.example", A, "udp")] * 2


def test_retry_after_one_lost_answer(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", count=1)
    channel = make_channel(timeout=0.2, tries=2)
    assert resolve.result(channel.query, "www.example", A).answer[0].data == ARecordData("10.0.0.1")
    assert server_log(dns_server) == [("www.example", A, "udp")] * 2


@needs("dnsrec", "1.28")  # 1.17/1.18 report ECONNREFUSED after SERVFAIL/REFUSED/NOTIMP
@pytest.mark.parametrize(
    "fault, status",
    [
        ("servfail", ares_errno.ARES_ESERVFAIL),
        ("nxdomain", ares_errno.ARES_ENOTFOUND),
        ("nodata", ares_errno.ARES_ENODATA),
        ("refused", ares_errno.ARES_EREFUSED),
        ("notimp", ares_errno.ARES_ENOTIMP),
        ("formerr", ares_errno.ARES_EFORMERR),
    ],
)
def test_error_rcodes(fault: str, status: int, dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault(fault)
    assert resolve.error(channel.query, "www.example", A) == status
    assert resolve.error(channel.search, "www.example.", A) == status


def test_nxdomain_and_nodata_from_zone(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.set_soa("example")
    dns_server.add("www.example", "A", "10.0.0.1")
    assert resolve.error(channel.query, "nx.example", A) == ares_errno.ARES_ENOTFOUND
    assert resolve.error(channel.query, "www.example", MX) == ares_errno.ARES_ENODATA


@needs("dnsrec", "1.28")  # 1.17/1.18 ignore the reply and time out
def test_malformed_answer_is_ebadresp(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.set_fault("raw", data=b"\x00" * 5)
    assert resolve.error(channel.query, "www.example", A) == ares_errno.ARES_EBADRESP
    # c-ares itself rejects a URI RR with an empty target (so does pycares): whole answer lost.
    dns_server.clear_faults()
    dns_server.add("u.example", "URI", (1, 1, ""))
    dns_server.add("u.example", "URI", (1, 1, "ok"))
    assert resolve.error(channel.query, "u.example", URI) == ares_errno.ARES_EBADRESP


def test_connection_closed_is_econnrefused(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.set_fault("close")
    channel = make_channel(flags=cares.ARES_FLAG_USEVC)
    assert resolve.error(channel.query, "www.example", A) == ares_errno.ARES_ECONNREFUSED


# --------------------------------------------------------------------------------------
# The query cache (c-ares >= 1.31: on by default, answers synchronously)

needs_cache = needs("query_cache", "1.31")


@needs_cache
def test_cache_answers_synchronously(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1", ttl=3600)
    first = resolve.result(channel.query, "www.example", A)
    assert first.answer[0].ttl == 3600
    recorder = resolve(channel.query, "www.example", A)
    assert recorder.called, "a cache hit must be delivered inside query()"
    assert recorder.threads == [threading.current_thread()]
    cached = recorder.result()
    assert 3590 <= cached.answer[0].ttl <= 3600
    assert dataclasses.replace(cached.answer[0], ttl=3600) == first.answer[0]
    # A different type is not a hit.
    resolve.error(channel.query, "www.example", MX)
    assert server_log(dns_server) == [("www.example", A, "udp"), ("www.example", MX, "udp")]


@needs_cache
def test_cache_keeps_nxdomain(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.set_soa("example", minimum=600)
    assert resolve.error(channel.query, "nx.example", A) == ares_errno.ARES_ENOTFOUND
    recorder = resolve(channel.query, "nx.example", A)
    assert recorder.called
    assert recorder.error() == ares_errno.ARES_ENOTFOUND
    assert len(server_log(dns_server)) == 1
