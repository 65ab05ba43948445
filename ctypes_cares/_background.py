"""The one background thread that drives every default Channel.

A Channel created without ``sock_state_cb`` resolves on its own and runs its callbacks
on a background thread (pycares' contract).  c-ares could run an event thread of its
own per channel, but a C callback from a thread Python does not know costs 7.5 us on
CPython (a Python thread state is made and dropped for every call), and each answer
then has to win the GIL back from the submitting thread.  So one Python thread of ours
drives all default channels the way ``ctypes_cares.aio`` drives its channel from the
loop: c-ares names the sockets to watch through ``sock_state_cb``, this thread waits on
them with epoll (poll where there is no epoll), calls ``ares_process_fd`` for the ready
ones, and runs c-ares's timeouts from the same wait.  Callbacks then run on a thread
Python knows, and a callback that submits the next query needs no hand-off at all.

Invariants:

* ``fds`` maps each socket c-ares asked us to watch to its channel's core.  Only
  :meth:`Driver.watch` changes it, under ``lock``: c-ares calls sock_state_cb from
  whichever thread is inside a c-ares call on the channel (a submitter, this thread,
  the destroyer).  c-ares reports a socket gone before it closes it, so a socket
  number reused by another channel is re-registered, never confused.
* Every c-ares call this thread makes goes through ``core.enter()``/``core.leave()``
  like any other thread's: a closed channel is skipped, destruction waits for us, and
  the serial lock is taken where the library is not thread-safe.  No lock of ours is
  held across a c-ares call that may run callbacks.
* ``deadlines`` holds each core's next c-ares timeout (monotonic seconds).  Any c-ares
  call on a core marks it dirty (``Core.leave`` -> :meth:`Driver.touch`); the thread
  recomputes dirty cores' deadlines before it waits.  A thread that marks a core dirty
  while the driver sleeps wakes it through a pipe: ``touch`` adds and looks at
  ``sleeping`` under ``lock``, and the thread sets ``sleeping`` and takes its last
  look at ``dirty`` under it too, so one of the two always sees the other (with or
  without a GIL).  Callbacks submitting from this thread pay for neither: on it,
  ``touch`` only adds to ``dirty``, which the thread looks at before it next waits.
* System configuration: c-ares's event thread re-reads resolv.conf and nsswitch.conf
  when they change; this thread checks them every ``CONFIG_INTERVAL`` seconds while
  default channels exist and calls ``ares_reinit`` (c-ares >= 1.22) when they changed.
* Fork: the child starts with a fresh epoll object, pipe and thread on first use; the
  parent's (shared with the child by fork) are never touched there.  A channel made
  before the fork is rebuilt by its core in the child (``Core._reopen``) and then added
  here like a new one.
* Exit: :func:`ctypes_cares._lifetime.shutdown` stops and joins the thread before it
  destroys the channels.
"""

from __future__ import annotations

import os
import select
import threading
import time
from ctypes import byref
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from . import _lifetime, _report
from ._lib import caps, lib, unchecked
from ._cdefs import ARES_SOCKET_BAD, timeval

if TYPE_CHECKING:
    from ._lifetime import Core

__all__ = ["AVAILABLE", "driver"]

#: Whether this platform has a wait primitive for the driver (not on Windows: there the
#: default Channel keeps c-ares's own event thread).
AVAILABLE = hasattr(select, "epoll") or hasattr(select, "poll")

_READ = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP
_WRITE = select.POLLOUT
#: How often the system resolver configuration is looked at while channels exist.
CONFIG_INTERVAL = 5.0
_CONFIG_FILES = ("/etc/resolv.conf", "/etc/nsswitch.conf")
_monotonic = time.monotonic
_get_ident = threading.get_ident
#: Without argtypes: the descriptors come from the wait, the pointer is a ctypes object.
_process_fd = unchecked(lib.ares_process_fd)


