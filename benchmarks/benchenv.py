"""The benchmark's virtual environments: aiodns 4.0.4 on pycares 5.2.1, uvloop, and
ctypes_cares installed from a wheel, all in one venv so both sides share the interpreter;
and for run.py's ``@pypy`` clients a PyPy venv holding only ctypes_cares (same wheel).

``benchmarks/.venv`` is for the ``python3`` on PATH; another interpreter (``--python``,
``--pypy``) gets its own ``benchmarks/.venv-<name>``. The wheel is built with ``python -m build --wheel`` into
``benchmarks/.wheels/`` using a CMake build directory of our own (``benchmarks/.build/``),
so a benchmark never shares a half-written build tree with a test run going on at the
same time. All of these are gitignored.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASELINE = ["pycares==5.2.1", "aiodns==4.0.4"]
BUILD_VENV = HERE / ".venv"  # always CPython: the wheel (py3-none) is built from here
WHEELS = HERE / ".wheels"
CMAKE_BUILD = HERE / ".build"


@dataclass
class Env:
    python: Path  # the venv's interpreter the measurements run on
    wheel: Path | None  # what was installed (None: kept what was there)
    has_uvloop: bool
    versions: str  # one line: what the venv holds


def _env() -> dict:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)  # the source tree must never shadow the installed wheel
    return env


def _neutral_cwd() -> str:
    # 'python -m X' puts the working directory first on sys.path: from the repository
    # root, its build/ directory would be imported as the 'build' package.
    BUILD_VENV.mkdir(parents=True, exist_ok=True)
    return str(BUILD_VENV)


def _works(interpreter: Path, code: str) -> bool:
    proc = subprocess.run(
        [str(interpreter), "-c", code], capture_output=True, env=_env(), cwd=_neutral_cwd()
    )
    return proc.returncode == 0


def _run(cmd: Sequence[object], what: str, quiet: bool = True) -> str:
    """Run a setup command; on failure raise with its output, which is hidden otherwise."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
        cwd=_neutral_cwd(),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout[-4000:]}")
    if not quiet:
        print(proc.stdout, end="")
    return proc.stdout


def venv_dir(python: str) -> Path:
    if python == "python3":
        return BUILD_VENV
    return HERE / f".venv-{Path(python).name}"  # pypy3: benchmarks/.venv-pypy3


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(python: str, venv: Path, baseline: bool = True, uvloop: bool = True) -> Path:
    """Create ``venv`` with ``python`` if needed; install the baseline (aiodns, pycares)
    if ``baseline`` and it is missing, and uvloop (if ``uvloop``) where it installs."""
    interpreter = _venv_python(venv)
    if not interpreter.exists():
        found = shutil.which(python) or python
        print(f"== creating {venv.relative_to(REPO)} with {found}", flush=True)
        _run([found, "-m", "venv", venv], "creating the venv")
    probe = (
        "import aiodns, pycares; "
        "assert (aiodns.__version__, pycares.__version__) == ('4.0.4', '5.2.1')"
    )
    if baseline and not _works(interpreter, probe):
        print(f"== installing {' '.join(BASELINE)} into {venv.name}", flush=True)
        try:
            _run([interpreter, "-m", "pip", "install", "-q", *BASELINE], "pip install baseline")
        except RuntimeError as exc:
            # e.g. pycares 5.2.1 needs Python >= 3.11; Debian's PyPy is 3.9.
            raise RuntimeError(
                f"{exc}\nWithout aiodns in this venv, run with --clients ctypes_cares"
            ) from None
    if uvloop and not _works(interpreter, "import uvloop"):
        # uvloop has no PyPy build: a failure here only drops the uvloop runs.
        proc = subprocess.run(
            [interpreter, "-m", "pip", "install", "-q", "uvloop"],
            capture_output=True,
            text=True,
            env=_env(),
            cwd=_neutral_cwd(),
        )
        if proc.returncode:
            print(f"== uvloop cannot be installed for {python}; only the default loop", flush=True)
    return interpreter


def build_wheel() -> Path:
    """Build the ctypes_cares wheel from the working tree (incremental CMake build)."""
    builder = ensure_venv("python3", BUILD_VENV)
    if not _works(builder, "import build.__main__"):
        _run([builder, "-m", "pip", "install", "-q", "build"], "pip install build")
    shutil.rmtree(WHEELS, ignore_errors=True)
    print("== building the ctypes_cares wheel (python -m build --wheel)", flush=True)
    _run(
        [
            builder,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            WHEELS,
            f"-Cbuild-dir={CMAKE_BUILD}/{{wheel_tag}}",
            REPO,
        ],
        "building the wheel",
    )
    wheels = sorted(WHEELS.glob("ctypes_cares-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel in {WHEELS}, found {wheels}")
    return wheels[0]


def prepare(
    python: str, wheel: str | Path | None, build: bool, baseline: bool = True, uvloop: bool = True
) -> Env:
    """The venv for ``python``, with the wheel given, a freshly built one, or (build False
    and no wheel) whatever ctypes_cares is installed there already. ``baseline``: aiodns
    and pycares are needed too. ``uvloop`` False: do not try to install it (PyPy).

    For a second interpreter (``run.py``'s ``@pypy`` clients) pass the wheel the first
    call installed: one py3-none wheel, built with CPython, serves both."""
    venv = venv_dir(python)
    interpreter = ensure_venv(python, venv, baseline, uvloop)
    chosen: Path | None = Path(wheel).resolve() if wheel else None
    if chosen is None and build:
        chosen = build_wheel()
    if chosen is not None:
        print(f"== installing {chosen.name}", flush=True)
        _run(
            [interpreter, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", chosen],
            "installing the wheel",
        )
    facts = subprocess.run(
        [interpreter, "-c", _FACTS],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=HERE,
    )
    if facts.returncode:
        raise RuntimeError(f"the benchmark venv is not usable:\n{facts.stderr[-3000:]}")
    lines: list[str] = facts.stdout.splitlines()
    if lines[1] and not Path(lines[1]).resolve().is_relative_to(venv.resolve()):
        raise RuntimeError(f"ctypes_cares is imported from {lines[1]}, not from {venv}")
    return Env(
        python=interpreter,
        wheel=chosen,
        has_uvloop="uvloop=none" not in lines[0],
        versions=lines[0],
    )


# Printed by the venv's interpreter: one line of versions, then where ctypes_cares is.
_FACTS = """
import sys
try:
    import aiodns, pycares
    base = (f"aiodns={aiodns.__version__} pycares={pycares.__version__} "
            f"(c-ares {pycares.ARES_VERSION})")
except ImportError:
    base = "aiodns=none"
try:
    import uvloop; uv = uvloop.__version__
except ImportError:
    uv = "none"
try:
    import ctypes_cares, ctypes_cares.aio
    cc = f"ctypes_cares={ctypes_cares.__version__} (c-ares {ctypes_cares.capabilities.version_str})"
    where = ctypes_cares.__file__
except Exception as exc:
    cc = f"ctypes_cares.aio=UNUSABLE ({type(exc).__name__}: {exc})"
    where = ""
impl = f"{sys.implementation.name}-{sys.version.split()[0]}"
print(f"{impl} {base} uvloop={uv} {cc}")
print(where)
"""


if __name__ == "__main__":  # python3 benchmarks/benchenv.py: just set the venv up
    print(prepare("python3", sys.argv[1] if len(sys.argv) > 1 else None, True).versions)
