"""The request table (pycares' _handle_to_channel), garbage collection and exit with requests pending."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional
import pytest
from capabilities import needs
from cares_helpers import (
    ChannelFactory,
    Recorder,
    Requester,
    SockState,
    run_python,
    start_python,
    wait_for,
)
from dnsserver import DNSServer
import ctypes_cares as cares
from ctypes_cares import _lifetime
from test_channel_lifetime import A, ECANCELLED


# --------------------------------------------------------------------------------------
# The request table and garbage collection


@needs("dnsrec", "1.28")  # name validation at submission
def test_handle_table_after_failing_calls(channel: cares.Channel) -> None:
    before = len(cares._handle_to_channel)
    cb = Recorder()
    failing: List[Callable[[], Any]] = [
        lambda: channel.query("www.example", 4242, callback=cb),
        lambda: channel.query(42, A, callback=cb),
        lambda: channel.query("\udc80", A, callback=cb),
        lambda: channel.query("bad name", A, callback=cb),
        lambda: channel.query("nul\x00name", A, callback=cb),
        lambda: channel.query("x" * 64 + ".example", A, callback=cb),
        lambda: channel.query("x.onion", A, callback=cb),
        lambda: channel.search("bad name", A, callback=cb),
        lambda: channel.search(b"\xff" * 300, A, callback=cb),
        lambda: channel.search(None, A, callback=cb),
        lambda: channel.getaddrinfo(None, None, callback=cb),
        lambda: channel.getaddrinfo("www.example", 1.5, callback=cb),
        lambda: channel.gethostbyaddr("not an ip", callback=cb),
        lambda: channel.getnameinfo(("::1", 1), 0, callback=cb),
        lambda: channel.getnameinfo(("127.0.0.1", 70000), 0, callback=cb),
        lambda: channel.query("www.example", A, callback="not callable"),  # type: ignore[arg-type]
    ]
    for call in failing:
        with pytest.raises((TypeError, ValueError, UnicodeError, OverflowError, cares.AresError)):
            call()
        assert len(cares._handle_to_channel) == before
    # Rejections that only call back (getaddrinfo is void in C) leave no entry either.
    channel.getaddrinfo("nul\x00name", None, callback=cb)
    channel.getaddrinfo("x.onion", None, callback=cb)
    assert len(cares._handle_to_channel) == before


def test_channel_with_pending_requests_stays_alive(silent: DNSServer, make_channel: ChannelFactory) -> None:
    channel = make_channel(timeout=10.0)
    recorder = Recorder()
    channel.query("www.example", A, callback=recorder)
    ref = weakref.ref(channel)
    make_channel.channels.clear()
    del channel
    gc.collect()
    assert ref() is not None, "_handle_to_channel keeps a channel with pending requests alive"
    alive = ref()
    assert alive is not None and alive in cares._handle_to_channel.values()
    alive.cancel()
    assert recorder.error(0) == ECANCELLED
    del alive
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("close_first", [True, False], ids=["closed", "unclosed"])
@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_idle_channel_is_collected(close_first: bool, sock_state: bool, dns_server: DNSServer, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    state = SockState()
    kwargs: Dict[str, Any] = {"sock_state_cb": state} if sock_state else {}
    channel = cares.Channel(servers=[dns_server.address], timeout=1.0, tries=1, **kwargs)
    recorder = resolve(channel.query, "www.example", A)
    if sock_state:
        state.drive(channel, lambda: recorder.called)
    recorder.result()
    ref = weakref.ref(channel)
    if close_first:
        channel.close()
    del channel
    gc.collect()
    assert ref() is None


def test_channel_referenced_by_its_sock_state_cb_is_collected(dns_server: DNSServer) -> None:
    class Owner:
        def __init__(self) -> None:
            self.channel = cares.Channel(servers=[dns_server.address], sock_state_cb=self.on_socket)

        def on_socket(self, fd: int, readable: int, writable: int) -> None:
            pass

    owner = Owner()
    ref = weakref.ref(owner.channel)
    del owner
    gc.collect()
    assert ref() is None


def test_last_reference_dropped_in_another_thread(dns_server: DNSServer) -> None:
    holder: List[Any] = [cares.Channel(servers=[dns_server.address])]
    ref = weakref.ref(holder[0])
    thread = threading.Thread(target=holder.clear)
    thread.start()
    thread.join(5)
    gc.collect()
    assert ref() is None


def test_collected_while_this_thread_holds_the_channel_lock(silent: DNSServer) -> None:
    # The collector runs Channel.__del__ wherever it finds the Channel garbage: PyPy at
    # the next safe point of any thread, CPython at an allocation, so also inside the
    # few lines that hold the channel's own lock (Core.enter, leave, destroy).  The
    # finalizer must not wait for that lock: it hands the close to the destroyer.
    channel = cares.Channel(servers=[silent.address], timeout=5.0, tries=1)
    pending = Recorder()
    channel.query("pending.example", A, callback=pending)
    core = channel._core
    assert core is not None
    finished = threading.Event()

    def finalizer_under_the_lock() -> None:
        with core.lock:
            channel.__del__()  # what the collector would run here
        finished.set()

    thread = threading.Thread(target=finalizer_under_the_lock, daemon=True)
    thread.start()
    assert finished.wait(5), "Channel.__del__ waited for a lock its own thread holds"
    assert pending.error() == ECANCELLED  # closed and destroyed by the destroyer thread
    wait_for(lambda: core not in _lifetime.live_cores(), what="the channel to be destroyed")
    with pytest.raises(RuntimeError):
        channel.query("after.example", A, callback=Recorder())


def test_last_reference_dropped_inside_its_own_callback(dns_server: DNSServer) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    holder: List[Any] = [cares.Channel(servers=[dns_server.address], timeout=1.0, tries=1)]
    ref = weakref.ref(holder[0])
    done = threading.Event()

    def drop(result: Any, errno: Optional[int]) -> None:
        holder.clear()
        done.set()

    holder[0].query("www.example", A, callback=drop)
    assert done.wait(5)
    wait_for(lambda: (gc.collect(), ref() is None)[1], what="the channel to be collected")


# --------------------------------------------------------------------------------------
# Subprocesses: GC and interpreter exit with requests in flight

_GC_SCRIPT = r"""
import gc, sys, threading
import ctypes_cares

