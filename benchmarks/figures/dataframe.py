"""A DataFrame from a 100k-row structured result already received, against pandas on the same data.

The ``CallToolResult`` is built in memory the way ``MCPServer`` sends a list of records:
``structuredContent = {"result": [...]}`` beside the same rows as JSON text. The subject is
``ToolResult(raw).to_dataframe()``; the baseline is ``pd.DataFrame(records)`` for flat records and
``pd.json_normalize(records)`` for nested ones. Peak memory (tracemalloc, which sees numpy's and
pandas' buffers too) is measured in separate runs, so tracing does not slow the timed ones.
"""

from __future__ import annotations

import gc
import json
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

from _harness import Figure, compare, fmt_ratio, rounds_of, timed

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")


def records(n: int, nested: bool) -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        bill, flipper, mass = round(rng.uniform(32, 60), 1), rng.randint(170, 235), rng.randint(2700, 6300)
        where = {"island": ISLANDS[i % 3], "year": 2007 + i % 3}
        if nested:
            rows.append(
                {
                    "id": i,
                    "species": SPECIES[i % 3],
                    "where": where,
                    "size": {"bill_length_mm": bill, "flipper_length_mm": flipper, "body_mass_g": mass},
                    "sex": "female" if i % 2 else "male",
                }
            )
        else:
            rows.append(
                {
                    "id": i,
                    "species": SPECIES[i % 3],
                    **where,
                    "bill_length_mm": bill,
                    "flipper_length_mm": flipper,
                    "body_mass_g": mass,
                    "sex": "female" if i % 2 else "male",
                }
            )
    return rows


def call_result(rows: list[dict[str, Any]]) -> Any:
    import mcp_types as types

    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps({"result": rows}))],
        structured_content={"result": rows},
    )


def peak_bytes(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated while ``fn`` runs (above what was allocated before), and its value."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        value = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, value


def run(quick: bool) -> Figure:
    import pandas as pd

    from mcp_notebook.results import ToolResult

    fig = Figure("dataframe")
    n = 5_000 if quick else 100_000
    rounds = 2 if quick else 20
    fig.data["rows"] = n
    for nested in (False, True):
        kind = "nested" if nested else "flat"
        raw = call_result(records(n, nested))
        data = raw.structured_content["result"]
        build = pd.json_normalize if nested else pd.DataFrame

        def baseline(build: Callable[[Any], Any] = build, data: Any = data) -> Any:
            return build(data)

        base_label = "pd.json_normalize(records)" if nested else "pd.DataFrame(records)"

        def subject(raw: Any = raw) -> Any:
            return ToolResult(raw, server="bench", tool="rows").to_dataframe()

        # The 100k records are long-lived: keep full collections from scanning them at random
        # moments inside one side's timing (both sides allocate alike; this only removes noise).
        gc.collect()
        gc.freeze()
        ours, theirs = subject(), baseline()
        same = list(ours.columns) == list(theirs.columns) and ours.shape == theirs.shape
        got = rounds_of({"subject": timed(subject), "baseline": timed(baseline)}, rounds, 1, warmup=1)
        c = compare(got["subject"], got["baseline"])
        fig.data[kind] = c
        fig.row(
            f"ToolResult.to_dataframe(), {n:,} {kind} rows", base_label, fmt_ratio(c), "≤ 1.2×", c["ratio"] <= 1.2, c
        )

        frame_bytes = int(ours.memory_usage(deep=True).sum())
        peak, _ = peak_bytes(subject)
        base_peak, _ = peak_bytes(baseline)
        mem = {
            "frame_bytes": frame_bytes,
            "peak_bytes": peak,
            "baseline_peak_bytes": base_peak,
            "peak_over_frame": peak / frame_bytes,
            "baseline_peak_over_frame": base_peak / frame_bytes,
            "same_columns_and_shape_as_baseline": same,
        }
        fig.data[f"{kind}_memory"] = mem
        fig.row(
            f"peak memory of to_dataframe(), {kind}",
            "the frame's own size (memory_usage(deep=True))",
            f"{peak / frame_bytes:.2f}× ({peak / 2**20:.1f} MiB peak, frame {frame_bytes / 2**20:.1f} MiB; "
            f"pandas alone {base_peak / frame_bytes:.2f}×)",
            "≤ 2×",
            peak / frame_bytes <= 2.0,
            mem,
        )
        if not same:
            fig.notes.append(f"{kind}: the frame differs from the baseline's (columns or shape)")
        del raw, data, ours, theirs
        gc.unfreeze()
        gc.collect()
    return fig
