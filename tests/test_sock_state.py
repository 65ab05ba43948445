"""sock_state_cb mode: the caller watches c-ares's sockets with select() and drives the
channel with process_fd / process_read_fd / process_write_fd and timeout()."""

from __future__ import annotations

import threading
from typing import List

import pytest

import ctypes_cares as cares
from cares_helpers import ChannelFactory, Recorder, Requester, SockState, wait_destroyed, wait_for
from ctypes_cares import errno as ares_errno
from dnsserver import DNSServer

A = cares.QUERY_TYPE_A


def test_select_loop_resolves(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    for i in range(5):
        dns_server.add(f"h{i}.example", "A", f"10.0.0.{i}")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorders = [resolve(channel.query, f"h{i}.example", A) for i in range(5)]
    assert state.events, "submitting must announce the socket"
    assert not any(r.called for r in recorders), "nothing happens until process_fd"
    state.drive(channel, lambda: all(r.called for r in recorders))
    for i, recorder in enumerate(recorders):
        assert recorder.result().answer[0].data.addr == f"10.0.0.{i}"
        # Completions run in the thread calling process_fd.
        assert recorder.threads == [threading.current_thread()]


def test_sock_state_arguments(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorder = resolve(channel.query, "www.example", A)
    state.drive(channel, lambda: recorder.called)
    recorder.result()
    fd = state.events[0][0]
    # ints 0/1, never bools; opened readable, then (fd, 0, 0) once the UDP socket closes
    assert all(type(v) is int for event in state.events for v in event)
    assert state.events[0] == (fd, 1, 0)
    assert state.events[-1] == (fd, 0, 0)
    assert {r for _, r, _ in state.events} <= {0, 1} and {w for _, _, w in state.events} <= {0, 1}


def test_final_notification_on_close(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    """Closing with a socket open: callbacks get ECANCELLED and the socket a final (fd, 0, 0)."""
    dns_server.set_fault("drop")
    state = SockState()
    channel = make_channel(sock_state_cb=state, flags=cares.ARES_FLAG_STAYOPEN)
    recorder = resolve(channel.query, "www.example", A)
    dns_server.wait_for_queries(1)
    assert [e[1:] for e in state.events] == [(1, 0)]
    fd = state.events[0][0]
    channel.close()
    assert recorder.error() == ares_errno.ARES_ECANCELLED
    wait_destroyed(channel)
    assert state.events[-1] == (fd, 0, 0)
    assert state.threads[-1] is not threading.current_thread()  # from the destroyer thread
    assert recorder.threads[0] is not threading.current_thread()


def test_timeouts_through_process_fd(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.set_fault("drop")
    state = SockState()
    channel = make_channel(sock_state_cb=state, timeout=0.1, tries=2)
    recorder = resolve(channel.query, "www.example", A)
    assert 0.0 < channel.timeout() <= 0.5  # c-ares may round short timeouts up (1.34: 250 ms)
    rounds = state.drive(channel, lambda: recorder.called)
    assert recorder.error() == ares_errno.ARES_ETIMEOUT
    assert rounds >= 2
    assert len(dns_server.queries) == 2
    assert channel.timeout() == 0.0


def test_tcp_in_sock_state_mode(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    """TCP needs writability (connect) as well as readability: exercises process_write_fd."""
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("truncate")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorder = resolve(channel.query, "www.example", A)
    state.drive(channel, lambda: recorder.called)
    assert recorder.result().answer[0].data.addr == "10.0.0.1"
    assert [q.transport for q in dns_server.queries] == ["udp", "tcp"]
    assert any(w == 1 for _, _, w in state.events)


def test_process_fd_variants(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorder = resolve(channel.query, "www.example", A)
    fd = state.events[0][0]
    dns_server.wait_for_queries(1)
    dns_server.sync()
    wait_for(lambda: _readable(fd), what="the answer to arrive")
    channel.process_fd(fd, cares.ARES_SOCKET_BAD)
    assert recorder.result(0).answer[0].data.addr == "10.0.0.1"
    # Processing sockets c-ares does not know, or none, is harmless.
    channel.process_read_fd(cares.ARES_SOCKET_BAD)
    channel.process_write_fd(cares.ARES_SOCKET_BAD)
    channel.process_fd(cares.ARES_SOCKET_BAD, cares.ARES_SOCKET_BAD)
    channel.process_fd(fd, fd)


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_wait_cannot_progress_without_the_loop(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorder = resolve(channel.query, "www.example", A)
    assert channel.wait(0.1) is False
    state.drive(channel, lambda: recorder.called)
    assert channel.wait(0) is True


def test_sock_state_cb_that_raises(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester, monkeypatch: pytest.MonkeyPatch) -> None:
    reported: List[BaseException] = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: reported.append(u.exc_value))
    dns_server.add("www.example", "A", "10.0.0.1")
    seen: List[int] = []

    def sock_state_cb(fd: int, readable: int, writable: int) -> None:
        seen.append(fd)
        raise KeyError("from sock_state_cb")

    channel = make_channel(sock_state_cb=sock_state_cb)
    recorder = resolve(channel.query, "www.example", A)
    fd = seen[0]
    wait_for(lambda: _readable(fd), what="the answer to arrive")
    channel.process_read_fd(fd)
    assert recorder.result(0).answer[0].data.addr == "10.0.0.1"
    assert reported and all(isinstance(e, KeyError) for e in reported)


def test_cancel_in_sock_state_mode(dns_server: DNSServer, make_channel: ChannelFactory) -> None:
    dns_server.set_fault("drop")
    state = SockState()
    channel = make_channel(sock_state_cb=state)
    recorders = [Recorder() for _ in range(3)]
    for i, recorder in enumerate(recorders):
        channel.query(f"h{i}.example", A, callback=recorder)
    channel.cancel()
    assert [r.error(0) for r in recorders] == [ares_errno.ARES_ECANCELLED] * 3
    assert state.events[-1][1:] == (0, 0)
