"""The package as distributed: the wheel under test (``WHEEL``) and the sdist beside it,
their metadata, the glibc promise of a manylinux tag, the cibuildwheel build list, and
the script that vendors a c-ares release."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterator, Optional, Set, Tuple

import pytest

import ctypes_cares
from ctypes_cares import _loader

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
LICENSE_FILES = ("LICENSE", "c-ares/LICENSE.md")


@pytest.fixture(scope="module")
def wheel() -> Iterator[zipfile.ZipFile]:
    path = os.environ.get("WHEEL", "")
    if not path:
        pytest.skip("WHEEL is not set (scripts/test sets it to the wheel under test)")
    with zipfile.ZipFile(path) as zf:
        yield zf


def dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    member = next(n for n in wheel.namelist() if n.endswith(".dist-info/" + name))
    return wheel.read(member).decode()


# -- the wheel ---------------------------------------------------------------------


def test_wheel_holds_exactly_one_library_and_no_extension(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    libs = [n for n in names if re.search(r"(\.so(\.\d+)*|\.dylib|\.dll)$", n)]
    assert len(libs) == 1, libs
    assert Path(libs[0]).name in _loader.LIBRARY_NAMES
    assert libs[0].startswith("ctypes_cares/")
    # No compiled Python extension: nothing ABI-tagged, no .pyd.
    assert not [n for n in names if re.search(r"\.(cpython|pypy)[^/]*\.so$|\.pyd$|\.abi3\.so$", n)]
    assert "ctypes_cares/py.typed" in names
    for link in wheel.infolist():  # wheels cannot hold symlinks; make sure none slipped in
        assert (link.external_attr >> 16) & 0o170000 != 0o120000, link.filename


def test_wheel_is_tagged_for_every_python(wheel: zipfile.ZipFile) -> None:
    filename = Path(wheel.filename or "").name
    assert re.match(r"ctypes_cares-[^-]+-py3-none-[a-z0-9_.]+\.whl$", filename), filename
    text = dist_info(wheel, "WHEEL")
    assert "Root-Is-Purelib: false" in text
    assert re.search(r"^Tag: py3-none-", text, re.M), text


def glibc_floor(platform_tags: str) -> Optional[Tuple[int, int]]:
    """The oldest glibc the wheel's platform tags promise to run on (None: no promise)."""
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    floors = []
    for tag in platform_tags.split("."):
        match = re.match(r"manylinux_(\d+)_(\d+)_", tag)
        if match:
            floors.append((int(match.group(1)), int(match.group(2))))
        elif tag.split("_")[0] in legacy:
            floors.append(legacy[tag.split("_")[0]])
    return min(floors) if floors else None


