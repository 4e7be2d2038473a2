"""``TaskHandle``: a task on a server, started by this notebook now or before a kernel restart.

``.status`` (asks the server while the task runs), ``.wait(timeout)``, ``.result()`` (the same
``ToolResult`` as a call), ``.cancel()``, and awaitable twins. Waiting shows the task's live line
and puts the server's questions to the user as a call would; an interrupt stops the wait, never
the task (``Detached``). The handle follows the server's *name*: after a restart, connect the
same server under the same name and the handle finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import time
from collections.abc import Callable, Coroutine, Generator, Iterable
from typing import Any, TypeVar

import mcp_types as types

from .._input_asker import InputAsker
from ..errors import Interrupted, McpNotebookError, NotConnected, ServerError, UsageProblem
from ..render import MUTED, esc
from ..results import ToolResult, mimebundle
from ._book import TaskBook
from ._calls import Tracker, form_of, record_output_problem
from ._channels import SessionGone, open_channel
from ._runner import Channel
from ._state import TERMINAL, TaskState
from ._store import TaskRecord
from ._view import TaskView, status_line

__all__ = ["GONE", "TaskHandle", "check_output", "live_connection"]

T = TypeVar("T")
GONE = "gone"
"""A record's status once the server no longer knows the task (its ttl passed, or it restarted)."""


def live_connection(hub: Any, record: TaskRecord) -> Any:
    """The connection the task's server is under now; a clear error when it is not the same server."""
    try:
        conn = hub.registry.get(record.server)
    except NotConnected:
        target = f" ({record.target})" if record.target else ""
        raise NotConnected(
            f"task {record.task_id} is on {record.server!r}, which is not connected; connect it again under that "
            f"name{target}, then ask again"
        ) from None
    if record.target and conn.spec.describe() != record.target:
        raise UsageProblem(
            f"task {record.task_id} was started on {record.target}, but {record.server!r} now reaches "
            f"{conn.spec.describe()}; connect {record.server!r} to the first one to pick the task up"
        )
    if form_of(conn) != record.form:
        raise UsageProblem(
            f"task {record.task_id} was started over the {record.form} protocol, but {record.server!r} now speaks "
            f"{conn.protocol_version}; the task cannot be reached this way"
        )
    return conn


async def check_output(conn: Any, tool: str, raw: types.CallToolResult) -> str | None:
    """Check a task's result against the tool's output schema as a call's would be; why it breaks it."""
    await record_output_problem(conn, tool, raw)
    problem: str | None = conn.schema_problem(raw)
    return problem


