"""Driving a c-ares channel from an asyncio loop: sockets, the one timer, bursts.

:class:`LoopDriver` is the half of :class:`~ctypes_cares.aio.DNSResolver` that moves
completions from c-ares to the loop; the resolver itself is the aiodns-shaped API on
top.  Two modes:

* socket-callback mode (the default): c-ares reports its sockets through
  ``sock_state_cb``; they are watched with ``add_reader``/``add_writer``, c-ares's
  timeouts with one loop timer, and every completion runs on the loop thread inside
  ``process_fd``.
* event-thread mode: c-ares runs its own thread; completions are queued there and run
  on the loop in batches, one wake-up per burst.

The state lives on the resolver instance (tests and aiodns-minded users look at
``_channel``, ``_timer``, ``_read_fds``, ...).
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any, Callable, Deque, Optional, Set, Tuple

from .._cdefs import ARES_SOCKET_BAD
from ..errno import ARES_EBADRESP, strerror
from ..records import BadResponse, parse_dns_response
from .error import DNSError

SOCKET_BAD: int = ARES_SOCKET_BAD

# query_dns answers decoded per loop iteration in socket-callback mode (_decode_answers).
DECODE_SLICE = 32
# Submissions after which the sockets are read at once, not at the next loop iteration.
READ_EVERY = 32

# The loop timer that drives c-ares's timeouts (see _start_timer):
TIMER_MAX = 1.0  # never sleep longer than this while sockets are open (safety net)
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


class LoopDriver:
    """Moves c-ares's completions onto the loop; a base class of DNSResolver."""

    # Set by DNSResolver.__init__.
    loop: asyncio.AbstractEventLoop
    _channel: Any
    _closed: bool
    _event_thread: bool

    def _init_driver(self) -> None:
        self._read_fds: Set[int] = set()
        self._write_fds: Set[int] = set()
        self._timer: Optional[asyncio.Handle] = None
        self._timer_when = 0.0  # the loop time self._timer is armed for
        self._timer_check_pending = False
        self._sent = 0  # submissions since the last processing step
        # Socket-callback mode: query_dns answers not decoded yet (see _answer_callback).
        self._undecoded: Deque[Tuple[asyncio.Future[Any], bytes]] = collections.deque()
        self._decode_pending = False
        # Event-thread mode: completions waiting to be run on the loop thread.
        self._inbox: Deque[Tuple[Callable[..., None], Tuple[Any, ...]]] = collections.deque()
        self._drain_pending = False
        self._inbox_lock = threading.Lock()

    def _cleanup(self) -> None:  # pragma: no cover - DNSResolver closes the resolver
        raise NotImplementedError

    def _stop_watching(self, touch_loop: bool = True) -> None:
        """Drop the timer and every reader/writer registration (closing the resolver);
        ``touch_loop`` False: only forget them (a forked child: the loop is the parent's)."""
        loop = self.loop
        timer = self._timer
        self._timer = None
        if timer is not None and touch_loop:
            timer.cancel()
        if touch_loop and not loop.is_closed():  # a closed loop watches nothing any more
            for fd in self._read_fds:
                loop.remove_reader(fd)
            for fd in self._write_fds:
                loop.remove_writer(fd)
        self._read_fds.clear()
        self._write_fds.clear()

    # -- socket-callback mode: query_dns answers decoded in slices --------------------
    #
    # Answers to query_dns() in socket-callback mode arrive as wire bytes: a burst read
    # by one process_fd() step is queued compactly and decoded DECODE_SLICE answers per
    # loop iteration, so the awaiting tasks consume (and drop) results while the rest
    # of the burst is still bytes, instead of the whole burst being alive as objects.

    def _answer_callback(
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

    def _post(self, handler: Callable[..., None], *args: Any) -> None:
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
    # * one timer at most (self._timer), armed for c-ares's earliest deadline whenever
    #   sockets are open, re-armed only when that deadline moves materially earlier
    #   (a timer that fires early just processes nothing and re-arms).
    # * the deadline is re-read once per loop iteration after submissions and socket
    #   activity (_timer_check_pending), not once per query.

    def _sock_state_cb(self, fd: int, readable: Any, writable: Any) -> None:
        if self._closed:
            # Late notifications, e.g. from the binding's destroyer thread.
            return
        loop = self.loop
        read_fds = self._read_fds
        write_fds = self._write_fds
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
            if self._timer is None:
                self._check_timer_soon()
        elif self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _process(self, read_fd: int, write_fd: int) -> None:
        """One c-ares processing step (a socket is ready, or a deadline passed)."""
        if self._closed:
            return
        self._sent = 0
        try:
            self._channel.process_fd(read_fd, write_fd)
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
        for fd in tuple(self._read_fds):  # each _process() restarts the count
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
            self._channel.cancel()
        except Exception:  # the channel is unusable: its requests end with it
            pass
        self._cleanup()

    def _check_timer_soon(self) -> None:
        """Re-read c-ares's next deadline later in this loop iteration (once)."""
        if self._timer_check_pending or self._event_thread:
            return
        self._timer_check_pending = True
        self.loop.call_soon(self._start_timer)

    def _start_timer(self) -> None:
        """Arm (or move earlier) the one timer for c-ares's next deadline."""
        self._timer_check_pending = False
        if self._closed:
            return
        timer = self._timer
        if not (self._read_fds or self._write_fds):
            # No socket open: nothing in flight can time out.
            if timer is not None:
                timer.cancel()
                self._timer = None
            return
        loop = self.loop
        when = loop.time() + self._channel.timeout(TIMER_MAX) + TIMER_SLACK
        if timer is not None:
            # The deadline is kept by us: uvloop's call_at returns a plain Handle, with
            # no when(), for a deadline that rounds to now.
            if self._timer_when <= when + TIMER_TOLERANCE:
                return
            timer.cancel()
        self._timer = loop.call_at(when, self._timer_cb)
        self._timer_when = when

    def _timer_cb(self) -> None:
        self._timer = None
        if self._read_fds or self._write_fds:
            self._process(SOCKET_BAD, SOCKET_BAD)  # expire what is due, then re-arm

    def _after_submit(self) -> None:
        """A lookup went to c-ares: re-read the deadline this iteration, and after every
        READ_EVERY submissions without a processing step, read the replies now."""
        if self._event_thread:
            return
        self._sent += 1
        if self._sent >= READ_EVERY and self._read_fds:
            self._read_replies()
        if not self._timer_check_pending:
            self._check_timer_soon()