def needed_versions(elf: bytes) -> Dict[str, Set[str]]:
    """The symbol versions an ELF64 shared object needs, per library (.gnu.version_r)."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2, "not an ELF64 file"
    order = "<" if elf[5] == 1 else ">"
    shoff, = struct.unpack_from(order + "Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from(order + "HH", elf, 0x3A)
    sections = [
        struct.unpack_from(order + "IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)
    ]

    def string(table: int, offset: int) -> str:
        start = sections[table][4] + offset
        return elf[start:elf.index(b"\0", start)].decode()

    needs: Dict[str, Set[str]] = {}
    for _, kind, _, _, offset, _, link, count, _, _ in sections:
        if kind != 0x6FFFFFFE:  # SHT_GNU_verneed
            continue
        for _ in range(count):
            _, aux_count, file, aux, next_need = struct.unpack_from(order + "HHIII", elf, offset)
            names = needs.setdefault(string(link, file), set())
            at = offset + aux
            for _ in range(aux_count):
                _, _, _, name, next_aux = struct.unpack_from(order + "IHHII", elf, at)
                names.add(string(link, name))
                at += next_aux
            offset += next_need
    return needs


def test_manylinux_wheel_needs_no_newer_glibc_than_its_tag(wheel: zipfile.ZipFile) -> None:
    platform_tags = Path(wheel.filename or "").name[: -len(".whl")].split("-")[-1]
    floor = glibc_floor(platform_tags)
    if floor is None:
        pytest.skip(f"{platform_tags}: a development wheel makes no manylinux promise")
    (library,) = [n for n in wheel.namelist() if n.endswith(".so")]
    needs = needed_versions(wheel.read(library))
    glibc = [
        tuple(int(x) for x in version[len("GLIBC_"):].split("."))
        for versions in needs.values()
        for version in versions
        if version.startswith("GLIBC_")
    ]
    assert glibc, needs
    assert max(glibc)[:2] <= floor, f"{library} needs {needs}; the tag promises glibc {floor}"
    assert set(needs) <= {"libc.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libm.so.6"}


def test_release_wheel_for_linux_x86_64_has_the_manylinux2014_tag(wheel: zipfile.ZipFile) -> None:
    name = Path(wheel.filename or "").name
    if "manylinux" not in name:
        pytest.skip(f"{name} is a development wheel (scripts/wheel makes the release one)")
    if name.endswith("x86_64.whl"):
        assert name.endswith("-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"), name
        tags = set(re.findall(r"^Tag: (\S+)$", dist_info(wheel, "WHEEL"), re.M))
        assert tags == {"py3-none-manylinux_2_17_x86_64", "py3-none-manylinux2014_x86_64"}


# -- metadata ------------------------------------------------------------------------


def test_wheel_metadata_carries_both_licences(wheel: zipfile.ZipFile) -> None:
    metadata = dist_info(wheel, "METADATA")
    assert re.search(r"^License-Expression: MIT$", metadata, re.M), metadata[:800]
    for name in LICENSE_FILES:
        assert f"License-File: {name}\n" in metadata
        assert dist_info(wheel, "licenses/" + name).strip()
    assert "c-ares" in dist_info(wheel, "licenses/LICENSE")


def test_sdist_beside_the_wheel_has_licences_changelog_and_vendored_tree(
    wheel: zipfile.ZipFile,
) -> None:
    sdists = list(Path(wheel.filename or "").parent.glob("ctypes_cares-*.tar.gz"))
    if not sdists:
        pytest.skip("no sdist beside the wheel under test")
    (sdist,) = sdists
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        pkg_info = tar.extractfile(sdist.name[: -len(".tar.gz")] + "/PKG-INFO")
        assert pkg_info is not None
        metadata = pkg_info.read().decode()
    for name in (*LICENSE_FILES, "CHANGELOG.md", "c-ares/include/ares_version.h", "pyproject.toml"):
        assert name in names, name
    for name in LICENSE_FILES:
        assert f"License-File: {name}\n" in metadata


def test_version_is_written_once() -> None:
    try:
        installed = importlib.metadata.version("ctypes-cares")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("no ctypes-cares distribution is installed")
    assert installed == ctypes_cares.__version__
    pyproject = REPO / "pyproject.toml"
    if pyproject.exists():
        text = pyproject.read_text()
        assert 'dynamic = ["version"]' in text
        assert not re.search(r"^version\s*=", text, re.M)
    changelog = REPO / "CHANGELOG.md"
    if changelog.exists():
        assert f"## {ctypes_cares.__version__} " in changelog.read_text()


def test_the_test_extra_covers_every_third_party_import_of_the_suite() -> None:
    if sys.version_info < (3, 10):
        pytest.skip("sys.stdlib_module_names is new in 3.10")
    try:
        requires = importlib.metadata.requires("ctypes-cares") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("no ctypes-cares distribution is installed")
    provided = {
        re.split(r"[ ;<>=!~\[]", req, maxsplit=1)[0].lower().replace("-", "_")
        for req in requires
        if re.search(r"""extra == ["'](test|parity)["']""", req)
    }
    local = {path.stem for path in TESTS.glob("*.py")}
    imported: Set[str] = set()
    for path in TESTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "importorskip":
                imported.add(ast.literal_eval(node.args[0]).split(".")[0])
    # cibuildwheel is a release tool (scripts/release-tools.txt), checked only where present.
    ours = {"ctypes_cares", "__pypy__", "cibuildwheel"}
    third_party = imported - set(sys.stdlib_module_names) - local - ours
    assert third_party - provided == set(), f"the test extra lacks {third_party - provided}"
    assert {"pytest", "pytest_timeout"} <= provided


