"""ctypes_cares.aio.DNSResolver's lifetime in subprocesses (GC and exit with queries
pending, fd and thread leaks), and the programs that use aiodns running on it (aiohttp,
aiodns itself).  Crash-class cases run with ``-X faulthandler``.
"""

from __future__ import annotations


import asyncio
import gc
import importlib.util
import os
import subprocess
import threading
import time

import pytest

from ctypes_cares.aio.error import DNSError
from dnsserver import DNSServer

from cares_helpers import run_python
from aio_helpers import TESTS, _new_loop, make


# -------------------------------------------------------- lifetime (subprocesses)

def _run_script(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_python(script, *args, timeout=timeout, cwd=str(TESTS))


def _assert_clean(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Fatal Python error" not in proc.stderr, proc.stderr


GC_SCRIPT = """
import asyncio, gc, sys, time
from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.error import DNSError

addr, loop_kind, mode = sys.argv[1], sys.argv[2], sys.argv[3]
event_thread = mode == "thread"
if loop_kind == "uvloop":
    import uvloop
    new_loop = uvloop.new_event_loop
else:
    new_loop = asyncio.new_event_loop

async def dropped_resolver_keeps_working():
    # The resolver is unreferenced while its queries are pending: they still end.
    resolver = DNSResolver(nameservers=[addr], timeout=0.2, tries=1, event_thread=event_thread)
    futs = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
    del resolver
    gc.collect()
    results = await asyncio.gather(*futs, return_exceptions=True)
    assert all(isinstance(r, DNSError) and r.args[0] == 12 for r in results), results

loop = new_loop()
loop.run_until_complete(dropped_resolver_keeps_working())
loop.close()

# Resolver and futures dropped with queries pending, then the loop closed under them.
loop = new_loop()
resolver = DNSResolver(nameservers=[addr], loop=loop, timeout=0.3, tries=1,
                       event_thread=event_thread)
futs = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
loop.run_until_complete(asyncio.sleep(0.05))
for fut in futs:
    fut.cancel()
del resolver, futs
gc.collect()
loop.run_until_complete(asyncio.sleep(0))
loop.close()
gc.collect()
time.sleep(0.5)  # their timeouts pass (the event thread completes them on a closed loop)

# Same without cancelling: the process exits with queries in flight.
loop = new_loop()
resolver = DNSResolver(nameservers=[addr], loop=loop, timeout=5, tries=1,
                       event_thread=event_thread)
keep = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
loop.run_until_complete(asyncio.sleep(0.05))
del resolver
gc.collect()
print("ok")
"""


@pytest.mark.parametrize("mode", ["socket", "thread"])
def test_gc_with_queries_pending(loop_kind: str, mode: str, dns_server: DNSServer) -> None:
    if loop_kind == "uvloop":
        pytest.importorskip("uvloop")
    dns_server.set_fault("drop")
    proc = _run_script(GC_SCRIPT, dns_server.address, loop_kind, mode)
    _assert_clean(proc)
    assert proc.stdout.strip() == "ok"


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def _os_thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.parametrize("event_thread", [False, True], ids=["socket", "thread"])
def test_no_fd_or_thread_leak(loop_kind: str, event_thread: bool, dns_server: DNSServer) -> None:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc")
    dns_server.add("www.example", "A", "10.0.0.1")
    loop = _new_loop(loop_kind)

    async def cycle(n: int) -> None:
        for _ in range(n):
            resolver = make(dns_server, event_thread=event_thread)
            assert (await resolver.query_dns("www.example", "A")).answer
            pending = resolver.query_dns("www.example", "AAAA")
            await resolver.close()
            with pytest.raises(DNSError):
                await pending

    try:
        loop.run_until_complete(cycle(2))  # warm up: destroyer thread, caches
        gc.collect()
        fds, threads, py_threads = _fd_count(), _os_thread_count(), threading.active_count()
        loop.run_until_complete(cycle(50))
        gc.collect()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _fd_count() <= fds and _os_thread_count() <= threads:
                break
            time.sleep(0.05)
        assert _fd_count() <= fds
        assert _os_thread_count() <= threads
        if not event_thread:
            assert threading.active_count() == py_threads
    finally:
        loop.close()


def test_dropping_many_resolvers_without_close(dns_server: DNSServer) -> None:
    """aiohttp's pattern: cancel() then drop the resolver, no close()."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc")
    dns_server.add("www.example", "A", "10.0.0.1")
    loop = asyncio.new_event_loop()

    async def cycle(n: int) -> None:
        for _ in range(n):
            resolver = make(dns_server)
            assert (await resolver.query_dns("www.example", "A")).answer
            resolver.cancel()
            del resolver

    try:
        loop.run_until_complete(cycle(2))
        gc.collect()
        fds = _fd_count()
        loop.run_until_complete(cycle(50))
        gc.collect()
        deadline = time.monotonic() + 10
        while _fd_count() > fds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _fd_count() <= fds
    finally:
        loop.close()


# ------------------------------------------------------------- compatibility

AIOHTTP_SCRIPT = """
import asyncio, socket, sys
import ctypes_cares.aio
sys.modules["aiodns"] = ctypes_cares.aio
import aiohttp.resolver
from aiohttp.resolver import AsyncResolver
assert aiohttp.resolver.aiodns is ctypes_cares.aio

async def main():
    resolver = AsyncResolver(nameservers=[sys.argv[1]])
    hosts = await resolver.resolve("www.example", 443, family=socket.AF_INET)
    print(sorted((h["host"], h["port"], h["hostname"]) for h in hosts))
    try:
        await resolver.resolve("missing.example", 443, family=socket.AF_INET)
    except OSError as exc:
        print("error", exc.strerror)
    await resolver.close()

asyncio.run(main())
"""


def test_aiohttp_async_resolver(dns_server: DNSServer) -> None:
    if importlib.util.find_spec("aiohttp") is None:
        pytest.skip("aiohttp is not installed")
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.add("www.example", "A", "10.0.0.2")
    proc = _run_script(AIOHTTP_SCRIPT, dns_server.address)
    _assert_clean(proc)
    assert proc.stdout.splitlines() == [
        "[('10.0.0.1', 443, 'www.example'), ('10.0.0.2', 443, 'www.example')]",
        "error Domain name not found",
    ]


AIODNS_SCRIPT = """
import asyncio, sys, warnings
import ctypes_cares
sys.modules["pycares"] = ctypes_cares
import aiodns
assert aiodns.__version__ == "4.0.4", aiodns.__version__

async def main():
    resolver = aiodns.DNSResolver(nameservers=[sys.argv[1]], timeout=2, tries=1)
    result = await resolver.query_dns("www.example", "A")
    print([r.data.addr for r in result.answer])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        print([r.host for r in await resolver.query("www.example", "A")])
    try:
        await resolver.query_dns("missing.example", "A")
    except aiodns.error.DNSError as exc:
        print("error", exc.args)
    await resolver.close()

asyncio.run(main())
"""


def test_real_aiodns_runs_on_the_binding(dns_server: DNSServer) -> None:
    if importlib.util.find_spec("aiodns") is None:
        pytest.skip("aiodns is not installed (pip install --no-deps aiodns==4.0.4)")
    dns_server.add("www.example", "A", "10.0.0.1")
    proc = _run_script(AIODNS_SCRIPT, dns_server.address)
    _assert_clean(proc)
    assert proc.stdout.splitlines() == [
        "['10.0.0.1']",
        "['10.0.0.1']",
        "error (4, 'Domain name not found')",
    ]
