"""Throughput of ctypes_cares.aio against aiodns 4.0.4 (pycares 5.2.1), through a real DNS
server (NSD) on 127.0.0.1, measured in the same run and interleaved.

    python3 benchmarks/run.py --quick          # smoke run: 2,000 queries, 1 repetition
    python3 benchmarks/run.py                  # 20,000 queries x 5 repetitions
    python3 benchmarks/run.py --workloads a,big --loops uvloop --json results.json

Each measurement (one client x one workload x one loop) runs in a fresh process of the
benchmark venv (``benchenv.py``) running ``loadgen.py``; the clients alternate
measurement by measurement, so slow phases of a busy machine hit both. See README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchenv  # noqa: E402
from loadgen import CLIENTS  # noqa: E402
from nsdserver import DEFAULT_TTL, NSDServer, find_nsd  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

HERE = Path(__file__).resolve().parent
BASELINE = "aiodns"
LOOPS = ("default", "uvloop")
MAX_BAD_FRACTION = 0.005  # errors + wrong answers above this fail the measurement


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="ctypes_cares.aio vs aiodns through a private NSD on 127.0.0.1",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--queries", type=int, default=None, help="queries per measurement [20000]")
    p.add_argument("--concurrency", type=int, default=256, help="queries in flight")
    p.add_argument("--repeat", type=int, default=None, help="repetitions per client [5]")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma list")
    p.add_argument("--loops", default=",".join(LOOPS), help="comma list: default,uvloop")
    p.add_argument(
        "--clients",
        default="aiodns,ctypes_cares",
        help=f"comma list of {', '.join(CLIENTS)}; ratios are against {BASELINE}",
    )
    p.add_argument("--quick", action="store_true", help="2000 queries, 1 repetition")
    p.add_argument("--warmup", type=int, default=None, help="unmeasured queries first [500]")
    p.add_argument("--json", metavar="FILE", help="save every measurement and the summary")
    p.add_argument("--python", default="python3", help="interpreter for the venv (e.g. pypy3)")
    p.add_argument("--wheel", metavar="PATH", help="install this ctypes_cares wheel")
    p.add_argument(
        "--no-build",
        action="store_true",
        help="keep the ctypes_cares already installed in the venv (no wheel build)",
    )
    p.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL,
        help="TTL of the zone's records; 0: c-ares's query cache (on) stores nothing",
    )
    p.add_argument("--dns-timeout", type=float, default=2.0, help="resolver timeout, both")
    p.add_argument("--dns-tries", type=int, default=3, help="resolver tries, both")
    p.add_argument(
        "--rcvbuf",
        type=int,
        default=4 << 20,
        help="socket_receive_buffer_size for both resolvers (0: the OS default)",
    )
    args = p.parse_args(argv)

    args.queries = args.queries or (2000 if args.quick else 20000)
    args.repeat = args.repeat or (1 if args.quick else 5)
    if args.warmup is None:
        args.warmup = min(500, args.queries // 4)
    args.workloads = _choices(p, "--workloads", args.workloads, WORKLOADS)
    args.loops = _choices(p, "--loops", args.loops, LOOPS)
    args.clients = _choices(p, "--clients", args.clients, CLIENTS)
    if args.queries < 1 or args.concurrency < 1 or args.repeat < 1:
        p.error("--queries, --concurrency and --repeat must be positive")
    return args


def _choices(p: argparse.ArgumentParser, flag: str, text: str, known: Any) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in known]
    if unknown or not chosen:
        p.error(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
    return chosen


# -- one measurement -------------------------------------------------------------------


def measure(
    env: benchenv.Env,
    server: str,
    args: argparse.Namespace,
    rep: int,
    workload: str,
    loop: str,
    client: str,
) -> dict[str, Any]:
    """Run loadgen.py once in a fresh process; the result dict, with ``problems`` (fatal)
    and ``warnings`` (stderr noise such as tracebacks from loop callbacks) added."""
    tag = f"r{rep}c{args.clients.index(client)}{loop[0]}"
    cmd = [
        str(env.python), str(HERE / "loadgen.py"),
        "--client", client, "--workload", workload, "--loop", loop, "--server", server,
        "--queries", str(args.queries), "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--tag", tag,
        "--timeout", str(args.dns_timeout), "--tries", str(args.dns_tries),
        "--rcvbuf", str(args.rcvbuf),
    ]  # fmt: skip
    base = {"rep": rep, "workload": workload, "loop": loop, "client": client}
    child_env = dict(os.environ)
    child_env.pop("PYTHONPATH", None)  # never the source tree: the installed wheel
    limit = 60 + args.queries * 0.02
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit, cwd=HERE, env=child_env
        )
    except subprocess.TimeoutExpired:
        return {**base, "problems": [f"no result within {limit:.0f} s (killed)"], "warnings": []}
    result: dict[str, Any] = dict(base)
    lines = proc.stdout.strip().splitlines()
    try:
        result.update(json.loads(lines[-1]))
    except (IndexError, ValueError):
        tail = (proc.stderr or proc.stdout)[-2000:]
        result["problems"] = [f"exit status {proc.returncode}, no result:\n{tail}"]
        result["warnings"] = []
        return result
    result["problems"] = correctness_problems(result)
    result["warnings"] = []
    if proc.stderr.strip():
        result["warnings"].append(f"stderr output:\n{proc.stderr.strip()[-2000:]}")
    return result


def correctness_problems(result: dict[str, Any]) -> list[str]:
    bad = result["errors"] + result["wrong"]
    answered = result["ok"] + bad
    problems = []
    if answered != result["queries"]:
        problems.append(f"{answered} of {result['queries']} queries completed")
    if bad > MAX_BAD_FRACTION * result["queries"]:
        problems.append(
            f"{result['errors']} errors and {result['wrong']} wrong answers in "
            f"{result['queries']} queries (limit {MAX_BAD_FRACTION:.1%}); e.g.\n    "
            + "\n    ".join(result["error_samples"])
        )
    return problems


def progress_line(args: argparse.Namespace, m: dict[str, Any]) -> str:
    head = (
        f"  rep {m['rep'] + 1}/{args.repeat}  {m['workload']:<8} {m['loop']:<7} {m['client']:<20}"
    )
    if "qps" not in m:
        return head + "  FAILED"
    text = (
        f"{head}{m['qps']:>9,.0f} q/s  cpu {cpu_us(m):6.1f} us/q  "
        f"rss {m['rss_kib_peak'] / 1024:5.1f} MiB  ok {m['ok']}/{m['queries']}"
    )
    if m.get("udp_rcvbuf_drops", 0) > 0:
        text += f"  ({m['udp_rcvbuf_drops']} UDP drops machine-wide)"
    if m["problems"]:
        text += "  FAILED"
    elif m["warnings"]:
        text += "  (stderr!)"
    return text


def cpu_us(m: dict[str, Any]) -> float:
    return m["cpu_seconds"] / m["queries"] * 1e6


# -- summary ---------------------------------------------------------------------------


def summarise(args: argparse.Namespace, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (workload, loop): medians per client, ratios against the baseline."""
    rows = []
    for workload in args.workloads:
        for loop in args.loops:
            good = [
                m for m in results
                if m["workload"] == workload and m["loop"] == loop and "qps" in m
                and not m["problems"]
            ]  # fmt: skip
            if not any(m["loop"] == loop and m["workload"] == workload for m in results):
                continue
            row: dict[str, Any] = {"workload": workload, "loop": loop, "clients": {}}
            for client in args.clients:
                mine = [m for m in good if m["client"] == client]
                if not mine:
                    row["clients"][client] = None
                    continue
                qps = [m["qps"] for m in mine]
                row["clients"][client] = {
                    "runs": len(mine),
                    "qps_median": statistics.median(qps),
                    "qps_min": min(qps),
                    "qps_max": max(qps),
                    "cpu_us_per_query_median": statistics.median(cpu_us(m) for m in mine),
                    "peak_rss_mib_median": statistics.median(
                        m["rss_kib_peak"] / 1024 for m in mine
                    ),
                    "by_rep": {m["rep"]: m["qps"] for m in mine},
                    "errors_total": sum(m["errors"] + m["wrong"] for m in mine),
                    "udp_rcvbuf_drops_median": statistics.median(
                        m.get("udp_rcvbuf_drops", -1) for m in mine
                    ),
                }
            base = row["clients"].get(BASELINE)
            row["ratios"] = {}
            for client in args.clients:
                mine = row["clients"].get(client)
                if client == BASELINE or not mine or not base:
                    continue
                paired = [
                    q / base["by_rep"][rep] for rep, q in mine["by_rep"].items()
                    if rep in base["by_rep"]
                ]  # fmt: skip
                row["ratios"][client] = {
                    "of_medians": mine["qps_median"] / base["qps_median"],
                    "paired_median": statistics.median(paired) if paired else None,
                    "paired_min": min(paired) if paired else None,
                    "paired_max": max(paired) if paired else None,
                }
            rows.append(row)
    return rows


