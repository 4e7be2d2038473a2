"""What the MCP extensions add to a server: tasks (``start_task``, ``task``, ``tasks``,
``runs_as_task``; calls of task tools run as tasks in ``_calling``) and Apps (``app``; the App a
call of such a tool shows, ``present``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import apps, tasks
from ._jsonable import jsonable
from ._server_ops import ServerOperations
from .errors import McpNotebookError
from .results import ToolResult

__all__ = ["ServerExtensions"]


class ServerExtensions(ServerOperations):
    """Tasks and Apps (see ``Server``)."""

    # -- tasks (mcp_notebook.tasks) -------------------------------------------------------------------

    def start_task(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        ttl: float | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> tasks.TaskHandle:
        """Start ``tool`` as a task and return its ``TaskHandle`` at once; the task runs on the server
        (``ttl``: the seconds it should keep it). ``.result()`` waits for it, here or after a restart."""
        args = jsonable({**(arguments or {}), **kwargs})
        return tasks.start_task(self._engine, self.name, tool, args, timeout=self._timeout(timeout), ttl=ttl,
                                validate=validate)  # fmt: skip

    def runs_as_task(self, tool: str, as_task: bool | None = None) -> bool:
        """Whether a call of ``tool`` (with ``as_task``) runs as a task; refuses an ``as_task`` the
        server or tool cannot honour. A 2026-07-28 server with the tasks extension decides per call:
        True there means it may."""
        plan = tasks.plan(self.connection, tool, as_task, self._timeout(None))
        return self._block(plan, f"looking up {tool}") is not None

    def task(self, task_id: str) -> tasks.TaskHandle:
        """The handle of a task on this server (one this notebook started, even before a restart)."""
        return tasks.reattach(self._engine, self.name, task_id)

    def tasks(self, *, refresh: bool = True) -> tasks.TaskList:
        """The tasks this notebook started on this server (see ``Hub.tasks``)."""
        return tasks.list_tasks(self._engine, self.name, refresh)

    # -- Apps (mcp_notebook.apps) -------------------------------------------------------------------------

    def app(self, tool: str, arguments: Mapping[str, Any] | None = None, /, **kwargs: Any) -> apps.AppView:
        """Show the MCP App of ``tool`` at once, and call the tool in the background to feed it.
        ``.context`` and ``.messages`` then hold what the user did in it; ``.close()`` tears it down."""
        return self._engine.apps.open(self, tool, arguments, **kwargs)

    def _present(self, result: ToolResult) -> ToolResult:
        """In the calling thread, after a call: attach the tool's App (or the line saying why it
        cannot show here) to ``result``; a tool without one costs a look at the cached listing."""
        entry = self.connection.catalog.cached_tool(result.tool)
        if entry is not None and apps.ui_resource_uri(entry) is None:
            return result
        try:
            result.app = self._engine.apps.present(self, result, entry)
        except McpNotebookError as e:  # the result stands whatever happens to its App
            result.app = f"▣ {self.name}.{result.tool} names an App that cannot be shown: {e}"
        return result

    async def _apresent(self, result: ToolResult) -> ToolResult:
        entry = self.connection.catalog.cached_tool(result.tool)
        if entry is not None and apps.ui_resource_uri(entry) is None:
            return result
        try:
            result.app = await apps.apresent(self._engine.apps, self, result)
        except McpNotebookError as e:
            result.app = f"▣ {self.name}.{result.tool} names an App that cannot be shown: {e}"
        return result
