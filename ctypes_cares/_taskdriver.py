"""Driving a c-ares channel from tasks: trio, or anyio on either of its backends.

:class:`TaskChannel` owns a :class:`~ctypes_cares.Channel` in socket-callback mode and
lets tasks await its requests.  No thread: while requests are in flight, one background
task (the *driver*: a trio system task, or an asyncio task) runs a task group with

* one *watcher* task per socket and direction c-ares asks for (``sock_state_cb``),
  awaiting ``wait_readable``/``wait_writable`` and calling ``process_fd``;
* the driver itself, sleeping until c-ares's next deadline (``Channel.timeout``), or
  until woken because the deadline may have moved (a submission, a processing step).

It ends when nothing is in flight, and starts again with the next request.  Everything
runs on the thread of the run (or loop) that submitted; the library-specific parts (the
waits, the task group, starting the driver) come in a :class:`Backend`.

Invariants:

* c-ares reports ``(fd, 0, 0)`` just BEFORE it closes a socket; the watcher's token is
  dropped and ``notify_closing(fd)`` called right then, so the library forgets the fd
  before its number can be reused (a woken watcher sees its token gone and ends).
* ``notify_closing`` also ends the other direction's wait on that fd: a watcher whose
  token is still current just waits again.
* a request's completion is recorded in its :class:`_Slot` whether or not anyone still
  awaits it: a cancelled awaiter leaves nothing but that slot, dropped on completion.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Awaitable, Callable, ContextManager, Dict, Hashable, Optional, Set, Tuple, Type

from ._cdefs import ARES_SOCKET_BAD
from ._report import report
from .channel import AresError, Channel

# Also the asyncio driver's (aio/_driver.py), which imports them from here:
# submissions after which the sockets are read at once, inside the submitting task (a
# burst of lookups started in one scheduling round would otherwise have all its answers
# arrive before the watchers run, and overflow the socket's receive buffer);
READ_EVERY = 32
# and the longest sleep while requests are in flight (a safety net: the deadline is
# re-read on every wake-up anyway).
MAX_SLEEP = 1.0

_Key = Tuple[int, bool]  # (fd, writable)


class Backend:
    """What the driver needs from an async library (see ``trio.py`` and ``anyio.py``)."""

    def __init__(
        self,
        *,
        name: str,
        wait_readable: Callable[[int], Awaitable[None]],
        wait_writable: Callable[[int], Awaitable[None]],
        notify_closing: Callable[[int], None],
        closed_error: Type[BaseException],
        task_group: Callable[[], Any],
        move_on_after: Callable[[float], ContextManager[Any]],
        event: Callable[[], Any],
        spawn: Callable[[Callable[[], Awaitable[None]]], None],
        current_run: Callable[[], Hashable],
    ) -> None:
        self.name = name
        self.wait_readable = wait_readable
        self.wait_writable = wait_writable
        self.notify_closing = notify_closing
        self.closed_error = closed_error
        self.task_group = task_group
        self.move_on_after = move_on_after
        self.event = event
        self.spawn = spawn
        self.current_run = current_run


class _Slot:
    """Where one request's ``(result, status)`` lands; ``event`` is set then."""

    __slots__ = ("event", "result", "status")

    def __init__(self, event: Any) -> None:
        self.event = event
        self.result: Any = None
        self.status: Optional[int] = None


