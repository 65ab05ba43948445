"""Driving a c-ares channel from an asyncio loop: sockets, the one timer, bursts.

A :class:`LoopDriver` moves completions from c-ares to the loop for the one
:class:`~ctypes_cares.aio.DNSResolver` that owns it (``resolver._driver``); the resolver
is the aiodns-shaped API on top.  Two modes:

* socket-callback mode (the default): c-ares reports its sockets through
  ``sock_state_cb``; they are watched with ``add_reader``/``add_writer``, c-ares's
  timeouts with one loop timer, and every completion runs on the loop thread inside
  ``process_fd``.
* event-thread mode: c-ares runs its own thread; completions are queued there and run
  on the loop in batches, one wake-up per burst.

The driver knows only what it is given: the loop when it is made, then the channel and
the mode (:meth:`LoopDriver.start`).  The resolver hands it ``sock_state_cb`` reports
(through a weak reference), routes request callbacks through ``answer_callback`` and
``post``, calls ``after_submit`` after each submission and ``close`` once; its
``_closed``, ``_timer``, ``_read_fds`` and ``_write_fds`` (where aiodns keeps them) are
the driver's ``closed``, ``timer``, ``read_fds`` and ``write_fds``.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
from typing import Any, Callable, Deque, Optional, Protocol, Set, Tuple

from .._cdefs import ARES_SOCKET_BAD
# The same policy as the trio/anyio driver's: after READ_EVERY submissions without a
# processing step the sockets are read at once, not at the next loop iteration; the loop
# timer that drives c-ares's timeouts (see _start_timer) never sleeps longer than
# TIMER_MAX while sockets are open.
from .._taskdriver import MAX_SLEEP as TIMER_MAX
from .._taskdriver import READ_EVERY
from ..errno import ARES_EBADRESP, strerror
from ..records import BadResponse, parse_dns_response
from .error import DNSError

SOCKET_BAD: int = ARES_SOCKET_BAD

# query_dns answers decoded per loop iteration in socket-callback mode (_decode_answers).
DECODE_SLICE = 32
# The rest of the loop timer's policy:
TIMER_SLACK = 0.001  # fire just after c-ares's deadline, not just before it
TIMER_TOLERANCE = 0.005  # a deadline moving earlier by less is not worth a re-arm


def dns_error(errorno: int) -> DNSError:
    return DNSError(errorno, strerror(errorno))


def settled_without_result(fut: asyncio.Future[Any], errorno: Optional[int]) -> bool:
    """True when ``fut`` takes no result: it is done already (a cancelled awaiter, or a
    rejection already reported), or it has just failed with ``errorno``."""
    if fut.done():
        return True
    if errorno is not None:
        fut.set_exception(dns_error(errorno))
        return True
    return False


def complete(fut: asyncio.Future[Any], result: Any, errorno: Optional[int]) -> None:
    """The plain completion: ``result`` or ``DNSError(errorno)`` on ``fut``."""
    if not settled_without_result(fut, errorno):
        fut.set_result(result)


class DrivenChannel(Protocol):
    """What the driver uses of its :class:`~ctypes_cares.Channel`."""

    def process_fd(self, read_fd: int, write_fd: int) -> None: ...

    def timeout(self, t: Optional[float] = None) -> float: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class LoopDriver:
    """Moves c-ares's completions onto the loop, for the resolver that owns it.

    Its lifetime is the resolver's plus what is in flight: the loop's reader, writer and
    timer callbacks and (event-thread mode, and ``query_dns`` answers) the channel's
    request callbacks hold the driver, not the resolver.  So a resolver dropped with
    lookups pending keeps working, and the channel is released (``__del__``) when the
    last of them lets go.
    """

    channel: DrivenChannel  # from start() on

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.closed = True  # until start(), and again from close() on
        self.loop = loop
        self.event_thread = False
        # The loop is this process's: a forked child must not touch it (close).
        self._pid = os.getpid()
        self.read_fds: Set[int] = set()
        self.write_fds: Set[int] = set()
        self.timer: Optional[asyncio.Handle] = None
        self._timer_when = 0.0  # the loop time self.timer is armed for
        self._timer_check_pending = False
        self._sent = 0  # submissions since the last processing step
        # Socket-callback mode: query_dns answers not decoded yet (see answer_callback).
        self._undecoded: Deque[Tuple[asyncio.Future[Any], bytes]] = collections.deque()
        self._decode_pending = False
        # Event-thread mode: completions waiting to be run on the loop thread.
        self._inbox: Deque[Tuple[Callable[..., None], Tuple[Any, ...]]] = collections.deque()
        self._drain_pending = False
        self._inbox_lock = threading.Lock()

    def start(self, channel: DrivenChannel, event_thread: bool) -> None:
        """Drive ``channel``: from its sockets, or (``event_thread``) only its
        completions, which c-ares's thread hands over through :meth:`post`."""
        self.channel = channel
        self.event_thread = event_thread
        self.closed = False

    def close(self) -> None:
        """Stop watching sockets, drop the timer, hand the channel to the binding (once)."""
        if self.closed:
            return
        self.closed = True
        # In a forked child the loop's epoll object is the parent's: unregistering
        # there would unregister the parent's sockets.
        self._stop_watching(touch_loop=self.in_own_process())
        self.channel.close()

    def in_own_process(self, getpid: Callable[[], int] = os.getpid) -> bool:
        """False in a forked child (os bound early: __del__ may run at interpreter exit)."""
        return self._pid == getpid()

    def __del__(self) -> None:
        self.close()

    def _stop_watching(self, touch_loop: bool = True) -> None:
        """Drop the timer and every reader/writer registration (closing the resolver);
        ``touch_loop`` False: only forget them (a forked child: the loop is the parent's)."""
        loop = self.loop
        timer = self.timer
        self.timer = None
        if timer is not None and touch_loop:
            timer.cancel()
        if touch_loop and not loop.is_closed():  # a closed loop watches nothing any more
            for fd in self.read_fds:
                loop.remove_reader(fd)
            for fd in self.write_fds:
                loop.remove_writer(fd)
        self.read_fds.clear()
        self.write_fds.clear()

    # -- socket-callback mode: query_dns answers decoded in slices --------------------
    #
    # Answers to query_dns() in socket-callback mode arrive as wire bytes: a burst read
    # by one process_fd() step is queued compactly and decoded DECODE_SLICE answers per
    # loop iteration, so the awaiting tasks consume (and drop) results while the rest
    # of the burst is still bytes, instead of the whole burst being alive as objects.

    def answer_callback(
        self, fut: asyncio.Future[Any], answer: Any, errorno: Optional[int]
    ) -> None:
        if errorno is not None or not isinstance(answer, bytes):
            complete(fut, answer, errorno)
            return
        self._undecoded.append((fut, answer))
        if not self._decode_pending:
            self._decode_pending = True
            self.loop.call_soon(self._decode_answers)

    def _decode_answers(self) -> None:
        undecoded = self._undecoded
        for _ in range(min(len(undecoded), DECODE_SLICE)):
            fut, answer = undecoded.popleft()
            if fut.done():
                continue
            try:
                result = parse_dns_response(answer, written_by_cares=True)
            except BadResponse:
                fut.set_exception(dns_error(ARES_EBADRESP))
            else:
                fut.set_result(result)
        if undecoded:
            self.loop.call_soon(self._decode_answers)  # after the tasks just woken
        else:
            self._decode_pending = False

    # -- event-thread mode: completions cross to the loop in batches ----------------

    def post(self, handler: Callable[..., None], *args: Any) -> None:
        """Queue a completion for the loop thread (called on the channel's thread)."""
        # Appending and looking at the flag, like clearing it before the drain, happen
        # under _inbox_lock: a completion is never stranded, with or without a GIL.
        with self._inbox_lock:
            self._inbox.append((handler, args))
            if self._drain_pending:
                return
            self._drain_pending = True
        try:
            self.loop.call_soon_threadsafe(self._drain_inbox)
        except RuntimeError:
            # The loop is closed: nobody can await these futures any more.
            with self._inbox_lock:
                self._inbox.clear()
                self._drain_pending = False

    def _drain_inbox(self) -> None:
        # Clear the flag BEFORE draining: a completion queued after the last popleft
        # then schedules a new drain instead of being stranded.
        with self._inbox_lock:
            self._drain_pending = False
        inbox = self._inbox
        while inbox:
            handler, args = inbox.popleft()
            try:
                handler(*args)
            except Exception as exc:  # pragma: no cover - handlers guard themselves
                self.loop.call_exception_handler(
                    {"message": "ctypes_cares.aio: DNS completion failed", "exception": exc}
                )

    # -- socket-callback mode: c-ares driven by the loop ----------------------------
    #
    # Invariants:
    # * c-ares reports (fd, 0, 0) BEFORE it closes a socket, and we stop watching the fd
    #   right then, so a reused fd number is never watched on behalf of an old socket.
    # * one timer at most (self.timer), armed for c-ares's earliest deadline whenever
    #   sockets are open, re-armed only when that deadline moves materially earlier
    #   (a timer that fires early just processes nothing and re-arms).
    # * the deadline is re-read once per loop iteration after submissions and socket
    #   activity (_timer_check_pending), not once per query.

    def sock_state_cb(self, fd: int, readable: Any, writable: Any) -> None:
        if self.closed:
            # Late notifications, e.g. from the binding's destroyer thread.
            return
        loop = self.loop
        read_fds = self.read_fds
        write_fds = self.write_fds
        if readable:
            if fd not in read_fds:
                loop.add_reader(fd, self._process, fd, SOCKET_BAD)
                read_fds.add(fd)
        elif fd in read_fds:
            loop.remove_reader(fd)
            read_fds.discard(fd)
        if writable:
            if fd not in write_fds:
                loop.add_writer(fd, self._process, SOCKET_BAD, fd)
                write_fds.add(fd)
        elif fd in write_fds:
            loop.remove_writer(fd)
            write_fds.discard(fd)
        if read_fds or write_fds:
            if self.timer is None:
                self._check_timer_soon()
        elif self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _process(self, read_fd: int, write_fd: int) -> None:
        """One c-ares processing step (a socket is ready, or a deadline passed)."""
        if self.closed:
            return
        self._sent = 0
        try:
            self.channel.process_fd(read_fd, write_fd)
        except Exception as exc:
            self._abort(exc)
            return
        if not self._timer_check_pending:
            self._check_timer_soon()

    def _read_replies(self) -> None:
        """Let c-ares read what its sockets hold now, inside a run of submissions.

        c-ares reads every datagram waiting on a socket in one step and keeps each
        parsed answer until the whole step's callbacks have run.  When hundreds of
        lookups are submitted in one loop iteration, their answers would otherwise all
        wait for the next iteration and arrive as one burst, held in C memory at once.
        """
        for fd in tuple(self.read_fds):  # each _process() restarts the count
            self._process(fd, SOCKET_BAD)

    def _abort(self, exc: Exception) -> None:
        """The channel failed while processing (e.g. it was closed behind our back).

        A socket that stays readable would run the failing step again on every loop
        iteration, so: report once, fail what is in flight, close the resolver.
        """
        self.loop.call_exception_handler(
            {"message": "ctypes_cares.aio: c-ares processing failed; resolver closed",
             "exception": exc}
        )
        try:
            self.channel.cancel()
        except Exception:  # the channel is unusable: its requests end with it
            pass
        self.close()

    def _check_timer_soon(self) -> None:
        """Re-read c-ares's next deadline later in this loop iteration (once)."""
        if self._timer_check_pending or self.event_thread:
            return
        self._timer_check_pending = True
        self.loop.call_soon(self._start_timer)

    def _start_timer(self) -> None:
        """Arm (or move earlier) the one timer for c-ares's next deadline."""
        self._timer_check_pending = False
        if self.closed:
            return
        timer = self.timer
        if not (self.read_fds or self.write_fds):
            # No socket open: nothing in flight can time out.
            if timer is not None:
                timer.cancel()
                self.timer = None
            return
        loop = self.loop
        when = loop.time() + self.channel.timeout(TIMER_MAX) + TIMER_SLACK
        if timer is not None:
            # The deadline is kept by us: uvloop's call_at returns a plain Handle, with
            # no when(), for a deadline that rounds to now.
            if self._timer_when <= when + TIMER_TOLERANCE:
                return
            timer.cancel()
        self.timer = loop.call_at(when, self._timer_cb)
        self._timer_when = when

    def _timer_cb(self) -> None:
        self.timer = None
        if self.read_fds or self.write_fds:
            self._process(SOCKET_BAD, SOCKET_BAD)  # expire what is due, then re-arm

    def after_submit(self) -> None:
        """A lookup went to c-ares: re-read the deadline this iteration, and after every
        READ_EVERY submissions without a processing step, read the replies now."""
        if self.event_thread:
            return
        self._sent += 1
        if self._sent >= READ_EVERY and self.read_fds:
            self._read_replies()
        if not self._timer_check_pending:
            self._check_timer_soon()
