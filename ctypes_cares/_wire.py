"""The DNS wire decoder behind :func:`ctypes_cares.records.parse_dns_response`.

It turns one complete DNS message into a :class:`~ctypes_cares.records.DNSResult` the
way pycares 5.2.1 presents what c-ares 1.34.9 parsed: the same records, the same
presentation of names, and the same verdict on malformed input. Whatever c-ares'
``ares_dns_parse`` rejects raises :class:`~ctypes_cares.records.BadResponse` (the binding
reports it as ``ARES_EBADRESP``); the rules mirrored are listed next to the code that
applies them.

Pure Python: no ctypes.
"""

from __future__ import annotations

import functools
import re
import socket
import struct
from collections.abc import Callable
from typing import Optional, TypeVar, Union

from . import constants as C
from .records import (
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
    RecordData,
    SOARecordData,
    SRVRecordData,
    SVCBRecordData,
    TLSARecordData,
    TXTRecordData,
    URIRecordData,
)

__all__ = ["parse_dns_response"]


# ---------------------------------------------------------------------------------------
# Names
#
# c-ares (ares_dns_name.c) renders a label byte as itself when it is printable ASCII
# (0x20..0x7e, so a space stays a space), prefixed with a backslash when it is one of
# the reserved characters  " . ; \ ( ) @ $ , and as \DDD (three decimal digits)
# otherwise. Labels are joined with '.', no trailing dot; the root name is ''.

_RESERVED = b'".;\\()@$'
_ESCAPED: tuple[bytes, ...] = tuple(
    (b"\\" + bytes((c,)) if c in _RESERVED else bytes((c,))) if 0x20 <= c <= 0x7E else b"\\%03d" % c
    for c in range(256)
)
_NEEDS_ESCAPE = re.compile(
    b"[" + b"".join(b"\\x%02x" % c for c in range(256) if _ESCAPED[c] != bytes((c,))) + b"]"
)
_NOT_PRINTABLE = re.compile(b"[^\\x20-\\x7e]")

# ARES_MAX_NAME_PRESENTATION_LEN and ARES_MAX_INDIRS of c-ares 1.34.9.
_MAX_NAME_LEN = 255
_MAX_POINTERS = 128

# A decoded name: (presentation text, presentation length as c-ares counts it (label
# octets plus one separator between labels), compression pointers followed).
_Name = tuple[str, int, int]
_NameCache = dict[int, _Name]


def _read_name(msg: bytes, pos: int, cache: _NameCache, compress: bool = True) -> tuple[str, int]:
    """Decode the name at ``pos``; return its text and the offset just after it.

    Mirrors ``ares_dns_name_parse``: a pointer must target an offset strictly below
    every offset this name has read so far (so only backwards, never a loop), at most
    128 pointers per name, reserved label types 0x40/0x80 are rejected, and the
    presentation length may not exceed 255. ``compress=False`` rejects any pointer
    (SVCB/HTTPS targets). ``cache`` maps message offsets to names already decoded
    from there; a name reached through a pointer is the same wherever it is reached
    from, so a hit is only re-checked against the length and pointer limits.
    """
    start = limit = pos
    labels: list[bytes] = []
    plen = 0
    pointers = 0
    after = -1
    jumps: list[tuple[int, int, int]] = []
    suffix: Optional[_Name] = None
    while True:
        c = msg[pos]
        if c < 0x40:
            if c == 0:
                if after < 0:
                    after = pos + 1
                break
            stop = pos + 1 + c
            if stop > len(msg):
                raise BadResponse("label runs past the end of the message")
            plen += c + 1 if plen else c
            if plen > _MAX_NAME_LEN:
                raise BadResponse("name longer than 255 octets")
            raw = msg[pos + 1 : stop]
            # bytes.isalnum() (ASCII letters and digits) settles most labels cheaply.
            if not raw.isalnum() and _NEEDS_ESCAPE.search(raw) is not None:
                raw = b"".join([_ESCAPED[b] for b in raw])
            labels.append(raw)
            pos = stop
        elif c >= 0xC0:
            if not compress:
                raise BadResponse("compression pointer where none is allowed")
            target = ((c & 0x3F) << 8) | msg[pos + 1]
            if target >= limit:
                raise BadResponse("compression pointer does not point backwards")
            pointers += 1
            if pointers > _MAX_POINTERS:
                raise BadResponse("too many compression pointers")
            if after < 0:
                after = pos + 2
            suffix = cache.get(target)
            if suffix is not None:
                break
            jumps.append((target, len(labels), plen))
            pos = limit = target
        else:
            raise BadResponse("reserved label type")

    text = b".".join(labels).decode("ascii")
    if suffix is not None:
        stext, splen, spointers = suffix
        if splen:
            plen = plen + 1 + splen if plen else splen
            if plen > _MAX_NAME_LEN:
                raise BadResponse("name longer than 255 octets")
            text = text + "." + stext if text else stext
        pointers += spointers
        if pointers > _MAX_POINTERS:
            raise BadResponse("too many compression pointers")
    cache[start] = (text, plen, pointers)
    if jumps:
        _cache_jump_targets(cache, jumps, labels, plen, pointers, suffix)
    return text, after


