"""The 2026-07-28 tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663), on the SDK's extension hooks.

A client that declares the extension may get, for any ``tools/call``, a task handle instead of
the result: ``resultType: "task"`` with the task's fields. The server alone decides. The client
then polls ``tasks/get``, whose answer inlines the final ``result`` (``completed``), the JSON-RPC
``error`` (``failed``) or the ``inputRequests`` it waits for (``input_required``), which
``tasks/update`` answers; ``tasks/cancel`` asks it to stop. There is no ``tasks/list`` and no
``tasks/result``.

mcp 2.3 has the hooks but no tasks: ``TasksExtension`` is a ``ClientExtension`` whose result
claim parses the handle. What happens next depends on who called: the task path of this package
sets ``HANDOVER`` and takes the handle (``TaskCreated``) to follow it with views, a durable record
and detaching; any other ``call_tool`` gets the result the ordinary way, the claim polling until
the task ends. Kept small and apart, so the SDK's own support can replace it when it ships.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any, Literal

import mcp_types as types
from pydantic import TypeAdapter

from ._state import TaskState

__all__ = [
    "FORM",
    "HANDOVER",
    "IDENTIFIER",
    "CreatedTask",
    "TaskCreated",
    "advertised",
    "cancel",
    "get",
    "update",
]

FORM = "2026-07-28"
IDENTIFIER = "io.modelcontextprotocol/tasks"
_RAW: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])

HANDOVER: contextvars.ContextVar[bool] = contextvars.ContextVar("mcp_notebook_task_handover", default=False)
"""Set by the task path around its ``call_tool``: a task handle is handed over, not waited for."""


class CreatedTask(types.Result):
    """A ``CreateTaskResult``: the task the server made instead of answering at once."""

    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    status_message: str | None = None
    created_at: str | None = None
    last_updated_at: str | None = None
    ttl_ms: int | None = None
    poll_interval_ms: int | None = None

    def state(self) -> TaskState:
        return TaskState.from_wire(self.model_dump(by_alias=True, mode="json"), "tools/call (a task)")


class TaskCreated(Exception):
    """Raised through ``call_tool`` to hand the task over to whoever set ``HANDOVER``."""

    def __init__(self, task: CreatedTask) -> None:
        super().__init__(f"the server made task {task.task_id}")
        self.task = task


class _TaskIdParams(types.RequestParams):
    task_id: str


class _UpdateParams(types.RequestParams):
    task_id: str
    input_responses: dict[str, Any]


class _GetTask(types.Request[_TaskIdParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    params: _TaskIdParams
    name_param = "taskId"  # SEP-2663: Mcp-Name carries the task id, for routing


class _UpdateTask(types.Request[_UpdateParams, Literal["tasks/update"]]):
    method: Literal["tasks/update"] = "tasks/update"
    params: _UpdateParams
    name_param = "taskId"


class _CancelTask(types.Request[_TaskIdParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    params: _TaskIdParams
    name_param = "taskId"


def advertised(capabilities: types.ServerCapabilities | None) -> bool:
    """Whether the server offers the extension (in its ``server/discover`` capabilities)."""
    extensions = capabilities.extensions if capabilities is not None else None
    return bool(extensions) and IDENTIFIER in (extensions or {})


async def get(session: Any, task_id: str) -> TaskState:
    raw = await session.send_request(_GetTask(params=_TaskIdParams(task_id=task_id)), _RAW)
    return TaskState.from_wire(raw, f"tasks/get {task_id[:40]}")


async def update(session: Any, task_id: str, responses: Mapping[str, Any]) -> None:
    params = _UpdateParams(task_id=task_id, input_responses=dict(responses))
    await session.send_request(_UpdateTask(params=params), _RAW)


async def cancel(session: Any, task_id: str) -> None:
    await session.send_request(_CancelTask(params=_TaskIdParams(task_id=task_id)), _RAW)
