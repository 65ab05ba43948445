"""Oracle for the wire decoder: c-ares itself.

``parse_dns_response`` mirrors what c-ares 1.34.9's ``ares_dns_parse`` accepts and how
c-ares presents it.  Here every message of test_wire_rejects' corpus (the malformed ones,
every truncation and thousands of random mutations of a message holding every type) goes
through both: the library's parser, read back with its own accessors (``_answer.walk``),
and ours must agree on accept/reject and, when both accept, on every decoded field.
"""

from __future__ import annotations

import ctypes
import random
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint, c_void_p
from typing import Iterator, Optional

import pytest

from ctypes_cares import _answer, _cdefs, _lib
from ctypes_cares.records import BadResponse, DNSResult, parse_dns_response
from test_wire_rejects import MALFORMED, _mutate, _rich_message

#: ares_dns_parse(buf, len, flags, &record), bound here (the package never parses bytes
#: with c-ares) through a prototype of its own, so the package's dll stays untouched.
_PARSE = (
    ctypes.CFUNCTYPE(c_int, c_char_p, c_size_t, c_uint, POINTER(_cdefs.dns_record_p))(
        ("ares_dns_parse", _lib.dll)
    )
    if hasattr(_lib.dll, "ares_dns_parse")
    else None
)

pytestmark = pytest.mark.skipif(
    _lib.caps.version != (1, 34, 9) or _PARSE is None,
    reason="the decoder mirrors c-ares 1.34.9's parser",
)


def _cares_parse(raw: bytes) -> Optional[DNSResult]:
    """What c-ares makes of ``raw``: None if ares_dns_parse refuses it."""
    assert _PARSE is not None
    record = _cdefs.dns_record_p()
    if _PARSE(raw, len(raw), 0, byref(record)) != 0:
        return None
    try:
        return _answer.walk(ctypes.cast(record, c_void_p).value)  # type: ignore[arg-type]
    finally:
        _lib.lib.ares_dns_record_destroy(record)


def _ours(raw: bytes) -> Optional[DNSResult]:
    try:
        return parse_dns_response(raw)
    except BadResponse:
        return None


def _corpus() -> Iterator[bytes]:
    yield from MALFORMED.values()
    base = _rich_message()
    yield base
    for cut in range(len(base)):
        yield base[:cut]
    rng = random.Random(20261205)
    for _ in range(3000):
        yield _mutate(rng, base)


def test_the_decoder_agrees_with_c_ares() -> None:
    accepted = rejected = 0
    for raw in _corpus():
        theirs, ours = _cares_parse(raw), _ours(raw)
        assert (theirs is None) == (ours is None), raw.hex()
        if ours is None:
            rejected += 1
            continue
        accepted += 1
        assert ours == theirs, raw.hex()
    assert accepted > 100 and rejected > 100


def test_the_oracle_is_live() -> None:
    # The library the oracle calls is the one the package loaded.
    assert isinstance(_lib.dll, ctypes.CDLL)
    assert _cares_parse(_rich_message()) is not None
