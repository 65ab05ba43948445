"""The summary of a run: medians per client, ratios against each API's baseline, the
bare-interpreter RSS, and the text table. No measuring here (that is ``run.py``).

A measurement is a dict from a driver with ``rep``, ``api`` ('aio' or 'channel'),
``workload``, ``variant`` (the loop for aio, the mode for channel), ``client`` (a
library, with ``@pypy`` when it ran on PyPy), the figures, and ``problems``.
"""

from __future__ import annotations

import statistics
from typing import Any

# The reference each API's rows are divided by: the library ctypes_cares stands in for,
# on CPython.
BASELINES = {"aio": "aiodns", "channel": "pycares"}
BARE = "bare"


def interpreter_of(client: str) -> str:
    """'' for the main interpreter (CPython), 'pypy' for 'ctypes_cares@pypy'."""
    return client.partition("@")[2]


def bare_variant(api: str, variant: str) -> str:
    """The bare measurement a row is compared with: per loop for aio (uvloop's import
    counts), one for channel (both modes import the same)."""
    return variant if api == "aio" else "default"


def cpu_us(m: dict[str, Any]) -> float:
    return m["cpu_seconds"] / m["queries"] * 1e6


def _good(m: dict[str, Any]) -> bool:
    return "qps" in m and not m["problems"]


