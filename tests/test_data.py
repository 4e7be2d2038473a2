"""Data work: map a tool over rows, call history, record and replay, find, read_many, dtypes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel

import mcp_notebook.errors as errors
from mcp_notebook import schema_frames
from mcp_notebook.api import Hub
from tests.conftest import pids_alive

FAULTY = Path(__file__).parent / "servers" / "faulty.py"


def faulty(hub: Hub, name: str = "faulty"):
    return hub.connect(name, command=[sys.executable, str(FAULTY)])


@pytest.fixture
def groups() -> pd.DataFrame:
    """Species and islands on a non-default index, with one pair never observed (Gentoo on Dream)."""
    return pd.DataFrame(
        {"sp": ["Adelie", "Gentoo", "Chinstrap", "Gentoo"], "isl": ["Torgersen", "Biscoe", "Dream", "Dream"]},
        index=pd.Index([30, 10, 40, 20], name="group"),
    )


# -- map ---------------------------------------------------------------------------------------------


def test_map_aligns_with_the_index_and_types_from_the_output_schema(demo, groups):
    out = demo.map("measure", groups, {"species": "@sp", "island": "@isl", "delay": 0})
    assert list(out.index) == [30, 10, 40, 20] and out.index.name == "group"
    assert list(out.columns[-3:]) == ["status", "error", "duration_ms"]
    assert list(out["status"]) == ["ok", "ok", "ok", "tool error"]
    assert list(out["species"][:3]) == ["Adelie", "Gentoo", "Chinstrap"]
    assert out.loc[10, "count"] == 124 and str(out["count"].dtype) == "Int64"
    assert str(out["body_mass_g"].dtype) == "float64" and str(out["island"].dtype) == "string"
    assert "no Gentoo penguins were observed on Dream" in out.loc[20, "error"]
    assert pd.isna(out.loc[20, "count"]) and out["duration_ms"].notna().all()
    # The same rows called one by one give the same numbers.
    one = demo.call("measure", species="Chinstrap", island="Dream", delay=0).data
    assert out.loc[40, "body_mass_g"] == one["body_mass_g"]


def test_map_arguments_from_columns_by_name_list_and_constants(demo):
    penguins = demo.read("demo://datasets/penguins.csv").to_dataframe()
    sample = penguins.iloc[[0, 3, 150, 300]]  # row 3 has no measurements
    by_name = demo.map("classify", sample)  # columns named like the tool's arguments
    assert list(by_name["status"]) == ["ok", "tool error", "ok", "ok"]
    assert "cannot guess without bill_length_mm" in by_name["error"].iloc[1]  # the missing value was left out
    assert list(by_name["species"].dropna()) == list(sample["species"].iloc[[0, 2, 3]])
    listed = demo.map("classify", sample, ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"])
    assert listed.drop(columns="duration_ms").equals(by_name.drop(columns="duration_ms"))
    records = [{"t": "a"}, {"t": "b"}]
    echoed = demo.map("echo", records, {"text": "@@t"})  # @@ is a literal @
    assert list(echoed.index) == [0, 1] and list(echoed["result"]) == ["@t", "@t"]
    echoed = demo.map("echo", records, {"text": "@t"})
    assert list(echoed["result"]) == ["a", "b"]


def test_arguments_not_set_come_from_their_columns_and_keep_adds_the_input(demo):
    rows = pd.DataFrame({"species": ["Adelie", "Gentoo"], "count": ["mine", "also mine"]}, index=["k", "k"])
    out = demo.map("measure", rows, {"delay": 0}, keep=True)  # species still comes from its column
    assert list(out.columns[:3]) == ["input.species", "input.count", "species"]  # the result's names never move
    assert list(out.index) == ["k", "k"] and list(out["status"]) == ["ok", "ok"]
    assert list(out["input.count"]) == ["mine", "also mine"] and list(out["count"]) == [152, 124]
    with pytest.raises(errors.UsageProblem, match="nothing gives the required argument 'species'"):
        demo.map("measure", rows.rename(columns={"species": "kind"}), {"delay": 0})


def test_one_failing_row_never_sinks_the_others(demo):
    rows = pd.DataFrame({"species": ["Adelie", "Emperor", "Gentoo"]}, index=["x", "y", "z"])
    out = demo.map("measure", rows, {"species": "@species", "delay": 0})
    assert list(out["status"]) == ["ok", "failed", "ok"]
    assert "species" in out.loc["y", "error"] and pd.isna(out.loc["x", "error"])


def test_map_mistakes_are_one_line_usage_problems(demo, groups):
    with pytest.raises(errors.UsageProblem, match=r"no column 'species' \(their columns: sp, isl\)"):
        demo.map("measure", groups, {"species": "@species"})
    with pytest.raises(errors.UsageProblem, match="no tool 'measur'"):
        demo.map("measur", groups)
    with pytest.raises(errors.UsageProblem, match="no column is named like an argument"):
        demo.map("measure", groups)
    with pytest.raises(errors.UsageProblem, match="DataFrame or a list of dicts"):
        demo.map("measure", "Adelie")
    with pytest.raises(errors.UsageProblem, match="workers=4 needs concurrency of at least 4"):
        demo.map("measure", groups, {"species": "@sp"}, workers=4, concurrency=2)
    with pytest.raises(errors.UsageProblem, match="not marked idempotent or read-only"):
        demo.map("fail", groups, {"message": "@sp"}, retries=2)


def test_map_runs_concurrently(demo):
    rows = pd.DataFrame({"species": ["Adelie", "Gentoo", "Chinstrap"] * 4})
    ratios = {}
    for concurrency in (12, 1):
        started = time.perf_counter()
        out = demo.map("measure", rows, {"species": "@species", "delay": 0.2}, concurrency=concurrency)
        wall = time.perf_counter() - started
        assert (out["status"] == "ok").all()
        ratios[concurrency] = wall / (out["duration_ms"].sum() / 1000)
    assert ratios[1] > 0.9  # one at a time: the wall time is the sum of the calls
    assert ratios[12] < 0.4  # twelve at once: far below it


def test_rate_spaces_the_calls(demo):
    rows = pd.DataFrame({"text": list("abcde")})
    started = time.perf_counter()
    out = demo.map("echo", rows, rate=20)
    assert (out["status"] == "ok").all()
    assert time.perf_counter() - started >= 4 / 20  # five calls at 20/s: the last starts 0.2 s after the first


def test_retries_resend_after_transport_failures_and_reconnect(hub, tmp_path):
    server = faulty(hub)
    first_pid = server.connection.pid
    rows = pd.DataFrame({"marker": [str(tmp_path / "died")] * 3})
    out = server.map("die_once", rows, retries=1)
    assert list(out["status"]) == ["ok"] * 3 and list(out["result"]) == ["survived"] * 3
    assert server.state == "ready" and server.connection.pid != first_pid  # brought back once, for every row
    statuses = list(hub.history()["status"])
    assert statuses.count("failed") >= 1 and statuses.count("ok") == 3

    again = pd.DataFrame({"marker": [str(tmp_path / "died-again")] * 2})
    out = server.map("die_once", again)  # no retries: the rows fail, saying why
    assert list(out["status"]) == ["failed", "failed"]
    assert "exited with code 9" in out["error"].iloc[0]


def test_retries_after_a_timeout(hub, tmp_path):
    server = faulty(hub)
    rows = [{"marker": str(tmp_path / "slow")}]
    out = server.map("slow_once", rows, timeout=0.5, retries=1)
    assert list(out["status"]) == ["ok"] and out["result"].iloc[0] == "quick this time"


def test_tool_errors_are_never_retried(hub):
    demo = hub.connect("demo")
    rows = pd.DataFrame({"message": ["a", "b", "c"]})
    out = demo.map("fail", rows, retries=3, retry_unsafe=True)
    assert list(out["status"]) == ["tool error"] * 3
    assert [e[-1] for e in out["error"]] == ["a", "b", "c"]
    calls = hub.history()
    assert len(calls[calls["name"] == "fail"]) == 3  # each row was sent once


def test_interrupt_keeps_the_finished_rows(hub):
    server = faulty(hub)
    rows = pd.DataFrame({"seconds": [0.01, 0.01, 0.01, 30, 30, 30]}, index=list("abcdef"))
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    out = server.map("sleep", rows, concurrency=6)
    assert list(out["status"]) == ["ok"] * 3 + ["cancelled"] * 3
    assert list(out.index) == list("abcdef")
    assert out.attrs["note"] == "interrupted: kept the 3 of 6 rows that finished; the other 3 have status 'cancelled'"
    assert server.call("echo", text="still here").text == "still here"
    assert server.call("cancelled").data == {"result": 3}  # the server was told


def test_workers_spread_rows_over_more_connections(hub):
    server = faulty(hub)
    rows = pd.DataFrame({"seconds": [0.2] * 6})
    out = server.map("serial", rows, workers=3, concurrency=3)
    assert (out["status"] == "ok").all()
    pids = set(out["pid"])
    assert len(pids) == 3 and server.connection.pid in pids
    assert hub.names() == ["faulty"]  # faulty~1 and faulty~2 were closed again
    time.sleep(0.3)
    assert pids_alive(sorted(pids - {server.connection.pid})) == []
    served = hub.history()["server"]
    assert {"faulty", "faulty~1", "faulty~2"} == set(served)


def test_amap_awaits(demo, groups):
    async def main() -> Any:
        return await demo.amap("measure", groups, {"species": "@sp", "delay": 0})

    out = asyncio.run(main())
    assert list(out.index) == [30, 10, 40, 20] and (out["status"] == "ok").all()


# -- history -----------------------------------------------------------------------------------------


def _local_server() -> MCPServer:
    local = MCPServer("local")

    @local.tool(annotations=ToolAnnotations(read_only_hint=True))
    def login(user: str, password: str = "", api_key: str = "", options: dict[str, Any] | None = None) -> str:
        return f"hello {user}"

    @local.resource("local://note", mime_type="text/plain")
    def note() -> str:
        return "a note"

    @local.prompt()
    def greet(name: str) -> str:
        return f"Greet {name}"

    return local


def test_history_records_every_kind_of_call_with_secrets_redacted(hub):
    local = hub.connect("local", server=_local_server())
    local.call("login", user="ann", password="hunter22", api_key="k-123", options={"authToken": "t0k", "depth": 2})
    local.read("local://note")
    with pytest.raises(errors.ServerError):
        local.read("local://missing")
    local.prompt("greet", name="Bo")
    frame = hub.history()
    assert list(frame.columns) == [
        "time",
        "server",
        "kind",
        "name",
        "arguments",
        "status",
        "duration_ms",
        "result_bytes",
        "task",
    ]
    assert list(frame["kind"]) == ["tool", "resource", "resource", "prompt"]
    assert list(frame["status"]) == ["ok", "ok", "failed", "ok"]
    assert frame["arguments"][0] == {
        "user": "ann",
        "password": "***",
        "api_key": "***",
        "options": {"authToken": "***", "depth": 2},
    }
    assert "hunter22" not in frame.to_string() and "k-123" not in frame.to_string()
    assert frame["result_bytes"][0] > len("hello ann") and str(frame["time"].dtype).startswith("datetime64")
    assert frame["duration_ms"].iloc[[0, 1, 3]].notna().all()


def test_history_is_bounded_and_clears(hub):
    local = hub.connect("local", server=_local_server())
    hub.history_limit = 3
    for i in range(5):
        local.call("login", user=f"u{i}")
    frame = hub.history()
    assert [a["user"] for a in frame["arguments"]] == ["u2", "u3", "u4"] and frame.attrs["dropped"] == 2
    assert len(hub.history(clear=True)) == 3 and len(hub.history()) == 0
    with pytest.raises(errors.UsageProblem, match="at least 1"):
        hub.history_limit = 0


# -- record and replay ---------------------------------------------------------------------------------


def test_record_then_replay_gives_the_same_results(hub, tmp_path, groups):
    path = tmp_path / "calls.jsonl"
    demo = hub.connect("demo")
    with hub.record(path) as recording:
        rows = demo.call("query", species="Gentoo", limit=3)
        summary = demo.call("summarize", column="flipper_length_mm")
        failed = demo.call("fail", message="no penguins on Mars")
        about = demo.read("demo://about.md")
        both = demo.read_many(["demo://datasets/penguins.csv", "demo://counter"])
        compare = demo.prompt("compare", species_a="Adelie", species_b="Gentoo")
        measured = demo.map("measure", groups, {"species": "@sp", "island": "@isl", "delay": 0}, workers=2)
    assert recording.calls == 3 + 1 + 2 + 1 + 4 and not recording.active
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "mcp-notebook-recording" and json.loads(lines[0])["version"] == 1
    assert all(json.loads(line).get("server", "demo") == "demo" for line in lines)  # demo~1 is recorded as demo

    hub.disconnect("demo")  # no server at all from here on
    replay = hub.connect("offline", replay=path)
    assert set(replay.tools().names()) >= {"query", "summarize", "measure", "fail"}
    assert replay.call("query", species="Gentoo", limit=3).to_dataframe().equals(rows.to_dataframe())
    assert replay.call("summarize", column="flipper_length_mm").data == summary.data
    again = replay.call("fail", message="no penguins on Mars")
    assert again.is_error and again.text == failed.text
    assert replay.read("demo://about.md").text == about.text
    assert replay.read("demo://datasets/penguins.csv").to_dataframe().equals(both[0].to_dataframe())
    assert replay.prompt("compare", species_a="Adelie", species_b="Gentoo").to_messages() == compare.to_messages()
    assert "demo://counter" in replay.resources().names()
    offline = replay.map("measure", groups, {"species": "@sp", "island": "@isl", "delay": 0})
    assert offline.drop(columns="duration_ms").equals(measured.drop(columns="duration_ms"))
    assert hub.connect("offline", replay=path) is not None  # the same recording again: the same connection

    with pytest.raises(errors.ServerError) as info:
        replay.call("query", species="Adelie", limit=3)
    message = str(info.value)
    assert "query" in message and '{"limit":3,"species":"Adelie"}' in message and "not recorded" in message
    with pytest.raises(errors.ServerError, match="not read while recording"):
        replay.read("demo://datasets/penguins.json")


def test_recordings_leave_secrets_out(hub, tmp_path):
    local = hub.connect("local", server=_local_server())
    path = tmp_path / "secret.jsonl"
    with hub.record(path):
        local.call("login", user="ann", password="hunter22", api_key="k-123")
    text = path.read_text()
    assert "hunter22" not in text and "k-123" not in text and '"password":"***"' in text
    replay = hub.connect("again", replay=path)
    assert replay.call("login", user="ann", password="other", api_key="k-9").text == "hello ann"  # matched redacted


def test_recording_credentials_are_scrubbed():
    from mcp_notebook import config
    from mcp_notebook.recording import _scrub, credentials

    spec = config.url_spec(
        "web",
        "https://u:pa55word@h.example/mcp?api_key=abcdef123",
        headers={"Authorization": "Bearer sekrit-token"},
    )
    secrets = credentials(spec)
    scrubbed = _scrub({"text": "token sekrit-token and abcdef123", "n": [1, "pa55word"]}, secrets)
    assert scrubbed == {"text": "token *** and ***", "n": [1, "***"]}


def test_replay_refuses_what_is_not_a_recording(hub, tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(errors.UsageProblem, match="not an mcp_notebook recording"):
        hub.connect("x", replay=other)
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"format": "mcp-notebook-recording", "version": 99}\n')
    with pytest.raises(errors.UsageProblem, match="upgrade mcp_notebook"):
        hub.connect("x", replay=newer)
    with pytest.raises(errors.UsageProblem, match="cannot read the recording"):
        hub.connect("x", replay=tmp_path / "missing.jsonl")
    with pytest.raises(errors.UsageProblem, match="already recording"):
        with hub.record(tmp_path / "a.jsonl"):
            hub.record(tmp_path / "b.jsonl")
    assert hub.names() == []


# -- find and read_many ---------------------------------------------------------------------------------


def test_find_searches_every_connection_best_first(hub):
    hub.connect("demo")
    faulty(hub)
    found = hub.find("sleep")
    frame = found.to_dataframe()
    assert frame.iloc[0][["server", "name"]].tolist() == ["faulty", "sleep"]  # the name beats descriptions
    assert list(frame.columns[:2]) == ["server", "name"]
    species = hub.find(["mass", "species"]).to_dataframe()
    assert set(species["server"]) == {"demo"} and species["name"].iloc[0] == "measure"  # both words
    assert "classify" in set(species["name"])  # one word (in its title) is enough to be listed
    assert len(hub.find("no-such-word-anywhere")) == 0
    with pytest.raises(errors.UsageProblem, match="say what to look for"):
        hub.find("  ")


def test_read_many_keeps_the_order_and_gives_frames(demo):
    uris = ["demo://datasets/penguins.json", "demo://about.md", "demo://datasets/penguins/Gentoo.csv"]
    results = demo.read_many(uris)
    assert [r.uri for r in results] == uris and "CC0" in results[1].text
    bundle = results._repr_mimebundle_()
    assert "3 resources" in bundle["text/html"] and "Gentoo" in bundle["text/plain"]
    frames = demo.read_many([uris[0], uris[2]]).to_dataframes()
    assert list(frames) == [uris[0], uris[2]] and len(frames[uris[2]]) == 124
    with pytest.raises(errors.ServerError, match="Emperor"):
        demo.read_many(["demo://about.md", "demo://datasets/penguins/Emperor.csv"])
    with pytest.raises(errors.UsageProblem, match="a list of URIs"):
        demo.read_many("demo://about.md")  # type: ignore[arg-type]


# -- DataFrame fidelity -----------------------------------------------------------------------------------


class Inner(BaseModel):
    depth: int | None
    label: str


class Reading(BaseModel):
    count: int | None
    weight: float
    ok: bool | None
    name: str
    seen: str
    day: str
    where: Inner
    tags: list[str]


def _typed_server() -> MCPServer:
    typed = MCPServer("typed")

    @typed.tool()
    def readings() -> list[Reading]:
        return [
            Reading(
                count=1, weight=2, ok=True, name="a", seen="2024-05-01T10:00:00Z", day="2024-05-01",
                where=Inner(depth=3, label="x"), tags=["p", "q"],
            ),
            Reading(
                count=None, weight=2.5, ok=None, name="b", seen="2024-05-02T11:30:00Z", day="2024-05-02",
                where=Inner(depth=None, label="y"), tags=[],
            ),
        ]  # fmt: skip

    # Declared formats do not survive pydantic's str fields: give the schema its formats by hand.
    tool = typed._tool_manager.get_tool("readings")  # type: ignore[attr-defined]
    props = tool.output_schema["$defs"]["Reading"]["properties"]
    props["seen"]["format"] = "date-time"
    props["day"]["format"] = "date"
    return typed


def test_structured_results_take_dtypes_from_the_output_schema(hub):
    typed = hub.connect("typed", server=_typed_server())
    result = typed.call("readings")
    assert result.output_schema is not None
    frame = result.to_dataframe()
    dtypes = {c: str(t) for c, t in frame.dtypes.items()}
    assert dtypes["count"] == "Int64" and dtypes["weight"] == "float64" and dtypes["ok"] == "boolean"
    assert dtypes["name"] == "string" and dtypes["where.label"] == "string" and dtypes["where.depth"] == "Int64"
    assert dtypes["seen"].startswith("datetime64") and dtypes["day"].startswith("datetime64")
    assert frame["tags"].tolist() == [["p", "q"], []]  # arrays stay lists
    assert pd.isna(frame["count"][1]) and frame["count"][0] == 1


def test_schema_types_at_scale_and_when_values_disagree():
    schema = {
        "type": "object",
        "properties": {
            "result": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "n": {"type": "integer"},
                        "x": {"type": "number"},
                        "s": {"type": "string"},
                        "odd": {"type": "integer"},
                    },
                },
            }
        },
    }
    n = 100_000
    rows = [
        {"n": i if i % 7 else None, "x": i / 2, "s": f"r{i}", "odd": "not a number" if i == 5 else i} for i in range(n)
    ]
    frame = schema_frames.typed_frame({"result": rows}, schema)
    assert len(frame) == n and str(frame["n"].dtype) == "Int64" and frame["n"].isna().sum() == len(range(0, n, 7))
    assert str(frame["s"].dtype) == "string" and str(frame["x"].dtype) == "float64"
    assert frame["odd"].dtype == object  # the data win over a schema they do not fit


def test_parquet_resources_become_frames():
    pytest.importorskip("pyarrow")
    import base64
    import io

    import mcp_types as types

    from mcp_notebook.results import ResourceResult, ToolResult

    data = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(data)
    blob = types.BlobResourceContents(
        uri="x://t.parquet", mime_type="application/vnd.apache.parquet", blob=base64.b64encode(data.getvalue()).decode()
    )
    frame = ResourceResult(types.ReadResourceResult(contents=[blob]), uri="x://t.parquet").to_dataframe()
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    embedded = types.CallToolResult(content=[types.EmbeddedResource(type="resource", resource=blob)])
    assert ToolResult(embedded, tool="export").to_dataframe().to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
