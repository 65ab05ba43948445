"""Soak: many queries through one channel, sampling RSS and open fds; prints the slope.

    python3 benchmarks/soak.py                      # 1,000,000 queries per run
    python3 benchmarks/soak.py --queries 200000     # a quick run
    python3 benchmarks/soak.py --source-tree        # this checkout's ctypes_cares

Starts the benchmarks' NSD (``nsdserver.py``) and runs, for each interpreter (the
benchmark venvs ``.venv`` and ``.venv-pypy3`` where they exist, or ``--python``), one
fresh process per client:

* ``default``: ``Channel(servers=...)`` driven by the package's driver thread;
* ``sock_state``: ``Channel(sock_state_cb=...)`` driven by an epoll loop in the main
  thread (``loadgen_channel.EpollLoop``);
* ``aio``: ``ctypes_cares.aio.DNSResolver`` on asyncio (socket-callback mode).

Each keeps ``--concurrency`` A queries in flight (every name new: c-ares's cache never
answers), checks every answer, and samples its RSS (``/proc/self/statm``) and open fds
every ``--every`` queries.  The slope is the least-squares fit of RSS against queries,
in KiB per 100,000 queries, from the second sample on: the first ``--every`` queries
warm the caches, the JIT and the allocator.  Linux only (``/proc``, epoll, NSD).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workloads import WORKLOADS  # noqa: E402

CLIENTS = ("default", "sock_state", "aio")
WORKLOAD = WORKLOADS["a"]


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sample(done: int) -> None:
    print(json.dumps({"queries": done, "rss_kib": rss_kib(), "fds": open_fds()}), flush=True)


def names(start: int, count: int) -> List[str]:
    return [WORKLOAD.name(i, "soak") for i in range(start, start + count)]


# -- the worker: one client, in this process -------------------------------------------


def run_channel(args: argparse.Namespace) -> None:
    import ctypes_cares
    from loadgen_channel import open_channel, run_batch

    options: dict[str, Any] = {"servers": [args.server], "timeout": 5.0, "tries": 3}
    channel, loop = open_channel(ctypes_cares, options, sock_state=args.client == "sock_state")
    for start in range(0, args.queries, args.every):
        tally = run_batch(
            ctypes_cares, channel, loop, WORKLOAD, names(start, args.every), args.concurrency, 600
        )
        _check(tally.errors + tally.wrong, tally.ok, args.every)
        sample(start + args.every)
    channel.close()


def run_aio(args: argparse.Namespace) -> None:
    import asyncio

    from ctypes_cares.aio import DNSResolver

    async def main() -> None:
        resolver = DNSResolver([args.server], timeout=5.0, tries=3)
        for start in range(0, args.queries, args.every):
            pending = iter(names(start, args.every))
            right = errors = 0

            async def worker(pending: Iterator[str]) -> None:
                nonlocal right, errors
                for name in pending:
                    try:
                        result = await resolver.query_dns(name, "A")
                    except Exception:
                        errors += 1
                    else:
                        right += len(result.answer) == 1
            await asyncio.gather(*(worker(pending) for _ in range(args.concurrency)))
            _check(errors, right, args.every)
            sample(start + args.every)
        await resolver.close()

    asyncio.run(main())


def _check(errors: int, right: int, expected: int) -> None:
    if errors or right != expected:
        raise SystemExit(f"{errors} errors, {right} right answers of {expected}")


# -- the orchestrator ----------------------------------------------------------------


def slope(points: List[Tuple[int, int]]) -> float:
    """Least-squares KiB per 100,000 queries (0.0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    cov = sum((x - mx) * (y - my) for x, y in points)
    return cov / var * 100_000


def interpreters(chosen: List[str]) -> Iterator[Tuple[str, str]]:
    if chosen:
        for python in chosen:
            # The workers run from benchmarks/: a relative path is made absolute first.
            path = str(Path(python).resolve()) if os.sep in python else python
            yield Path(python).parent.parent.name, path  # the venv's name
        return
    for label, venv in (("cpython", ".venv"), ("pypy", ".venv-pypy3")):
        python = HERE / venv / "bin" / "python"
        if python.exists():
            yield label, str(python)


def soak(args: argparse.Namespace) -> int:
    from nsdserver import NSDServer

    env = dict(os.environ)
    if args.source_tree:
        env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    failed = 0
    with NSDServer() as nsd:
        print(f"== {args.queries:,} queries per run, samples every {args.every:,}, "
              f"{args.concurrency} in flight, NSD on {nsd.address}", flush=True)
        for label, python in interpreters(args.python):
            for client in args.clients:
                started = time.perf_counter()
                proc = subprocess.run(
                    [python, str(Path(__file__).resolve()), "--worker", client,
                     "--server", nsd.address, "--queries", str(args.queries),
                     "--every", str(args.every), "--concurrency", str(args.concurrency)],
                    capture_output=True, text=True, env=env, cwd=str(HERE),
                )
                seconds = time.perf_counter() - started
                samples = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
                if proc.returncode or not samples:
                    failed += 1
                    print(f"{label:8} {client:10} FAILED ({proc.returncode}): {proc.stderr[-2000:]}")
                    continue
                rss = [s["rss_kib"] for s in samples]
                fds = [s["fds"] for s in samples]
                kib = slope([(s["queries"], s["rss_kib"]) for s in samples[1:]])
                print(f"{label:8} {client:10} {seconds:6.0f} s  RSS {rss[0] / 1024:6.1f} -> "
                      f"{rss[-1] / 1024:6.1f} MiB  slope {kib:+7.1f} KiB/100k  "
                      f"fds {min(fds)}..{max(fds)}", flush=True)
                if args.verbose:
                    print("   ", " ".join(f"{s['queries'] // 1000}k:{s['rss_kib'] // 1024}M/{s['fds']}"
                                          for s in samples))
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=50_000, help="queries between samples")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    parser.add_argument("--python", action="append", default=[],
                        help="interpreter to run (repeatable; default: the benchmark venvs)")
    parser.add_argument("--source-tree", action="store_true",
                        help="import this checkout's ctypes_cares (needs its libcares.so)")
    parser.add_argument("--verbose", action="store_true", help="print every sample")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.queries % args.every:
        parser.error("--queries must be a multiple of --every")
    if args.worker:
        args.client = args.worker
        (run_aio if args.worker == "aio" else run_channel)(args)
        return 0
    return soak(args)


if __name__ == "__main__":
    sys.exit(main())
