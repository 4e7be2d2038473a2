"""What ``Server`` and ``Hub`` offer about tasks: start one in the background, get one back by id,
list the notebook's tasks. Each is one coroutine run on the hub's loop, like the rest of the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from ..errors import McpNotebookError, NotConnected, ServerError, UsageProblem
from ..results import ToolResult
from ._calls import create, form_of, new_record, plan
from ._handle import TaskHandle, live_connection
from ._listing import TaskList
from ._runner import ConnectionChannel
from ._state import TERMINAL
from ._store import TaskRecord

__all__ = ["list_tasks", "reattach", "start_task"]

REFRESH_AT_ONCE = 8  # tasks/get in flight at once while refreshing a listing


def start_task(
    hub: Any,
    server: str,
    tool: str,
    arguments: Mapping[str, Any],
    *,
    timeout: float | None,
    ttl: float | None,
    validate: bool,
) -> TaskHandle:
    """Start ``tool`` as a task and return its handle at once (the task runs on the server)."""
    if ttl is not None and (not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or ttl <= 0):
        raise UsageProblem(f"ttl is how many seconds the server should keep the task (more than 0), not {ttl!r}")
    ttl_ms = int(ttl * 1000) if ttl is not None else hub.task_book.ttl_ms

    async def go(inbox: Any) -> TaskHandle:
        conn = hub.registry.get(server)
        form = await plan(conn, tool, True, timeout)
        assert form is not None  # as_task=True: plan refuses what cannot run as a task
        made = await create(conn, tool, arguments, form, timeout=timeout, ttl_ms=ttl_ms, validate=validate)
        if made.state is None:  # the server answered at once (it may, in the 2026-07-28 form)
            assert made.result is not None
            record = TaskRecord(server, "", tool, form, conn.spec.describe(), status="completed")
            result = ToolResult(
                made.result,
                server=server,
                tool=tool,
                arguments=dict(arguments),
                schema_problem=conn.schema_problem(made.result),
            )
            return TaskHandle(hub, record, arguments=dict(arguments), result=result)
        record = new_record(conn, tool, arguments, form, made.state)
        hub.task_book.store.save(record)
        conn.log.add("client", f"started {server}.{tool} as task {record.task_id}")
        hub.events.emit(
            "tool_called", server=server, tool=tool, arguments=dict(arguments), status="started", task=record.task_id
        )
        return TaskHandle(hub, record, arguments=dict(arguments))

    found: TaskHandle = hub.run(go, f"starting {server}.{tool} as a task")
    return found


def reattach(hub: Any, server: str, task_id: str) -> TaskHandle:
    """The handle of task ``task_id`` on ``server``: from this notebook's records, else from the server."""
    if not isinstance(task_id, str) or not task_id:
        raise UsageProblem(f"a task id is a non-empty string, not {task_id!r}; `%mcp tasks` lists this notebook's")
    record = hub.task_book.store.get(server, task_id)
    if record is not None:
        return TaskHandle(hub, record)

    async def look(inbox: Any) -> TaskRecord:
        conn = hub.registry.get(server)
        channel = ConnectionChannel(conn, form_of(conn), f"{server} (task {task_id})", hub.timeout)
        try:
            state = await channel.get(task_id)
        except ServerError as e:
            if e.code != types.INVALID_PARAMS:
                raise
            raise UsageProblem(
                f"no task {task_id!r} on {server!r}: this notebook did not start it, and the server does not know "
                f"it ({str(e).rsplit(': ', 1)[-1]}); `%mcp tasks` lists this notebook's tasks"
            ) from e
        found = TaskRecord(
            server,
            task_id,
            "(not started here)",
            form_of(conn),
            conn.spec.describe(),
            status=state.status,
            message=state.message,
            created_at=state.created_at,
            ttl_ms=state.ttl_ms,
            poll_ms=state.poll_ms,
        )
        hub.task_book.store.save(found)
        return found

    return TaskHandle(hub, hub.run(look, f"looking up task {task_id} on {server}"))


def list_tasks(hub: Any, server: str | None = None, refresh: bool = True) -> TaskList:
    """This notebook's tasks (on ``server``, or all), oldest first; ``refresh`` asks the servers
    that are connected how the unfinished ones are."""
    records = [r for r in hub.task_book.store.records() if r.task_id and (server is None or r.server == server)]
    if refresh:
        open_ones = [r for r in records if r.status not in TERMINAL and r.status != "gone"]
        if open_ones:
            hub.run(lambda inbox: _refresh_all(hub, open_ones), "looking at this notebook's tasks")
            records = [r for r in hub.task_book.store.records() if r.task_id and (server is None or r.server == server)]
    return TaskList(records, server=server or "")


async def _refresh_all(hub: Any, records: list[TaskRecord]) -> None:
    gate = asyncio.Semaphore(REFRESH_AT_ONCE)

    async def one(record: TaskRecord) -> None:
        try:
            live_connection(hub, record)
        except (NotConnected, UsageProblem):
            return  # not reachable now: the listing shows what was last seen
        async with gate:
            try:
                await TaskHandle(hub, record)._refresh()(None)
            except McpNotebookError:
                pass  # gone (recorded as such) or unreachable: the listing says what is known

    await asyncio.gather(*(one(r) for r in records))
