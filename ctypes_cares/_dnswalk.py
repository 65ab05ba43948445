"""Decoding a parsed c-ares answer with c-ares's record accessors (the slow path).

Used only for answers ``ares_dns_write`` refuses to re-serialise (see ``_dnsrec``): a
few C calls per record field instead of one per answer, so it lives apart and is
imported on first use.  Must be called while the record is still valid, i.e. inside the
completion callback.  Keys are ares_dns_rr_key_t values: type * 100 + field number.
"""

from __future__ import annotations

import socket
from ctypes import byref, c_size_t, c_void_p
from typing import Any, List, Optional

from ._lib import (
    ARES_SECTION_ADDITIONAL,
    ARES_SECTION_ANSWER,
    ARES_SECTION_AUTHORITY,
    copy_bytes,
    lib,
)
from .records import (
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

__all__ = ["walk"]


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
    return ARecordData(socket.inet_ntop(socket.AF_INET, copy_bytes(lib.ares_dns_rr_get_addr(rr, 101), 4)))


def _aaaa(rr: int) -> Any:
    raw = copy_bytes(lib.ares_dns_rr_get_addr6(rr, 2801), 16)
    return AAAARecordData(socket.inet_ntop(socket.AF_INET6, raw))


def _txt(rr: int) -> Any:
    chunks = []
    size = c_size_t()
    for idx in range(lib.ares_dns_rr_get_abin_cnt(rr, 1601)):
        ptr = lib.ares_dns_rr_get_abin(rr, 1601, idx, byref(size))
        if ptr and size.value:
            chunks.append(copy_bytes(ptr, size.value))
    return TXTRecordData(b"".join(chunks))


def _caa(rr: int) -> Any:
    value: Any = _bin(rr, 25703).split(b"\x00", 1)[0]
    try:
        value = value.decode("ascii")
    except UnicodeDecodeError:
        pass
    return CAARecordData(lib.ares_dns_rr_get_u8(rr, 25701), _text(lib.ares_dns_rr_get_str(rr, 25702)), value)


def _https(rr: int) -> Any:
    params = []
    val = c_void_p()
    size = c_size_t()
    for idx in range(lib.ares_dns_rr_get_opt_cnt(rr, 6503)):
        key = lib.ares_dns_rr_get_opt(rr, 6503, idx, byref(val), byref(size))
        params.append((key, copy_bytes(val.value, size.value) if val.value and size.value else b""))
    return HTTPSRecordData(
        lib.ares_dns_rr_get_u16(rr, 6501), _name(lib.ares_dns_rr_get_str(rr, 6502)), params
    )


def _decoders() -> Any:
    u16, u32, s = lib.ares_dns_rr_get_u16, lib.ares_dns_rr_get_u32, lib.ares_dns_rr_get_str
    return {
        1: _a,
        28: _aaaa,
        2: lambda rr: NSRecordData(_name(s(rr, 201))),
        5: lambda rr: CNAMERecordData(_name(s(rr, 501))),
        12: lambda rr: PTRRecordData(_name(s(rr, 1201))),
        15: lambda rr: MXRecordData(u16(rr, 1501), _name(s(rr, 1502))),
        16: _txt,
        6: lambda rr: SOARecordData(
            _name(s(rr, 601)), _name(s(rr, 602)), *(u32(rr, k) for k in range(603, 608))
        ),
        33: lambda rr: SRVRecordData(u16(rr, 3302), u16(rr, 3303), u16(rr, 3304), _name(s(rr, 3305))),
        35: lambda rr: NAPTRRecordData(
            u16(rr, 3501),
            u16(rr, 3502),
            _text(s(rr, 3503)),
            _text(s(rr, 3504)),
            _text(s(rr, 3505)),
            _name(s(rr, 3506)),
        ),
        52: lambda rr: TLSARecordData(
            lib.ares_dns_rr_get_u8(rr, 5201),
            lib.ares_dns_rr_get_u8(rr, 5202),
            lib.ares_dns_rr_get_u8(rr, 5203),
            _bin(rr, 5204),
        ),
        65: _https,
        256: lambda rr: URIRecordData(u16(rr, 25601), u16(rr, 25602), _text(s(rr, 25603))),
        257: _caa,
    }


_DECODERS = _decoders() if lib.ares_dns_rr_get_abin is not None else {}


def walk(record: int) -> DNSResult:
    sections: List[List[DNSRecord]] = []
    for section in (ARES_SECTION_ANSWER, ARES_SECTION_AUTHORITY, ARES_SECTION_ADDITIONAL):
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
