"""Tests that need something the loaded libcares lacks are skipped, and counted.

``needs("reinit", "1.22")`` skips a test where the library under test (bundled, or
CARES_LIBRARY) lacks that capability; the end of the run prints how many tests were
skipped this way, so a run against an old library shows what it did not cover.
"""

from __future__ import annotations

from typing import Any

import pytest

from ctypes_cares import _lib

REASON_PREFIX = "needs c-ares >="


def needs(capability: str, version: str) -> Any:
    """A skipif marker for a ``capabilities`` fact (see ctypes_cares.capabilities)."""
    return pytest.mark.skipif(
        not getattr(_lib.caps, capability),
        reason=f"{REASON_PREFIX} {version} ({capability}); loaded {_lib.caps.version_str}",
    )


def needs_version(version: str) -> Any:
    """A skipif marker for behaviour that arrived in a c-ares release."""
    wanted = tuple(int(x) for x in version.split("."))
    return pytest.mark.skipif(
        _lib.caps.version < wanted,
        reason=f"{REASON_PREFIX} {version}; loaded {_lib.caps.version_str}",
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(REASON_PREFIX in str(report.longrepr) for report in skipped)
    terminalreporter.write_line(
        f"capability skips (c-ares {_lib.caps.version_str} lacks the feature): {count}"
    )
