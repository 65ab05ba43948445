"""A Python thread that drives a channel when libcares has no event thread of its own.

c-ares before 1.26, or built without thread support, cannot resolve on its own: someone
has to watch its sockets and call ``ares_process_fd``.  For a Channel created without
``sock_state_cb`` on such a library, this thread plays the part of c-ares's event
thread, so the default Channel behaves the same on every supported library: callbacks run
on a background thread.

Invariants:

* every c-ares call on the channel, from any thread, happens under the core's ``serial``
  lock (the library may not be thread-safe).  It is re-entrant: callbacks run inside
  ``ares_process_fd`` on this thread, with the lock held, and may call the channel again;
* the socket set is learnt from c-ares's sock_state_cb, which only ever runs inside a
  c-ares call, i.e. under ``serial``;
* a thread that submitted work wakes the poll through a pipe, because a new query can
  need an earlier timeout or a new socket while the poll sleeps.
"""

from __future__ import annotations

import os
import select
import threading
from ctypes import byref
from typing import Any, Dict, Tuple

from ._lib import ARES_SOCKET_BAD, lib, timeval

_READ = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


class Poller:
    """Watches one channel's sockets and runs its timeouts on a daemon thread."""

    def __init__(self, ptr: Any, serial: "threading.RLock") -> None:
        self.ptr = ptr
        self.serial = serial
        self.sockets: Dict[int, Tuple[int, int]] = {}
        self.stopping = False
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.thread = threading.Thread(target=self._run, name="ctypes_cares-poller", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def on_sock_state(self, fd: int, readable: int, writable: int) -> None:
        """c-ares's sock_state_cb (runs inside a c-ares call, under ``serial``)."""
        if readable or writable:
            self.sockets[fd] = (readable, writable)
        else:
            self.sockets.pop(fd, None)
        self.wake()

    def wake(self) -> None:
        try:
            os.write(self.wake_w, b"\0")
        except (BlockingIOError, OSError):
            pass  # already awake (pipe full), or stopped

    def on_this_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def stop(self) -> None:
        """Stop and join the thread (not from the thread itself); close the pipe."""
        self.stopping = True
        self.wake()
        if self.thread.is_alive() and not self.on_this_thread():
            self.thread.join()
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _timeout_ms(self) -> int:
        tv = timeval()
        if not lib.ares_timeout(self.ptr, None, byref(tv)):
            return -1  # nothing pending: sleep until woken
        return max(0, tv.tv_sec * 1000 + (tv.tv_usec + 999) // 1000)

    def _run(self) -> None:
        while True:
            with self.serial:
                if self.stopping:
                    return
                timeout = self._timeout_ms()
                watched = list(self.sockets.items())
            poll = select.poll()
            poll.register(self.wake_r, select.POLLIN)
            for fd, (readable, writable) in watched:
                poll.register(fd, (select.POLLIN if readable else 0) | (select.POLLOUT if writable else 0))
            try:
                events = poll.poll(timeout)
            except InterruptedError:  # pragma: no cover - PEP 475 retries, older PyPy may not
                events = []
            with self.serial:
                if self.stopping:
                    return
                for fd, mask in events:
                    if fd == self.wake_r:
                        self._drain()
                        continue
                    lib.ares_process_fd(
                        self.ptr,
                        fd if mask & _READ else ARES_SOCKET_BAD,
                        fd if mask & select.POLLOUT else ARES_SOCKET_BAD,
                    )
                # Timeouts and retries are due whatever the sockets did.
                lib.ares_process_fd(self.ptr, ARES_SOCKET_BAD, ARES_SOCKET_BAD)

    def _drain(self) -> None:
        try:
            while os.read(self.wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

