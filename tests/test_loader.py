"""_loader: which libcares file is loaded, on every platform, and from a source tree.

The Windows and macOS branches run here with the platform passed in and the OS
functions replaced; the source-tree cases run a copy of the package's Python files
without a library, as Python started at the top of a clone sees it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import pytest

import ctypes_cares
from ctypes_cares import _lib, _loader
from cares_helpers import QUIET_OUTDATED
from dnsserver import DNSServer

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(ctypes_cares.__file__).resolve().parent


# -- library names and candidate paths ------------------------------------------------


@pytest.mark.parametrize(
    "platform, first",
    [("win32", "cares.dll"), ("darwin", "libcares.dylib"), ("linux", "libcares.so"),
     ("freebsd14", "libcares.so")],
)
def test_library_names_per_platform(platform: str, first: str) -> None:
    assert _loader.library_names(platform)[0] == first
    if platform == "win32":
        assert _loader.library_names(platform) == ("cares.dll", "libcares.dll")


def no_installed(names: Sequence[str]) -> List[str]:
    return []


def test_cares_library_is_the_only_candidate_made_absolute(tmp_path: Path) -> None:
    env = {"CARES_LIBRARY": "lib/libcares.so.2"}
    paths = _loader.candidate_paths(env, str(tmp_path), ("libcares.so",), no_installed)
    assert paths == (os.path.abspath("lib/libcares.so.2"),)


def test_package_library_present_means_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "cares.dll").write_bytes(b"")

    def installed(names: Sequence[str]) -> List[str]:
        raise AssertionError("the installed distribution must not be consulted")

    paths = _loader.candidate_paths({}, str(tmp_path), _loader.library_names("win32"), installed)
    assert paths == (str(tmp_path / "cares.dll"), str(tmp_path / "libcares.dll"))


def test_source_tree_falls_back_to_the_installed_library(tmp_path: Path) -> None:
    own = str(tmp_path / "libcares.dylib")
    site = "/site-packages/ctypes_cares/libcares.dylib"
    paths = _loader.candidate_paths(
        {}, str(tmp_path), ("libcares.dylib",), lambda names: [site, own]
    )
    assert paths == (own, site)


def test_installed_libraries_names_the_installed_copy() -> None:
    found = _loader.installed_libraries()
    if not found:
        pytest.skip("no ctypes-cares distribution is installed")
    assert all(os.path.isabs(path) and os.path.exists(path) for path in found)
    if "CARES_LIBRARY" not in os.environ:
        assert _lib.caps.path in found or _lib.caps.path == str(PACKAGE_DIR / _loader.LIBRARY_NAMES[0])


# -- loading: absolute paths, the DLL directory, the error -------------------------------


class FakeCDLL:
    loaded: List[str] = []

    def __init__(self, path: str) -> None:
        if not os.path.isabs(path):
            raise AssertionError(f"not absolute: {path}")
        if not path.endswith("cares.dll"):
            raise OSError(f"cannot load {path}")
        self.loaded.append(path)


def test_windows_loads_with_the_library_directory_on_the_dll_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cares.dll").write_bytes(b"MZ")
    directories: List[str] = []
    events: List[str] = []

    @contextlib.contextmanager
    def add_dll_directory(path: str) -> Iterator[None]:
        directories.append(path)
        events.append("added")
        yield
        events.append("removed")

    monkeypatch.setattr(os, "add_dll_directory", add_dll_directory, raising=False)
    monkeypatch.setattr(_loader.ctypes, "CDLL", FakeCDLL)
    FakeCDLL.loaded = []
    dll, path = _loader.load_library(env={}, package_dir=str(tmp_path), platform="win32")
    assert path == str(tmp_path / "cares.dll") and FakeCDLL.loaded == [path]
    assert directories == [str(tmp_path)] and events == ["added", "removed"]


def test_macos_loads_the_dylib_by_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: List[str] = []

    def cdll(path: str) -> object:
        loaded.append(path)
        return object()

    (tmp_path / "libcares.dylib").write_bytes(b"")
    monkeypatch.setattr(_loader.ctypes, "CDLL", cdll)
    monkeypatch.delattr(os, "add_dll_directory", raising=False)
    _loader.load_library(env={"CARES_LIBRARY": ""}, package_dir=str(tmp_path), platform="darwin")
    assert loaded == [str(tmp_path / "libcares.dylib")]


def test_a_source_tree_without_any_library_says_what_to_do(tmp_path: Path) -> None:
    paths = _loader.candidate_paths({}, str(tmp_path), ("libcares.so",), no_installed)
    with pytest.raises(ImportError) as info:
        _loader.load_library(paths, env={}, package_dir=str(tmp_path))
    message = str(info.value)
    assert str(tmp_path / "libcares.so") in message
    assert "source tree" in message and "pip install ." in message and "pip install -e ." in message
    assert "CARES_LIBRARY=" in message


def test_a_broken_library_file_is_not_called_a_source_tree(tmp_path: Path) -> None:
    (tmp_path / "libcares.so").write_text("not ELF\n")
    with pytest.raises(ImportError) as info:
        _loader.load_library(env={}, package_dir=str(tmp_path), platform="linux")
    message = str(info.value)
    assert "source tree" not in message and "to use another copy" in message


# -- from a clone: the source tree shadows the installed package ---------------------------


def source_tree(tmp_path: Path) -> Path:
    """A copy of the imported package's Python files, no library: a clone's top."""
    top = tmp_path / "clone"
    shutil.copytree(
        PACKAGE_DIR, top / "ctypes_cares",
        ignore=shutil.ignore_patterns("*.so", "*.dylib", "*.dll", "__pycache__"),
    )
    return top


def run_in(top: Path, *args: str, env: Optional[Dict[str, str]] = None) -> "subprocess.CompletedProcess[str]":
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CARES_LIBRARY")}
    full["PYTHONWARNINGS"] = QUIET_OUTDATED
    full.update(env or {})
    return subprocess.run(
        [sys.executable, *args], cwd=top, env=full, capture_output=True, text=True, timeout=60
    )


def readme_first_command() -> List[str]:
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not next to the tests")
    block = re.search(r"```sh\n(.*?)```", readme.read_text(), re.S)
    assert block is not None
    first = block.group(1).splitlines()[0].split("#")[0].strip()
    install, query = first.split(" && ")
    assert install == "pip install ."
    words = query.split()
    assert words[:3] == ["python", "-m", "ctypes_cares"], first
    return words[3:]


def test_readme_command_works_from_the_top_of_a_clone(tmp_path: Path, dns_server: DNSServer) -> None:
    if not _loader.installed_libraries():
        pytest.skip("no ctypes-cares distribution is installed (the README's `pip install .`)")
    args = readme_first_command()
    assert args == ["example.com", "MX"]
    dns_server.add("example.com", "MX", (10, "mail.example.com"))
    top = source_tree(tmp_path)
    proc = run_in(top, "-m", "ctypes_cares", *args, "--server", dns_server.address)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"example\.com\.\s+300\s+IN\s+MX\s+10 mail\.example\.com\.", proc.stdout), proc.stdout
    version = run_in(top, "-m", "ctypes_cares", "--version")
    assert version.returncode == 0, version.stderr
    assert str(top) not in version.stdout  # the library is the installed one, not the tree's
    assert any(path in version.stdout for path in _loader.installed_libraries()), version.stdout


def test_a_source_tree_with_nothing_installed_fails_clearly(tmp_path: Path) -> None:
    top = source_tree(tmp_path)
    # -S: no site-packages, so no installed distribution can be found either.
    proc = run_in(top, "-S", "-c", "import ctypes_cares")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()
    assert any(line.startswith("ImportError: ctypes_cares could not load libcares") for line in last)
    assert "looks like a source tree" in proc.stderr and "pip install ." in proc.stderr
    assert str(top / "ctypes_cares" / "libcares.so") in proc.stderr or sys.platform != "linux"
