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
import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import schema_frames
from ._runtime import Inbox
from .connection import State
from .errors import CallTimeout, McpNotebookError, ServerDied, TransportFailed, UsageProblem, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from .api import Hub, Server
    from .results import ToolResult

__all__ = [
    "CANCELLED",
    "FAILED",
    "OK",
    "TOOL_ERROR",
    "MapRun",
    "Outcome",
    "choose_concurrency",
    "plan_arguments",
    "with_input",
]

OK, TOOL_ERROR, FAILED, CANCELLED = "ok", "tool error", "failed", "cancelled"
META = ("status", "error", "duration_ms")
RETRYABLE = (TransportFailed, CallTimeout)  # ServerDied is a TransportFailed
WORKER_SEPARATOR = "~"  # worker connections are NAME~1, NAME~2, …: no user can type that name
READ_ONLY_CONCURRENCY = 16  # calls at once by default, for tools marked read-only
INPUT_PREFIX = "input."  # an input column kept beside a result column of the same name


@dataclasses.dataclass(slots=True)
class Outcome:
    """How one row ended: its status, the result's fields (flattened), an error text, the time."""

    status: str
    values: dict[str, Any] | None
    error: str | None
    seconds: float | None


# -- turning rows into arguments (in the caller's thread) ----------------------------------------------


def plan_arguments(
    data: Any, args: Any, input_schema: Mapping[str, Any] | None, what: str
) -> tuple[Any, list[dict[str, Any]]]:
    """(the index of the result, one argument mapping per row).

    ``args`` maps argument names to ``"@column"`` (a column) or a constant (``"@@x"`` is the text
    ``"@x"``), and every other argument of the tool is taken from the column of the same name,
    if there is one; a list of names takes each from the column of that name (and nothing else);
    None takes every column named like one of the tool's arguments. Missing values (None, NaN,
    NA) are left out, so the tool's default applies. A required argument that nothing gives is
    refused here, once, before any call.
    """
    import pandas as pd

    from .api import jsonable

    if isinstance(data, pd.DataFrame):
        index, columns = data.index, [str(c) for c in data.columns]
        frame = data

        def column(name: str) -> list[Any]:
            return list(frame[name].tolist())

    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        records = list(data)
        bad = next((r for r in records if not isinstance(r, Mapping)), None)
        if bad is not None:
            raise UsageProblem(
                f"{what}: map over a DataFrame or a list of dicts, not a list holding {type(bad).__name__}"
            )
        index = pd.RangeIndex(len(records))
        seen: dict[str, None] = {}
        for record in records:
            seen.update(dict.fromkeys(str(k) for k in record))
        columns = list(seen)

        def column(name: str) -> list[Any]:
            return [r.get(name) for r in records]

    else:
        raise UsageProblem(f"{what}: map over a DataFrame or a list of dicts, not a {type(data).__name__}")

    properties = list((input_schema or {}).get("properties") or {})
    from_columns, constants = _split_args(args, columns, properties, what)
    for name in from_columns.values():
        if name not in columns:
            raise UsageProblem(
                f"{what}: the rows have no column {name!r}{did_you_mean(name, columns)} "
                f"(their columns: {_names(columns)})"
            )
    _check_required(input_schema, from_columns, constants, columns, what)
    fixed = jsonable(constants)
    values = {arg: column(col) for arg, col in from_columns.items()}
    rows: list[dict[str, Any]] = []
    for i in range(len(index)):
        row = dict(fixed)
        for arg, col_values in values.items():
            value = col_values[i]
            if not _missing(value):
                row[arg] = jsonable(value)
        rows.append(row)
    return index, rows


def _split_args(
    args: Any, columns: list[str], properties: list[str], what: str
) -> tuple[dict[str, str], dict[str, Any]]:
    if args is None:
        names = [c for c in columns if c in properties] if properties else columns
        if not names:
            if not properties:
                raise UsageProblem(f"{what} takes no arguments, so the rows have nothing to give it; call it once")
            first = properties[0]
            raise UsageProblem(
                f"{what}: no column is named like an argument of the tool (it takes: {', '.join(properties)}); "
                f"say which column feeds which argument: --arg {first}=@COLUMN (args={{{first!r}: '@COLUMN'}})"
            )
        return {n: n for n in names}, {}
    if isinstance(args, (list, tuple)):
        return {str(n): str(n) for n in args}, {}
    if not isinstance(args, Mapping):
        raise UsageProblem(f"{what}: args is a mapping of argument to '@column' or constant, not {type(args).__name__}")
    from_columns: dict[str, str] = {}
    constants: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("@@"):
            constants[str(key)] = value[1:]
        elif isinstance(value, str) and value.startswith("@"):
            if not value[1:]:
                raise UsageProblem(f"{what}: {key}=@ names no column; write {key}=@COLUMN")
            from_columns[str(key)] = value[1:]
        else:
            constants[str(key)] = value
    # Setting one argument says nothing about the others: those still come from their columns.
    for name in properties:
        if name in columns and name not in from_columns and name not in constants:
            from_columns[name] = name
    return from_columns, constants


