"""Sphinx configuration of the ctypes_cares site (built by scripts/docs)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
TOP = DOCS.parent
# The source tree's package (its docstrings as they are now) and our local extensions.
sys.path[:0] = [str(TOP), str(DOCS / "_ext")]

import ctypes_cares  # noqa: E402

project = "ctypes_cares"
author = "the ctypes_cares authors"
copyright = "the ctypes_cares authors, MIT licence"
release = ctypes_cares.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "myst_parser",
    "cli_options",
    "capability_table",
    "constant_tables",
    "benchmark_results",
]

# Option names and quotes are shown as written ("--search", not an en dash).
smartquotes = False

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_generated", "examples", "requirements.txt"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Signatures carry the annotations; the description repeats none of them.
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"


html_theme = "furo"
html_title = f"ctypes_cares {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
