"""The lifetime of a C channel: the core that outlives the Python Channel, and the
thread that destroys closed channels.

A Channel may be closed from any thread, from inside one of its own callbacks, or by the
garbage collector.  c-ares must never be destroyed inside one of its callbacks, and
no thread may still be inside a c-ares call on the channel when it is.  So close() only
marks the core closed and queues it; one daemon thread waits for the threads still inside
a c-ares call to leave, cancels what is pending (callbacks see ARES_ECANCELLED), and calls
ares_destroy.  The core holds no reference to the Python Channel, so a closed or
unreferenced Channel can be collected at once.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple

from . import _report
from ._lib import lib
from ._report import report

if TYPE_CHECKING:
    from ._background import Driver
    from ._requests import InFlight

DESTROYED = "Channel is destroyed, no new queries allowed"
FORKED = (
    "this resolver was created before os.fork() and belongs to the parent process; "
    "create a new one in the child"
)
#: Core.after_fork: what a forked child does with a channel that was open at the fork.
REOPEN = "reopen"  # rebuild it from its settings on first use (Channel)
REFUSE = "refuse"  # raise FORKED (the asyncio resolver: its loop is the parent's)


class Core:
    """The C channel pointer and what must stay alive until ``ares_destroy`` returns.

    Every c-ares call on the channel runs inside ``with core as ptr:`` (or
    :meth:`enter`/:meth:`leave`).  ``users`` counts the threads currently inside such a
    call; :meth:`destroy` sets ``closed`` and waits until it is zero.  The lock guards
    ``users``/``closed`` only and is never held across a c-ares call: c-ares holds its
    own channel lock while it runs callbacks, and a callback may call back into us.

    ``serial`` exists only where the library cannot serialise calls itself (not
    thread-safe): then every c-ares call on the channel holds it.  It is re-entrant,
    because callbacks run inside such calls.

    ``driver`` is the background driver (``_background``) for a default channel, None
    for a channel whose owner watches the sockets (``sock_state_cb``) or one on c-ares's
    event thread; ``tv`` is the driver's out-parameter for ``ares_timeout``.

    Fork (see :func:`_after_fork_in_child`): ``settings`` are the Channel's arguments
    (servers, local ip and device as last set), from which a forked child rebuilds the
    channel on first use (None: the child refuses it instead); ``sockets`` are the ones
    c-ares has open (reported through sock_state_cb); ``in_flight`` is the Channel's
    :class:`~ctypes_cares._requests.InFlight`.  In the child, ``forked`` says ``ptr``
    is the parent's: c-ares is never called with it there (its locks may be held by a
    thread that does not exist in the child), and ``after_fork`` is REOPEN or REFUSE
    while the channel is closed only because of the fork.
    """

    __slots__ = (
        "ptr",
        "lock",
        "idle",
        "users",
        "closed",
        "destroyed",
        "token",
        "sock_state_cb",
        "server_state_cb",
        "serial",
        "driver",
        "tv",
        "settings",
        "sockets",
        "in_flight",
        "forked",
        "after_fork",
        "__weakref__",
    )

    def __init__(
        self,
        ptr: Any,
        sock_state_cb: Optional[Callable[..., Any]],
        token: int,
        serial: Optional["threading.RLock"] = None,
    ) -> None:
        self.ptr = ptr
        self.serial = serial
        self.driver: Optional[Driver] = None
        self.tv: Any = None
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.users = 0
        self.closed = False
        self.destroyed = False
        self.token = token
        self.sock_state_cb = sock_state_cb
        self.server_state_cb: Optional[Callable[..., Any]] = None  # _settings delivers to it
        self.settings: Optional[Dict[str, Any]] = None
        self.sockets: Set[int] = set()
        self.in_flight: Optional[InFlight] = None
        self.forked = False
        self.after_fork: Optional[str] = None

    def enter(self) -> Any:
        """Enter a c-ares call: the C pointer, or RuntimeError once closed.

        In a forked child, the first call on a channel that was open at the fork
        rebuilds it (REOPEN) or raises FORKED (REFUSE).
        """
        # (acquire/release rather than ``with``: half the cost, on every query.)
        lock = self.lock
        lock.acquire()
        try:
            if self.closed:
                if self.after_fork != REOPEN:
                    raise self.closed_error()
                self._reopen()
            self.users += 1
        finally:
            lock.release()
        if self.serial is not None:
            self.serial.acquire()
        return self.ptr

    __enter__ = enter

    def __exit__(self, *exc_info: Any) -> None:
        self.leave()

    def leave(self, touch: bool = True) -> None:
        """The c-ares call is over; ``touch``: tell the driver its timeouts may have moved."""
        if self.serial is not None:
            self.serial.release()
        lock = self.lock
        lock.acquire()
        try:
            self.users -= 1
            if self.closed and self.users == 0:
                self.idle.notify_all()
        finally:
            lock.release()
        driver = self.driver
        if touch and driver is not None:
            driver.touch(self)
        if _report._interrupted:
            _report.deliver_kept_interrupt()

    def close(self, collected: bool = False) -> None:
        """Mark closed and hand the C channel to the destroyer thread (idempotent).

        ``collected``: the Channel is being garbage collected.  Then the sock_state_cb is
        dropped here, so the sockets c-ares closes while destroying are not reported:
        the queued core must not hold it, because the callback may be garbage along
        with the Channel (a bound method of the Channel's owner), and holding it would
        bring the whole cycle back to life until the destroyer has run.
        """
        lock = self.lock
        if not collected:
            lock.acquire()
        elif not lock.acquire(blocking=False):
            # From Channel.__del__, which runs wherever the collector finds the Channel:
            # on PyPy at the next safe point of any thread, on CPython at an allocation
            # that starts a collection, so possibly on a thread inside enter() or
            # destroy() that holds this very lock.  Waiting for it could wait forever:
            # the destroyer thread closes it instead.
            destroyer.submit_close(self)
            return
        try:
            if self.closed and self.after_fork is None:
                return
            self.closed = True
            self.after_fork = None
            if collected:
                self.sock_state_cb = self.server_state_cb = None
                self.settings = None
        finally:
            lock.release()
        destroyer.submit(self)

    def closed_error(self) -> RuntimeError:
        """What a call on the closed channel raises."""
        return RuntimeError(FORKED if self.after_fork == REFUSE else DESTROYED)

    def destroy(self) -> None:
        """Cancel what is pending and free the C channel; runs off any callback stack.

        ares_cancel comes first also at exit, where the thunks return at once and no
        callback runs: ares_destroy alone ends each pending query with
        ARES_EDESTRUCTION, and c-ares 1.17.1 (Debian 11's; 1.18.1 no longer does) frees
        a getaddrinfo's state on the first of its two queries (A and AAAA) and uses it
        again for the second: a crash.  ARES_ECANCELLED is counted down correctly.
        """
        with self.lock:
            if self.destroyed:
                return
            self.closed = True
            self.after_fork = None
            # Threads already inside a c-ares call on this channel finish first.
            while self.users:
                self.idle.wait()
            self.destroyed = True
        if self.forked:
            self._close_inherited_sockets(tell=False)  # the C channel is the parent's
        else:
            serial = self.serial
            if serial is not None:
                serial.acquire()
            try:
                lib.ares_cancel(self.ptr)
                lib.ares_destroy(self.ptr)
            finally:
                if serial is not None:
                    serial.release()
        with _live_lock:
            _live.pop(self.token, None)
        self.sock_state_cb = self.server_state_cb = None
        self.settings = None
        if self.driver is not None:
            self.driver.forget(self)

    # -- fork ------------------------------------------------------------------------

    def _forked_in_child(self) -> None:
        """In a forked child (one thread): forget the parent's threads, mark the channel.

        The locks may have been held by threads that do not exist here, and ``users``
        counts them; the C channel, its sockets and the driver's registrations are the
        parent's.  Requests in flight at the fork are the parent's too: the child drops
        them (``_requests``), so ``wait()`` has nothing to wait for.
        """
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.users = 0
        if self.serial is not None:
            self.serial = threading.RLock()
        if self.in_flight is not None:
            self.in_flight.reset()
        self.forked = True
        self.driver = None  # the child's driver starts empty
        if not self.closed:
            self.closed = True
            self.after_fork = REOPEN if self.settings is not None else REFUSE

    def _reopen(self) -> None:
        """(Under ``lock``, in a forked child.) Take over a new C channel built from
        ``settings``: it gets this core's identity, so the Channel is unchanged."""
        assert open_core is not None and self.settings is not None
        fresh = open_core(self.settings)
        self._close_inherited_sockets(tell=True)
        with _live_lock:
            _live.pop(fresh.token, None)
            _live[fresh.token] = weakref.ref(self)
        self.ptr, self.token, self.serial = fresh.ptr, fresh.token, fresh.serial
        self.tv, self.driver = fresh.tv, fresh.driver
        if self.driver is not None:
            self.driver.replace(fresh, self)
        fresh.closed = fresh.destroyed = True  # an empty shell now: nothing enters it
        self.forked = False
        self.closed = False
        self.after_fork = None

    def _close_inherited_sockets(self, tell: bool) -> None:
        """Close the child's copies of the parent's sockets (the parent's stay open).

        ``tell``: tell the sock_state_cb they are gone first, as c-ares does before it
        closes a socket (not for a refused channel: its watcher is the parent's loop,
        whose epoll object the child shares).
        """
        sockets, self.sockets = self.sockets, set()
        callback = self.sock_state_cb if tell else None
        for fd in sockets:
            if callback is not None:
                try:
                    callback(fd, 0, 0)
                except BaseException as exc:
                    report(exc, f"sock_state_cb {callback!r}", callback)
            try:
                os.close(fd)
            except OSError:
                pass


#: Every core not yet destroyed, by token (the sock_state_cb data pointer): the routing
#: of sock_state_cb, and what the exit hook destroys.  Weak references, so a
#: sock_state_cb that refers back to its channel does not make the channel immortal
#: (a core collected without destroy, at exit, leaves a dead reference behind).
#: Changed only under _live_lock; read with one dict lookup or a copy made under it.
_live: "Dict[int, weakref.ref[Core]]" = {}
_live_lock = threading.Lock()
#: Tokens, like request ids, come from itertools.count, whose __next__ is atomic also
#: where there is no GIL (CPython >= 3.13 makes it so for free-threaded builds).
next_token = itertools.count(1).__next__


def add_live_core(core: Core) -> None:
    """Route ``core``'s sock_state_cb to it and have the exit hook destroy it."""
    with _live_lock:
        _live[core.token] = weakref.ref(core)


def core_for(token: int) -> Optional[Core]:
    """The live core of a sock_state_cb data pointer, if any (from any thread)."""
    ref = _live.get(token)
    return ref() if ref is not None else None


def live_cores() -> List[Core]:
    """The cores not yet destroyed."""
    with _live_lock:
        refs = list(_live.values())
    return [core for core in (ref() for ref in refs) if core is not None]


#: ``open_core(settings)``: a new core made by ``Channel(**settings)`` (set by channel.py).
open_core: Optional[Callable[[Dict[str, Any]], Core]] = None


def _after_fork_in_child() -> None:
    # The child has one thread.  A thread holding _live_lock at fork does not exist
    # here; every live core is the parent's (see Core._forked_in_child).  Runs before
    # _requests' hook (registered first), which may drop the last reference to a
    # Channel: its __del__ then finds usable locks.
    global _live_lock
    _live_lock = threading.Lock()
    for ref in list(_live.values()):
        core = ref()
        if core is not None:
            core._forked_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Destroyer:
    """One process-wide daemon thread that destroys closed channels in order.

    Destruction must never run inside a c-ares callback of the same channel (close() may
    be called from one), so close() only queues the core here.  The thread is started
    by the first successful Channel construction, never during interpreter shutdown.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # A forked child has no destroyer thread (and may inherit a held lock): the
        # next Channel starts a new one.
        #: (core, close first?) to destroy, or None to stop.
        self.queue: "queue.SimpleQueue[Optional[Tuple[Core, bool]]]" = queue.SimpleQueue()
        self.thread: Optional[threading.Thread] = None
        self.start_lock = threading.Lock()

    def start(self) -> None:
        with self.start_lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="ctypes_cares-destroyer", daemon=True
                )
                self.thread.start()

    def submit(self, core: Core) -> None:
        """Destroy ``core`` (closed) on the thread."""
        self.queue.put((core, False))

    def submit_close(self, core: Core) -> None:
        """``core.close(collected=True)`` on the thread, then destroy it."""
        self.queue.put((core, True))

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            core, close_first = item
            try:
                if close_first:
                    core.close(collected=True)  # queues the core again, to destroy it
                else:
                    core.destroy()
            except BaseException as exc:  # pragma: no cover - keep the thread alive
                report(exc, "channel destruction", None)
            del core, item

    def stop(self, timeout: float) -> None:
        thread = self.thread
        if thread is not None and thread.is_alive():
            self.queue.put(None)
            thread.join(timeout)


destroyer = _Destroyer()


#: The background driver's stop(timeout), once it exists (``_background``).
stop_driver: Optional[Callable[[float], None]] = None


def shutdown() -> None:
    """Destroy every live channel (at interpreter exit), without running callbacks."""
    destroyer.stop(timeout=5.0)
    if stop_driver is not None:
        stop_driver(5.0)
    for core in live_cores():
        try:
            core.destroy()
        except BaseException:  # pragma: no cover
            pass
