"""The explorer for a server with 1,000 tools: building it, and switching the selected tool.

The server is an in-process ``MCPServer`` (as in tests/test_widgets.py::test_a_thousand_tools),
so the time is the explorer's own: listing, filling the tool list, and drawing a tool's form.
"""

from __future__ import annotations

import time

from _harness import Dist, Figure, fmt_ms

TOOLS = 1000


def run(quick: bool) -> Figure:
    from mcp.server.mcpserver import MCPServer

    from mcp_notebook._runtime import Runtime
    from mcp_notebook.api import Hub
    from mcp_notebook.widgets import Explorer

    fig = Figure("explorer")
    builds, switches = (1, 6) if quick else (6, 60)
    big = MCPServer("big")
    for i in range(TOOLS):
        big.add_tool(lambda x: x, name=f"tool_{i:04d}", description=f"tool number {i}")
    hub = Hub(Runtime(name="bench-explorer-loop"), progress=False)
    build_ms: list[float] = []
    switch_ms: list[float] = []
    try:
        hub.connect("big", server=big)
        explorer = None
        for _ in range(builds):
            if explorer is not None:
                explorer.close()
            t0 = time.perf_counter()
            explorer = Explorer(hub, "big")
            idle = explorer.wait_idle(60)
            build_ms.append((time.perf_counter() - t0) * 1000)
            if not idle:
                fig.notes.append("the explorer was not idle after 60 s")
        assert explorer is not None
        shown = explorer.tools.count.value
        names = [value for _, value in explorer.tools.list.options if value]
        picks = [names[0], names[-1], names[len(names) // 2]]
        for i in range(switches):
            name = picks[i % len(picks)]
            t0 = time.perf_counter()
            explorer.tools.list.value = name
            explorer.wait_idle(30)
            switch_ms.append((time.perf_counter() - t0) * 1000)
        form_ok = explorer.tools.form is not None and explorer.tools.form.field("x") is not None
        explorer.close()
    finally:
        hub.close()

    b, s = Dist.of(build_ms), Dist.of(switch_ms)
    fig.data.update(
        {
            "build_ms": b.json(),
            "switch_ms": s.json(),
            "tools_listed": len(names),
            "count_label": shown,
            "form_ok": form_ok,
        }
    )
    fig.row(
        f"Explorer(hub, server with {TOOLS:,} tools) until idle",
        "—",
        fmt_ms(b),
        "≤ 1 s",
        b.median <= 1000,
        {"ms": b.json()},
    )
    fig.row("switching the selected tool (form drawn)", "—", fmt_ms(s), "≤ 50 ms", s.median <= 50, {"ms": s.json()})
    return fig