def format_table(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    """One line per workload x loop x client (narrow, however many clients)."""
    header = ["workload", "loop", "client", "q/s (median)", f"vs {BASELINE}", "paired range",
              "cpu us/q", "peak RSS MiB", "errors"]  # fmt: skip
    table = [header]
    for row in rows:
        for n, client in enumerate(args.clients):
            s = row["clients"].get(client)
            cells = [row["workload"] if n == 0 else "", row["loop"] if n == 0 else "", client]
            if s is None:
                table.append(cells + ["FAILED", "", "", "", "", ""])
                continue
            qps = f"{s['qps_median']:,.0f}"
            if s["runs"] > 1:
                qps += f" ±{(s['qps_max'] - s['qps_min']) / 2 / s['qps_median']:.0%}"
            ratio = row["ratios"].get(client)
            if client == BASELINE:
                cells += [qps, "1.00", ""]
            elif ratio is None:
                cells += [qps, "-", ""]
            else:
                paired = ""
                if s["runs"] > 1 and ratio["paired_min"] is not None:
                    paired = f"{ratio['paired_min']:.2f}-{ratio['paired_max']:.2f}"
                cells += [qps, f"{ratio['of_medians']:.2f}", paired]
            cells += [
                f"{s['cpu_us_per_query_median']:.1f}",
                f"{s['peak_rss_mib_median']:.1f}",
                str(s["errors_total"]),
            ]
            table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    out = []
    for n, r in enumerate(table):
        line = "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))
        )
        out.append(line.rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# -- the run ---------------------------------------------------------------------------


def git_state() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    return rev


def nsd_version(binary: str) -> str:
    proc = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return ((proc.stdout or proc.stderr).splitlines() or ["?"])[0]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        env = benchenv.prepare(
            args.python, args.wheel, build=not args.no_build, baseline=BASELINE in args.clients
        )
    except RuntimeError as exc:
        print(f"== setup failed: {exc}", file=sys.stderr)
        return 2
    if "uvloop" in args.loops and not env.has_uvloop:
        print("== uvloop is not available in this venv: default loop only")
        args.loops = [loop for loop in args.loops if loop != "uvloop"] or ["default"]
    if "UNUSABLE" in env.versions and any(c.startswith("ctypes_cares") for c in args.clients):
        print(
            f"== {env.versions}\n== ctypes_cares.aio does not import from the venv: install a"
            " wheel (drop --no-build, or give --wheel), or run --clients aiodns"
        )
        return 2
    nsd_binary = find_nsd()
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "git": git_state(),
        "venv": env.versions,
        "nsd": nsd_version(nsd_binary),
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "wheel": env.wheel.name if env.wheel else "(already installed)",
        "query_cache": "c-ares default on both sides (on since c-ares 1.31); every query "
        "asks a new name, so it never hits; "
        + ("TTL 0: nothing is stored" if args.ttl == 0 else f"TTL {args.ttl}: it fills up"),
    }
    plan: list[tuple[int, str, str, str]] = []
    for rep in range(args.repeat):
        # Alternate which client goes first, so neither always follows the other.
        order = args.clients if rep % 2 == 0 else list(reversed(args.clients))
        for workload in args.workloads:
            for loop in args.loops:
                plan += [(rep, workload, loop, client) for client in order]

    print(f"== {meta['venv']}")
    print(f"== {meta['nsd']}; git {meta['git']}; {meta['cpus']} CPUs, load {meta['loadavg_start']}")
    print(
        f"== {args.queries} queries x {args.concurrency} in flight, {args.repeat} repetition(s),"
        f" {len(plan)} measurements; resolvers: timeout={args.dns_timeout} tries={args.dns_tries},"
        " query cache at its default (on) on both sides, a new name per query,"
        f" zone TTL {args.ttl}"
        + (" (so the cache stores nothing)" if args.ttl == 0 else "")
        + (f", socket_receive_buffer_size={args.rcvbuf}" if args.rcvbuf else "")
    )
    results: list[dict[str, Any]] = []
    interrupted = False
    started = time.monotonic()
    with NSDServer(nsd_binary, ttl=args.ttl) as nsd:
        print(f"== nsd serving bench.test on {nsd.address} (pid {nsd.pid})", flush=True)
        try:
            for rep, workload, loop, client in plan:
                m = measure(env, nsd.address, args, rep, workload, loop, client)
                results.append(m)
                print(progress_line(args, m), flush=True)
                for problem in m["problems"]:
                    print(f"    !! {problem}", flush=True)
        except KeyboardInterrupt:
            interrupted = True
            print("\n== interrupted: summary of what was measured so far")
    elapsed = time.monotonic() - started

    rows = summarise(args, results)
    print()
    print(
        f"{args.queries} queries per run, {args.concurrency} in flight, {args.repeat} run(s) per"
        " client, each in a fresh process.\n"
        "q/s: median (± half the min-max range).  "
        f"vs {BASELINE}: ratio of the medians, > 1 is faster.\n"
        "paired range: min-max of the ratios of runs next to each other.  "
        "cpu: process CPU time (all threads) per query.\n"
        "peak RSS: ru_maxrss of the measurement process (median).\n"
        "errors: failed or wrong answers, all runs together (mostly timeouts after UDP"
        " answers were dropped for a full socket buffer: see --rcvbuf)."
    )
    print(format_table(args, rows))
    print(f"({len(results)} measurements in {elapsed:.0f} s)")

    failures = [m for m in results if m["problems"]]
    warnings = [m for m in results if m["warnings"]]
    if warnings:
        print(f"\n== WARNING: {len(warnings)} measurement(s) wrote to stderr (first shown):")
        first = warnings[0]
        print(f"  {first['client']} {first['workload']} {first['loop']} rep {first['rep'] + 1}:")
        print("    " + first["warnings"][0].replace("\n", "\n    "))
    if failures:
        print(f"\n== FAILED: {len(failures)} measurement(s) failed the correctness check:")
        for m in failures:
            print(f"  {m['client']} {m['workload']} {m['loop']} rep {m['rep'] + 1}:")
            for problem in m["problems"]:
                print("    " + problem.replace("\n", "\n    "))
    if args.json:
        payload = {
            "meta": meta,
            "options": {k: v for k, v in vars(args).items()},
            "measurements": results,
            "summary": rows,
            "interrupted": interrupted,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"== saved {args.json}")
    if interrupted:
        return 130
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
