"""The wire decoder's verdicts on what c-ares 1.34.9 refuses: malformed messages, every
truncation, and random mutations (which must give a result or BadResponse, never
anything else).  test_wire_oracle.py runs the same corpus through c-ares itself.
"""

from __future__ import annotations

import random
import struct

import pytest

from ctypes_cares.records import BadResponse, DNSResult, parse_dns_response
from test_records import PTR_Q, PTR_TEST, QNAME, cstr, message, rr, wire


# --- malformed messages -----------------------------------------------------------------

_A = rr(PTR_Q, 1, bytes(4))
_HEADER_ONLY = struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0)
_Q = wire(QNAME) + struct.pack("!HH", 1, 1)

MALFORMED = {
    # header and question
    "empty": b"",
    "short header": _HEADER_ONLY[:11],
    "header only": _HEADER_ONLY,
    "no question": message(counts=(0, 0, 0, 0))[:12],
    "qdcount 0": message(counts=(0, 0, 0, 0)),
    "qdcount 2": message(counts=(2, 0, 0, 0)) + _Q,
    "question name truncated": _HEADER_ONLY + b"\x07exam",
    "question without type": _HEADER_ONLY + wire(QNAME),
    "question half class": _HEADER_ONLY + wire(QNAME) + b"\x00\x01\x00",
    "question class 2": message(qclass=2),
    "question class 0": message(qclass=0),
    "oversized message": message(trailer=bytes(0x10000)),
    # counts
    "ancount without rr": message(counts=(1, 1, 0, 0)),
    "ancount too large": message([_A], counts=(1, 2, 0, 0)),
    "arcount too large": message([_A], counts=(1, 1, 0, 1)),
    "counts 0xffff": message([_A] * 3, counts=(1, 0xFFFF, 0xFFFF, 0xFFFF)),
    # rr framing
    "rr fixed fields truncated": message([_A[:8]], counts=(1, 1, 0, 0)),
    "rr without rdlength": message([_A[:10]], counts=(1, 1, 0, 0)),
    "rdlength past end": message([_A[:-1]]),
    "rdlength far past end": message([PTR_Q + struct.pack("!HHIH", 16, 1, 0, 500) + cstr(b"x")]),
    # names
    "forward pointer": message([rr(b"\xc0\x30", 1, bytes(4))]),
    "self pointer": message([rr(b"\xc0\x1e", 1, bytes(4))]),
    "pointer to owner start": message([rr(b"\x01a\xc0\x1e", 1, bytes(4))]),
    "pointer loop": message([rr(PTR_Q, 999, b"\xc0\x2c\xc0\x2a"), rr(b"\xc0\x2c", 1, bytes(4))]),
    "pointer to pointer start": message(
        [rr(PTR_Q, 999, b"\x01a\xc0\x2a"), rr(b"\xc0\x2a", 1, bytes(4))]
    ),
    "pointer past end": message([rr(b"\xff\xff", 1, bytes(4))]),
    "truncated pointer": _HEADER_ONLY + b"\x01a\xc0",
    "truncated owner pointer": message(counts=(1, 1, 0, 0)) + b"\xc0",
    "pointer in question to itself": _HEADER_ONLY + b"\xc0\x0c" + b"\x00\x01\x00\x01",
    "label type 0x40": message([rr(b"\x41" + b"a" * 10 + b"\x00", 1, bytes(4))]),
    "label type 0x80": message([rr(b"\x80\x00", 1, bytes(4))]),
    "label past end": message(counts=(1, 1, 0, 0)) + b"\x3fabc",
    "name past end": message([b"\x03abc"], counts=(1, 1, 0, 0)),
    "name too long": message([rr(wire([b"a" * 63] * 4 + [b"b"]), 1, bytes(4))]),
    "rdata pointer to later rr": message([rr(PTR_Q, 5, b"\xc0\x40"), _A]),
    # fixed-layout rdata too short or empty
    "A rdlength 0": message([rr(PTR_Q, 1, b""), _A]),
    "A rdlength 3": message([rr(PTR_Q, 1, b"\x01\x02\x03"), _A]),
    "AAAA rdlength 4": message([rr(PTR_Q, 28, bytes(4))]),
    "AAAA rdlength 15": message([rr(PTR_Q, 28, bytes(15)), _A]),
    "CNAME rdlength 0": message([rr(PTR_Q, 5, b""), _A]),
    "CNAME name overruns rdata": message([rr(PTR_Q, 5, b"\x03www")[:-1] + b"\x00"]),
    "CNAME name overruns rdata into next rr": message(
        [PTR_Q + struct.pack("!HHIH", 5, 1, 0, 3) + b"\x01a\xc0\x0c", _A], counts=(1, 2, 0, 0)
    ),
    "NS label past rdata": message([rr(PTR_Q, 2, b"\x05ab")]),
    "PTR rdlength 0": message([rr(PTR_Q, 12, b"")]),
    "MX rdlength 0": message([rr(PTR_Q, 15, b"")]),
    "MX rdlength 2": message([rr(PTR_Q, 15, b"\x00\x01"), _A]),
    "SOA numbers missing": message([rr(PTR_Q, 6, PTR_Q + PTR_Q + bytes(19)), _A]),
    "SOA rdlength 0": message([rr(PTR_Q, 6, b""), _A, _A]),
    "SRV short": message([rr(PTR_Q, 33, b"\x00\x01\x00\x02\x00"), _A]),
    "SRV no target": message([rr(PTR_Q, 33, bytes(6)), _A]),
    "TXT rdlength 0": message([rr(PTR_Q, 16, b""), _A]),
    "TXT string overruns": message([rr(PTR_Q, 16, b"\x0ahello"), _A]),
    "TXT second string overruns": message([rr(PTR_Q, 16, cstr(b"ok") + b"\x05ab")]),
    "TXT string past end": message([rr(PTR_Q, 16, b"\x0ahello")]),
    "NAPTR non-ASCII flags": message(
        [rr(PTR_Q, 35, b"\x00\x01\x00\x01" + cstr(b"\xc3\xa9") + b"\x00\x00\x00")]
    ),
    "NAPTR control char in regexp": message(
        [rr(PTR_Q, 35, b"\x00\x01\x00\x01\x00\x00" + cstr(b"a\nb") + b"\x00")]
    ),
    "NAPTR DEL in service": message(
        [rr(PTR_Q, 35, b"\x00\x01\x00\x01\x00" + cstr(b"\x7f") + b"\x00\x00")]
    ),
    "NAPTR no strings": message([rr(PTR_Q, 35, b"\x00\x01\x00\x01"), _A]),
    "NAPTR string overruns": message([rr(PTR_Q, 35, b"\x00\x01\x00\x01\x00\x00\x09abc")]),
    "NAPTR no replacement": message([rr(PTR_Q, 35, b"\x00\x01\x00\x01\x00\x00\x00"), _A]),
    "TLSA empty data": message([rr(PTR_Q, 52, b"\x03\x01\x01"), _A]),
    "TLSA rdlength 0": message([rr(PTR_Q, 52, b""), _A]),
    "HTTPS rdlength 0": message([rr(PTR_Q, 65, b""), _A]),
    "HTTPS compressed target": message([rr(PTR_Q, 65, b"\x00\x01" + PTR_Q)]),
    "HTTPS param header truncated": message([rr(PTR_Q, 65, b"\x00\x01\x00\x00\x01\x00")]),
    "HTTPS param value overruns": message(
        [rr(PTR_Q, 65, b"\x00\x01\x00" + struct.pack("!HH", 1, 9) + b"\x02h2")]
    ),
    "URI empty target": message([rr(PTR_Q, 256, b"\x00\x01\x00\x01"), _A]),
    "URI non-printable target": message([rr(PTR_Q, 256, b"\x00\x01\x00\x01http://\x80")]),
    "URI newline in target": message([rr(PTR_Q, 256, b"\x00\x01\x00\x01a\nb")]),
    "CAA empty value": message([rr(PTR_Q, 257, b"\x00" + cstr(b"issue"))]),
    "CAA empty tag": message([rr(PTR_Q, 257, b"\x00\x00value")]),
    "CAA non-printable tag": message([rr(PTR_Q, 257, b"\x00" + cstr(b"is\x01ue") + b"v")]),
    "CAA tag overruns": message([rr(PTR_Q, 257, b"\x00\x09issue")]),
    "CAA rdlength 0": message([rr(PTR_Q, 257, b""), _A]),
    # classes and types c-ares refuses
    "A class 2": message([rr(PTR_Q, 1, bytes(4), rclass=2)]),
    "A class ANY": message([rr(PTR_Q, 1, bytes(4), rclass=255)]),
    "MX class 0": message([rr(PTR_Q, 15, b"\x00\x01\x00", rclass=0)]),
    "HINFO class 2": message([rr(PTR_Q, 13, cstr(b"a") + cstr(b"b"), rclass=2)]),
    "SVCB class 255": message([rr(PTR_Q, 64, b"\x00\x01\x00", rclass=255)]),
    "RR of type ANY": message([rr(PTR_Q, 255, b"")]),
    "two OPT in additional": message(additional=[rr(b"\x00", 41, b""), rr(b"\x00", 41, b"")]),
    # dropped types are still parsed by c-ares
    "OPT option overruns": message(
        additional=[rr(b"\x00", 41, struct.pack("!HH", 10, 9) + bytes(4))]
    ),
    "OPT option header truncated": message(additional=[rr(b"\x00", 41, b"\x00\x0a\x00")]),
    "SVCB compressed target": message([rr(PTR_Q, 64, b"\x00\x01" + PTR_Q)]),
    "SVCB rdlength 0": message([rr(PTR_Q, 64, b""), _A]),
    "HINFO string overruns": message([rr(PTR_Q, 13, b"\x09abc")]),
    "HINFO non-printable": message([rr(PTR_Q, 13, cstr(b"\xff") + cstr(b"os"))]),
    "HINFO missing os": message([rr(PTR_Q, 13, cstr(b"cpu")), _A]),
    "SIG too short": message([rr(PTR_Q, 24, bytes(17)), _A]),
    "SIG without signature": message([rr(PTR_Q, 24, bytes(18) + b"\x00"), _A]),
    "SIG bad signer name": message([rr(PTR_Q, 24, bytes(18) + b"\x80\x00sig")]),
    # errors in the other sections
    "bad authority": message([_A], [rr(PTR_Q, 2, b"\x40")]),
    "bad additional": message([_A], [], [rr(PTR_Q, 28, bytes(3))]),
}


