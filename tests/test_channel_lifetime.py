"""Lifetimes: cancel, close (from anywhere), garbage collection, interpreter exit,
re-entrant callbacks, callbacks that raise, and the request table.

Crash-class cases run in a subprocess with ``-X faulthandler``: a segfault there is a
failed assertion here, not a dead test run.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Dict, List, Optional

import pytest
from capabilities import needs
from cares_helpers import (
    ChannelFactory,
    Recorder,
    Requester,
    SockState,
    wait_destroyed,
    wait_for,
)
from dnsserver import DNSServer

import ctypes_cares as cares
from ctypes_cares import errno as ares_errno

A = cares.QUERY_TYPE_A
ECANCELLED = ares_errno.ARES_ECANCELLED



def _submit_all(channel: cares.Channel, recorders: List[Recorder]) -> None:
    """One request of every kind, each with its own recorder (5 recorders)."""
    channel.query("q.example", A, callback=recorders[0])
    channel.search("s.example", A, callback=recorders[1])
    channel.getaddrinfo("g.example", 80, callback=recorders[2])
    channel.gethostbyaddr("10.9.9.9", callback=recorders[3])
    channel.getnameinfo(("10.9.9.9", 80), cares.ARES_NI_LOOKUPHOST, callback=recorders[4])


# --------------------------------------------------------------------------------------
# cancel


@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_cancel_is_synchronous(sock_state: bool, silent: DNSServer, make_channel: ChannelFactory) -> None:
    kwargs: Dict[str, Any] = {"sock_state_cb": SockState()} if sock_state else {}
    channel = make_channel(lookups="b", timeout=10.0, **kwargs)
    before = len(cares._handle_to_channel)
    recorders = [Recorder() for _ in range(5)]
    _submit_all(channel, recorders)
    assert len(cares._handle_to_channel) == before + 5
    channel.cancel()
    for recorder in recorders:
        assert recorder.called, "cancel() delivers before it returns"
        assert recorder.error(0) == ECANCELLED
        assert recorder.threads == [threading.current_thread()]
    assert len(cares._handle_to_channel) == before
    assert channel.wait(0) is True
    channel.cancel()  # nothing pending: a no-op


def test_channel_usable_after_cancel(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", count=1)
    recorder = resolve(channel.query, "www.example", A)
    dns_server.wait_for_queries(1)
    channel.cancel()
    assert recorder.error(0) == ECANCELLED
    assert resolve.result(channel.query, "www.example", A).answer[0].data.addr == "10.0.0.1"


@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_cancel_from_a_callback(sock_state: bool, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    """c-ares < 1.34.9 double-frees on ares_cancel inside a callback: the binding defers it."""
    dns_server.add("fast.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", name="slow.example")
    state = SockState()
    channel = make_channel(timeout=10.0, **({"sock_state_cb": state} if sock_state else {}))
    slow = [Recorder() for _ in range(3)]
    for recorder in slow:
        channel.query("slow.example", A, callback=recorder)
    fast = Recorder()

    def cancel_all(result: Any, errno: Optional[int]) -> None:
        fast(result, errno)
        channel.cancel()

    channel.query("fast.example", A, callback=cancel_all)
    if sock_state:
        state.drive(channel, lambda: fast.called)
    assert fast.result().answer[0].data.addr == "10.0.0.1"
    assert [r.error() for r in slow] == [ECANCELLED] * 3
    assert channel.wait(5) is True


def test_cancel_from_a_cancelled_callback(silent: DNSServer, channel: cares.Channel) -> None:
    nested = Recorder()

    def cancel_again(result: Any, errno: Optional[int]) -> None:
        channel.query("again.example", A, callback=nested)
        channel.cancel()

    first = Recorder()
    channel.query("one.example", A, callback=first)
    channel.query("two.example", A, callback=cancel_again)
    channel.cancel()
    assert first.error() == ECANCELLED
    assert nested.error() == ECANCELLED
    assert channel.wait(5) is True


# --------------------------------------------------------------------------------------
# close with requests in flight


@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_close_cancels_pending(sock_state: bool, silent: DNSServer, make_channel: ChannelFactory) -> None:
    kwargs: Dict[str, Any] = {"sock_state_cb": SockState()} if sock_state else {}
    channel = make_channel(lookups="b", timeout=10.0, **kwargs)
    before = len(cares._handle_to_channel)
    recorders = [Recorder() for _ in range(5)]
    _submit_all(channel, recorders)
    channel.close()
    assert channel._channel is None
    for recorder in recorders:
        assert recorder.error(2.0) == ECANCELLED
        assert recorder.threads[0] is not threading.current_thread()  # the destroyer thread
    wait_destroyed(channel)
    assert [len(r.calls) for r in recorders] == [1] * 5
    assert len(cares._handle_to_channel) == before


def test_close_from_another_thread(silent: DNSServer, make_channel: ChannelFactory) -> None:
    channel = make_channel(timeout=10.0)
    recorders = [Recorder() for _ in range(3)]
    for i, recorder in enumerate(recorders):
        channel.query(f"h{i}.example", A, callback=recorder)
    closer = threading.Thread(target=channel.close)
    closer.start()
    closer.join(5)
    assert [r.error(2.0) for r in recorders] == [ECANCELLED] * 3
    wait_destroyed(channel)
    assert [len(r.calls) for r in recorders] == [1] * 3


@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_close_from_inside_a_callback(sock_state: bool, dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.add("fast.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", name="slow.example")
    state = SockState()
    kwargs: Dict[str, Any] = {"sock_state_cb": state} if sock_state else {}
    channel = make_channel(timeout=10.0, **kwargs)
    slow = [Recorder() for _ in range(3)]
    for recorder in slow:
        channel.query("slow.example", A, callback=recorder)
    fast = Recorder()
    errors: List[BaseException] = []

    def close_inside(result: Any, errno: Optional[int]) -> None:
        fast(result, errno)
        channel.close()
        try:
            channel.query("again.example", A, callback=Recorder())
        except RuntimeError as exc:
            errors.append(exc)

    channel.query("fast.example", A, callback=close_inside)
    if sock_state:
        state.drive(channel, lambda: fast.called)
    assert fast.result().answer[0].data.addr == "10.0.0.1"
    assert [r.error(2.0) for r in slow] == [ECANCELLED] * 3
    assert len(errors) == 1 and "destroyed" in str(errors[0])
    wait_destroyed(channel)
    assert [len(r.calls) for r in slow] == [1] * 3


@needs("query_cache", "1.31")
def test_close_inside_a_synchronous_callback(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1", ttl=600)
    resolve.result(channel.query, "www.example", A)
    cached = Recorder()

    def close_inside(result: Any, errno: Optional[int]) -> None:
        cached(result, errno)
        channel.close()

    channel.query("www.example", A, callback=close_inside)  # cache hit: runs inside query()
    assert cached.result(0).answer[0].data.addr == "10.0.0.1"
    with pytest.raises(RuntimeError, match="destroyed"):
        channel.query("www.example", A, callback=Recorder())
    wait_destroyed(channel)


def test_close_while_another_thread_waits(silent: DNSServer, make_channel: ChannelFactory) -> None:
    channel = make_channel(timeout=10.0)
    recorder = Recorder()
    channel.query("www.example", A, callback=recorder)
    outcome: List[Any] = []
    waiter = threading.Thread(target=lambda: outcome.append(channel.wait(10)))
    waiter.start()
    silent.wait_for_queries(1)
    _until_waiting(channel)
    channel.close()
    waiter.join(5)
    assert not waiter.is_alive(), "wait() must return once the channel's requests are cancelled"
    assert outcome == [True]
    assert recorder.error(0) == ECANCELLED


def test_close_races_with_queries(dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    """Closing while another thread submits: only the destroyed RuntimeError, every callback once."""
    dns_server.set_fault("delay", seconds=0.01)
    unexpected: List[BaseException] = []
    recorders: List[Recorder] = []
    for _ in range(30):
        channel = make_channel(timeout=5.0)
        stop = threading.Event()

        def submit(ch: cares.Channel = channel, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                recorder = Recorder()
                try:
                    ch.query("race.example", A, callback=recorder)
                except RuntimeError as exc:
                    if "destroyed" not in str(exc):
                        unexpected.append(exc)
                    return
                except BaseException as exc:  # pragma: no cover - reported below
                    unexpected.append(exc)
                    return
                recorders.append(recorder)

        thread = threading.Thread(target=submit)
        thread.start()
        channel.close()
        thread.join(5)
        stop.set()
        assert not thread.is_alive()
    assert unexpected == []
    for recorder in recorders:
        recorder.wait()


# --------------------------------------------------------------------------------------
# Re-entrancy with wait() (pycares deadlocks here; we must not)


def _until_waiting(channel: cares.Channel) -> None:
    """Block until some thread is inside ``channel.wait()`` (which raises once closed)."""
    wait_for(lambda: channel._in_flight.waiters > 0, what="a thread to enter wait()")


def test_callback_queries_while_main_thread_waits(dns_server: DNSServer, channel: cares.Channel) -> None:
    for i in range(20):
        dns_server.add(f"h{i}.example", "A", f"10.0.0.{i}")
    dns_server.set_fault("delay", seconds=0.005)
    answers: List[str] = []
    failures: List[Any] = []

    def chain(result: Any, errno: Optional[int]) -> None:
        if errno is not None:
            failures.append(errno)
            return
        answers.append(result.answer[0].name)
        if len(answers) < 20:
            channel.query(f"h{len(answers)}.example", A, callback=chain)

    channel.query("h0.example", A, callback=chain)
    assert channel.wait(10) is True
    assert failures == []
    assert answers == [f"h{i}.example" for i in range(20)]


def test_callback_closes_while_main_thread_waits(dns_server: DNSServer, channel: cares.Channel) -> None:
    dns_server.add("fast.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", name="slow.example")
    slow = Recorder()
    channel.query("slow.example", A, callback=slow)
    fast = Recorder()

    def close_inside(result: Any, errno: Optional[int]) -> None:
        fast(result, errno)
        _until_waiting(channel)
        channel.close()

    channel.query("fast.example", A, callback=close_inside)
    assert channel.wait(10) is True
    fast.result(0)
    assert slow.error(0) == ECANCELLED
    with pytest.raises(RuntimeError, match="destroyed"):
        channel.wait(0)


def test_callbacks_use_every_method_while_waiting(dns_server: DNSServer, channel: cares.Channel) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    done = threading.Event()
    seen: List[Any] = []

    def busy(result: Any, errno: Optional[int]) -> None:
        seen.append(channel.servers)
        seen.append(channel.timeout())
        channel.getaddrinfo("127.0.0.1", 80, callback=lambda r, e: seen.append(r.nodes[0].addr))
        channel.cancel()
        done.set()

    channel.query("www.example", A, callback=busy)
    assert channel.wait(10) is True
    assert done.is_set()
    assert seen[0] == [dns_server.address]
    assert seen[2] == (b"127.0.0.1", 80)


# --------------------------------------------------------------------------------------
# Callbacks that raise


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Collect what reaches sys.unraisablehook during the test (then restore it)."""
    reported: List[Any] = []
    lock = threading.Lock()

    def hook(info: Any) -> None:
        with lock:
            reported.append((info.exc_type, info.exc_value, info.err_msg, info.object))

    monkeypatch.setattr(sys, "unraisablehook", hook)
    return reported


