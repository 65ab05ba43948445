"""Tests of the test DNS server itself, with raw stdlib sockets only."""

from __future__ import annotations

import socket
import struct
from typing import List, Optional, Tuple

import pytest
from dnsserver import DNSServer
from dnswire import (
    RR,
    Message,
    Raw,
    build_message,
    build_query,
    decode_name,
    encode_name,
    name_to_text,
    parse_message,
    parse_name,
    patch_id,
)

A, NS, CNAME, SOA, MX, TXT, AAAA, SRV, OPT, ANY = 1, 2, 5, 6, 15, 16, 28, 33, 41, 255


# --------------------------------------------------------------------------- helpers

def _family(server: DNSServer) -> int:
    return socket.AF_INET6 if ":" in server.host else socket.AF_INET


def udp_ask(server: DNSServer, query: bytes, timeout: float = 2.0) -> Optional[bytes]:
    """Send one datagram; the reply, or None when none came within ``timeout``."""
    with socket.socket(_family(server), socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(query, (server.host, server.port))
        try:
            return sock.recv(65535)
        except socket.timeout:
            return None


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def tcp_recv(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!H", recv_exact(sock, 2))
    return recv_exact(sock, length)


def tcp_connect(server: DNSServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=2.0)
    return sock


def tcp_ask(server: DNSServer, query: bytes) -> bytes:
    with tcp_connect(server) as sock:
        sock.sendall(struct.pack("!H", len(query)) + query)
        return tcp_recv(sock)


def ask(server: DNSServer, name: str, qtype: object = "A", tcp: bool = False,
        edns: Optional[int] = None, id: int = 0x1234) -> Message:
    query = build_query(name, qtype, id=id, edns=edns)  # type: ignore[arg-type]
    reply = tcp_ask(server, query) if tcp else udp_ask(server, query)
    assert reply is not None, "no reply"
    msg = parse_message(reply)
    assert msg.id == id
    return msg


def addrs(msg: Message) -> List[str]:
    return [socket.inet_ntop(socket.AF_INET if len(rr.rdata) == 4 else socket.AF_INET6, rr.rdata)
            for rr in msg.answers if rr.rtype in (A, AAAA)]


def text(labels: Tuple[bytes, ...]) -> str:
    return name_to_text(labels)


def read_name(msg: bytes, off: int) -> Tuple[str, int]:
    """An independent name decoder (follows pointers) to cross-check compression."""
    labels: List[str] = []
    end: Optional[int] = None
    jumps = 0
    while True:
        n = msg[off]
        if n >= 0xC0:
            end = off + 2 if end is None else end
            target = ((n & 0x3F) << 8) | msg[off + 1]
            assert target < off
            off, jumps = target, jumps + 1
            assert jumps < 20
        elif n == 0:
            return ".".join(labels), (off + 1 if end is None else end)
        else:
            labels.append(msg[off + 1:off + 1 + n].decode())
            off += 1 + n


# --------------------------------------------------------------------------- names

def test_names() -> None:
    assert encode_name("www.Example.com.") == b"\x03www\x07Example\x03com\x00"
    assert encode_name("www.Example.com") == encode_name("www.Example.com.")
    assert encode_name(".") == encode_name("") == b"\x00"
    assert parse_name("first\\.last.example") == (b"first.last", b"example")
    assert parse_name("a\\\\b.c\\032d") == (b"a\\b", b"c d")
    assert parse_name([b"a.b", b"c"]) == (b"a.b", b"c")
    assert name_to_text((b"a.b", b"c\\", b"\x00x")) == "a\\.b.c\\\\.\\000x"
    assert name_to_text(()) == "."
    for bad in ("a..b", "x" * 64, ".".join(["abcdefgh"] * 30), "a\\"):
        with pytest.raises(ValueError):
            parse_name(bad)
    with pytest.raises(TypeError):
        parse_name(b"bytes")  # type: ignore[arg-type]
    msg = b"\x00" * 12 + b"\x01a\x00" + b"\x01b\xc0\x0c"
    assert decode_name(msg, 15) == ((b"b", b"a"), 19)
    with pytest.raises(ValueError):
        decode_name(b"\xc0\x00", 0)  # points at itself


def test_build_and_parse_roundtrip() -> None:
    msg = build_message(7, aa=True, rcode=3, questions=[("x.example", "MX")],
                        answers=[RR("x.example", "MX", (5, "mx.x.example"))],
                        authority=[RR("example", "NS", "ns.example")], edns=1232)
    parsed = parse_message(msg)
    assert (parsed.id, parsed.rcode, parsed.flag("qr"), parsed.flag("aa")) == (7, 3, True, True)
    assert parsed.questions == [((b"x", b"example"), MX, 1)]
    mx = parsed.answers[0]
    assert struct.unpack("!H", mx.rdata[:2])[0] == 5
    assert text(decode_name(msg, mx.offset + 2)[0]) == "mx.x.example"
    assert parsed.additional[0].rtype == OPT and parsed.additional[0].rclass == 1232
    assert patch_id(b"\xab\xcd" + b"\x00" * 10, msg)[:2] == b"\xab\xcd"
    with pytest.raises(ValueError):
        parse_message(msg[:-3])


# --------------------------------------------------------------------------- answering

def test_a_answer_flags_and_echo(dns_server: DNSServer) -> None:
    dns_server.add("www.example.com", "A", "10.0.0.1", ttl=60)
    dns_server.add("www.example.com", A, "10.0.0.2")
    msg = ask(dns_server, "WwW.ExAmple.COM", edns=None)
    assert msg.rcode == 0
    assert [msg.flag(f) for f in ("qr", "aa", "tc", "rd", "ra")] == [True, True, False, True, True]
    assert msg.questions == [((b"WwW", b"ExAmple", b"COM"), A, 1)]  # echoed as received
    assert addrs(msg) == ["10.0.0.1", "10.0.0.2"]
    assert [rr.ttl for rr in msg.answers] == [60, 300]
    assert msg.authority == [] and msg.additional == []
    no_rd = parse_message(udp_ask(dns_server, build_query("www.example.com", rd=False)) or b"")
    assert not no_rd.flag("rd") and addrs(no_rd) == ["10.0.0.1", "10.0.0.2"]


def test_aaaa_and_case_preserved_in_zone(dns_server: DNSServer) -> None:
    dns_server.add("V6.Example", "AAAA", "2001:db8::1")
    dns_server.compress = False
    msg = ask(dns_server, "v6.example", "AAAA")
    assert addrs(msg) == ["2001:db8::1"]
    assert msg.answers[0].name == (b"V6", b"Example")


@pytest.mark.parametrize("rtype, data, rdata", [
    ("NS", "ns1.example", encode_name("ns1.example")),
    ("PTR", "host.example", encode_name("host.example")),
    ("MX", (10, "mail.example"), b"\x00\x0a" + encode_name("mail.example")),
    ("TXT", "hello", b"\x05hello"),
    ("TXT", b"\xff", b"\x01\xff"),
    ("TXT", ["a", b"bc", "é"], b"\x01a\x02bc\x02\xc3\xa9"),
    ("TXT", Raw(b"\x02hi\x00"), b"\x02hi\x00"),
    ("SOA", ("ns.example", "h\\.m.example", 1, 2, 3, 4, 5),
     encode_name("ns.example") + b"\x03h.m\x07example\x00" + struct.pack("!5I", 1, 2, 3, 4, 5)),
    ("SRV", (1, 2, 443, "t.example"), struct.pack("!3H", 1, 2, 443) + encode_name("t.example")),
    ("NAPTR", (100, 10, "S", "SIP+D2U", "", "_sip._udp.example"),
     struct.pack("!HH", 100, 10) + b"\x01S\x07SIP+D2U\x00" + encode_name("_sip._udp.example")),
    ("TLSA", (3, 1, 1, b"\xde\xad"), b"\x03\x01\x01\xde\xad"),
    ("HTTPS", (1, ".", [(1, b"\x02h2"), (3, b"\x01\xbb")]),
     b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h2" + b"\x00\x03\x00\x02\x01\xbb"),
    ("SVCB", (0, "alias.example", []), b"\x00\x00" + encode_name("alias.example")),
    ("URI", (10, 1, "https://example/"), b"\x00\x0a\x00\x01https://example/"),
    ("CAA", (0, "issue", "ca.example"), b"\x00\x05issueca.example"),
    ("CAA", (128, "iodef", b"\x01"), b"\x80\x05iodef\x01"),
    (99, b"\x01\x02\x03", b"\x01\x02\x03"),
    ("A", b"\x01\x02\x03\x04", b"\x01\x02\x03\x04"),
])
@pytest.mark.parametrize("compress", [False, True])
def test_rdata_encoding(dns_server: DNSServer, rtype: object, data: object, rdata: bytes,
                        compress: bool) -> None:
    rr = dns_server.add("rr.example", rtype, data)  # type: ignore[arg-type]
    dns_server.compress = compress
    reply = udp_ask(dns_server, build_query("rr.example", rr.rtype))
    assert reply is not None
    msg = parse_message(reply)
    assert [a.rtype for a in msg.answers] == [rr.rtype]
    got = msg.answers[0]
    if not compress:
        assert got.rdata == rdata
    elif rr.rtype in (NS, 12):  # rdata names share no suffix with the owner: still literal
        assert text(decode_name(reply, got.offset)[0]) == text(parse_name(data))  # type: ignore
    elif rr.rtype in (SRV, 35, 64, 65):  # never compressed, even with compress=True
        assert got.rdata == rdata


def test_bad_rdata_rejected_at_add(dns_server: DNSServer) -> None:
    with pytest.raises(ValueError):
        dns_server.add("x.example", "A", "not-an-ip")
    with pytest.raises(ValueError):
        dns_server.add("x.example", "TXT", "x" * 256)
    with pytest.raises(TypeError):
        dns_server.add("x.example", 99, ("no", "format"))
    with pytest.raises(ValueError):
        dns_server.add("x.example", "BOGUS", b"")
    with pytest.raises(ValueError):
        dns_server.add("x.example", "A", "10.0.0.1", section="bogus")


def test_cname_chase(dns_server: DNSServer) -> None:
    dns_server.add("alias.example", "CNAME", "mid.example")
    dns_server.add("mid.example", "CNAME", "Real.example")
    dns_server.add("real.example", "A", "10.1.1.1")
    msg = ask(dns_server, "alias.example")
    assert msg.rcode == 0
    assert [(text(rr.name).lower(), rr.rtype) for rr in msg.answers] == [
        ("alias.example", CNAME), ("mid.example", CNAME), ("real.example", A)]
    assert text(decode_name(udp_ask(dns_server, build_query("alias.example")) or b"",
                            msg.answers[0].offset)[0]) == "mid.example"
    assert addrs(msg) == ["10.1.1.1"]
    only = ask(dns_server, "alias.example", "CNAME")
    assert [rr.rtype for rr in only.answers] == [CNAME]
    nodata = ask(dns_server, "alias.example", "MX")  # chain ends in NODATA
    assert nodata.rcode == 0 and [rr.rtype for rr in nodata.answers] == [CNAME, CNAME]
    dangling = dns_server.add("dangling.example", "CNAME", "nowhere.example")
    assert dangling.target == (b"nowhere", b"example")
    msg = ask(dns_server, "dangling.example")
    assert msg.rcode == 0 and [rr.rtype for rr in msg.answers] == [CNAME]


def test_cname_loop_and_long_chain(dns_server: DNSServer) -> None:
    dns_server.add("x.example", "CNAME", "y.example")
    dns_server.add("y.example", "CNAME", "X.example")
    msg = ask(dns_server, "x.example")
    assert [text(rr.name) for rr in msg.answers] == ["x.example", "y.example"]
    for i in range(12):
        dns_server.add(f"c{i}.example", "CNAME", f"c{i + 1}.example")
    dns_server.add("c12.example", "A", "10.0.0.12")
    msg = ask(dns_server, "c0.example")
    assert [rr.rtype for rr in msg.answers] == [CNAME] * 9  # the start plus 8 hops


def test_nxdomain_nodata_and_soa(dns_server: DNSServer) -> None:
    dns_server.add("host.sub.example", "A", "10.0.0.1")
    msg = ask(dns_server, "missing.example")
    assert (msg.rcode, msg.answers, msg.authority) == (3, [], [])
    assert msg.flag("aa")
    msg = ask(dns_server, "host.sub.example", "MX")
    assert (msg.rcode, msg.answers, msg.authority) == (0, [], [])
    assert ask(dns_server, "sub.example").rcode == 0  # empty non-terminal: NODATA
    dns_server.set_soa("example", "ns.example", "hostmaster.example", serial=42, minimum=60)
    for name, rcode in (("missing.example", 3), ("HOST.sub.example", 0)):
        msg = ask(dns_server, name, "MX")
        assert msg.rcode == rcode and msg.answers == []
        assert [(text(rr.name), rr.rtype) for rr in msg.authority] == [("example", SOA)]
    assert ask(dns_server, "host.sub.example").authority == []  # positive answer: no SOA


def test_any(dns_server: DNSServer) -> None:
    dns_server.add("multi.example", "A", "10.0.0.1")
    dns_server.add("multi.example", "TXT", "t")
    dns_server.add("multi.example", "MX", (1, "mx.example"))
    msg = ask(dns_server, "multi.example", "ANY", tcp=True)
    assert [rr.rtype for rr in msg.answers] == [A, TXT, MX]


def test_authority_and_additional_sections(dns_server: DNSServer) -> None:
    dns_server.add("www.example", "CNAME", "web.example")
    dns_server.add("web.example", "A", "10.0.0.5")
    dns_server.add("www.example", "NS", "ns1.example", section="authority")
    dns_server.add("web.example", "NS", "ns2.example", section="authority")
    dns_server.add("web.example", "A", "10.0.0.53", section="additional")
    msg = ask(dns_server, "www.example")
    assert [rr.rtype for rr in msg.answers] == [CNAME, A]
    assert [(text(rr.name), rr.rtype) for rr in msg.authority] == [
        ("www.example", NS), ("web.example", NS)]
    assert [(text(rr.name), rr.rdata) for rr in msg.additional] == [
        ("web.example", bytes([10, 0, 0, 53]))]
    assert ask(dns_server, "web.example", "MX").additional != []  # sent with NODATA too


def test_edns_opt_echoed(dns_server: DNSServer) -> None:
    dns_server.add("e.example", "A", "10.0.0.1")
    msg = ask(dns_server, "e.example", edns=4096)
    assert [(rr.rtype, rr.rclass, rr.name) for rr in msg.additional] == [(OPT, 1232, ())]
    assert ask(dns_server, "e.example").additional == []


def test_dnssec_bits_recorded_and_answered(dns_server: DNSServer) -> None:
    dns_server.add("s.example", "A", "10.0.0.1")
    dns_server.add("s.example", "RRSIG", b"signature")
    dns_server.add("s.example", "DNSKEY", b"key")
    dns_server.authentic = True
    query = build_message(7, qr=False, rd=True, cd=True, questions=[("s.example", "A")],
                          edns=1400, edns_do=True)
    reply = udp_ask(dns_server, query)
    assert reply is not None
    msg = parse_message(reply)
    assert msg.flag("ad") and msg.flag("cd")
    assert [rr.rtype for rr in msg.answers] == [1, 46]  # DO: the owner's RRSIG too
    assert msg.additional[0].ttl & 0x8000  # DO echoed
    [logged] = dns_server.queries
    assert (logged.udp_size, logged.dnssec_ok, logged.cd) == (1400, True, True)
    assert logged.port > 0
    assert [rr.rtype for rr in ask(dns_server, "s.example").answers] == [1]  # no DO: no RRSIG
    assert [rr.rdata for rr in ask(dns_server, "s.example", "DNSKEY").answers] == [b"key"]
    dns_server.reset()
    assert dns_server.authentic is False


def test_udp_truncation_and_tcp(dns_server: DNSServer) -> None:
    for i in range(8):
        dns_server.add("big.example", "TXT", f"{i}" * 100)
    small = ask(dns_server, "big.example", "TXT")
    assert small.flag("tc") and small.answers == [] and small.rcode == 0
    assert small.questions == [((b"big", b"example"), TXT, 1)]
    assert not ask(dns_server, "big.example", "A").flag("tc")  # NODATA fits
    assert ask(dns_server, "big.example", "TXT", edns=512).flag("tc")  # 512 is the floor
    assert ask(dns_server, "big.example", "TXT", edns=1232).flag("tc") is False
    full = ask(dns_server, "big.example", "TXT", tcp=True)
    assert not full.flag("tc") and len(full.answers) == 8


# --------------------------------------------------------------------------- compression

def test_compression_on_and_off(dns_server: DNSServer) -> None:
    dns_server.add("www.example.com", "A", "10.0.0.1")
    dns_server.add("www.example.com", "MX", (10, "mail.example.com"))
    dns_server.add("www.example.com", "SRV", (0, 0, 25, "mail.example.com"))
    query = build_query("www.example.com", "ANY")
    answer_at = 12 + len(encode_name("www.example.com")) + 4
    on = udp_ask(dns_server, query) or b""
    dns_server.compress = False
    off = udp_ask(dns_server, query) or b""
    assert on[answer_at:answer_at + 2] == b"\xc0\x0c"  # owner points at the question
    assert off[answer_at:answer_at + 17] == encode_name("www.example.com")
    assert b"\xc0" not in off and len(on) < len(off)
    for reply in (on, off):
        msg = parse_message(reply)
        assert [text(rr.name) for rr in msg.answers] == ["www.example.com"] * 3
        mx, srv = msg.answers[1], msg.answers[2]
        assert read_name(reply, mx.offset + 2)[0] == "mail.example.com"
        assert read_name(reply, srv.offset + 6)[0] == "mail.example.com"
        assert srv.rdata[6:] == encode_name("mail.example.com")  # SRV never compressed
    assert on[parse_message(on).answers[1].offset + 2:][:7] == b"\x04mail\xc0\x10"


# --------------------------------------------------------------------------- query log

def test_query_log(dns_server: DNSServer) -> None:
    dns_server.add("log.example", "A", "10.0.0.1")
    udp_ask(dns_server, build_query("Log.Example.", "A", id=11, edns=1232))
    tcp_ask(dns_server, build_query("nope.example", "MX", id=12, rd=False))
    log = dns_server.wait_for_queries(2, timeout=2)
    assert [(q.name, q.qtype, q.qclass, q.transport, q.id, q.rd, q.edns) for q in log] == [
        ("Log.Example", A, 1, "udp", 11, True, True),
        ("nope.example", MX, 1, "tcp", 12, False, False)]
    assert parse_message(log[0].raw).questions[0][0] == (b"Log", b"Example")
    dns_server.clear_log()
    assert dns_server.queries == []
    assert dns_server.wait_for_queries(1, timeout=0.05) == []
