"""The one sync→async bridge: a daemon thread that runs a private asyncio loop.

Every MCP session lives on this loop (design.md §3). Blocking callers hand a coroutine over and
wait on an ``Inbox``; while they wait, the coroutine may post small callables back to them
(progress updates, prompts), which run in the caller's thread, so they land in the cell that made
the call. A ``KeyboardInterrupt`` while waiting cancels the task on the loop (the SDK then tells
the server) and waits a moment for that to finish before raising ``Interrupted``.

Nothing here knows about MCP.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from ._inbox import Inbox, caller_inbox, set_caller
from .errors import Interrupted, McpNotebookError

__all__ = ["Inbox", "Runtime", "WrongThread", "caller_inbox"]


T = TypeVar("T")
log = logging.getLogger("mcp_notebook")

# How long an interrupted caller waits for its cancelled task to wind down (the SDK sends
# notifications/cancelled on the way out); a second interrupt stops the wait at once.
CANCEL_GRACE = 2.0


class WrongThread(RuntimeError):
    """A blocking call was made on the loop thread itself, where it could only deadlock."""


class _Job(concurrent.futures.Future[T]):
    """A future whose completion is also posted, as ``finished``, to the caller's inbox."""

    def __init__(self) -> None:
        super().__init__()
        self.task: asyncio.Task[T] | None = None
        self.finished: Callable[[], object] = _noop


def _noop() -> None:
    return None


class Runtime:
    """A private event loop on a daemon thread, started on first use.

    Build one per test if you like; the package shares a single default one
    (``mcp_notebook.api.default_runtime``).
    """

    def __init__(self, name: str = "mcp-notebook-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first access."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            return loop
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._start()
            assert self._loop is not None
            return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                _cancel_remaining(loop)
                loop.close()

        thread = threading.Thread(target=main, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the loop (cancelling whatever still runs on it) and join the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)

    def in_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    # -- handing work over ----------------------------------------------------------------------

    def submit(
        self, coro: Coroutine[Any, Any, T], inbox: Inbox | None = None, *, caller: Inbox | None = None
    ) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the loop; return a future. Cancelling the future cancels the task.

        ``inbox`` is told when it ends; ``caller`` is where the coroutine's posts go (by default,
        the loop it runs on)."""
        job: _Job[T] = _Job()
        if inbox is not None:
            job.finished = _Finished(inbox)
        loop = self.loop
        try:
            loop.call_soon_threadsafe(self._begin, job, coro, caller)
        except RuntimeError:  # the loop closed under us (interpreter shutdown)
            coro.close()
            raise
        return job

    def _begin(self, job: _Job[T], coro: Coroutine[Any, Any, T], caller: Inbox | None = None) -> None:
        # The job stays PENDING until it settles, so ``job.cancel()`` works from any thread at
        # any time; its done-callback forwards the cancellation to the task.
        if job.cancelled():
            coro.close()
            _announce(job)
            return
        if caller is None:
            task = self.loop.create_task(coro)
        else:
            # The task starts in a copy of the context that names its caller's inbox (a task copies
            # the context it is created in), so the coroutine itself needs no wrapper.
            context = contextvars.copy_context()
            context.run(set_caller, caller)
            task = context.run(self.loop.create_task, coro)
        job.task = task
        task.add_done_callback(lambda t: _settle(job, t))
        job.add_done_callback(lambda j: self._cancel_soon(task) if j.cancelled() else None)

    def _cancel_soon(self, task: asyncio.Task[Any]) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(task.cancel)

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        inbox: Inbox | None = None,
        timeout: float | None = None,
        what: str | None = None,
    ) -> T:
        """Run ``coro`` on the loop and block until it ends; interrupt-safe.

        Callables the coroutine posts to ``inbox`` run here, in the caller's thread, while it
        waits. ``timeout`` is a last-resort bound on the wait (the coroutine normally enforces
        its own); when it passes, the task is cancelled and ``TimeoutError`` raised. An
        interrupt cancels the task and raises ``Interrupted`` (a ``KeyboardInterrupt``) naming
        ``what`` was running.
        """
        __tracebackhide__ = True  # IPython leaves this frame out of the tracebacks it shows
        if self.in_loop_thread():
            coro.close()
            raise WrongThread(
                "a blocking mcp_notebook call was made on its own event-loop thread; "
                "use the awaitable variant (await server.acall(...)) inside callbacks"
            )
        inbox = inbox if inbox is not None and inbox._loop is None else Inbox()
        loop = self.loop
        call: _Call[T] = _Call(coro, inbox, loop)
        try:
            loop.call_soon_threadsafe(call.start)
        except RuntimeError:  # the loop closed under us (interpreter shutdown)
            coro.close()
            raise
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        try:
            finished = inbox._pump(call, deadline)
        except KeyboardInterrupt:
            seconds = time.monotonic() - started
            settled = self._abandon(call, inbox)
            raise Interrupted(what, seconds, settled) from None
        if not finished:
            self._abandon(call, inbox)
            raise TimeoutError(f"no answer within {timeout:g} s")
        return call.outcome()

    def _abandon(self, call: _Call[Any], inbox: Inbox) -> bool:
        """Cancel ``call`` and give it a moment to finish its clean-up (a second ^C skips this);
        whether it finished."""
        call.cancel()
        try:
            return inbox._pump(call, time.monotonic() + CANCEL_GRACE)
        except KeyboardInterrupt:
            return False

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` from any event loop (including this runtime's own, where it just awaits);
        what it posts to its caller's inbox runs on the awaiting loop."""
        running = asyncio.get_running_loop()
        if running is self._loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro, caller=Inbox(running)))