class TaskChannel:
    """A Channel whose requests tasks await (``await submit(...)``)."""

    def __init__(self, backend: Backend, channel_options: Dict[str, Any]) -> None:
        if "sock_state_cb" in channel_options:
            raise TypeError("sock_state_cb is the resolver's own: it cannot be passed")
        self._backend = backend
        self._closed = False
        self._in_flight = 0
        self._interest: Dict[_Key, object] = {}  # what c-ares asked for -> watcher token
        self._watching: Set[_Key] = set()  # keys with a watcher task started
        self._task_group: Any = None
        self._running = False
        self._run: Hashable = None
        self._wake: Any = None
        self._sent = 0  # submissions since the last processing step
        # The channel holds its sock_state_cb for its whole life: a weak reference keeps
        # it from holding this object (no cycle through C).
        weak_self = weakref.ref(self)

        def sock_state_cb(fd: int, readable: int, writable: int) -> None:
            this = weak_self()
            if this is not None:
                this._sock_state(fd, bool(readable), bool(writable))

        self.channel = Channel(sock_state_cb=sock_state_cb, **channel_options)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> int:
        """Requests submitted and not completed yet (awaited or not)."""
        return self._in_flight

    @property
    def driving(self) -> bool:
        """True while the driver task runs."""
        return self._running

    # -- requests ----------------------------------------------------------------------

    async def submit(self, method: str, *args: Any, **kwargs: Any) -> Tuple[Any, Optional[int]]:
        """``channel.<method>(*args, callback=..., **kwargs)``; returns ``(result,
        status)``, status None on success.  Cancelling the awaiting task drops the result.
        """
        if self._closed:
            raise RuntimeError("the resolver is closed")
        run = self._backend.current_run()
        if self._running and run != self._run:
            raise RuntimeError(
                "this resolver is driven by another event loop or trio run; "
                "make one resolver per run"
            )
        slot = _Slot(self._backend.event())
        self._in_flight += 1
        try:
            getattr(self.channel, method)(
                *args, callback=functools.partial(self._complete, slot), **kwargs
            )
        except AresError as exc:
            # A refused submission has been reported to the callback already.
            if not slot.event.is_set():
                self._complete(slot, None, exc.args[0])
        except BaseException:
            if not slot.event.is_set():
                self._in_flight -= 1
            raise
        if not slot.event.is_set():
            self._start_or_wake(run)
            self._sent += 1
            if self._sent >= READ_EVERY:
                self._read_replies()
        await slot.event.wait()
        return slot.result, slot.status

    def _complete(self, slot: _Slot, result: Any, status: Optional[int]) -> None:
        self._in_flight -= 1
        slot.result = result
        slot.status = status
        slot.event.set()
        if not self._in_flight:
            self._wake_driver()

    # -- the driver ---------------------------------------------------------------------

    def _start_or_wake(self, run: Hashable) -> None:
        if self._running:
            self._wake_driver()  # the deadline may be earlier now
            return
        self._running = True
        self._run = run
        try:
            self._backend.spawn(self._drive)
        except BaseException:
            self._running = False
            raise

    def _wake_driver(self) -> None:
        wake = self._wake
        if wake is not None:
            wake.set()

    async def _drive(self) -> None:
        backend = self._backend
        try:
            # A request submitted while a finished round's task group winds down is
            # driven by the next round.
            while self._in_flight and not self._closed:
                async with backend.task_group() as task_group:
                    self._task_group = task_group
                    self._watching.clear()
                    for key, token in list(self._interest.items()):
                        self._start_watcher(key, token)
                    while self._in_flight and not self._closed:
                        wake = self._wake = backend.event()
                        delay = self.channel.timeout(MAX_SLEEP)
                        with backend.move_on_after(max(delay, 0.0)) as scope:
                            await wake.wait()
                        if scope.cancelled_caught:
                            self._process(ARES_SOCKET_BAD, ARES_SOCKET_BAD)
                    # Sockets opened from now on get their watchers in the next round.
                    self._task_group = None
                    task_group.cancel_scope.cancel()
        except Exception as exc:  # our bug: fail the requests rather than hang them
            report(exc, f"the ctypes_cares {backend.name} driver", self)
            self.close()
        finally:
            self._running = False
            self._run = None
            self._wake = None
            self._task_group = None
            self._watching.clear()

    def _read_replies(self) -> None:
        for fd, writable in list(self._interest):
            if not writable:
                self._process(fd, ARES_SOCKET_BAD)

    def _process(self, read_fd: int, write_fd: int) -> None:
        self._sent = 0
        if self._closed:
            return
        try:
            self.channel.process_fd(read_fd, write_fd)
        except Exception:
            # The channel is unusable (closed behind our back): fail what is in flight
            # rather than spin on a socket that stays ready.
            self.close()
        self._wake_driver()

    # -- sockets --------------------------------------------------------------------------

    def _sock_state(self, fd: int, readable: bool, writable: bool) -> None:
        if self._closed:
            return  # late reports while the channel is destroyed
        closing = False
        for key, wanted in (((fd, False), readable), ((fd, True), writable)):
            if wanted and key not in self._interest:
                token = self._interest[key] = object()
                if self._task_group is not None:
                    self._start_watcher(key, token)
            elif not wanted and key in self._interest:
                del self._interest[key]
                if key in self._watching:
                    self._watching.remove(key)
                    closing = True
        if closing:
            # Before c-ares closes or reuses the fd: the library must forget its waits.
            self._backend.notify_closing(fd)

    def _start_watcher(self, key: _Key, token: object) -> None:
        self._watching.add(key)
        self._task_group.start_soon(self._watch, key, token)

    async def _watch(self, key: _Key, token: object) -> None:
        fd, writable = key
        backend = self._backend
        wait = backend.wait_writable if writable else backend.wait_readable
        while self._interest.get(key) is token:
            try:
                await wait(fd)
            except backend.closed_error:
                continue  # notify_closing: re-check the token
            except OSError:
                return  # the fd is not open (cannot happen while c-ares owns it)
            if self._interest.get(key) is not token:
                return
            if writable:
                self._process(ARES_SOCKET_BAD, fd)
            else:
                self._process(fd, ARES_SOCKET_BAD)

    # -- lifetime ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Fail every request in flight with ARES_ECANCELLED."""
        if not self._closed:
            self.channel.cancel()

    def close(self) -> None:
        """Fail what is in flight (ARES_ECANCELLED), stop watching, release the channel.

        Idempotent.  Inside the run that drives it, the library forgets the sockets
        before c-ares closes them.
        """
        if self._closed:
            return
        try:
            self.channel.cancel()  # completions run here, on the run's thread
        except Exception:  # the channel is unusable already: its requests end with it
            pass
        finally:
            self._closed = True
            watched = {fd for fd, _ in self._watching}
            self._interest.clear()
            self._watching.clear()
            if self._running and watched:
                for fd in watched:
                    try:
                        self._backend.notify_closing(fd)
                    except RuntimeError:  # not inside the run: its waits are gone
                        break
            self._wake_driver()
            self.channel.close()
