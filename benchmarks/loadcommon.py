"""What both measurement drivers share: process figures, the answer check, the tally and
the JSON result, so ``loadgen.py`` (asyncio) and ``loadgen_channel.py`` (plain Channel)
count and report alike.

Standard library only, and no asyncio: ``loadgen_channel.py`` imports this, and its
peak RSS must not include asyncio. Runs on CPython and PyPy 3.9.
"""

from __future__ import annotations

import argparse

import resource
import socket
import sys
from typing import Any

from workloads import Workload

MAX_ERROR_SAMPLES = 5


def peak_rss_kib() -> int:
    """This process's peak RSS (KiB), from its own start.

    Not ru_maxrss on Linux: across execve the kernel keeps the larger of the new image's
    peak and the old one's, and the old image is run.py's (forked or vforked), so
    ru_maxrss never reads below the runner's RSS (25 MiB, above a bare CPython). VmHWM
    is the peak of this image's memory alone.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # "VmHWM:   16200 kB"
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS says bytes


def udp_receive_drops() -> int:
    """Linux's count of UDP datagrams dropped for a full socket receive buffer (the whole
    machine's, so other traffic counts too); -1 where it cannot be read."""
    try:
        with open("/proc/net/snmp") as snmp:
            rows = [line.split() for line in snmp if line.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, IndexError, ValueError):
        return -1


def library_facts(library: str) -> dict[str, Any]:
    """Which package and libcares this client really used (for the report header)."""
    if library == "bare":
        return {"package": "none (bare interpreter)", "file": "", "c_ares": ""}
    if library.startswith("ctypes_cares"):
        import ctypes_cares

        caps = ctypes_cares.capabilities
        return {
            "package": f"ctypes_cares {ctypes_cares.__version__}",
            "file": ctypes_cares.__file__,
            "c_ares": caps.version_str,
        }
    import pycares

    if library == "aiodns":
        import aiodns

        package, where = f"aiodns {aiodns.__version__} / pycares {pycares.__version__}", aiodns
    else:
        package, where = f"pycares {pycares.__version__}", pycares
    return {
        "package": package,
        "file": where.__file__,
        "c_ares": getattr(pycares, "ARES_VERSION", "?"),
    }


def count_matching(workload: Workload, result: Any) -> int:
    """Answer records of the workload's type, or AF_INET nodes for getaddrinfo. The same
    for aiodns/pycares and ctypes_cares results: they have the same shape."""
    if workload.qtype == "getaddrinfo":
        return sum(1 for node in result.nodes if node.family == socket.AF_INET)
    return sum(1 for record in result.answer if record.type == workload.record_type)


class Tally:
    def __init__(self) -> None:
        self.ok = 0
        self.wrong = 0  # answered, but not with the expected records
        self.errors = 0  # raised or failed (DNSError, timeout, anything)
        self.samples: list[str] = []

    def note(self, text: str) -> None:
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append(text)

    def count(self, workload: Workload, name: str, found: int) -> None:
        if found == workload.expected:
            self.ok += 1
        else:
            self.wrong += 1
            self.note(f"{name}: {found} records, expected {workload.expected}")

    def error(self, name: str, text: str) -> None:
        self.errors += 1
        self.note(f"{name}: {text}")


def result_json(
    args: Any,
    variant: str,
    tally: Tally,
    wall: float,
    cpu: float,
    drops: int,
    rss_after_warmup: int,
    library: str,
) -> dict[str, Any]:
    """The one JSON object a driver prints. ``variant``: the loop (aio) or mode (Channel)."""
    return {
        "client": library,
        "workload": args.workload,
        "variant": variant,
        "queries": args.queries,
        "concurrency": args.concurrency,
        "ok": tally.ok,
        "wrong": tally.wrong,
        "errors": tally.errors,
        "error_samples": tally.samples,
        "seconds": wall,
        "cpu_seconds": cpu,
        "qps": args.queries / wall if wall > 0 else 0.0,
        "udp_rcvbuf_drops": drops,
        "rss_kib_after_warmup": rss_after_warmup,
        "rss_kib_peak": peak_rss_kib(),
        "python": f"{sys.implementation.name} {sys.version.split()[0]}",
        **library_facts(library),
    }


def bare_json(args: Any, variant: str) -> dict[str, Any]:
    """A 'bare' measurement: the harness and the interpreter, no client, no query."""
    result = result_json(args, variant, Tally(), 0.0, 0.0, 0, peak_rss_kib(), "bare")
    result["queries"] = 0
    return result


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both drivers take: the server, the load, and the resolver settings."""
    parser.add_argument("--server", required=True, help="ip:port of the DNS server")
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--tag", default="t", help="makes this run's names unique")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--rcvbuf", type=int, default=0, help="socket_receive_buffer_size")
