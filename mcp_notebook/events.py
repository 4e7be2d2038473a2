"""Event hooks for code that builds on top: ``hub.on("tool_called", fn)`` / ``mn.on(...)``.

Events and what the callback gets (keyword arguments):

- ``connected`` — server; ``disconnected`` — server, reason (``"closed"`` or why it died)
- ``tool_called`` — server, tool, arguments, status (``ok``, ``tool error``, ``failed``), seconds,
  and ``result`` (the SDK's ``CallToolResult``) unless it failed
- ``resource_read`` — server, uri, seconds, result; ``error`` — server, what, error
- ``prompt_got`` — server, prompt, arguments, status (``ok`` or ``failed``), seconds, and
  ``result`` (the SDK's ``GetPromptResult``) unless it failed
- ``progress`` — server, tool, progress, total, message; ``log`` — server, level, text
- ``list_changed`` — server, kind (``tools``, ``prompts`` or ``resources``)

Callbacks may run on the loop thread: keep them quick, and never block on a call there. An error in a
callback is logged, never raised into the call that emitted the event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["EVENTS", "Events"]

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
)
log = logging.getLogger("mcp_notebook")


class Events:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._lock = threading.Lock()

    def on(self, event: str, fn: Callable[..., Any]) -> Callable[[], None]:
        """Call ``fn(**details)`` on each ``event``; returns a function that undoes this."""
        if event not in EVENTS:
            from .errors import UsageProblem, did_you_mean

            raise UsageProblem(f"no event {event!r}{did_you_mean(event, EVENTS)}; events: {', '.join(EVENTS)}")
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
