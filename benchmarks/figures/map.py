"""``server.map`` of a tool that sleeps 20 ms over 1,000 rows at concurrency 32, against the seed's
sequential loop of SDK calls and against the ideal (rows × 20 ms / 32).

The server is ``benchmarks/servers/sleepy.py`` (the SDK's ``MCPServer``, which runs requests
concurrently). Besides the loop, the best the raw SDK does by hand is measured too:
``asyncio.gather`` over a semaphore of 32 on one ``mcp.Client`` — so the figure also says what
``map``'s bookkeeping (a DataFrame aligned with the input, status, error and duration per row,
progress) costs over bare concurrency.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from _harness import Dist, Figure

SERVER = Path(__file__).resolve().parent.parent / "servers" / "sleepy.py"
COMMAND = [sys.executable, str(SERVER)]
SLEEP_MS = 20.0
CONCURRENCY = 32


def run(quick: bool) -> Figure:
    fig = Figure("map")
    rows = 96 if quick else 1000
    map_rounds, loop_rows = (1, 16) if quick else (3, rows)
    got = asyncio.run(_measure(rows, map_rounds, loop_rows))
    ideal = rows * SLEEP_MS / 1000 / CONCURRENCY
    mapped = Dist.of(got["map"])
    gathered = Dist.of(got["gather"])
    loop = got["loop"] * rows / loop_rows  # the loop, scaled to every row when timed on fewer
    speedup = loop / mapped.median
    of_ideal = ideal / mapped.median
    fig.data.update(
        rows=rows,
        sleep_ms=SLEEP_MS,
        concurrency=CONCURRENCY,
        map_s=mapped.json(),
        sdk_gather_s=gathered.json(),
        loop_s=loop,
        loop_rows_timed=loop_rows,
        ideal_s=ideal,
        speedup=speedup,
        of_ideal=of_ideal,
        of_gather=gathered.median / mapped.median,
        statuses=got["statuses"],
    )
    fig.row(
        f"server.map('sleep', {rows} rows, concurrency={CONCURRENCY})",
        "a sequential loop of await client.call_tool (the seed's pattern)",
        f"{speedup:.1f}× faster ({mapped.median:.2f} s vs {loop:.1f} s)",
        "≥ 25×",
        speedup >= 25,
        {"map_s": mapped.median, "loop_s": loop},
    )
    fig.row(
        "the same map",
        f"the ideal: {rows} × {SLEEP_MS:g} ms / {CONCURRENCY}",
        f"{of_ideal:.2f} of ideal ({ideal:.3f} s)",
        "≥ 0.8",
        of_ideal >= 0.8,
        {"map_s": mapped.median, "ideal_s": ideal},
    )
    fig.row(
        "the same map",
        f"asyncio.gather over Semaphore({CONCURRENCY}) on one mcp.Client",
        f"{gathered.median / mapped.median:.2f} of the raw SDK's speed ({gathered.median:.3f} s)",
        "—",
        None,
        {"map_s": mapped.median, "gather_s": gathered.median},
    )
    if quick:
        fig.notes.append(f"quick: {rows} rows, the loop timed on {loop_rows} rows and scaled")
    return fig


async def _measure(rows: int, map_rounds: int, loop_rows: int) -> dict[str, Any]:
    import pandas as pd
    from mcp import Client, StdioServerParameters

    from mcp_notebook._runtime import Runtime
    from mcp_notebook.api import Hub

    frame = pd.DataFrame({"ms": [SLEEP_MS] * rows})
    hub = Hub(Runtime(name="bench-map-loop"))
    server = await asyncio.to_thread(hub.connect, "sleepy", command=COMMAND)
    client = Client(StdioServerParameters(command=COMMAND[0], args=COMMAND[1:]))
    await client.__aenter__()
    out: dict[str, Any] = {"map": [], "gather": [], "statuses": {}}
    try:

        def mapped() -> float:
            t0 = time.perf_counter()
            result = server.map("sleep", frame, concurrency=CONCURRENCY, progress=False)
            took = time.perf_counter() - t0
            out["statuses"] = result["status"].value_counts().to_dict()
            return took

        async def gathered() -> float:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one() -> Any:
                async with gate:
                    return await client.call_tool("sleep", {"ms": SLEEP_MS})

            t0 = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(rows)))
            return time.perf_counter() - t0

        await asyncio.to_thread(server.map, "sleep", frame.head(CONCURRENCY), concurrency=CONCURRENCY, progress=False)
        await gathered()  # warm both
        for r in range(map_rounds):
            if r % 2:
                out["gather"].append(await gathered())
                out["map"].append(await asyncio.to_thread(mapped))
            else:
                out["map"].append(await asyncio.to_thread(mapped))
                out["gather"].append(await gathered())
        t0 = time.perf_counter()
        for _ in range(loop_rows):
            await client.call_tool("sleep", {"ms": SLEEP_MS})
        out["loop"] = time.perf_counter() - t0
    finally:
        await client.__aexit__(None, None, None)
        await asyncio.to_thread(hub.close)
    return out
