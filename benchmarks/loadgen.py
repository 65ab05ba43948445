"""One measurement: one client, one workload, one event loop, in this (fresh) process.

Started by ``run.py`` inside the benchmark venv, one process per measurement, so that
the peak RSS it reports belongs to that client alone. Prints one JSON object on stdout.

    python benchmarks/loadgen.py --client aiodns --workload a --loop uvloop \\
        --server 127.0.0.1:5353 --queries 20000 --concurrency 256 --tag r0

Both clients get the same resolver arguments (``--timeout``, ``--tries``, optionally
``--rcvbuf``) and nothing else, so c-ares's query cache keeps its default (on, in c-ares >= 1.31) on both sides;
every query asks a name never asked before (``<tag>`` makes names unique per run), so
the cache is filled but never hit.

``--client bare`` asks nothing: it imports no resolver, runs the loop once and reports
the peak RSS of the interpreter with this harness (the "bare" baseline of run.py).

This file must import ``ctypes_cares`` from the venv's installed wheel, never from the
source tree: run as a script, its own directory (``benchmarks/``) is first on sys.path,
not the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import socket
import sys
import time
from typing import Any

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

# client name -> (module with DNSResolver, extra DNSResolver keyword arguments)
CLIENTS: dict[str, tuple] = {
    "aiodns": ("aiodns", {}),
    "ctypes_cares": ("ctypes_cares.aio", {}),
    # Not the default: ctypes_cares.aio driven by c-ares's own thread, as aiodns is.
    "ctypes_cares+thread": ("ctypes_cares.aio", {"event_thread": True}),
}
# Not a resolver: the interpreter, this harness and an empty run of the loop, to tell
# what the clients' peak RSS adds to a bare interpreter.
BARE = "bare"


async def ask(resolver: Any, workload: Workload, name: str) -> int:
    """Send one question; return how many answer records (nodes) of the right type came."""
    if workload.qtype == "getaddrinfo":
        result = await resolver.getaddrinfo(name, family=socket.AF_INET)
    else:
        result = await resolver.query_dns(name, workload.qtype)
    return count_matching(workload, result)


async def drive(resolver: Any, workload: Workload, names: list[str], concurrency: int) -> Tally:
    """Ask every name once with ``concurrency`` workers sharing one iterator."""
    tally = Tally()
    pending = iter(names)

    async def worker() -> None:
        for name in pending:
            try:
                count = await ask(resolver, workload, name)
            except Exception as exc:
                tally.error(name, f"{type(exc).__name__}: {exc}")
            else:
                tally.count(workload, name, count)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(names)))))
    return tally


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    if args.client == BARE:
        await asyncio.sleep(0)
        return bare_json(args, args.loop)
    module_name, extra = CLIENTS[args.client]
    module = importlib.import_module(module_name)
    workload = WORKLOADS[args.workload]
    options = {"timeout": args.timeout, "tries": args.tries}
    if args.rcvbuf:
        options["socket_receive_buffer_size"] = args.rcvbuf
    resolver = module.DNSResolver(nameservers=[args.server], **options, **extra)
    try:
        # Warm-up on names of their own: sockets opened, code paths (and PyPy's JIT) hot.
        warm = [workload.name(i, f"{args.tag}w") for i in range(args.warmup)]
        await drive(resolver, workload, warm, args.concurrency)
        rss_before = peak_rss_kib()

        names = [workload.name(i, args.tag) for i in range(args.queries)]
        drops0 = udp_receive_drops()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        tally = await drive(resolver, workload, names, args.concurrency)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0  # all threads: includes c-ares's event thread
        drops = udp_receive_drops() - drops0 if drops0 >= 0 else -1
    finally:
        await resolver.close()
    return result_json(args, args.loop, tally, wall, cpu, drops, rss_before, args.client)


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    if kind == "default":
        return asyncio.new_event_loop()
    raise SystemExit(f"unknown loop {kind!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", choices=sorted([*CLIENTS, BARE]), required=True)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    parser.add_argument("--loop", choices=["default", "uvloop"], default="default")
    add_load_arguments(parser)
    args = parser.parse_args(argv)

    loop = new_loop(args.loop)
    asyncio.set_event_loop(loop)
    try:
        result = loop.run_until_complete(measure(args))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
