"""The Python API against real server subprocesses: the demo server and a misbehaving one."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import mcp_notebook.errors as errors
from mcp_notebook.api import Hub
from mcp_notebook.demo.server import build_server
from tests.conftest import pids_alive

FAULTY = Path(__file__).parent / "servers" / "faulty.py"


def faulty(hub: Hub, name: str = "faulty", **env: str):
    return hub.connect(name, command=[sys.executable, str(FAULTY)], env=env)


# -- the demo server, read-only (one shared process) -------------------------------------------------


def test_demo_lists_tools_resources_templates_prompts(demo):
    assert {"query", "summarize", "plot", "slow_count", "fail", "tone", "echo"} <= set(demo.tools().names())
    assert "demo://datasets/penguins.csv" in demo.resources().names()
    assert demo.templates().names() == ["demo://datasets/penguins/{species}.csv"]
    assert {"analyze", "compare"} <= set(demo.prompts().names())
    tools = demo.tools().to_dataframe()
    assert list(tools.columns[:4]) == ["name", "title", "description", "arguments"]
    query_args = tools.set_index("name").loc["query", "arguments"]
    assert "species: string" in query_args and "limit: integer = 10" in query_args


def test_call_returns_rows_as_a_dataframe(demo):
    result = demo.call("query", species="Gentoo", limit=4, columns=["species", "body_mass_g"])
    assert not result.is_error
    frame = result.to_dataframe()
    assert frame.shape == (4, 2)
    assert set(frame["species"]) == {"Gentoo"}
    assert result.duration is not None and result.duration > 0


def test_arguments_mapping_and_keywords_merge(demo):
    result = demo.call("query", {"species": "Adelie", "limit": 1}, limit=3)
    assert len(result.to_dataframe()) == 3


def test_output_schema_summary_becomes_a_table(demo):
    summary = demo.call("summarize", column="flipper_length_mm", by="island")
    assert summary.data["column"] == "flipper_length_mm"
    frame = summary.to_dataframe()
    assert sorted(frame["group"]) == ["Biscoe", "Dream", "Torgersen"]
    assert frame["count"].sum() == 342  # two penguins have no measurements


def test_tool_error_is_a_result_not_an_exception(demo):
    result = demo.call("fail", message="no such penguin")
    assert result.is_error
    assert "no such penguin" in result.text
    assert "failed" in result._repr_mimebundle_()["text/html"]
    with pytest.raises(errors.ToolFailed, match="no such penguin"):
        result.raise_for_error()


def test_media_results(demo):
    plot = demo.call("plot", x="flipper_length_mm", y="body_mass_g")
    svg = [b for b in plot.content if getattr(b, "mime_type", None) == "image/svg+xml"]
    assert svg and b"<svg" in plot.images[0]
    assert 'src="data:image/svg+xml;base64,' in plot._repr_mimebundle_()["text/html"]
    tone = demo.call("tone", seconds=0.2)
    assert "<audio controls" in tone._repr_mimebundle_()["text/html"]
    png = demo.read("demo://images/bill-density.png")
    assert png.bytes.startswith(b"\x89PNG")
    assert set(png._repr_mimebundle_()) == {"text/plain", "image/png"}


def test_resources_read_to_dataframes(demo):
    csv = demo.read("demo://datasets/penguins.csv").to_dataframe()
    js = demo.read("demo://datasets/penguins.json").to_dataframe()
    assert csv.shape == js.shape == (344, 8)
    gentoo = demo.read("demo://datasets/penguins/Gentoo.csv").to_dataframe()
    assert len(gentoo) == 124 and set(gentoo["species"]) == {"Gentoo"}
    about = demo.read("demo://about.md")
    assert "CC0" in about._repr_mimebundle_()["text/markdown"]


def test_prompts(demo):
    analyze = demo.prompt("analyze", dataset="penguins", question="Which island is busiest?")
    assert "Which island is busiest?" in analyze.text
    compare = demo.prompt("compare", {"species_a": "Adelie", "species_b": "Gentoo"})
    assert [m["role"] for m in compare.to_messages()] == ["user", "assistant"]


@pytest.mark.parametrize(
    ("call", "kind", "words"),
    [
        (lambda d: d.call("qeury"), errors.UsageProblem, ["did you mean 'query'"]),
        (lambda d: d.call("query", limit="ten"), errors.ArgumentsInvalid, ["'limit'", "integer"]),
        (lambda d: d.call("query", species="Emperor"), errors.ArgumentsInvalid, ["'species'", "Adelie"]),
        (lambda d: d.read("demo://nope"), errors.ServerError, ["demo://nope", "%mcp resources demo"]),
        (lambda d: d.prompt("compare", species_a="Adelie"), errors.UsageProblem, ["species_b"]),
        (lambda d: d.prompt("analyse"), errors.UsageProblem, ["did you mean 'analyze'"]),
        (lambda d: d.call("query", rows={1, object()}), errors.UsageProblem, ["cannot send a object"]),
    ],
)
def test_mistakes_are_clear_and_the_session_survives(demo, call, kind, words):
    with pytest.raises(kind) as info:
        call(demo)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    assert demo.call("echo", text="still here").text == "still here"


def test_notebook_values_are_sent_as_json(demo):
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2]})
    result = demo.call("echo", text=str(np.int64(7)))
    assert result.text == "7"
    # A frame becomes records; numpy scalars and NaN become JSON numbers and null.
    from mcp_notebook.api import jsonable

    assert jsonable({"f": frame, "n": np.float64("nan"), "i": np.int32(3)}) == {
        "f": [{"a": 1}, {"a": 2}],
        "n": None,
        "i": 3,
    }


# -- lifecycle ---------------------------------------------------------------------------------------


def test_connect_again_returns_the_live_connection_and_names_are_unique(hub):
    first = hub.connect("demo")
    pid = first.connection.pid
    again = hub.connect("demo")
    assert again.connection.pid == pid
    with pytest.raises(errors.UsageProblem, match="in use"):
        hub.connect("demo", command=[sys.executable, "-c", "pass"])
    assert [row["name"] for row in hub.servers()] == ["demo"]


def test_close_stops_the_process_and_later_calls_say_so(hub):
    demo = hub.connect("demo")
    pid = demo.connection.pid
    demo.close()
    assert pids_alive([pid]) == []
    assert demo.state == "closed"
    with pytest.raises(errors.NotConnected, match="closed"):
        demo.call("echo")
    demo.close()  # twice is fine
    with pytest.raises(errors.NotConnected, match="nothing is connected"):
        hub.get("demo")


def test_context_manager_closes(hub):
    with hub.connect("demo") as demo:
        pid = demo.connection.pid
        assert demo.call("echo", text="x").text == "x"
    assert pids_alive([pid]) == []


def test_a_hub_as_a_context_manager_leaves_nothing_running():
    """For scripts: ``with Hub() as hub:`` closes its servers and stops its loop thread."""
    with Hub() as hub:
        pids = [
            hub.connect("demo").connection.pid,
            hub.connect("two", command=[sys.executable, "-m", "mcp_notebook.demo"]).connection.pid,
        ]
        loop_thread = next(t for t in threading.enumerate() if t.name == "mcp-notebook-loop")
        assert loop_thread is not None and loop_thread.is_alive()
    assert pids_alive(pids) == [] and not loop_thread.is_alive()
    assert hub.names() == []
    again = hub.connect("demo")  # a closed hub still works: its loop starts again
    assert again.call("echo", text="back").text == "back"
    hub.close()


def test_async_twins(hub):
    async def main():
        server = await hub.aconnect("demo")
        result, tools = await asyncio.gather(server.acall("echo", text="async"), server.atools())
        read = await server.aread("demo://about.md")
        prompt = await server.aprompt("analyze")
        await server.aclose()
        return result.text, len(tools), read.mime_type, len(prompt.messages), server.state

    assert asyncio.run(main()) == ("async", 15, "text/markdown", 1, "closed")  # 15 with the explore App


def test_in_process_server(hub):
    local = hub.connect("local", server=build_server())
    assert local.connection.spec.transport == "in-process"
    assert local.call("echo", text="in process").text == "in process"
    assert len(local.call("query", limit=2).to_dataframe()) == 2


def test_server_death_is_noticed_and_reconnect_brings_it_back(hub):
    server = faulty(hub)
    with pytest.raises(errors.ServerDied) as info:
        server.call("die", code=7)
    message = str(info.value)
    assert "exited with code 7" in message
    assert "the disk is on fire" in message
    assert "%mcp reconnect faulty" in message
    assert server.state == "dead"
    assert hub.servers()["faulty"]["state"] == "dead"
    with pytest.raises(errors.ServerDied):
        server.call("echo", text="x")
    server.reconnect()
    assert server.state == "ready"
    assert server.call("echo", text="back").text == "back"


def test_killed_server_is_noticed_without_a_call(hub):
    server = faulty(hub)
    os.kill(server.connection.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while server.state != "dead" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.state == "dead"
    assert "SIGKILL" in hub.servers()["faulty"]["death"]


def test_timeout_cancels_on_the_server_and_the_session_stays_usable(hub):
    server = faulty(hub)
    started = time.monotonic()
    with pytest.raises(errors.CallTimeout, match="within 0.5 s"):
        server.call("hang", timeout=0.5)
    assert time.monotonic() - started < 3
    assert server.call("echo", text="after").text == "after"
    assert server.call("cancelled").data == {"result": 1}  # the server saw the cancellation


def test_interrupt_cancels_the_request_and_the_session_stays_usable(hub):
    server = faulty(hub)
    for attempt in range(3):
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            server.call("hang")
        assert time.monotonic() - started < 3
        assert server.call("echo", text=f"after {attempt}").text == f"after {attempt}"
    assert server.call("cancelled").data == {"result": 3}


def test_exit_at_start_reports_the_stderr_tail(hub):
    with pytest.raises(errors.ConnectFailed) as info:
        faulty(hub, FAULTY_EXIT_AT_START="2")
    assert "exited with code 2" in str(info.value)
    assert "cannot open the database" in str(info.value)
    assert hub.names() == []


def test_slow_start_waits_up_to_the_connect_timeout(hub):
    with pytest.raises(errors.ConnectFailed, match="within 1 s"):
        hub.connect("slow", command=[sys.executable, str(FAULTY)], env={"FAULTY_SLOW_START": "20"}, timeout=1)
    assert hub.names() == []


def test_missing_command(hub):
    with pytest.raises(errors.ConnectFailed, match="'no-such-mcp-server' was not found on PATH"):
        hub.connect("x", command=["no-such-mcp-server"])


def test_stderr_goes_to_the_log_not_the_terminal(hub, capfd):
    server = faulty(hub)
    server.call("shout", text="hello from stderr")
    log = server.log()
    assert any("hello from stderr" in row["text"] and row["source"] == "stderr" for row in log.rows())
    out, err = capfd.readouterr()
    assert "hello from stderr" not in out + err


def test_secrets_never_show(hub):
    secret = "tok-9f8e7d6c5b4a"
    server = hub.connect("s", command=[sys.executable, str(FAULTY), "--api-key", secret], env={"FAULTY_TOKEN": secret})
    server.call("shout", text=f"leaking {secret}")  # even when the server prints it
    shown = [
        repr(server),
        str(server._repr_mimebundle_()),
        str(hub.servers()._repr_mimebundle_()),
        server.log().text,
        str(server.log()._repr_mimebundle_()),
    ]
    for text in shown:
        assert secret not in text
    assert "***" in server.log().text


def test_close_all_is_bounded_and_leaves_no_process(hub):
    demo_command = [sys.executable, "-m", "mcp_notebook.demo"]
    servers = [hub.connect(f"d{i}", command=demo_command) for i in range(3)] + [faulty(hub)]
    pids = [s.connection.pid for s in servers]
    started = time.monotonic()
    hub.close_all()
    assert time.monotonic() - started < 2.5
    assert pids_alive(pids) == []


def test_demo_in_the_legacy_era_behaves_the_same(hub):
    legacy = hub.connect("old", command=[sys.executable, "-m", "mcp_notebook.demo"], protocol="legacy")
    assert legacy.protocol_version == "2025-11-25"
    assert len(legacy.call("query", island="Dream", limit=4).to_dataframe()) == 4
    assert legacy.call("slow_count", n=2, delay=0.05).text == "counted to 2"
    assert any("slow_count reached 2 of 2" in row["text"] for row in legacy.log().rows())
    assert legacy.call("fail").is_error
    modern = hub.connect("new", command=[sys.executable, "-m", "mcp_notebook.demo"])
    assert modern.protocol_version == "2026-07-28"
    modern.call("slow_count", n=1, delay=0)
    assert any("slow_count reached 1 of 1" in row["text"] for row in modern.log().rows())  # logs opted in


def test_interrupt_during_connect_leaves_nothing_behind(hub):
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    before = set(os.listdir("/proc"))
    with pytest.raises(KeyboardInterrupt):
        faulty(hub, FAULTY_SLOW_START="30")
    assert hub.names() == []
    spawned = [int(p) for p in set(os.listdir("/proc")) - before if p.isdigit()]
    ours = [p for p in spawned if "faulty.py" in _cmdline(p)]
    deadline = time.monotonic() + 3  # the shutdown may still be finishing after the caller's grace
    while pids_alive(ours) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids_alive(ours) == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def test_submit_runs_in_the_background(hub):
    demo = hub.connect("demo")
    reports = []
    started = time.monotonic()
    handle = demo.submit("slow_count", n=4, delay=0.1)
    handle.on_progress(lambda p, total, message: reports.append((p, total)))
    assert time.monotonic() - started < 0.1  # returned at once
    assert handle.state == "running"
    result = handle.result(timeout=10)
    assert result.text == "counted to 4" and handle.state == "done"
    assert reports[-1] == (4, 4)
    assert handle.elapsed >= 0.4

    wrong = demo.submit("query", limit="ten")
    assert isinstance(wrong.exception(timeout=10), errors.ArgumentsInvalid)
    assert wrong.state == "failed"

    async def awaited():
        return (await demo.submit("echo", text="awaited handle")).text

    assert asyncio.run(awaited()) == "awaited handle"


def test_cancelling_a_handle_cancels_on_the_server(hub):
    server = faulty(hub)
    handle = server.submit("hang")
    time.sleep(0.3)
    finished = threading.Event()
    handle.add_done_callback(lambda h: finished.set())
    assert handle.cancel()
    assert finished.wait(2) and handle.state == "cancelled"
    deadline = time.monotonic() + 3
    while server.call("cancelled").data != {"result": 1} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.call("cancelled").data == {"result": 1}
    assert server.call("echo", text="usable").text == "usable"


def test_progress_restarts_the_timeout(hub):
    server = faulty(hub)
    # 1.5 s of work reporting every 0.1 s outlives a 0.5 s timeout that progress keeps restarting.
    assert server.call("sleep", seconds=1.5, timeout=0.5).text == "slept 1.5"
    hub.progress_extends_timeout = False
    with pytest.raises(errors.CallTimeout, match="within 0.5 s"):
        server.call("sleep", seconds=1.5, timeout=0.5)
    hub.progress_extends_timeout = True
    with pytest.raises(errors.CallTimeout, match="no answer \\(and no progress\\) within 0.3 s"):
        server.call("hang", timeout=0.3)


def test_events_and_list_changes(hub):
    seen = []
    off = hub.on("tool_called", lambda **e: seen.append(("tool_called", e["tool"], e["status"])))
    hub.on("connected", lambda **e: seen.append(("connected", e["server"])))
    hub.on("list_changed", lambda **e: seen.append(("list_changed", e["server"], e["kind"])))
    hub.on("progress", lambda **e: seen.append(("progress", e["progress"])))
    hub.on("log", lambda **e: seen.append(("log", e["level"])))
    with pytest.raises(errors.UsageProblem, match="did you mean 'tool_called'"):
        hub.on("tool_call", print)
    demo = hub.connect("demo")
    demo.call("slow_count", n=2, delay=0)
    demo.call("fail")
    assert "bonus" not in demo.tools().names()
    demo.call("unlock")
    deadline = time.monotonic() + 5
    while ("list_changed", "demo", "tools") not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "bonus" in demo.tools().names()  # the cached listing was dropped
    assert demo.call("bonus").text == "🎁 you found the bonus tool"
    assert ("connected", "demo") in seen and ("progress", 2) in seen and ("log", "warning") in seen
    assert ("tool_called", "slow_count", "ok") in seen and ("tool_called", "fail", "tool error") in seen
    off()
    demo.call("echo")
    assert ("tool_called", "echo", "ok") not in seen


def test_subscriptions_update_and_survive_a_reconnect(hub):
    demo = hub.connect("demo")
    watch = demo.watch("demo://counter")
    assert watch.latest.data == {"count": 0} and watch.active
    got = []
    watch.on_change(lambda result: got.append(result.data["count"]))
    demo.call("bump", by=5)
    assert watch.changed.wait(5) and watch.latest.data == {"count": 5} and got == [5]
    demo.reconnect()  # a new server process: the subscription follows
    watch.changed.clear()
    demo.call("bump")
    assert watch.changed.wait(5) and watch.latest.data == {"count": 1}
    watch.stop()
    watch.changed.clear()
    demo.call("bump")
    assert not watch.changed.wait(0.5)
    legacy = hub.connect("old", command=[sys.executable, "-m", "mcp_notebook.demo"], protocol="legacy")
    with pytest.raises(errors.UsageProblem, match="does not offer resource subscriptions"):
        legacy.watch("demo://counter")


def test_retries_and_auto_reconnect(hub, tmp_path):
    server = faulty(hub)
    marker = tmp_path / "died"
    with pytest.raises(errors.ServerDied, match="exited with code 9"):
        server.call("die_once", marker=str(marker), retries=2)  # no auto-reconnect: the retry meets a dead server
    hub.auto_reconnect = True
    marker.unlink()
    assert server.call("die_once", marker=str(marker), retries=1).text == "survived"
    assert "reconnected faulty (the server exited with code 9)" in server.log().text
    with pytest.raises(errors.ServerDied, match="not retried: faulty.die is not marked idempotent"):
        server.call("die", code=4, retries=3)
    assert server.call("echo", text="back again").text == "back again"  # auto-reconnected once more


def test_closing_a_server_says_disconnected(hub):
    seen = []
    hub.on("disconnected", lambda **e: seen.append((e["server"], e["reason"])))
    with hub.connect("demo"):
        pass
    assert seen == [("demo", "closed")]
