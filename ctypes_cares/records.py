"""The result dataclasses (the pycares contract), and the DNS wire decoder's entry point.

:func:`parse_dns_response` (implemented in ``_wire``) turns one complete DNS message into
a :class:`DNSResult` the way pycares 5.2.1 presents what c-ares 1.34.9 parsed; whatever
c-ares' ``ares_dns_parse`` rejects raises :class:`BadResponse`.

Pure Python: no ctypes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Union

from .constants import TYPE_NAMES

__all__ = (
    "BadResponse",
    "parse_dns_response",
    "TYPE_NAMES",
    "DNSResult",
    "DNSRecord",
    "ARecordData",
    "AAAARecordData",
    "MXRecordData",
    "TXTRecordData",
    "CAARecordData",
    "CNAMERecordData",
    "NAPTRRecordData",
    "NSRecordData",
    "PTRRecordData",
    "SOARecordData",
    "SRVRecordData",
    "TLSARecordData",
    "HTTPSRecordData",
    "SVCBRecordData",
    "URIRecordData",
    "RawRecordData",
    "DNSFlags",
    "EDNS",
    "DNSMessage",
    "HostResult",
    "NameInfoResult",
    "AddrInfoNode",
    "AddrInfoCname",
    "AddrInfoResult",
)


# ---------------------------------------------------------------------------------------
# Result dataclasses (field names and order are part of the pycares contract)


@dataclasses.dataclass
class ARecordData:
    addr: str


@dataclasses.dataclass
class AAAARecordData:
    addr: str


@dataclasses.dataclass
class MXRecordData:
    priority: int
    exchange: str


@dataclasses.dataclass
class TXTRecordData:
    data: bytes


@dataclasses.dataclass
class CAARecordData:
    critical: int
    tag: str
    value: str  # bytes when the value is not ASCII (pycares quirk)


@dataclasses.dataclass
class CNAMERecordData:
    cname: str


@dataclasses.dataclass
class NAPTRRecordData:
    order: int
    preference: int
    flags: str
    service: str
    regexp: str
    replacement: str


@dataclasses.dataclass
class NSRecordData:
    nsdname: str


@dataclasses.dataclass
class PTRRecordData:
    dname: str


@dataclasses.dataclass
class SOARecordData:
    mname: str
    rname: str
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int


@dataclasses.dataclass
class SRVRecordData:
    priority: int
    weight: int
    port: int
    target: str


@dataclasses.dataclass
class TLSARecordData:
    cert_usage: int
    selector: int
    matching_type: int
    cert_association_data: bytes


@dataclasses.dataclass
class HTTPSRecordData:
    priority: int
    target: str
    params: list[tuple[int, bytes]]  # (key, raw wire value), in c-ares order


@dataclasses.dataclass
class SVCBRecordData(HTTPSRecordData):
    """SVCB (RFC 9460; an extension, pycares has none): the fields of HTTPS."""


@dataclasses.dataclass
class URIRecordData:
    priority: int
    weight: int
    target: str


RecordData = Union[
    ARecordData,
    AAAARecordData,
    MXRecordData,
    TXTRecordData,
    CAARecordData,
    CNAMERecordData,
    NAPTRRecordData,
    NSRecordData,
    PTRRecordData,
    SOARecordData,
    SRVRecordData,
    TLSARecordData,
    HTTPSRecordData,
    SVCBRecordData,
    URIRecordData,
]


@dataclasses.dataclass
class DNSRecord:
    name: str
    type: int
    record_class: int
    ttl: int
    data: RecordData


@dataclasses.dataclass
class DNSResult:
    answer: list[DNSRecord]
    authority: list[DNSRecord]
    additional: list[DNSRecord]

    def __getattr__(self, name: str) -> Any:
        # Only reached for a result whose last two sections are not decoded yet (see
        # parse_dns_response's ``written_by_cares``): ``_rest()`` decodes both, once.
        rest = self.__dict__.pop("_rest", None) if name in ("authority", "additional") else None
        if rest is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.authority, self.additional = rest()
        return self.__dict__[name]


@dataclasses.dataclass
class HostResult:
    name: str
    aliases: list[str]
    addresses: list[str]


@dataclasses.dataclass
class NameInfoResult:
    node: str
    service: Optional[str]


@dataclasses.dataclass
class AddrInfoNode:
    ttl: int
    flags: int
    family: int
    socktype: int
    protocol: int
    addr: tuple[Any, ...]  # (ip bytes, port) or (ip bytes, port, flowinfo, scope_id)


@dataclasses.dataclass
class AddrInfoCname:
    ttl: int
    alias: str
    name: str


@dataclasses.dataclass
class AddrInfoResult:
    cnames: list[AddrInfoCname]
    nodes: list[AddrInfoNode]




# -- Channel.query_message (an extension: pycares has no such result) ----------------


@dataclasses.dataclass
class RawRecordData:
    """The rdata of a record type ctypes_cares does not decode (DNSKEY, RRSIG, DS, ...)."""

    data: bytes


@dataclasses.dataclass
class DNSFlags:
    """The header bits of a DNS message."""

    qr: bool
    aa: bool
    tc: bool
    rd: bool
    ra: bool
    ad: bool
    cd: bool


@dataclasses.dataclass
class EDNS:
    """The OPT record of a message (RFC 6891)."""

    udp_size: int
    version: int
    dnssec_ok: bool
    options: list[tuple[int, bytes]]  # (option code, raw value), in wire order


@dataclasses.dataclass
class DNSMessage:
    """A whole DNS answer: header, sections, EDNS, and the message as bytes.

    ``rcode`` includes the EDNS extended bits.  The sections hold :class:`DNSRecord`
    objects as in :class:`DNSResult` (SVCB as :class:`SVCBRecordData`); a type not
    decoded has :class:`RawRecordData`; the OPT record is ``edns``, not a record.
    ``raw``: the message as c-ares writes it back out (same content as received; the
    name compression may differ).
    """

    id: int
    flags: DNSFlags
    opcode: int
    rcode: int
    answer: list[DNSRecord]
    authority: list[DNSRecord]
    additional: list[DNSRecord]
    edns: Optional[EDNS]
    raw: bytes


class BadResponse(ValueError):
    """The DNS message is malformed, or c-ares 1.34.9 would reject it as a whole."""


# The decoder needs the classes above; importing it last keeps one public entry point.
from ._wire import parse_dns_response  # noqa: E402
