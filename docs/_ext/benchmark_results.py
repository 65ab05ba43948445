"""``.. benchmark-results:: path/to/results.json``: one saved run of
``benchmarks/run.py --json`` shown through ``benchmarks/report.py`` (the same medians,
ratios and table the run printed) and one matplotlib plot of queries per second per
client and workload.  The path is relative to the document.

Options: ``:meta:`` (what ran where), ``:table:`` (report.py's table and legend, the bare
interpreters' RSS), ``:plot:`` (the SVG); none given: all three.  The plot is written to
``docs/_generated/`` (not committed) while the page is read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

TOP = Path(__file__).resolve().parents[2]
GENERATED = "_generated"
Row = Tuple[str, str, str]


def report_module() -> Any:
    """benchmarks/report.py (not a package: imported by path, as run.py does)."""
    sys.path.insert(0, str(TOP / "benchmarks"))
    try:
        import report
    finally:
        sys.path.pop(0)
    return report


def order_of(options: Dict[str, Any]) -> List[Row]:
    """The rows in run.py's order: api x workload x (aio: loops, channel: modes)."""
    variants = {"aio": options["loops"], "channel": options["modes"]}
    return [(a, w, v) for a in options["api"] for w in options["workloads"] for v in variants[a]]


def summary(payload: Dict[str, Any]) -> List[Dict[str, Any]]:
    options = payload["options"]
    rows: List[Dict[str, Any]] = report_module().summarise(
        payload["measurements"], order_of(options), options["clients"]
    )
    return rows


def plot(rows: List[Dict[str, Any]], clients: List[str], target: Path) -> None:
    """Queries per second (median) per client, one bar group per workload x loop/mode;
    aio rows and Channel rows side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    apis = [api for api in ("aio", "channel") if any(r["api"] == api for r in rows)]
    fig, axes = plt.subplots(1, len(apis), figsize=(6.2 * len(apis), 7.5), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, api in zip(axes[0], apis):
        mine = [r for r in rows if r["api"] == api]
        present = [c for c in clients if any(r["clients"].get(c) for r in mine)]
        height = 0.8 / max(len(present), 1)
        for n, client in enumerate(present):
            ys, qps = [], []
            for i, row in enumerate(mine):
                stats = row["clients"].get(client)
                if stats:
                    ys.append(len(mine) - 1 - i + (len(present) / 2 - n - 0.5) * height)
                    qps.append(stats["qps_median"] / 1000)
            ax.barh(ys, qps, height=height, label=client, color=colours(clients.index(client)))
        ax.set_yticks(range(len(mine)))
        ax.set_yticklabels([f"{r['workload']} ({r['variant']})" for r in reversed(mine)])
        ax.set_xlabel("thousand queries per second (median; more is better)")
        ax.set_title("ctypes_cares.aio vs aiodns" if api == "aio" else "Channel vs pycares.Channel")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=len(present), fontsize="small")
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    # No date in the SVG: the same results give the same file.
    fig.savefig(target, format="svg", metadata={"Date": None})
    plt.close(fig)


def meta_text(payload: Dict[str, Any]) -> str:
    meta, options = payload["meta"], payload["options"]
    venvs = "; ".join(f"{k}: {v}" for k, v in meta["venvs"].items())
    return (
        f"Run {meta['date']} at git {meta['git']}, {meta['cpus']} CPUs (load at start"
        f" {meta['loadavg_start']}), {meta['nsd']}. {options['queries']:,} queries per"
        f" measurement, {options['concurrency']} in flight, {options['repeat']}"
        f" repetition(s). Interpreters and libraries: {venvs}."
    )


class BenchmarkResults(SphinxDirective):
    required_arguments = 1
    option_spec = {"meta": directives.flag, "table": directives.flag, "plot": directives.flag}

    def run(self) -> List[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(rel)
        payload = json.loads(Path(path).read_text())
        rows = summary(payload)
        report = report_module()
        every = not any(k in self.options for k in ("meta", "table", "plot"))
        out: List[nodes.Node] = []
        if every or "meta" in self.options:
            out.append(nodes.paragraph(text=meta_text(payload)))
        if every or "table" in self.options:
            labels = {k if k != "main" else "": v.split()[0] for k, v in payload["meta"]["venvs"].items()}
            text = (
                report.LEGEND.rstrip() + "\n\n" + report.format_table(rows) + "\n\n"
                "bare interpreter peak RSS MiB (harness, no client):\n" + report.format_bare(payload["measurements"], labels)
            )
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            out.append(block)
        if every or "plot" in self.options:
            name = Path(path).stem + ".svg"
            plot(rows, payload["options"]["clients"], Path(self.env.srcdir) / GENERATED / name)
            out.append(nodes.image(uri=f"/{GENERATED}/{name}", alt="queries per second per client and workload"))
        return out


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
