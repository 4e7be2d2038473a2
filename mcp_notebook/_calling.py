"""Calling a tool the way every front end does: progress, retries, events, and the one way a dead
server is brought back.

``call_tool`` is the coroutine behind ``server.call``, ``server.acall``, ``server.submit``,
``%mcp call``, the explorer's Run and each row of ``map``; it reports progress (a bar in the
calling cell, or the listener given), re-sends after transport failures when that is safe, and
emits ``tool_called`` however the call ends (cancelled and timed-out calls too). ``reconnect``
is the only path that starts a server again: it signs in when the server wants it and emits
``connected``, whoever asked (``server.reconnect()``, ``auto_reconnect``, a ``map`` whose server
died).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import tasks
from ._engine import Engine
from ._input_asker import InputAsker
from ._progress import ProgressBar
from ._runtime import caller_inbox
from ._signin import signing_in
from .asking import Asker
from .connection import Connection, State
from .errors import CallTimeout, McpNotebookError, TransportFailed
from .events import CANCELLED, DETACHED, Events, ended_status
from .results import ToolResult

__all__ = ["ProgressFn", "call_tool", "ready", "reconnect", "say"]

ProgressFn = Callable[[float, float | None, str | None], None]


def say(conn: Connection, text: str, level: str = "info") -> None:
    """A note for the user: in the connection's log, and on stderr in the waiting cell."""
    conn.log.add("client", text, level)
    caller_inbox().post(lambda: print(text, file=sys.stderr))


async def reconnect(engine: Engine, name: str) -> Connection:
    """Start the server called ``name`` again (the same target, asked the same way)."""
    conn = await signing_in(caller_inbox(), engine.registry.reconnect(name, engine.settings.log_level))
    engine.events.emit("connected", server=name)
    return conn


async def ready(engine: Engine, conn: Connection) -> Connection:
    """The connection to use: a dead one is first brought back when ``auto_reconnect`` is on."""
    if conn.state is State.DEAD and engine.settings.auto_reconnect:
        why = conn.death or "died"
        conn = await reconnect(engine, conn.name)
        say(conn, f"reconnected {conn.name} (the server {why})", "warning")
    return conn


async def _safe_to_resend(conn: Connection, tool: str) -> bool:
    """A tool may be sent again only if running it twice is harmless (its annotations say so)."""
    try:
        ann = (await conn.catalog.tool(tool)).annotations
    except McpNotebookError:
        return False
    return bool(ann is not None and (ann.idempotent_hint or ann.read_only_hint))


def _reporter(events: Events, server: str, tool: str, report: ProgressFn | None) -> ProgressFn | None:
    if not events:
        return report

    def both(progress: float, total: float | None, message: str | None) -> None:
        if report is not None:
            report(progress, total, message)
        events.emit("progress", server=server, tool=tool, progress=progress, total=total, message=message)

    return both


async def call_tool(
    engine: Engine,
    current: Callable[[], Connection],
    tool: str,
    args: Mapping[str, Any],
    *,
    timeout: float | None,
    show_progress: bool,
    validate: bool,
    listener: ProgressFn | None = None,
    asker: Asker | None = None,
    retries: int = 0,
    retry_unsafe: bool = False,
    as_task: bool | None = None,
) -> ToolResult:
    """Call ``tool`` on the connection ``current()`` gives (it follows reconnects); see the module."""
    inbox = caller_inbox()
    name = current().name
    bar = ProgressBar(inbox, f"{name}.{tool}") if show_progress and listener is None else None
    events = engine.events
    report = _reporter(events, name, tool, listener or (bar.report if bar else None))
    started = time.perf_counter()
    attempt = 0
    try:
        while True:
            conn = await ready(engine, current())
            try:
                with conn.asking(asker or InputAsker(inbox)):
                    raw, seconds = await tasks.call_tool(  # conn.call_tool, or the tool as a task
                        conn,
                        tool,
                        args,
                        timeout=engine.request_timeout(timeout),
                        progress=report,
                        validate=validate,
                        progress_extends=engine.settings.progress_extends_timeout,
                        as_task=as_task,
                        book=engine.task_book,
                        inbox=inbox,
                        view=show_progress and listener is None,
                        observer=asker,
                        detach=asker is None,  # an interrupt detaches; a background Cancel cancels
                    )
                break
            except (TransportFailed, CallTimeout) as e:
                if attempt >= retries or not (retry_unsafe or await _safe_to_resend(conn, tool)):
                    if retries and attempt == 0 and not retry_unsafe:
                        raise type(e)(
                            f"{e} (not retried: {name}.{tool} is not marked idempotent or read-only, "
                            "so it may have run; retry_unsafe=True / --retry-unsafe resends anyway)"
                        ) from e
                    raise
                attempt += 1
                delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                say(conn, f"{name}.{tool}: {e}; retry {attempt} of {retries} in {delay:.1f} s", "warning")
                await asyncio.sleep(delay)
    except (Exception, asyncio.CancelledError) as e:  # a cancel (interrupt) is a call too
        if events:
            status = ended_status(e)
            if status not in (CANCELLED, DETACHED):
                events.emit("error", server=name, what=f"{name}.{tool}", error=e)
            seconds = time.perf_counter() - started
            task = getattr(e, "task_id", None)  # a task left running (tasks.call_tool)
            events.emit(
                "tool_called", server=name, tool=tool, arguments=args, status=status, seconds=seconds, task=task
            )
        raise
    finally:
        if bar is not None and bar.reported:
            inbox.post(bar.close)
    if events:
        status = "tool error" if raw.is_error else "ok"
        events.emit("tool_called", server=name, tool=tool, arguments=args, status=status, seconds=seconds, result=raw)
    listed = conn.catalog.cached_tool(tool)
    return ToolResult(
        raw,
        server=name,
        tool=tool,
        arguments=args,
        duration=seconds,
        output_schema=getattr(listed, "output_schema", None) or None,  # the listing's own dict: read, never changed
        schema_problem=conn.schema_problem(raw),
    )