class _Waiter:
    """epoll, or poll where there is none: register/modify/unregister/wait(seconds)."""

    def __init__(self) -> None:
        self.epoll = hasattr(select, "epoll")
        self.impl: Any = select.epoll() if self.epoll else select.poll()
        #: Whether a registration made during a wait is seen by that wait (epoll: yes).
        self.live_updates = self.epoll

    def set(self, fd: int, mask: int, known: bool) -> None:
        try:
            if known:
                self.impl.modify(fd, mask)
            else:
                self.impl.register(fd, mask)
        except FileExistsError:  # closed and reused behind our back: take it over
            self.impl.modify(fd, mask)
        except (FileNotFoundError, KeyError):
            self.impl.register(fd, mask)

    def remove(self, fd: int) -> None:
        try:
            self.impl.unregister(fd)
        except (OSError, KeyError, ValueError):
            pass  # already closed: the kernel forgot it

    def wait(self, timeout: Optional[float]) -> List[Tuple[int, int]]:
        if self.epoll:
            return self.impl.poll(-1 if timeout is None else timeout)  # type: ignore[no-any-return]
        ms = None if timeout is None else int(timeout * 1000 + 0.999)
        return self.impl.poll(ms)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.epoll:
            self.impl.close()


class Driver:
    """Watches the sockets of every default channel and runs their timeouts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._reset()
        os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _reset(self) -> None:
        self.thread: Optional[threading.Thread] = None
        #: The thread's identity, once it runs.
        self.ident: Optional[int] = None
        self.waiter: Optional[_Waiter] = None
        self.wake_r = self.wake_w = -1
        self.fds: Dict[int, Core] = {}
        self.cores: Set[Core] = set()
        self.deadlines: Dict[Core, float] = {}
        self.dirty: Set[Core] = set()
        self.sleeping = False
        self.woken = False
        self.stopping = False
        self.config: Dict[str, Tuple[int, int]] = {}
        self.next_config_check = 0.0

    # -- called from any thread ------------------------------------------------------

    def add(self, core: Core) -> None:
        """Drive ``core`` from now on (its sock_state_cb is routed here)."""
        with self.lock:
            if self.stopping:
                raise RuntimeError("ctypes_cares is shutting down")
            self._ensure_started()
            self.cores.add(core)
            core.tv = timeval()
            if not self.config:
                self.config = _config_state()
                self.next_config_check = _monotonic() + CONFIG_INTERVAL
        core.driver = self

    def forget(self, core: Core) -> None:
        """``core`` was destroyed: drop what the thread knows of it."""
        with self.lock:
            self.cores.discard(core)
            for fd in [fd for fd, owner in self.fds.items() if owner is core]:
                del self.fds[fd]
                if self.waiter is not None:
                    self.waiter.remove(fd)
        # Only the thread changes ``deadlines``: it drops the core once it finds it closed.
        self.touch(core)

    def replace(self, old: Core, new: Core) -> None:
        """``new`` took over ``old``'s C channel (a channel rebuilt in a forked child)."""
        with self.lock:
            if old in self.cores:
                self.cores.discard(old)
                self.cores.add(new)
            for fd, owner in list(self.fds.items()):
                if owner is old:
                    self.fds[fd] = new

    def watch(self, core: Core, fd: int, readable: int, writable: int) -> None:
        """c-ares's sock_state_cb for a driven channel (inside any c-ares call)."""
        mask = (_READ if readable else 0) | (_WRITE if writable else 0)
        with self.lock:
            waiter = self.waiter
            if waiter is None:
                return  # stopped
            if mask:
                known = self.fds.get(fd) is not None
                self.fds[fd] = core
                waiter.set(fd, mask, known)
            elif self.fds.pop(fd, None) is not None:
                waiter.remove(fd)
            live = waiter.live_updates
        if not live:
            self.wake()

    def touch(self, core: Core) -> None:
        """A c-ares call on ``core`` just returned: its next timeout may have moved."""
        if _get_ident() == self.ident:
            # The thread itself (a callback submitting, or its own processing): it is
            # awake, and looks at ``dirty`` before it next waits.  No lock needed.
            self.dirty.add(core)
            return
        with self.lock:  # ordered with the thread's last look at ``dirty``
            self.dirty.add(core)
            sleeping = self.sleeping
        if sleeping:
            self.wake()

    def wake(self) -> None:
        if self.woken:
            return
        self.woken = True
        try:
            os.write(self.wake_w, b"\0")
        except OSError:
            pass  # the pipe is full (it is awake anyway) or gone (stopped)

    def stop(self, timeout: float) -> None:
        """Stop and join the thread (at interpreter exit); no new channel after this."""
        with self.lock:
            self.stopping = True
            thread = self.thread
        self.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the thread ------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self.thread is not None:
            return
        self.waiter = _Waiter()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.waiter.set(self.wake_r, select.POLLIN, False)
        self.thread = threading.Thread(
            target=self._run, name="ctypes_cares-driver", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        self.ident = _get_ident()
        waiter = self.waiter
        assert waiter is not None
        fds = self.fds
        deadlines = self.deadlines
        dirty = self.dirty
        wake_r = self.wake_r
        bad = ARES_SOCKET_BAD
        try:
            while not self.stopping:
                now = _monotonic()
                while dirty:
                    try:
                        core = dirty.pop()
                    except KeyError:
                        break
                    self._refresh(core, now)
                timeout = None
                if deadlines:
                    # +1 ms: c-ares rounds what is left down; waking early would spin.
                    timeout = max(0.0, min(deadlines.values()) - now + 0.001)
                if self.cores:
                    until_check = self.next_config_check - now
                    if timeout is None or until_check < timeout:
                        timeout = max(0.0, until_check)
                with self.lock:
                    self.sleeping = True
                    if dirty or self.stopping:
                        timeout = 0.0
                events = waiter.wait(timeout)
                self.sleeping = False
                for fd, mask in events:
                    if fd == wake_r:
                        self._drain()
                        continue
                    owner = fds.get(fd)
                    if owner is not None:
                        self._process(
                            owner, fd if mask & _READ else bad, fd if mask & _WRITE else bad
                        )
                now = _monotonic()
                if deadlines:
                    for core, when in list(deadlines.items()):
                        if when <= now:
                            self._process(core, bad, bad)
                if self.cores and now >= self.next_config_check:
                    self._check_config()
        except BaseException as exc:  # pragma: no cover - a bug of ours: say so loudly
            _report.report(exc, "the ctypes_cares driver thread (default channels stop)", None)
        finally:
            self.ident = None  # (a later thread may be given the same number)

    def _process(self, core: Core, read_fd: int, write_fd: int) -> None:
        try:
            ptr = core.enter()
        except RuntimeError:  # closed: the destroyer cancels what is left
            self.deadlines.pop(core, None)
            return
        try:
            _process_fd(ptr, read_fd, write_fd)
        finally:
            core.leave()  # marks it dirty: its deadline is recomputed before the wait

    def _refresh(self, core: Core, now: float) -> None:
        try:
            ptr = core.enter()
        except RuntimeError:
            self.deadlines.pop(core, None)
            return
        try:
            tv = core.tv
            left = lib.ares_timeout(ptr, None, byref(tv))
        finally:
            core.leave(touch=False)
        if left:
            self.deadlines[core] = now + tv.tv_sec + tv.tv_usec / 1_000_000
        else:
            self.deadlines.pop(core, None)

    def _drain(self) -> None:
        self.woken = False  # before reading: a wake after this point writes again
        try:
            while os.read(self.wake_r, 4096):
                pass
        except OSError:
            pass

    def _check_config(self) -> None:
        """ares_reinit every driven channel when the system configuration changed."""
        self.next_config_check = _monotonic() + CONFIG_INTERVAL
        state = _config_state()
        if state == self.config:
            return
        self.config = state
        if not caps.reinit:
            return
        with self.lock:
            cores = list(self.cores)
        for core in cores:
            try:
                ptr = core.enter()
            except RuntimeError:
                continue
            try:
                lib.ares_reinit(ptr)
            finally:
                core.leave()

    def _after_fork_in_child(self) -> None:
        # The epoll object and the pipe are shared with the parent: close our copies
        # without touching their registrations, and start afresh on first use.
        old_waiter, old_fds = self.waiter, (self.wake_r, self.wake_w)
        self.lock = threading.Lock()
        self._reset()
        if old_waiter is not None:
            try:
                old_waiter.close()
            except OSError:
                pass
        for fd in old_fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _config_state() -> Dict[str, Tuple[int, int]]:
    """(size, mtime) of the files c-ares reads its system configuration from."""
    state = {}
    for path in _CONFIG_FILES:
        try:
            st = os.stat(path)
        except OSError:
            continue
        state[path] = (st.st_size, st.st_mtime_ns)
    return state


driver = Driver()
_lifetime.stop_driver = driver.stop