@pytest.mark.parametrize("exc_type", [ValueError, SystemExit, KeyboardInterrupt])
def test_callback_exception_is_reported(exc_type: type, unraisable: List[Any], dns_server: DNSServer, channel: cares.Channel) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    before = len(cares._handle_to_channel)
    calls: List[Any] = []

    def bad(result: Any, errno: Optional[int]) -> None:
        calls.append((result, errno))
        raise exc_type("from the callback")

    channel.query("www.example", A, callback=bad)
    assert channel.wait(5) is True  # the request is complete although the callback raised
    assert len(calls) == 1
    assert len(cares._handle_to_channel) == before
    wait_for(lambda: len(unraisable) == 1)
    exc_cls, exc, msg, obj = unraisable[0]
    assert exc_cls is exc_type and str(exc) == "from the callback"
    assert "Exception ignored" in msg
    assert obj is bad
    # The channel keeps working.
    good = Recorder()
    channel.query("www.example", A, callback=good)
    good.result()


@needs("dnsrec", "1.28")  # name validation at submission
def test_synchronous_callback_exception_is_not_raised_to_the_caller(unraisable: List[Any], channel: cares.Channel) -> None:
    def bad(result: Any, errno: Optional[int]) -> None:
        raise ZeroDivisionError("sync")

    channel.getaddrinfo("127.0.0.1", None, callback=bad)  # answered inside the call
    with pytest.raises(cares.AresError) as info:
        channel.query("bad name", A, callback=bad)  # rejected: callback, then AresError
    assert info.value.args[0] == ares_errno.ARES_EBADNAME
    assert [type(u[1]) for u in unraisable] == [ZeroDivisionError, ZeroDivisionError]


def test_cancelled_callback_exception(unraisable: List[Any], silent: DNSServer, channel: cares.Channel) -> None:
    def bad(result: Any, errno: Optional[int]) -> None:
        raise RuntimeError(errno)

    channel.query("www.example", A, callback=bad)
    channel.cancel()
    assert [u[1].args for u in unraisable] == [(ECANCELLED,)]
