"""Event hooks for code that builds on top: ``hub.on("tool_called", fn)`` / ``mn.on(...)``.

Events and what the callback gets (keyword arguments):

- ``connected`` — server; ``disconnected`` — server, reason (``"closed"`` or why it died)
- ``tool_called`` — server, tool, arguments, status (``ok``, ``tool error``, ``failed``,
  ``cancelled``, ``timeout``, ``detached``, ``started``), seconds, ``result`` (the SDK's
  ``CallToolResult``) when it ended with one, and ``task`` (its id) when the tool ran as a task
- ``resource_read`` — server, uri, status (``ok``, ``failed``, ``cancelled``, ``timeout``), seconds,
  and ``result`` when it is ``ok``; ``error`` — server, what, error (failures and timeouts, not
  cancels: those are the user's doing)
- ``prompt_got`` — server, prompt, arguments, status (as for reads), seconds, and ``result``
  (the SDK's ``GetPromptResult``) when it is ``ok``
- ``progress`` — server, tool, progress, total, message; ``log`` — server, level, text
- ``list_changed`` — server, kind (``tools``, ``prompts`` or ``resources``)
- ``app`` — server, tool, kind, data, app (the ``AppView``): an MCP App shown in a cell
  (``mcp_notebook.apps``) ``opened``; sent a ``message`` (data: role, content, text) or a
  ``context`` update (data: context); logged a line (``log``: level, logger, data); had a ``link``
  opened (url) or a ``download`` saved (paths) after the user agreed; had a request ``refused``
  (method, why); was ``closed`` (reason)

Every call that was started emits its event once, however it ended: an interrupt or a
``cancel()`` gives ``cancelled``, a timeout ``timeout`` (``ended_status`` says which).

Callbacks may run on the loop thread: keep them quick, and never block on a call there. An error in a
callback is logged, never raised into the call that emitted the event.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["CANCELLED", "DETACHED", "EVENTS", "FAILED", "TIMEOUT", "Events", "ended_status"]

EVENTS = (
    "connected",
    "disconnected",
    "tool_called",
    "resource_read",
    "prompt_got",
    "error",
    "progress",
    "log",
    "list_changed",
    "app",
)
log = logging.getLogger("mcp_notebook")
FAILED, CANCELLED, TIMEOUT = "failed", "cancelled", "timeout"
DETACHED = "detached"
"""A call that ran as a task the user stopped waiting for: the task keeps running on the server."""


def ended_status(error: BaseException) -> str:
    """The status of a call that ended with ``error``: ``cancelled``, ``timeout``, ``failed`` (or what
    the error says it is: ``detached`` for a task left running)."""
    from .errors import CallTimeout

    own = getattr(error, "call_status", None)
    if isinstance(own, str):
        return own

    if isinstance(error, asyncio.CancelledError):
        return CANCELLED
    if isinstance(error, CallTimeout):
        return TIMEOUT
    return FAILED


class Events:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._lock = threading.Lock()

    def on(self, event: str, fn: Callable[..., Any]) -> Callable[[], None]:
        """Call ``fn(**details)`` on each ``event``; returns a function that undoes this."""
        if event not in EVENTS:
            from .errors import UsageProblem, did_you_mean

            raise UsageProblem(f"no event {event!r}{did_you_mean(event, EVENTS, 'events: ' + ', '.join(EVENTS))}")
        with self._lock:
            self._listeners.setdefault(event, []).append(fn)

        def off() -> None:
            with self._lock:
                if fn in self._listeners.get(event, []):
                    self._listeners[event].remove(fn)

        return off

    def emit(self, event: str, **details: Any) -> None:
        with self._lock:
            listeners = list(self._listeners.get(event, ()))
        for fn in listeners:
            try:
                fn(**details)
            except Exception:
                log.exception("mcp_notebook: a %r event listener failed", event)

    def __bool__(self) -> bool:
        return any(self._listeners.values())
