"""What every figure shares: robust statistics, interleaved timing, rows for the table, the machine.

The machine is small and shared with other work, so no figure is an absolute time alone: each is a
ratio or a difference against a baseline measured in the same run, interleaved round by round
(the order rotates each round), and summarised by its median and interquartile range.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import inspect
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"

Timer = Callable[[int], "list[float] | Awaitable[list[float]]"]
"""A batch: ``fn(n)`` runs the operation ``n`` times and returns the seconds each one took."""


# -- statistics ---------------------------------------------------------------------------------------


@dataclass
class Dist:
    """Median and quartiles of a sample (in the unit it was given in)."""

    median: float
    q1: float
    q3: float
    n: int

    @classmethod
    def of(cls, xs: Sequence[float]) -> Dist:
        xs = list(xs)
        if not xs:
            return cls(float("nan"), float("nan"), float("nan"), 0)
        if len(xs) == 1:
            return cls(xs[0], xs[0], xs[0], 1)
        q1, med, q3 = statistics.quantiles(xs, n=4, method="inclusive")
        return cls(med, q1, q3, len(xs))

    def scaled(self, k: float) -> Dist:
        return Dist(self.median * k, self.q1 * k, self.q3 * k, self.n)

    def json(self) -> dict[str, float | int]:
        return asdict(self)


def ms(d: Dist) -> Dist:
    return d.scaled(1000.0)


def compare(subject: list[list[float]], baseline: list[list[float]]) -> dict[str, Any]:
    """A subject against its baseline, both given as rounds of per-operation seconds.

    Paired by round, so drift in the machine's load cancels: ``ratio`` is the median over rounds of
    (subject's median / baseline's median in that round), with its IQR in ``ratio_rounds``;
    ``added_ms`` the median and IQR over rounds of the difference of the two medians, in ms.
    ``subject_ms`` and ``baseline_ms`` summarise every single operation.
    """
    flat_s = [x for r in subject for x in r]
    flat_b = [x for r in baseline for x in r]
    s, b = Dist.of(flat_s), Dist.of(flat_b)
    pairs = [
        (statistics.median(rs), statistics.median(rb)) for rs, rb in zip(subject, baseline, strict=True) if rs and rb
    ]
    ratios = Dist.of([x / y for x, y in pairs if y > 0])
    diffs = ms(Dist.of([x - y for x, y in pairs]))
    return {
        "subject_ms": ms(s).json(),
        "baseline_ms": ms(b).json(),
        "ratio": ratios.median,
        "ratio_rounds": ratios.json(),
        "ratio_of_medians": s.median / b.median if b.median > 0 else float("nan"),
        "added_ms": diffs.json(),
        "rounds": len(pairs),
    }


def rounds_of(
    fns: dict[str, Callable[[int], list[float]]], rounds: int, batch: int, warmup: int = 1
) -> dict[str, list[list[float]]]:
    """Run each batch function once per round, rotating the order; the first ``warmup`` rounds are dropped."""
    names = list(fns)
    out: dict[str, list[list[float]]] = {n: [] for n in names}
    for r in range(warmup + rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            got = fns[name](batch)
            if r >= warmup:
                out[name].append(got)
    return out


async def arounds_of(fns: dict[str, Timer], rounds: int, batch: int, warmup: int = 1) -> dict[str, list[list[float]]]:
    """``rounds_of`` where some batch functions are coroutines (awaited on the running loop)."""
    names = list(fns)
    out: dict[str, list[list[float]]] = {n: [] for n in names}
    for r in range(warmup + rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            got = fns[name](batch)
            if inspect.isawaitable(got):
                got = await got
            if r >= warmup:
                out[name].append(list(got))  # type: ignore[arg-type]
    return out


def timed(fn: Callable[[], Any]) -> Callable[[int], list[float]]:
    """A batch function that times ``fn()`` ``n`` times."""

    def batch(n: int) -> list[float]:
        times = []
        clock = time.perf_counter
        for _ in range(n):
            t0 = clock()
            fn()
            times.append(clock() - t0)
        return times

    return batch


def atimed(fn: Callable[[], Awaitable[Any]]) -> Callable[[int], Awaitable[list[float]]]:
    """``timed`` for an async operation, awaited on the running loop."""

    async def batch(n: int) -> list[float]:
        times = []
        clock = time.perf_counter
        for _ in range(n):
            t0 = clock()
            await fn()
            times.append(clock() - t0)
        return times

    return batch


# -- rows of the table --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table."""

    figure: str
    subject: str
    baseline: str
    value: str
    goal: str = "—"
    met: bool | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Figure:
    """What one figure produced: its rows, its raw numbers, and notes for the reader."""

    name: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "ok"  # ok | skipped | error
    seconds: float = 0.0

    def row(self, *args: Any, **kwargs: Any) -> Row:
        r = Row(self.name, *args, **kwargs)
        self.rows.append(r)
        return r


