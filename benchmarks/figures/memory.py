"""Memory on the kernel side: 50 open stdio connections, and 200 connect/close cycles.

The server is a stdlib-only MCP server (servers/tiny_stdio.py) that starts in milliseconds, so
what is measured is this process: RSS, Python heap (tracemalloc, in a separate pass so tracing
does not inflate RSS), open file descriptors, threads and child processes.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc
from typing import Any

from _harness import HERE, Figure, children, open_fds, rss_bytes

MiB = 2**20


def _command() -> list[str]:
    import sys

    return [sys.executable, "-I", "-S", str(HERE / "servers" / "tiny_stdio.py")]


def _state() -> dict[str, Any]:
    gc.collect()
    return {
        "rss_bytes": rss_bytes(),
        "fds": open_fds(),
        "threads": threading.active_count(),
        "children": len(children()),
        "heap_bytes": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
    }


def _open_many(hub: Any, n: int) -> list[Any]:
    servers = [hub.connect(f"m{i}", command=_command()) for i in range(n)]
    for s in servers:
        s.call("echo", text="hi")  # a session that has been used, with its tool list cached
    return servers


def run(quick: bool) -> Figure:
    from mcp_notebook._runtime import Runtime
    from mcp_notebook.api import Hub

    fig = Figure("memory")
    n, cycles, warm = (5, 20, 5) if quick else (50, 200, 20)
    hub = Hub(Runtime(name="bench-memory-loop"), progress=False)
    try:
        # Imports and first-use caches out of the way (connect also imports jsonschema in a thread).
        with hub.connect("warm", command=_command()) as first:
            first.call("echo", text="hi")
        import jsonschema  # noqa: F401 - waits for that thread's import

        # Pass 1: RSS and descriptors of n open connections.
        before = _state()
        servers = _open_many(hub, n)
        opened = _state()
        for s in servers:
            s.close()
        closed = _state()

        # Pass 2: the Python heap of n open connections.
        tracemalloc.start()
        heap0 = _state()
        servers = _open_many(hub, n)
        heap1 = _state()
        for s in servers:
            s.close()
        tracemalloc.stop()

        # Pass 3: connect/close cycles, traced: no growth expected.
        def cycle() -> None:
            hub.connect("cycle", command=_command()).close()

        for _ in range(warm):
            cycle()
        tracemalloc.start()
        c0 = _state()
        for _ in range(cycles):
            cycle()
        c1 = _state()
        tracemalloc.stop()
    finally:
        hub.close()

    per_rss = (opened["rss_bytes"] - before["rss_bytes"]) / n
    per_heap = (heap1["heap_bytes"] - heap0["heap_bytes"]) / n
    per_fds = (opened["fds"] - before["fds"]) / n
    fig.data.update(
        {
            "connections": n,
            "open": {"before": before, "opened": opened, "closed": closed},
            "heap": {"before": heap0, "opened": heap1},
            "cycles": cycles,
            "cycle": {"before": c0, "after": c1},
            "per_connection": {"rss_bytes": per_rss, "heap_bytes": per_heap, "fds": per_fds},
        }
    )
    fig.row(
        f"{n} open stdio connections",
        "before opening them",
        f"+{(opened['rss_bytes'] - before['rss_bytes']) / MiB:.1f} MiB RSS ({per_rss / 1024:.0f} KiB each), "
        f"+{(heap1['heap_bytes'] - heap0['heap_bytes']) / MiB:.1f} MiB heap ({per_heap / 1024:.0f} KiB each), "
        f"{per_fds:.0f} fds each, threads {before['threads']} → {opened['threads']}",
        "report",
        None,
        fig.data["per_connection"],
    )
    heap_growth = c1["heap_bytes"] - c0["heap_bytes"]
    no_growth = (
        c1["fds"] == c0["fds"]
        and c1["children"] <= c0["children"]
        and c1["threads"] <= c0["threads"]
        and heap_growth < 512 * 1024
    )
    fig.row(
        f"{cycles} connect/close cycles",
        "before the cycles",
        f"fds {c0['fds']} → {c1['fds']}, RSS {c0['rss_bytes'] / MiB:.1f} → {c1['rss_bytes'] / MiB:.1f} MiB, "
        f"heap {heap_growth / 1024:+.0f} KiB, children {c0['children']} → {c1['children']}, "
        f"threads {c0['threads']} → {c1['threads']}",
        "no growth",
        no_growth,
        fig.data["cycle"],
    )
    if opened["threads"] - before["threads"] >= n:
        fig.notes.append(
            "each open stdio server also holds a thread: asyncio's ThreadedChildWatcher (Python ≤ 3.11) "
            "waits for each child process in its own 'asyncio-waitpid' thread."
        )
    fig.notes.append(
        "no growth = same fds, no child or thread left, Python heap within 512 KiB after gc; RSS is reported "
        "(the allocator keeps freed pages, so it is not judged)."
    )
    return fig
