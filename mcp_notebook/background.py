"""Calls that run in the background: ``CallHandle``, what ``Server.submit`` returns.

The kernel stays free while the call runs (the explorer's Run button, long calls from code).
Progress, completion and cancellation are observable from any thread; callbacks registered here
run on the runtime's loop thread, so they must be quick and must not block (updating a widget is
fine, waiting on another call is not).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from .results import ToolResult

__all__ = ["CallHandle"]

ProgressListener = Callable[[float, "float | None", "str | None"], None]


class CallHandle:
    """A tool call in flight: ``done()``, ``cancel()``, ``result()``, ``await handle``."""

    def __init__(self, name: str, arguments: dict[str, Any]) -> None:
        self.name = name
        self.arguments = arguments
        self.started = time.monotonic()
        self.finished: float | None = None
        self.progress: tuple[float, float | None, str | None] | None = None
        """The last progress report: (progress, total, message)."""
        self.future: concurrent.futures.Future[ToolResult] = concurrent.futures.Future()
        self._progress_listeners: list[ProgressListener] = []
        self._lock = threading.Lock()
        self.asker: Any = None
        """Who answers the server's questions during this call (the explorer or the handle's
        widget sets one); with none, questions are declined and the server's log says so."""
        self.task: Any = None
        """When the tool runs as a task: the task as last seen (a ``tasks.TaskState``: its id,
        status and the server's message). Cancelling the call cancels the task on the server."""
        self._task_listeners: list[Callable[[Any], None]] = []

    # -- the server asks (the handle stands in for whoever displays it) -------------------------------

    async def _watcher(self) -> Any:
        # Whoever shows the handle attaches an asker right after submit(); give them a moment.
        for _ in range(20):
            if self.asker is not None:
                return self.asker
            await asyncio.sleep(0.01)
        raise LookupError("no one is watching this background call")

    async def elicit(self, ask: Any) -> Any:
        """Answer a server's question through whoever shows this handle (the asker protocol)."""
        return await (await self._watcher()).elicit(ask)

    async def sample(self, server: str, params: Any) -> Any:
        """Answer a sampling request through whoever shows this handle (the asker protocol)."""
        return await (await self._watcher()).sample(server, params)

    def _ipython_display_(self) -> None:
        # A live view: progress and Cancel while it runs, the server's questions as forms, then
        # the result in the same place.
        from IPython.display import display

        from .views.handle import HandleView

        display(HandleView(self))  # type: ignore[no-untyped-call]

    # -- wiring (the API side) -----------------------------------------------------------------------

    def _attach(self, future: concurrent.futures.Future[ToolResult]) -> None:
        def settle(done: concurrent.futures.Future[ToolResult]) -> None:
            self.finished = time.monotonic()
            if done.cancelled():
                self.future.cancel()
            elif (exc := done.exception()) is not None:
                self.future.set_exception(exc)
            else:
                self.future.set_result(done.result())

        # Cancelling this handle's future cancels the running request (the server is told).
        self.future.add_done_callback(lambda f: future.cancel() if f.cancelled() else None)
        future.add_done_callback(settle)

    def _report(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress = (progress, total, message)
        with self._lock:
            listeners = list(self._progress_listeners)
        for listener in listeners:
            try:
                listener(progress, total, message)
            except Exception:  # a listener's bug must not break the call
                import logging

                logging.getLogger("mcp_notebook").exception("mcp_notebook: a progress listener failed")

    # -- the user's side -------------------------------------------------------------------------------

    def task_update(self, state: Any) -> None:
        """Called on the loop thread with each state of the task this call runs as."""
        self.task = state
        with self._lock:
            listeners = list(self._task_listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:  # a listener's bug must not break the call
                import logging

                logging.getLogger("mcp_notebook").exception("mcp_notebook: a task listener failed")

    def on_task(self, listener: Callable[[Any], None]) -> None:
        """Call ``listener(state)`` with each state of the task, if the tool runs as one (on the loop thread)."""
        with self._lock:
            self._task_listeners.append(listener)

    def on_progress(self, listener: ProgressListener) -> None:
        """Call ``listener(progress, total, message)`` for each progress report (on the loop thread)."""
        with self._lock:
            self._progress_listeners.append(listener)

    def add_done_callback(self, fn: Callable[[CallHandle], object]) -> None:
        """Call ``fn(handle)`` once the call ends, however it ends (at once if it already has)."""
        self.future.add_done_callback(lambda _f: fn(self))

    def done(self) -> bool:
        """Whether the call has ended (however it ended)."""
        return self.future.done()

    def cancelled(self) -> bool:
        """Whether the call was cancelled."""
        return self.future.cancelled()

    def cancel(self) -> bool:
        """Cancel the call (the server is told); False if it had already ended."""
        return self.future.cancel()

    def result(self, timeout: float | None = None) -> ToolResult:
        """Wait for the result (raises what the call raised, or ``CancelledError``)."""
        return self.future.result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """What the call raised, once it has ended (None if it succeeded)."""
        return self.future.exception(timeout)

    @property
    def elapsed(self) -> float:
        """Seconds since the call started (until it ended, once it has)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def state(self) -> str:
        if not self.future.done():
            return "running"
        if self.future.cancelled():
            return "cancelled"
        if self.future.exception() is not None:
            return "failed"
        return "error" if self.future.result().is_error else "done"

    def __await__(self) -> Generator[Any, None, ToolResult]:
        return asyncio.wrap_future(self.future).__await__()

    def __repr__(self) -> str:
        return f"<CallHandle {self.name} {self.state} {self.elapsed:.1f} s>"
