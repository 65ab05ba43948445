"""fork: channels and resolvers in forked children, multiprocessing pools.

Every case runs in its own interpreter (``run_python``, a hard timeout) against the
session DNS server: a hang fails the test instead of the run, and a crash is an exit
status.  What is checked (see ARCHITECTURE.md, "fork"): in the child, channels made
before the fork are rebuilt on first use (both event models), the asyncio resolver
made before the fork raises a RuntimeError naming fork, new ones work; requests in
flight at the fork are the parent's, delivered once, there; the parent is unaffected.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
import pytest

from cares_helpers import run_python
from dnsserver import DNSServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork()")

TESTS = os.path.dirname(os.path.abspath(__file__))

#: The scripts' common part: argv[1] is the server, argv[2] this directory.
PRELUDE = """
import gc, os, sys, threading
sys.path.insert(0, sys.argv[2])
import ctypes_cares
from cares_helpers import SockState
A = ctypes_cares.QUERY_TYPE_A
SERVER = sys.argv[1]

def ask(channel, name, state=None):
    done, out = threading.Event(), []
    channel.query(name, A, callback=lambda r, e: (out.append((r, e)), done.set()))
    if state is None:
        assert done.wait(10), "no answer"
    else:
        state.drive(channel, done.is_set, timeout=10)
    assert len(out) == 1, out
    result, error = out[0]
    assert error is None, error
    return result.answer[0].data.addr

def reap(pid):
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
"""


def zone(server: DNSServer) -> None:
    server.add("fork.test", "A", "192.0.2.70")
    for i in range(200):
        server.add(f"h{i}.pool.test", "A", f"10.0.{i // 250}.{i % 250 + 1}")
    server.set_fault("drop", "held.test")  # stays in flight until cancelled


def run(code: str, server: DNSServer, *args: str, timeout: float = 90) -> str:
    proc = run_python(PRELUDE + code, server.address, TESTS, *args, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


PRE_FORK_CHANNELS = """
in_flight = sys.argv[3] == "in-flight"
calls = []
state = SockState()
default = ctypes_cares.Channel(servers=[SERVER], timeout=2.0, tries=1)
own = ctypes_cares.Channel(servers=["192.0.2.1"], timeout=2.0, tries=1, sock_state_cb=state)
own.servers = [SERVER]  # set after construction: the child must rebuild with it
print("parent", ask(default, "fork.test"), ask(own, "fork.test", state), flush=True)
if in_flight:
    for channel, tag in ((default, "default"), (own, "own")):
        for name in ("held.test", "fork.test"):
            channel.query(name, A, callback=lambda r, e, t=(tag, name): calls.append((t, os.getpid(), e)))
pid = os.fork()
if pid == 0:
    assert default.wait(0) and own.wait(0), "the parent's requests are not the child's"
    print("child", ask(default, "fork.test"), ask(own, "fork.test", state), flush=True)
    print("child servers", default.servers == own.servers == [SERVER], flush=True)
    gc.collect()
    print("child calls", [c for c in calls if c[1] == os.getpid()], flush=True)
    sys.exit(0)  # the exit hook: no hang on the parent's channels
print("child exit", reap(pid), flush=True)
print("parent again", ask(default, "fork.test"), ask(own, "fork.test", state), flush=True)
if in_flight:
    state.drive(own, lambda: sum(c[0][0] == "own" for c in calls) == 1, timeout=10)
    default.cancel(); own.cancel()  # the held ones end here, once
    assert all(c[1] == os.getpid() for c in calls), calls
    print("parent calls", sorted((t, e) for t, _, e in calls), flush=True)
