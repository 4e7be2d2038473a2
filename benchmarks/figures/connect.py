"""Connecting to the demo server over stdio: ``hub.connect`` against ``async with mcp.Client(...)``.

Both start the same command (``python -m mcp_notebook.demo``) and finish the handshake; the time is
from the call to a usable session. Closing is not timed. Rounds alternate subject and baseline.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from _harness import Figure, arounds_of, compare, fmt_ratio

COMMAND = [sys.executable, "-m", "mcp_notebook.demo"]


def run(quick: bool) -> Figure:
    fig = Figure("connect")
    rounds, warmup = (1, 0) if quick else (10, 1)
    got = asyncio.run(_measure(rounds, warmup))
    c = compare(got["hub"], got["sdk"])
    fig.data["connect"] = c
    fig.data["command"] = COMMAND
    fig.row(
        "hub.connect('demo') (stdio)",
        "async with mcp.Client(StdioServerParameters(...))",
        fmt_ratio(c),
        "≤ 1.2×",
        c["ratio"] <= 1.2,
        c,
    )
    fig.notes.append(
        "Both mostly wait for the demo server's Python to start and import the SDK; "
        "the difference is the client's own work (handshake, stderr capture, state)."
    )
    return fig


async def _measure(rounds: int, warmup: int) -> dict[str, list[list[float]]]:
    from mcp import Client, StdioServerParameters

    from mcp_notebook._runtime import Runtime
    from mcp_notebook.api import Hub

    hub = Hub(Runtime(name="bench-connect-loop"))

    def ours(n: int) -> list[float]:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            server = hub.connect("demo")
            times.append(time.perf_counter() - t0)
            server.close()
        return times

    async def sdk(n: int) -> list[float]:
        times = []
        for _ in range(n):
            client = Client(StdioServerParameters(command=COMMAND[0], args=COMMAND[1:]))
            t0 = time.perf_counter()
            await client.__aenter__()
            times.append(time.perf_counter() - t0)
            await client.__aexit__(None, None, None)
        return times

    fns: dict[str, Any] = {"hub": ours, "sdk": sdk}
    try:
        return await arounds_of(fns, rounds, 1, warmup=warmup)
    finally:
        hub.close()
