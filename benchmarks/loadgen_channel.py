"""One measurement of the plain ``Channel`` API (no asyncio): one library, one workload,
one mode, in this (fresh) process. Prints one JSON object on stdout.

    python benchmarks/loadgen_channel.py --client pycares --workload a --mode sock_state \\
        --server 127.0.0.1:5353 --queries 20000 --concurrency 256 --tag r0

The library is imported by name and used as ``pycares`` by the very same code, so
``pycares`` 5.2.1 and ``ctypes_cares`` run identical calls:

* mode ``default``: ``Channel(servers=..., timeout=..., tries=...[, rcvbuf])`` without
  ``sock_state_cb``; c-ares's event thread resolves and runs the callbacks. The main
  thread waits on a ``threading.Event`` set by the callback of the last query.
* mode ``sock_state``: ``Channel(..., sock_state_cb=...)``; the main thread runs an
  ``epoll`` loop: ``sock_state_cb`` registers, modifies and unregisters the fds, ready fds
  go to ``process_fd(read_fd, write_fd)``, and ``process_fd(ARES_SOCKET_BAD,
  ARES_SOCKET_BAD)`` runs when ``timeout()`` says timeouts are due. Callbacks run inside
  ``process_fd``, in the main thread.

In both modes ``--concurrency`` queries are in flight: the main thread submits the first
query, its callback the rest of the window, and the callback of each finished query
submits the next name (see ``Feeder.start`` for why the main thread submits only one).

``--client bare`` imports no library and asks nothing: the peak RSS of the interpreter
with this harness (threading and select imported).

Never imports asyncio (the peak RSS is the Channel's). Runs on CPython and PyPy 3.9.
"""

from __future__ import annotations

import argparse
import importlib
import json
import select
import socket
import sys
import threading
import time
from typing import Any, Callable

from loadcommon import (
    Tally,
    add_load_arguments,
    bare_json,
    count_matching,
    peak_rss_kib,
    result_json,
    udp_receive_drops,
)
from workloads import WORKLOADS, Workload

LIBRARIES = ("pycares", "ctypes_cares")
BARE = "bare"
MODES = ("default", "sock_state")


class Feeder:
    """Keeps ``concurrency`` queries in flight over ``names``; each completion submits the
    next name from the thread its callback runs on, and the last one sets ``done``."""

    def __init__(self, pycares: Any, channel: Any, workload: Workload, names: list[str]) -> None:
        self.channel = channel
        self.workload = workload
        self.tally = Tally()
        self.pending = iter(names)
        self.left = len(names)
        self.ramp = 0  # extra submissions owed by the next callback (the window's fill)
        self.done = threading.Event()
        # Bookkeeping only; never held while calling into the channel, which may run a
        # callback (an immediate failure) in this very thread.
        self.lock = threading.Lock()
        if workload.qtype == "getaddrinfo":
            self.submit = self._getaddrinfo
        else:
            self.qtype = getattr(pycares, f"QUERY_TYPE_{workload.qtype}")
            self.submit = self._query
        if not names:
            self.done.set()

    def start(self, concurrency: int) -> None:
        """Submit one query from this thread; its callback submits the other
        ``concurrency - 1``. So every later submission comes from a callback: pycares
        5.2.1 deadlocks when another thread submits while a callback submits (it holds
        its own lock while waiting for c-ares's, and c-ares holds its lock around the
        callbacks), so a main thread filling the window while answers come in would hang.
        """
        self.ramp = concurrency - 1
        self._next()

    def _next(self) -> bool:
        with self.lock:
            name = next(self.pending, None)
        if name is None:
            return False
        try:
            self.submit(name)
        except Exception as exc:  # a refused submission still counts as a completion
            self._finished(name, None, exc)
        return True

    def _query(self, name: str) -> None:
        self.channel.query(name, self.qtype, callback=self._callback(name))

    def _getaddrinfo(self, name: str) -> None:
        self.channel.getaddrinfo(name, None, family=socket.AF_INET, callback=self._callback(name))

    def _callback(self, name: str) -> Callable[[Any, Any], None]:
        def callback(result: Any, error: Any) -> None:
            self._finished(name, result, error)
            with self.lock:
                more, self.ramp = 1 + self.ramp, 0
            for _ in range(more):
                if not self._next():
                    break

        return callback

    def _finished(self, name: str, result: Any, error: Any) -> None:
        try:
            found = -1 if error is not None else count_matching(self.workload, result)
        except Exception as exc:  # a malformed result: count it, never lose the query
            found, error = -1, exc
        with self.lock:
            if error is not None:
                self.tally.error(name, _describe(error))
            else:
                self.tally.count(self.workload, name, found)
            self.left -= 1
            last = self.left == 0
        if last:
            self.done.set()