def _check_required(
    schema: Mapping[str, Any] | None,
    from_columns: Mapping[str, str],
    constants: Mapping[str, Any],
    columns: list[str],
    what: str,
) -> None:
    """Refuse, once and before any call, a required argument that neither a column nor a constant gives."""
    required = [str(r) for r in (schema or {}).get("required") or []]
    missing = [r for r in required if r not in from_columns and r not in constants]
    if not missing:
        return
    name = missing[0]
    properties = (schema or {}).get("properties") or {}
    takes = ", ".join(f"{p}{'*' if p in required else ''}" for p in properties)
    raise UsageProblem(
        f"{what}: nothing gives the required argument {name!r} (no column has that name and no argument "
        f"sets it){did_you_mean(name, columns) or ';'} name its column: --arg {name}=@COLUMN "
        f"(args={{{name!r}: '@COLUMN'}}); it takes {takes} (* required); the rows have {_names(columns)}"
    )


def _names(columns: list[str]) -> str:
    return f"{', '.join(columns[:20])}{', …' if len(columns) > 20 else ''}"


def with_input(result: pd.DataFrame, data: Any) -> pd.DataFrame:
    """The input's columns, then the result's (``keep=True``), on the result's index.

    The result's columns keep their names whatever the input holds; an input column named like
    one of them is kept as ``input.NAME``.
    """
    import pandas as pd

    inputs = data if isinstance(data, pd.DataFrame) else pd.DataFrame.from_records(list(data))
    taken = {str(c) for c in result.columns}
    renamed = inputs.rename(columns=lambda c: f"{INPUT_PREFIX}{c}" if str(c) in taken else c)
    # Side by side by position: the result is on the input's index already, which may repeat labels.
    both = pd.concat([renamed.reset_index(drop=True), result.reset_index(drop=True)], axis=1)
    both.index = result.index
    both.attrs.update(result.attrs)
    return both


def choose_concurrency(
    concurrency: int | None, workers: int, rows: int, read_only: bool, what: str
) -> tuple[int, str | None]:
    """(how many calls may run at once, the one line that says why only one, or None).

    Given explicitly, ``concurrency`` is taken at its word. Otherwise only a tool marked
    read-only runs several rows at once: a tool that writes may read-modify-write a file and lose
    overlapping writes while answering success (server-memory does).
    """
    if concurrency is not None:
        return concurrency, None
    if read_only:
        return max(READ_ONLY_CONCURRENCY, workers), None
    if workers > 1:
        raise UsageProblem(
            f"workers={workers} overlaps calls, but {what} is not marked read-only, so map runs it one row "
            f"at a time; if its calls are safe to overlap, say so: --concurrency {workers} (concurrency={workers})"
        )
    note = None
    if rows > 1:
        note = f"one row at a time: {what} is not marked read-only; --concurrency N (or concurrency=N) to overlap calls"
    return 1, note


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    kind = type(value).__name__
    return kind in ("NAType", "NaTType")


# -- one run ------------------------------------------------------------------------------------------


