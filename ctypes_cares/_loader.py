"""Which libcares file to load, and loading it.  No knowledge of c-ares's API.

Order, and nothing else (no silent fallback to a system copy):

1. ``CARES_LIBRARY`` set: exactly that file (made absolute).
2. The library in this package's directory: an installed wheel has it there.
3. Only when that directory has no library file at all, which is what a source tree
   looks like (Python started at the top of a clone imports ``./ctypes_cares`` in place
   of the installed package): the library of the installed ``ctypes-cares``
   distribution, as its file list (``importlib.metadata``) names it.  That is also how
   an editable install (``pip install -e .``) finds the library its build installed into
   site-packages while the Python files stay in the source tree.

Every path is absolute, so the platform loader never searches its own path for it.  On
Windows the library's directory is added to the DLL search path while it loads, so a
DLL that it depends on and that sits beside it is found.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple

ENV_VAR = "CARES_LIBRARY"
DISTRIBUTION = "ctypes-cares"
PACKAGE = "ctypes_cares"
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def library_names(platform: str = sys.platform) -> Tuple[str, ...]:
    """The file names c-ares's CMake build gives the shared library on ``platform``."""
    if platform == "win32":
        return ("cares.dll", "libcares.dll")  # MSVC; MinGW
    if platform == "darwin":
        return ("libcares.dylib",)
    return ("libcares.so",)


LIBRARY_NAMES = library_names()


def installed_libraries(names: Sequence[str] = LIBRARY_NAMES) -> Tuple[str, ...]:
    """The library files the installed distribution's file list names, as absolute paths."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution
    except ImportError:  # pragma: no cover - Python < 3.8
        return ()
    try:
        files = distribution(DISTRIBUTION).files or []
    except PackageNotFoundError:
        return ()
    found = []
    for entry in files:
        parts = entry.parts
        if len(parts) == 2 and parts[0] == PACKAGE and parts[1] in names:
            found.append(os.path.abspath(str(entry.locate())))
    return tuple(found)


def candidate_paths(
    env: Optional[Mapping[str, str]] = None,
    package_dir: str = PACKAGE_DIR,
    names: Sequence[str] = LIBRARY_NAMES,
    installed: Callable[[Sequence[str]], Iterable[str]] = installed_libraries,
) -> Tuple[str, ...]:
    """The library files this process would try, in order (see the module docstring)."""
    chosen = (os.environ if env is None else env).get(ENV_VAR)
    if chosen:
        return (os.path.abspath(chosen),)
    own = tuple(os.path.join(package_dir, name) for name in names)
    if any(os.path.exists(path) for path in own):
        return own
    return own + tuple(path for path in installed(names) if path not in own)


def _open(path: str, platform: str) -> Any:
    if platform == "win32" and hasattr(os, "add_dll_directory"):
        with os.add_dll_directory(os.path.dirname(path)):
            return ctypes.CDLL(path)
    return ctypes.CDLL(path)


def load_library(
    paths: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    package_dir: str = PACKAGE_DIR,
    platform: str = sys.platform,
    min_version: str = "1.17.0",
) -> Tuple[Any, str]:
    """Load the first loadable file of ``paths``; ImportError listing every attempt."""
    env = os.environ if env is None else env
    if paths is None:
        paths = candidate_paths(env, package_dir, library_names(platform))
    errors = []
    for path in paths:
        try:
            return _open(path, platform), path
        except OSError as exc:
            errors.append(f"  {path}: {exc}")
    if env.get(ENV_VAR):
        source = f"{ENV_VAR} is set"
    else:
        source = f"the package directory ({package_dir})"
    advice = f"Set {ENV_VAR}=/path/to/{library_names(platform)[0]} (c-ares >= {min_version})"
    if env.get(ENV_VAR) or any(os.path.exists(path) for path in paths):
        advice += " to use another copy of the library."
    else:
        advice = (
            f"{package_dir} holds no library and no installed {DISTRIBUTION} has one: this"
            " looks like a source tree. Install the package first (`pip install .`, or"
            " `pip install -e .` to work on it), or run Python outside the source tree.\n"
            + advice
            + " to use a library of your own."
        )
    raise ImportError(
        f"ctypes_cares could not load libcares from {source}. Tried:\n"
        + "\n".join(errors)
        + "\n"
        + advice
    )
