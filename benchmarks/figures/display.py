"""Display of big results: ``_repr_mimebundle_`` of a 50 MB text result and of a 100k-row result.

What a notebook does when the cell ends. The goal is a bounded preview (the bundle stays small
whatever the result's size) in at most 100 ms; the data stays on the object. Each time is a new
``ToolResult`` of the same SDK result: a result keeps the outputs it computed, so showing one
object twice would time only the first.
"""

from __future__ import annotations

from typing import Any

from _harness import Dist, Figure, fmt_ms, timed

LIMIT_MS = 100.0


def text_result(megabytes: int) -> Any:
    import mcp_types as types

    line = "The quick brown fox jumps over the lazy dog; 0123456789 <b>&amp;</b>\n"
    text = line * (megabytes * 2**20 // len(line))
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)])


def run(quick: bool) -> Figure:
    from figures.dataframe import call_result, records
    from mcp_notebook.results import ToolResult

    fig = Figure("display")
    reps = 2 if quick else 10
    megabytes, rows = (5, 10_000) if quick else (50, 100_000)
    cases = [
        (
            f"_repr_mimebundle_ of a {megabytes} MB text result",
            ToolResult(text_result(megabytes), server="bench", tool="text"),
        ),
        (
            f"_repr_mimebundle_ of a {rows:,}-row result",
            ToolResult(call_result(records(rows, False)), server="bench", tool="rows"),
        ),
        (
            f"_repr_mimebundle_ of a {rows:,}-row nested result",
            ToolResult(call_result(records(rows, True)), server="bench", tool="rows"),
        ),
    ]

    def fresh(result: Any) -> Any:
        return lambda: ToolResult(result.raw, server=result.server, tool=result.tool)._repr_mimebundle_()

    for label, result in cases:
        bundle = result._repr_mimebundle_()
        size = sum(len(v) for v in bundle.values() if isinstance(v, str))
        times = timed(fresh(result))(reps)
        d = Dist.of(times).scaled(1000)
        data = {"ms": d.json(), "bundle_chars": size, "mime_types": sorted(bundle)}
        fig.data[label] = data
        bounded = size <= 1_000_000
        fig.row(
            label,
            "—",
            f"{fmt_ms(d)}; bundle {size / 1000:,.0f} k chars",
            f"bounded, ≤ {LIMIT_MS:.0f} ms",
            bounded and d.median <= LIMIT_MS,
            data,
        )
    slowest = max(cases, key=lambda case: fig.data[case[0]]["ms"]["median"])
    fig.data["slowest_profile"] = where_time_goes(fresh(slowest[1]))
    top = "; ".join(f"{name} {ms:.0f} ms" for name, ms in list(fig.data["slowest_profile"].items())[:4])
    fig.notes.append(f"where the time of the slowest ({slowest[0]}) goes, own time by function (cProfile): {top}")
    return fig


def where_time_goes(fn: Any, top: int = 8) -> dict[str, float]:
    """Own time (ms) of the functions ``fn`` spends most in, from one cProfile run."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    out = {}
    for (path, line, function), row in rows:
        where = path.rsplit("/site-packages/", 1)[-1].rsplit("/main/", 1)[-1] if path != "~" else "builtin"
        out[f"{function} ({where}:{line})"] = row[2] * 1000
    return out
