"""Channel.query_message: the question as an ``ares_dns_record_t`` with chosen header bits,
and the whole answer as a :class:`~ctypes_cares.records.DNSMessage`.

pycares hands back the records only; users asking for the AD bit, the rcode of a
negative answer or DNSSEC records (``dnssec_ok``: the DO bit in an OPT record) need the
message itself.  The question goes out through ``ares_send_dnsrec`` (c-ares >= 1.28),
which sends a record as built; the answer is written back to wire form once
(``_answer.dns_record_wire``) and decoded here.
"""

from __future__ import annotations

import struct
from ctypes import byref, c_void_p
from typing import Any, List, Optional, Tuple

from . import _lib
from . import constants as C
from ._answer import dns_record_wire
from ._lib import lib
from ._wire import DECODERS_WITH_SVCB, _NameCache, _read_name, _read_params
from .errno import ARES_EBADNAME, ARES_SUCCESS
from .records import (
    EDNS,
    BadResponse,
    DNSFlags,
    DNSMessage,
    DNSRecord,
    RawRecordData,
)
from .utils import parse_name

_HEADER = struct.Struct("!6H")
_QUESTION_FIXED = 4  # type, class
_RR_FIXED = struct.Struct("!HHIH")


# -- the question ---------------------------------------------------------------------


def check_code(value: Any, what: str) -> int:
    """A record type or class: any 16-bit number (``query_message`` takes any)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{what} must be 0..65535")
    return value


def build_query(
    name: Any, query_type: int, query_class: int, flags: int, edns: Optional[Tuple[int, bool]]
) -> Tuple[int, Any]:
    """``(status, record)``: one question with header ``flags`` (ares_dns_flags_t) and,
    for ``edns=(udp_size, dnssec_ok)``, an OPT record.  The caller destroys the record
    (``ares_dns_record_destroy``) when the status is ARES_SUCCESS."""
    cname = name if isinstance(name, bytes) else parse_name(name)
    if b"\x00" in cname:  # c-ares reads a C string: a NUL would silently cut it
        return ARES_EBADNAME, None
    record = _lib.dns_record_p()
    status = lib.ares_dns_record_create(byref(record), 0, flags, C.OPCODE_QUERY, C.RCODE_NOERROR)
    if status != ARES_SUCCESS:
        return int(status), None
    status = lib.ares_dns_record_query_add(record, cname, query_type, query_class)
    if status == ARES_SUCCESS and edns is not None:
        status = _add_opt(record, *edns)
    if status != ARES_SUCCESS:
        lib.ares_dns_record_destroy(record)
        return int(status), None
    return ARES_SUCCESS, record


def _add_opt(record: Any, udp_size: int, dnssec_ok: bool) -> int:
    rr = c_void_p()
    status = lib.ares_dns_record_rr_add(
        byref(rr), record, C.SECTION_ADDITIONAL, b"", C.TYPE_OPT, C.QUERY_CLASS_IN, 0
    )
    for set_value, key, value in (
        (lib.ares_dns_rr_set_u16, C.RR_OPT_UDP_SIZE, udp_size),
        (lib.ares_dns_rr_set_u8, C.RR_OPT_VERSION, 0),
        (lib.ares_dns_rr_set_u16, C.RR_OPT_FLAGS, C.EDNS_FLAG_DO if dnssec_ok else 0),
    ):
        if status == ARES_SUCCESS:
            status = set_value(rr, key, value)
    return int(status)


# -- the answer -----------------------------------------------------------------------


def message_from_record(record: Optional[int]) -> DNSMessage:
    """The answer record c-ares parsed, as a DNSMessage (inside the completion callback)."""
    wire = dns_record_wire(record)
    if not isinstance(wire, bytes):  # pragma: no cover - c-ares could not write it out
        raise BadResponse("c-ares cannot write this answer out")
    return parse_dns_message(wire)


def parse_dns_message(raw: bytes) -> DNSMessage:
    """Decode a DNS message; BadResponse if it is malformed."""
    try:
        return _parse(raw)
    except (IndexError, struct.error):
        raise BadResponse("message truncated") from None


def _parse(raw: bytes) -> DNSMessage:
    msg_id, bits, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(raw)
    cache: _NameCache = {}
    pos = _HEADER.size
    for _ in range(qdcount):
        pos = _read_name(raw, pos, cache)[1] + _QUESTION_FIXED
    sections: List[List[DNSRecord]] = []
    edns: Optional[EDNS] = None
    extended_rcode = 0
    for count in (ancount, nscount, arcount):
        records: List[DNSRecord] = []
        for _ in range(count):
            name, pos = _read_name(raw, pos, cache)
            rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(raw, pos)
            pos += _RR_FIXED.size
            end = pos + rdlength
            if end > len(raw):
                raise BadResponse("record data runs past the end of the message")
            if rtype == C.TYPE_OPT:
                # class: the UDP size; TTL: extended rcode, version, flags (RFC 6891 6.1.3)
                extended_rcode = ttl >> 24
                options = _read_params(raw, pos, end)
                edns = EDNS(rclass, ttl >> 16 & 0xFF, bool(ttl & C.EDNS_FLAG_DO), options)
            else:
                decode = DECODERS_WITH_SVCB.get(rtype)
                data = decode(raw, pos, end, cache) if decode else RawRecordData(raw[pos:end])
                records.append(DNSRecord(name, rtype, rclass, ttl, data))  # type: ignore[arg-type]
            pos = end
        sections.append(records)
    flags = DNSFlags(**{name: bool(bits >> bit & 1) for name, bit in C.HEADER_BITS.items()})
    return DNSMessage(
        id=msg_id,
        flags=flags,
        opcode=bits >> C.HEADER_OPCODE_SHIFT & 0xF,
        rcode=extended_rcode << 4 | bits & 0xF,
        answer=sections[0],
        authority=sections[1],
        additional=sections[2],
        edns=edns,
        raw=bytes(raw),
    )
