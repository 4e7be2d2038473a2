"""Tool calls that run as tasks: deciding when, creating the task, and following it for the caller.

``call_tool`` is what a call of the API runs instead of ``Connection.call_tool`` (same arguments,
same answer: the result and the seconds it took). It runs the tool as a task when the tool
requires one (2025-11-25 ``execution.taskSupport: "required"``), when the caller asks for one
(``as_task=True``, for ``"optional"`` tools), or whenever a 2026-07-28 server offering the tasks
extension chooses to make one; anything else is the ordinary call. The task is written to the
notebook's records as soon as it exists, then followed with the caller's view and asking paths.

An interrupt while following *detaches*: the task keeps running on the server, its record stays,
and the waiting thread learns which task it was (``TaskBook.note_detached``). A caller that
cancels on purpose (the Cancel of a background call) cancels the task on the server instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import mcp_types as types
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from ..errors import McpNotebookError, UsageProblem
from . import _extension, _legacy, _session
from ._book import TaskBook
from ._runner import Channel, ConnectionChannel, TaskEnded, follow
from ._state import TaskState
from ._store import TaskRecord, safe_arguments
from ._view import TaskView

__all__ = ["Created", "DetachedCancel", "Tracker", "call_tool", "create", "plan", "record_output_problem"]

ProgressFn = Callable[[float, "float | None", "str | None"], None]
_HANDSHAKE = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)
CANCEL_GRACE = 5.0  # seconds a tasks/cancel may take after the caller cancelled


def form_of(conn: Any) -> str:
    """Which tasks a connection speaks: ``2025-11-25`` (core) or ``2026-07-28`` (the extension)."""
    return _legacy.FORM if conn.protocol_version in _HANDSHAKE else _extension.FORM


async def plan(conn: Any, tool: str, as_task: bool | None, timeout: float | None) -> str | None:
    """The form to run ``tool`` as a task in, or None for an ordinary call; refuses what cannot be."""
    what = f"{conn.name}.{tool}"
    listing: types.Tool = await conn.catalog.tool(tool, timeout=timeout)
    if form_of(conn) == _extension.FORM:
        if _extension.advertised(conn.capabilities):
            return None if as_task is False else _extension.FORM
        if as_task:
            raise UsageProblem(
                f"{what} cannot run as a task: {conn.name} does not offer tasks (it speaks 2026-07-28 without the "
                f"{_extension.IDENTIFIER} extension); call it without --task"
            )
        return None
    support = _legacy.task_support(listing)
    if not _legacy.offers_tasks(conn.capabilities):
        if as_task:
            raise UsageProblem(f"{what} cannot run as a task: {conn.name} does not offer tasks; call it without --task")
        return None
    if support == "required":
        if as_task is False:
            raise UsageProblem(
                f"{what} runs only as a task (its taskSupport is 'required'); call it without as_task=False"
            )
        return _legacy.FORM
    if support == "optional":
        return _legacy.FORM if as_task else None
    if as_task:
        raise UsageProblem(f"{what} does not run as a task (its taskSupport is {support!r}); call it without --task")
    return None


class DetachedCancel(asyncio.CancelledError):
    """The cancel of a call whose task was left running (an interrupt detached it): a call of status
    ``detached``, carrying the task's id."""

    call_status = "detached"

    def __init__(self, task_id: str) -> None:
        super().__init__(f"detached from task {task_id}")
        self.task_id = task_id


class Created:
    """What asking for a task gave: the task, or the result when the server answered at once."""

    def __init__(self, state: TaskState | None = None, result: types.CallToolResult | None = None) -> None:
        self.state = state
        self.result = result


