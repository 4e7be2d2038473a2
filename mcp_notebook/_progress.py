"""A progress bar for one call, drawn in the thread (and so the cell) that made the call.

Progress notifications arrive on the loop thread; ``ProgressBar.report`` posts each to the
caller's inbox, and the bar (``tqdm.auto``: a widget in Jupyter, text in a terminal) is created
and updated over there, lazily, only if the server reports progress at all.
"""

from __future__ import annotations

from typing import Any

from ._runtime import Inbox

__all__ = ["ProgressBar"]


class ProgressBar:
    def __init__(self, inbox: Inbox, label: str) -> None:
        self._inbox = inbox
        self._label = label
        self._bar: Any = None
        self.reported = False
        """Whether the server reported any progress (only then is there a bar to close)."""

    def report(self, value: float, total: float | None, message: str | None) -> None:
        """Called on the loop thread for each progress notification."""
        self.reported = True
        self._inbox.post(lambda: self._draw(value, total, message))

    def _draw(self, value: float, total: float | None, message: str | None) -> None:
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                desc=self._label,
                leave=False,
                dynamic_ncols=True,
                # Progress values are the server's own units, so a rate in "it/s" would mislead.
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
                if total
                else "{desc}: {n_fmt} [{elapsed}{postfix}]",
            )
        bar = self._bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = value
        if message:
            bar.set_postfix_str(message[:80], refresh=False)
        bar.refresh()

    def close(self) -> None:
        """Called in the caller's thread once the call is over."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
