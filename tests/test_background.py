"""The background driver: one Python thread that drives every default Channel.

Default channels (no ``sock_state_cb``) are driven by ``ctypes_cares._background`` on
every library, thread-safe or not: callbacks run on its thread, it runs c-ares's
timeouts, and any thread may submit, cancel and close meanwhile.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator, List

import pytest

import ctypes_cares
from capabilities import needs
from cares_helpers import ChannelFactory, Recorder, run_python, wait_destroyed, wait_for
from ctypes_cares import _background, _lib, channel as channel_module
from ctypes_cares.errno import ARES_ECANCELLED, ARES_ETIMEOUT
from dnsserver import DNSServer

A = ctypes_cares.QUERY_TYPE_A
MX = ctypes_cares.QUERY_TYPE_MX
DRIVER = "ctypes_cares-driver"


def drivers() -> int:
    return sum(t.name == DRIVER for t in threading.enumerate())


@pytest.fixture(params=["as-loaded", "serialised"])
def library(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways the driver meets a library: as it is (thread-safe or not), and as a
    library that is not thread-safe (every call under our lock)."""
    if request.param == "serialised":
        monkeypatch.setattr(channel_module, "caps", _lib.caps._replace(threadsafe=False))
    yield request.param


def test_default_callbacks_run_on_the_driver_thread(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.add("bg.test", "A", "192.0.2.1")
    dns_server.add("bg.test", "MX", (5, "mx.bg.test"))
    channel = make_channel()
    threadsafe = library == "as-loaded" and _lib.caps.threadsafe
    assert (channel._core.serial is None) == threadsafe  # type: ignore[union-attr]
    a, mx = Recorder(), Recorder()
    channel.query("bg.test", A, callback=a)
    channel.query("bg.test", MX, callback=mx)
    assert a.result().answer[0].data.addr == "192.0.2.1"
    assert mx.result().answer[0].data.exchange == "mx.bg.test"
    assert [t.name for t in a.threads + mx.threads] == [DRIVER, DRIVER]
    assert drivers() == 1


def test_one_thread_drives_many_channels(dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.add("many.test", "A", "192.0.2.7")
    tasks_before = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None
    channels = [make_channel() for _ in range(40)]
    recorders = [Recorder() for _ in channels]
    for channel, recorder in zip(channels, recorders):
        channel.query("many.test", A, callback=recorder)
    for recorder in recorders:
        assert recorder.result().answer[0].data.addr == "192.0.2.7"
        assert recorder.threads[0].name == DRIVER
    assert drivers() == 1
    if tasks_before is not None:  # no thread per channel (c-ares's event thread would add 40)
        assert len(os.listdir("/proc/self/task")) - tasks_before < 5


def test_driver_runs_timeouts(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.set_fault("drop", "lost.test")
    channel = make_channel(timeout=0.2, tries=1)
    lost = Recorder()
    channel.query("lost.test", A, callback=lost)
    assert lost.error() == ARES_ETIMEOUT
    assert lost.threads[0].name == DRIVER
    assert channel.wait(1)


def test_close_cancels_pending(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.set_fault("drop")
    channel = make_channel(timeout=5.0)
    pending = [Recorder() for _ in range(3)]
    for i, recorder in enumerate(pending):
        channel.query(f"n{i}.test", A, callback=recorder)
    channel.close()
    for recorder in pending:
        assert recorder.error() == ARES_ECANCELLED


def test_callback_may_query_again(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    # With a serialised library the callback runs under the channel's lock: re-entry
    # must not deadlock.
    dns_server.add("first.test", "A", "192.0.2.10")
    dns_server.add("second.test", "A", "192.0.2.20")
    channel = make_channel()
    second = Recorder()

    def first(result: Any, error: Any) -> None:
        channel.query("second.test", A, callback=second)

    channel.query("first.test", A, callback=first)
    assert second.result().answer[0].data.addr == "192.0.2.20"
    assert channel.wait(2)


def test_a_query_a_callback_submits_still_times_out(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    # A submission from the driver's own thread marks the channel without the lock
    # (Driver.touch): the driver must still schedule that query's timeout.
    dns_server.add("answered.test", "A", "192.0.2.11")
    dns_server.set_fault("drop", "unanswered.test")
    channel = make_channel(timeout=0.2, tries=1)
    lost = Recorder()
    idents: List[Any] = []

    def first(result: Any, error: Any) -> None:
        idents.append((threading.get_ident(), _background.driver.ident))
        channel.query("unanswered.test", A, callback=lost)

    channel.query("answered.test", A, callback=first)
    assert lost.error() == ARES_ETIMEOUT
    [(callback_thread, driver_thread)] = idents
    assert callback_thread == driver_thread
    assert channel.wait(1)


def test_submissions_from_many_threads(library: str, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    recorders: List[List[Recorder]] = [[Recorder() for _ in range(40)] for _ in range(6)]
    for n, mine in enumerate(recorders):
        for i in range(len(mine)):
            dns_server.add(f"t{n}-{i}.threads.test", "A", "192.0.2.30")
    channel = make_channel(timeout=2.0, tries=2)
    start = threading.Barrier(len(recorders))

    def submit(mine: List[Recorder], n: int) -> None:
        start.wait()
        for i, recorder in enumerate(mine):
            channel.query(f"t{n}-{i}.threads.test", A, callback=recorder)

    threads = [threading.Thread(target=submit, args=(mine, n)) for n, mine in enumerate(recorders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for mine in recorders:
        for recorder in mine:
            assert recorder.result().answer[0].data.addr == "192.0.2.30"  # exactly once
    assert channel.wait(5)


def test_a_submission_wakes_the_sleeping_driver(dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.add("wake.test", "A", "192.0.2.40")
    channel = make_channel(timeout=5.0)
    assert channel.wait(0)
    wait_for(lambda: _background.driver.sleeping, what="the driver to go to sleep")
    recorder = Recorder()
    channel.query("wake.test", A, callback=recorder)
    assert recorder.result().answer[0].data.addr == "192.0.2.40"


def test_a_destroyed_channel_leaves_nothing_in_the_driver(dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.add("gone.test", "A", "192.0.2.50")
    dns_server.set_fault("drop", "slow.test")
    channel = make_channel(timeout=5.0)
    recorder = Recorder()
    channel.query("gone.test", A, callback=recorder)
    recorder.result()
    channel.query("slow.test", A, callback=Recorder())  # pending: the driver has a deadline
    core = channel._core
    channel.close()
    wait_destroyed(channel)
    driver = _background.driver
    assert core not in driver.fds.values()
    assert core not in driver.cores
    wait_for(lambda: core not in driver.deadlines, what="the driver to drop the deadline")


@needs("reinit", "1.22")
def test_a_changed_system_configuration_is_reloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_channel: ChannelFactory) -> None:
    # What c-ares's event thread does for its channel, the driver does for every
    # default channel: the configuration files changed -> ares_reinit.
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.1\n")
    monkeypatch.setattr(_background, "_CONFIG_FILES", (str(conf),))
    channel = make_channel(servers=None, resolvconf_path=str(conf))
    assert channel.servers == ["192.0.2.1:53"]
    driver = _background.driver
    monkeypatch.setattr(driver, "config", _background._config_state())  # the snapshot
    conf.write_text("nameserver 192.0.2.222\n")
    driver._check_config()
    wait_for(lambda: channel.servers == ["192.0.2.222:53"], what="the new configuration")


FORK_CHILD = """
import os, sys, threading
import ctypes_cares

def resolve(channel):
    done, out = threading.Event(), []
    channel.query("fork.test", ctypes_cares.QUERY_TYPE_A,
                  callback=lambda r, e: (out.append((r, e)), done.set()))
    assert done.wait(10), "no answer"
    result, error = out[0]
    assert error is None, error
    return result.answer[0].data.addr

parent = ctypes_cares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2)
print("parent", resolve(parent), flush=True)
pid = os.fork()
if pid == 0:
    child = ctypes_cares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2)
    print("child", resolve(child), flush=True)
    child.close()  # destroyed by the child's own destroyer thread
    from ctypes_cares._lifetime import destroyer, live_cores
    core = child._core
    for _ in range(1000):
        if core not in live_cores():
            break
        threading.Event().wait(0.01)
    print("child destroyed", core not in live_cores(), flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child exit", status, flush=True)
print("parent again", resolve(parent), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork()")
def test_new_channels_work_in_a_forked_child(dns_server: DNSServer) -> None:
    dns_server.add("fork.test", "A", "192.0.2.60")
    proc = run_python(FORK_CHILD, dns_server.address, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:5] == [
        "parent 192.0.2.60",
        "child 192.0.2.60",
        "child destroyed True",
        "child exit 0",
        "parent again 192.0.2.60",
    ]


INTERRUPTED_IN_A_CALLBACK = """
import os, signal, sys
import ctypes_cares
from ctypes_cares import _requests

# Python leaves SIGINT ignored when it starts with it ignored (under a background job of
# a shell script, say); this test is about a Ctrl-C that has a handler.
signal.signal(signal.SIGINT, signal.default_int_handler)

def sock_state(fd, readable, writable):
    if readable:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while c-ares runs our callback

channel = ctypes_cares.Channel(servers=[sys.argv[1]], sock_state_cb=sock_state)
try:
    channel.query("ctrl-c.test", ctypes_cares.QUERY_TYPE_A, callback=lambda r, e: None)
    for _ in range(1000):
        pass  # the interrupt is delivered again once the C call has returned
    print("lost")
except KeyboardInterrupt:
    print("interrupted in the body")

class Unraisable:  # how ctypes reports one raised before the thunk's body runs
    def __init__(self, err_msg, obj):
        self.exc_type, self.exc_value, self.exc_traceback = KeyboardInterrupt, KeyboardInterrupt(), None
        self.err_msg, self.object = err_msg, obj

thunk = _requests._on_sock_state
for unraisable in (
    Unraisable("Exception ignored on calling ctypes callback function", thunk),  # < 3.14
    Unraisable("Exception ignored while calling ctypes callback function %r" % thunk, None),
):
    try:
        sys.unraisablehook(unraisable)  # (as if) inside a c-ares call ...
        channel.timeout()  # ... which returns here
        for _ in range(1000):
            pass
        print("lost")
    except KeyboardInterrupt:
        print("interrupted at entry")
"""


def test_ctrl_c_during_a_main_thread_callback_is_not_lost(dns_server: DNSServer) -> None:
    proc = run_python(INTERRUPTED_IN_A_CALLBACK, dns_server.address)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["interrupted in the body"] + ["interrupted at entry"] * 2
    assert "KeyboardInterrupt" not in proc.stderr


RAISING_CALLBACK = """
import sys, threading
import ctypes_cares

done = threading.Event()

def bad(result, error):
    try:
        raise ValueError("from the callback")
    finally:
        done.set()

channel = ctypes_cares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=1)
channel.query("raise.test", ctypes_cares.QUERY_TYPE_A, callback=bad)
assert done.wait(10)
assert channel.wait(10)
"""


def test_a_raising_callback_is_printed_by_the_default_hook(dns_server: DNSServer) -> None:
    # sys.__unraisablehook__ refuses argument objects not made by C; the report must
    # still reach stderr, as an exception in __del__ would.
    dns_server.add("raise.test", "A", "192.0.2.70")
    proc = run_python(RAISING_CALLBACK, dns_server.address)
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored in DNS callback" in proc.stderr
    assert "ValueError: from the callback" in proc.stderr


def test_a_channel_the_driver_refuses_is_freed(monkeypatch: pytest.MonkeyPatch, dns_server: DNSServer) -> None:
    from ctypes_cares._lifetime import _live, live_cores

    def refuse(core: Any) -> None:
        raise RuntimeError("ctypes_cares is shutting down")

    monkeypatch.setattr(_background.driver, "add", refuse)
    cores, entries = len(live_cores()), len(_live)
    with pytest.raises(RuntimeError, match="shutting down"):
        ctypes_cares.Channel(servers=[dns_server.address])
    assert (len(live_cores()), len(_live)) == (cores, entries)