"""


@pytest.mark.parametrize("moment", ["idle", "in-flight"])
def test_channels_made_before_fork_are_rebuilt_in_the_child(dns_server: DNSServer, moment: str) -> None:
    zone(dns_server)
    lines = run(PRE_FORK_CHANNELS, dns_server, moment).splitlines()
    assert lines[:5] == [
        "parent 192.0.2.70 192.0.2.70",
        "child 192.0.2.70 192.0.2.70",
        "child servers True",
        "child calls []",
        "child exit 0",
    ]
    assert lines[5] == "parent again 192.0.2.70 192.0.2.70"
    if moment == "in-flight":
        # Each request of the parent completed exactly once, in the parent.
        assert lines[6] == (
            "parent calls [(('default', 'fork.test'), None), (('default', 'held.test'), 24),"
            " (('own', 'fork.test'), None), (('own', 'held.test'), 24)]"
        )


FORK_UNDER_LOAD = """
# Forks while other threads are inside c-ares calls (the driver in ares_process_fd,
# a submitter in ares_query_dnsrec): locks held at that moment must not block the child.
channel = ctypes_cares.Channel(servers=[SERVER], timeout=2.0, tries=1)
stop = threading.Event()
def hammer():
    while not stop.is_set():
        ask(channel, "fork.test")
threads = [threading.Thread(target=hammer) for _ in range(2)]
for t in threads: t.start()
codes = []
for _ in range(int(sys.argv[3])):
    pid = os.fork()
    if pid == 0:
        ask(channel, "fork.test")
        fresh = ctypes_cares.Channel(servers=[SERVER], timeout=2.0, tries=1)
        ask(fresh, "fork.test")
        fresh.query("held.test", A, callback=lambda r, e: None)
        channel.query("held.test", A, callback=lambda r, e: None)
        sys.exit(0)  # with queries pending on both
    codes.append(reap(pid))
stop.set()
for t in threads: t.join()
print("codes", sorted(set(codes)), len(codes), flush=True)
print("parent", ask(channel, "fork.test"), flush=True)
"""


def test_fork_while_threads_are_inside_c_ares(dns_server: DNSServer) -> None:
    zone(dns_server)
    proc = run_python(PRELUDE + FORK_UNDER_LOAD, dns_server.address, TESTS, "20", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["codes [0] 20", "parent 192.0.2.70"]


CHILD_EXITS_PENDING = """
state = SockState()
own = ctypes_cares.Channel(servers=[SERVER], timeout=5.0, tries=3, sock_state_cb=state)
default = ctypes_cares.Channel(servers=[SERVER], timeout=5.0, tries=3)
default.query("held.test", A, callback=lambda r, e: print("parent's callback in child", e))
pid = os.fork()
if pid == 0:
    for channel in (default, own, ctypes_cares.Channel(servers=[SERVER])):
        for _ in range(10):
            channel.query("held.test", A, callback=lambda r, e: print("child callback", e))
    print("child leaving", flush=True)
    sys.exit(0)
print("child exit", reap(pid), flush=True)
"""


def test_a_child_exits_with_queries_pending(dns_server: DNSServer) -> None:
    zone(dns_server)
    # The exit hook drops pending callbacks (as in any process) and never calls c-ares
    # on the parent's channels.
    assert run(CHILD_EXITS_PENDING, dns_server).splitlines() == ["child leaving", "child exit 0"]


POOL_SCRIPT = """
import sys, threading
import ctypes_cares

SERVER = sys.argv[1]
# The pattern people write: one channel per module, made at import.
CHANNEL = ctypes_cares.Channel(servers=[SERVER], timeout=2.0, tries=2)


def lookup(name):
    done, out = threading.Event(), []
    CHANNEL.query(name, ctypes_cares.QUERY_TYPE_A, callback=lambda r, e: (out.append((r, e)), done.set()))
    if not done.wait(20):
        return "no answer"
    result, error = out[0]
    return error if error is not None else result.answer[0].data.addr


