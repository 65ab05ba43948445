"""Legacy (pycares 4 shaped) results for the deprecated ``DNSResolver.query()``.

``query()`` predates pycares 5's ``DNSResult``; it returned one small object per
record, with pycares 4's field names.  :func:`convert_result` turns a ``DNSResult`` into
that shape: a list of records for most types, a single record for CNAME, SOA and PTR.
New code should call ``query_dns()`` and read the ``DNSResult`` directly.

The classes are frozen, slotted dataclasses (no ``__dict__``, immutable, comparable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple, Union

from .. import records
from ..errno import ARES_ENODATA, strerror
from .error import DNSError

__all__ = (
    "AresHostResult",
    "AresQueryAAAAResult",
    "AresQueryAResult",
    "AresQueryCAAResult",
    "AresQueryCNAMEResult",
    "AresQueryMXResult",
    "AresQueryNAPTRResult",
    "AresQueryNSResult",
    "AresQueryPTRResult",
    "AresQuerySOAResult",
    "AresQuerySRVResult",
    "AresQueryTXTResult",
    "ConvertedRecord",
    "QueryResult",
    "convert_result",
)

# RR type codes (same values as ctypes_cares.QUERY_TYPE_*).
_A, _NS, _CNAME, _SOA, _PTR, _MX, _TXT, _AAAA, _SRV, _NAPTR, _ANY, _CAA = (
    1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 255, 257,
)

#: Query types whose legacy result is one object rather than a list.
_SINGLE_RESULT_QTYPES = frozenset({_CNAME, _SOA, _PTR})


class _Frozen:
    """copy/pickle support for the frozen slotted classes below (works on Python 3.9)."""

    __slots__ = ()

    def __getstate__(self) -> Tuple[Any, ...]:
        names: Tuple[str, ...] = self.__slots__
        return tuple(getattr(self, name) for name in names)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        names: Tuple[str, ...] = self.__slots__
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class AresQueryAResult(_Frozen):
    __slots__ = ("host", "ttl")
    host: str
    ttl: int


@dataclass(frozen=True)
class AresQueryAAAAResult(_Frozen):
    __slots__ = ("host", "ttl")
    host: str
    ttl: int


@dataclass(frozen=True)
class AresQueryCNAMEResult(_Frozen):
    __slots__ = ("cname", "ttl")
    cname: str
    ttl: int


@dataclass(frozen=True)
class AresQueryMXResult(_Frozen):
    __slots__ = ("host", "priority", "ttl")
    host: str
    priority: int
    ttl: int


@dataclass(frozen=True)
class AresQueryNSResult(_Frozen):
    __slots__ = ("host", "ttl")
    host: str
    ttl: int


@dataclass(frozen=True)
class AresQueryTXTResult(_Frozen):
    __slots__ = ("text", "ttl")
    text: Union[str, bytes]
    ttl: int


@dataclass(frozen=True)
class AresQuerySOAResult(_Frozen):
    __slots__ = ("nsname", "hostmaster", "serial", "refresh", "retry", "expires", "minttl", "ttl")
    nsname: str
    hostmaster: str
    serial: int
    refresh: int
    retry: int
    expires: int
    minttl: int
    ttl: int


@dataclass(frozen=True)
class AresQuerySRVResult(_Frozen):
    __slots__ = ("host", "port", "priority", "weight", "ttl")
    host: str
    port: int
    priority: int
    weight: int
    ttl: int


@dataclass(frozen=True)
class AresQueryNAPTRResult(_Frozen):
    __slots__ = ("order", "preference", "flags", "service", "regex", "replacement", "ttl")
    order: int
    preference: int
    flags: str
    service: str
    regex: str
    replacement: str
    ttl: int


@dataclass(frozen=True)
class AresQueryCAAResult(_Frozen):
    __slots__ = ("critical", "property", "value", "ttl")
    critical: int
    property: str
    value: Union[str, bytes]
    ttl: int


@dataclass(frozen=True)
class AresQueryPTRResult(_Frozen):
    __slots__ = ("name", "ttl", "aliases")
    name: str
    ttl: int
    aliases: List[str]


@dataclass(frozen=True)
class AresHostResult(_Frozen):
    """The result of the deprecated ``DNSResolver.gethostbyname()``."""

    __slots__ = ("name", "aliases", "addresses")
    name: str
    aliases: List[str]
    addresses: List[str]


ConvertedRecord = Union[
    AresQueryAResult,
    AresQueryAAAAResult,
    AresQueryCNAMEResult,
    AresQueryMXResult,
    AresQueryNSResult,
    AresQueryTXTResult,
    AresQuerySOAResult,
    AresQuerySRVResult,
    AresQueryNAPTRResult,
    AresQueryCAAResult,
    AresQueryPTRResult,
    records.DNSRecord,
]

QueryResult = Union[
    List[AresQueryAResult],
    List[AresQueryAAAAResult],
    AresQueryCNAMEResult,
    List[AresQueryMXResult],
    List[AresQueryNSResult],
    List[AresQueryTXTResult],
    AresQuerySOAResult,
    List[AresQuerySRVResult],
    List[AresQueryNAPTRResult],
    List[AresQueryCAAResult],
    AresQueryPTRResult,
    List[ConvertedRecord],
]


def _maybe_str(data: bytes) -> Union[str, bytes]:
    """``data`` as ASCII text, or the bytes unchanged when they are not ASCII."""
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return data


def _soa(record: Any) -> AresQuerySOAResult:
    d = record.data
    return AresQuerySOAResult(
        d.mname, d.rname, d.serial, d.refresh, d.retry, d.expire, d.minimum, record.ttl
    )


def _naptr(record: Any) -> AresQueryNAPTRResult:
    d = record.data
    return AresQueryNAPTRResult(
        d.order, d.preference, d.flags, d.service, d.regexp, d.replacement, record.ttl
    )


_CONVERTERS: Dict[int, Callable[[Any], Any]] = {
    _A: lambda r: AresQueryAResult(r.data.addr, r.ttl),
    _AAAA: lambda r: AresQueryAAAAResult(r.data.addr, r.ttl),
    _CNAME: lambda r: AresQueryCNAMEResult(r.data.cname, r.ttl),
    _MX: lambda r: AresQueryMXResult(r.data.exchange, r.data.priority, r.ttl),
    _NS: lambda r: AresQueryNSResult(r.data.nsdname, r.ttl),
    _TXT: lambda r: AresQueryTXTResult(_maybe_str(r.data.data), r.ttl),
    _SOA: _soa,
    _SRV: lambda r: AresQuerySRVResult(
        r.data.target, r.data.port, r.data.priority, r.data.weight, r.ttl
    ),
    _NAPTR: _naptr,
    _CAA: lambda r: AresQueryCAAResult(r.data.critical, r.data.tag, r.data.value, r.ttl),
    _PTR: lambda r: AresQueryPTRResult(r.data.dname, r.ttl, []),
}


def _convert_record(record: Any) -> Any:
    """The legacy object for one ``DNSRecord``; records of other types come back as-is."""
    try:
        convert = _CONVERTERS.get(record.type)
    except TypeError:  # an unhashable .type: not one of ours
        convert = None
    return record if convert is None else convert(record)


def convert_result(dns_result: Any, qtype: int) -> Any:
    """The legacy shape of ``dns_result.answer`` for a query of type ``qtype``.

    ANY: every answer record converted (may be ``[]``).  CNAME, SOA, PTR: the first
    record of that type.  Other types: the list of records of that type.  Records of
    other types (e.g. the CNAME in front of an A answer) are skipped; nothing left
    raises ``DNSError(ARES_ENODATA, ...)``.
    """
    if qtype == _ANY:
        return [_convert_record(record) for record in dns_result.answer]
    single = qtype in _SINGLE_RESULT_QTYPES
    out: List[Any] = []
    for record in dns_result.answer:
        if record.type != qtype:
            continue
        converted = _convert_record(record)
        if single:
            return converted
        out.append(converted)
    if not out:
        raise DNSError(ARES_ENODATA, strerror(ARES_ENODATA))
    return out
