"""The worker side of a map over a Dask DataFrame (``dask_map`` is the kernel side).

What travels to the workers is a ``Job``: the tool, the arguments' plan, the settings, and a
``WorkerTarget`` — how to reach the same server the kernel reaches. ``map_partition`` runs on a
worker for each partition: the first time a worker process needs a target it opens its own
connection (``_Link``: its own loop thread), and every later partition, of this map or the next,
reuses it; it is closed when the worker stops (``CloseLinks``, a worker plugin the kernel
registers) or the process exits. A partition is mapped exactly as ``Server.map`` maps a pandas
frame (``mapping.MapRun``), so its rows come back with the same columns, types and statuses.

Secrets (environment values, header values, an OAuth access token) ride inside the target, which
never shows them: its repr is the redacted ``describe()``, its Dask token a salted fingerprint,
and a ``Job``'s repr names the tool only. On the worker they are the connection's secrets like
any other, scrubbed from its log and its errors.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import _calling, mapping
from ._engine import Engine, Settings
from ._runtime import Runtime
from ._server_ops import ServerOperations
from .asking import Policy
from .config import ServerSpec, Transport, demo_spec
from .connection import ConnectOptions, State
from .errors import McpNotebookError, UsageProblem

if TYPE_CHECKING:
    import pandas as pd

    from .results import ToolResult

__all__ = ["PACE_HANDLER", "Job", "WorkerTarget", "close_links", "map_partition", "pace_slot"]

PACE_HANDLER = "mcp_notebook_pace"
"""The scheduler's handler that hands out call slots when a map has a rate (``dask_map``)."""
CANCEL_POLL = 0.2  # seconds between looks at whether Dask still wants the partition being mapped
MAX_LINKS = 8  # connections a worker process keeps; the least recently used beyond that is closed


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class WorkerTarget:
    """How a worker reaches the kernel's server: a ``ServerSpec`` that can travel, and how it is asked."""

    name: str
    transport: Transport
    fingerprint: str
    """Names the target on a worker (a salted hash: it says nothing of the secrets)."""
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    auth: Any = None
    server: Any = None
    protocol: str = "auto"
    demo: bool = False
    recording: str | None = None
    """A replayed connection: the recording's text (the kernel's file need not exist on a worker)."""
    recording_path: str = ""
    replay_from: str | None = None
    roots: tuple[str, ...] = ()
    policy: Policy | None = None
    log_level: Any = "info"
    connect_timeout: float = 30.0

    def spec(self) -> ServerSpec:
        """The spec a worker connects with (its own Python for the demo server, its own replay)."""
        name = f"{self.name}{mapping.WORKER_SEPARATOR}{self.fingerprint[:10]}"
        if self.demo:
            return dataclasses.replace(demo_spec(), name=name)
        server = self.server
        if self.recording is not None:
            from .replay import replay_server

            server = replay_server(self.recording_path, self.name, self.replay_from, text=self.recording)
        return ServerSpec(
            name=name, transport=self.transport, command=self.command, env=dict(self.env), cwd=self.cwd,
            url=self.url, headers=dict(self.headers), server=server, auth=self.auth, protocol=self.protocol,
        )  # fmt: skip

    def describe(self) -> str:
        """The target as a user would type it, every secret ``***``."""
        if self.recording is not None:
            return f"replay of {self.replay_from or self.name}"
        shown = ServerSpec(name="x", transport=self.transport, command=self.command, env=dict(self.env),
                           url=self.url, headers=dict(self.headers), demo=self.demo, auth=self.auth)  # fmt: skip
        return "in-process server" if self.transport == "in-process" else shown.describe()

    def __repr__(self) -> str:
        return f"<WorkerTarget {self.name}: {self.describe()}>"

    __str__ = __repr__

    def __dask_tokenize__(self) -> str:
        return self.fingerprint


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Job:
    """One map, as each partition's task carries it."""

    target: WorkerTarget
    tool: str
    args: Any
    input_schema: Mapping[str, Any] | None
    output_schema: Mapping[str, Any] | None
    columns: tuple[str, ...]
    """The result's columns before status, error and duration_ms (the Dask frame's ``meta``)."""
    dtypes: Mapping[str, str]
    concurrency: int
    rate: float | None
    retries: int
    timeout: float | None
    validate: bool
    keep: bool
    map_id: str
    paced_by_scheduler: bool
    columns_from: str = ""
    """Where ``columns`` came from ("meta=", "its output schema"; empty: neither, so ``result``)."""

    def __repr__(self) -> str:
        return f"<mcp_notebook map of {self.target.name}.{self.tool} ({self.map_id[:8]})>"

    __str__ = __repr__

    def __dask_tokenize__(self) -> str:
        return self.map_id