address, mode = sys.argv[1], sys.argv[2]
calls = []
kwargs = {"sock_state_cb": lambda fd, r, w: None} if mode == "sock_state" else {}
channel = ctypes_cares.Channel(servers=[address], timeout=5.0, tries=3, lookups="b", **kwargs)
for i in range(10):
    channel.query("h%d.example" % i, 1, callback=lambda r, e: calls.append(e))
channel.search("s.example", 1, callback=lambda r, e: calls.append(e))
channel.getaddrinfo("g.example", 80, callback=lambda r, e: calls.append(e))
channel.gethostbyaddr("10.9.9.9", callback=lambda r, e: calls.append(e))
channel.getnameinfo(("10.9.9.9", 80), ctypes_cares.ARES_NI_LOOKUPHOST, callback=lambda r, e: calls.append(e))
if mode == "closed":
    channel.close()
del channel
gc.collect()
if mode == "closed":
    deadline = __import__("time").monotonic() + 5
    while len(calls) < 14 and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.01)
    assert calls == [24] * 14, calls
print("ok", len(ctypes_cares._handle_to_channel))
"""


@pytest.mark.parametrize("mode", ["event_thread", "sock_state", "closed"])
def test_gc_with_requests_pending_subprocess(mode: str, silent: DNSServer) -> None:
    proc = run_python(_GC_SCRIPT, silent.address, mode)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.split() == ["ok", "0" if mode == "closed" else "14"]


_EXIT_SCRIPT = r"""
import random, sys, threading, time
import ctypes_cares

address, mode = sys.argv[1], sys.argv[2]
results = []

def callback(result, errno):
    results.append((result, errno, threading.current_thread().name, list(range(20))))
    if random.random() < 0.05:
        time.sleep(0.02)  # be inside a callback when exit starts

kwargs = {"sock_state_cb": lambda fd, r, w: None} if mode == "sock_state" else {}
channels = []
for i in range(3):
    channel = ctypes_cares.Channel(servers=[address], timeout=0.05, tries=20, **kwargs)
    channels.append(channel)
    for j in range(30):
        channel.query("d%d.example" % j, 1, callback=callback)
        channel.query("x%d.example" % j, 1, callback=callback)

def hammer(channel):
    while True:
        try:
            channel.query("d1.example", 1, callback=callback)
            channel.timeout()
        except RuntimeError:
            return

threading.Thread(target=hammer, args=(channels[0],), daemon=True).start()
if mode == "sock_state":
    for _ in range(3):
        channels[1].process_fd(-1, -1)
time.sleep(random.random() * 0.05)
"""


def test_interpreter_exit_with_requests_in_flight(dns_server: DNSServer) -> None:
    """pycares 5.2.1 segfaults in a share of such runs; we must always exit 0."""
    for j in range(30):
        dns_server.add(f"d{j}.example", "A", "10.0.0.1")
        dns_server.set_fault("delay", name=f"d{j}.example", seconds=0.002 * j)
        dns_server.set_fault("drop", name=f"x{j}.example")
    modes = ["event_thread", "sock_state"]  # "event_thread": a default channel (our driver thread)
    procs = [(mode, start_python(_EXIT_SCRIPT, dns_server.address, mode)) for mode in modes for _ in range(8)]
    failures = []
    for mode, proc in procs:
        try:
            out, err = proc.communicate(timeout=30)
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        if proc.returncode != 0 or err:
            failures.append((mode, proc.returncode, err[-2000:]))
    assert failures == []


def test_exit_while_channels_are_being_destroyed() -> None:
    code = r"""
import ctypes_cares
for i in range(20):
    ch = ctypes_cares.Channel(servers=["127.0.0.1:9"], timeout=5.0)
    ch.query("x.example", 1, callback=lambda r, e: None)
    ch.close()
"""
    proc = run_python(code)
    assert (proc.returncode, proc.stderr) == (0, "")