class MapRun:
    """The state of one map: an outcome slot per row, filled on the loop, read by the caller."""

    def __init__(self, hub: Hub, server: Server, tool: str, rows: list[dict[str, Any]], inbox: Inbox) -> None:
        self.hub = hub
        self.server = server
        self.tool = tool
        self.rows = rows
        self.outcomes: list[Outcome | None] = [None] * len(rows)
        self.finished = 0
        self.failed = 0
        self.bar = _RowsBar(inbox, f"{server.name}.{tool}", len(rows))
        self.inbox = inbox
        self._revive_locks: dict[str, asyncio.Lock] = {}
        self._revive_failed: set[str] = set()

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
        servers = [self.server]
        if workers > 1 and self.rows:
            servers += await _open_workers(self.hub, self.server, workers - 1)
        pacer = _Pacer(rate)
        pending: Iterator[int] = iter(range(len(self.rows)))
        show = progress and bool(self.rows)

        async def worker(server: Server) -> None:
            for i in pending:  # one shared iterator: each row is taken by exactly one worker
                outcome = await self._row(server, self.rows[i], pacer, retries, timeout, validate)
                self.outcomes[i] = outcome
                self.finished += 1
                if outcome.status != OK:
                    self.failed += 1
                if show:
                    self.bar.tick(self.finished, self.failed)

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
            if len(servers) > 1:
                await _close_workers(self.hub, [s.name for s in servers[1:]])
            if show:
                self.inbox.post(self.bar.close)

    async def _row(
        self,
        server: Server,
        arguments: dict[str, Any],
        pacer: _Pacer,
        retries: int,
        timeout: float | None,
        validate: bool,
    ) -> Outcome:
        started = time.perf_counter()
        attempt = 0
        while True:
            await pacer.wait()
            try:
                make = server._call(self.tool, arguments, {}, timeout, False, validate)
                result = await make(self.inbox)
            except RETRYABLE as e:
                if attempt >= retries:
                    return Outcome(FAILED, None, str(e), time.perf_counter() - started)
                attempt += 1
                try:
                    if isinstance(e, ServerDied) or server.connection.state is State.DEAD:
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

    async def _revive(self, server: Server) -> None:
        """Reconnect a dead server once, however many rows saw it die."""
        name = server.name
        if name in self._revive_failed:
            raise ServerDied(server.connection.dead_message())
        lock = self._revive_locks.setdefault(name, asyncio.Lock())
        async with lock:
            conn = server.connection
            if conn.state is not State.DEAD:
                return  # another row brought it back already
            try:
                await self.hub.registry.reconnect(name, **self.hub._options())
            except McpNotebookError:
                self._revive_failed.add(name)
                raise

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
        frame = schema_frames.apply_types(frame, schema_frames.column_types(output_schema))
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


class _Pacer:
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


async def _open_workers(hub: Hub, server: Server, count: int) -> list[Server]:
    """``count`` more connections to the same server (``NAME~1`` …), for servers that work serially."""
    from .api import Server as ServerHandle

    base = server.connection
    options = {**hub._options(), "policy": base.policy, "roots": list(base.roots)}
    specs = [dataclasses.replace(base.spec, name=f"{server.name}{WORKER_SEPARATOR}{i}") for i in range(1, count + 1)]
    try:
        opened = await asyncio.gather(*(hub.registry.connect(s, **options) for s in specs), return_exceptions=True)
    except BaseException:  # interrupted while starting them: none may outlive the map
        await _close_workers(hub, [s.name for s in specs if s.name in hub.registry.names()])
        raise
    failures = [o for o in opened if isinstance(o, BaseException)]
    if failures:
        await _close_workers(
            hub, [s.name for s, o in zip(specs, opened, strict=True) if not isinstance(o, BaseException)]
        )
        raise failures[0]
    return [ServerHandle(hub, conn) for conn in opened if not isinstance(conn, BaseException)]


async def _close_workers(hub: Hub, names: list[str]) -> None:
    async def close(name: str) -> None:
        with contextlib.suppress(McpNotebookError):
            await hub.registry.disconnect(name)

    await asyncio.shield(asyncio.gather(*(close(n) for n in names), return_exceptions=True))


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


def check_options(concurrency: Any, rate: Any, retries: Any, workers: Any) -> None:
    """Raise a one-line ``UsageProblem`` for a setting that cannot work (``concurrency`` None: the default)."""

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if concurrency is not None and (not whole(concurrency) or concurrency < 1):
        raise UsageProblem(f"concurrency is how many calls may run at once (1 or more), not {concurrency!r}")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
        raise UsageProblem(f"rate is calls per second (a positive number) or None, not {rate!r}")
    if not whole(retries) or retries < 0:
        raise UsageProblem(
            f"retries is how often a row is tried again after a transport failure (0 or more), not {retries!r}"
        )
    if not whole(workers) or workers < 1:
        raise UsageProblem(f"workers is how many connections share the rows (1 or more), not {workers!r}")
    if concurrency is not None and workers > concurrency:
        raise UsageProblem(
            f"workers={workers} needs concurrency of at least {workers} (each connection needs a call in flight)"
        )
