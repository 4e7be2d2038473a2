"""The 2025-11-25 tasks (SEP-1686), as the requestor: the client asks the server to run a tool as a task.

``tools/call`` with a ``task`` parameter answers ``CreateTaskResult`` (``{"task": {...}}``) at
once; ``tasks/get`` says how it goes, ``tasks/result`` blocks until it ends and answers exactly
what the call would have (a ``CallToolResult``, or its JSON-RPC error), ``tasks/list`` and
``tasks/cancel`` do what they say. A server that does not take tasks for a request answers it
normally, so ``create`` may also return the plain result.

The SDK (mcp 2.3) types these messages but does not send them: ``tasks/*`` go through its
``send_request`` (no core schema applies to them), and the task-augmented ``tools/call`` goes out
raw, since the core schema of ``tools/call`` would refuse its ``CreateTaskResult``. Progress for a
task keeps the ``progressToken`` of the original request for the task's whole life, so that
token is set here (``connection_hooks`` routes the notifications to whoever waits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import mcp_types as types
from pydantic import TypeAdapter

from ._state import TaskState

__all__ = [
    "FORM",
    "RELATED_TASK",
    "cancel",
    "create",
    "get",
    "list_tasks",
    "offers_tasks",
    "result",
    "task_support",
    "with_task_id",
]

FORM = "2025-11-25"
RELATED_TASK = "io.modelcontextprotocol/related-task"
_RAW: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
_PAGE_CAP = 100


def offers_tasks(capabilities: types.ServerCapabilities | None) -> bool:
    """Whether the server takes task-augmented ``tools/call`` (``tasks.requests.tools.call``)."""
    tasks = capabilities.tasks if capabilities is not None else None
    requests = tasks.requests if tasks is not None else None
    return bool(requests is not None and requests.tools is not None and requests.tools.call is not None)


def task_support(tool: types.Tool) -> Literal["forbidden", "optional", "required"]:
    """The tool's ``execution.taskSupport`` (absent means ``forbidden``)."""
    execution = tool.execution
    support = execution.task_support if execution is not None else None
    return support or "forbidden"


async def create(
    session: Any,
    name: str,
    arguments: Mapping[str, Any],
    *,
    ttl_ms: int | None,
    progress_token: str | None,
    meta: Mapping[str, Any] | None = None,
) -> TaskState | types.CallToolResult:
    """Send ``tools/call`` with ``task``; the task created, or the result if the server ran it at once."""
    params: dict[str, Any] = {"name": name, "arguments": dict(arguments), "task": {}}
    if ttl_ms is not None:
        params["task"]["ttl"] = int(ttl_ms)
    extra_meta = dict(meta or {})
    if progress_token is not None:
        extra_meta["progressToken"] = progress_token
    if extra_meta:
        params["_meta"] = extra_meta
    data: dict[str, Any] = {"method": "tools/call", "params": params}
    options: dict[str, Any] = {}
    session._stamp(data, options)  # the session's per-version stamping (headers, version meta)
    raw = await session._dispatcher.send_raw_request("tools/call", data.get("params"), options)
    if isinstance(raw, Mapping) and "task" in raw:
        return TaskState.from_wire(raw["task"], f"{name} (tools/call as a task)")
    return types.CallToolResult.model_validate(raw, by_name=False)


async def get(session: Any, task_id: str) -> TaskState:
    request = types.GetTaskRequest(params=types.GetTaskRequestParams(task_id=task_id))
    raw = await session.send_request(request, _RAW)
    return TaskState.from_wire(raw, f"tasks/get {task_id[:40]}")


async def result(session: Any, task_id: str) -> types.CallToolResult:
    """The task's result (blocks until the task ends, the server delivering its questions meanwhile)."""
    request = types.GetTaskPayloadRequest(params=types.GetTaskPayloadRequestParams(task_id=task_id))
    raw = await session.send_request(request, _RAW)
    return with_task_id(types.CallToolResult.model_validate(raw, by_name=False), task_id)


def with_task_id(result: types.CallToolResult, task_id: str) -> types.CallToolResult:
    """``result`` carrying the ``related-task`` reference (``ToolResult.task_id`` reads it)."""
    meta = dict(result.meta or {})
    if not isinstance(meta.get(RELATED_TASK), dict) or meta[RELATED_TASK].get("taskId") != task_id:
        meta[RELATED_TASK] = {"taskId": task_id}
        result = result.model_copy(update={"meta": meta})
    return result


async def cancel(session: Any, task_id: str) -> TaskState:
    request = types.CancelTaskRequest(params=types.CancelTaskRequestParams(task_id=task_id))
    raw = await session.send_request(request, _RAW)
    return TaskState.from_wire(raw, f"tasks/cancel {task_id[:40]}")


async def list_tasks(session: Any) -> list[TaskState]:
    """Every task the server shows this client (all pages)."""
    found: list[TaskState] = []
    cursor: str | None = None
    for _ in range(_PAGE_CAP):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        raw = await session.send_request(types.ListTasksRequest(params=params), _RAW)
        for item in raw.get("tasks") or []:
            found.append(TaskState.from_wire(item, "tasks/list"))
        cursor = raw.get("nextCursor")
        if not isinstance(cursor, str) or not cursor:
            break
    return found
