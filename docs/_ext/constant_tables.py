"""``.. constant-table:: module``: the module's integer constants whose names start with
one of ``:prefixes:`` (space-separated), in source order, with their values and their
``#:`` comments (and, with ``:strerror:``, ``ctypes_cares.errno.strerror`` of each).
``:exported:`` adds whether ``import ctypes_cares`` has the name and whether it is in
pycares 5.2.1's ``__all__`` (ours is the same list).
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

from capability_table import _table


def constants(module_name: str, prefixes: List[str]) -> List[str]:
    """The names, in the order the module's source defines them."""
    module = importlib.import_module(module_name)
    analyzer = ModuleAnalyzer.for_module(module_name)
    analyzer.analyze()
    order = sorted(analyzer.tagorder, key=analyzer.tagorder.__getitem__)
    return [
        name for name in order
        if any(name.startswith(p) for p in prefixes) and isinstance(getattr(module, name, None), int)
    ]  # fmt: skip


def comments(module_name: str) -> Dict[str, str]:
    analyzer = ModuleAnalyzer.for_module(module_name)
    return {name: " ".join(lines).strip() for (_, name), lines in analyzer.find_attr_docs().items()}


class ConstantTable(SphinxDirective):
    required_arguments = 1
    option_spec = {
        "prefixes": directives.unchanged_required,
        "strerror": directives.flag,
        "exported": directives.flag,
    }

    def run(self) -> List[nodes.Node]:
        import ctypes_cares
        from ctypes_cares import errno

        module_name = self.arguments[0]
        module = importlib.import_module(module_name)
        notes = comments(module_name)
        header = ["name", "value"]
        if "strerror" in self.options:
            header.append("message (strerror)")
        if "exported" in self.options:
            header.append("ctypes_cares / __all__")
        header.append("note")
        rows: List[List[nodes.Node]] = []
        for name in constants(module_name, self.options["prefixes"].split()):
            cells: List[nodes.Node] = [
                nodes.paragraph("", "", nodes.literal(text=name)),
                nodes.paragraph(text=str(getattr(module, name))),
            ]
            if "strerror" in self.options:
                cells.append(nodes.paragraph(text=errno.strerror(getattr(module, name))))
            if "exported" in self.options:
                top = hasattr(ctypes_cares, name)
                listed = name in ctypes_cares.__all__
                cells.append(nodes.paragraph(text=("yes" if top else "no") + " / " + ("yes" if listed else "no")))
            cells.append(nodes.paragraph(text=notes.get(name, "")))
            rows.append(cells)
        widths = [30, 8] + [24] * (len(header) - 3) + [38]
        return [_table(header, rows, widths)]


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("constant-table", ConstantTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
