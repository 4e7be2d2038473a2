"""The 2025-11-25 tasks the other way round: the server asks the client to answer as a task.

A server that sees ``tasks.requests.sampling.createMessage`` or ``tasks.requests.elicitation.create``
among the client's capabilities may send ``sampling/createMessage`` or ``elicitation/create`` with
a ``task`` parameter. The client then answers at once with ``CreateTaskResult`` and works on the
request in the background, the way it would have answered it directly (the same policies, the
same asking paths: ``answer`` is the session's own request handler); the server polls
``tasks/get``, fetches the answer with ``tasks/result`` (which blocks until it is there), and may
``tasks/list`` and ``tasks/cancel``.

These tasks live as long as the session: they stand for a question to the person at the
notebook, which a kernel restart cannot keep open.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from ._legacy import RELATED_TASK
from ._state import TERMINAL

__all__ = ["ANSWERS_AS_TASKS", "TaskReceiver"]

ANSWERS_AS_TASKS = ("sampling/createMessage", "elicitation/create")
TASK_METHODS = ("tasks/get", "tasks/result", "tasks/list", "tasks/cancel")
POLL_MS = 500  # suggested to the server: a person is answering, not a machine
MAX_TTL_MS = 24 * 3600 * 1000
MAX_TASKS = 100

Answer = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]
Note = Callable[[str], None]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _ClientTask:
    task_id: str
    method: str
    ttl_ms: int | None
    created: float = field(default_factory=time.time)
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    status: str = "working"
    message: str | None = None
    work: asyncio.Task[dict[str, Any]] | None = None
    outcome: dict[str, Any] | None = None
    error: MCPError | None = None

    def set(self, status: str, message: str | None) -> None:
        if self.status in TERMINAL:
            return  # terminal states never change (cancelled stays cancelled)
        self.status, self.message, self.updated_at = status, message, _now()

    def expired(self, now: float) -> bool:
        return self.ttl_ms is not None and now > self.created + self.ttl_ms / 1000

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.updated_at,
            "ttl": self.ttl_ms,
            "pollInterval": POLL_MS,
        }
        if self.message:
            body["statusMessage"] = self.message
        return body


def _retrieved(work: asyncio.Task[Any]) -> None:
    if not work.cancelled():
        work.exception()


class TaskReceiver:
    """The tasks this client runs for one session's server."""

    def __init__(self, note: Note | None = None) -> None:
        self._tasks: dict[str, _ClientTask] = {}
        self._note = note or (lambda text: None)

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, method: str, params: Mapping[str, Any], answer: Answer) -> dict[str, Any]:
        """Take the request as a task: run ``answer(params without task)`` in the background."""
        requested = params.get("task") if isinstance(params.get("task"), Mapping) else {}
        ttl = requested.get("ttl") if isinstance(requested, Mapping) else None
        ttl_ms = min(int(ttl), MAX_TTL_MS) if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl > 0 else None
        self._forget_old()
        task = _ClientTask(uuid.uuid4().hex, method, ttl_ms)
        what = "an LLM reply" if method == "sampling/createMessage" else "an answer from the user"
        task.message = f"waiting for {what}"
        plain = {k: v for k, v in params.items() if k != "task"}
        task.work = asyncio.get_running_loop().create_task(self._run(task, answer, plain))
        task.work.add_done_callback(_retrieved)  # the server may never ask for a failed answer
        self._tasks[task.task_id] = task
        self._note(f"the server asked for {what} as task {task.task_id}")
        return {"task": task.wire()}

    async def _run(self, task: _ClientTask, answer: Answer, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            outcome = await answer(params)
        except MCPError as e:
            task.error = e
            task.set("failed", e.error.message[:200])
            raise
        except asyncio.CancelledError:
            task.set("cancelled", "cancelled")
            raise
        except Exception as e:  # the answer broke: the server gets an internal error, the log says why
            task.error = MCPError(types.INTERNAL_ERROR, f"the client could not answer: {type(e).__name__}")
            task.set("failed", str(task.error.error.message))
            self._note(f"task {task.task_id} failed: {type(e).__name__}: {e}")
            raise task.error from e
        task.outcome = outcome
        task.set("completed", "answered")
        return outcome

    async def answer(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Serve ``tasks/get``, ``tasks/result``, ``tasks/list`` or ``tasks/cancel``."""
        self._forget_old()
        if method == "tasks/list":
            return {"tasks": [t.wire() for t in self._tasks.values()]}
        task = self._find(params)
        if method == "tasks/get":
            return task.wire()
        if method == "tasks/cancel":
            if task.status in TERMINAL:
                raise MCPError(types.INVALID_PARAMS, f"Cannot cancel task: already in terminal status '{task.status}'")
            task.set("cancelled", "cancelled by the server")
            if task.work is not None:
                task.work.cancel()
            self._note(f"the server cancelled task {task.task_id}")
            return task.wire()
        return await self._result(task)

    async def _result(self, task: _ClientTask) -> dict[str, Any]:
        if task.work is not None and not task.work.done():
            with contextlib.suppress(BaseException):  # the outcome is read from the task below
                await asyncio.shield(task.work)
        if task.status == "cancelled":
            raise MCPError(types.INVALID_PARAMS, f"Task {task.task_id} was cancelled")
        if task.error is not None:
            raise MCPError.from_error_data(task.error.error)
        outcome = dict(task.outcome or {})
        meta = dict(outcome.get("_meta") or {})
        meta[RELATED_TASK] = {"taskId": task.task_id}
        outcome["_meta"] = meta
        return outcome

    def _find(self, params: Mapping[str, Any] | None) -> _ClientTask:
        task_id = params.get("taskId") if isinstance(params, Mapping) else None
        task = self._tasks.get(task_id) if isinstance(task_id, str) else None
        if task is None:
            raise MCPError(types.INVALID_PARAMS, "Failed to retrieve task: Task not found")
        return task

    def _forget_old(self) -> None:
        now = time.time()
        for task_id, task in list(self._tasks.items()):
            if task.expired(now):
                if task.work is not None and not task.work.done():
                    task.work.cancel()
                del self._tasks[task_id]
        ended = [t for t in self._tasks.values() if t.status in TERMINAL]
        for task in ended[: max(0, len(self._tasks) - MAX_TASKS)]:
            del self._tasks[task.task_id]

    def close(self) -> None:
        """The session ended: stop what still runs."""
        for task in self._tasks.values():
            if task.work is not None and not task.work.done():
                task.work.cancel()
