"""``map`` over a Dask DataFrame, on a real ``LocalCluster`` of worker processes (issue 16).

One cluster for the module (2 worker processes × 2 threads, so two partitions share a worker).
The server is mostly ``tests/servers/stamps.py`` (stdlib: each row says when and in which process
it ran, and logs its start to a file), and the demo server where the result's types matter.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from mcp_notebook import _dask_worker
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ConnectFailed, UsageProblem
from tests.conftest import pids_alive

STAMPS = Path(__file__).resolve().parent / "servers" / "stamps.py"
SECRET = "stamps-secret-7f3a9c2e41d8b6"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=True,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address=None,
    )
    with Client(cluster) as c:
        yield c
    cluster.close()


def stamps(hub: Hub, log: Path, name: str = "st", **env: str) -> Server:
    return hub.connect(name, command=[sys.executable, str(STAMPS)], env={"STAMPS_LOG": str(log), **env})


def rows(n: int, partitions: int, **more: object) -> dd.DataFrame:
    frame = pd.DataFrame({"n": range(n), **more}, index=pd.Index([f"r{i:02}" for i in range(n)], name="row"))
    return dd.from_pandas(frame, npartitions=partitions)


def started(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def wait_for(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def links_on_workers(client: Client) -> dict[str, list[tuple[int, int | None]]]:
    """Per worker: (the worker's pid, the pid of each server it connected) for its open connections."""

    def links() -> list[tuple[int, int | None]]:
        from mcp_notebook import _dask_worker

        return [(os.getpid(), link.server.pid) for link in _dask_worker._links.values()]

    return client.run(links)  # type: ignore[no-any-return]


# -- the result ------------------------------------------------------------------------------------------------


def test_a_dask_map_computes_to_the_pandas_map_of_the_same_rows(client: Client, hub: Hub) -> None:
    demo = hub.connect("demo")
    groups = pd.DataFrame(
        {
            "species": ["Adelie", "Gentoo", "Chinstrap", "Gentoo"] * 3,
            "island": ["Torgersen", "Biscoe", "Dream", "Dream"] * 3,
        },
        index=pd.Index([f"g{i:02}" for i in range(12)], name="group"),
    )
    ddf = dd.from_pandas(groups, npartitions=3)
    for keep in (False, True):
        lazy = demo.map("measure", ddf, {"delay": 0.01}, keep=keep)
        assert isinstance(lazy, dd.DataFrame) and lazy.npartitions == 3
        got = lazy.compute()
        want = demo.map("measure", ddf.compute(), {"delay": 0.01}, keep=keep)
        assert list(lazy.columns) == list(want.columns)  # known before anything ran
        assert dict(lazy.dtypes) == dict(want.dtypes)
        pd.testing.assert_frame_equal(got.drop(columns="duration_ms"), want.drop(columns="duration_ms"))
        assert (got["status"] == "tool error").sum() == 3  # Gentoo were never seen on Dream
        assert got["duration_ms"].notna().all()


def test_fields_that_meta_does_not_name_are_refused_never_dropped(client: Client, hub: Hub, tmp_path: Path) -> None:
    st = stamps(hub, tmp_path / "calls.log")
    meta = pd.DataFrame({"n": pd.Series(dtype="Int64"), "at": pd.Series(dtype="float64")})  # no pid
    with pytest.raises(UsageProblem) as info:
        st.map("stamp", rows(4, 2), meta=meta).compute()
    message = str(info.value)
    assert "st.stamp sent fields the map did not expect (pid)" in message, message
    assert "meta= does not name them" in message and "no output schema" not in message, message


def test_nothing_is_called_until_the_frame_is_computed(client: Client, hub: Hub, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    st = stamps(hub, log)
    lazy = st.map("stamp", rows(6, 2, delay=0.0))
    assert started(log) == []
    out = lazy.compute()
    assert sorted(started(log)) == list(range(6)) and list(out["status"]) == ["ok"] * 6
    assert list(out.columns) == ["n", "at", "pid", "status", "error", "duration_ms"]
    assert str(out["n"].dtype) == "Int64"  # typed by the output schema, as the pandas map types it


def test_each_worker_process_opens_one_connection_and_closes_it_when_it_stops(
    client: Client, hub: Hub, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    st = stamps(hub, log, STAMPS_LINGER="60")  # a server that stays after its stdin closes
    ddf = rows(16, 8)
    first = st.map("stamp", ddf, concurrency=2).compute()
    second = st.map("stamp", ddf, concurrency=2).compute()
    assert list(first["status"]) == ["ok"] * 16
    servers = set(first["pid"]) | set(second["pid"])
    links = {w: [pair for pair in pairs if pair[1] in servers] for w, pairs in links_on_workers(client).items()}
    workers = {pid for pairs in links.values() for pid, _ in pairs}
    assert [len(pairs) for pairs in links.values()] == [1, 1]  # eight partitions, twice: one connection a worker
    for server in servers:  # each started on its worker, by the worker
        ppid = int(Path(f"/proc/{server}/stat").read_text().rsplit(") ", 1)[1].split()[1])
        assert ppid in workers
    client.restart()  # the workers stop (and start again): their connections are closed
    wait_for(lambda: pids_alive(sorted(servers)) == [])


# -- the rules of map, on a cluster ----------------------------------------------------------------------------


def test_concurrency_counts_per_worker_across_its_partitions(client: Client, hub: Hub, tmp_path: Path) -> None:
    st = stamps(hub, tmp_path / "calls.log")
    delay = 0.3
    out = st.map("stamp", rows(16, 4, delay=delay), concurrency=2).compute()
    assert list(out["status"]) == ["ok"] * 16
    for _, calls in out.groupby("pid"):
        ends = sorted(calls["at"])
        overlapping = max(sum(1 for other in ends if end - delay < other <= end) for end in ends)
        assert overlapping <= 2  # two partitions ran at once on this worker, sharing its two calls


def test_rate_is_for_the_whole_cluster(client: Client, hub: Hub, tmp_path: Path) -> None:
    st = stamps(hub, tmp_path / "calls.log")
    out = st.map("stamp", rows(24, 4), rate=10).compute()
    assert list(out["status"]) == ["ok"] * 24 and out["pid"].nunique() == 2  # both workers took part
    at = sorted(out["at"])
    spans = [at[i + 10] - at[i] for i in range(len(at) - 10)]
    assert min(spans) >= 0.9  # any eleven calls span a second: 10 a second in all, not 10 per worker


def test_a_tool_not_marked_read_only_must_say_how_many_calls_overlap(client: Client, hub: Hub) -> None:
    demo = hub.connect("demo")
    ddf = dd.from_pandas(pd.DataFrame({"by": [1, 2]}), npartitions=1)
    with pytest.raises(UsageProblem, match="not marked read-only.*--concurrency N"):
        demo.map("bump", ddf)
    with pytest.raises(UsageProblem, match="add Dask workers instead"):
        demo.map("echo", dd.from_pandas(pd.DataFrame({"text": ["a"]}), npartitions=1), workers=2)
    with pytest.raises(UsageProblem, match="no column 'txt'"):
        demo.map("echo", dd.from_pandas(pd.DataFrame({"text": ["a"]}), npartitions=1), {"text": "@txt"})


def test_a_failing_row_never_sinks_its_partition(client: Client, hub: Hub, tmp_path: Path) -> None:
    st = stamps(hub, tmp_path / "calls.log")
    frame = pd.DataFrame({"n": [0, -1, 2, -3, 4, 5]})
    out = st.map("stamp", dd.from_pandas(frame, npartitions=2)).compute()
    assert list(out["status"]) == ["ok", "tool error", "ok", "tool error", "ok", "ok"]
    assert out.loc[1, "error"] == "row -1 is negative" and pd.isna(out.loc[1, "n"])


def test_a_dead_workers_partitions_are_computed_again(client: Client, hub: Hub, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    st = stamps(hub, log)
    future = client.compute(st.map("stamp", rows(12, 4, delay=0.4), concurrency=1))
    wait_for(lambda: len(started(log)) >= 2)
    victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)
    out = future.result(timeout=60)
    assert list(out["status"]) == ["ok"] * 12 and list(out["n"]) == list(range(12))
    assert victim not in set(out["pid"])  # no row's result came from the dead worker's server


def test_an_interrupt_cancels_the_calls_on_the_workers_and_keeps_nothing(
    client: Client, hub: Hub, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    st = stamps(hub, log)
    lazy = st.map("stamp", rows(20, 2, delay=0.3), concurrency=1)  # two partitions of 3 s each
    result = None

    def interrupt() -> None:  # as Jupyter interrupts a kernel: SIGINT
        wait_for(lambda: len(started(log)) >= 2)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt).start()
    with pytest.raises(KeyboardInterrupt):
        result = lazy.compute()
    assert result is None
    wait_for(lambda: not client.run_on_scheduler(_map_tasks))  # the futures are gone from the scheduler
    so_far = len(started(log))
    time.sleep(1.0)
    assert len(started(log)) == so_far < 10  # the running partitions stopped calling, mid-way
    again = st.map("stamp", rows(4, 2)).compute()  # the workers' connections are fine
    assert list(again["status"]) == ["ok"] * 4


def _map_tasks(dask_scheduler) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(k) for k in dask_scheduler.tasks if "mcp-map" in str(k)]


# -- what travels to the workers ----------------------------------------------------------------------------


def test_secrets_reach_the_workers_and_show_nowhere(client: Client, hub: Hub, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    st = stamps(hub, log, STAMPS_TOKEN=SECRET, STAMPS_ECHO_ENV="STAMPS_TOKEN")
    lazy = st.map("stamp", rows(8, 4, delay=0.2))
    kept = client.persist(lazy)
    shown = [repr(lazy), str(lazy._repr_html_()), repr(lazy.expr), str(lazy.__dask_graph__())]
    shown += [repr(v) for v in dict(lazy.__dask_graph__()).values()]
    shown += client.run_on_scheduler(_task_specs)
    job = next(op for op in lazy.expr.operands if isinstance(op, _dask_worker.Job))
    shown += [repr(job), str(job), repr(job.target), str(job.target)]
    port = client.scheduler_info()["services"]["dashboard"]
    pages = ["/info/main/workers.html", "/info/main/logs.html", "/json/index.html"]
    pages += [f"/info/task/{quote(key, safe='')}.html" for key in client.run_on_scheduler(_map_tasks)]
    pages += [f"/info/logs/{quote(w, safe='')}.html" for w in client.scheduler_info()["workers"]]
    shown += [urllib.request.urlopen(f"http://127.0.0.1:{port}{page}").read().decode() for page in pages]
    out = kept.compute()
    assert list(out["status"]) == ["ok"] * 8
    # The secret did reach the servers on the workers (stamps writes down what its environment had) ...
    assert Path(f"{log}.env").read_text() == SECRET
    # ... and a failure on a worker carries no secret either (this server prints it as it fails there).
    flag = tmp_path / "flag"
    flag.touch()
    broken = stamps(hub, tmp_path / "broken.log", "broken", STAMPS_TOKEN=SECRET, STAMPS_REQUIRE=str(flag))
    lazy_broken = broken.map("stamp", rows(2, 1))
    flag.unlink()
    with pytest.raises(ConnectFailed) as failed:
        lazy_broken.compute()
    shown += [str(failed.value), repr(failed.value)]
    shown += [str(client.get_scheduler_logs()), str(client.get_worker_logs())]
    assert "Dask worker" in str(failed.value) and "***" in str(failed.value)
    for text in shown:
        assert SECRET not in text
    assert "STAMPS_TOKEN=*** " in repr(job.target) and "stamps.py" in repr(job.target)  # shown, redacted
    assert sum("mcp-map-st.stamp" in text for text in shown) >= 4  # the scan saw the map's tasks


def _task_specs(dask_scheduler) -> list[str]:  # type: ignore[no-untyped-def]
    return [repr(ts.run_spec) for ts in dask_scheduler.tasks.values()]


def test_a_replayed_connection_replays_on_the_workers(client: Client, hub: Hub, tmp_path: Path) -> None:
    demo = hub.connect("demo")
    frame = pd.DataFrame({"text": ["a", "b", "c", "d"]})
    recording = tmp_path / "calls.jsonl"
    with hub.record(recording):
        live = demo.map("echo", frame)
    rep = hub.connect("rep", replay=recording)
    lazy = rep.map("echo", dd.from_pandas(frame, npartitions=2))
    recording.rename(tmp_path / "elsewhere.jsonl")  # the workers get the recording itself, not its path
    out = lazy.compute()
    pd.testing.assert_frame_equal(out.drop(columns="duration_ms"), live.drop(columns="duration_ms"))


def test_a_map_on_dasks_local_scheduler_needs_no_cluster(hub: Hub, tmp_path: Path) -> None:
    import dask

    st = stamps(hub, tmp_path / "calls.log")
    try:
        with dask.config.set(scheduler="threads"):
            out = st.map("stamp", rows(6, 3), rate=50).compute()
        assert list(out["status"]) == ["ok"] * 6 and out["pid"].nunique() == 1  # this process's one connection
    finally:
        _dask_worker.close_links()


def test_without_dask_a_dask_frame_is_refused_in_one_line_naming_the_extra(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = hub.connect("demo")
    ddf = dd.from_pandas(pd.DataFrame({"text": ["a"]}), npartitions=1)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(UsageProblem, match=re.escape("pip install 'mcp-notebook[dask]'")) as refused:
        demo.map("echo", ddf)
    assert "\n" not in str(refused.value)


def test_the_magic_maps_over_a_dask_frame(client: Client, ip, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    ip.run_line_magic("mcp", "connect demo")
    ip.user_ns["groups"] = dd.from_pandas(pd.DataFrame({"text": ["x", "y", "z"]}), npartitions=2)
    lazy = ip.run_line_magic("mcp", "map demo.echo --over groups")
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.compute()["result"]) == ["x", "y", "z"]


def test_a_worker_closes_its_connections_when_it_stops_even_if_its_process_goes_on(hub: Hub, tmp_path: Path) -> None:
    """Threads, not processes: nothing exits, so only the worker plugin can close the connection."""
    st = stamps(hub, tmp_path / "calls.log", STAMPS_LINGER="60")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as local:
            out = local.compute(st.map("stamp", rows(4, 2))).result()
            servers = sorted(set(out["pid"]))
            assert pids_alive(servers) == servers
    wait_for(lambda: pids_alive(servers) == [])


@pytest.mark.peers
def test_a_third_party_server_maps_on_the_workers(client: Client, hub: Hub) -> None:
    from tests.peers import time_server_bin

    clock = hub.connect("clock", command=[str(time_server_bin())])
    zones = pd.DataFrame({"timezone": ["Europe/Paris", "Asia/Tokyo", "America/Lima", "Nowhere/Atlantis"]})
    lazy = clock.map("get_current_time", dd.from_pandas(zones, npartitions=2), concurrency=2)
    got = lazy.compute()
    want = clock.map("get_current_time", zones, concurrency=2)
    assert list(got.columns) == list(want.columns) and list(got["status"]) == list(want["status"])
    assert list(got["timezone"][:3]) == ["Europe/Paris", "Asia/Tokyo", "America/Lima"]
    assert got["status"].iloc[3] != "ok" and "Atlantis" in got["error"].iloc[3]


def test_workers_present_the_kernels_oauth_token_over_http(
    client: Client, hub: Hub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcp_notebook as mn
    from tests.test_auth import CLIENT_ID, CLIENT_SECRET, Person, oauth_server

    monkeypatch.setattr("builtins.input", Person(capsys))  # signs in once, in the kernel
    with oauth_server("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET) as url:
        auth = mn.OAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, storage="memory")
        web = hub.connect("web", url=url, auth=auth)
        web.call("whoami")
        ddf = dd.from_pandas(pd.DataFrame({"row": [1, 2, 3]}), npartitions=2)
        with pytest.raises(UsageProblem, match="no output schema.*pass meta="):  # whoami's fields are not declared
            web.map("whoami", ddf, [], concurrency=1).compute()
        meta = pd.DataFrame({"client_id": pd.Series(dtype=object), "scopes": pd.Series(dtype=object)})
        lazy = web.map("whoami", ddf, [], concurrency=1, meta=meta)
        token = web.connection.spec.auth.bearer()
        job = next(op for op in lazy.expr.operands if isinstance(op, _dask_worker.Job))
        out = lazy.compute()
    assert list(out["status"]) == ["ok"] * 3 and set(out["client_id"]) == {CLIENT_ID}
    assert token and token not in repr(job.target) and CLIENT_SECRET not in repr(job.target)
    assert job.target.auth is None  # only the access token travels: no client secret, no refresh token
