"""DNS messages for the tests' server and for tests that build their own replies:
names (:func:`encode_name`, :func:`decode_name`), records (:class:`RR`, :class:`Raw`),
whole messages (:func:`build_message`, :func:`build_query`, :func:`parse_message`,
:func:`patch_id`).  Stdlib only.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

Labels = Tuple[bytes, ...]
NameLike = Union[str, Sequence[bytes]]

TYPES: Dict[str, int] = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
    "AAAA": 28, "SRV": 33, "NAPTR": 35, "OPT": 41, "DS": 43, "RRSIG": 46, "DNSKEY": 48,
    "TLSA": 52, "SVCB": 64, "HTTPS": 65,
    "ANY": 255, "URI": 256, "CAA": 257,
}
RCODES: Dict[str, int] = {"formerr": 1, "servfail": 2, "nxdomain": 3, "notimp": 4, "refused": 5}
FAULT_MODES = frozenset(RCODES) | {"drop", "close", "truncate", "nodata", "raw", "delay"}
EDNS_PAYLOAD = 1232
EDNS_DO = 0x8000  # the DNSSEC OK bit of the OPT record's flags (its TTL field's low half)
_MAX_CNAME_HOPS = 8
_COMPRESSIBLE = {2, 5, 6, 12, 15}  # NS CNAME SOA PTR MX: RFC 3597 section 4


# --------------------------------------------------------------------------- names

def parse_name(name: NameLike) -> Labels:
    """Labels of ``name``: presentation text (``\\.``, ``\\\\``, ``\\DDD`` escapes) or bytes labels."""
    if isinstance(name, (bytes, bytearray)):
        raise TypeError("a name is a str or a sequence of bytes labels, not bytes")
    if not isinstance(name, str):
        labels = tuple(name)
        if not all(isinstance(label, bytes) for label in labels):
            raise TypeError(f"name labels must be bytes: {name!r}")
    else:
        labels = _split_text_name(name)
    for label in labels:
        if not 0 < len(label) <= 63:
            raise ValueError(f"label length {len(label)} out of 1..63 in {name!r}")
    if sum(len(label) + 1 for label in labels) + 1 > 255:
        raise ValueError(f"name longer than 255 bytes: {name!r}")
    return labels


def _split_text_name(text: str) -> Labels:
    if text in ("", "."):
        return ()
    raw = text.encode("utf-8")
    labels: List[bytes] = []
    label = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            nxt = raw[i + 1:i + 4]
            if len(nxt) == 3 and nxt.isdigit():
                if int(nxt) > 255:
                    raise ValueError(f"bad \\DDD escape in {text!r}")
                label.append(int(nxt))
                i += 4
                continue
            if not nxt:
                raise ValueError(f"dangling backslash in {text!r}")
            label.append(nxt[0])
            i += 2
            continue
        if c == 0x2E:  # dot
            if not label:
                raise ValueError(f"empty label in {text!r}")
            labels.append(bytes(label))
            label = bytearray()
        else:
            label.append(c)
        i += 1
    if label:
        labels.append(bytes(label))
    return tuple(labels)


def name_to_text(labels: Iterable[bytes]) -> str:
    """Presentation form without trailing dot (root is ``"."``); escapes ``.``, ``\\`` and non-printables."""
    out = []
    for label in labels:
        chars = []
        for c in label:
            if c in (0x2E, 0x5C):
                chars.append("\\" + chr(c))
            elif 0x21 <= c <= 0x7E:
                chars.append(chr(c))
            else:
                chars.append(f"\\{c:03d}")
        out.append("".join(chars))
    return ".".join(out) or "."


def encode_name(name: NameLike) -> bytes:
    """Uncompressed wire form of ``name``."""
    return b"".join(bytes([len(label)]) + label for label in parse_name(name)) + b"\x00"


def _key(labels: Labels) -> Labels:
    return tuple(label.lower() for label in labels)


def decode_name(msg: bytes, offset: int) -> Tuple[Labels, int]:
    """Read a possibly compressed name at ``offset``; returns ``(labels, offset after it)``."""
    labels: List[bytes] = []
    end = -1
    pos = offset
    for _ in range(128):
        if pos >= len(msg):
            raise ValueError("name runs past end of message")
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise ValueError("truncated compression pointer")
            target = struct.unpack_from("!H", msg, pos)[0] & 0x3FFF
            if end < 0:
                end = pos + 2
            if target >= pos:
                raise ValueError("compression pointer does not point backwards")
            pos = target
        elif length & 0xC0:
            raise ValueError(f"bad label type 0x{length:02x}")
        elif length == 0:
            return tuple(labels), (end if end >= 0 else pos + 1)
        else:
            if pos + 1 + length > len(msg):
                raise ValueError("label runs past end of message")
            labels.append(bytes(msg[pos + 1:pos + 1 + length]))
            pos += 1 + length
    raise ValueError("too many labels or pointers")


# --------------------------------------------------------------------------- records

def type_code(rtype: Union[int, str]) -> int:
    """Numeric RR type of ``rtype`` (an int or a name such as ``"AAAA"``)."""
    if isinstance(rtype, str):
        try:
            return TYPES[rtype.upper()]
        except KeyError:
            if rtype.upper().startswith("TYPE") and rtype[4:].isdigit():
                return int(rtype[4:])
            raise ValueError(f"unknown RR type {rtype!r}") from None
    if isinstance(rtype, bool) or not isinstance(rtype, int) or not 0 <= rtype <= 0xFFFF:
        raise ValueError(f"bad RR type {rtype!r}")
    return rtype


class Raw(bytes):
    """Rdata written as-is; needed only for TXT, where plain bytes means one character-string."""


class _Name(NamedTuple):
    labels: Labels
    compressible: bool


_Part = Union[bytes, _Name]


def _charstr(value: Union[str, bytes, bytearray]) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(data) > 255:
        raise ValueError(f"character-string longer than 255 bytes: {data[:20]!r}...")
    return bytes([len(data)]) + data


def _rdata_parts(rtype: int, data: Any) -> List[_Part]:
    """Validate ``data`` for ``rtype`` and return the rdata as bytes and names to write."""
    if isinstance(data, (bytes, bytearray)) and (rtype != 16 or isinstance(data, Raw)):
        return [bytes(data)]
    comp = rtype in _COMPRESSIBLE
    if rtype == 1:
        return [ipaddress.IPv4Address(data).packed]
    if rtype == 28:
        return [ipaddress.IPv6Address(data).packed]
    if rtype in (2, 5, 12):
        return [_Name(parse_name(data), True)]
    if rtype == 15:
        pref, exchange = data
        return [struct.pack("!H", pref), _Name(parse_name(exchange), True)]
    if rtype == 16:
        strings = [data] if isinstance(data, (str, bytes, bytearray)) else list(data)
        return [b"".join(_charstr(s) for s in strings)]
    if rtype == 6:
        mname, rname, *numbers = data
        return [_Name(parse_name(mname), comp), _Name(parse_name(rname), comp),
                struct.pack("!IIIII", *numbers)]
    if rtype == 33:
        priority, weight, port, target = data
        return [struct.pack("!HHH", priority, weight, port), _Name(parse_name(target), False)]
    if rtype == 35:
        order, pref, flags, service, regexp, replacement = data
        return [struct.pack("!HH", order, pref) + _charstr(flags) + _charstr(service)
                + _charstr(regexp), _Name(parse_name(replacement), False)]
    if rtype == 52:
        usage, selector, mtype, blob = data
        return [struct.pack("!BBB", usage, selector, mtype) + bytes(blob)]
    if rtype in (64, 65):
        priority, target, params = data
        blob = b"".join(struct.pack("!HH", key, len(value)) + bytes(value) for key, value in params)
        return [struct.pack("!H", priority), _Name(parse_name(target), False), blob]
    if rtype == 256:
        priority, weight, target = data
        raw = target.encode("utf-8") if isinstance(target, str) else bytes(target)
        return [struct.pack("!HH", priority, weight) + raw]
    if rtype == 257:
        flags, tag, value = data
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return [struct.pack("!B", flags) + _charstr(tag) + raw]
    raise TypeError(f"no data format for RR type {rtype}: pass the rdata as bytes")


class RR:
    """One resource record; ``data`` is validated and encoded on construction."""

    def __init__(self, name: NameLike, rtype: Union[int, str], data: Any, ttl: int = 300,
                 rclass: int = 1) -> None:
        self.name: Labels = parse_name(name)
        self.rtype = type_code(rtype)
        if not 0 <= ttl <= 0xFFFFFFFF or not 0 <= rclass <= 0xFFFF:
            raise ValueError(f"ttl {ttl} or class {rclass} out of range")
        self.ttl = ttl
        self.rclass = rclass
        self.data = data
        self.parts = _rdata_parts(self.rtype, data)

    @property
    def target(self) -> Optional[Labels]:
        """The first name in the rdata (the CNAME target for a CNAME), or None."""
        for part in self.parts:
            if isinstance(part, _Name):
                return part.labels
        return None

    def __repr__(self) -> str:
        return f"RR({name_to_text(self.name)!r}, {self.rtype}, {self.data!r}, ttl={self.ttl})"


def opt_rr(payload: int = EDNS_PAYLOAD, rdata: bytes = b"", do: bool = False) -> RR:
    """An EDNS OPT pseudo-RR advertising ``payload`` bytes (extended rcode 0, version 0,
    flags: the DO bit if ``do``)."""
    return RR((), 41, rdata, ttl=EDNS_DO if do else 0, rclass=payload)


class _Writer:
    """A message under construction; remembers where names were written, for compression."""

    def __init__(self, compress: bool) -> None:
        self.buf = bytearray()
        self.compress = compress
        self.offsets: Dict[Labels, int] = {}

    def name(self, labels: Labels, compressible: bool = True) -> None:
        use = self.compress and compressible
        for i in range(len(labels)):
            suffix = _key(labels[i:])
            if use:
                ptr = self.offsets.get(suffix)
                if ptr is not None:
                    self.buf += struct.pack("!H", 0xC000 | ptr)
                    return
                if len(self.buf) < 0x4000:
                    self.offsets.setdefault(suffix, len(self.buf))
            self.buf.append(len(labels[i]))
            self.buf += labels[i]
        self.buf.append(0)

    def rr(self, rr: RR) -> None:
        self.name(rr.name)
        self.buf += struct.pack("!HHIH", rr.rtype, rr.rclass, rr.ttl, 0)
        start = len(self.buf)
        for part in rr.parts:
            if isinstance(part, _Name):
                self.name(part.labels, part.compressible)
            else:
                self.buf += part
        struct.pack_into("!H", self.buf, start - 2, len(self.buf) - start)


Question = Tuple[Any, ...]  # (name, qtype) or (name, qtype, qclass)


def build_message(id: int = 0, *, qr: bool = True, opcode: int = 0, aa: bool = False,
                  tc: bool = False, rd: bool = False, ra: bool = False, ad: bool = False,
                  cd: bool = False, rcode: int = 0, questions: Sequence[Question] = (),
                  answers: Sequence[RR] = (), authority: Sequence[RR] = (),
                  additional: Sequence[RR] = (), edns: Optional[int] = None,
                  edns_do: bool = False, compress: bool = True) -> bytes:
    """A DNS message; ``edns=SIZE`` appends an OPT RR (with DO if ``edns_do``) to the
    additional section."""
    flags = ((qr << 15) | ((opcode & 0xF) << 11) | (aa << 10) | (tc << 9) | (rd << 8)
             | (ra << 7) | (ad << 5) | (cd << 4) | (rcode & 0xF))
    extra = list(additional) + ([opt_rr(edns, do=edns_do)] if edns is not None else [])
    w = _Writer(compress)
    w.buf += struct.pack("!6H", id & 0xFFFF, flags, len(questions), len(answers),
                         len(authority), len(extra))
    for question in questions:
        name, qtype = question[0], type_code(question[1])
        w.name(parse_name(name))
        w.buf += struct.pack("!HH", qtype, question[2] if len(question) > 2 else 1)
    for rr in (*answers, *authority, *extra):
        w.rr(rr)
    return bytes(w.buf)


def build_query(name: NameLike, qtype: Union[int, str] = "A", *, id: int = 0x1234,
                rd: bool = True, qclass: int = 1, edns: Optional[int] = None) -> bytes:
    """A standard query for ``name``/``qtype``, as a stub resolver sends it."""
    return build_message(id, qr=False, rd=rd, questions=[(name, qtype, qclass)], edns=edns)


def patch_id(query: bytes, reply: bytes) -> bytes:
    """``reply`` with its first two bytes replaced by the ID of ``query`` (if it has two)."""
    return bytes(query[:2]) + bytes(reply[2:]) if len(reply) >= 2 else bytes(reply)


class ParsedRR(NamedTuple):
    name: Labels
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes
    offset: int  # where rdata starts in the message, to decode names inside it


class Message(NamedTuple):
    id: int
    flags: int
    questions: List[Tuple[Labels, int, int]]
    answers: List[ParsedRR]
    authority: List[ParsedRR]
    additional: List[ParsedRR]

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    def flag(self, name: str) -> bool:
        """One header bit by name: qr, aa, tc, rd, ra, ad, cd."""
        bit = {"qr": 15, "aa": 10, "tc": 9, "rd": 8, "ra": 7, "ad": 5, "cd": 4}[name]
        return bool(self.flags >> bit & 1)


def parse_message(msg: bytes) -> Message:
    """Decode header, questions and RRs (rdata left raw); ValueError when malformed."""
    try:
        id_, flags, qd, an, ns, ar = struct.unpack_from("!6H", msg, 0)
        pos = 12
        questions = []
        for _ in range(qd):
            labels, pos = decode_name(msg, pos)
            qtype, qclass = struct.unpack_from("!HH", msg, pos)
            questions.append((labels, qtype, qclass))
            pos += 4
        sections: List[List[ParsedRR]] = []
        for count in (an, ns, ar):
            rrs = []
            for _ in range(count):
                labels, pos = decode_name(msg, pos)
                rtype, rclass, ttl, rdlen = struct.unpack_from("!HHIH", msg, pos)
                pos += 10
                if pos + rdlen > len(msg):
                    raise ValueError("rdata runs past end of message")
                rrs.append(ParsedRR(labels, rtype, rclass, ttl, bytes(msg[pos:pos + rdlen]), pos))
                pos += rdlen
            sections.append(rrs)
    except struct.error as exc:
        raise ValueError(f"truncated message: {exc}") from None
    return Message(id_, flags, questions, *sections)


__all__ = [
    "Labels",
    "NameLike",
    "TYPES",
    "RCODES",
    "FAULT_MODES",
    "EDNS_PAYLOAD",
    "EDNS_DO",
    "_MAX_CNAME_HOPS",
    "_COMPRESSIBLE",
    "parse_name",
    "_split_text_name",
    "name_to_text",
    "encode_name",
    "_key",
    "decode_name",
    "type_code",
    "Raw",
    "_Name",
    "_Part",
    "_charstr",
    "_rdata_parts",
    "RR",
    "opt_rr",
    "_Writer",
    "Question",
    "build_message",
    "build_query",
    "patch_id",
    "ParsedRR",
    "Message",
    "parse_message",
]
