"""What the resolver hooks replace: the system resolver on threads against c-ares.

* asyncio: ``loop.getaddrinfo`` as asyncio ships it (glibc's ``getaddrinfo`` on the
  loop's default executor) against the same call after ``ctypes_cares.aio.install()``;
* trio: ``trio.socket.getaddrinfo`` as trio ships it (glibc on trio's worker threads)
  against the same call after ``ctypes_cares.trio.install()``.

Every lookup is ``getaddrinfo(name, 80, AF_INET, SOCK_STREAM)`` of a name never asked
before, answered by NSD on 127.0.0.1 port 53, which the system resolver must use: run as
root on Linux, the script re-runs itself in a private mount namespace (``unshare -m``)
where a bind mount makes ``/etc/resolv.conf`` name 127.0.0.1; nothing outside that
namespace changes. Both sides read the same ``/etc/resolv.conf`` (and hosts file).

    python3 benchmarks/hooks.py                     # 10,000 lookups x 3, 64 at a time
    python3 benchmarks/hooks.py --queries 2000 --repeat 1
    python3 benchmarks/hooks.py --delay-ms 20 --queries 2000   # a server 20 ms away

On loopback every answer is back within microseconds, so the threads never wait and
the comparison is CPU against CPU. Real servers are milliseconds away: ``--delay-ms``
puts a relay on port 53 that holds each answer that long (NSD moves to another port),
and then a thread pool can only have as many lookups in flight as it has threads
(asyncio's default executor: min(32, cpus + 4); trio: 40).

Each measurement runs in a fresh process of the benchmark venv (``benchenv.py``; trio
is added to it); clients alternate, so slow phases of a busy machine hit all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workloads import WORKLOADS  # noqa: E402

CLIENTS = ("asyncio-threads", "asyncio-cares", "trio-threads", "trio-cares")
PAIRS = (("asyncio", "asyncio-threads", "asyncio-cares"), ("trio", "trio-threads", "trio-cares"))
ADDRESS = "10.1.0.2"  # what every *.gai name holds (workloads.ZONE_RECORDS)
TRIO = "trio==0.35.0"
_IN_NAMESPACE = "CTYPES_CARES_HOOKS_NAMESPACE"


# -- one measurement (in the benchmark venv) -----------------------------------------------


def _names(count: int, tag: str) -> list[str]:
    workload = WORKLOADS["addrinfo"]
    return [workload.name(i, tag) for i in range(count)]


def _check(rows: list[Any]) -> None:
    if [row[4][0] for row in rows] != [ADDRESS]:
        raise RuntimeError(f"unexpected answer {rows!r}")


def _measure_asyncio(install: bool, names: list[str], warmup: list[str], concurrency: int) -> float:
    import asyncio

    async def main() -> float:
        loop = asyncio.get_running_loop()
        if install:
            from ctypes_cares import aio

            aio.install(timeout=2.0, tries=2)

        async def run(batch: list[str]) -> None:
            pending = iter(batch)

            async def worker() -> None:
                for name in pending:
                    _check(await loop.getaddrinfo(name, 80, family=socket.AF_INET, type=socket.SOCK_STREAM))

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(warmup)
        start = time.perf_counter()
        await run(names)
        return time.perf_counter() - start

    return asyncio.run(main())


def _measure_trio(install: bool, names: list[str], warmup: list[str], concurrency: int) -> float:
    import trio

    async def main() -> float:
        if install:
            import ctypes_cares.trio

            ctypes_cares.trio.install(timeout=2.0, tries=2)

        async def run(batch: list[str]) -> None:
            pending = iter(batch)

            async def worker() -> None:
                for name in pending:
                    _check(await trio.socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM))

            async with trio.open_nursery() as nursery:
                for _ in range(concurrency):
                    nursery.start_soon(worker)

        await run(warmup)
        start = time.perf_counter()
        await run(names)
        return time.perf_counter() - start

    return trio.run(main)


def measure(client: str, queries: int, concurrency: int, tag: str) -> dict[str, float]:
    framework, kind = client.split("-")
    run: Callable[..., float] = _measure_asyncio if framework == "asyncio" else _measure_trio
    names = _names(queries, tag)
    warmup = _names(min(500, queries), tag + "w")
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = run(kind == "cares", names, warmup, concurrency)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "qps": queries / elapsed,
        # (warm-up included: the CPU clock cannot tell it apart)
        "cpu_us_per_query": cpu * 1e6 / (queries + len(warmup)),
    }


# -- the relay that puts the server --delay-ms away -----------------------------------------


def relay(listen_port: int, upstream_port: int, delay: float) -> None:
    """UDP 127.0.0.1:listen_port -> NSD; each answer goes back ``delay`` s later. Query
    ids are rewritten on the way up (clients' ids may collide) and restored on the way
    down."""
    import asyncio

    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiting: dict[int, tuple[bytes, Any]] = {}
        next_id = [0]
        front: Any = None
        back: Any = None

        class Front(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                ident = next_id[0] = (next_id[0] + 1) & 0xFFFF
                waiting[ident] = (data[:2], addr)
                back.sendto(ident.to_bytes(2, "big") + data[2:])

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                entry = waiting.pop(int.from_bytes(data[:2], "big"), None)
                if entry is not None:
                    loop.call_later(delay, front.sendto, entry[0] + data[2:], entry[1])

        front, _ = await loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", listen_port))
        back, _ = await loop.create_datagram_endpoint(Back, remote_addr=("127.0.0.1", upstream_port))
        for transport in (front, back):
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        print("ready", flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop  # the relay must not be the bottleneck

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# -- the run (root, in its own mount namespace) ------------------------------------------


def _enter_namespace() -> None:
    """Re-run this script under ``unshare -m`` (once)."""
    if os.environ.get(_IN_NAMESPACE):
        return
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("unshare"):
        raise SystemExit("hooks.py needs root on Linux, with unshare (util-linux)")
    env = dict(os.environ, **{_IN_NAMESPACE: "1"})
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable, *sys.argv], env)


def _point_resolv_conf_at_loopback() -> None:
    text = "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n"
    handle, path = tempfile.mkstemp(prefix="ctypes-cares-hooks-resolv-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True)
    if Path("/etc/resolv.conf").read_text() != text:
        raise RuntimeError("the bind mount over /etc/resolv.conf did not take")


def _venv_python() -> Path:
    import benchenv

    env = benchenv.prepare("python3", None, build=True, baseline=False)
    probe = subprocess.run([env.python, "-c", "import trio"], capture_output=True)
    if probe.returncode:
        subprocess.run([env.python, "-m", "pip", "install", "-q", TRIO], check=True)
    return env.python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="hold every answer this long (a relay on port 53; NSD elsewhere)")
    parser.add_argument("--relay", type=int, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="h", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, args.concurrency, args.tag)))
        return 0
    if args.relay:
        relay(args.relay[0], args.relay[1], args.delay_ms / 1000)
        return 0
    clients = [c for c in args.clients.split(",") if c]
    _enter_namespace()
    import nsdserver

    python = _venv_python()
    _point_resolv_conf_at_loopback()
    results: dict[str, list[dict[str, float]]] = {c: [] for c in clients}
    with nsdserver.NSDServer(port=None if args.delay_ms else 53) as nsd:
        if args.delay_ms:
            relay_process = subprocess.Popen(
                [python, __file__, "--relay", "53", str(nsd.port), "--delay-ms", str(args.delay_ms)],
                stdout=subprocess.PIPE, text=True,
            )
            assert relay_process.stdout is not None
            if relay_process.stdout.readline().strip() != "ready":
                raise SystemExit("the relay did not start")
        for rep in range(args.repeat):
            for client in clients:
                out = subprocess.run(
                    [python, __file__, "--measure", client, "--queries", str(args.queries),
                     "--concurrency", str(args.concurrency), "--tag", f"r{rep}{client[0]}{client[-1]}"],
                    capture_output=True, text=True, check=False,
                )
                if out.returncode:
                    raise SystemExit(f"{client} failed:\n{out.stderr[-3000:]}")
                results[client].append(json.loads(out.stdout))
                print(f"  rep {rep + 1} {client:16} {results[client][-1]['qps']:9,.0f} q/s", flush=True)
        if args.delay_ms:
            relay_process.kill()
            relay_process.wait()
    away = f", server {args.delay_ms:g} ms away" if args.delay_ms else ""
    print(f"\ngetaddrinfo(AF_INET), {args.queries:,} lookups x {args.repeat}, {args.concurrency} at a time{away}")
    print(f"{'client':16} {'q/s (median)':>13} {'cpu us/q':>9} {'vs threads':>11}")
    for _framework, threads, cares in PAIRS:
        for client in (threads, cares):
            if client not in results:
                continue
            qps = statistics.median(r["qps"] for r in results[client])
            cpu = statistics.median(r["cpu_us_per_query"] for r in results[client])
            base = results.get(threads)
            ratio = qps / statistics.median(r["qps"] for r in base) if base else float("nan")
            print(f"{client:16} {qps:13,.0f} {cpu:9.1f} {ratio:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
