"""Helpers for the binding tests: a recording request callback, polling, sock_state loops.

The fixtures built on these live at the end of ``conftest.py``; tests import the helpers
directly (``tests/`` is on ``sys.path``, like ``dnsserver``).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import ctypes_cares
from ctypes_cares._lifetime import live_cores
from ctypes_cares._lib import OUTDATED_WARNING
from ctypes_cares.errno import strerror

#: Generous upper bound for one answer from the in-process server.
ANSWER_TIMEOUT = 5.0

Call = Tuple[Any, Optional[int]]


class Recorder:
    """A request callback that records every call and the thread it ran on.

    ``wait()`` returns the single ``(result, errno)`` and fails if the callback did not
    run within the timeout, or ran more than once.
    """

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self.threads: List[threading.Thread] = []
        self._done = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, result: Any, errno: Optional[int]) -> None:
        with self._lock:
            self.calls.append((result, errno))
            self.threads.append(threading.current_thread())
        self._done.set()

    @property
    def called(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float = ANSWER_TIMEOUT) -> Call:
        assert self._done.wait(timeout), f"callback not called within {timeout} s"
        assert len(self.calls) == 1, f"callback called {len(self.calls)} times: {self.calls!r}"
        return self.calls[0]

    def result(self, timeout: float = ANSWER_TIMEOUT) -> Any:
        """The successful result (fails on an error status)."""
        result, errno = self.wait(timeout)
        assert errno is None, f"request failed: {errno} ({strerror(errno)})"
        assert result is not None
        return result

    def error(self, timeout: float = ANSWER_TIMEOUT) -> int:
        """The error status (fails on success)."""
        result, errno = self.wait(timeout)
        assert result is None, f"expected an error, got {result!r}"
        assert type(errno) is int, f"errno must be an int: {errno!r}"
        return errno


def wait_for(predicate: Callable[[], bool], timeout: float = ANSWER_TIMEOUT, what: str = "") -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate!r}")
        time.sleep(0.005)


def wait_destroyed(channel: ctypes_cares.Channel, timeout: float = ANSWER_TIMEOUT) -> None:
    """Wait until the destroyer thread has freed a closed channel's C side.

    (``ares_destroy`` has returned once the core left the live set.)
    """
    core = channel._core
    assert core is not None
    wait_for(lambda: core not in live_cores(), timeout, "the channel to be destroyed")


class SockState:
    """A sock_state_cb that tracks which sockets c-ares wants watched."""

    def __init__(self) -> None:
        self.events: List[Tuple[Any, Any, Any]] = []
        self.threads: List[threading.Thread] = []
        self.watched: Dict[int, Tuple[int, int]] = {}
        self._lock = threading.Lock()

    def __call__(self, fd: int, readable: int, writable: int) -> None:
        with self._lock:
            self.events.append((fd, readable, writable))
            self.threads.append(threading.current_thread())
            if readable or writable:
                self.watched[fd] = (readable, writable)
            else:
                self.watched.pop(fd, None)

    def drive(
        self,
        channel: ctypes_cares.Channel,
        done: Callable[[], bool],
        timeout: float = ANSWER_TIMEOUT,
    ) -> int:
        """Run ``select`` + ``process_fd`` + ``timeout()`` until ``done()``; returns rounds."""
        deadline = time.monotonic() + timeout
        rounds = 0
        bad = ctypes_cares.ARES_SOCKET_BAD
        while not done():
            assert time.monotonic() < deadline, "sock_state loop did not finish in time"
            rounds += 1
            with self._lock:
                readers = [fd for fd, (r, _) in self.watched.items() if r]
                writers = [fd for fd, (_, w) in self.watched.items() if w]
            wait = channel.timeout(0.5)
            if not readers and not writers:
                # Nothing to watch: only timeouts can make progress.
                time.sleep(min(wait, 0.05))
                channel.process_fd(bad, bad)
                continue
            ready_r, ready_w, _ = select.select(readers, writers, [], wait)
            if not ready_r and not ready_w:
                channel.process_fd(bad, bad)
            for fd in ready_r:
                channel.process_read_fd(fd)
            for fd in ready_w:
                channel.process_write_fd(fd)
        return rounds


def run_python(
    code: str,
    *args: str,
    timeout: float = 60.0,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[str] = None,
) -> "subprocess.CompletedProcess[str]":
    """Run ``code`` (dedented) in a fresh ``python -X faulthandler`` that imports the
    package under test and can import the test helpers."""
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(env),
        cwd=cwd,
    )


def start_python(code: str, *args: str) -> "subprocess.Popen[str]":
    """Like :func:`run_python`, without waiting (for running a few at once)."""
    return subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(None),
    )


#: A warning filter (-W / PYTHONWARNINGS syntax) for the outdated-library warning.
QUIET_OUTDATED = f"ignore:{OUTDATED_WARNING}:RuntimeWarning"


def subprocess_env(extra: Optional[Dict[str, str]]) -> Dict[str, str]:
    """The environment for a child: the package this process imported comes first."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(ctypes_cares.__file__)))
    tests = os.path.dirname(os.path.abspath(__file__))
    paths: Sequence[str] = [package_root, tests] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p
    ]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Default warnings, less the one an outdated CARES_LIBRARY gives at every import
    # (test_lib.py checks that one).
    env["PYTHONWARNINGS"] = QUIET_OUTDATED
    if extra:
        env.update(extra)
    return env


class ChannelFactory:
    """Makes channels pointed at one server; ``close_all()`` closes every one made.

    Defaults: ``servers=[address]``, ``timeout=1.0``, ``tries=1``; any constructor
    argument can be overridden (``servers=None`` keeps the system's servers).
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.channels: List[ctypes_cares.Channel] = []

    def __call__(self, **kwargs: Any) -> ctypes_cares.Channel:
        kwargs.setdefault("servers", [self.address])
        kwargs.setdefault("timeout", 1.0)
        kwargs.setdefault("tries", 1)
        channel = ctypes_cares.Channel(**kwargs)
        self.channels.append(channel)
        return channel

    def close_all(self) -> None:
        """Close every channel and wait until each is destroyed (its callbacks are done)."""
        for channel in self.channels:
            channel.close()
        for channel in self.channels:
            wait_destroyed(channel)
        self.channels.clear()


class Requester:
    """Submits one request with a fresh :class:`Recorder` as its callback.

    ``requester(channel.query, "www.example", 1)`` returns the recorder (already called
    if the answer was synchronous); ``run``/``result``/``error`` also wait for it.
    """

    def __init__(self) -> None:
        self.recorders: List[Recorder] = []

    def __call__(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Recorder:
        recorder = Recorder()
        self.recorders.append(recorder)
        method(*args, callback=recorder, **kwargs)
        return recorder

    def run(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Call:
        return self(method, *args, **kwargs).wait()

    def result(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self(method, *args, **kwargs).result()

    def error(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        return self(method, *args, **kwargs).error()

    def check(self) -> None:
        """Fail if any callback ran more than once."""
        for recorder in self.recorders:
            calls = recorder.calls
            assert len(calls) <= 1, f"callback called {len(calls)} times: {calls!r}"
