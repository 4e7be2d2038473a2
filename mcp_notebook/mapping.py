"""Map a tool over the rows of a DataFrame (or a list of dicts): ``server.map(tool, rows, args)``.

Arguments come from columns (``"@column"``, or a column named like the argument) or are
constants; calls run on the loop, at most ``concurrency`` at a time (by default several only for
tools marked read-only: servers that rewrite a file per write lose overlapping writes while
answering success) and at most ``rate`` a second; a progress bar is drawn in the caller's thread. The result is a DataFrame on the input's index: the result's fields as columns
(typed by the tool's output schema), then ``status`` (ok, tool error, failed, cancelled),
``error`` and ``duration_ms``. A failing row never sinks the others; transport failures (not tool
errors) are retried per row when asked; an interrupt keeps the rows already finished.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from . import schema_frames, type_names
from ._inbox import Inbox, caller_inbox
from ._map_plan import check_options, choose_concurrency, plan_arguments, with_input
from .errors import CallTimeout, McpNotebookError, TransportFailed

if TYPE_CHECKING:
    import pandas as pd

    from .results import ToolResult

__all__ = [
    "CANCELLED",
    "FAILED",
    "META",
    "OK",
    "TOOL_ERROR",
    "WORKER_SEPARATOR",
    "MapRun",
    "Mappable",
    "Outcome",
    "Pacer",
    "check_options",
    "choose_concurrency",
    "plan_arguments",
    "with_input",
]

OK, TOOL_ERROR, FAILED, CANCELLED = "ok", "tool error", "failed", "cancelled"
META = ("status", "error", "duration_ms")
RETRYABLE = (TransportFailed, CallTimeout)  # ServerDied is a TransportFailed
WORKER_SEPARATOR = "~"  # worker connections are NAME~1, NAME~2, …: no user can type that name


class Mappable(Protocol):
    """What a map needs of a server: its public face (``Server`` is one)."""

    name: str

    @property
    def state(self) -> str: ...

    async def acall(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
    ) -> ToolResult: ...

    async def areconnect(self) -> Any: ...


Workers = Callable[[int], Awaitable[tuple[Sequence[Mappable], Callable[[], Awaitable[None]]]]]
"""Opens ``n`` more connections to the same server (``NAME~1`` …): them, and what closes them again."""


@dataclasses.dataclass(slots=True)
class Outcome:
    """How one row ended: its status, the result's fields (flattened), an error text, the time."""

    status: str
    values: dict[str, Any] | None
    error: str | None
    seconds: float | None


# -- one run ------------------------------------------------------------------------------------------


