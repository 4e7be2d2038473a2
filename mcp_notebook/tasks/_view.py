"""A task's live line in the cell that waits for it: status, the server's message, progress, elapsed.

Updates come from the loop thread and are drawn in the waiting thread (its inbox), so they land in
the calling cell. In Jupyter the line is one display, updated in place (a saved notebook keeps its
last state); elsewhere (a terminal, a script) each change is one line on stderr.

While a cell blocks the kernel reads no widget clicks, so the way to stop waiting is the kernel's
interrupt, which detaches (the task keeps running); the line says so. Cancelling is
``%mcp task SERVER ID --cancel`` (``handle.cancel()``), or the Cancel button of a background view.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..render import MUTED, esc
from ..results import mimebundle
from ._state import TaskState

__all__ = ["TaskView", "status_line"]

_MARKS = {"working": "⏳", "input_required": "❓", "completed": "✓", "failed": "✗", "cancelled": "■", "detached": "⏸"}


def status_line(
    label: str,
    task_id: str,
    status: str,
    message: str | None,
    seconds: float | None,
    progress: tuple[float, float | None] | None = None,
    hint: str = "",
) -> str:
    """One line about a task, as text (escape it for HTML)."""
    parts = [f"{_MARKS.get(status, '·')} {label}", f"task {task_id}"]
    parts.append(f"{status.replace('_', ' ')}: {message}" if message else status.replace("_", " "))
    if progress is not None:
        value, total = progress
        parts.append(f"{value:g}/{total:g}" if total else f"{value:g}")
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    if hint:
        parts.append(hint)
    return " · ".join(parts)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the package
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class TaskView:
    """The live line of one waited-for task (``state``/``progress``/``end`` from any thread)."""

    def __init__(self, inbox: Any, label: str) -> None:
        self._inbox = inbox
        self.label = label
        self.started = time.monotonic()
        self.task_id = ""
        self.status = "working"
        self.message: str | None = None
        self.progress: tuple[float, float | None] | None = None
        self.ended: float | None = None
        self.hint = "interrupt to detach (the task keeps running)"
        self._handle: Any = None
        self._last_printed = ""

    # -- from the loop thread ---------------------------------------------------------------------------

    def state(self, state: TaskState) -> None:
        self.task_id, self.status, self.message = state.task_id, state.status, state.message
        self._inbox.post(self._draw)

    def report(self, value: float, total: float | None, message: str | None) -> None:
        self.progress = (value, total)
        self._inbox.post(self._draw)

    def end(self, status: str, note: str = "") -> None:
        """The wait is over (``status``: how the task ended, or ``detached``)."""
        self.status, self.ended, self.hint = status, time.monotonic(), note
        self._inbox.post(self._draw)

    # -- in the waiting thread ----------------------------------------------------------------------------

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def text(self) -> str:
        hint = self.hint if self.ended is None or self.hint else ""
        return status_line(self.label, self.task_id, self.status, self.message, self.seconds, self.progress, hint)

    def _draw(self) -> None:
        if not self.task_id:
            return
        if _in_kernel():
            from IPython.display import display

            show: Callable[..., Any] = display  # IPython's display is untyped
            if self._handle is None:
                self._handle = show(self, display_id=True)
            else:
                self._handle.update(self)
            return
        text = status_line(self.label, self.task_id, self.status, self.message, None, self.progress)
        if text != self._last_printed:  # a terminal gets each change once, not every look
            self._last_printed = text
            print(text, file=sys.stderr)

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        text = self.text()
        html = f'<div class="mcpnb-task" style="{MUTED}">{esc(text)}</div>'
        return mimebundle({"text/plain": text, "text/html": html}, include, exclude)
