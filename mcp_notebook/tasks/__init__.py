"""MCP tasks: long-running tool calls that a notebook starts, follows, leaves and picks up again.

Two protocol forms, one behaviour:

- **2025-11-25 tasks** (SEP-1686, in the core protocol then): ``tools/call`` with ``task`` for
  tools whose ``execution.taskSupport`` is ``required`` or ``optional``, then ``tasks/get``,
  ``tasks/result``, ``tasks/list``, ``tasks/cancel``; and the reverse direction, where the server
  asks the client to answer a sampling or elicitation request as a task.
- **The 2026-07-28 tasks extension** (``io.modelcontextprotocol/tasks``, SEP-2663): the server may
  answer any ``tools/call`` with a task handle (``resultType: "task"``), followed with
  ``tasks/get``, answered with ``tasks/update``, stopped with ``tasks/cancel``.

A call of a task tool waits like any call (a live line: status, the server's message, progress,
elapsed), asks the user the server's questions the way calls do, and detaches on an interrupt:
the task keeps running, its id stays in the notebook's records (``TaskStore``, owner-only files
under the Jupyter data dir), and ``server.task(id)`` / ``%mcp task SERVER ID`` gives a
``TaskHandle`` back, in this kernel or the next.

How the core uses this package (the whole wiring):

- ``client_extensions()`` goes into ``Client(extensions=...)`` (the 2026-07-28 form);
- ``install(session)`` is called on the SDK session before it starts (the 2025-11-25 client
  capability, the reverse direction, task progress);
- ``HttpSessions`` watches an HTTP connection's client (``conn.http_tasks``): its session id, kept
  open on close while 2025-11-25 tasks started in it are not picked up;
- ``call_tool(conn, ...)`` replaces ``conn.call_tool(...)`` in a call of the API;
- ``TaskBook`` is a hub's (``hub.task_book``); ``Server._run`` trades ``Interrupted`` for the
  ``Detached`` its ``take_detached()`` gives;
- ``start_task``, ``reattach``, ``list_tasks`` back ``server.start_task()``, ``server.task()``,
  ``hub.tasks()``.
"""

from __future__ import annotations

from typing import Any

from ._book import Detached, TaskBook
from ._calls import call_tool, form_of, plan
from ._claim import TasksExtension
from ._extension import IDENTIFIER
from ._handle import TaskHandle
from ._http import HttpSessions
from ._listing import TaskList
from ._runner import TaskEnded
from ._server_tasks import list_tasks, reattach, start_task
from ._session import install
from ._state import TaskState
from ._store import TaskRecord, TaskStore

__all__ = [
    "IDENTIFIER",
    "Detached",
    "HttpSessions",
    "TaskBook",
    "TaskEnded",
    "TaskHandle",
    "TaskList",
    "TaskRecord",
    "TaskState",
    "TaskStore",
    "call_tool",
    "client_extensions",
    "form_of",
    "install",
    "list_tasks",
    "plan",
    "reattach",
    "start_task",
]


def client_extensions() -> list[Any]:
    """The SDK client extensions tasks need (``Client(extensions=...)``)."""
    return [TasksExtension()]
