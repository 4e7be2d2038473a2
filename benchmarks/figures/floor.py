"""The floor under the latency rows: what a round trip costs at the bottom, on this machine.

- a raw JSON-RPC line round trip over a pipe between two Python processes (blocking I/O, no
  asyncio, no pydantic): the physical limit of any stdio MCP call;
- a bare thread ping-pong (two ``SimpleQueue``s, no event loop): the floor of any hand-off to a
  loop thread, which is what the sync API and the magics pay once per call;
- the package's hand-off, ``Runtime.run`` of a no-op coroutine, against awaiting it directly,
  and against the previous hand-off (a ``concurrent.futures.Future`` settled by done-callbacks,
  still reachable as ``Runtime.submit``) and ``asyncio.run_coroutine_threadsafe(...).result()``.
"""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from _harness import HERE, Dist, Figure, arounds_of, atimed, compare, fmt_added, stop_process, timed

IDLE = 0.0005  # seconds: about what a fast server takes to answer


async def _nop() -> None:
    return None


def previous_run(runtime: Any, make: Any) -> Any:
    """The hand-off ``Runtime.run`` used before this benchmark (commit c3b2bfa): ``submit()``, a
    ``concurrent.futures.Future`` settled by a task done-callback, its end posted to the inbox.

    ``make(inbox)`` builds the coroutine, like the argument of ``Hub.run``.
    """
    from mcp_notebook._runtime import Inbox

    inbox = Inbox()
    job = runtime.submit(make(inbox), inbox)
    inbox._pump(job.finished, None)
    return job.result()


def run(quick: bool) -> Figure:
    fig = Figure("floor")
    rounds, batch = (4, 20) if quick else (40, 50)

    # A raw JSON-RPC echo over a pipe.
    proc = subprocess.Popen(
        [sys.executable, "-u", str(HERE / "servers" / "echo_line.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    assert proc.stdin is not None and proc.stdout is not None
    w, r = proc.stdin, proc.stdout
    counter = iter(range(10**9))
    readline = r.readline

    def pipe_round_trip() -> None:
        request = {"jsonrpc": "2.0", "id": next(counter), "method": "tools/call", "params": {"name": "echo"}}
        w.write(json.dumps(request).encode() + b"\n")
        json.loads(readline())

    # A bare thread ping-pong.
    to_worker: queue.SimpleQueue[Any] = queue.SimpleQueue()
    to_main: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def worker() -> None:
        while (item := to_worker.get()) is not None:
            if item > 0:
                time.sleep(item)
            to_main.put(item)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()

    def ping_pong() -> None:
        to_worker.put(0)
        to_main.get()

    def ping_pong_idle() -> None:
        to_worker.put(IDLE)
        to_main.get()

    from mcp_notebook._runtime import Runtime

    runtime = Runtime(name="bench-floor-loop")
    loop = runtime.loop

    fns: dict[str, Any] = {
        "pipe": timed(pipe_round_trip),
        "threads": timed(ping_pong),
        "await": atimed(_nop),
        "runtime": timed(lambda: runtime.run(_nop())),
        "previous": timed(lambda: previous_run(runtime, lambda inbox: _nop())),
        "rcts": timed(lambda: asyncio.run_coroutine_threadsafe(_nop(), loop).result()),
        "sleep": timed(lambda: time.sleep(IDLE)),
        "threads-idle": timed(ping_pong_idle),
        "await-idle": atimed(lambda: asyncio.sleep(IDLE)),
        "runtime-idle": timed(lambda: runtime.run(asyncio.sleep(IDLE))),
    }
    try:
        got = asyncio.run(arounds_of(fns, rounds, batch, warmup=2))
    finally:
        to_worker.put(None)
        thread.join(2)
        w.close()
        stop_process(proc)
        r.close()
        runtime.stop()

    def us(key: str) -> Dist:
        return Dist.of([x for rr in got[key] for x in rr]).scaled(1e6)

    for key in fns:
        fig.data[f"{key}_us"] = us(key).json()
    fig.row(
        "JSON-RPC line round trip over a pipe, two Python processes",
        "—",
        f"{us('pipe').median:.1f} µs (IQR {us('pipe').q1:.1f}–{us('pipe').q3:.1f})",
        "physical limit",
        None,
    )
    fig.row(
        "thread ping-pong (two SimpleQueues, no event loop)",
        "—",
        f"{us('threads').median:.1f} µs (IQR {us('threads').q1:.1f}–{us('threads').q3:.1f})",
        "floor of a hand-off",
        None,
    )
    for key, label in (
        ("runtime", "Runtime.run(no-op) — the hand-off now"),
        ("previous", "the previous hand-off (Future + done-callbacks)"),
        ("rcts", "run_coroutine_threadsafe(no-op).result()"),
    ):
        c = compare(got[key], got["await"])
        fig.data[key] = c
        fig.row(label, "await no-op (same thread)", fmt_added(c), "—", None, c)
    for key, base, label, base_label in (
        ("threads-idle", "sleep", "thread ping-pong around a 0.5 ms sleep", "time.sleep(0.0005)"),
        ("runtime-idle", "await-idle", "Runtime.run(asyncio.sleep(0.0005))", "await asyncio.sleep(0.0005)"),
    ):
        c = compare(got[key], got[base])
        fig.data[key] = c
        fig.row(label, base_label, fmt_added(c), "—", None, c)
    fig.notes.append(
        "a hand-off to a thread that has been idle for a while costs more than one to a thread that just ran "
        "(the idle vCPU must be woken): compare the 0.5 ms rows with the no-op rows; a real call is the former."
    )
    c = compare(got["runtime"], got["previous"])
    fig.data["runtime_vs_previous"] = c
    fig.row("Runtime.run(no-op) — the hand-off now", "the previous hand-off", fmt_added(c), "—", None, c)
    return fig