def _cache_jump_targets(
    cache: _NameCache,
    jumps: list[tuple[int, int, int]],
    labels: list[bytes],
    plen: int,
    pointers: int,
    suffix: Optional[_Name],
) -> None:
    """Cache the name that starts at each pointer target ``_read_name`` followed: the
    labels read from there on, plus the cached ``suffix`` it ended on."""
    for depth, (target, nlabels, before) in enumerate(jumps, 1):
        if before == 0:
            tail_len = plen
        elif plen == before:
            tail_len = 0
        else:
            tail_len = plen - before - 1
        tail = b".".join(labels[nlabels:]).decode("ascii")
        if suffix is not None and suffix[0]:
            tail = tail + "." + suffix[0] if tail else suffix[0]
        cache[target] = (tail, tail_len, pointers - depth)


def _read_text(msg: bytes, pos: int, end: int) -> tuple[str, int]:
    """Decode a <character-string> of printable ASCII (``ares_buf_parse_dns_str``)."""
    if pos >= end:
        raise BadResponse("missing character-string")
    stop = pos + 1 + msg[pos]
    if stop > end:
        raise BadResponse("character-string overruns its record")
    text = msg[pos + 1 : stop].decode("latin-1")
    # (For ASCII text, str.isprintable() is exactly 0x20..0x7e; "" counts as printable.)
    if not (text.isascii() and text.isprintable()):
        raise BadResponse("non-printable byte in character-string")
    return text, stop


def _read_params(msg: bytes, pos: int, end: int) -> list[tuple[int, bytes]]:
    """Decode SvcParams / EDNS options: ``(key, raw value)`` pairs.

    c-ares keeps them in wire order; a repeated key replaces the value of the first
    occurrence in place.
    """
    params: dict[int, bytes] = {}
    while pos < end:
        if pos + 4 > end:
            raise BadResponse("truncated parameter header")
        key, size = _HH.unpack_from(msg, pos)
        pos += 4
        stop = pos + size
        if stop > end:
            raise BadResponse("parameter value overruns its record")
        params[key] = msg[pos:stop]
        pos = stop
    return list(params.items())


# ---------------------------------------------------------------------------------------
# RDATA decoders: (message, rdata start, rdata end, name cache) -> record data.
#
# As in ares_dns_parse_rr(): reading past the rdata is an error, fewer bytes than the
# rdata holds is fine (the rest is skipped), and names may point anywhere earlier.

_HH = struct.Struct("!HH")
_H = struct.Struct("!H")
_HHH = struct.Struct("!HHH")
_SOA_NUMBERS = struct.Struct("!IIIII")
_RR_FIXED = struct.Struct("!HHIH")
_PTR_A_RR = struct.Struct("!HHHIH4B")  # an RR with a pointer owner, + 4 rdata octets
_HEADER = struct.Struct("!2xHHHHH")

_inet_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6

_Decoder = Callable[[bytes, int, int, _NameCache], RecordData]


def _short() -> BadResponse:
    return BadResponse("record data too short for its type")