async def create(
    conn: Any,
    tool: str,
    arguments: Mapping[str, Any],
    form: str,
    *,
    timeout: float | None,
    ttl_ms: int | None,
    validate: bool,
    progress_token: str | None = None,
    progress: ProgressFn | None = None,
    progress_extends: bool = True,
) -> Created:
    what = f"{conn.name}.{tool}"
    if form == _extension.FORM:
        handover = _extension.HANDOVER.set(True)
        try:
            raw, _seconds = await conn.call_tool(
                tool,
                arguments,
                timeout=timeout,
                progress=progress,
                validate=validate,
                progress_extends=progress_extends,
            )
        except _extension.TaskCreated as made:
            return Created(state=made.task.state())
        finally:
            _extension.HANDOVER.reset(handover)
        return Created(result=raw)
    listing = await conn.catalog.tool(tool, timeout=timeout)
    if validate:
        conn.requests.checker.check(
            what, listing.input_schema, arguments, hint=f"; `%mcp tools {conn.name}` shows its arguments"
        )
    found = await conn.request(
        what,
        lambda client: _legacy.create(
            client.session, tool, arguments, ttl_ms=ttl_ms, progress_token=progress_token, meta=conn._request_meta()
        ),
        timeout,
    )
    if isinstance(found, TaskState):
        return Created(state=found)
    return Created(result=found)


class Tracker:
    """Follows one task for one waiter: keeps its record, its view and its observer up to date."""

    def __init__(self, book: TaskBook, record: TaskRecord, view: TaskView | None = None, observer: Any = None) -> None:
        self.book = book
        self.record = record
        self.view = view
        self.observer = observer

    def saw(self, state: TaskState) -> None:
        record = self.record
        changed = (record.status, record.message) != (state.status, state.message)
        record.status, record.message = state.status, state.message
        record.poll_ms = state.poll_ms if state.poll_ms is not None else record.poll_ms
        record.ttl_ms = state.ttl_ms if state.ttl_ms is not None else record.ttl_ms
        if changed:
            self.book.store.save(record)
        if self.view is not None:
            self.view.state(state)
        tell = getattr(self.observer, "task_update", None)
        if callable(tell):
            tell(state)

    def picked_up(self, conn: Any) -> None:
        """The task's outcome reached the user: its HTTP session need not be kept for it any more."""
        self.record.picked_up = True
        self.book.store.save(self.record)
        sessions = getattr(conn, "http_tasks", None)
        if sessions is not None:
            sessions.release(self.record.task_id)

    def ended(self, status: str, note: str = "") -> None:
        if status != "detached" and self.record.status != status:
            self.record.status = status
            self.book.store.save(self.record)
        if self.view is not None:
            self.view.end(status, note)

    async def follow(
        self, conn: Any, state: TaskState, timeout: float | None, channel: Channel | None = None
    ) -> types.CallToolResult:
        """Follow to the end; the record says how it ended (a failure or a cancel raises)."""
        self.saw(state)
        if channel is None:
            channel = ConnectionChannel(conn, self.record.form, f"{self.record.server}.{self.record.tool}", timeout)
        try:
            raw = await follow(channel, state, self.saw)
        except TaskEnded as e:
            self.ended(e.state.status)
            self.picked_up(conn)
            raise
        except McpNotebookError:
            # Whatever went wrong, the record (and the view) end with what the server says now.
            with contextlib.suppress(McpNotebookError):
                self.saw(await channel.get(state.task_id))
            self.ended(self.record.status)
            if self.record.status in ("completed", "failed", "cancelled"):
                self.picked_up(conn)  # the error was the task's outcome, and the user has it
            raise
        if self.record.status not in ("completed", "failed"):
            self.ended("failed" if raw.is_error and self.record.form == _legacy.FORM else "completed")
        else:
            self.ended(self.record.status)
        self.picked_up(conn)
        return raw


def new_record(conn: Any, tool: str, arguments: Mapping[str, Any], form: str, state: TaskState) -> TaskRecord:
    """The record of a task just created; one started in a Streamable HTTP session keeps that
    session open (on close) until the task is picked up."""
    sessions = getattr(conn, "http_tasks", None)
    http_session = sessions.session_id if sessions is not None and form == _legacy.FORM else None
    if sessions is not None and http_session is not None:
        sessions.hold(state.task_id)
    return TaskRecord(
        server=conn.name,
        task_id=state.task_id,
        tool=tool,
        form=form,
        target=conn.spec.describe(),
        arguments=safe_arguments(arguments),
        status=state.status,
        message=state.message,
        created_at=state.created_at,
        ttl_ms=state.ttl_ms,
        poll_ms=state.poll_ms,
        http_session=http_session,
    )


