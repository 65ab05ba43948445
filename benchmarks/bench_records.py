"""Micro benchmark: microseconds per parse_dns_response() of a 20-record A answer.

Run: python3 benchmarks/bench_records.py   (from the repository root)
"""

from __future__ import annotations

import importlib
import struct
import sys
import timeit
from pathlib import Path
from types import ModuleType


def _load_records() -> ModuleType:
    # The source tree's records (and the pure-Python modules it imports) under a package
    # whose __init__ never runs, so the benchmark never needs the C library.
    package = ModuleType("_bench_ctypes_cares")
    package.__path__ = [str(Path(__file__).resolve().parent.parent / "ctypes_cares")]
    sys.modules[package.__name__] = package
    return importlib.import_module(f"{package.__name__}.records")


def build_answer(count: int = 20) -> bytes:
    """An A answer for example.com with ``count`` RRs, owners compressed to the question."""
    header = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, count, 0, 0)
    question = b"\x07example\x03com\x00" + struct.pack("!HH", 1, 1)
    answers = b"".join(
        b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes((10, 0, i // 256, i % 256))
        for i in range(count)
    )
    return header + question + answers


def main() -> None:
    records = _load_records()
    message = build_answer()
    result = records.parse_dns_response(message)
    assert len(result.answer) == 20 and result.answer[19].data.addr == "10.0.0.19"
    number = 20000
    best = min(timeit.repeat(lambda: records.parse_dns_response(message), number=number, repeat=7))
    print(
        f"parse_dns_response, 20-record A answer ({len(message)} bytes): "
        f"{best / number * 1e6:.2f} us per parse "
        f"({sys.implementation.name} {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
