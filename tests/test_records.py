"""records.parse_dns_response: decoding per type, names, and c-ares 1.34.9 acceptance.

Messages are built here with a tiny encoder; the question name is always at offset 12,
so ``PTR_Q`` (``\\xc0\\x0c``) points at it.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from typing import Union

import pytest

from ctypes_cares import records
from ctypes_cares.records import (
    AAAARecordData,
    ARecordData,
    BadResponse,
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
    parse_dns_response,
)

# --- encoder ----------------------------------------------------------------------------

QNAME = "example.test"
PTR_Q = b"\xc0\x0c"  # -> "example.test" (the question name)
PTR_TEST = b"\xc0\x14"  # -> "test" (offset 12 + 1 + len("example"))
ANSWER_START = 30  # 12-byte header + 14-byte question name + type and class
FIRST_RDATA = ANSWER_START + 2 + 10  # rdata of a first answer RR whose owner is PTR_Q


def wire(name: Union[str, Sequence[bytes]]) -> bytes:
    """Uncompressed wire form of a dotted name, or of a list of raw labels."""
    labels = [p.encode("ascii") for p in name.split(".") if p] if isinstance(name, str) else name
    return b"".join(bytes((len(label),)) + label for label in labels) + b"\x00"


def cstr(data: bytes) -> bytes:
    """A <character-string>."""
    return bytes((len(data),)) + data


def rr(owner: bytes, rtype: int, rdata: bytes, rclass: int = 1, ttl: int = 300) -> bytes:
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def message(
    answer: Sequence[bytes] = (),
    authority: Sequence[bytes] = (),
    additional: Sequence[bytes] = (),
    *,
    qname: bytes = b"",
    qtype: int = 1,
    qclass: int = 1,
    counts: Union[Sequence[int], None] = None,
    trailer: bytes = b"",
    msg_id: int = 0x1234,
) -> bytes:
    qd, an, ns, ar = (
        counts if counts is not None else (1, len(answer), len(authority), len(additional))
    )
    header = struct.pack("!HHHHHH", msg_id, 0x8180, qd, an, ns, ar)
    question = (qname or wire(QNAME)) + struct.pack("!HH", qtype, qclass)
    return (
        header + question + b"".join(answer) + b"".join(authority) + b"".join(additional) + trailer
    )


def one(rtype: int, rdata: bytes, **kwargs: int) -> DNSRecord:
    """Parse a message holding one answer RR (owner = the question name); return it."""
    result = parse_dns_response(message([rr(PTR_Q, rtype, rdata, **kwargs)]))
    assert len(result.answer) == 1
    return result.answer[0]


def data_of(rtype: int, rdata: bytes) -> object:
    return one(rtype, rdata).data


def owner(labels: Union[str, Sequence[bytes]]) -> str:
    """The presentation form c-ares gives for an owner name."""
    return parse_dns_response(message([rr(wire(labels), 1, b"\x01\x02\x03\x04")])).answer[0].name


# --- every supported type, field by field ------------------------------------------------


def test_a_record() -> None:
    record = one(1, bytes((10, 0, 0, 1)))
    assert record == DNSRecord("example.test", 1, 1, 300, ARecordData("10.0.0.1"))
    assert data_of(1, bytes((255, 255, 255, 255))) == ARecordData("255.255.255.255")
    assert data_of(1, bytes(4)) == ARecordData("0.0.0.0")


def test_records_are_plain_dataclasses() -> None:
    record = one(1, bytes((192, 0, 2, 7)))
    assert type(record) is DNSRecord and type(record.data) is ARecordData
    assert repr(record) == repr(DNSRecord("example.test", 1, 1, 300, ARecordData("192.0.2.7")))
    assert dataclasses.asdict(record)["data"] == {"addr": "192.0.2.7"}
    record.ttl = 5  # mutable, as in pycares
    assert [f.name for f in dataclasses.fields(DNSRecord)] == [
        "name",
        "type",
        "record_class",
        "ttl",
        "data",
    ]
    assert [f.name for f in dataclasses.fields(DNSResult)] == ["answer", "authority", "additional"]


@pytest.mark.parametrize(
    "raw, text",
    [
        ("2001:db8::1", "2001:db8::1"),
        ("::1", "::1"),
        ("::", "::"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ],
)
def test_aaaa_record(raw: str, text: str) -> None:
    import socket

    assert data_of(28, socket.inet_pton(socket.AF_INET6, raw)) == AAAARecordData(text)


def test_ns_cname_ptr() -> None:
    assert data_of(2, wire("ns1.example.test")) == NSRecordData("ns1.example.test")
    assert data_of(5, wire("alias.example.test")) == CNAMERecordData("alias.example.test")
    assert data_of(12, wire("host.example.test")) == PTRRecordData("host.example.test")
    assert data_of(5, b"\x00") == CNAMERecordData("")


def test_mx() -> None:
    assert data_of(15, struct.pack("!H", 10) + wire("mail.example.test")) == MXRecordData(
        10, "mail.example.test"
    )
    assert data_of(15, b"\xff\xff" + PTR_Q) == MXRecordData(65535, "example.test")


def test_soa() -> None:
    rdata = (
        wire("ns.example.test")
        + wire("hostmaster.example.test")
        + struct.pack("!IIIII", 2024010101, 7200, 3600, 1209600, 0xFFFFFFFF)
    )
    assert data_of(6, rdata) == SOARecordData(
        "ns.example.test", "hostmaster.example.test", 2024010101, 7200, 3600, 1209600, 0xFFFFFFFF
    )


def test_txt_concatenates_strings_of_one_rr() -> None:
    assert data_of(16, cstr(b"hello") + cstr(b"world")) == TXTRecordData(b"helloworld")
    assert data_of(16, cstr(b"")) == TXTRecordData(b"")
    assert data_of(16, cstr(b"") + cstr(b"")) == TXTRecordData(b"")
    assert data_of(16, cstr(b"a\x00b\xff\xc3\xa9")) == TXTRecordData(b"a\x00b\xff\xc3\xa9")
    assert data_of(16, cstr(b"x" * 255) + cstr(b"y")) == TXTRecordData(b"x" * 255 + b"y")


def test_txt_one_record_per_rr() -> None:
    result = parse_dns_response(
        message([rr(PTR_Q, 16, cstr(b"one")), rr(PTR_Q, 16, cstr(b"two") + cstr(b"2"))])
    )
    assert [r.data for r in result.answer] == [TXTRecordData(b"one"), TXTRecordData(b"two2")]


def test_srv() -> None:
    rdata = struct.pack("!HHH", 1, 2, 5060) + wire("sip.example.test")
    assert data_of(33, rdata) == SRVRecordData(1, 2, 5060, "sip.example.test")
    assert data_of(33, struct.pack("!HHH", 0, 0, 0) + b"\x00") == SRVRecordData(0, 0, 0, "")


def test_naptr() -> None:
    rdata = (
        struct.pack("!HH", 100, 10)
        + cstr(b"S")
        + cstr(b"SIP+D2U")
        + cstr(b"!^.*$!sip:a@b!")
        + wire("_sip._udp.example.test")
    )
    assert data_of(35, rdata) == NAPTRRecordData(
        100, 10, "S", "SIP+D2U", "!^.*$!sip:a@b!", "_sip._udp.example.test"
    )
    empty = struct.pack("!HH", 1, 2) + cstr(b"") + cstr(b"") + cstr(b"") + b"\x00"
    assert data_of(35, empty) == NAPTRRecordData(1, 2, "", "", "", "")
    # Printable ASCII is kept as is, space and backslash included (no escaping).
    odd = struct.pack("!HH", 1, 2) + cstr(b'a b\\"') + cstr(b"~") + cstr(b" ") + PTR_Q
    assert data_of(35, odd) == NAPTRRecordData(1, 2, 'a b\\"', "~", " ", "example.test")


def test_tlsa() -> None:
    digest = bytes(range(32))
    assert data_of(52, bytes((3, 1, 1)) + digest) == TLSARecordData(3, 1, 1, digest)
    assert data_of(52, bytes((0, 0, 0, 0))) == TLSARecordData(0, 0, 0, b"\x00")


def test_https_params_are_raw_wire_bytes_in_wire_order() -> None:
    params = (
        struct.pack("!HH", 1, 6)
        + b"\x02h2\x02h3"
        + struct.pack("!HH", 2, 0)
        + struct.pack("!HH", 3, 2)
        + struct.pack("!H", 8443)
        + struct.pack("!HH", 4, 8)
        + bytes((192, 0, 2, 1, 192, 0, 2, 2))
        + struct.pack("!HH", 65000, 3)
        + b"abc"
    )
    data = data_of(65, struct.pack("!H", 1) + b"\x00" + params)
    assert data == HTTPSRecordData(
        1,
        "",
        [
            (1, b"\x02h2\x02h3"),
            (2, b""),
            (3, b"\x20\xfb"),
            (4, bytes((192, 0, 2, 1, 192, 0, 2, 2))),
            (65000, b"abc"),
        ],
    )
    assert data_of(65, struct.pack("!H", 0) + wire("svc.example.test")) == HTTPSRecordData(
        0, "svc.example.test", []
    )


def test_https_param_order_and_duplicates_follow_c_ares() -> None:
    # c-ares keeps wire order (it does not sort) and a repeated key overwrites the
    # value in the position of its first occurrence.
    params = (
        struct.pack("!HH", 3, 2)
        + b"\x01\xbb"
        + struct.pack("!HH", 1, 3)
        + b"\x02h2"
        + struct.pack("!HH", 3, 2)
        + b"\x20\xfb"
    )
    data = data_of(65, struct.pack("!H", 1) + b"\x00" + params)
    assert isinstance(data, HTTPSRecordData)
    assert data.params == [(3, b"\x20\xfb"), (1, b"\x02h2")]


def test_uri() -> None:
    assert data_of(
        256, struct.pack("!HH", 10, 1) + b"https://www.example.test/a b"
    ) == URIRecordData(10, 1, "https://www.example.test/a b")


def test_caa() -> None:
    assert data_of(257, b"\x00" + cstr(b"issue") + b"ca.example.net") == CAARecordData(
        0, "issue", "ca.example.net"
    )
    assert data_of(257, b"\x80" + cstr(b"iodef") + b"mailto:x@y") == CAARecordData(
        128, "iodef", "mailto:x@y"
    )
    # Value read up to the first NUL; non-ASCII values stay bytes (pycares quirk).
    assert data_of(257, b"\x00" + cstr(b"issue") + b"ca\x00junk") == CAARecordData(0, "issue", "ca")
    assert data_of(257, b"\x00" + cstr(b"issue") + b"\x00") == CAARecordData(0, "issue", "")
    assert data_of(257, b"\x00" + cstr(b"issue") + b"caf\xc3\xa9.org") == CAARecordData(
        0,
        "issue",
        b"caf\xc3\xa9.org",  # type: ignore[arg-type]
    )


def test_type_names() -> None:
    assert records.TYPE_NAMES[1] == "A" and records.TYPE_NAMES[255] == "ANY"
    assert records.TYPE_NAMES[256] == "URI" and records.TYPE_NAMES[257] == "CAA"
    assert sorted(records.TYPE_NAMES) == [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 52, 65, 255, 256, 257]


# --- sections, dropped types, header fields ----------------------------------------------


def test_all_three_sections() -> None:
    result = parse_dns_response(
        message(
            [
                rr(PTR_Q, 5, wire("www.example.test")),
                rr(wire("www.example.test"), 1, bytes((10, 0, 0, 2))),
            ],
            [rr(PTR_TEST, 2, wire("ns.test"), ttl=86400)],
            [rr(wire("ns.test"), 28, bytes(15) + b"\x01", ttl=60)],
        )
    )
    assert result == DNSResult(
        [
            DNSRecord("example.test", 5, 1, 300, CNAMERecordData("www.example.test")),
            DNSRecord("www.example.test", 1, 1, 300, ARecordData("10.0.0.2")),
        ],
        [DNSRecord("test", 2, 1, 86400, NSRecordData("ns.test"))],
        [DNSRecord("ns.test", 28, 1, 60, AAAARecordData("::1"))],
    )


def test_opt_and_unknown_types_are_dropped() -> None:
    opt = rr(b"\x00", 41, struct.pack("!HH", 10, 8) + bytes(8), rclass=1232, ttl=0x8000)
    result = parse_dns_response(
        message(
            [
                rr(PTR_Q, 99, b"whatever"),
                rr(PTR_Q, 1, bytes((1, 2, 3, 4))),
                rr(PTR_Q, 46, b"\x00" * 30),  # RRSIG: raw for c-ares
                rr(PTR_Q, 13, cstr(b"CPU") + cstr(b"OS")),  # HINFO
                rr(PTR_Q, 64, b"\x00\x01\x00"),  # SVCB
                rr(PTR_Q, 24, bytes(18) + b"\x00" + b"sig", rclass=255),  # SIG, class ANY ok
                rr(PTR_Q, 65535, b""),
                rr(PTR_Q, 0, b"", rclass=2),
            ],
            [rr(PTR_Q, 50, b"", rclass=255)],
            [opt],
        )
    )
    assert result == DNSResult(
        [DNSRecord("example.test", 1, 1, 300, ARecordData("1.2.3.4"))], [], []
    )


def test_opt_outside_additional_does_not_count_as_second_opt() -> None:
    opt = rr(b"\x00", 41, b"")
    result = parse_dns_response(message([opt, rr(PTR_Q, 1, bytes(4))], [opt], [opt]))
    assert len(result.answer) == 1 and result.authority == [] and result.additional == []


@pytest.mark.parametrize("ttl", [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF])
def test_ttl_is_unsigned_32_bit(ttl: int) -> None:
    assert one(1, bytes(4), ttl=ttl).ttl == ttl


@pytest.mark.parametrize("rclass", [1, 3, 4, 254])
def test_classes_accepted_for_known_types(rclass: int) -> None:
    record = one(16, cstr(b"version"), rclass=rclass)
    assert record.record_class == rclass and record.data == TXTRecordData(b"version")


def test_empty_answer() -> None:
    assert parse_dns_response(message()) == DNSResult([], [], [])


def test_accepts_bytes_like_and_rejects_other_types() -> None:
    raw = message([rr(PTR_Q, 1, bytes(4))])
    assert parse_dns_response(bytearray(raw)) == parse_dns_response(raw)
    assert parse_dns_response(memoryview(raw)) == parse_dns_response(raw)
    with pytest.raises(TypeError):
        parse_dns_response("not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_dns_response(40)  # type: ignore[arg-type]


# --- names: compression and escaping -----------------------------------------------------


def test_compressed_owner_and_rdata_names() -> None:
    assert FIRST_RDATA == 42
    answer = [
        rr(PTR_Q, 5, b"\x03www" + PTR_Q),  # rdata "www.example.test" at 42
        rr(b"\xc0\x2a", 5, b"\x03cdn" + PTR_TEST),  # rdata "cdn.test" at 60
        rr(b"\x03sub\xc0\x2a", 15, b"\x00\x05\x04mail" + PTR_Q),
        rr(PTR_TEST, 6, PTR_Q + b"\x05admin" + PTR_Q + bytes(20)),
        rr(b"\xc0\x3c", 2, b"\xc0\x2a"),
        rr(b"\x02my\xc0\x3c", 2, b"\x02ns\xc0\x3c"),
    ]
    result = parse_dns_response(message(answer))
    assert [(r.name, r.data) for r in result.answer] == [
        ("example.test", CNAMERecordData("www.example.test")),
        ("www.example.test", CNAMERecordData("cdn.test")),
        ("sub.www.example.test", MXRecordData(5, "mail.example.test")),
        ("test", SOARecordData("example.test", "admin.example.test", 0, 0, 0, 0, 0)),
        ("cdn.test", NSRecordData("www.example.test")),
        ("my.cdn.test", NSRecordData("ns.cdn.test")),
    ]


def test_compressed_names_in_srv_naptr_are_accepted() -> None:
    srv = struct.pack("!HHH", 1, 1, 1) + b"\x04_sip" + PTR_Q
    naptr = struct.pack("!HH", 1, 1) + cstr(b"") + cstr(b"") + cstr(b"") + PTR_Q
    assert data_of(33, srv) == SRVRecordData(1, 1, 1, "_sip.example.test")
    assert data_of(35, naptr) == NAPTRRecordData(1, 1, "", "", "", "example.test")


def test_pointer_into_header_is_accepted() -> None:
    # c-ares only requires pointers to go backwards: offset 0 is the ID's high byte,
    # here 0x00, i.e. the root name.
    raw = message([rr(b"\xc0\x00", 1, bytes(4))], msg_id=0x0012)
    assert parse_dns_response(raw).answer[0].name == ""


def test_root_owner_and_question() -> None:
    raw = message([rr(b"\x00", 2, wire("a.root-servers.net"))], qname=b"\x00", qtype=2)
    assert parse_dns_response(raw).answer == [
        DNSRecord("", 2, 1, 300, NSRecordData("a.root-servers.net"))
    ]


@pytest.mark.parametrize(
    "labels, text",
    [
        ([b"first.last", b"example"], "first\\.last.example"),
        ([b"adm\xc3\xa9n", b"example"], "adm\\195\\169n.example"),
        ([b"a b"], "a b"),
        ([b'say"hi"'], 'say\\"hi\\"'),
        ([b"nul\x00byte"], "nul\\000byte"),
        ([b"\xff"], "\\255"),
        ([b"\x7f\x1f\x0a\x80"], "\\127\\031\\010\\128"),
        ([b'.;\\()@$"'], '\\.\\;\\\\\\(\\)\\@\\$\\"'),
        ([b"-_*/!#%&'+,:<=>?[]^`{|}~"], "-_*/!#%&'+,:<=>?[]^`{|}~"),
        ([b"MiXeD", b"Case"], "MiXeD.Case"),
        ([b"xn--caf-dma", b"test"], "xn--caf-dma.test"),
    ],
)
def test_owner_name_escaping(labels: list[bytes], text: str) -> None:
    assert owner(labels) == text


def test_escaping_in_rdata_names_and_through_pointers() -> None:
    raw = message(
        [rr(wire([b"a.b", b"x y"]), 5, b"\x03\x00\xff\\" + b"\xc0\x13")],  # owner at 19
        qname=wire([b"q"]),
    )
    result = parse_dns_response(raw)
    assert result.answer[0].name == "a\\.b.x y"
    assert result.answer[0].data == CNAMERecordData("\\000\\255\\\\.a\\.b.x y")


def test_name_length_limit_is_c_ares_presentation_length() -> None:
    # 4 x 63-octet labels + 3 separators = 255: accepted (257 octets on the wire).
    longest = [b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 63]
    assert owner(longest) == ".".join(lab.decode() for lab in longest)
    with pytest.raises(BadResponse):
        owner(longest + [b"e"])
    with pytest.raises(BadResponse):
        owner([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 62, b"e"])  # 256
    assert len(owner([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61, b"e"])) == 255


def test_name_length_limit_across_pointers() -> None:
    qname = wire([b"q" * 63, b"r" * 63, b"s" * 63])  # 191
    qname_text = "q" * 63 + "." + "r" * 63 + "." + "s" * 63
    ok = rr(b"\x3f" + b"t" * 63 + PTR_Q, 1, bytes(4))  # 63 + 1 + 191 = 255
    assert len(parse_dns_response(message([ok], qname=qname)).answer[0].name) == 255
    too_long = rr(b"\x3f" + b"t" * 63 + b"\x01u" + PTR_Q, 1, bytes(4))  # 257
    with pytest.raises(BadResponse):
        parse_dns_response(message([too_long], qname=qname))
    # Same through a name first decoded (and cached) as a suffix of another name.
    first = rr(b"\x01x" + PTR_Q, 1, bytes(4))
    to_first = struct.pack("!H", 0xC000 + 12 + len(qname) + 4)
    fits = rr(b"\x3d" + b"t" * 61 + to_first, 1, bytes(4))  # 61 + 1 + 193 = 255
    result = parse_dns_response(message([first, fits], qname=qname))
    assert result.answer[1].name == "t" * 61 + ".x." + qname_text
    second = rr(b"\x3f" + b"t" * 63 + to_first, 1, bytes(4))  # 63 + 1 + 193 = 257
    with pytest.raises(BadResponse):
        parse_dns_response(message([first, second], qname=qname))


def _pointer_chain(length: int) -> bytes:
    """A message whose answer owner name follows ``length`` compression pointers."""
    # An unknown-type RR (rdata not parsed) holds pointers p1 -> question, p2 -> p1, ...
    start = FIRST_RDATA
    chain = b"\xc0\x0c" + b"".join(
        struct.pack("!H", 0xC000 + start + 2 * i) for i in range(length - 2)
    )
    last = start + len(chain) - 2
    holder = rr(PTR_Q, 999, chain)
    return message([holder, rr(struct.pack("!H", 0xC000 + last), 1, bytes(4))])


def test_pointer_limit_is_128_per_name() -> None:
    assert parse_dns_response(_pointer_chain(128)).answer[0].name == "example.test"
    with pytest.raises(BadResponse):
        parse_dns_response(_pointer_chain(129))


def test_name_cache_keeps_pointer_limit() -> None:
    # The chain target is decoded (and cached) first, then reached with one more jump.
    raw = _pointer_chain(128)
    result = parse_dns_response(raw)
    extra = rr(struct.pack("!H", 0xC000 + len(raw) - 16), 1, bytes(4))  # -> owner of the A RR
    more = raw[:6] + struct.pack("!H", 3) + raw[8:] + extra
    with pytest.raises(BadResponse):
        parse_dns_response(more)
    assert result.answer[0].name == "example.test"


# --- what c-ares 1.34.9 accepts although it looks odd -------------------------------------


def test_c_ares_accepts_trailing_bytes_after_last_rr() -> None:
    raw = message([rr(PTR_Q, 1, bytes((1, 1, 1, 1)))], trailer=b"\xde\xad\xbe\xef")
    assert parse_dns_response(raw).answer[0].data == ARecordData("1.1.1.1")


def test_c_ares_ignores_unused_rdata_bytes() -> None:
    assert data_of(1, bytes((9, 9, 9, 9, 9))) == ARecordData("9.9.9.9")
    assert data_of(5, wire("x.test") + b"junk") == CNAMERecordData("x.test")
    assert data_of(28, bytes(15) + b"\x01" + b"\x00\x00") == AAAARecordData("::1")
    assert data_of(15, b"\x00\x01\x00\xff") == MXRecordData(1, "")


def test_c_ares_accepts_odd_question() -> None:
    for qtype, qclass in ((65535, 1), (0, 255), (255, 254), (1, 3)):
        assert parse_dns_response(message(qtype=qtype, qclass=qclass)) == DNSResult([], [], [])


def test_sections_of_a_cares_written_answer_are_decoded_on_first_use() -> None:
    import copy
    import pickle

    from dnswire import RR, build_message

    q = "lazy.example"
    msg = build_message(
        7, aa=True, questions=[(q, 1, 1)], answers=[RR(q, "A", "192.0.2.1")],
        authority=[RR("example", "NS", "ns.example")],
        additional=[RR("ns.example", "A", "192.0.2.53")],
    )  # fmt: skip
    eager = records.parse_dns_response(msg)
    lazy = records.parse_dns_response(msg, written_by_cares=True)
    assert "authority" not in vars(lazy) and "additional" not in vars(lazy)
    assert pickle.loads(pickle.dumps(lazy)) == eager  # still lazy when pickled
    assert copy.copy(lazy) == eager
    assert lazy.authority[0].data.nsdname == "ns.example"
    assert vars(lazy).keys() == {"answer", "authority", "additional"}  # decoded once
    assert lazy == eager and repr(lazy) == repr(eager)
    assert dataclasses.asdict(lazy) == dataclasses.asdict(eager)
    with pytest.raises(AttributeError):
        lazy.no_such_field  # noqa: B018 - the read raises