def _describe(error: Any) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return f"status {error}"


class EpollLoop:
    """The sock_state mode's event loop: the fds c-ares asks for, in one epoll set."""

    def __init__(self) -> None:
        self.epoll = select.epoll()
        self.masks: dict[int, int] = {}
        self.channel: Any = None
        self.bad = -1

    def sock_state(self, fd: int, readable: Any, writable: Any) -> None:
        mask = (select.EPOLLIN if readable else 0) | (select.EPOLLOUT if writable else 0)
        old = self.masks.get(fd)
        if mask == 0:
            if old is not None:
                del self.masks[fd]
                self.epoll.unregister(fd)
        elif old is None:
            self.masks[fd] = mask
            self.epoll.register(fd, mask)
        elif old != mask:
            self.masks[fd] = mask
            self.epoll.modify(fd, mask)

    def run(self, done: threading.Event, deadline: float) -> None:
        channel, bad = self.channel, self.bad
        readish = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP
        while not done.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError("the epoll loop ran past its deadline")
            wait = channel.timeout(1.0)
            events = self.epoll.poll(wait) if wait > 0 else []
            if not events:  # c-ares's next timeout is due (or was already)
                channel.process_fd(bad, bad)
                continue
            for fd, event in events:
                channel.process_fd(
                    fd if event & readish else bad, fd if event & select.EPOLLOUT else bad
                )

    def close(self) -> None:
        self.epoll.close()


def open_channel(
    pycares: Any, options: dict[str, Any], sock_state: bool
) -> tuple[Any, EpollLoop | None]:
    """``pycares.Channel(**options)``; with ``sock_state``, driven by an EpollLoop."""
    loop = None
    if sock_state:
        loop = EpollLoop()
        loop.bad = pycares.ARES_SOCKET_BAD
        options = {**options, "sock_state_cb": loop.sock_state}
    channel = pycares.Channel(**options)
    if loop is not None:
        loop.channel = channel
    return channel, loop


def run_batch(
    pycares: Any,
    channel: Any,
    loop: EpollLoop | None,
    workload: Workload,
    names: list[str],
    concurrency: int,
    limit: float,
) -> Tally:
    feeder = Feeder(pycares, channel, workload, names)
    feeder.start(concurrency)
    if loop is not None:
        loop.run(feeder.done, time.monotonic() + limit)
    elif not feeder.done.wait(limit):
        raise TimeoutError(f"{feeder.left} of {len(names)} queries unfinished after {limit} s")
    return feeder.tally


def measure(args: argparse.Namespace) -> dict[str, Any]:
    if args.client == BARE:
        return bare_json(args, args.mode)
    pycares = importlib.import_module(args.client)
    workload = WORKLOADS[args.workload]
    options: dict[str, Any] = {
        "servers": [args.server],
        "timeout": args.timeout,
        "tries": args.tries,
    }
    if args.rcvbuf:
        options["socket_receive_buffer_size"] = args.rcvbuf
    channel, loop = open_channel(pycares, options, sock_state=args.mode == "sock_state")
    limit = 30 + args.queries * 0.01
    try:
        # Warm-up on names of their own: sockets opened, code paths (and PyPy's JIT) hot.
        warm = [workload.name(i, f"{args.tag}w") for i in range(args.warmup)]
        run_batch(pycares, channel, loop, workload, warm, args.concurrency, limit)
        rss_before = peak_rss_kib()

        names = [workload.name(i, args.tag) for i in range(args.queries)]
        drops0 = udp_receive_drops()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tally = run_batch(pycares, channel, loop, workload, names, args.concurrency, limit)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0  # all threads: includes c-ares's event thread
        drops = udp_receive_drops() - drops0 if drops0 >= 0 else -1
    finally:
        channel.close()
        if loop is not None:
            loop.close()
    return result_json(args, args.mode, tally, wall, cpu, drops, rss_before, args.client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", choices=[*LIBRARIES, BARE], required=True)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    parser.add_argument("--mode", choices=MODES, default="default")
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
