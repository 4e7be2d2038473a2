"""mcp_notebook benchmarks: the cost of every path, measured side by side with a baseline.

    python benchmarks/run.py                     # everything (a few minutes)
    python benchmarks/run.py --quick             # a smoke run of every figure (seconds)
    python benchmarks/run.py --only latency-fast,floor
    python benchmarks/run.py --json out.json     # default: benchmarks/results/latest.json

Prints a table (figure, subject, baseline, ratio or added ms, goal, met?) and writes every number,
with the machine it ran on, as JSON. See benchmarks/README.md for the figures of a full run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import Figure, machine, settle  # noqa: E402


def _latency(kind: str) -> Callable[[bool], Figure]:
    def go(quick: bool) -> Figure:
        from figures import latency

        return latency.run(kind, quick)

    return go


def _module(name: str) -> Callable[[bool], Figure]:
    def go(quick: bool) -> Figure:
        import importlib

        return importlib.import_module(f"figures.{name}").run(quick)  # type: ignore[no-any-return]

    return go


FIGURES: dict[str, Callable[[bool], Figure]] = {
    "latency-demo": _latency("demo"),
    "latency-fast": _latency("fast"),
    "latency-http": _latency("http"),
    "floor": _module("floor"),
    "profile": _module("profile"),
    "connect": _module("connect"),
    "dataframe": _module("dataframe"),
    "text-tables": _module("text_tables"),
    "display": _module("display"),
    "load-ext": _module("load_ext"),
    "explorer": _module("explorer"),
    "memory": _module("memory"),
    "map": _module("map"),
    "dask-map": _module("dask_map"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: every figure, few repetitions")
    parser.add_argument("--only", metavar="NAME,...", help=f"run only these figures: {', '.join(FIGURES)}")
    parser.add_argument(
        "--json", metavar="PATH", default=str(HERE / "results" / "latest.json"), help="where to write the JSON"
    )
    args = parser.parse_args(argv)

    names = list(FIGURES)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in FIGURES]
        if unknown:
            parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")

    started = time.perf_counter()
    info = machine()
    figures: list[Figure] = []
    for name in names:
        print(f"… {name}", file=sys.stderr, flush=True)
        settle()
        t0 = time.perf_counter()
        try:
            fig = FIGURES[name](args.quick)
        except Exception as e:
            fig = Figure(name, status="error")
            fig.notes.append(f"{type(e).__name__}: {e}")
            fig.data["traceback"] = traceback.format_exc()
            print(fig.data["traceback"], file=sys.stderr)
        fig.seconds = time.perf_counter() - t0
        figures.append(fig)

    info["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    report = {
        "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "machine": info,
        "seconds": time.perf_counter() - started,
        "figures": {f.name: _figure_json(f) for f in figures},
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_clean(report), indent=2, ensure_ascii=False) + "\n")
    print(table(figures))
    print(
        f"\n{info['cpu_model']}, {info['cores']} cores, Python {info['python']}; {report['seconds']:.0f} s; JSON: {out}"
    )
    return 1 if any(f.status == "error" for f in figures) else 0


def _figure_json(fig: Figure) -> dict[str, Any]:
    return {
        "status": fig.status,
        "seconds": round(fig.seconds, 2),
        "rows": [{k: v for k, v in vars(r).items() if k != "figure"} for r in fig.rows],
        "data": fig.data,
        "notes": fig.notes,
    }


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def table(figures: list[Figure]) -> str:
    """The rows as a Markdown table (readable as plain text too), then each figure's notes."""
    head = ["figure", "subject", "baseline", "ratio or added ms", "goal", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for fig in figures:
        if not fig.rows:
            lines.append(f"| {fig.name} | — | — | {fig.status} | — | — |")
        for r in fig.rows:
            met = {True: "yes", False: "**no**", None: "—"}[r.met]
            cells = [fig.name, r.subject, r.baseline, r.value, r.goal, met]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        notes += [f"- {fig.name}: {n}" for n in fig.notes]
    return "\n".join(lines + ([""] + notes if notes else []))


if __name__ == "__main__":
    sys.exit(main())