def bare_rss(results: list[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """(api, variant, interpreter) -> median peak RSS (MiB) of the bare runs."""
    found: dict[tuple[str, str, str], list[float]] = {}
    for m in results:
        if m["client"].partition("@")[0] == BARE and "rss_kib_peak" in m:
            key = (m["api"], m["variant"], interpreter_of(m["client"]))
            found.setdefault(key, []).append(m["rss_kib_peak"] / 1024)
    return {key: statistics.median(v) for key, v in found.items()}


def _client_stats(mine: list[dict[str, Any]]) -> dict[str, Any]:
    qps = [m["qps"] for m in mine]
    return {
        "runs": len(mine),
        "qps_median": statistics.median(qps),
        "qps_min": min(qps),
        "qps_max": max(qps),
        "cpu_us_per_query_median": statistics.median(cpu_us(m) for m in mine),
        "peak_rss_mib_median": statistics.median(m["rss_kib_peak"] / 1024 for m in mine),
        "by_rep": {m["rep"]: m["qps"] for m in mine},
        "errors_total": sum(m["errors"] + m["wrong"] for m in mine),
        "udp_rcvbuf_drops_median": statistics.median(
            m.get("udp_rcvbuf_drops", -1) for m in mine
        ),
    }


def summarise(
    results: list[dict[str, Any]], order: list[tuple[str, str, str]], clients: list[str]
) -> list[dict[str, Any]]:
    """One row per (api, workload, variant) in ``order``, skipping rows never measured:
    medians per client, ratios against the API's baseline, RSS above the bare interpreter."""
    bare = bare_rss(results)
    rows = []
    for api, workload, variant in order:
        mine_all = [
            m for m in results
            if m["api"] == api and m["workload"] == workload and m["variant"] == variant
        ]  # fmt: skip
        if not mine_all:
            continue
        row: dict[str, Any] = {
            "api": api, "workload": workload, "variant": variant, "clients": {}, "ratios": {}
        }  # fmt: skip
        for client in clients:
            runs = [m for m in mine_all if m["client"] == client]
            if not runs:
                continue  # not applicable here (e.g. aiodns on a Channel row)
            good = [m for m in runs if _good(m)]
            stats = _client_stats(good) if good else None
            if stats is not None:
                base = bare.get((api, bare_variant(api, variant), interpreter_of(client)))
                stats["bare_rss_mib"] = base
                stats["rss_above_bare_mib"] = (
                    None if base is None else stats["peak_rss_mib_median"] - base
                )
            row["clients"][client] = stats
        base_stats = row["clients"].get(BASELINES[api])
        for client, stats in row["clients"].items():
            if client == BASELINES[api] or not stats or not base_stats:
                continue
            paired = [
                q / base_stats["by_rep"][rep] for rep, q in stats["by_rep"].items()
                if rep in base_stats["by_rep"]
            ]  # fmt: skip
            row["ratios"][client] = {
                "against": BASELINES[api],
                "of_medians": stats["qps_median"] / base_stats["qps_median"],
                "cpu_of_medians": stats["cpu_us_per_query_median"]
                / base_stats["cpu_us_per_query_median"],
                "paired_median": statistics.median(paired) if paired else None,
                "paired_min": min(paired) if paired else None,
                "paired_max": max(paired) if paired else None,
            }
        rows.append(row)
    return rows


HEADER = [
    "api", "workload", "loop/mode", "client", "q/s (median)", "vs base", "paired range",
    "cpu us/q", "cpu vs base", "peak RSS MiB", "above bare", "errors",
]  # fmt: skip
LEFT = 4  # the first four columns are text, left-aligned


def format_table(rows: list[dict[str, Any]]) -> str:
    """One line per api x workload x variant x client (narrow, however many clients)."""
    table = [HEADER]
    for row in rows:
        for n, (client, s) in enumerate(row["clients"].items()):
            first = n == 0
            cells = [
                row["api"] if first else "",
                row["workload"] if first else "",
                row["variant"] if first else "",
                client,
            ]
            if s is None:
                table.append(cells + ["FAILED"] + [""] * (len(HEADER) - LEFT - 1))
                continue
            qps = f"{s['qps_median']:,.0f}"
            if s["runs"] > 1:
                qps += f" ±{(s['qps_max'] - s['qps_min']) / 2 / s['qps_median']:.0%}"
            ratio = row["ratios"].get(client)
            if client == BASELINES[row["api"]]:
                cells += [qps, "1.00", "", f"{s['cpu_us_per_query_median']:.1f}", "1.00"]
            elif ratio is None:
                cells += [qps, "-", "", f"{s['cpu_us_per_query_median']:.1f}", "-"]
            else:
                paired = ""
                if s["runs"] > 1 and ratio["paired_min"] is not None:
                    paired = f"{ratio['paired_min']:.2f}-{ratio['paired_max']:.2f}"
                cells += [
                    qps,
                    f"{ratio['of_medians']:.2f}",
                    paired,
                    f"{s['cpu_us_per_query_median']:.1f}",
                    f"{ratio['cpu_of_medians']:.2f}",
                ]
            above = s["rss_above_bare_mib"]
            cells += [
                f"{s['peak_rss_mib_median']:.1f}",
                "" if above is None else f"{above:+.1f}",
                str(s["errors_total"]),
            ]
            table.append(cells)
    return _align(table)


def format_bare(results: list[dict[str, Any]], labels: dict[str, str]) -> str:
    """The bare interpreters' peak RSS, one line per interpreter. ``labels``: interpreter
    key ('' or 'pypy') -> what it is ('cpython-3.11.7')."""
    bare = bare_rss(results)
    lines = []
    for interp in sorted({key[2] for key in bare}):
        parts = [
            f"{api} {variant if api == 'aio' else ''}".rstrip() + f" {mib:.1f}"
            for (api, variant, i), mib in sorted(bare.items())
            if i == interp
        ]
        lines.append(f"  {labels.get(interp, interp or 'main'):<16} " + ",  ".join(parts))
    return "\n".join(lines)


def _align(table: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    out = []
    for n, r in enumerate(table):
        line = "  ".join(
            cell.ljust(w) if i < LEFT else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths))
        )
        out.append(line.rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


LEGEND = """\
q/s: median (± half the min-max range).  vs base: ratio of the medians against the row's
baseline on CPython (aio rows: aiodns; channel rows: pycares), > 1 is faster.
paired range: min-max of the ratios of runs next to each other (same repetition).
cpu: process CPU time (all threads) per query; cpu vs base: its ratio, < 1 is cheaper.
peak RSS: VmHWM of the measurement process (median); above bare: minus the peak RSS
of a bare process of the same interpreter running the same harness without a client.
errors: failed or wrong answers, all runs together (mostly timeouts after UDP answers
were dropped for a full socket buffer: see --rcvbuf)."""
