"""Oracles: the numbers the package writes down, against c-ares's own headers and library.

Every value in ``ctypes_cares.constants``, ``_lib``'s ``ARES_OPT_*`` masks and
``ctypes_cares.errno`` is compared with the vendored c-ares headers (the ones the bundled
library is built from), and the error messages with the loaded library's
``ares_strerror``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

import ctypes_cares
from ctypes_cares import _lib, constants, errno

HEADERS = Path(__file__).resolve().parent.parent / "c-ares" / "include"
_DEFINE = re.compile(r"^#define\s+(ARES_[A-Za-z0-9_]+)\s+(.+?)\s*(?:/\*.*)?$")
_ENUM_ITEM = re.compile(r"^\s*(ARES_[A-Z0-9_]+)\s*=\s*([^,/]+?)\s*,?\s*(?:/[*/].*)?$")
_SAFE = re.compile(r"^[\sA-Z0-9_()<<*+|-]+$")


def _definitions(text: str) -> Iterator[Tuple[str, str]]:
    for line in text.splitlines():
        match = _DEFINE.match(line) or _ENUM_ITEM.match(line)
        if match and _SAFE.match(match.group(2)):
            yield match.group(1), match.group(2)


def _header_values() -> Dict[str, int]:
    """Every integer-valued ``#define`` and enum item of ares.h and ares_dns_record.h."""
    pending = dict(
        item
        for name in ("ares.h", "ares_dns_record.h")
        for item in _definitions((HEADERS / name).read_text())
    )
    values: Dict[str, int] = {}
    while pending:
        progress = False
        for name, expr in list(pending.items()):
            try:
                values[name] = int(eval(expr, {"__builtins__": {}}, dict(values)))
            except NameError:
                continue
            except SyntaxError:
                pass
            del pending[name]
            progress = True
        if not progress:
            break
    return values


@pytest.fixture(scope="module")
def header() -> Dict[str, int]:
    if not (HEADERS / "ares.h").exists():
        pytest.skip("the vendored c-ares headers are not in this tree")
    return _header_values()


def _ours() -> Iterator[Tuple[str, str, int]]:
    """(our name, the C name, our value) for every number we write down."""
    for name, value in vars(constants).items():
        if not isinstance(value, int) or name.startswith("_"):
            continue
        if name.startswith(("ARES_FLAG_", "ARES_NI_", "ARES_AI_", "ARES_SERV_STATE_")):
            yield name, name, value
        elif name.startswith("QUERY_TYPE_"):
            yield name, "ARES_REC_TYPE_" + name[len("QUERY_TYPE_"):], value
        elif name.startswith("TYPE_"):
            yield name, "ARES_REC_TYPE_" + name[len("TYPE_"):], value
        elif name.startswith("QUERY_CLASS_"):
            cname = {"CHAOS": "CHAOS", "HS": "HESOID", "NONE": "NONE", "ANY": "ANY", "IN": "IN"}
            yield name, "ARES_CLASS_" + cname[name[len("QUERY_CLASS_"):]], value
        elif name.startswith(("SECTION_", "OPCODE_", "RCODE_", "RR_")):
            yield name, "ARES_" + name, value
        elif name in ("DNS_FLAG_RD", "DNS_FLAG_CD"):
            yield name, "ARES_FLAG_" + name[-2:], value
    for name, value in vars(_lib).items():
        if name.startswith("ARES_OPT_") and isinstance(value, int):
            yield f"_lib.{name}", name, value
    for name, value in vars(errno).items():
        if re.match(r"^_?ARES_(SUCCESS|E[A-Z0-9_]+)$", name) and isinstance(value, int):
            yield f"errno.{name}", name.lstrip("_"), value


def test_every_number_matches_the_c_headers(header: Dict[str, int]) -> None:
    checked = 0
    wrong = []
    for ours, cname, value in _ours():
        if cname not in header:
            wrong.append(f"{ours}: {cname} is not in the headers")
        elif header[cname] != value:
            wrong.append(f"{ours} = {value}, but {cname} = {header[cname]}")
        checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 120  # the parser found what it should


def test_the_package_reexports_the_public_constants() -> None:
    for name in dir(constants):
        if name.startswith(("ARES_FLAG_", "ARES_NI_", "QUERY_TYPE_", "QUERY_CLASS_")):
            assert getattr(ctypes_cares, name) == getattr(constants, name), name


def test_type_tables_agree() -> None:
    assert set(constants.TYPE_NAMES) == set(constants.QUERY_TYPES)
    for number, mnemonic in constants.TYPE_NAMES.items():
        assert getattr(constants, f"QUERY_TYPE_{mnemonic}") == number
    assert ctypes_cares.Channel.__qtypes__ == constants.QUERY_TYPES
    assert ctypes_cares.Channel.__qclasses__ == constants.QUERY_CLASSES


@pytest.mark.skipif(
    _lib.caps.version != (1, 34, 9), reason="the messages are those of c-ares 1.34.9"
)
def test_error_messages_match_ares_strerror() -> None:
    for code, name in errno.errorcode.items():
        expected = (_lib.lib.ares_strerror(code) or b"").decode("ascii")
        assert errno.strerror(code) == expected, name
