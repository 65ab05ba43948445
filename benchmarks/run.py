"""Throughput of ctypes_cares against pycares 5.2.1 and aiodns 4.0.4, through a real DNS
server (NSD) on 127.0.0.1, all measured in the same run and interleaved:

* aio rows: ``ctypes_cares.aio`` against aiodns (``loadgen.py``), per event loop;
* channel rows: ``ctypes_cares.Channel`` against ``pycares.Channel`` with identical code
  (``loadgen_channel.py``), c-ares's event thread or a sock_state_cb + epoll loop;
* ``ctypes_cares@pypy``: the same wheel on PyPy, against the CPython baselines.

    python3 benchmarks/run.py --quick          # smoke run: 2,000 queries, 1 repetition
    python3 benchmarks/run.py                  # 20,000 queries x 5 repetitions
    python3 benchmarks/run.py --api channel --modes sock_state --workloads a,big

Each measurement (one client x one workload x one loop or mode) runs in a fresh process
of the client's venv (``benchenv.py``); the clients alternate measurement by
measurement, so slow phases of a busy machine hit all of them. See README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchenv  # noqa: E402
import report  # noqa: E402
from loadgen import CLIENTS as AIO_LIBRARIES  # noqa: E402
from loadgen_channel import LIBRARIES as CHANNEL_LIBRARIES  # noqa: E402
from nsdserver import DEFAULT_TTL, NSDServer, find_nsd  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

HERE = Path(__file__).resolve().parent
APIS = ("aio", "channel")
LOOPS = ("default", "uvloop")
MODES = ("default", "sock_state")
PYPY = "pypy"  # the interpreter suffix of a client: 'ctypes_cares@pypy'
# What can run on PyPy: ctypes_cares only (pycares 5.2.1 needs Python >= 3.11).
CLIENTS = (
    "aiodns", "pycares", "ctypes_cares", "ctypes_cares+thread",
    f"ctypes_cares@{PYPY}", f"ctypes_cares+thread@{PYPY}",
)  # fmt: skip
DEFAULT_CLIENTS = ("aiodns", "pycares", "ctypes_cares", f"ctypes_cares@{PYPY}")
MAX_BAD_FRACTION = 0.005  # errors + wrong answers above this fail the measurement
SCRIPTS = {"aio": "loadgen.py", "channel": "loadgen_channel.py"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="ctypes_cares vs pycares/aiodns through a private NSD on 127.0.0.1",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--queries", type=int, default=None, help="queries per measurement [20000]")
    p.add_argument("--concurrency", type=int, default=256, help="queries in flight")
    p.add_argument("--repeat", type=int, default=None, help="repetitions per client [5]")
    p.add_argument("--api", default=",".join(APIS), help="comma list: aio,channel")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma list")
    p.add_argument("--loops", default=",".join(LOOPS), help="aio rows: default,uvloop")
    p.add_argument("--modes", default=",".join(MODES), help="channel rows: default,sock_state")
    p.add_argument(
        "--clients",
        default=None,
        help=f"[{','.join(DEFAULT_CLIENTS)}] comma list of {', '.join(CLIENTS)}; each row takes those of its API; "
        f"ratios are against {report.BASELINES['aio']} (aio) and "
        f"{report.BASELINES['channel']} (channel) on CPython",
    )
    p.add_argument("--quick", action="store_true", help="2000 queries, 1 repetition")
    p.add_argument("--warmup", type=int, default=None, help="unmeasured queries first [500]")
    p.add_argument("--pypy", default="pypy3", help="interpreter of the @pypy clients")
    p.add_argument(
        "--pypy-warmup", type=int, default=3000, help="unmeasured queries first, on PyPy (JIT)"
    )
    p.add_argument("--json", metavar="FILE", help="save every measurement and the summary")
    p.add_argument("--python", default="python3", help="interpreter of the main venv")
    p.add_argument("--wheel", metavar="PATH", help="install this ctypes_cares wheel")
    p.add_argument(
        "--no-build",
        action="store_true",
        help="keep the ctypes_cares already installed in the venvs (no wheel build)",
    )
    p.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL,
        help="TTL of the zone's records; 0: c-ares's query cache (on) stores nothing",
    )
    p.add_argument("--dns-timeout", type=float, default=2.0, help="resolver timeout, all")
    p.add_argument("--dns-tries", type=int, default=3, help="resolver tries, all")
    p.add_argument(
        "--rcvbuf",
        type=int,
        default=4 << 20,
        help="socket_receive_buffer_size for every resolver (0: the OS default)",
    )
    args = p.parse_args(argv)

    args.queries = args.queries or (2000 if args.quick else 20000)
    args.repeat = args.repeat or (1 if args.quick else 5)
    if args.warmup is None:
        args.warmup = min(500, args.queries // 4)
    args.api = _choices(p, "--api", args.api, APIS)
    args.workloads = _choices(p, "--workloads", args.workloads, WORKLOADS)
    args.loops = _choices(p, "--loops", args.loops, LOOPS)
    args.modes = _choices(p, "--modes", args.modes, MODES)
    args.clients_given = args.clients is not None  # then a missing PyPy is an error
    chosen = args.clients or ",".join(DEFAULT_CLIENTS)
    args.clients = _choices(p, "--clients", chosen, CLIENTS)
    if args.queries < 1 or args.concurrency < 1 or args.repeat < 1:
        p.error("--queries, --concurrency and --repeat must be positive")
    return args


def _choices(p: argparse.ArgumentParser, flag: str, text: str, known: Any) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in known]
    if unknown or not chosen:
        p.error(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
    return chosen


def applies(client: str, api: str, variant: str) -> bool:
    """Whether ``client`` has a measurement on this API and loop/mode."""
    library, _, interp = client.partition("@")
    if library == report.BARE:
        return True
    known = AIO_LIBRARIES if api == "aio" else CHANNEL_LIBRARIES
    if library not in known:
        return False
    return not (interp == PYPY and api == "aio" and variant == "uvloop")  # no uvloop there


def make_plan(args: argparse.Namespace) -> list[tuple[int, str, str, str, str]]:
    """(rep, api, workload, variant, client): repetitions outermost; inside one, every
    row's clients one right after the other, in an order that alternates per repetition.
    Each repetition starts with the bare runs (workload '-'): per interpreter in use,
    per loop for aio (uvloop's import counts), once for channel (the modes import alike)."""
    variants = {"aio": args.loops, "channel": args.modes}
    interpreters = sorted({report.interpreter_of(c) for c in args.clients})
    plan = []
    for rep in range(args.repeat):
        for api in args.api:
            for variant in variants[api] if api == "aio" else ["default"]:
                compared = variants[api] if api == "channel" else [variant]
                for interp in interpreters:
                    if any(
                        applies(c, api, v) for c in args.clients for v in compared
                        if report.interpreter_of(c) == interp
                    ):  # fmt: skip
                        bare = report.BARE + (f"@{interp}" if interp else "")
                        plan.append((rep, api, "-", variant, bare))
        order = args.clients if rep % 2 == 0 else list(reversed(args.clients))
        for api in args.api:
            for workload in args.workloads:
                for variant in variants[api]:
                    plan += [
                        (rep, api, workload, variant, client)
                        for client in order
                        if applies(client, api, variant)
                    ]
    return plan


# -- one measurement -------------------------------------------------------------------


def measure(
    envs: dict[str, benchenv.Env],
    server: str,
    args: argparse.Namespace,
    index: int,
    step: tuple[int, str, str, str, str],
) -> dict[str, Any]:
    """Run one driver in a fresh process; the result dict, with ``problems`` (fatal)
    and ``warnings`` (stderr noise such as tracebacks from loop callbacks) added."""
    rep, api, workload, variant, client = step
    library, _, interp = client.partition("@")
    warmup = args.pypy_warmup if interp == PYPY else args.warmup
    cmd = [
        str(envs[interp].python), str(HERE / SCRIPTS[api]),
        "--client", library, "--workload", "a" if workload == "-" else workload,
        "--loop" if api == "aio" else "--mode", variant, "--server", server,
        "--queries", str(args.queries), "--concurrency", str(args.concurrency),
        "--warmup", str(warmup), "--tag", f"m{index}",
        "--timeout", str(args.dns_timeout), "--tries", str(args.dns_tries),
        "--rcvbuf", str(args.rcvbuf),
    ]  # fmt: skip
    base = {"rep": rep, "api": api, "workload": workload, "variant": variant, "client": client}
    child_env = dict(os.environ)
    child_env.pop("PYTHONPATH", None)  # never the source tree: the installed wheel
    limit = 60 + (args.queries + warmup) * 0.02
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit, cwd=HERE, env=child_env
        )
    except subprocess.TimeoutExpired:
        return {**base, "problems": [f"no result within {limit:.0f} s (killed)"], "warnings": []}
    lines = proc.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = {**json.loads(lines[-1]), **base}
    except (IndexError, ValueError):
        tail = (proc.stderr or proc.stdout)[-2000:]
        return {
            **base,
            "problems": [f"exit status {proc.returncode}, no result:\n{tail}"],
            "warnings": [],
        }
    result["problems"] = [] if library == report.BARE else correctness_problems(result)
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
        f"  rep {m['rep'] + 1}/{args.repeat}  {m['api']:<7} {m['workload']:<8} "
        f"{m['variant']:<10} {m['client']:<20}"
    )
    if "rss_kib_peak" not in m:
        return head + "  FAILED"
    if m["client"].partition("@")[0] == report.BARE:
        return f"{head}{'':>35}rss {m['rss_kib_peak'] / 1024:5.1f} MiB"
    text = (
        f"{head}{m['qps']:>9,.0f} q/s  cpu {report.cpu_us(m):6.1f} us/q  "
        f"rss {m['rss_kib_peak'] / 1024:5.1f} MiB  ok {m['ok']}/{m['queries']}"
    )
    if m.get("udp_rcvbuf_drops", 0) > 0:
        text += f"  ({m['udp_rcvbuf_drops']} UDP drops machine-wide)"
    if m["problems"]:
        text += "  FAILED"
    elif m["warnings"]:
        text += "  (stderr!)"
    return text


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


