"""What every explorer panel shares: error display, background work, code boxes, history.

Widget callbacks run in the kernel's main thread and must never block it: they start work with
``Hub.background`` / ``Server.submit`` and update widgets from done-callbacks, which run on the
loop thread. Any exception in either place is shown in the panel's error line instead of being
lost or breaking the explorer.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import ipywidgets as w

from ..render import MUTED, esc

__all__ = ["CodeBox", "History", "Panel", "button_layout", "show_in", "task_words"]

T = TypeVar("T")
log = logging.getLogger("mcp_notebook")


class Panel:
    """A tab of the explorer: a root ``widget``, an error line, and guarded callbacks."""

    widget: w.Widget

    def __init__(self) -> None:
        self.error = w.HTML(layout=w.Layout(display="none"))
        self.error.add_class("mcpnb-error")
        self.busy = threading.Event()  # set while work started here is running (tests wait on it)
        self.idle = threading.Event()
        self.idle.set()

    def show_error(self, message: str | None) -> None:
        self.error.value = f"<div style='color:#d9534f'>⚠ {esc(message)}</div>" if message else ""
        self.error.layout.display = "" if message else "none"

    def guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback so that its failure shows in the panel instead of vanishing."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # a callback must never break the explorer
                log.debug("explorer callback failed", exc_info=True)
                self.show_error(_one_line(e))
                return None

        return wrapper

    def later(self, future: concurrent.futures.Future[T], done: Callable[[T], None]) -> None:
        """Call ``done(result)`` when ``future`` ends well, or show its error; tracks ``idle``."""
        self.idle.clear()

        def finish(f: concurrent.futures.Future[T]) -> None:
            try:
                if f.cancelled():
                    return
                exc = f.exception()
                if exc is not None:
                    self.show_error(_one_line(exc))
                    return
                self.guard(done)(f.result())
            finally:
                self.idle.set()

        future.add_done_callback(finish)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until background work started here has finished (for tests and scripts)."""
        return self.idle.wait(timeout)


def show_in(output: w.Output, obj: Any) -> None:
    """Append ``obj`` to an Output widget as the cell would show it: a result whose pictures or
    Markdown go out as outputs of their own (``display_parts``) appends each of them."""
    parts = getattr(obj, "display_parts", None)
    if callable(parts):
        output.outputs += tuple({"output_type": "display_data", "data": b, "metadata": {}} for b in parts())
    else:
        output.append_display_data(obj)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) < 400 else text[:399] + "…"


def task_words(state: Any) -> str:
    """A running task in a few words: ``⏳ task ID: working — the server's message``."""
    status = str(getattr(state, "status", "")).replace("_", " ")
    message = getattr(state, "message", None)
    note = f" — {message}" if message else ""
    return f"⏳ task {getattr(state, 'task_id', '?')}: {status}{note}"


def button_layout(min_width: str = "6.5em") -> w.Layout:
    """A button's layout in a row: its own width, never shrunk by its neighbours to "Can…"."""
    return w.Layout(width="auto", min_width=min_width, flex="0 0 auto")


class CodeBox:
    """The "copy as code" area: the %mcp form and the Python form, and an insert button."""

    def __init__(self) -> None:
        self.text = w.Textarea(layout=w.Layout(width="98%", height="9em"))
        self.text.add_class("mcpnb-code")
        self.insert = w.Button(
            description="Insert as next cell", icon="plus", tooltip="set_next_input", layout=w.Layout(width="auto")
        )
        self.insert.add_class("mcpnb-insert")
        self.note = w.HTML()
        self.magic = ""
        self.python = ""
        self.widget = w.VBox([self.text, w.HBox([self.insert, self.note])], layout=w.Layout(display="none"))
        self.insert.on_click(lambda _b: self._insert())
        if os.environ.get("VOILA_KERNEL_ID"):
            # Voilà sets this in the kernels it starts: a dashboard has no cells to insert into.
            self.insert.layout.display = "none"

    def show(self, magic: str, python: str) -> None:
        self.magic, self.python = magic, python
        self.text.value = f"{magic}\n\n# or, in Python:\n{python}"
        self.widget.layout.display = ""
        self.note.value = ""

    def _insert(self) -> None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            self.note.value = f"<span style='{MUTED}'>no IPython here; copy the code from the box</span>"
            return
        shell.set_next_input(self.magic, replace=False)
        # Jupyter adds the cell when the kernel next replies to an execution, so it appears under
        # the next cell run; the box above always has the code to copy.
        self.note.value = (
            f"<span style='{MUTED}'>it appears below the next cell you run (or copy it from the box)</span>"
        )


@dataclass(frozen=True)
class Entry:
    when: float
    what: str
    status: str
    seconds: float | None


class History:
    """The explorer's own calls, newest first, bounded."""

    def __init__(self, limit: int = 200) -> None:
        self.entries: deque[Entry] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, what: str, status: str, seconds: float | None) -> None:
        with self._lock:
            self.entries.appendleft(Entry(time.time(), what, status, seconds))

    def html(self) -> str:
        with self._lock:
            rows = list(self.entries)
        if not rows:
            return f"<div style='{MUTED}'>no calls from this explorer yet</div>"
        body = "".join(
            f"<tr><td>{time.strftime('%H:%M:%S', time.localtime(e.when))}</td><td>{esc(e.what)}</td>"
            f"<td>{esc(e.status)}</td><td>{'' if e.seconds is None else f'{e.seconds * 1000:.0f} ms'}</td></tr>"
            for e in rows
        )
        return (
            "<table><thead><tr><th>time</th><th>call</th><th>status</th><th>duration</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
