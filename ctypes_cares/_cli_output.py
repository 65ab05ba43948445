"""How the command line shows results: dig-like text, and JSON.

Text output is a dig-like, column-aligned listing per query: a ``;; QUESTION SECTION:``
then ``;; ANSWER SECTION:``, ``;; AUTHORITY SECTION:``, ``;; ADDITIONAL SECTION:``
(only the non-empty ones), one record per line: name, TTL, class, type, data.  Names
are shown fully qualified (trailing dot).  Record data is shown in zone-file style:
TXT as one quoted string (c-ares hands over the record's strings joined), with ``"``
and ``\\`` backslash-escaped and bytes outside printable ASCII as ``\\DDD``; TLSA data
in hex; HTTPS parameters decoded (``alpn=h2,h3 port=8443 ipv4hint=... ech=<base64>``;
unknown or malformed ones as ``keyNNNN=<hex>``).  ``-x`` prints ``;; HOST: ADDRESS``
and ``name:``/``alias:``/``address:`` lines; ``--addrinfo`` prints ``;; ADDRINFO: NAME``,
the CNAME chain, then one ``NAME TTL IPv4|IPv6 ADDRESS[:PORT]`` line per address.

``--json`` prints one JSON object per query, one per line::

    {"query": {...}, "status": 0, "error": null, "result": {...}}

``status`` is the c-ares status (0 on success); on failure ``error`` is
``{"name": "ARES_ENOTFOUND", "message": "Domain name not found"}`` and ``result`` is
null.  A DNS result has ``answer``, ``authority`` and ``additional`` lists of records
``{"name", "type", "type_name", "record_class", "class_name", "ttl", "data"}`` where
``data`` holds the fields of the record's data class under their Python names.
Byte strings (TXT data, TLSA association data, non-ASCII CAA values, HTTPS parameter
values, getaddrinfo addresses) are encoded by ONE rule: a JSON string when every byte
is printable ASCII (0x20-0x7E; decode it back with ``.encode("ascii")``), otherwise
``{"hex": "<lowercase hex>"}`` (``bytes.fromhex``).  Fields that are ``str`` in the
result stay strings.  HTTPS ``params`` is a list of
``{"key": int, "name": str, "value": <bytes>, "text": <presentation>}``.
"""


from __future__ import annotations

import base64
import json
import re
import socket
import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import constants as C
from .errno import (
    _ARES_ENOSERVER,
    ARES_EBADRESP,
    ARES_ECONNREFUSED,
    ARES_EFORMERR,
    ARES_ENODATA,
    ARES_ENOTFOUND,
    ARES_ENOTIMP,
    ARES_EREFUSED,
    ARES_ESERVFAIL,
    ARES_ETIMEOUT,
    errorcode,
    strerror,
)
from .records import (
    TYPE_NAMES,
    AAAARecordData,
    AddrInfoResult,
    ARecordData,
    CAARecordData,
    CNAMERecordData,
    DNSMessage,
    DNSRecord,
    DNSResult,
    HostResult,
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
)

PROG = "ctypes-cares"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130

_UNREACHABLE = frozenset((ARES_ETIMEOUT, ARES_ECONNREFUSED, _ARES_ENOSERVER))

#: Query type names accepted on the command line (the types Channel.query accepts).
QUERY_TYPES: Dict[str, int] = {name: number for number, name in TYPE_NAMES.items()}
#: Class names accepted by --class.
QUERY_CLASSES: Dict[str, int] = {
    "IN": C.QUERY_CLASS_IN,
    "CH": C.QUERY_CLASS_CHAOS,
    "CHAOS": C.QUERY_CLASS_CHAOS,
    "HS": C.QUERY_CLASS_HS,
    "HESIOD": C.QUERY_CLASS_HS,
    "NONE": C.QUERY_CLASS_NONE,
    "ANY": C.QUERY_CLASS_ANY,
}
_CLASS_NAMES: Dict[int, str] = {
    C.QUERY_CLASS_IN: "IN",
    C.QUERY_CLASS_CHAOS: "CH",
    C.QUERY_CLASS_HS: "HS",
    C.QUERY_CLASS_NONE: "NONE",
    C.QUERY_CLASS_ANY: "ANY",
}
FAMILIES: Dict[str, int] = {"4": socket.AF_INET, "6": socket.AF_INET6, "any": socket.AF_UNSPEC}

