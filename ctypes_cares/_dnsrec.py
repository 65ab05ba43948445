"""Turning a parsed c-ares answer (``const ares_dns_record_t *``) into a DNSResult.

c-ares >= 1.28 hands query callbacks a parsed record, not the bytes received.  The fast
path writes it back to wire form with one ``ares_dns_write`` call and decodes the bytes
in Python (records.parse_dns_response): a handful of C calls per answer instead of
several per record field.

``ares_dns_write`` refuses some records c-ares itself accepted (owner names with
legal-but-unusual label bytes such as ``.``, ``\\``, NUL or 0xff; measured: 44 of 45 such
answers).  Those are decoded instead by walking the record with c-ares's accessors, so
such answers still arrive, as they do with pycares (``_dnswalk``, imported on first use).
Must be called while the record is still valid, i.e. inside the completion callback.
"""

from __future__ import annotations

import threading
from ctypes import byref, c_size_t, c_void_p
from typing import Optional, Union

from ._lib import copy_bytes, lib
from .errno import ARES_SUCCESS
from .records import BadResponse, DNSResult, parse_dns_response

__all__ = ["decode_dns_record", "dns_record_wire"]


def decode_dns_record(record: Optional[int]) -> DNSResult:
    """Decode the answer c-ares parsed; BadResponse if it cannot be decoded."""
    answer = dns_record_wire(record)
    if isinstance(answer, bytes):
        return parse_dns_response(answer, written_by_cares=True)
    return answer


def dns_record_wire(record: Optional[int]) -> Union[bytes, DNSResult]:
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
    if lib.ares_dns_write(record, buf_ref, size_ref) == ARES_SUCCESS:
        try:
            return copy_bytes(buf.value, size.value)  # type: ignore[arg-type]
        finally:
            lib.ares_free_string(buf)
    try:
        return _walk(record)
    except Exception as exc:
        raise BadResponse(f"cannot walk the answer record: {exc}") from exc


#: ares_dns_write's out-parameters, one set per thread (callbacks of different channels
#: run on different threads).  Reused because each ctypes object costs an allocation,
#: and on PyPy raw memory its garbage collector does not count.
_write_out = threading.local()


def _walk(record: int) -> DNSResult:
    """The accessor walk (``_dnswalk``), imported the first time an answer needs it."""
    from ._dnswalk import walk

    return walk(record)

