"""``.. capability-table::``: what each c-ares release gives the binding, computed from
the binding's own knowledge, never typed in:

* ``ctypes_cares._lib.PROTOTYPES``: every optional function with its first release;
* ``ctypes_cares._lib._probe``: the probe that fills ``ctypes_cares.capabilities`` at
  import, run here against a stand-in library of each release (a function is present
  when its row's ``since`` is not newer; built with threads);
* ``ctypes_cares._settings.SETTINGS``: the keyword settings and their first release.

The releases shown are the supported minimum, every release some row names, and the
newest security release.  Option ``:releases:`` renders only the release summary table;
``:matrix:`` only the fact x release matrix (default: both).
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

Version = Tuple[int, int, int]


def text(version: Version) -> str:
    return ".".join(map(str, version))


class StandIn:
    """The bound functions of a library of ``version``: a dummy callable for each row of
    the prototype table the release has, None for the others (what ``bind`` leaves)."""

    def __init__(self, version: Version, prototypes: Sequence[Any]) -> None:
        for proto in prototypes:
            present = proto.since is None or proto.since <= version
            setattr(self, proto.name, self._dummy if present else None)
        number = (version[0] << 16) | (version[1] << 8) | version[2]

        def ares_version(ref: Any) -> bytes:
            ctypes.cast(ref, ctypes.POINTER(ctypes.c_int))[0] = number
            return text(version).encode()

        self.ares_version: Callable[[Any], bytes] = ares_version
        if self.__dict__.get("ares_threadsafety") is not None:
            self.ares_threadsafety: Optional[Callable[[], int]] = lambda: 1

    @staticmethod
    def _dummy(*args: Any) -> int:
        return 0


def probe(version: Version) -> Any:
    """``ctypes_cares.capabilities`` as a library of ``version`` would make it."""
    from ctypes_cares import _lib

    stand_in: Any = StandIn(version, _lib.PROTOTYPES)  # bound like _lib.Functions
    return _lib._probe(None, stand_in, f"c-ares {text(version)}")


def releases() -> List[Version]:
    from ctypes_cares import _lib, _settings

    found = {_lib.MIN_VERSION, _lib.SECURITY_RELEASE}
    found.update(p.since for p in _lib.PROTOTYPES if p.since is not None)
    found.update(s.since for s in _settings.SETTINGS.values() if s.since > _lib.MIN_VERSION)
    # Facts the probe derives from the version number alone: find where each turns on.
    newest = _lib.SECURITY_RELEASE
    candidates = sorted({(1, minor, 0) for minor in range(_lib.MIN_VERSION[1], newest[1] + 1)} | found)
    facts = fact_names()
    last: Optional[Tuple[bool, ...]] = None
    for version in candidates:
        current = tuple(bool(getattr(probe(version), f)) for f in facts)
        if last is not None and current != last:
            found.add(version)
        last = current
    return sorted(v for v in found if v <= newest)


def fact_names() -> List[str]:
    from ctypes_cares import _lib

    return list(_lib.Capabilities._fields[3:])


def settings_by_release() -> Dict[Version, List[str]]:
    from ctypes_cares import _lib, _settings

    out: Dict[Version, List[str]] = {}
    for name, setting in _settings.SETTINGS.items():
        out.setdefault(max(setting.since, _lib.MIN_VERSION), []).append(name)
    return out


def _table(header: Sequence[str], rows: Sequence[Sequence[nodes.Node]], widths: Sequence[int]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.paragraph(text=h) for h in header])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: Sequence[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell
        row += entry
    return row


def _literals(names: Sequence[str]) -> nodes.paragraph:
    para = nodes.paragraph()
    for n, name in enumerate(names):
        if n:
            para += nodes.Text(", ")
        para += nodes.literal(text=name)
    return para


def release_rows() -> List[List[nodes.Node]]:
    """One row per release: the facts that turn on, the settings and functions it brings."""
    from ctypes_cares import _lib

    settings = settings_by_release()
    facts = fact_names()
    rows: List[List[nodes.Node]] = []
    before: Optional[Any] = None
    for version in releases():
        caps = probe(version)
        new_facts = [f for f in facts if getattr(caps, f) and (before is None or not getattr(before, f))]
        functions = [p.name for p in _lib.PROTOTYPES if p.since == version]
        if version == _lib.MIN_VERSION:
            functions = [p.name for p in _lib.PROTOTYPES if p.since is None or p.since <= version]
            functions = [f"{len(functions)} functions (the required rows)"]
        label = text(version)
        if version == _lib.MIN_VERSION:
            label += " (oldest accepted)"
        if version == _lib.SECURITY_RELEASE:
            label += " (no RuntimeWarning from here; bundled)"
        rows.append([
            nodes.paragraph(text=label),
            _literals(new_facts),
            _literals(settings.get(version, [])),
            _literals(functions),
        ])  # fmt: skip
        before = caps
    return rows


def matrix_rows() -> Tuple[List[str], List[List[nodes.Node]]]:
    versions = releases()
    probed = [probe(v) for v in versions]
    rows: List[List[nodes.Node]] = []
    for fact in fact_names():
        cells: List[nodes.Node] = [nodes.paragraph("", "", nodes.literal(text=fact))]
        cells += [nodes.paragraph(text="yes" if getattr(c, fact) else "-") for c in probed]
        rows.append(cells)
    return ["fact"] + [text(v) for v in versions], rows


class CapabilityTable(SphinxDirective):
    has_content = False
    option_spec = {"releases": directives.flag, "matrix": directives.flag}

    def run(self) -> List[nodes.Node]:
        both = "releases" not in self.options and "matrix" not in self.options
        out: List[nodes.Node] = []
        if both or "releases" in self.options:
            header = ["c-ares", "capabilities facts that turn on", "settings it brings", "functions bound from it"]
            out.append(_table(header, release_rows(), [14, 26, 26, 34]))
        if both or "matrix" in self.options:
            header, rows = matrix_rows()
            out.append(_table(header, rows, [22] + [6] * (len(header) - 1)))
        return out


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("capability-table", CapabilityTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
