"""A small 2026-07-28 server that speaks the tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663).

It advertises the extension at ``server/discover`` and, for a client that declares it on the
request, answers some tools with a task handle (``resultType: "task"``) instead of the result:

- ``crunch(n, seconds)``: a task that works for ``seconds`` (status messages as it goes), then
  completes with the sum 1..n (structured ``{"total": ...}``).
- ``ask_name(greeting)``: a task that moves to ``input_required`` with an elicitation in
  ``inputRequests``, waits for ``tasks/update``, then completes with ``"<greeting>, <name>"``.
- ``explode()``: a task that fails with a JSON-RPC error (status ``failed``, ``error``).
- ``quick(x)``: never a task: the ordinary result at once.
- ``task_log(task_id)``: when this server answered ``tasks/get`` for that task (seconds since
  the epoch, a JSON list), so a test can check the client's polling pace.

Tasks live in this process, not in a session (the 2026 protocol has none): a client that
reconnects, even from another process, gets them by id until the process ends. ``pollIntervalMs``
is ``TASKS_EXT_POLL_MS`` (default 200; ``none`` leaves it out). A client that did not declare the
extension gets a plain result from ``crunch`` (it runs inline) and error -32021 from ``ask_name``.

Run: ``python tasks_ext.py`` (stdio) or ``python tasks_ext.py --http PORT`` (Streamable HTTP on
127.0.0.1).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import os
import sys
import time
import uuid
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequestParams, RequestParams

EXTENSION = "io.modelcontextprotocol/tasks"
TASK_TOOLS = {"crunch", "ask_name", "explode"}
_poll = os.environ.get("TASKS_EXT_POLL_MS", "200")
POLL_MS: int | None = None if _poll == "none" else int(_poll)
TTL_MS = 600_000


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Task:
    def __init__(self, tool: str) -> None:
        self.id = uuid.uuid4().hex
        self.tool = tool
        self.status = "working"
        self.message: str | None = "starting"
        self.created = self.updated = _now()
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.input_requests: dict[str, Any] = {}
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.polls: list[float] = []
        self.runner: asyncio.Task[None] | None = None

    def set(self, status: str, message: str | None = None) -> None:
        if self.status in ("completed", "failed", "cancelled"):
            return
        self.status, self.message, self.updated = status, message, _now()

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "taskId": self.id,
            "status": self.status,
            "createdAt": self.created,
            "lastUpdatedAt": self.updated,
            "ttlMs": TTL_MS,
        }
        if POLL_MS is not None:
            body["pollIntervalMs"] = POLL_MS
        if self.message:
            body["statusMessage"] = self.message
        if self.status == "input_required":
            body["inputRequests"] = self.input_requests
        if self.status == "completed" and self.result is not None:
            body["result"] = self.result
        if self.status == "failed" and self.error is not None:
            body["error"] = self.error
        return body


TASKS: dict[str, Task] = {}


class TaskIdParams(RequestParams):
    taskId: str  # noqa: N815 - the wire name


class UpdateParams(RequestParams):
    taskId: str  # noqa: N815
    inputResponses: dict[str, Any]  # noqa: N815


def _declared(ctx: ServerRequestContext[Any, Any]) -> bool:
    meta = ctx.meta or {}
    caps = meta.get("io.modelcontextprotocol/clientCapabilities") if isinstance(meta, dict) else None
    extensions = (caps or {}).get("extensions") or {}
    return EXTENSION in extensions


def _find(task_id: str) -> Task:
    task = TASKS.get(task_id)
    if task is None:
        raise MCPError(-32602, f"Failed to retrieve task: Task not found ({task_id})")
    return task


async def _crunch(task: Task, n: int, seconds: float) -> None:
    steps = 4
    for i in range(steps):
        task.set("working", f"step {i + 1} of {steps}")
        await asyncio.sleep(seconds / steps)
    total = n * (n + 1) // 2
    task.result = {
        "content": [{"type": "text", "text": json.dumps({"total": total})}],
        "structuredContent": {"total": total},
        "isError": False,
    }
    task.set("completed", "done")


async def _ask_name(task: Task, greeting: str) -> None:
    await asyncio.sleep(0.1)
    key = f"name-{task.id[:6]}"
    task.input_requests = {
        key: {
            "method": "elicitation/create",
            "params": {
                "mode": "form",
                "message": "What is your name?",
                "requestedSchema": {
                    "type": "object",
                    "properties": {"name": {"type": "string", "title": "Name"}},
                    "required": ["name"],
                },
            },
        }
    }
    task.set("input_required", "waiting for a name")
    while True:
        answers = await task.answers.get()
        if key in answers:
            break
    task.input_requests = {}
    answer = answers[key]
    task.set("working", "greeting")
    await asyncio.sleep(0.1)
    if answer.get("action") == "accept":
        text = f"{greeting}, {answer.get('content', {}).get('name')}"
    else:
        text = f"no name ({answer.get('action')})"
    task.result = {"content": [{"type": "text", "text": text}], "isError": False}
    task.set("completed", "greeted")


async def _explode(task: Task) -> None:
    await asyncio.sleep(0.2)
    task.error = {"code": -32603, "message": "the reactor overheated"}
    task.set("failed", "the reactor overheated")


class TasksExtension(Extension):
    identifier = EXTENSION

    def methods(self) -> list[MethodBinding]:
        return [
            MethodBinding("tasks/get", TaskIdParams, self._get),
            MethodBinding("tasks/update", UpdateParams, self._update),
            MethodBinding("tasks/cancel", TaskIdParams, self._cancel),
        ]

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if params.name not in TASK_TOOLS:
            return await call_next(ctx)
        args = params.arguments or {}
        if not _declared(ctx):
            if params.name == "crunch":
                return await call_next(ctx)
            raise MCPError(
                -32021,
                "Missing required client capability",
                {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
            )
        task = Task(params.name)
        TASKS[task.id] = task
        if params.name == "crunch":
            work = _crunch(task, int(args.get("n", 10)), float(args.get("seconds", 1.0)))
        elif params.name == "ask_name":
            work = _ask_name(task, str(args.get("greeting", "Hello")))
        else:
            work = _explode(task)
        task.runner = asyncio.get_running_loop().create_task(work)
        return {"resultType": "task", **task.wire()}

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        task = _find(params.taskId)
        task.polls.append(time.time())
        return task.wire()

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateParams) -> dict[str, Any]:
        task = _find(params.taskId)
        await task.answers.put(dict(params.inputResponses))
        return {}

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        task = _find(params.taskId)
        if task.runner is not None and not task.runner.done():
            task.runner.cancel()
            task.set("cancelled", "cancelled on request")
        return {}


mcp = MCPServer("tasks-ext", version="0.1.0", extensions=[TasksExtension()])


@mcp.tool()
def crunch(n: int = 10, seconds: float = 1.0) -> dict[str, int]:
    """Add 1..n, slowly (a task for clients that take tasks; inline otherwise)."""
    time.sleep(min(seconds, 0.2))
    return {"total": n * (n + 1) // 2}


@mcp.tool()
def ask_name(greeting: str = "Hello") -> str:
    """Ask for a name, then greet (only as a task)."""
    raise RuntimeError("ask_name runs only as a task")


@mcp.tool()
def explode() -> str:
    """Fail with a JSON-RPC error (only as a task)."""
    raise RuntimeError("explode runs only as a task")


@mcp.tool()
def quick(x: int = 1) -> str:
    """Answer at once (never a task)."""
    return f"quick {x}"


@mcp.tool()
def task_log(task_id: str) -> str:
    """When this server answered tasks/get for the task (epoch seconds, a JSON list)."""
    task = TASKS.get(task_id)
    return json.dumps(task.polls if task is not None else None)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        mcp.run()