# Dotted-quad text built from per-octet strings: the same text as inet_ntop gives,
# without its call overhead (this runs once per A record).
_OCTET_DOT: tuple[str, ...] = tuple(f"{i}." for i in range(256))
_OCTET: tuple[str, ...] = tuple(str(i) for i in range(256))


def _decode_a(msg: bytes, pos: int, end: int, cache: _NameCache) -> ARecordData:
    if end - pos < 4:
        raise _short()
    dot = _OCTET_DOT
    return ARecordData(dot[msg[pos]] + dot[msg[pos + 1]] + dot[msg[pos + 2]] + _OCTET[msg[pos + 3]])


def _decode_aaaa(msg: bytes, pos: int, end: int, cache: _NameCache) -> AAAARecordData:
    if end - pos < 16:
        raise _short()
    return AAAARecordData(_inet_ntop(_AF_INET6, msg[pos : pos + 16]))


def _rdata_name(msg: bytes, pos: int, end: int, cache: _NameCache, compress: bool = True) -> str:
    name, stop = _read_name(msg, pos, cache, compress)
    if stop > end:
        raise BadResponse("name overruns its record")
    return name


def _decode_ns(msg: bytes, pos: int, end: int, cache: _NameCache) -> NSRecordData:
    return NSRecordData(_rdata_name(msg, pos, end, cache))


def _decode_cname(msg: bytes, pos: int, end: int, cache: _NameCache) -> CNAMERecordData:
    return CNAMERecordData(_rdata_name(msg, pos, end, cache))


def _decode_ptr(msg: bytes, pos: int, end: int, cache: _NameCache) -> PTRRecordData:
    return PTRRecordData(_rdata_name(msg, pos, end, cache))


def _decode_mx(msg: bytes, pos: int, end: int, cache: _NameCache) -> MXRecordData:
    if end - pos < 3:
        raise _short()
    (preference,) = _H.unpack_from(msg, pos)
    return MXRecordData(preference, _rdata_name(msg, pos + 2, end, cache))


def _decode_soa(msg: bytes, pos: int, end: int, cache: _NameCache) -> SOARecordData:
    mname, pos = _read_name(msg, pos, cache)
    rname, pos = _read_name(msg, pos, cache)
    if end - pos < 20:
        raise _short()
    return SOARecordData(mname, rname, *_SOA_NUMBERS.unpack_from(msg, pos))


def _decode_txt(msg: bytes, pos: int, end: int, cache: _NameCache) -> TXTRecordData:
    # c-ares rejects an empty TXT rdata; strings must end exactly at the rdata end.
    if pos >= end:
        raise _short()
    stop = pos + 1 + msg[pos]
    if stop == end:
        return TXTRecordData(msg[pos + 1 : stop])
    chunks = []
    while pos < end:
        stop = pos + 1 + msg[pos]
        chunks.append(msg[pos + 1 : stop])
        pos = stop
    if pos > end:
        raise BadResponse("TXT string overruns its record")
    return TXTRecordData(b"".join(chunks))


def _decode_srv(msg: bytes, pos: int, end: int, cache: _NameCache) -> SRVRecordData:
    if end - pos < 7:
        raise _short()
    priority, weight, port = _HHH.unpack_from(msg, pos)
    return SRVRecordData(priority, weight, port, _rdata_name(msg, pos + 6, end, cache))


def _decode_naptr(msg: bytes, pos: int, end: int, cache: _NameCache) -> NAPTRRecordData:
    if end - pos < 5:
        raise _short()
    order, preference = _HH.unpack_from(msg, pos)
    flags, pos = _read_text(msg, pos + 4, end)
    service, pos = _read_text(msg, pos, end)
    regexp, pos = _read_text(msg, pos, end)
    replacement = _rdata_name(msg, pos, end, cache)
    return NAPTRRecordData(order, preference, flags, service, regexp, replacement)


def _decode_tlsa(msg: bytes, pos: int, end: int, cache: _NameCache) -> TLSARecordData:
    if end - pos < 4:  # the association data may not be empty
        raise _short()
    return TLSARecordData(msg[pos], msg[pos + 1], msg[pos + 2], msg[pos + 3 : end])