if __name__ == "__main__":
    import multiprocessing
    method = sys.argv[2]
    print("parent", lookup("h0.pool.test"), flush=True)  # the channel has sockets now
    names = ["h%d.pool.test" % i for i in range(200)]
    with multiprocessing.get_context(method).Pool(4) as pool:
        results = pool.map(lookup, names)
    expected = ["10.0.%d.%d" % (i // 250, i % 250 + 1) for i in range(200)]
    print("pool", results == expected or results, flush=True)
    print("parent again", lookup("h1.pool.test"), flush=True)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool_with_a_module_level_channel(
    dns_server: DNSServer, tmp_path: Path, method: str
) -> None:
    zone(dns_server)
    script = tmp_path / "resolve_pool.py"
    script.write_text(POOL_SCRIPT)
    proc = run_python(
        "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
        str(script), dns_server.address, method, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["parent 10.0.0.1", "pool True", "parent again 10.0.0.2"]


AIO = """
import asyncio
from ctypes_cares.aio import DNSResolver
mode = sys.argv[3] == "thread"
loop = asyncio.new_event_loop()
resolver = DNSResolver([SERVER], loop=loop, event_thread=mode, timeout=2.0, tries=1)
addr = lambda r: r.answer[0].data.addr
print("parent", addr(loop.run_until_complete(resolver.query_dns("fork.test", "A"))), flush=True)
held = resolver.query_dns("held.test", "A")  # in flight at the fork
pid = os.fork()
if pid == 0:
    try:
        resolver.query_dns("fork.test", "A")
    except RuntimeError as exc:
        print("child old:", "fork" in str(exc), flush=True)
    del resolver, held
    gc.collect()  # closes it without touching the parent's loop

    async def main():
        async with DNSResolver([SERVER], event_thread=mode, timeout=2.0, tries=1) as fresh:
            return addr(await fresh.query_dns("fork.test", "A"))

    print("child new", asyncio.run(main()), flush=True)
    os._exit(0)  # what multiprocessing's fork workers do
print("child exit", reap(pid), flush=True)
print("parent again", addr(loop.run_until_complete(resolver.query_dns("fork.test", "A"))), flush=True)
resolver.cancel()
try:
    loop.run_until_complete(held)
except Exception as exc:
    print("held", type(exc).__name__, exc.args[0], flush=True)
loop.run_until_complete(resolver.close())
loop.close()
"""


@pytest.mark.parametrize("mode", ["loop", "thread"])
def test_asyncio_resolver_in_a_forked_child(dns_server: DNSServer, mode: str) -> None:
    zone(dns_server)
    assert run(AIO, dns_server, mode).splitlines() == [
        "parent 192.0.2.70",
        "child old: True",
        "child new 192.0.2.70",
        "child exit 0",
        "parent again 192.0.2.70",
        "held DNSError 24",
    ]


def test_python_has_what_the_fork_handling_needs() -> None:
    # os.register_at_fork runs our hooks in os.fork()'s child (CPython, PyPy >= 3.7).
    assert hasattr(os, "register_at_fork"), sys.version


SERVER_STATE_AFTER_FORK = """
reports, reported = [], threading.Event()
def report(*args):
    reports.append(args)
    reported.set()
channel = ctypes_cares.Channel(servers=[SERVER], timeout=2.0, tries=1, qcache_max_ttl=0,
                               server_state_cb=report)
ask(channel, "fork.test")
assert reported.wait(10)
pid = os.fork()
if pid == 0:
    reports.clear()
    reported.clear()
    ask(channel, "fork.test")  # the rebuilt channel keeps its settings and server_state_cb
    assert reported.wait(10), "no server state report in the child"
    print("child reports", [(server == SERVER, success) for server, success, _ in reports], flush=True)
    sys.exit(0)
print("child exit", reap(pid), flush=True)
"""


@pytest.mark.skipif(
    __import__("ctypes_cares")._lib.caps.version < (1, 29, 0), reason="needs c-ares >= 1.29.0 (server_state_cb)"
)
def test_server_state_cb_survives_the_rebuild_in_a_child(dns_server: DNSServer) -> None:
    zone(dns_server)
    assert run(SERVER_STATE_AFTER_FORK, dns_server).splitlines() == [
        "child reports [(True, True)]",
        "child exit 0",
    ]
