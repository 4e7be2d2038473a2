"""Where the raw SDK's own time goes in one ``call_tool`` (server-everything's echo over stdio).

Sampled with pyinstrument when it is installed (wall time, the stack every 0.2 ms, asyncio
awaits not folded), else with cProfile (own time per function; it inflates Python-heavy parts).
Each sample is put in the first category met walking from the innermost frame outwards:

- waiting: the loop blocked in ``epoll`` — the server's work and the pipe, not the client's;
- pydantic validation: ``validate_*`` / ``model_validate*`` (parsing messages into models);
- JSON framing and pipe I/O: ``model_dump_json``, ``json``, the stdio reader/writer, stream reads/writes;
- anyio stream hops: memory object streams, checkpoints, cancel scopes, task groups;
- asyncio loop: scheduling, handles, tasks and futures;
- thread hops: ``threading``, ``queue``, ``concurrent.futures`` (none in the raw SDK);
- SDK logic: the rest of ``mcp`` (session, dispatcher, client); other: everything else.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import Counter
from typing import Any

from _harness import Figure, everything_js

CATEGORIES = (
    "waiting (epoll: server + pipe)",
    "pydantic validation",
    "JSON framing and pipe I/O",
    "anyio stream hops",
    "asyncio loop",
    "thread hops",
    "SDK logic",
    "other",
)


def classify(function: str, path: str) -> str | None:
    """The category of one frame, or None to look at its caller."""
    f, p = function, path.replace("\\", "/")
    if "epoll" in f or ("select" in f and ("selectors" in p or "built-in" in p)):
        return CATEGORIES[0]
    if "validate" in f and ("pydantic" in p or "built-in" in p or "SchemaValidator" in f or "TypeAdapter" in f):
        return CATEGORIES[1]
    if f.startswith(("model_validate", "SchemaValidator", "TypeAdapter.validate")):
        return CATEGORIES[1]
    if "model_dump" in f or "to_json" in f or f.startswith(("dumps", "loads", "JSONEncoder", "JSONDecoder")):
        return CATEGORIES[2]
    if "/json/" in p or p.endswith("mcp/client/stdio.py") or "asyncio/streams.py" in p or "anyio/streams/text.py" in p:
        return CATEGORIES[2]
    if f in ("write", "read", "send", "recv", "readline") and "built-in" in p:
        return CATEGORIES[2]
    if "StreamReaderWrapper" in f or "StreamWriterWrapper" in f or "unix_events" in p or "subprocess" in p:
        return CATEGORIES[2]
    if "/anyio/" in p:
        return CATEGORIES[3]
    if "/threading.py" in p or "/queue.py" in p or "concurrent/futures" in p:
        return CATEGORIES[5]
    if "/asyncio/" in p:
        return CATEGORIES[4]
    if "/mcp/" in p or "/mcp_types/" in p:
        return CATEGORIES[6]
    return None


async def _client_and_calls(calls: int, profile: Any) -> tuple[float, Any]:
    from mcp import Client, StdioServerParameters

    js = everything_js()
    if js is not None:
        params, tool, args = StdioServerParameters(command="node", args=[str(js), "stdio"]), "echo", {"message": "hi"}
    else:
        params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_notebook.demo"])
        tool, args = "echo", {"text": "hi"}
    async with Client(params) as client:
        for _ in range(50):
            await client.call_tool(tool, args)
        # Unprofiled, for the wall time of a call (the median, robust to the machine's other work).
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            await client.call_tool(tool, args)
            times.append(time.perf_counter() - t0)
        plain = statistics.median(times)
        with profile:
            for _ in range(calls):
                await client.call_tool(tool, args)
    return plain, "server-everything (node)" if js is not None else "the demo server (python)"


class _Pyinstrument:
    def __init__(self) -> None:
        from pyinstrument import Profiler

        self.profiler = Profiler(interval=0.0002, async_mode="disabled")

    def __enter__(self) -> None:
        self.profiler.start()

    def __exit__(self, *exc: Any) -> None:
        self.profiler.stop()

    def shares(self) -> Counter[str]:
        root = self.profiler.last_session.root_frame(trim_stem=False)
        out: Counter[str] = Counter()

        def walk(frame: Any, stack: list[tuple[str, str]]) -> None:
            here = [*stack, (frame.function or "", frame.file_path or "<built-in>")]
            own = frame.total_self_time
            if own > 0:
                for function, path in reversed(here):
                    category = classify(function, path)
                    if category is not None:
                        out[category] += own
                        break
                else:
                    out[CATEGORIES[7]] += own
            for child in frame.children:
                walk(child, here)

        if root is not None:
            walk(root, [])
        return out


class _CProfile:
    def __init__(self) -> None:
        import cProfile

        self.profiler = cProfile.Profile()

    def __enter__(self) -> None:
        self.profiler.enable()

    def __exit__(self, *exc: Any) -> None:
        self.profiler.disable()

    def shares(self) -> Counter[str]:
        import pstats

        out: Counter[str] = Counter()
        for (path, _line, function), row in pstats.Stats(self.profiler).stats.items():  # type: ignore[attr-defined]
            tottime = row[2]
            name = function.strip("{}<>")
            out[classify(name, path if path != "~" else "<built-in>") or CATEGORIES[7]] += tottime
        return out


def run(quick: bool) -> Figure:
    fig = Figure("profile")
    calls = 100 if quick else 3000
    try:
        profile: Any = _Pyinstrument()
        tool = "pyinstrument (sampling, wall time)"
    except ImportError:
        profile = _CProfile()
        tool = "cProfile (own time; inflates Python-heavy parts)"
    plain, server = asyncio.run(_client_and_calls(calls, profile))
    shares = profile.shares()
    total = sum(shares.values()) or 1.0
    fractions = {c: shares.get(c, 0.0) / total for c in CATEGORIES}
    fig.data.update({"profiler": tool, "server": server, "calls": calls, "ms_per_call_unprofiled": plain * 1000})
    fig.data["fractions"] = fractions
    for category in CATEGORIES:
        share = fractions[category]
        fig.row(
            f"raw SDK call_tool: {category}",
            "—",
            f"{share * 100:.1f}% (≈ {share * plain * 1000:.3f} ms of {plain * 1000:.3f} ms)",
            "report",
            None,
        )
    fig.notes.append(f"{tool}; {calls} calls to {server}; ms figures are the share times the unprofiled call")
    return fig