def _decode_https(msg: bytes, pos: int, end: int, cache: _NameCache) -> HTTPSRecordData:
    return _service_binding(HTTPSRecordData, msg, pos, end, cache)


def _decode_svcb(msg: bytes, pos: int, end: int, cache: _NameCache) -> SVCBRecordData:
    return _service_binding(SVCBRecordData, msg, pos, end, cache)


_Binding = TypeVar("_Binding", bound=HTTPSRecordData)


def _service_binding(
    cls: type[_Binding], msg: bytes, pos: int, end: int, cache: _NameCache
) -> _Binding:
    """SVCB and HTTPS rdata (RFC 9460: the same layout)."""
    if end - pos < 3:
        raise _short()
    (priority,) = _H.unpack_from(msg, pos)
    # RFC 9460: no compression in the target; c-ares enforces that on receipt.
    target, pos = _read_name(msg, pos + 2, cache, False)
    if pos > end:
        raise BadResponse("name overruns its record")
    return cls(priority, target, _read_params(msg, pos, end))


def _decode_uri(msg: bytes, pos: int, end: int, cache: _NameCache) -> URIRecordData:
    if end - pos < 5:  # the target may not be empty
        raise _short()
    if _NOT_PRINTABLE.search(msg, pos + 4, end) is not None:
        raise BadResponse("non-printable byte in URI target")
    priority, weight = _HH.unpack_from(msg, pos)
    return URIRecordData(priority, weight, msg[pos + 4 : end].decode("ascii"))


def _decode_caa(msg: bytes, pos: int, end: int, cache: _NameCache) -> CAARecordData:
    if pos >= end:
        raise _short()
    critical = msg[pos]
    tag, pos = _read_text(msg, pos + 1, end)
    if not tag or pos >= end:  # c-ares requires a tag and a non-empty value
        raise BadResponse("CAA record without tag or value")
    raw = msg[pos:end]
    nul = raw.find(0)
    if nul >= 0:
        raw = raw[:nul]
    value: Union[str, bytes]
    try:
        value = raw.decode("ascii")
    except UnicodeDecodeError:
        value = raw
    return CAARecordData(critical, tag, value)  # type: ignore[arg-type]


_DECODERS: dict[int, _Decoder] = {
    C.QUERY_TYPE_A: _decode_a,
    C.QUERY_TYPE_NS: _decode_ns,
    C.QUERY_TYPE_CNAME: _decode_cname,
    C.QUERY_TYPE_SOA: _decode_soa,
    C.QUERY_TYPE_PTR: _decode_ptr,
    C.QUERY_TYPE_MX: _decode_mx,
    C.QUERY_TYPE_TXT: _decode_txt,
    C.QUERY_TYPE_AAAA: _decode_aaaa,
    C.QUERY_TYPE_SRV: _decode_srv,
    C.QUERY_TYPE_NAPTR: _decode_naptr,
    C.QUERY_TYPE_TLSA: _decode_tlsa,
    C.QUERY_TYPE_HTTPS: _decode_https,
    C.QUERY_TYPE_URI: _decode_uri,
    C.QUERY_TYPE_CAA: _decode_caa,
}
#: For Channel.query_message (an extension: pycares drops SVCB records).
DECODERS_WITH_SVCB: dict[int, _Decoder] = {**_DECODERS, C.QUERY_TYPE_SVCB: _decode_svcb}


# Types c-ares parses but pycares drops: they still have to be well formed, or c-ares
# fails the whole message. Each checker raises BadResponse or returns None.


def _check_hinfo(msg: bytes, pos: int, end: int, cache: _NameCache) -> None:
    pos = _read_text(msg, pos, end)[1]
    _read_text(msg, pos, end)


def _check_sig(msg: bytes, pos: int, end: int, cache: _NameCache) -> None:
    if end - pos < 18:
        raise _short()
    if _read_name(msg, pos + 18, cache)[1] >= end:  # the signature may not be empty
        raise BadResponse("SIG record without signature")


def _check_opt(msg: bytes, pos: int, end: int, cache: _NameCache) -> None:
    _read_params(msg, pos, end)