class MapRun:
    """The state of one map: an outcome slot per row, filled on the loop, read by the caller."""

    def __init__(
        self,
        server: Mappable,
        tool: str,
        rows: list[dict[str, Any]],
        workers: Workers | None = None,
    ) -> None:
        self.server = server
        self.open_workers = workers
        self.started = False
        """Whether ``run`` began (an interrupt before that keeps nothing)."""
        self.tool = tool
        self.rows = rows
        self.outcomes: list[Outcome | None] = [None] * len(rows)
        self.finished = 0
        self.failed = 0
        self.bar: _RowsBar | None = None
        self._revive_locks: dict[str, asyncio.Lock] = {}
        self._revive_failed: dict[str, McpNotebookError] = {}

    async def run(
        self,
        *,
        concurrency: int,
        rate: float | None,
        retries: int,
        workers: int,
        timeout: float | None,
        validate: bool,
        progress: bool,
    ) -> None:
        self.started = True
        inbox = caller_inbox()  # the caller's thread draws the bar
        bar = self.bar = _RowsBar(inbox, f"{self.server.name}.{self.tool}", len(self.rows))
        servers: list[Mappable] = [self.server]
        close_workers = None
        if workers > 1 and self.rows and self.open_workers is not None:
            more, close_workers = await self.open_workers(workers - 1)
            servers += more
        pacer = Pacer(rate)
        pending: Iterator[int] = iter(range(len(self.rows)))
        show = progress and bool(self.rows)

        async def worker(server: Mappable) -> None:
            for i in pending:  # one shared iterator: each row is taken by exactly one worker
                outcome = await self._row(server, self.rows[i], pacer, retries, timeout, validate)
                self.outcomes[i] = outcome
                self.finished += 1
                if outcome.status != OK:
                    self.failed += 1
                if show:
                    bar.tick(self.finished, self.failed)

        tasks = [
            asyncio.get_running_loop().create_task(worker(servers[j % len(servers)]))
            for j in range(min(concurrency, len(self.rows)))
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if close_workers is not None:
                await close_workers()
            if show:
                inbox.post(bar.close)

    async def _row(
        self,
        server: Mappable,
        arguments: dict[str, Any],
        pacer: Pacer,
        retries: int,
        timeout: float | None,
        validate: bool,
    ) -> Outcome:
        started = time.perf_counter()
        attempt = 0
        while True:
            await pacer.wait()
            try:
                result = await server.acall(self.tool, arguments, timeout=timeout, progress=False, validate=validate)
            except RETRYABLE as e:
                if attempt >= retries:
                    return Outcome(FAILED, None, str(e), time.perf_counter() - started)
                attempt += 1
                try:
                    if server.state == "dead":
                        await self._revive(server)
                except McpNotebookError as again:
                    return Outcome(FAILED, None, str(again), time.perf_counter() - started)
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
                continue
            except McpNotebookError as e:
                return Outcome(FAILED, None, str(e), time.perf_counter() - started)
            except Exception as e:  # one row's surprise must not sink the others
                return Outcome(FAILED, None, f"{type(e).__name__}: {e}", time.perf_counter() - started)
            seconds = time.perf_counter() - started
            if result.is_error:
                return Outcome(TOOL_ERROR, None, result.text or "(no message)", seconds)
            return Outcome(OK, row_values(result), None, seconds)

    async def _revive(self, server: Mappable) -> None:
        """Reconnect a dead server once, however many rows saw it die."""
        name = server.name
        if name in self._revive_failed:
            raise self._revive_failed[name]
        lock = self._revive_locks.setdefault(name, asyncio.Lock())
        async with lock:
            if server.state != "dead":
                return  # another row brought it back already
            try:
                await server.areconnect()
            except McpNotebookError as e:
                self._revive_failed[name] = e
                raise

    def close_bar(self) -> None:
        """In the caller's thread, after an interrupt: the bar's own close may not have come yet."""
        if self.bar is not None:
            self.bar.close()

    def note(self) -> str | None:
        """One line saying how many rows an interrupt left unfinished, or None when all finished."""
        missing = sum(1 for o in self.outcomes if o is None)
        if not missing:
            return None
        done = len(self.outcomes) - missing
        return (
            f"interrupted: kept the {done} of {len(self.outcomes)} rows that finished; "
            f"the other {missing} have status 'cancelled'"
        )

    def to_frame(self, index: Any, output_schema: Mapping[str, Any] | None) -> pd.DataFrame:
        """The result table on ``index``: the result's fields, then status, error, duration_ms."""
        import pandas as pd

        outcomes = self.outcomes
        records = [o.values or {} if o is not None else {} for o in outcomes]
        frame = pd.DataFrame.from_records(records, index=index) if records else pd.DataFrame(index=index)
        frame = type_names.apply_types(frame, schema_frames.column_types(output_schema))
        frame["status"] = pd.array([o.status if o is not None else CANCELLED for o in outcomes], dtype="string")
        frame["error"] = pd.array([o.error if o is not None else None for o in outcomes], dtype="string")
        frame["duration_ms"] = [
            round(o.seconds * 1000, 3) if o is not None and o.seconds is not None else math.nan for o in outcomes
        ]
        note = self.note()
        if note:
            frame.attrs["note"] = note
        return frame


def row_values(result: ToolResult) -> dict[str, Any]:
    """A result's fields for its row: structured content flattened (``a.b``), or ``result``."""
    data = result.data
    if data is None:
        return {"result": result.text}
    if isinstance(data, Mapping):
        if len(data) == 1 and "result" in data:
            return {"result": data["result"]}
        flat = schema_frames.flatten(data)
        return {(f"result.{k}" if k in META else k): v for k, v in flat.items()}
    return {"result": data}


# -- helpers that run on the loop ------------------------------------------------------------------------


class Pacer:
    """At most ``rate`` calls a second, spaced evenly, across every worker of one map."""

    def __init__(self, rate: float | None) -> None:
        self.gap = 1.0 / rate if rate else 0.0
        self.next = 0.0

    async def wait(self) -> None:
        if not self.gap:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self.next)
        self.next = slot + self.gap
        if slot > now:
            await asyncio.sleep(slot - now)


class _RowsBar:
    """A rows-done bar drawn in the caller's thread; the loop posts at most one pending redraw."""

    def __init__(self, inbox: Inbox, label: str, total: int) -> None:
        self._inbox = inbox
        self._label = label
        self._total = total
        self._bar: Any = None
        self._posted = False
        self._done = 0
        self._failed = 0

    def tick(self, done: int, failed: int) -> None:
        """On the loop thread, after each row."""
        self._done, self._failed = done, failed
        if not self._posted:
            self._posted = True
            self._inbox.post(self._draw)

    def _draw(self) -> None:
        self._posted = False
        if self._bar is None:
            from ._progress import Bar

            self._bar = Bar(self._label, self._total, unit="row", dynamic_ncols=True)
        self._bar.show(self._done, postfix=f"{self._failed} not ok" if self._failed else None)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
