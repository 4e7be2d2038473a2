"""Small pieces every view shares: a button that keeps its label, and showing a result in an
``Output`` widget the way a cell shows it."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

__all__ = ["button_layout", "show_in", "task_words"]


def show_in(output: w.Output, obj: Any) -> None:
    """Append ``obj`` to an Output widget as the cell would show it: a result whose pictures or
    Markdown go out as outputs of their own (``display_parts``) appends each of them."""
    parts = getattr(obj, "display_parts", None)
    if callable(parts):
        output.outputs += tuple({"output_type": "display_data", "data": b, "metadata": {}} for b in parts())
    else:
        output.append_display_data(obj)


def button_layout(min_width: str = "6.5em") -> w.Layout:
    """A button's layout in a row: its own width, never shrunk by its neighbours to "Can…"."""
    return w.Layout(width="auto", min_width=min_width, flex="0 0 auto")


def task_words(state: Any) -> str:
    """A running task in a few words: ``⏳ task ID: working — the server's message``."""
    status = str(getattr(state, "status", "")).replace("_", " ")
    message = getattr(state, "message", None)
    note = f" — {message}" if message else ""
    return f"⏳ task {getattr(state, 'task_id', '?')}: {status}{note}"