# SvcParamKey numbers (RFC 9460 section 14.3.2, RFC 9461, RFC 9540).
SVC_KEYS: Dict[int, str] = {
    0: "mandatory",
    1: "alpn",
    2: "no-default-alpn",
    3: "port",
    4: "ipv4hint",
    5: "ech",
    6: "ipv6hint",
    7: "dohpath",
    8: "ohttp",
}


# --------------------------------------------------------------------------------------
# Names of things


def type_name(rtype: int) -> str:
    return TYPE_NAMES.get(rtype) or C.OTHER_TYPE_NAMES.get(rtype) or f"TYPE{rtype}"


def class_name(rclass: int) -> str:
    return _CLASS_NAMES.get(rclass) or f"CLASS{rclass}"


def status_name(status: int) -> str:
    if status == _ARES_ENOSERVER:
        return "ARES_ENOSERVER"
    return errorcode.get(status) or f"status {status}"


def exit_code(status: int) -> int:
    """The exit status one query outcome asks for."""
    if status == 0:
        return EXIT_OK
    return EXIT_UNREACHABLE if status in _UNREACHABLE else EXIT_FAILED


# --------------------------------------------------------------------------------------
# Presentation of record data


def fqdn(name: str) -> str:
    """A c-ares name (no trailing dot, root ``''``) shown fully qualified."""
    return name + "." if name else "."


def _escape_bytes(raw: bytes, specials: bytes, printable_low: int = 0x20) -> str:
    out: List[str] = []
    for byte in raw:
        if byte in specials:
            out.append("\\" + chr(byte))
        elif printable_low <= byte <= 0x7E:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def quote(data: Union[str, bytes]) -> str:
    """A zone-file quoted string: ``"`` and ``\\`` escaped, non-printables as ``\\DDD``."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return '"' + _escape_bytes(raw, b'"\\') + '"'


def _svc_word(raw: bytes) -> str:
    """An unquoted SvcParam value: space, ``"``, ``,``, ``\\`` and ``;`` escaped."""
    return _escape_bytes(raw, b'",\\;', printable_low=0x21)


def _split_chunks(raw: bytes) -> Optional[List[bytes]]:
    """Length-prefixed chunks (alpn ids); None when malformed or an id is empty."""
    chunks: List[bytes] = []
    pos = 0
    while pos < len(raw):
        size = raw[pos]
        if size == 0 or pos + 1 + size > len(raw):
            return None
        chunks.append(raw[pos + 1 : pos + 1 + size])
        pos += 1 + size
    return chunks or None


def _svc_value(key: int, raw: bytes) -> Optional[str]:
    """The presentation of a known SvcParam value; None: show it generically."""
    if key == 0:
        if not raw or len(raw) % 2:
            return None
        keys = struct.unpack(f"!{len(raw) // 2}H", raw)
        return ",".join(SVC_KEYS.get(k) or f"key{k}" for k in keys)
    if key == 1:
        ids = _split_chunks(raw)
        return None if ids is None else ",".join(_svc_word(i) for i in ids)
    if key == 3:
        return str(struct.unpack("!H", raw)[0]) if len(raw) == 2 else None
    if key == 4:
        if not raw or len(raw) % 4:
            return None
        return ",".join(
            socket.inet_ntop(socket.AF_INET, raw[i : i + 4]) for i in range(0, len(raw), 4)
        )
    if key == 5:
        return base64.b64encode(raw).decode("ascii") if raw else None
    if key == 6:
        if not raw or len(raw) % 16:
            return None
        return ",".join(
            socket.inet_ntop(socket.AF_INET6, raw[i : i + 16]) for i in range(0, len(raw), 16)
        )
    if key == 7:
        return _svc_word(raw) if raw else None
    return None


def svc_param(key: int, raw: bytes) -> str:
    """One HTTPS parameter as ``name=value`` (``no-default-alpn``/``ohttp`` bare)."""
    if key in (2, 8) and not raw:
        return SVC_KEYS[key]
    value = _svc_value(key, raw) if key in SVC_KEYS else None
    if value is not None:
        return f"{SVC_KEYS[key]}={value}"
    return f"key{key}={raw.hex()}" if raw else f"key{key}"


