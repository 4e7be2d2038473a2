"""Per-call latency: ``%mcp call`` and ``server.call`` against the raw SDK, on the same server.

The baseline is ``await mcp.Client.call_tool`` on a session held open and awaited inside its own
loop (this process's main thread). The subjects block the main thread while the package's loop
thread does the work, so baseline and subject never overlap; their batches alternate round by
round. The fast server also gets a breakdown: the same call at each layer of the package.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import Figure, arounds_of, atimed, compare, demo_http_server, everything_js, fmt_added, fmt_ratio, timed

SDK = "await mcp.Client.call_tool (raw SDK, own loop)"


class Target:
    """Where to connect, and what to call there."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.url: str | None = None
        if kind == "fast":
            js = everything_js()
            if js is None:
                raise LookupError("node or server-everything is not installed (scripts/install-peers)")
            self.command = ["node", str(js), "stdio"]
            self.name, self.tool, self.args = "fast", "echo", {"message": "hello"}
            self.magic = "call fast.echo message=hello"
        else:
            self.command = [sys.executable, "-m", "mcp_notebook.demo"]
            self.name, self.tool, self.args = "demo", "echo", {"text": "hello"}
            self.magic = "call demo.echo text=hello"

    def sdk_client(self) -> Any:
        from mcp import Client, StdioServerParameters

        if self.url is not None:
            return Client(self.url)
        return Client(StdioServerParameters(command=self.command[0], args=self.command[1:]))

    def connect(self, hub: Any) -> Any:
        if self.url is not None:
            return hub.connect(self.name, url=self.url)
        if self.kind == "demo":
            return hub.connect("demo")
        return hub.connect(self.name, command=self.command)


def shell_for(hub: Any) -> Any:
    """An IPython InteractiveShell with the %mcp magics bound to ``hub``."""
    from IPython.core.interactiveshell import InteractiveShell

    from mcp_notebook.magics import MCPMagics

    shell = InteractiveShell.instance()
    shell.register_magics(MCPMagics(shell, hub=hub))
    return shell


def run(kind: str, quick: bool) -> Figure:
    """``kind``: ``demo`` (stdio), ``fast`` (server-everything, stdio) or ``http`` (demo, Streamable HTTP)."""
    name = {"demo": "latency-demo", "fast": "latency-fast", "http": "latency-http"}[kind]
    fig = Figure(name)
    try:
        target = Target("fast" if kind == "fast" else "demo")
    except LookupError as e:
        fig.status = "skipped"
        fig.notes.append(str(e))
        return fig
    if kind == "http":
        with demo_http_server() as url:
            target.url = url
            target.name = "web"
            target.magic = "call web.echo text=hello"
            asyncio.run(_measure(fig, target, quick))
    else:
        asyncio.run(_measure(fig, target, quick))
    return fig


async def _measure(fig: Figure, target: Target, quick: bool) -> None:
    from mcp_notebook._runtime import Runtime
    from mcp_notebook.api import Hub

    rounds, batch = (4, 5) if quick else (40, 15) if target.url else (60, 20)
    hub = Hub(Runtime(name="bench-loop"))  # the defaults a notebook gets (progress bars on, timeout 120 s)
    try:
        server = target.connect(hub)
        import jsonschema  # noqa: F401 - connect imports it in a thread; wait for that, not to time it

        conn = server.connection
        shell = shell_for(hub)
        tool, args = target.tool, target.args
        async with target.sdk_client() as client:

            async def raw_call() -> Any:
                return await client.call_tool(tool, dict(args))

            fns: dict[str, Any] = {
                "sdk": atimed(raw_call),
                "api": timed(lambda: server.call(tool, args)),
                "magic": timed(lambda: shell.run_line_magic("mcp", target.magic)),
            }
            fns.update(_layers(hub, server, conn, tool, args))
            fns["previous"] = _with_previous_hand_off(hub, timed(lambda: server.call(tool, args)))
            got = await arounds_of(fns, rounds, batch, warmup=2)
            fig.data["hand_offs"] = {
                "magic": _hand_offs(hub, lambda: shell.run_line_magic("mcp", target.magic)),
                "api": _hand_offs(hub, lambda: server.call(tool, args)),
            }
    finally:
        hub.close()

    ratio_goal = target.kind != "fast"
    goal = "≤ 1.05×" if ratio_goal else "≤ +0.10 ms"
    fig.data["transport"] = "http" if target.url else "stdio"
    fig.data["server"] = target.command if target.url is None else target.url
    fig.data["calls_per_subject"] = rounds * batch
    for key, label in (("magic", f"%mcp {target.magic}"), ("api", f"server.call({tool!r}, ...)")):
        c = compare(got[key], got["sdk"])
        fig.data[key] = c
        if ratio_goal:
            fig.row(label, SDK, fmt_ratio(c), goal, c["ratio"] <= 1.05, c)
        else:
            fig.row(label, SDK, fmt_added(c), goal, c["added_ms"]["median"] <= 0.10, c)
    c = compare(got["api"], got["previous"])
    fig.data["api_vs_previous_hand_off"] = c
    fig.row("server.call (the hand-off now)", "server.call with the previous hand-off", fmt_added(c), "—", None, c)
    _breakdown_rows(fig, got)