class _Call(Generic[T]):
    """One blocking call: its coroutine runs in a task on the loop; the outcome comes back here.

    The hand-off is kept lean because a fast server answers in about 0.5 ms and the sync API and
    the magics pay it on every call: one ``call_soon_threadsafe`` to start, and one
    ``SimpleQueue.put`` of the call itself, from inside the task as soon as the coroutine ends,
    to wake the caller. No ``concurrent.futures.Future`` (a lock and a condition each) and no
    done-callbacks (asyncio runs those one loop iteration later). benchmarks/README.md has the
    figures.
    """

    __slots__ = ("cancelled", "coro", "error", "inbox", "loop", "started", "task", "value")

    def __init__(self, coro: Coroutine[Any, Any, T], inbox: Inbox, loop: asyncio.AbstractEventLoop) -> None:
        self.coro = coro
        self.inbox = inbox
        self.loop = loop
        self.task: asyncio.Task[None] | None = None
        self.cancelled = False
        self.started = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def __call__(self) -> None:  # posted to the inbox as the marker of the end
        return None

    def start(self) -> None:
        """On the loop thread: run the coroutine in a task (unless cancelled before it began)."""
        if self.cancelled:
            self.coro.close()
            self._end(concurrent.futures.CancelledError())
            return
        self.task = self.loop.create_task(self._drive())

    async def _drive(self) -> None:
        self.started = True
        set_caller(self.inbox)  # this task's own context: what it posts goes to the waiting thread
        try:
            self.value = await self.coro
        except asyncio.CancelledError:
            self.error = concurrent.futures.CancelledError()
            raise
        except BaseException as e:
            self.error = e
            if not isinstance(e, Exception):
                raise  # SystemExit and the like end the loop, as they did before this wrapper
        finally:
            self.inbox.post(self)

    def _end(self, error: BaseException) -> None:
        self.error = error
        self.inbox.post(self)

    def cancel(self) -> None:
        """From any thread: cancel the task (the SDK then tells the server)."""
        self.cancelled = True  # set first: a start() that has not run yet sees it
        with contextlib.suppress(RuntimeError):  # the loop is gone: nothing is left to cancel
            self.loop.call_soon_threadsafe(self._cancel_task)

    def _cancel_task(self) -> None:
        task = self.task
        if task is None or task.done():
            return
        if not self.started:
            # Cancelled before its first step, the coroutine never runs, so _drive's finally
            # would not post the end: say it from here once the task is done.
            self.coro.close()
            task.add_done_callback(lambda _task: self._end(concurrent.futures.CancelledError()))
        task.cancel()

    def outcome(self) -> T:
        """The coroutine's value, or its exception raised here (in the caller's thread)."""
        __tracebackhide__ = True
        error = self.error
        if error is not None:
            self.error = None  # no reference cycle through the traceback
            if isinstance(error, McpNotebookError) and error.__suppress_context__:
                # Never shown (the cause is); an exception group there would make IPython print
                # the raw traceback instead of the error's own short one.
                error.__context__ = None
            try:
                raise error
            finally:
                del error
        return self.value  # type: ignore[return-value]


class _Finished:
    """The marker a job posts to its inbox when it completes (also its identity there)."""

    __slots__ = ("inbox",)

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def __call__(self) -> None:
        return None


def _announce(job: _Job[Any]) -> None:
    if isinstance(job.finished, _Finished):
        job.finished.inbox.post(job.finished)


def _settle(job: _Job[T], task: asyncio.Task[T]) -> None:
    if not job.done():
        if task.cancelled():
            job.cancel()
        elif (exc := task.exception()) is not None:
            job.set_exception(exc)
        else:
            job.set_result(task.result())
    _announce(job)


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