def rdata_text(data: Any) -> str:
    """The data column of one record, as a zone file would show it."""
    if isinstance(data, (ARecordData, AAAARecordData)):
        return data.addr
    if isinstance(data, CNAMERecordData):
        return fqdn(data.cname)
    if isinstance(data, NSRecordData):
        return fqdn(data.nsdname)
    if isinstance(data, PTRRecordData):
        return fqdn(data.dname)
    if isinstance(data, MXRecordData):
        return f"{data.priority} {fqdn(data.exchange)}"
    if isinstance(data, SOARecordData):
        return (
            f"{fqdn(data.mname)} {fqdn(data.rname)} {data.serial} {data.refresh} "
            f"{data.retry} {data.expire} {data.minimum}"
        )
    if isinstance(data, TXTRecordData):
        return quote(data.data)
    if isinstance(data, SRVRecordData):
        return f"{data.priority} {data.weight} {data.port} {fqdn(data.target)}"
    if isinstance(data, NAPTRRecordData):
        return (
            f"{data.order} {data.preference} {quote(data.flags)} {quote(data.service)} "
            f"{quote(data.regexp)} {fqdn(data.replacement)}"
        )
    if isinstance(data, TLSARecordData):
        return (
            f"{data.cert_usage} {data.selector} {data.matching_type} "
            f"{bytes(data.cert_association_data).hex().upper()}"
        )
    if isinstance(data, HTTPSRecordData):
        words = [str(data.priority), fqdn(data.target)]
        words.extend(svc_param(key, bytes(value)) for key, value in data.params)
        return " ".join(words)
    if isinstance(data, URIRecordData):
        return f"{data.priority} {data.weight} {quote(data.target)}"
    if isinstance(data, CAARecordData):
        return f"{data.critical} {data.tag} {quote(data.value)}"
    if isinstance(data, RawRecordData):  # RFC 3597's generic form
        return f"\\# {len(data.data)} {data.data.hex().upper()}".rstrip()
    return repr(data)  # pragma: no cover - every type the binding decodes is above


# --------------------------------------------------------------------------------------
# Text layout

Row = Tuple[str, str, str, str, str]  # name, ttl, class, type, data


def _aligned(rows: Sequence[Row]) -> List[str]:
    """Rows as lines of aligned columns (TTL right-aligned; all-empty columns left out)."""
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [
            row[i].rjust(widths[i]) if i == 1 else row[i].ljust(widths[i])
            for i in range(4)
            if widths[i]
        ]
        lines.append("  ".join(cells + [row[4]]).rstrip())
    return lines


def _record_row(record: DNSRecord) -> Row:
    return (
        fqdn(record.name),
        str(record.ttl),
        class_name(record.record_class),
        type_name(record.type),
        rdata_text(record.data),
    )


def format_dns_result(qname: str, qtype: int, qclass: int, result: Any) -> str:
    """The dig-like listing of one answered query (question + non-empty sections); for
    a DNSMessage, dig's ``;; flags:`` line first."""
    question: Row = (";" + _question_name(qname), "", class_name(qclass), type_name(qtype), "")
    sections = [
        ("ANSWER", result.answer),
        ("AUTHORITY", result.authority),
        ("ADDITIONAL", result.additional),
    ]
    rows = [question] + [_record_row(r) for _, records in sections for r in records]
    lines = _aligned(rows)
    out = [flags_line(result), ""] if isinstance(result, DNSMessage) else []
    out += [";; QUESTION SECTION:", lines[0]]
    index = 1
    for title, records in sections:
        if records:
            out += ["", f";; {title} SECTION:"] + lines[index : index + len(records)]
            index += len(records)
    return "\n".join(out)


def flags_line(message: DNSMessage) -> str:
    """dig's ``;; flags: qr rd ra ad; QUERY: 1, ANSWER: ...`` (the OPT record counts)."""
    flags = " ".join(name for name, value in vars(message.flags).items() if value)
    additional = len(message.additional) + (message.edns is not None)
    return (
        f";; flags: {flags}; QUERY: 1, ANSWER: {len(message.answer)}, "
        f"AUTHORITY: {len(message.authority)}, ADDITIONAL: {additional}"
    )


_RCODE_STATUS = {
    C.RCODE_FORMERR: ARES_EFORMERR,
    C.RCODE_SERVFAIL: ARES_ESERVFAIL,
    C.RCODE_NXDOMAIN: ARES_ENOTFOUND,
    C.RCODE_NOTIMP: ARES_ENOTIMP,
    C.RCODE_REFUSED: ARES_EREFUSED,
}