async def call_tool(
    conn: Any,
    tool: str,
    arguments: Mapping[str, Any],
    *,
    book: TaskBook,
    as_task: bool | None = None,
    timeout: float | None = None,
    progress: ProgressFn | None = None,
    validate: bool = True,
    progress_extends: bool = True,
    inbox: Any = None,
    view: bool = False,
    observer: Any = None,
    detach: bool = True,
) -> tuple[types.CallToolResult, float]:
    """``Connection.call_tool``, running the tool as a task when it must or may (see the module docstring).

    ``view`` shows the task's live line in ``inbox``'s thread; ``observer`` (a background call's
    handle) hears of each state through its ``task_update``; ``detach`` says what a cancel of this
    coroutine means: leave the task running (an interrupt) or cancel it on the server.
    """
    form = await plan(conn, tool, as_task, timeout)
    if form is None:
        found: tuple[types.CallToolResult, float] = await conn.call_tool(
            tool, arguments, timeout=timeout, progress=progress, validate=validate, progress_extends=progress_extends
        )
        return found
    started = time.perf_counter()
    token = f"mcpnb-task-{uuid.uuid4().hex}" if form == _legacy.FORM else None
    hooks = _session.of(conn.client.session) if conn.client is not None else None
    tracker: Tracker | None = None
    view_line = TaskView(inbox, f"{conn.name}.{tool}") if view and inbox is not None else None

    def report(value: float, total: float | None, message: str | None) -> None:
        if progress is not None:
            progress(value, total, message)
        if view_line is not None:
            view_line.report(value, total, message)

    stop = hooks.follow_progress(token, report) if hooks is not None and token is not None else None
    try:
        made = await create(
            conn,
            tool,
            arguments,
            form,
            timeout=timeout,
            ttl_ms=book.ttl_ms,
            validate=validate,
            progress_token=token,
            progress=progress,
            progress_extends=progress_extends,
        )
        if made.state is None:
            assert made.result is not None
            return made.result, time.perf_counter() - started
        record = new_record(conn, tool, arguments, form, made.state)
        book.store.save(record)  # on disk before the first wait: a crash from here on still leaves the id
        conn.log.add("client", f"{conn.name}.{tool} runs as task {record.task_id}")
        tracker = Tracker(book, record, view_line, observer)
        raw = await tracker.follow(conn, made.state, timeout)
        await record_output_problem(conn, tool, raw)
        return raw, time.perf_counter() - started
    except asyncio.CancelledError:
        if tracker is None:
            raise
        await _stop_following(conn, tracker, detach, inbox, time.perf_counter() - started)
        if detach:
            raise DetachedCancel(tracker.record.task_id) from None
        raise
    finally:
        if stop is not None:
            stop()


async def _stop_following(conn: Any, tracker: Tracker, detach: bool, inbox: Any, seconds: float) -> None:
    record = tracker.record
    if detach:
        tracker.ended("detached", f"task {record.task_id} keeps running")
        conn.log.add("client", f"detached from task {record.task_id} ({record.server}.{record.tool}); it keeps running")
        if inbox is not None:
            book = tracker.book
            inbox.post(lambda: book.note_detached(record, seconds))
        return
    # Cancelled on purpose: the server is told, within a bound, even though this task is being cancelled.
    channel = ConnectionChannel(conn, record.form, f"{record.server}.{record.tool}", None)
    try:
        await asyncio.wait_for(asyncio.shield(channel.cancel(record.task_id)), CANCEL_GRACE)
    except (McpNotebookError, asyncio.TimeoutError, asyncio.CancelledError) as e:
        conn.log.add("client", f"could not cancel task {record.task_id}: {e}", "warning")
        return
    tracker.ended("cancelled")
    tracker.picked_up(conn)


async def record_output_problem(conn: Any, tool: str, raw: types.CallToolResult) -> None:
    """Check a task's result against the tool's output schema, as the SDK checks a call's; the
    connection keeps what breaks it (``conn.schema_problem(raw)``)."""
    client = conn.client
    if raw.is_error or client is None:
        return
    with contextlib.suppress(Exception):  # the connection's check records the problem instead of raising
        await client.session.validate_tool_result(tool, raw)