def prepare_envs(args: argparse.Namespace) -> dict[str, benchenv.Env]:
    """The main venv (key ''), and the PyPy one (key 'pypy') when a client needs it.
    @pypy clients are dropped with a note if PyPy is missing and they were not asked for
    by name; raises RuntimeError when something asked for cannot be set up."""
    baseline = any(c in report.BASELINES.values() for c in args.clients)
    env = benchenv.prepare(args.python, args.wheel, build=not args.no_build, baseline=baseline)
    envs = {"": env}
    if not any(report.interpreter_of(c) == PYPY for c in args.clients):
        return envs
    problem = ""
    if shutil.which(args.pypy) is None:
        problem = f"{args.pypy} not found (Debian: apt-get install -y pypy3 pypy3-venv)"
    else:
        try:
            envs[PYPY] = benchenv.prepare(
                args.pypy, env.wheel, build=False, baseline=False, uvloop=False
            )
            built = sorted(benchenv.WHEELS.glob("ctypes_cares-*.whl"))
            if "UNUSABLE" in envs[PYPY].versions and env.wheel is None and built:
                # --no-build and a new PyPy venv: the wheel the last build made.
                envs[PYPY] = benchenv.prepare(
                    args.pypy, built[-1], build=False, baseline=False, uvloop=False
                )
            if "UNUSABLE" in envs[PYPY].versions:
                problem = f"ctypes_cares does not import on PyPy: {envs[PYPY].versions}"
        except RuntimeError as exc:
            problem = str(exc)
    if problem:
        if args.clients_given:
            raise RuntimeError(problem)
        print(f"== {problem}: running without the @{PYPY} clients", flush=True)
        args.clients = [c for c in args.clients if report.interpreter_of(c) != PYPY]
        envs.pop(PYPY, None)
    return envs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        envs = prepare_envs(args)
    except RuntimeError as exc:
        print(f"== setup failed: {exc}", file=sys.stderr)
        return 2
    env = envs[""]
    if "uvloop" in args.loops and not env.has_uvloop:
        print("== uvloop is not available in this venv: default loop only")
        args.loops = [loop for loop in args.loops if loop != "uvloop"] or ["default"]
    main_cc = [c for c in args.clients if c.startswith("ctypes_cares") and "@" not in c]
    if "UNUSABLE" in env.versions and main_cc:
        print(
            f"== {env.versions}\n== ctypes_cares.aio does not import from the venv: install a"
            " wheel (drop --no-build, or give --wheel), or run --clients aiodns,pycares"
        )
        return 2
    labels = {k: e.versions.split()[0] for k, e in envs.items()}
    nsd_binary = find_nsd()
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "git": git_state(),
        "venvs": {k or "main": e.versions for k, e in envs.items()},
        "nsd": nsd_version(nsd_binary),
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "wheel": env.wheel.name if env.wheel else "(already installed)",
        "query_cache": "c-ares default on both sides (on since c-ares 1.31); every query "
        "asks a new name, so it never hits; "
        + ("TTL 0: nothing is stored" if args.ttl == 0 else f"TTL {args.ttl}: it fills up"),
    }
    plan = make_plan(args)

    for key, versions in meta["venvs"].items():
        print(f"== {key}: {versions}")
    print(f"== {meta['nsd']}; git {meta['git']}; {meta['cpus']} CPUs, load {meta['loadavg_start']}")
    print(
        f"== {args.queries} queries x {args.concurrency} in flight, {args.repeat} repetition(s),"
        f" {len(plan)} measurements; warm-up {args.warmup} queries"
        + (f" ({args.pypy_warmup} on PyPy)" if PYPY in envs else "")
        + f"; resolvers: timeout={args.dns_timeout} tries={args.dns_tries},"
        " query cache at its default (on) on all sides, a new name per query,"
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
            for index, step in enumerate(plan):
                m = measure(envs, nsd.address, args, index, step)
                results.append(m)
                print(progress_line(args, m), flush=True)
                for problem in m["problems"]:
                    print(f"    !! {problem}", flush=True)
        except KeyboardInterrupt:
            interrupted = True
            print("\n== interrupted: summary of what was measured so far")
    elapsed = time.monotonic() - started

    variants = {"aio": args.loops, "channel": args.modes}
    order = [(a, w, v) for a in args.api for w in args.workloads for v in variants[a]]
    rows = report.summarise(results, order, args.clients)
    print()
    print(
        f"{args.queries} queries per run, {args.concurrency} in flight, {args.repeat} run(s) per"
        " client, each in a fresh process; clients without @ run on "
        f"{labels['']}" + (f", @{PYPY} on {labels[PYPY]}." if PYPY in labels else ".")
    )
    print(report.LEGEND)
    print(report.format_table(rows))
    print("bare interpreter peak RSS MiB (harness, no client; aio: asyncio + an empty loop,")
    print("channel: threading + select):")
    print(report.format_bare(results, labels))
    print(f"({len(results)} measurements in {elapsed:.0f} s)")

    failures = [m for m in results if m["problems"]]
    warnings = [m for m in results if m["warnings"]]
    if warnings:
        print(f"\n== WARNING: {len(warnings)} measurement(s) wrote to stderr (first shown):")
        first = warnings[0]
        print(_where(first) + ":")
        print("    " + first["warnings"][0].replace("\n", "\n    "))
    if failures:
        print(f"\n== FAILED: {len(failures)} measurement(s) failed the correctness check:")
        for m in failures:
            print(_where(m) + ":")
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


def _where(m: dict[str, Any]) -> str:
    return f"  {m['client']} {m['api']} {m['workload']} {m['variant']} rep {m['rep'] + 1}"


if __name__ == "__main__":
    sys.exit(main())
