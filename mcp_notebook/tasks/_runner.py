"""Following one task to its end: look at it (backoff honouring ``pollInterval``), answer what it
asks, and fetch its result. Both protocol forms, one behaviour.

- 2025-11-25: ``tasks/result`` blocks until the task ends, and the server delivers the questions
  of an ``input_required`` task on that very request (they reach the connection's elicitation and
  sampling callbacks, so the asking paths of a call apply). So the follower keeps one
  ``tasks/result`` open from the start, and looks with ``tasks/get`` beside it only to show how
  the task goes.
- 2026-07-28 extension: ``tasks/get`` says everything, the result included; the questions of an
  ``input_required`` task come in its ``inputRequests`` (each key answered once, through the same
  callbacks) and the answers go back with ``tasks/update``.

A ``Channel`` is how the follower talks to the server: through a ``Connection`` (its timeouts and
error wording), or straight through an SDK session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import mcp_types as types
from pydantic import TypeAdapter, ValidationError

from ..errors import InvalidResult, McpNotebookError, ServerDied, ServerError, TransportFailed
from . import _extension, _legacy
from ._poll import Backoff
from ._state import TaskState

__all__ = ["Channel", "ConnectionChannel", "SessionChannel", "TaskEnded", "follow", "follow_quietly"]

_INPUT_REQUEST: TypeAdapter[types.InputRequest] = TypeAdapter(types.InputRequest)
OnState = Callable[[TaskState], None]
REOPEN_LIMIT = 5  # broken tasks/result in quick succession before the follower gives up
QUICK_DROP = 30.0  # seconds: a tasks/result that broke sooner than this counts as a quick drop


class TaskEnded(McpNotebookError):
    """The task ended without a result: it was cancelled (by the user, or by the server)."""

    def __init__(self, message: str, state: TaskState) -> None:
        super().__init__(message)
        self.state = state


class Channel(Protocol):
    form: str
    what: str

    async def get(self, task_id: str) -> TaskState: ...

    async def result(self, task_id: str) -> types.CallToolResult: ...

    async def update(self, task_id: str, responses: Mapping[str, Any]) -> None: ...

    async def answer(self, key: str, request: types.InputRequest) -> Any: ...

    async def cancel(self, task_id: str) -> TaskState | None: ...


class SessionChannel:
    """Straight through an SDK ``ClientSession`` (errors as the SDK raises them)."""

    def __init__(self, session: Any, form: str, what: str) -> None:
        self.session = session
        self.form = form
        self.what = what

    async def get(self, task_id: str) -> TaskState:
        if self.form == _legacy.FORM:
            return await _legacy.get(self.session, task_id)
        return await _extension.get(self.session, task_id)

    async def result(self, task_id: str) -> types.CallToolResult:
        return await _legacy.result(self.session, task_id)

    async def update(self, task_id: str, responses: Mapping[str, Any]) -> None:
        await _extension.update(self.session, task_id, responses)

    async def cancel(self, task_id: str) -> TaskState | None:
        """Ask the server to cancel; the state it answers with (only the 2025-11-25 form answers one)."""
        if self.form == _legacy.FORM:
            return await _legacy.cancel(self.session, task_id)
        await _extension.cancel(self.session, task_id)
        return None

    async def answer(self, key: str, request: types.InputRequest) -> Any:
        from mcp.client.session import ClientRequestContext

        meta = request.params.meta if request.params is not None else None
        context = ClientRequestContext(session=self.session, request_id=key, meta=meta)
        return await self.session.dispatch_input_request(context, request)


class ConnectionChannel(SessionChannel):
    """Through a ``Connection``: each request bounded by ``timeout``, failures in its words."""

    def __init__(self, conn: Any, form: str, what: str, timeout: float | None) -> None:
        super().__init__(None, form, what)
        self.conn = conn
        self.timeout = timeout

    def _session(self) -> Any:
        return self.conn.require_client().session

    async def _ask(self, what: str, send: Callable[[Any], Awaitable[Any]], timeout: float | None) -> Any:
        return await self.conn.request(what, lambda client: send(client.session), timeout)

    async def get(self, task_id: str) -> TaskState:
        module: Any = _legacy if self.form == _legacy.FORM else _extension
        found: TaskState = await self._ask(
            f"{self.what}: looking at task {task_id}", lambda s: module.get(s, task_id), self.timeout
        )
        return found

    async def result(self, task_id: str) -> types.CallToolResult:
        # No timeout: this request waits for the task itself, however long the task takes.
        found: types.CallToolResult = await self._ask(
            f"{self.what} (task {task_id})", lambda s: _legacy.result(s, task_id), None
        )
        return found

    async def update(self, task_id: str, responses: Mapping[str, Any]) -> None:
        await self._ask(
            f"{self.what}: answering task {task_id}",
            lambda s: _extension.update(s, task_id, responses),
            self.timeout,
        )

    async def cancel(self, task_id: str) -> TaskState | None:
        module: Any = _legacy if self.form == _legacy.FORM else _extension
        found: TaskState | None = await self._ask(
            f"cancelling task {task_id} of {self.what}", lambda s: module.cancel(s, task_id), self.timeout
        )
        return found

    async def answer(self, key: str, request: types.InputRequest) -> Any:
        self.session = self._session()
        return await super().answer(key, request)


async def follow(channel: Channel, state: TaskState, on_state: OnState | None = None) -> types.CallToolResult:
    """Follow the task until it ends; its result (a failed or cancelled task raises)."""
    report = on_state or (lambda s: None)
    if channel.form == _legacy.FORM:
        return await _follow_legacy(channel, state, report)
    return await _follow_extension(channel, state, report)


async def follow_quietly(session: Any, state: TaskState, tool: str) -> types.CallToolResult:
    """Follow a 2026-07-28 task through the bare session (a ``call_tool`` not made by this package)."""
    return await follow(SessionChannel(session, _extension.FORM, tool), state)


async def _follow_legacy(channel: Channel, state: TaskState, report: OnState) -> types.CallToolResult:
    backoff = Backoff()
    backoff.saw(state.status, state.message)
    if state.status == "cancelled":
        raise TaskEnded(_cancelled_words(channel.what, state), state)
    loop = asyncio.get_running_loop()
    waiting = loop.create_task(channel.result(state.task_id))
    opened, quick_drops = loop.time(), 0
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=backoff.next(state.poll_ms))
            if done and _dropped(waiting) and quick_drops < REOPEN_LIMIT:
                # The long wait broke (an HTTP read timeout on a quiet stream, a proxy): if the
                # server still answers, the task is fine: wait for it again. Only drops in quick
                # succession count towards giving up; an hours-long task may see many slow ones.
                quick_drops = quick_drops + 1 if loop.time() - opened < QUICK_DROP else 0
                state = await channel.get(state.task_id)
                report(state)
                waiting, opened = loop.create_task(channel.result(state.task_id)), loop.time()
                continue
            if done:
                break
            state = await channel.get(state.task_id)
            report(state)
            backoff.saw(state.status, state.message)
            if state.status == "cancelled":
                raise TaskEnded(_cancelled_words(channel.what, state), state)
        try:
            raw = waiting.result()
        except McpNotebookError:
            # A cancelled task has no result to give (servers say so in their own words).
            now = await channel.get(state.task_id)
            if now.status == "cancelled":
                report(now)
                raise TaskEnded(_cancelled_words(channel.what, now), now) from None
            raise
    finally:
        if not waiting.done():
            waiting.cancel()
            with contextlib.suppress(BaseException):
                await waiting
    with contextlib.suppress(McpNotebookError):  # the last word on the status is a nicety
        report(await channel.get(state.task_id))
    return raw


async def _follow_extension(channel: Channel, state: TaskState, report: OnState) -> types.CallToolResult:
    backoff = Backoff()
    answered: set[str] = set()
    while True:
        backoff.saw(state.status, state.message)
        if state.terminal:
            break
        if state.status == "input_required" and state.input_requests:
            fresh = {k: v for k, v in state.input_requests.items() if k not in answered}
            if fresh:
                responses = await _answer_all(channel, state, fresh)
                answered.update(fresh)
                await channel.update(state.task_id, responses)
                backoff.reset()
        await asyncio.sleep(backoff.next(state.poll_ms))
        state = await channel.get(state.task_id)
        report(state)
    if state.status == "completed":
        if state.result is None:
            raise InvalidResult(f"{channel.what}: task {state.task_id} completed without a result")
        try:
            raw = types.CallToolResult.model_validate(state.result, by_name=False)
        except ValidationError as e:
            raise InvalidResult(f"{channel.what}: the result of task {state.task_id} is not a tool result") from e
        return _legacy.with_task_id(raw, state.task_id)
    if state.status == "failed":
        error = state.error or {}
        message = str(error.get("message") or state.message or "no reason given")[:300]
        code = error.get("code") if isinstance(error.get("code"), int) else None
        raise ServerError(f"{channel.what}: task {state.task_id} failed on the server: {message}", code)
    raise TaskEnded(_cancelled_words(channel.what, state), state)


async def _answer_all(channel: Channel, state: TaskState, requests: Mapping[str, Any]) -> dict[str, Any]:
    """Answer each input request (one at a time: they are questions to one person)."""
    responses: dict[str, Any] = {}
    for key, raw in requests.items():
        try:
            request = _INPUT_REQUEST.validate_python(raw, by_name=False)
        except ValidationError as e:
            raise InvalidResult(
                f"{channel.what}: task {state.task_id} asks for something this client cannot answer "
                f"({str(raw.get('method') if isinstance(raw, Mapping) else raw)[:60]})"
            ) from e
        answer = await channel.answer(key, request)
        if isinstance(answer, types.ErrorData):
            raise ServerError(
                f"{channel.what}: task {state.task_id} waits for an answer that was declined ({answer.message}); "
                "it stays on the server until its ttl, or until cancelled",
                answer.code,
            )
        responses[key] = answer.model_dump(by_alias=True, mode="json", exclude_none=True)
    return responses


def _dropped(waiting: asyncio.Task[Any]) -> bool:
    """Whether a finished ``tasks/result`` failed in transit (not with the server's own answer)."""
    if waiting.cancelled():
        return False
    error = waiting.exception()
    return isinstance(error, TransportFailed) and not isinstance(error, ServerDied)


def _cancelled_words(what: str, state: TaskState) -> str:
    why = f": {state.message}" if state.message else ""
    return f"{what}: task {state.task_id} was cancelled{why}"