def _hand_offs(hub: Any, fn: Callable[[], Any]) -> int:
    """How many times ``fn`` hands work to the loop thread and waits (``Runtime.run`` calls)."""
    runtime, count = hub._engine.runtime, 0
    real = runtime.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return real(*args, **kwargs)

    runtime.run = counting
    try:
        fn()
    finally:
        del runtime.run
    return count


def _with_previous_hand_off(hub: Any, batch: Callable[[int], list[float]]) -> Callable[[int], list[float]]:
    """``batch`` run while the blocking path uses the hand-off of before (see floor.previous_run)."""
    from figures.floor import previous_run

    engine = hub._engine  # the benchmark swaps the package's hand-off for the old one: internals on purpose

    def go(n: int) -> list[float]:
        engine.block = lambda coro, what=None: previous_run(engine.runtime, lambda inbox: coro)
        try:
            return batch(n)
        finally:
            del engine.block

    return go


def _layers(hub: Any, server: Any, conn: Any, tool: str, args: dict[str, Any]) -> dict[str, Callable[[int], Any]]:
    """The same call at each layer, timed per call inside the loop thread where it runs there."""
    runtime = hub._engine.runtime

    def inside(make: Callable[[], Any]) -> Callable[[int], list[float]]:
        async def batch(n: int) -> list[float]:
            times, clock = [], time.perf_counter
            for _ in range(n):
                t0 = clock()
                await make()
                times.append(clock() - t0)
            return times

        return lambda n: runtime.run(batch(n))

    return {
        "transport": inside(lambda: conn.client.call_tool(tool, dict(args))),
        "connection": inside(lambda: conn.call_tool(tool, args, timeout=hub.timeout)),
        "connection-unchecked": inside(lambda: conn.call_tool(tool, args, timeout=hub.timeout, validate=False)),
        "connection-unbounded": inside(lambda: conn.call_tool(tool, args, timeout=None)),
        # progress=False in both: in the loop, the progress bar's close would be posted through the
        # loop's own self-pipe, which the blocking path does not pay (it posts to a queue).
        "acall-no-progress": inside(lambda: server.acall(tool, args, progress=False)),
        "api-no-progress": timed(lambda: server.call(tool, args, progress=False)),
    }


def _breakdown_rows(fig: Figure, got: dict[str, list[list[float]]]) -> None:
    steps = [
        ("transport", "sdk", "SDK Client on the package's transport (in loop)", SDK),
        (
            "connection",
            "transport",
            "+ Connection.call_tool: tool lookup, schema check, timeout (in loop)",
            "the line above",
        ),
        (
            "acall-no-progress",
            "connection",
            "+ Server.acall: readiness, asking context, events, ToolResult (in loop)",
            "the line above",
        ),
        (
            "api-no-progress",
            "acall-no-progress",
            "+ the thread hand-off: server.call(progress=False)",
            "the line above",
        ),
        ("api", "api-no-progress", "+ the progress bar: server.call (progress=True, the default)", "the line above"),
        ("magic", "api", "+ %mcp: parsing, and its other hand-offs (tool lookup)", "the line above"),
        ("connection", "connection-unchecked", "of which: the argument schema check", "validate=False"),
        (
            "connection",
            "connection-unbounded",
            "of which: the timeout (anyio.move_on_after + the progress token that extends it)",
            "timeout=None",
        ),
    ]
    fig.data["breakdown"] = {}
    for key, base, label, base_label in steps:
        c = compare(got[key], got[base])
        fig.data["breakdown"][f"{key} - {base}"] = c
        fig.row(label, base_label, fmt_added(c), "—", None, c)
    total = compare(got["api"], got["sdk"])
    hops = fig.data.get("hand_offs", {})
    fig.notes.append(
        f"server.call adds {total['added_ms']['median']:+.3f} ms over the raw SDK; the steps of the breakdown add up "
        f"to it (each difference is measured on its own, so the sum is approximate). Hand-offs to the loop thread "
        f"per call: %mcp call {hops.get('magic', '?')}, server.call {hops.get('api', '?')}."
    )