# -- what runs on a worker ------------------------------------------------------------------------------


def map_partition(part: pd.DataFrame, job: Job) -> pd.DataFrame:
    """Map ``job``'s tool over one partition, on this worker's connection; the frame ``meta`` promised."""
    import pandas as pd

    what = f"{job.target.name}.{job.tool}"
    index, rows = mapping.plan_arguments(part, job.args, job.input_schema, what)
    link = _link(job.target)
    wanted = _still_wanted()
    run = mapping.MapRun(_Gated(link, job, _scheduler_pacer(job)), job.tool, rows)
    link.engine.block(_watched(run, job, wanted), f"{what} over {len(rows)} rows")
    frame = run.to_frame(index, job.output_schema)
    extra = [c for c in frame.columns if c not in job.columns and c not in mapping.META]
    if extra:
        fields = ", ".join(map(str, extra[:5]))
        why = (
            f"the columns of a Dask frame are fixed before the rows come, and {job.columns_from} does not name them"
            if job.columns_from
            else "it has no output schema, so the columns must be given before the rows come"
        )
        raise UsageProblem(
            f"{what} sent fields the map did not expect ({fields}): {why}; pass meta= (a DataFrame with every "
            "column of the result) to server.map"
        )
    for name in job.columns:
        if name not in frame.columns:
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype=job.dtypes.get(name, "object"))
    frame = frame[[*job.columns, *mapping.META]]
    for name, dtype in job.dtypes.items():
        if str(frame[name].dtype) != dtype:
            try:  # every partition as ``meta`` says, where the values allow it
                frame[name] = frame[name].astype(dtype)
            except (ValueError, TypeError):
                pass
    frame.attrs.clear()
    return mapping.with_input(frame, part) if job.keep else frame


async def _watched(run: mapping.MapRun, job: Job, wanted: Callable[[], bool] | None) -> None:
    """The run, cancelled (its calls with it) once Dask no longer wants the partition (an interrupt)."""
    work = asyncio.ensure_future(run.run(concurrency=job.concurrency, rate=None, retries=job.retries, workers=1,
                                         timeout=job.timeout, validate=job.validate, progress=False))  # fmt: skip
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=CANCEL_POLL)
            if wanted is not None and not work.done() and not wanted():
                work.cancel()
        await asyncio.gather(work, return_exceptions=True)
    finally:
        work.cancel()


def _still_wanted() -> Callable[[], bool] | None:
    """On a distributed worker: whether the task running in this thread is still wanted."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    key = worker.get_current_task()

    def wanted() -> bool:
        task = worker.state.tasks.get(key)
        return task is not None and task.state not in ("cancelled", "released", "forgotten")

    return wanted


class _Gated:
    """The link's server as ``MapRun`` sees it: at most ``concurrency`` calls at once in this
    worker process (across its partitions), each waiting for its slot of the map's rate."""

    def __init__(self, link: _Link, job: Job, pace: Callable[[], Any] | None) -> None:
        self.link, self.job, self.pace = link, job, pace
        self.name = link.server.name

    @property
    def state(self) -> str:
        return self.link.server.state

    async def acall(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
    ) -> ToolResult:
        job = self.job
        gate = self.link.gate(job.map_id, job.concurrency)
        async with gate:
            if self.pace is not None:
                await self.pace()
            elif job.rate:
                await self.link.pacer(job.map_id, job.rate).wait()
            return await self.link.server.acall(tool, arguments, timeout=timeout, progress=False, validate=validate)

    async def areconnect(self) -> Any:
        # The server's handle follows its name, so it uses the new connection from here on.
        return await _calling.reconnect(self.link.engine, self.name)


