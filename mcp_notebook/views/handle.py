"""A background call's live view: progress, Cancel, the server's questions, then the result in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import ipywidgets as w

from ..render import MUTED, esc
from .answers import WidgetAsker
from .layout import button_layout, show_in, task_words

__all__ = ["HandleView", "Shown"]


class Shown(Protocol):
    """What the view needs of a background call (``background.CallHandle`` is one)."""

    name: str
    asker: Any

    @property
    def state(self) -> str: ...

    @property
    def elapsed(self) -> float: ...

    def cancel(self) -> bool: ...

    def on_progress(self, listener: Callable[[float, float | None, str | None], None]) -> None: ...

    def on_task(self, listener: Callable[[Any], None]) -> None: ...

    def add_done_callback(self, fn: Callable[[Any], object]) -> None: ...

    def result(self, timeout: float | None = None) -> Any: ...

    def exception(self, timeout: float | None = None) -> BaseException | None: ...


class HandleView(w.VBox):  # type: ignore[misc]
    """What a ``CallHandle`` shows when displayed (``%mcp call --background ...``)."""

    def __init__(self, handle: Shown) -> None:
        self.handle = handle
        self.progress = w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="14em"))
        self.progress.add_class("mcpnb-progress")
        self.status = w.HTML(f"<span style='{MUTED}'>⏳ {esc(handle.name)} running…</span>")
        self.status.add_class("mcpnb-status")
        self.cancel = w.Button(description="Cancel", icon="stop", layout=button_layout())
        self.cancel.add_class("mcpnb-cancel")
        self.questions = w.VBox()
        self.result = w.Output()
        self.result.add_class("mcpnb-result-area")
        super().__init__([w.HBox([self.progress, self.cancel, self.status]), self.questions, self.result])
        self.add_class("mcpnb-handle")
        if handle.asker is None:
            handle.asker = WidgetAsker(self.questions)
        self.cancel.on_click(lambda _b: handle.cancel())
        handle.on_progress(self._on_progress)
        handle.on_task(self._on_task)
        handle.add_done_callback(self._on_done)

    def _on_progress(self, value: float, total: float | None, message: str | None) -> None:
        if total:
            self.progress.max, self.progress.value = total, min(value, total)
        shown = f"{value:g}/{total:g}" if total else f"{value:g}"
        note = f" — {esc(message)}" if message else ""
        self.status.value = f"<span style='{MUTED}'>⏳ {esc(self.handle.name)} {shown}{note}</span>"

    def _on_task(self, state: Any) -> None:
        self.status.value = f"<span style='{MUTED}'>{esc(self.handle.name)} · {esc(task_words(state))}</span>"

    def _on_done(self, handle: Shown) -> None:
        self.cancel.layout.display = "none"
        self.progress.layout.display = "none"
        self.questions.children = ()
        state = handle.state
        if state == "cancelled":
            self.status.value = (
                f"<span style='{MUTED}'>{esc(handle.name)} cancelled after {handle.elapsed:.1f} s</span>"
            )
            return
        if state == "failed":
            error = handle.exception()
            self.status.value = f"<span style='color:#d9534f'>⚠ {esc(str(error))}</span>"
            return
        self.status.value = ""
        show_in(self.result, handle.result())
