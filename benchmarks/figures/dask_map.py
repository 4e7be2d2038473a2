"""``server.map`` over a Dask DataFrame on a ``LocalCluster`` of worker processes (issue 16).

Three parts, each against a baseline measured in the same run:

- *speed*: a tool that spends 5 ms of server CPU per row (``benchmarks/servers/spin.py``: one call
  at a time per server process, as CPU-bound work is), 4,000 rows, on
  ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` against the same map on a
  cluster of one such worker. Each worker starts its own server, so two workers bring two server
  processes, one per core. Runs alternate (one, two, two, one): load drift cancels.
- *memory*: a frame 10× bigger than one partition (partitions made on the workers by
  ``dd.from_map``, ~4 MB each: 1,000 rows of 4 kB text, echoed back), mapped and reduced on the
  cluster so nothing is gathered; each worker's peak RSS growth (``ru_maxrss``, after a warm-up map)
  against the size of one partition and of the whole frame.
- *overhead*: a fast tool (``echo``) over 2,000 rows at concurrency 16, the Dask path on one warm
  worker process against the pandas path in this process (the same server program); the added
  milliseconds per row.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from _harness import Dist, Figure

SERVER = Path(__file__).resolve().parent.parent / "servers" / "spin.py"
COMMAND = [sys.executable, str(SERVER)]
SPIN_MS = 5.0
TEXT = 4096


def run(quick: bool) -> Figure:
    import cloudpickle
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    from mcp_notebook.api import Hub

    # The workers cannot import this module (benchmarks/ is not on their path): ship its functions
    # (the memory part's partition maker) by value, or they fail to unpickle it and the map waits.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    fig = Figure("dask-map")
    rows = 200 if quick else 4000
    with Hub(progress=False) as hub:
        spin = hub.connect("spin", command=COMMAND)
        frame = dd.from_pandas(pd.DataFrame({"n": range(rows)}), npartitions=8)
        times: dict[int, list[float]] = {1: [], 2: []}
        clusters = {
            n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") for n in (1, 2)
        }
        try:
            for n in (1, 2, 2, 1) if not quick else (1, 2):
                with Client(clusters[n]) as client:
                    client.run(lambda: None)  # every worker up
                    spin.map("spin", frame.partitions[:2], {"ms": 0}).compute()  # warm: workers connect
                    started = time.perf_counter()
                    out = spin.map("spin", frame, {"ms": SPIN_MS}, concurrency=4).compute()
                    times[n].append(time.perf_counter() - started)
                    assert (out["status"] == "ok").all(), out.loc[out["status"] != "ok", "error"].value_counts().head()
            one, two = Dist.of(times[1]), Dist.of(times[2])
            speedup = one.median / two.median
            ideal = rows * SPIN_MS / 1000 / 2
            fig.data.update(rows=rows, spin_ms=SPIN_MS, one_worker_s=one.json(), two_workers_s=two.json(),
                            speedup=speedup, ideal_two_s=ideal)  # fmt: skip
            fig.row(
                f"map over a Dask frame, {rows} rows × {SPIN_MS:g} ms server CPU, 2 workers",
                "the same map on 1 worker",
                f"{speedup:.2f}× faster ({two.median:.2f} s vs {one.median:.2f} s; ideal {ideal:.2f} s)",
                "≥ 1.6×",
                speedup >= 1.6,
                {"one_s": one.median, "two_s": two.median},
            )
            with Client(clusters[2]) as client:
                _memory(fig, spin, client, quick)
            with Client(clusters[1]) as client:
                _overhead(fig, spin, client, quick)
        finally:
            for cluster in clusters.values():
                cluster.close()
    if quick:
        fig.notes.append(f"quick: {rows} rows, one run each; memory and overhead on small frames")
    return fig


def _partition(i: int, rows: int) -> Any:
    import pandas as pd

    return pd.DataFrame({"text": [f"{i:04}" + "x" * (TEXT - 4)] * rows}, index=pd.RangeIndex(i * rows, (i + 1) * rows))


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _memory(fig: Figure, spin: Any, client: Any, quick: bool) -> None:
    import dask.dataframe as dd

    per = 100 if quick else 1000
    parts = 10
    ddf = dd.from_map(_partition, range(parts), rows=per)
    # Warm-up (connections open, code loaded) on a frame of its own: with dask 2026.8,
    # ``from_map(...).partitions[:2]`` under map_partitions never gets scheduled (it hangs,
    # whatever the function), so the slice is not used here.
    spin.map("echo", dd.from_map(_partition, range(2), rows=per)).compute()
    before = client.run(_peak_rss)
    counts = spin.map("echo", ddf, concurrency=16)["status"].value_counts().compute()
    after = client.run(_peak_rss)
    assert counts.get("ok") == per * parts, counts
    one = _partition(0, per)
    partition = int(one.memory_usage(deep=True).sum())
    result = partition * 2  # the partition, and its result beside it (the text echoed back)
    growth = max(after[w] - before[w] for w in after)
    whole = partition * parts
    fig.data.update(memory_partition_bytes=partition, memory_frame_bytes=whole, memory_peak_growth_bytes=growth,
                    memory_growth_per_worker={w: after[w] - before[w] for w in after})  # fmt: skip
    fig.row(
        f"peak RSS growth of a worker, a frame of {parts} partitions (~{partition / 2**20:.1f} MiB each)",
        "one partition and its result",
        f"{growth / result:.2f}× ({growth / 2**20:.1f} MiB); the frame is {whole / 2**20:.0f} MiB "
        f"({growth / whole:.2f}× of it)",
        "bounded by the partition, not the frame (< 0.5× the frame)",
        growth < whole / 2,
        {"growth": growth, "partition": partition, "frame": whole},
    )


def _overhead(fig: Figure, spin: Any, client: Any, quick: bool) -> None:
    import dask.dataframe as dd
    import pandas as pd

    rows = 200 if quick else 2000
    frame = pd.DataFrame({"text": [f"row {i}" for i in range(rows)]})
    ddf = dd.from_pandas(frame, npartitions=1)
    spin.map("echo", ddf).compute()  # warm: the worker's connection is open
    pandas_s: list[float] = []
    dask_s: list[float] = []
    for _ in range(1 if quick else 5):
        started = time.perf_counter()
        spin.map("echo", frame, concurrency=16)
        pandas_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        spin.map("echo", ddf, concurrency=16).compute()
        dask_s.append(time.perf_counter() - started)
    per_row = Dist.of([(d - p) / rows * 1000 for d, p in zip(dask_s, pandas_s, strict=True)])
    fig.data.update(overhead_rows=rows, overhead_pandas_s=Dist.of(pandas_s).json(),
                    overhead_dask_s=Dist.of(dask_s).json(), overhead_ms_per_row=per_row.json())  # fmt: skip
    fig.row(
        f"map over a Dask frame (1 warm worker), a fast tool, {rows} rows",
        "the pandas map in the kernel",
        f"{per_row.median:+.3f} ms a row (IQR {per_row.q1:+.3f}…{per_row.q3:+.3f}); "
        f"{Dist.of(dask_s).median:.2f} s vs {Dist.of(pandas_s).median:.2f} s",
        "—",
        None,
        {"added_ms_per_row": per_row.median},
    )
    fig.notes.append(f"load average at the end of dask-map: {os.getloadavg()[0]:.2f}")
