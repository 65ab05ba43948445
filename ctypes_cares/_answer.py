"""Turning a parsed c-ares answer (``const ares_dns_record_t *``) into a DNSResult.

Two ways, one job:

c-ares >= 1.28 hands query callbacks a parsed record, not the bytes received.  The fast
path writes it back to wire form with one ``ares_dns_write`` call and decodes the bytes
in Python (records.parse_dns_response): a handful of C calls per answer instead of
several per record field.

``ares_dns_write`` refuses some records c-ares itself accepted (owner names with
legal-but-unusual label bytes such as ``.``, ``\\``, NUL or 0xff; measured: 44 of 45 such
answers).  Those are decoded instead by walking the record with c-ares's accessors, so
such answers still arrive, as they do with pycares (:func:`walk`, below: a few C calls
per record field).
Must be called while the record is still valid, i.e. inside the completion callback.
"""

from __future__ import annotations

import socket
import struct
import threading
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Callable, Dict, List, Optional, Union

from . import constants as C
from ._lib import copy_bytes, lib, unchecked
from .errno import ARES_SUCCESS
from .records import (
    AAAARecordData,
    ARecordData,
    BadResponse,
    CAARecordData,
    CNAMERecordData,
    DNSFlags,
    DNSMessage,
    DNSRecord,
    DNSResult,
    EDNS,
    HTTPSRecordData,
    MXRecordData,
    NAPTRRecordData,
    NSRecordData,
    PTRRecordData,
    RawRecordData,
    SOARecordData,
    SRVRecordData,
    TLSARecordData,
    TXTRecordData,
    URIRecordData,
    parse_dns_response,
)

from ._wire import DECODERS_WITH_SVCB, _NameCache, _read_name, _read_params

__all__ = ["decode_dns_record", "dns_record_wire", "message_from_record", "parse_dns_message", "walk"]


def decode_dns_record(record: Any) -> DNSResult:
    """Decode the answer c-ares parsed; BadResponse if it cannot be decoded."""
    answer = dns_record_wire(record)
    if isinstance(answer, bytes):
        return parse_dns_response(answer, written_by_cares=True)
    return answer


def dns_record_wire(record: Any) -> Union[bytes, DNSResult]:
    """The answer as wire bytes to decode later, or already decoded where c-ares cannot
    write it back out (then only the accessor walk can read it, and only now)."""
    if not record:
        raise BadResponse("no answer record")
    try:
        buf, size, buf_ref, size_ref = _write_out.params
    except AttributeError:
        buf, size = c_void_p(), c_size_t()
        buf_ref, size_ref = byref(buf), byref(size)
        _write_out.params = (buf, size, buf_ref, size_ref)
    if _dns_write(record, buf_ref, size_ref) == ARES_SUCCESS:
        try:
            return copy_bytes(buf.value, size.value)
        finally:
            _free_string(buf)
    try:
        return walk(record)
    except Exception as exc:
        raise BadResponse(f"cannot walk the answer record: {exc}") from exc


#: ares_dns_write's out-parameters, one set per thread (callbacks of different channels
#: run on different threads).  Reused because each ctypes object costs an allocation,
#: and on PyPy raw memory its garbage collector does not count.
_write_out = threading.local()
# Called without argtypes (1 us less per answer on CPython): the record is the pointer
# object the completion thunk received, the others are ctypes objects.
_dns_write = unchecked(lib.ares_dns_write)
_free_string = unchecked(lib.ares_free_string)


# -- the accessor walk ----------------------------------------------------------------
# Keys are ares_dns_rr_key_t values (constants.RR_*).


def _text(raw: Optional[bytes]) -> str:
    return raw.decode("ascii", "backslashreplace") if raw is not None else ""


def _name(raw: Optional[bytes]) -> str:
    name = _text(raw)
    return "" if name == "." else name


def _bin(rr: int, key: int) -> bytes:
    size = c_size_t()
    ptr = lib.ares_dns_rr_get_bin(rr, key, byref(size))
    return copy_bytes(ptr, size.value) if ptr and size.value else b""


def _a(rr: int) -> Any:
    return ARecordData(
        socket.inet_ntop(socket.AF_INET, copy_bytes(lib.ares_dns_rr_get_addr(rr, C.RR_A_ADDR), 4))
    )


def _aaaa(rr: int) -> Any:
    raw = copy_bytes(lib.ares_dns_rr_get_addr6(rr, C.RR_AAAA_ADDR), 16)
    return AAAARecordData(socket.inet_ntop(socket.AF_INET6, raw))


def _txt(rr: int) -> Any:
    chunks = []
    size = c_size_t()
    for idx in range(lib.ares_dns_rr_get_abin_cnt(rr, C.RR_TXT_DATA)):
        ptr = lib.ares_dns_rr_get_abin(rr, C.RR_TXT_DATA, idx, byref(size))
        if ptr and size.value:
            chunks.append(copy_bytes(ptr, size.value))
    return TXTRecordData(b"".join(chunks))


def _caa(rr: int) -> Any:
    value: Any = _bin(rr, C.RR_CAA_VALUE).split(b"\x00", 1)[0]
    try:
        value = value.decode("ascii")
    except UnicodeDecodeError:
        pass
    return CAARecordData(
        lib.ares_dns_rr_get_u8(rr, C.RR_CAA_CRITICAL),
        _text(lib.ares_dns_rr_get_str(rr, C.RR_CAA_TAG)),
        value,
    )