def _check_svcb(msg: bytes, pos: int, end: int, cache: _NameCache) -> None:
    _decode_svcb(msg, pos, end, cache)


def _check_any(msg: bytes, pos: int, end: int, cache: _NameCache) -> None:
    raise BadResponse("RR of type ANY")


_CHECKERS: dict[int, Callable[[bytes, int, int, _NameCache], None]] = {
    C.TYPE_HINFO: _check_hinfo,
    C.TYPE_SIG: _check_sig,
    C.TYPE_OPT: _check_opt,
    C.QUERY_TYPE_SVCB: _check_svcb,
    C.QUERY_TYPE_ANY: _check_any,
}

# ares_dns_class_isvalid() for a known RR type in a response: IN, CHAOS, HESIOD, NONE
# (ANY only for SIG); OPT is exempt because c-ares files it as class IN.
_RR_CLASSES = frozenset((C.QUERY_CLASS_IN, C.QUERY_CLASS_CHAOS, C.QUERY_CLASS_HS, C.QUERY_CLASS_NONE))
# ... and for the question: the same plus ANY.
_QUESTION_CLASSES = _RR_CLASSES | {C.QUERY_CLASS_ANY}
_MIN_RR_LEN = 11
# ares_dns_opcode_isvalid(): QUERY, IQUERY, STATUS, NOTIFY, UPDATE.
_OPCODES = frozenset((0, 1, 2, 4, 5))


# ---------------------------------------------------------------------------------------
# The message


def parse_dns_response(
    data: Union[bytes, bytearray, memoryview], *, written_by_cares: bool = False
) -> DNSResult:
    """Decode a complete DNS message into a :class:`DNSResult`.

    Every RR of the answer, authority and additional sections becomes a
    :class:`DNSRecord` when its type is one of the 14 pycares decodes (A, AAAA, NS,
    CNAME, SOA, PTR, MX, TXT, SRV, NAPTR, TLSA, HTTPS, URI, CAA); other types (OPT,
    SVCB, RRSIG, HINFO, ...) are dropped. The question is checked and skipped.

    Raises :class:`BadResponse` for any message c-ares 1.34.9 would refuse to parse:
    truncation, counts larger than the data, bad/forward/looping compression pointers,
    reserved label types, names over 255 octets, record data too short or overrunning,
    empty TXT/TLSA/URI/CAA payloads, non-printable NAPTR/HINFO/CAA-tag strings or URI
    targets, classes c-ares does not accept for the type, an RR of type ANY, compressed
    SVCB/HTTPS targets, several OPT records, an unknown opcode, or not exactly one
    question. Trailing bytes after the last RR and unused bytes at the end of an rdata
    are accepted, as c-ares does. Input that is not bytes-like raises ``TypeError``.

    ``written_by_cares``: the bytes come from ``ares_dns_write`` of a message c-ares
    parsed itself, so they are well formed; the authority and additional sections are
    then decoded when the result's ``authority`` or ``additional`` is first read.
    """
    msg = data if type(data) is bytes else bytes(memoryview(data))
    size = len(msg)
    if size < 12:
        raise BadResponse("message shorter than a DNS header")
    if size > 0xFFFF:
        raise BadResponse("message longer than 65535 bytes")
    flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(msg)
    if (flags >> 11) & 0xF not in _OPCODES:
        raise BadResponse("unknown opcode")
    if qdcount != 1:
        raise BadResponse("message does not hold exactly one question")
    cache: _NameCache = {}
    answer: list[DNSRecord] = []
    try:
        pos = _read_name(msg, 12, cache)[1]
        qclass = _HH.unpack_from(msg, pos)[1]
        if qclass not in _QUESTION_CLASSES:
            raise BadResponse("question class not accepted by c-ares")
        pos += 4
        if ancount + nscount + arcount > (size - pos) // _MIN_RR_LEN:
            raise BadResponse("more records announced than the message can hold")
        pos = _read_records(msg, pos, ancount, answer, cache, False)
        if written_by_cares and (nscount or arcount):
            # c-ares parsed this message before writing it out: it is well formed.
            # Most callers never read these sections; decode them on first use.
            result: DNSResult = object.__new__(DNSResult)
            result.answer = answer
            result.__dict__["_rest"] = functools.partial(
                _read_rest_later, msg, pos, nscount, arcount, cache
            )
            return result
        authority, additional = _read_rest(msg, pos, nscount, arcount, cache)
    except (IndexError, struct.error):
        raise BadResponse("message truncated") from None
    return DNSResult(answer, authority, additional)


