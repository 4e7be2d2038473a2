"""A small MCP server that misbehaves on request, for the failure tests.

Environment: FAULTY_EXIT_AT_START=CODE exits at once after a line on stderr;
FAULTY_SLOW_START=SECONDS sleeps before serving. Tools: die, hang, sleep, echo, count_cancels,
die_once, serial (one call at a time), slow_once.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations

if os.environ.get("FAULTY_EXIT_AT_START"):
    print("faulty: cannot open the database (refusing to start)", file=sys.stderr, flush=True)
    sys.exit(int(os.environ["FAULTY_EXIT_AT_START"]))
if os.environ.get("FAULTY_SLOW_START"):
    time.sleep(float(os.environ["FAULTY_SLOW_START"]))

mcp = MCPServer("faulty", version="0.0.1")
CANCELLED = {"n": 0}


@mcp.tool()
def die(code: int = 3) -> str:
    """Exit the process at once, after a last word on stderr."""
    print("faulty: the disk is on fire", file=sys.stderr, flush=True)
    os._exit(code)


@mcp.tool()
async def hang() -> str:
    """Never return (until cancelled)."""
    try:
        await anyio.sleep_forever()
    finally:
        CANCELLED["n"] += 1
    return "unreachable"


@mcp.tool()
async def sleep(seconds: float, ctx: Context) -> str:
    """Sleep, reporting progress every 0.1 s."""
    steps = max(1, int(seconds / 0.1))
    finished = False
    try:
        for i in range(steps):
            await anyio.sleep(seconds / steps)
            await ctx.report_progress(i + 1, steps)
        finished = True
    finally:
        if not finished:
            CANCELLED["n"] += 1
    return f"slept {seconds}"


@mcp.tool()
def cancelled() -> int:
    """How many calls of hang/sleep were cancelled so far."""
    return CANCELLED["n"]


@mcp.tool(annotations=ToolAnnotations(idempotent_hint=True))
def die_once(marker: str) -> str:
    """Exit the first time (leaving ``marker`` behind); answer every later time."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        print("faulty: dying once", file=sys.stderr, flush=True)
        os._exit(9)
    return "survived"


SERIAL = threading.Lock()


@mcp.tool(annotations=ToolAnnotations(read_only_hint=True))
def serial(seconds: float = 0.05) -> dict[str, int]:
    """Work one call at a time (a lock is held while it sleeps); answer with this process's id."""
    with SERIAL:
        time.sleep(seconds)
    return {"pid": os.getpid()}


@mcp.tool(annotations=ToolAnnotations(idempotent_hint=True))
async def slow_once(marker: str, seconds: float = 30.0) -> str:
    """Take ``seconds`` the first time (leaving ``marker`` behind); answer at once every later time."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        await anyio.sleep(seconds)
    return "quick this time"


@mcp.tool()
def echo(text: str = "") -> str:
    return text


@mcp.tool()
def shout(text: str) -> str:
    """Write to stderr (it must land in the log, never in a cell)."""
    print(f"faulty stderr: {text}", file=sys.stderr, flush=True)
    return "ok"


if __name__ == "__main__":
    mcp.run()
