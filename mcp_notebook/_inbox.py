"""Where a task running on the loop posts work for whoever waits on it: the ``Inbox``.

A blocking caller (a cell) runs what is posted in its own thread while it waits, so a progress
bar or a question lands in the cell that made the call; an awaiting caller gets it scheduled on
its own loop. ``caller_inbox()`` finds the inbox of the running task's caller: the runtime sets it
when it starts the task, and tasks the task creates inherit it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import queue
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Inbox", "caller_inbox", "set_caller"]

T = TypeVar("T")
log = logging.getLogger("mcp_notebook")

_CALLER: contextvars.ContextVar[Inbox | None] = contextvars.ContextVar("mcp_notebook_caller", default=None)


def caller_inbox() -> Inbox:
    """The inbox of whoever is waiting for the running task: a blocking caller's thread, or an
    awaiting caller's loop. Set by the runtime when it starts the task (tasks the task creates
    inherit it); a task started without one (``submit``) posts to the loop it runs on."""
    inbox = _CALLER.get()
    if inbox is None:
        inbox = Inbox(asyncio.get_running_loop())
        _CALLER.set(inbox)
    return inbox


class Inbox:
    """Where a running task posts work for the thread that waits on it.

    ``post`` may be called from any thread. A blocking caller runs the posted callables in
    ``pump``; an asyncio caller gets them scheduled on its own loop.
    """

    __slots__ = ("_loop", "_queue")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()

    @classmethod
    def for_async_caller(cls) -> Inbox:
        """An inbox that delivers to the asyncio loop running in the calling thread."""
        return cls(asyncio.get_running_loop())

    def post(self, fn: Callable[[], object]) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is listening
                self._loop.call_soon_threadsafe(_call_quietly, fn)
        else:
            self._queue.put(fn)

    def _pump(self, finished: object, deadline: float | None) -> bool:
        """Run posted callables until ``finished`` is posted; False if ``deadline`` passed first."""
        get = self._queue.get
        while True:
            if deadline is None:
                item = get()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    item = get(timeout=remaining)
                except queue.Empty:
                    return False
            if item is finished:
                return True
            _call_quietly(item)


def _call_quietly(fn: Callable[[], object]) -> None:
    # Posted work is display plumbing (a progress bar, a log line); its failure must not lose the
    # call's result, so it is logged instead of raised.
    try:
        fn()
    except Exception:
        log.exception("mcp_notebook: a display update failed")


def set_caller(inbox: Inbox) -> None:
    """Make ``inbox`` the caller's inbox of the running task (and of the tasks it creates)."""
    _CALLER.set(inbox)
