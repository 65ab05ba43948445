"""ctypes_cares.aio.error and ctypes_cares.aio.compat: no network, no event loop."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from typing import Any, List
from unittest import mock

import pytest

import ctypes_cares
from ctypes_cares import aio
from ctypes_cares.aio import compat, error
from ctypes_cares.aio.compat import (
    AresHostResult,
    AresQueryAAAAResult,
    AresQueryAResult,
    AresQueryCAAResult,
    AresQueryCNAMEResult,
    AresQueryMXResult,
    AresQueryNAPTRResult,
    AresQueryNSResult,
    AresQueryPTRResult,
    AresQuerySOAResult,
    AresQuerySRVResult,
    AresQueryTXTResult,
    convert_result,
)
from ctypes_cares.aio.error import DNSError
from ctypes_cares.records import (
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
    TXTRecordData,
)

# ------------------------------------------------------------------------- error


def test_error_constants_and_all() -> None:
    names = [n for n in error.__all__ if n != "DNSError"]
    assert len(names) == 26 and names == sorted(names)
    assert error.__all__[-1] == "DNSError"
    for name in names:
        assert getattr(error, name) == getattr(ctypes_cares.errno, name)
    assert error.ARES_ECANCELLED == 24 and error.ARES_ESERVICE == 25
    assert not hasattr(error, "ARES_ENOSERVER")


def test_dns_error_shape() -> None:
    exc = DNSError(24, "DNS query cancelled")
    assert exc.args == (24, "DNS query cancelled")
    assert not isinstance(exc, OSError)
    assert not isinstance(exc, ctypes_cares.AresError)
    closed = error.ResolverClosedError(16, error.CLOSED_MESSAGE)
    assert isinstance(closed, DNSError) and isinstance(closed, RuntimeError)
    assert aio.error is error and aio.DNSError is DNSError


# ------------------------------------------------------------------------ compat

FIELDS = {
    AresQueryAResult: ["host", "ttl"],
    AresQueryAAAAResult: ["host", "ttl"],
    AresQueryCNAMEResult: ["cname", "ttl"],
    AresQueryMXResult: ["host", "priority", "ttl"],
    AresQueryNSResult: ["host", "ttl"],
    AresQueryTXTResult: ["text", "ttl"],
    AresQuerySOAResult: ["nsname", "hostmaster", "serial", "refresh", "retry", "expires",
                         "minttl", "ttl"],
    AresQuerySRVResult: ["host", "port", "priority", "weight", "ttl"],
    AresQueryNAPTRResult: ["order", "preference", "flags", "service", "regex", "replacement",
                           "ttl"],
    AresQueryCAAResult: ["critical", "property", "value", "ttl"],
    AresQueryPTRResult: ["name", "ttl", "aliases"],
    AresHostResult: ["name", "aliases", "addresses"],
}


@pytest.mark.parametrize("cls", list(FIELDS), ids=lambda c: c.__name__)
def test_legacy_classes_frozen_slotted(cls: Any) -> None:
    assert [f.name for f in dataclasses.fields(cls)] == FIELDS[cls]
    values = [f"v{i}" for i in range(len(FIELDS[cls]))]
    obj = cls(*values)
    assert not hasattr(obj, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, FIELDS[cls][0], "changed")
    assert obj == cls(*values) and hash(obj) == hash(cls(*values))
    assert copy.copy(obj) == obj and copy.deepcopy(obj) == obj
    assert pickle.loads(pickle.dumps(obj)) == obj
    assert getattr(aio, cls.__name__) is cls  # re-exported like aiodns does
    assert cls.__name__ in dir(aio)


def test_legacy_module_loaded_on_first_use() -> None:
    # Programs that never call the deprecated query()/gethostbyname() do not pay for it.
    code = (
        "import sys, ctypes_cares.aio as aio\n"
        "assert 'ctypes_cares.aio.compat' not in sys.modules\n"
        "from ctypes_cares.aio import AresQueryMXResult, convert_result\n"
        "assert aio.compat.AresQueryMXResult is AresQueryMXResult\n"
        "assert sys.modules['ctypes_cares.aio.compat'].convert_result is convert_result\n"
        "try:\n"
        "    aio.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_name' in str(exc)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def rr(rtype: int, data: Any, ttl: int = 60, name: str = "example") -> DNSRecord:
    return DNSRecord(name, rtype, 1, ttl, data)


def result(*records: DNSRecord) -> DNSResult:
    return DNSResult(list(records), [rr(2, NSRecordData("ignored"))], [])


def test_convert_each_type() -> None:
    soa = SOARecordData("ns1.example", "hostmaster.example", 1, 2, 3, 4, 5)
    cases: List[Any] = [
        (1, ARecordData("10.0.0.1"), [AresQueryAResult("10.0.0.1", 60)]),
        (28, AAAARecordData("::1"), [AresQueryAAAAResult("::1", 60)]),
        (5, CNAMERecordData("www.example"), AresQueryCNAMEResult("www.example", 60)),
        (15, MXRecordData(10, "mx.example"), [AresQueryMXResult("mx.example", 10, 60)]),
        (2, NSRecordData("ns.example"), [AresQueryNSResult("ns.example", 60)]),
        (16, TXTRecordData(b"hello"), [AresQueryTXTResult("hello", 60)]),
        (16, TXTRecordData(b"caf\xc3\xa9"), [AresQueryTXTResult(b"caf\xc3\xa9", 60)]),
        (6, soa, AresQuerySOAResult("ns1.example", "hostmaster.example", 1, 2, 3, 4, 5, 60)),
        (33, SRVRecordData(1, 2, 443, "t.example"),
         [AresQuerySRVResult("t.example", 443, 1, 2, 60)]),
        (35, NAPTRRecordData(1, 2, "S", "SIP", "!x!y!", "r.example"),
         [AresQueryNAPTRResult(1, 2, "S", "SIP", "!x!y!", "r.example", 60)]),
        (257, CAARecordData(128, "issue", "ca.example"),
         [AresQueryCAAResult(128, "issue", "ca.example", 60)]),
        (12, PTRRecordData("host.example"), AresQueryPTRResult("host.example", 60, [])),
    ]
    for rtype, data, expected in cases:
        assert convert_result(result(rr(rtype, data)), rtype) == expected


def test_convert_filters_and_single_results() -> None:
    cname = rr(5, CNAMERecordData("www.example"), ttl=10)
    a1 = rr(1, ARecordData("10.0.0.1"), ttl=20)
    a2 = rr(1, ARecordData("10.0.0.2"), ttl=30)
    assert convert_result(result(cname, a1, a2), 1) == [
        AresQueryAResult("10.0.0.1", 20), AresQueryAResult("10.0.0.2", 30)
    ]
    # First record of a single-result type wins.
    ptrs = result(rr(12, PTRRecordData("a.example")), rr(12, PTRRecordData("b.example")))
    assert convert_result(ptrs, 12) == AresQueryPTRResult("a.example", 60, [])
    # Nothing of the asked type: ENODATA (never for ANY).
    with pytest.raises(DNSError) as info:
        convert_result(result(cname), 1)
    assert info.value.args == (1, "DNS server returned answer with no data")
    with pytest.raises(DNSError):
        convert_result(DNSResult([], [], []), 12)
    assert convert_result(DNSResult([], [], []), 255) == []


def test_convert_any_keeps_unknown_records() -> None:
    https = rr(65, HTTPSRecordData(1, "", []))
    mx = rr(15, MXRecordData(5, "mx.example"))
    converted = convert_result(result(https, mx), 255)
    assert converted[0] is https
    assert converted[1] == AresQueryMXResult("mx.example", 5, 60)
    # A type the legacy API never knew comes back as the record itself.
    assert convert_result(result(https), 65) == [https]


def test_convert_record_duck_typed() -> None:
    record = mock.MagicMock()
    record.type = 1
    record.ttl = 5
    record.data.addr = "192.0.2.1"
    assert compat._convert_record(record) == AresQueryAResult("192.0.2.1", 5)
    record.type = 9999
    assert compat._convert_record(record) is record


def test_maybe_str() -> None:
    assert compat._maybe_str(b"ascii") == "ascii"
    assert compat._maybe_str(b"\xff") == b"\xff"
    assert compat._SINGLE_RESULT_QTYPES == frozenset({5, 6, 12})