def _scheduler_pacer(job: Job) -> Callable[[], Any] | None:
    """For a map with a rate on a distributed cluster: wait for the slot the scheduler gives."""
    if not (job.rate and job.paced_by_scheduler):
        return None
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # computed on one of Dask's local schedulers after all: this process paces
        return None
    gap = 1.0 / job.rate

    async def pace() -> None:
        ask = getattr(worker.scheduler, PACE_HANDLER)(map_id=job.map_id, gap=gap)
        delay = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(ask, worker.loop.asyncio_loop))
        if delay > 0:
            await asyncio.sleep(delay)

    return pace


def pace_slot(slots: dict[str, float], map_id: str, gap: float, now: float) -> float:
    """The scheduler's side: seconds until the next free slot of ``map_id`` (taking it)."""
    slot = max(now, slots.get(map_id, 0.0))
    slots[map_id] = slot + gap
    if len(slots) > 1000:  # old maps: forget the slots that have passed
        for old in [k for k, v in slots.items() if v < now]:
            del slots[old]
    return slot - now


# -- this process's connections ----------------------------------------------------------------------------


class _Link:
    """One connection of this process to one target, on a loop thread of its own."""

    def __init__(self, target: WorkerTarget) -> None:
        self.target = target
        settings = Settings(progress=False, log_level=target.log_level, connect_timeout=target.connect_timeout)
        self.engine = Engine(Runtime(name=f"mcp-notebook-dask-{target.name}"), settings)
        policy = target.policy or Policy("decline", "decline")  # nobody to ask on a worker
        options = ConnectOptions(connect_timeout=target.connect_timeout, log_level=target.log_level,
                                 policy=policy, roots=target.roots)  # fmt: skip
        spec = target.spec()
        try:
            conn = self.engine.block(self.engine.registry.connect(spec, options), f"connecting {target.name}")
        except BaseException:
            self.engine.runtime.stop()
            raise
        self.server = ServerOperations(self.engine, conn)
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._pacers: dict[str, mapping.Pacer] = {}

    def gate(self, map_id: str, concurrency: int) -> asyncio.Semaphore:
        """The map's calls at once in this process, shared by the partitions running here."""
        if map_id not in self._gates:
            if len(self._gates) > 100:
                self._gates.clear()  # maps long finished; a running one makes its gate again
            self._gates[map_id] = asyncio.Semaphore(concurrency)
        return self._gates[map_id]

    def pacer(self, map_id: str, rate: float) -> mapping.Pacer:
        """The map's rate in this process (Dask's local schedulers: one process runs every partition)."""
        if map_id not in self._pacers:
            if len(self._pacers) > 100:
                self._pacers.clear()
            self._pacers[map_id] = mapping.Pacer(rate)
        return self._pacers[map_id]

    def close(self) -> None:
        try:
            self.engine.close_all()
        finally:
            self.engine.runtime.stop()


_links: dict[str, _Link] = {}
_links_lock = threading.Lock()
_opening: dict[str, threading.Lock] = {}


def _link(target: WorkerTarget) -> _Link:
    """This process's connection to ``target``: opened by the first partition that needs it."""
    key = target.fingerprint
    with _links_lock:
        link = _links.get(key)
        if link is not None and link.server.state != State.CLOSED.value:
            _links[key] = _links.pop(key)  # most recently used last
            return link
        opening = _opening.setdefault(key, threading.Lock())
    with opening:  # one connect per target, however many threads want it
        with _links_lock:
            link = _links.get(key)
            if link is not None and link.server.state != State.CLOSED.value:
                return link
        try:
            link = _Link(target)
        except McpNotebookError as e:
            raise type(e)(f"{target.name} on a Dask worker ({_host()}): {e}") from None
        with _links_lock:
            _links[key] = link
            if len(_links) == 1:
                atexit.register(close_links)
            stale = list(_links)[:-MAX_LINKS]
            gone = [_links.pop(k) for k in stale]
        for old in gone:
            old.close()
        return link


def close_links() -> int:
    """Close every connection this process opened for Dask maps; how many there were."""
    with _links_lock:
        links = list(_links.values())
        _links.clear()
    for link in links:
        try:
            link.close()
        except Exception:  # closing one must not keep the others open
            pass
    return len(links)


def _host() -> str:
    import socket

    return f"{socket.gethostname()}, Python {sys.version_info[0]}.{sys.version_info[1]}"
