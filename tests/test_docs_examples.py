"""Every example of the documentation site (``docs/examples/``, shown on its pages with
``literalinclude``) runs here as its own program against the test DNS server, whose
address it takes as its first argument, and its output is checked: the site cannot
show code that does not run or output it does not print.
"""

from __future__ import annotations

import json
import os
import platform
import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import ctypes_cares
from capabilities import needs, needs_version
from cares_helpers import subprocess_env
from dnsserver import DNSServer

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLES = DOCS / "examples"

pytestmark = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason=f"no {EXAMPLES} (the tests were copied without docs/)"
)


def run_example(name: str, *args: str) -> "subprocess.CompletedProcess[str]":
    """``python docs/examples/NAME ARGS`` (``sh`` for a ``.sh``) with the package under test."""
    path = EXAMPLES / name
    command = ["sh", str(path)] if name.endswith(".sh") else [sys.executable, "-X", "faulthandler", str(path)]
    return subprocess.run(
        command + list(args),
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env({"PYTHON": sys.executable}),
        cwd=str(EXAMPLES),
    )


def output_of(name: str, *args: str) -> str:
    proc = run_example(name, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    return proc.stdout


@pytest.fixture
def zone(dns_server: DNSServer) -> Iterator[DNSServer]:
    """The names the examples ask about."""
    dns_server.add("example.com", "MX", (10, "mail.example.com"))
    dns_server.add("example.com", "A", "192.0.2.1")
    dns_server.add("www.example.com", "A", "192.0.2.2")
    dns_server.add("local.example.com", "A", "127.0.0.1")
    dns_server.add("1.2.0.192.in-addr.arpa", "PTR", "host.example.com")
    dns_server.set_soa("example.com", "ns.example.com", "hostmaster.example.com")
    yield dns_server


@pytest.fixture
def dead_server() -> Iterator[DNSServer]:
    """A server that never answers."""
    with DNSServer() as server:
        server.set_fault("drop")
        yield server


#: Examples that take the server and print the same every time: name -> output.
PRINTS = {
    "channel_query.py": (
        "example.com 300 MXRecordData(priority=10, exchange='mail.example.com')\n"
        "failed: ARES_ENOTFOUND Domain name not found\n"
    ),
    "asyncio_query.py": "[(10, 'mail.example.com')]\n[(b'192.0.2.1', 443)]\n(4, 'Domain name not found')\n",
    "threads.py": "ctypes_cares-driver: error=None\nmain thread: MainThread\n",
    "sock_state_loop.py": "answered on MainThread [ARecordData(addr='192.0.2.1')]\n",
    "query_message.py": (
        "rcode 0 authenticated (AD) False\n"
        "  example.com 1 ARecordData(addr='192.0.2.1')\n"
        "  EDNS udp_size 1232 DO True\n"
        "rcode 3 authenticated (AD) False\n"
        "  EDNS udp_size 1232 DO False\n"
    ),
    "fork_pool.py": "parent: ['192.0.2.1']\nworkers: [['192.0.2.1'], ['192.0.2.2']]\n",
    "aiodns_dropin.py": "ctypes_cares.aio ['192.0.2.1']\nerror True\n",
    "trio_install.py": (
        "b'hello'\n"
        "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 80))]\n"
        "True [Errno -2] Name or service not known\n"
    ),
    "anyio_resolver.py": (
        "asyncio\n[(10, 'mail.example.com')]\n(4, 'Domain name not found')\n"
        "trio\n[(10, 'mail.example.com')]\n(4, 'Domain name not found')\n"
    ),
    "aio_install.py": (
        "b'hello'\n"
        "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 443))]\n"
        "True [Errno -2] Name or service not known\n"
    ),
    "legacy_query.py": (
        "[('mail.example.com', 10, 300)]\n"
        "DeprecationWarning query() is deprecated, use query_dns() instead\n"
        "[('mail.example.com', 10)]\n"
    ),
}
#: The other examples, each checked by a test of its own below.
CHECKED_APART = ("capabilities.py", "failover.py", "cli.sh", "system_libcares.sh")
# The gaierror text is the platform's gai_strerror: glibc's in the expected output.
_GLIBC_MESSAGES = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="prints glibc's gai_strerror text"
)
NEEDS = {
    "query_message.py": needs("dnsrec", "1.28"),
    "trio_install.py": _GLIBC_MESSAGES,
    "aio_install.py": _GLIBC_MESSAGES,
    "fork_pool.py": pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()"),
}