@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_messages_raise_bad_response(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_dns_response(raw)


def test_bad_response_is_a_value_error() -> None:
    assert issubclass(BadResponse, ValueError)


def test_every_truncation_of_a_valid_message_is_rejected() -> None:
    raw = _rich_message()
    parse_dns_response(raw)
    for cut in range(len(raw)):
        with pytest.raises(BadResponse):
            parse_dns_response(raw[:cut])


# --- random mutations -------------------------------------------------------------------


def _rich_message() -> bytes:
    return message(
        [
            rr(PTR_Q, 5, b"\x03www" + PTR_Q),
            rr(b"\xc0\x2a", 1, bytes((10, 0, 0, 1))),
            rr(PTR_Q, 28, bytes(15) + b"\x01"),
            rr(PTR_Q, 15, b"\x00\x0a\x04mail" + PTR_Q),
            rr(PTR_Q, 16, cstr(b"v=spf1 -all") + cstr(b"")),
            rr(PTR_Q, 33, struct.pack("!HHH", 1, 2, 3) + b"\x03srv" + PTR_Q),
            rr(PTR_Q, 35, b"\x00\x01\x00\x02" + cstr(b"S") + cstr(b"SIP+D2U") + cstr(b"") + PTR_Q),
            rr(PTR_Q, 52, b"\x03\x01\x01" + bytes(8)),
            rr(PTR_Q, 65, b"\x00\x01\x00" + struct.pack("!HH", 1, 3) + b"\x02h2"),
            rr(PTR_Q, 256, b"\x00\x01\x00\x01https://x"),
            rr(PTR_Q, 257, b"\x00" + cstr(b"issue") + b"ca.test"),
            rr(PTR_Q, 12, wire([b"a.b", b"\xff"])),
        ],
        [rr(PTR_TEST, 6, PTR_Q + b"\x05admin" + PTR_Q + bytes(20))],
        [rr(b"\x00", 41, struct.pack("!HH", 10, 2) + b"ab", rclass=1232)],
    )


def _mutate(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        pos = rng.randrange(len(data)) if data else 0
        if kind == 0 and data:
            data[pos] = rng.randrange(256)
        elif kind == 1 and data:
            data[pos] ^= 1 << rng.randrange(8)
        elif kind == 2:
            del data[pos:]
        elif kind == 3:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        elif kind == 4 and data:
            del data[pos : pos + rng.randint(1, 3)]
        else:
            data[pos:pos] = rng.choice((b"\xc0\x0c", b"\xc0", b"\x3f", b"\x00", b"\xff\xff"))
    return bytes(data)


def test_random_mutations_give_result_or_bad_response() -> None:
    rng = random.Random(20240601)
    base = _rich_message()
    assert len(parse_dns_response(base).answer) == 12
    outcomes = {"ok": 0, "bad": 0}
    for _ in range(2000):
        raw = _mutate(rng, base)
        try:
            result = parse_dns_response(raw)
        except BadResponse:
            outcomes["bad"] += 1
        else:
            assert isinstance(result, DNSResult)
            for record in result.answer + result.authority + result.additional:
                assert isinstance(record.name, str) and record.name.isascii()
                assert 0 <= record.ttl <= 0xFFFFFFFF
            outcomes["ok"] += 1
    assert outcomes["ok"] > 50 and outcomes["bad"] > 50
