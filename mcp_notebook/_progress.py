"""Progress bars, drawn in the thread (and so the cell) that made the call.

Progress notifications arrive on the loop thread; ``ProgressBar.report`` posts each to the
caller's inbox, and the bar (``tqdm.auto``: a widget in Jupyter, text in a terminal) is created
and updated over there, lazily, only if the server reports progress at all.

In Jupyter the widget is displayed under a display id, and closing the bar replaces it with the
bar's last state as text: a saved notebook (jupyter execute, papermill, nbconvert) holds no widget
state, only that text, which would otherwise be the bar's first state (``0%``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._inbox import Inbox

__all__ = ["Bar", "ProgressBar", "whole"]


def whole(value: float | None) -> float | None:
    """``3.0`` as ``3``: servers send progress as JSON numbers, which arrive as floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Bar:
    """A tqdm bar (call in the caller's thread only) whose end state is what a saved notebook shows."""

    def __init__(self, label: str, total: float | None, **options: Any) -> None:
        from tqdm.auto import tqdm

        self._handle: Any = None
        if _is_widget_tqdm(tqdm):
            from IPython.display import display

            show: Callable[..., Any] = display  # IPython's display is untyped
            self.tqdm = tqdm(total=whole(total), desc=label, leave=False, display=False, **options)
            self._handle = show(self.tqdm.container, display_id=True)
        else:
            self.tqdm = tqdm(total=whole(total), desc=label, leave=False, **options)

    def show(self, n: float, total: float | None = None, postfix: str | None = None) -> None:
        bar = self.tqdm
        if total is not None and bar.total != whole(total):
            bar.total = whole(total)
            if self._handle is not None:  # the widget's own maximum was set from the first total
                bar.container.children[1].max = bar.total
        bar.n = whole(n)
        if postfix:
            bar.set_postfix_str(postfix, refresh=False)
        bar.refresh()

    def close(self) -> None:
        last = str(self.tqdm) if self._handle is not None else None
        self.tqdm.close()
        if self._handle is not None and last is not None:
            self._handle.update({"text/plain": last}, raw=True)


def _is_widget_tqdm(cls: type) -> bool:
    return any(base.__module__ == "tqdm.notebook" for base in cls.__mro__)


class ProgressBar:
    """One call's bar: reports come from the loop thread, drawing happens in the caller's."""

    def __init__(self, inbox: Inbox, label: str) -> None:
        self._inbox = inbox
        self._label = label
        self._bar: Bar | None = None
        self.reported = False
        """Whether the server reported any progress (only then is there a bar to close)."""

    def report(self, value: float, total: float | None, message: str | None) -> None:
        """Called on the loop thread for each progress notification."""
        self.reported = True
        self._inbox.post(lambda: self._draw(value, total, message))

    def _draw(self, value: float, total: float | None, message: str | None) -> None:
        if self._bar is None:
            self._bar = Bar(
                self._label,
                total,
                dynamic_ncols=True,
                # Progress values are the server's own units, so a rate in "it/s" would mislead.
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
                if total
                else "{desc}: {n_fmt} [{elapsed}{postfix}]",
            )
        self._bar.show(value, total, message[:80] if message else None)

    def close(self) -> None:
        """Called in the caller's thread once the call is over."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