# -- cibuildwheel: every platform configured -------------------------------------------

CPYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp314t"]
PLATFORMS = {
    "linux": ["manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64", "musllinux_aarch64"],
    "macos": ["macosx_x86_64", "macosx_arm64"],
    "windows": ["win_amd64", "win_arm64"],
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_cibuildwheel_selects_every_python_on_every_platform(platform: str) -> None:
    pytest.importorskip("cibuildwheel")
    if not (REPO / "pyproject.toml").exists():
        pytest.skip("pyproject.toml is not next to the tests")
    proc = subprocess.run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    identifiers = set(proc.stdout.split())
    for arch in PLATFORMS[platform]:
        for python in CPYTHONS:
            assert f"{python}-{arch}" in identifiers
    assert any(i.startswith("pp3") for i in identifiers), identifiers
    known = {f"{p}-{a}" for p in CPYTHONS for a in PLATFORMS[platform]}
    assert {i for i in identifiers if not i.startswith("pp3")} == known


# -- vendoring a c-ares release ----------------------------------------------------------


def fake_release(tmp_path: Path, version: str) -> Path:
    tree = tmp_path / f"c-ares-{version}"
    (tree / "include").mkdir(parents=True)
    (tree / "include" / "ares_version.h").write_text(f'#define ARES_VERSION_STR   "{version}"\n')
    (tree / "LICENSE.md").write_text("MIT License\n")
    (tree / "test").mkdir()
    (tree / "test" / "big.cc").write_text("// the build never reads test/\n")
    archive = tmp_path / f"c-ares-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return archive


def test_vendor_script_replaces_the_tree_from_a_release_tarball(tmp_path: Path) -> None:
    script = REPO / "scripts" / "vendor-c-ares.sh"
    if not script.exists() or shutil.which("bash") is None:
        pytest.skip("scripts/vendor-c-ares.sh (and bash) are not here")
    top = tmp_path / "repo"
    (top / "scripts").mkdir(parents=True)
    shutil.copy(script, top / "scripts")
    (top / "c-ares" / "src").mkdir(parents=True)
    (top / "c-ares" / "src" / "stale.c").write_text("gone after vendoring\n")
    archive = fake_release(tmp_path, "1.99.0")
    proc = subprocess.run(
        ["bash", str(top / "scripts" / "vendor-c-ares.sh"), str(archive)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "c-ares 1.99.0" in proc.stdout
    assert '"1.99.0"' in (top / "c-ares" / "include" / "ares_version.h").read_text()
    assert not (top / "c-ares" / "src" / "stale.c").exists()
    assert not (top / "c-ares" / "test").exists()


def test_vendor_script_refuses_what_is_not_c_ares(tmp_path: Path) -> None:
    script = REPO / "scripts" / "vendor-c-ares.sh"
    if not script.exists() or shutil.which("bash") is None:
        pytest.skip("scripts/vendor-c-ares.sh (and bash) are not here")
    bogus = tmp_path / "c-ares-1.99.0.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        readme = tmp_path / "README"
        readme.write_text("not c-ares\n")
        tar.add(readme, arcname="c-ares-1.99.0/README")
    top = tmp_path / "repo"
    (top / "scripts").mkdir(parents=True)
    shutil.copy(script, top / "scripts")
    (top / "c-ares").mkdir()
    (top / "c-ares" / "keep").write_text("untouched\n")
    proc = subprocess.run(
        ["bash", str(top / "scripts" / "vendor-c-ares.sh"), str(bogus)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "ares_version.h" in proc.stderr
    assert (top / "c-ares" / "keep").read_text() == "untouched\n"