def _https(rr: int) -> Any:
    params = []
    val = c_void_p()
    size = c_size_t()
    for idx in range(lib.ares_dns_rr_get_opt_cnt(rr, C.RR_HTTPS_PARAMS)):
        key = lib.ares_dns_rr_get_opt(rr, C.RR_HTTPS_PARAMS, idx, byref(val), byref(size))
        params.append((key, copy_bytes(val.value, size.value) if val.value and size.value else b""))
    return HTTPSRecordData(
        lib.ares_dns_rr_get_u16(rr, C.RR_HTTPS_PRIORITY),
        _name(lib.ares_dns_rr_get_str(rr, C.RR_HTTPS_TARGET)),
        params,
    )


def _decoders() -> Dict[int, Callable[[int], Any]]:
    u16, u32, s = lib.ares_dns_rr_get_u16, lib.ares_dns_rr_get_u32, lib.ares_dns_rr_get_str
    return {
        C.QUERY_TYPE_A: _a,
        C.QUERY_TYPE_AAAA: _aaaa,
        C.QUERY_TYPE_NS: lambda rr: NSRecordData(_name(s(rr, C.RR_NS_NSDNAME))),
        C.QUERY_TYPE_CNAME: lambda rr: CNAMERecordData(_name(s(rr, C.RR_CNAME_CNAME))),
        C.QUERY_TYPE_PTR: lambda rr: PTRRecordData(_name(s(rr, C.RR_PTR_DNAME))),
        C.QUERY_TYPE_MX: lambda rr: MXRecordData(
            u16(rr, C.RR_MX_PREFERENCE), _name(s(rr, C.RR_MX_EXCHANGE))
        ),
        C.QUERY_TYPE_TXT: _txt,
        C.QUERY_TYPE_SOA: lambda rr: SOARecordData(
            _name(s(rr, C.RR_SOA_MNAME)),
            _name(s(rr, C.RR_SOA_RNAME)),
            *(u32(rr, k) for k in range(C.RR_SOA_SERIAL, C.RR_SOA_SERIAL + 5)),
        ),
        C.QUERY_TYPE_SRV: lambda rr: SRVRecordData(
            u16(rr, C.RR_SRV_PRIORITY),
            u16(rr, C.RR_SRV_WEIGHT),
            u16(rr, C.RR_SRV_PORT),
            _name(s(rr, C.RR_SRV_TARGET)),
        ),
        C.QUERY_TYPE_NAPTR: lambda rr: NAPTRRecordData(
            u16(rr, C.RR_NAPTR_ORDER),
            u16(rr, C.RR_NAPTR_PREFERENCE),
            _text(s(rr, C.RR_NAPTR_FLAGS)),
            _text(s(rr, C.RR_NAPTR_SERVICES)),
            _text(s(rr, C.RR_NAPTR_REGEXP)),
            _name(s(rr, C.RR_NAPTR_REPLACEMENT)),
        ),
        C.QUERY_TYPE_TLSA: lambda rr: TLSARecordData(
            lib.ares_dns_rr_get_u8(rr, C.RR_TLSA_CERT_USAGE),
            lib.ares_dns_rr_get_u8(rr, C.RR_TLSA_SELECTOR),
            lib.ares_dns_rr_get_u8(rr, C.RR_TLSA_MATCH),
            _bin(rr, C.RR_TLSA_DATA),
        ),
        C.QUERY_TYPE_HTTPS: _https,
        C.QUERY_TYPE_URI: lambda rr: URIRecordData(
            u16(rr, C.RR_URI_PRIORITY), u16(rr, C.RR_URI_WEIGHT), _text(s(rr, C.RR_URI_TARGET))
        ),
        C.QUERY_TYPE_CAA: _caa,
    }


_DECODERS = _decoders() if lib.ares_dns_rr_get_abin is not None else {}


def walk(record: Any) -> DNSResult:
    """Decode the record with c-ares's accessors (answers ares_dns_write refuses)."""
    sections: List[List[DNSRecord]] = []
    for section in (C.SECTION_ANSWER, C.SECTION_AUTHORITY, C.SECTION_ADDITIONAL):
        records: List[DNSRecord] = []
        for idx in range(lib.ares_dns_record_rr_cnt(record, section)):
            rr = lib.ares_dns_record_rr_get_const(record, section, idx)
            rtype = lib.ares_dns_rr_get_type(rr)
            decode = _DECODERS.get(rtype)
            if decode is None or not rr:
                continue
            records.append(
                DNSRecord(
                    _name(lib.ares_dns_rr_get_name(rr)),
                    rtype,
                    lib.ares_dns_rr_get_class(rr),
                    lib.ares_dns_rr_get_ttl(rr),
                    decode(rr),
                )
            )
        sections.append(records)
    return DNSResult(*sections)


# -- Channel.query_message: the whole answer --------------------------------------------

_HEADER = struct.Struct("!6H")
_QUESTION_FIXED = 4  # type, class
_RR_FIXED = struct.Struct("!HHIH")


def message_from_record(record: Any) -> DNSMessage:
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
