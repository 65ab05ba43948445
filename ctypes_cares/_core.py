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
import queue
import sys
import threading
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, Type

from ._lib import lib

if TYPE_CHECKING:
    from ._poller import Poller

DESTROYED = "Channel is destroyed, no new queries allowed"


class _Unraisable:
    """The argument sys.unraisablehook expects."""

    def __init__(self, exc: BaseException, message: str, obj: Any) -> None:
        self.exc_type: Type[BaseException] = type(exc)
        self.exc_value: Optional[BaseException] = exc
        self.exc_traceback: Optional[TracebackType] = exc.__traceback__
        self.err_msg: Optional[str] = message
        self.object = obj


def report(exc: BaseException, what: str, obj: Any) -> None:
    """Report an exception that must not cross into C, the way Python reports __del__'s."""
    try:
        sys.unraisablehook(_Unraisable(exc, f"Exception ignored in {what}", obj))
    except BaseException:  # pragma: no cover - a broken hook must not break c-ares
        pass



class Core:
    """The C channel pointer and what must stay alive until ``ares_destroy`` returns.

    ``users`` counts threads currently inside a c-ares call on this channel.  The lock
    guards ``users``/``closed`` only and is never held across a c-ares call: c-ares holds
    its own channel lock while it runs callbacks, and a callback may call back into us.

    ``serial`` exists only where the library cannot serialise calls itself (not
    thread-safe, or driven by our Python poller thread): then every c-ares call on the
    channel holds it.  It is re-entrant, because callbacks run inside such calls.
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
        "serial",
        "poller",
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
        self.poller: Optional[Poller] = None
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.users = 0
        self.closed = False
        self.destroyed = False
        self.token = token
        self.sock_state_cb = sock_state_cb

    def enter(self) -> Any:
        with self.lock:
            if self.closed:
                raise RuntimeError(DESTROYED)
            self.users += 1
        if self.serial is not None:
            self.serial.acquire()
        return self.ptr

    def leave(self) -> None:
        if self.serial is not None:
            self.serial.release()
            poller = self.poller
            if poller is not None and not poller.on_this_thread():
                poller.wake()  # new work may need an earlier timeout than the poll's
        with self.lock:
            self.users -= 1
            if self.closed and self.users == 0:
                self.idle.notify_all()

    def start_poller(self) -> None:
        """Drive this channel from a Python thread (library without an event thread)."""
        from ._poller import Poller  # only libraries without an event thread need it

        assert self.serial is not None
        self.poller = Poller(self.ptr, self.serial)
        self.sock_state_cb = self.poller.on_sock_state
        self.poller.start()

    def close(self) -> None:
        """Mark closed and hand the C channel to the destroyer thread (idempotent)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        destroyer.submit(self)

    def destroy(self, cancel: bool = True) -> None:
        """Cancel what is pending and free the C channel; runs off any callback stack."""
        with self.lock:
            if self.destroyed:
                return
            self.closed = True
            # Threads already inside a c-ares call on this channel finish first.
            while self.users:
                self.idle.wait()
            self.destroyed = True
        if self.poller is not None:
            self.poller.stop()
        serial = self.serial
        if serial is not None:
            serial.acquire()
        try:
            if cancel:
                lib.ares_cancel(self.ptr)
            lib.ares_destroy(self.ptr)
        finally:
            if serial is not None:
                serial.release()
        sock_state_targets.pop(self.token, None)
        live_cores.discard(self)
        self.sock_state_cb = None


#: sock_state_cb routing: token (the C callback's data pointer) -> core.  Weak, so a
#: sock_state_cb that refers back to its channel does not make the channel immortal.
sock_state_targets: "weakref.WeakValueDictionary[int, Core]" = weakref.WeakValueDictionary()
live_cores: "weakref.WeakSet[Core]" = weakref.WeakSet()
next_token = itertools.count(1).__next__


class _Destroyer:
    """One process-wide daemon thread that destroys closed channels in order.

    Destruction must never run inside a c-ares callback of the same channel (close() may
    be called from one), so close() only queues the core here.  The thread is started
    by the first successful Channel construction, never during interpreter shutdown.
    """

    def __init__(self) -> None:
        self.queue: "queue.SimpleQueue[Optional[Core]]" = queue.SimpleQueue()
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
        self.queue.put(core)

    def _run(self) -> None:
        while True:
            core = self.queue.get()
            if core is None:
                return
            try:
                core.destroy()
            except BaseException as exc:  # pragma: no cover - keep the thread alive
                report(exc, "channel destruction", None)
            del core

    def stop(self, timeout: float) -> None:
        thread = self.thread
        if thread is not None and thread.is_alive():
            self.queue.put(None)
            thread.join(timeout)


destroyer = _Destroyer()


def shutdown() -> None:
    """Destroy every live channel (at interpreter exit), without running callbacks."""
    destroyer.stop(timeout=5.0)
    for core in list(live_cores):
        try:
            core.destroy(cancel=False)
        except BaseException:  # pragma: no cover
            pass