def _read_rest_later(
    msg: bytes, pos: int, nscount: int, arcount: int, cache: _NameCache
) -> tuple[list[DNSRecord], list[DNSRecord]]:
    try:
        return _read_rest(msg, pos, nscount, arcount, cache)
    except (IndexError, struct.error):  # pragma: no cover - c-ares wrote it
        raise BadResponse("message truncated") from None


def _read_rest(
    msg: bytes, pos: int, nscount: int, arcount: int, cache: _NameCache
) -> tuple[list[DNSRecord], list[DNSRecord]]:
    """The authority and additional sections, from ``pos`` (just after the answers)."""
    authority: list[DNSRecord] = []
    additional: list[DNSRecord] = []
    pos = _read_records(msg, pos, nscount, authority, cache, False)
    _read_records(msg, pos, arcount, additional, cache, True)
    return authority, additional


def _read_records(
    msg: bytes, pos: int, count: int, records: list[DNSRecord], cache: _NameCache, additional: bool
) -> int:
    """Decode ``count`` RRs from ``pos`` into ``records``; return the offset after them.

    ``additional``: the additional section, the only one that may hold (one) OPT RR.
    """
    size = len(msg)
    decoders = _DECODERS
    checkers = _CHECKERS
    classes = _RR_CLASSES
    type_a, class_in = C.QUERY_TYPE_A, C.QUERY_CLASS_IN
    dot = _OCTET_DOT
    octet = _OCTET
    ptr_rr = _PTR_A_RR.unpack_from
    new = object.__new__
    opt_records = 0
    for _ in range(count):
        # The common owner name is a pointer to a name decoded before (every cached
        # offset lies before ``pos``); then one unpack reads it together with the
        # fixed fields and four rdata octets (an IN A record's whole address).
        known = None
        if pos + 16 <= size:
            pointer, rtype, rclass, ttl, rdlength, o1, o2, o3, o4 = ptr_rr(msg, pos)
            if pointer >= 0xC000:
                known = cache.get(pointer - 0xC000)
        if known is not None and known[2] < _MAX_POINTERS:
            name = known[0]
            pos += 12
        else:
            known = None
            name, pos = _read_name(msg, pos, cache)
            rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(msg, pos)
            pos += 10
        end = pos + rdlength
        if end > size:
            raise BadResponse("record data runs past the end of the message")
        # Records are built with object.__new__ and attribute stores: the same objects
        # the dataclass __init__ makes, at two thirds of the cost (the hot path;
        # CPython < 3.13 does not inline calls to Python __init__).
        rdata: RecordData
        if rtype == type_a and rdlength == 4 and rclass == class_in and known is not None:
            # Fast path for the most common record: an IN A address after a known owner.
            address = new(ARecordData)
            address.addr = dot[o1] + dot[o2] + dot[o3] + octet[o4]
            rdata = address
        else:
            decoder = decoders.get(rtype)
            if decoder is None:
                # Dropped, but c-ares still parses it: it has to be well formed.
                checker = checkers.get(rtype)
                if checker is not None:
                    if rtype == C.TYPE_OPT:
                        if additional:
                            opt_records += 1
                            if opt_records > 1:
                                raise BadResponse("more than one OPT record")
                    elif rclass not in classes and not (rtype == C.TYPE_SIG and rclass == C.QUERY_CLASS_ANY):
                        raise BadResponse("record class not accepted by c-ares")
                    checker(msg, pos, end, cache)
                pos = end
                continue
            if rclass not in classes:
                raise BadResponse("record class not accepted by c-ares")
            rdata = decoder(msg, pos, end, cache)
        record = new(DNSRecord)
        record.name = name
        record.type = rtype
        record.record_class = rclass
        record.ttl = ttl
        record.data = rdata
        records.append(record)
        pos = end
    return pos