def test_every_example_is_tested_and_shown() -> None:
    examples = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".sh"))
    assert sorted([*PRINTS, *CHECKED_APART]) == examples, "every example has a test here"
    pages = "\n".join(p.read_text() for p in DOCS.rglob("*.md"))
    shown = set(re.findall(r"literalinclude\}\s+(?:\.\./)*examples/(\S+)", pages))
    assert sorted(set(examples) - shown) == [], "examples no page includes"
    assert sorted(shown - set(examples)) == [], "pages include examples that do not exist"


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=NEEDS.get(name, ())) for name in PRINTS]
)
def test_example_prints(name: str, zone: DNSServer) -> None:
    assert output_of(name, zone.address) == PRINTS[name]


def test_capabilities() -> None:
    lines = output_of("capabilities.py").splitlines()
    assert lines[0] == f"library: {ctypes_cares.capabilities.path}"
    assert lines[1] == f"c-ares version: {ctypes_cares.ARES_VERSION}"
    assert lines[2:11] == ctypes_cares.capabilities.describe().splitlines()[2:]
    assert lines[11:] == ([] if ctypes_cares.capabilities.dnsrec else ["query_message needs c-ares >= 1.28"])


@needs_version("1.29")  # server_retry_*, server_state_cb
def test_failover(zone: DNSServer, dead_server: DNSServer) -> None:
    lines = output_of("failover.py", dead_server.address, zone.address).splitlines()
    # The dead server's failure comes first; the answer and the live server's report
    # both come from the same processing step, the answer's callback first.
    assert lines[0] == f"server {dead_server.address} UDP: failed"
    assert sorted(lines[1:]) == [
        "answer: [ARecordData(addr='192.0.2.1')]",
        f"server {zone.address} UDP: answered",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
def test_cli(zone: DNSServer) -> None:
    proc = run_example("cli.sh", zone.address)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # dig's flags line where the header can be had (query_message, c-ares >= 1.28).
    flags = ";; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n\n"
    mx = (flags if ctypes_cares.capabilities.dnsrec else "") + (
        ";; QUESTION SECTION:\n"
        ";example.com.       IN  MX\n"
        "\n"
        ";; ANSWER SECTION:\n"
        "example.com.   300  IN  MX  10 mail.example.com.\n"
    )
    out = proc.stdout
    for _form in ("NAME TYPE", "TYPE NAME"):
        assert out.startswith(mx), out
        out = out[len(mx):]
    line, _, out = out.partition("\n")
    answer = json.loads(line)
    assert answer["status"] == 0 and answer["result"]["answer"][0]["data"] == {"addr": "192.0.2.1"}
    assert out == (
        ";; HOST: 192.0.2.1\n"
        "name:     host.example.com\n"
        "alias:    host.example.com\n"
        "address:  192.0.2.1\n"
        "exit status 1\n"
    )
    assert proc.stderr == "ctypes-cares: nothing.invalid A: ARES_ENOTFOUND (Domain name not found)\n"


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
def test_system_libcares() -> None:
    """The example names a library by CARES_LIBRARY: here the one under test."""
    proc = run_example("system_libcares.sh", ctypes_cares.capabilities.path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1:] == [
        f"c-ares {ctypes_cares.ARES_VERSION}",
        f"library {ctypes_cares.capabilities.path}",
    ]


def test_benchmark_commands_parse() -> None:
    """The performance page's commands cannot run here (NSD, minutes of load), but the
    options they pass must be ones ``benchmarks/run.py`` accepts."""
    benchmarks = DOCS.parent / "benchmarks"
    if not (benchmarks / "run.py").exists():
        pytest.skip("no benchmarks/ beside the tests")
    page = (DOCS / "performance.md").read_text()
    block = page.split("## Reproduce", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].replace("$(date +%F)", "2026-01-01") for line in block.splitlines()]
    sys.path.insert(0, str(benchmarks))
    try:
        run = importlib.import_module("run")
    finally:
        sys.path.remove(str(benchmarks))
    parsed = 0
    for command in commands:
        words = shlex.split(command)
        if words[:2] == ["python3", "benchmarks/run.py"]:
            run.parse_args(words[2:])  # SystemExit(2) on an option it does not know
            parsed += 1
    assert parsed == 3