def message_status(message: DNSMessage) -> int:
    """The status c-ares's query functions report for this answer (0: answered)."""
    if message.rcode != C.RCODE_NOERROR:
        return _RCODE_STATUS.get(message.rcode, ARES_EBADRESP)
    return 0 if message.answer else ARES_ENODATA


def _question_name(name: str) -> str:
    if name.endswith(".") and not name.endswith("\\."):
        return name
    return fqdn(name)


def format_host_result(address: str, result: HostResult) -> str:
    """gethostbyaddr: the host name, its aliases and addresses, one per line."""
    rows = [("name:", result.name)]
    rows += [("alias:", alias) for alias in result.aliases]
    rows += [("address:", addr) for addr in result.addresses]
    width = max(len(label) for label, _ in rows)
    lines = [f";; HOST: {address}"]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def format_addrinfo_result(host: str, port: Optional[str], result: AddrInfoResult) -> str:
    """getaddrinfo: the CNAME chain, then one line per address (name, TTL, family, address)."""
    rows: List[Row] = [
        (fqdn(c.alias), str(c.ttl), "", "CNAME", fqdn(c.name)) for c in result.cnames
    ]
    for node in result.nodes:
        addr = _text(node.addr[0])
        ipv6 = node.family == socket.AF_INET6
        if port is not None:
            addr = f"[{addr}]:{node.addr[1]}" if ipv6 else f"{addr}:{node.addr[1]}"
        rows.append((_question_name(host), str(node.ttl), "", "IPv6" if ipv6 else "IPv4", addr))
    if not rows:
        return f";; ADDRINFO: {host}"
    return "\n".join([f";; ADDRINFO: {host}"] + _aligned(rows))


def _text(value: Union[str, bytes]) -> str:
    return value.decode("ascii", "backslashreplace") if isinstance(value, bytes) else value


# --------------------------------------------------------------------------------------
# JSON

_PRINTABLE = re.compile(b"[\\x20-\\x7e]*")


def json_bytes(value: Union[bytes, bytearray, str]) -> Any:
    """The one encoding of byte strings: text when printable ASCII, else ``{"hex": ...}``."""
    if isinstance(value, str):
        return value
    raw = bytes(value)
    if _PRINTABLE.fullmatch(raw) is not None:
        return raw.decode("ascii")
    return {"hex": raw.hex()}


def _json_data(data: Any) -> Dict[str, Any]:
    if isinstance(data, HTTPSRecordData):
        return {
            "priority": data.priority,
            "target": data.target,
            "params": [
                {
                    "key": key,
                    "name": SVC_KEYS.get(key, f"key{key}"),
                    "value": json_bytes(value),
                    "text": svc_param(key, bytes(value)),
                }
                for key, value in data.params
            ],
        }
    return {name: _json_value(value) for name, value in vars(data).items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return json_bytes(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)  # IntEnum (AddrInfoNode.family) as its number
    if hasattr(value, "__dataclass_fields__"):
        return {name: _json_value(v) for name, v in vars(value).items()}
    return value


def json_record(record: DNSRecord) -> Dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "type_name": type_name(record.type),
        "record_class": record.record_class,
        "class_name": class_name(record.record_class),
        "ttl": record.ttl,
        "data": _json_data(record.data),
    }


def json_result(result: Any) -> Any:
    if isinstance(result, (DNSResult, DNSMessage)):
        return {
            "answer": [json_record(r) for r in result.answer],
            "authority": [json_record(r) for r in result.authority],
            "additional": [json_record(r) for r in result.additional],
        }
    return _json_value(result)


def json_line(query: Dict[str, Any], status: int, result: Any) -> str:
    error = None if status == 0 else {"name": status_name(status), "message": strerror(status)}
    obj = {
        "query": query,
        "status": status,
        "error": error,
        "result": json_result(result) if status == 0 else None,
    }
    if status == 0 and isinstance(result, DNSMessage):  # the header, from query_message
        obj["header"] = {
            "id": result.id,
            "flags": vars(result.flags),
            "opcode": result.opcode,
            "rcode": result.rcode,
            "edns": _json_value(result.edns),
        }
    return json.dumps(obj)