def fmt_ratio(c: dict[str, Any]) -> str:
    q = c["ratio_rounds"]
    return f"{c['ratio']:.3f}× (IQR {q['q1']:.3f}–{q['q3']:.3f}); {c['subject_ms']['median']:.3f} vs {c['baseline_ms']['median']:.3f} ms"


def fmt_added(c: dict[str, Any]) -> str:
    a = c["added_ms"]
    return f"{a['median']:+.3f} ms (IQR {a['q1']:+.3f}…{a['q3']:+.3f}); {c['subject_ms']['median']:.3f} vs {c['baseline_ms']['median']:.3f} ms"


def fmt_ms(d: Dist) -> str:
    return f"{d.median:.1f} ms (IQR {d.q1:.1f}–{d.q3:.1f}, n={d.n})"


# -- the machine ----------------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    lscpu = shutil.which("lscpu")
    if lscpu:
        with contextlib.suppress(Exception):
            out = subprocess.run([lscpu], capture_output=True, text=True, timeout=5).stdout
            for line in out.splitlines():
                if line.startswith("Model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


PACKAGES = (
    "mcp-notebook",
    "dask",
    "distributed",
    "polars",
    "mcp",
    "mcp-types",
    "pydantic",
    "pydantic-core",
    "anyio",
    "httpx2",
    "ipython",
    "ipykernel",
    "ipywidgets",
    "pandas",
    "numpy",
    "pyarrow",  # with it, pandas keeps strings in Arrow: frames are smaller (the dataframe figure)
    "jsonschema",
    "pyinstrument",
)


def machine() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    node = shutil.which("node")
    if node:
        with contextlib.suppress(Exception):
            versions["node"] = subprocess.run(
                [node, "--version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# -- processes, ports, memory -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def stop_process(proc: subprocess.Popen[Any], grace: float = 3.0) -> None:
    """SIGTERM the process (by its pid), SIGKILL it if it is still there after ``grace``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(grace)


@contextlib.contextmanager
def demo_http_server(timeout: float = 30.0) -> Iterator[str]:
    """``python -m mcp_notebook.demo --http PORT`` on 127.0.0.1 until the block ends; yields the URL."""
    for _attempt in range(3):
        port = free_port()
        log = open(os.devnull, "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcp_notebook.demo", "--http", str(port), "--host", HOST],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not accepts(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            else:
                yield f"http://{HOST}:{port}/mcp"
                return
        finally:
            stop_process(proc)
            log.close()
    raise RuntimeError("the demo HTTP server did not start")


def everything_js() -> Path | None:
    """server-everything's ``dist/index.js`` under ``.peers`` (or ``$MCP_PEERS_DIR``), if installed."""
    base = Path(os.environ.get("MCP_PEERS_DIR") or ROOT / ".peers")
    path = base / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
    return path if path.is_file() and shutil.which("node") else None


def rss_bytes() -> int:
    """This process's resident set size, from /proc (0 where there is no /proc)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds() -> int:
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/fd"))
    return -1


def children() -> list[int]:
    """Pids whose parent is this process (zombies included), from /proc."""
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                    found.append(int(entry))
    return found


def settle() -> None:
    """Between figures: collect garbage so one figure's leftovers do not time the next."""
    gc.collect()