class TaskHandle:
    """A task on a server: ``.status``, ``.wait()``, ``.result()``, ``.cancel()`` (see the module docstring)."""

    def __init__(
        self,
        hub: Any,
        record: TaskRecord,
        *,
        arguments: Any = None,
        result: ToolResult | None = None,
    ) -> None:
        self._hub = hub
        self.record = record
        self.arguments = arguments if arguments is not None else record.arguments
        """The arguments it was called with (after a restart: as recorded, secrets redacted)."""
        self._result = result
        self._reported = False

    # -- what it is --------------------------------------------------------------------------------------

    @property
    def task_id(self) -> str:
        """The id the server gave the task."""
        return self.record.task_id

    @property
    def server(self) -> str:
        """The name of the connection the task is on (connect the same server under it to reach the task)."""
        return self.record.server

    @property
    def tool(self) -> str:
        """The tool that runs as the task."""
        return self.record.tool

    @property
    def _book(self) -> TaskBook:
        book: TaskBook = self._hub.task_book
        return book

    @property
    def status_message(self) -> str | None:
        """What the server last said about the task."""
        return self.record.message

    @property
    def created(self) -> _dt.datetime:
        """When this notebook started the task (local time)."""
        return _dt.datetime.fromtimestamp(self.record.started)

    @property
    def ttl(self) -> float | None:
        """Seconds the server keeps the task from its creation (None: it did not say, or no limit)."""
        return self.record.ttl_ms / 1000 if self.record.ttl_ms is not None else None

    def done(self) -> bool:
        """Whether the task is known to have ended (no request made)."""
        return self._result is not None or self.record.status in TERMINAL or self.record.status == GONE

    @property
    def status(self) -> str:
        """``working``, ``input_required``, ``completed``, ``failed``, ``cancelled`` (or ``gone``: the
        server no longer knows it). While the task runs this asks the server; when the server cannot
        be reached it is the status last seen."""
        if self.done():
            return self.record.status
        with contextlib.suppress(McpNotebookError):
            return self.refresh()
        return self.record.status

    # -- running its coroutines ---------------------------------------------------------------------------

    def _run(self, make: Callable[[Any], Coroutine[Any, Any, T]], what: str) -> T:
        __tracebackhide__ = True
        started = time.monotonic()
        try:
            found: T = self._hub.run(make, what)
            return found
        except Interrupted as e:
            raise self._detached(time.monotonic() - started) from e.__cause__

    def _detached(self, seconds: float) -> Interrupted:
        from ._book import Detached

        return Detached(self.server, self.tool, self.task_id, seconds)

    # -- asking the server --------------------------------------------------------------------------------

    def _refresh(self) -> Callable[[Any], Coroutine[Any, Any, str]]:
        async def go(inbox: Any) -> str:
            conn = live_connection(self._hub, self.record)
            async with open_channel(conn, self.record, self._hub.timeout, self._book.store) as channel:
                state = await self._look(conn, channel)
            Tracker(self._book, self.record).saw(state)
            return state.status

        return go

    async def _look(self, conn: Any, channel: Channel) -> TaskState:
        """The task as the server has it now; a server that no longer knows it makes it ``gone``."""
        try:
            return await channel.get(self.task_id)
        except ServerError as e:
            if isinstance(e, SessionGone) or e.code == types.INVALID_PARAMS:
                self.record.status = GONE
                Tracker(self._book, self.record).picked_up(conn)  # nothing left to keep a session open for
                if isinstance(e, SessionGone):
                    raise
                raise ServerError(
                    f"task {self.task_id} ({self.server}.{self.tool}) is no longer on {self.server}: the server "
                    f"says {str(e).rsplit(': ', 1)[-1]} (a task lives until its ttl passes, or the server restarts)",
                    e.code,
                ) from e
            raise

    def refresh(self) -> str:
        """Ask the server how the task is; its status."""
        return self._run(self._refresh(), f"looking at task {self.task_id}")

    async def arefresh(self) -> str:
        found: str = await self._hub.arun(self._refresh())
        return found

    def _follow(self, timeout: float | None, view: bool) -> Callable[[Any], Coroutine[Any, Any, ToolResult | None]]:
        async def go(inbox: Any) -> ToolResult | None:
            if self._result is not None:
                return self._result
            conn = live_connection(self._hub, self.record)
            line = TaskView(inbox, f"{self.server}.{self.tool}") if view else None
            tracker = Tracker(self._book, self.record, line)
            try:
                async with open_channel(conn, self.record, self._hub.timeout, self._book.store) as channel:
                    state = await self._look(conn, channel)
                    with conn.asking(InputAsker(inbox)):
                        async with asyncio.timeout(timeout):
                            raw = await tracker.follow(conn, state, self._hub.timeout, channel)
            except TimeoutError:
                tracker.ended(self.record.status, "still running: wait again, or .cancel()")
                return None
            except asyncio.CancelledError:
                tracker.ended("detached", f"task {self.task_id} keeps running")
                raise
            self._result = await self._make_result(conn, raw)
            return self._result

        return go

    async def _make_result(self, conn: Any, raw: types.CallToolResult) -> ToolResult:
        seconds = time.time() - self.record.started
        result = ToolResult(
            raw,
            server=self.server,
            tool=self.tool,
            arguments=self.arguments if isinstance(self.arguments, dict) else {},
            duration=seconds,
            output_schema=_output_schema(conn, self.tool),
            schema_problem=await check_output(conn, self.tool, raw),
        )
        if not self._reported:
            self._reported = True
            self._hub.events.emit(
                "tool_called",
                server=self.server,
                tool=self.tool,
                arguments=self.arguments,
                status="tool error" if raw.is_error else "ok",
                seconds=seconds,
                result=raw,
                task=self.task_id,
            )
        return result

    def wait(self, timeout: float | None = None) -> str:
        """Wait until the task ends (or ``timeout`` seconds pass: it keeps running); its status.

        The server's questions are put to the user as a call's are. An interrupt stops the wait
        and raises ``Detached``; the task keeps running.
        """
        self._run(self._follow(timeout, view=True), f"waiting for task {self.task_id}")
        return self.record.status

    async def await_(self, timeout: float | None = None) -> str:
        """``wait``, awaitable."""
        await self._hub.arun(self._follow(timeout, view=False))
        return self.record.status

    def result(self, timeout: float | None = None) -> ToolResult:
        """The task's result, waiting for it to end first: the same ``ToolResult`` as a call.

        A task that failed with a protocol error raises ``ServerError``; a cancelled one ``TaskEnded``.
        """
        found = self._run(self._follow(timeout, view=True), f"waiting for task {self.task_id}")
        if found is None:
            raise TimeoutError(
                f"task {self.task_id} is still {self.record.status} after {timeout:g} s; it keeps running "
                "(wait again, or .cancel() it)"
            )
        return found

    async def aresult(self, timeout: float | None = None) -> ToolResult:
        found = await self._hub.arun(self._follow(timeout, view=False))
        if found is None:
            raise TimeoutError(f"task {self.task_id} is still {self.record.status} after {timeout:g} s")
        result: ToolResult = found
        return result

    def __await__(self) -> Generator[Any, None, ToolResult]:
        return self.aresult().__await__()

    def _cancel(self) -> Callable[[Any], Coroutine[Any, Any, str]]:
        async def go(inbox: Any) -> str:
            conn = live_connection(self._hub, self.record)
            async with open_channel(conn, self.record, self._hub.timeout, self._book.store) as channel:
                state = await channel.cancel(self.task_id)
                tracker = Tracker(self._book, self.record)
                tracker.saw(state if state is not None else await self._look(conn, channel))
            if self.record.status == "cancelled":
                tracker.picked_up(conn)
            conn.log.add("client", f"asked to cancel task {self.task_id}: it is {self.record.status}")
            return self.record.status

        return go

    def cancel(self) -> str:
        """Ask the server to cancel the task; its status after (the 2026 form cancels eventually:
        it may still say ``working``, and may even complete)."""
        return self._run(self._cancel(), f"cancelling task {self.task_id}")

    async def acancel(self) -> str:
        found: str = await self._hub.arun(self._cancel())
        return found

    def forget(self) -> bool:
        """Drop the task from this notebook's records (the server keeps it until its ttl)."""
        return self._book.store.forget(self.server, self.task_id)

    # -- display -----------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<TaskHandle {self.server}.{self.tool} {self.task_id} {self.record.status}>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        hint = "" if self.done() else f"`%mcp task {self.server} {self.task_id} --wait` waits for it"
        text = status_line(
            f"{self.server}.{self.tool}", self.task_id, self.record.status, self.record.message, None, None, hint
        )
        html = f'<div class="mcpnb-task" style="{MUTED}">{esc(text)}</div>'
        return mimebundle({"text/plain": text, "text/html": html}, include, exclude)


def _output_schema(conn: Any, tool: str) -> dict[str, Any] | None:
    found = conn.catalog.cached_tool(tool)
    schema = getattr(found, "output_schema", None)
    return schema or None
