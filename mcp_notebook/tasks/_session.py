"""What tasks add to one SDK session (mcp 2.3 ``ClientSession``), installed before it starts.

mcp 2.3 neither declares the 2025-11-25 ``tasks`` client capability nor serves ``tasks/*`` to a
server, and it drops a task's progress once the ``tools/call`` that carried its token has been
answered. ``install`` closes those three gaps on one session instance (nothing global):

- its capability ad gains ``tasks`` (list, cancel, and task-augmented sampling and elicitation
  for the callbacks it declares) on 2025-era connections;
- its server-request handler takes ``sampling/createMessage`` and ``elicitation/create`` sent as
  tasks, and ``tasks/get|result|list|cancel`` about them (``TaskReceiver``);
- its notification tee hands progress carrying a task's token to whoever follows that task.

Call it on the session ``Client`` builds, before the session is entered (the request handler is
bound then).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mcp_types as types
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from ._receiver import ANSWERS_AS_TASKS, TASK_METHODS, TaskReceiver

__all__ = ["SessionTasks", "install", "of"]

ProgressFn = Callable[[float, "float | None", "str | None"], None]
_ATTRIBUTE = "_mcp_notebook_tasks"
_HANDSHAKE = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)


class SessionTasks:
    """The task state of one session: the tasks the client runs, and who follows which progress token."""

    def __init__(self, note: Callable[[str], None] | None = None) -> None:
        self.receiver = TaskReceiver(note)
        self.progress: dict[str | int, ProgressFn] = {}

    def follow_progress(self, token: str, fn: ProgressFn) -> Callable[[], None]:
        """Send progress notifications carrying ``token`` to ``fn`` until the returned undo is called."""
        self.progress[token] = fn

        def stop() -> None:
            self.progress.pop(token, None)

        return stop


def of(session: Any) -> SessionTasks | None:
    """The task state ``install`` put on ``session`` (None if it was not installed)."""
    found = getattr(session, _ATTRIBUTE, None)
    return found if isinstance(found, SessionTasks) else None


def _legacy(session: Any) -> bool:
    return getattr(session, "_negotiated_version", None) in _HANDSHAKE


def install(session: Any, note: Callable[[str], None] | None = None) -> SessionTasks:
    """Add task support to ``session`` (not yet entered); ``note`` receives lines for the connection's log."""
    if note is None:
        from .._log import current_log

        log = current_log()  # the connection's own log, when its owner task builds the session
        if log is not None:
            note = lambda text: log.add("client", text)  # noqa: E731
    state = SessionTasks(note)
    setattr(session, _ATTRIBUTE, state)

    build = session._build_capabilities

    def capabilities(version: str) -> types.ClientCapabilities:
        caps: types.ClientCapabilities = build(version)
        if version not in _HANDSHAKE:
            return caps  # the 2026-07-28 form is the extension (declared by TasksExtension)
        requests = types.ClientTasksRequestsCapability(
            sampling=types.TasksSamplingCapability(create_message=types.TasksCreateMessageCapability())
            if caps.sampling is not None
            else None,
            elicitation=types.TasksElicitationCapability(create=types.TasksCreateElicitationCapability())
            if caps.elicitation is not None
            else None,
        )
        tasks = types.ClientTasksCapability(
            list=types.TasksListCapability(), cancel=types.TasksCancelCapability(), requests=requests
        )
        return caps.model_copy(update={"tasks": tasks})

    session._build_capabilities = capabilities

    handle = session._on_request

    async def on_request(dctx: Any, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if _legacy(session):
            if method in TASK_METHODS:
                return await state.receiver.answer(method, params)
            if method in ANSWERS_AS_TASKS and isinstance(params, Mapping) and isinstance(params.get("task"), Mapping):

                async def answer(plain: Mapping[str, Any]) -> dict[str, Any]:
                    found: dict[str, Any] = await handle(dctx, method, plain)
                    return found

                return state.receiver.start(method, params, answer)
        found: dict[str, Any] = await handle(dctx, method, params)
        return found

    session._on_request = on_request

    tee = session._message_handler

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ProgressNotification):
            fn = state.progress.get(message.params.progress_token)
            if fn is not None:
                fn(message.params.progress, message.params.total, message.params.message)
        await tee(message)

    session._message_handler = on_message
    return state
