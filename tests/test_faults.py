"""Servers that misbehave, and what must hold anyway (the reliability table of issue 7).

The servers are tests/servers/chaos.py (hand-written JSON-RPC, so it can break every rule) and
tests/servers/faulty.py (an SDK server that dies or hangs on request). Figures are printed (-s).
"""

from __future__ import annotations

import gc
import os
import resource
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import mcp_notebook.errors as errors
from tests.conftest import pids_alive

SERVERS = Path(__file__).parent / "servers"
CHAOS = [sys.executable, str(SERVERS / "chaos.py")]


@pytest.fixture
def chaos(hub):
    return hub.connect("chaos", command=CHAOS)


def test_crash_mid_call_fails_fast_names_the_exit_and_reconnects(chaos):
    chaos.call("echo", text="warm")  # the first call also lists the tools and loads the schema checker
    started = time.monotonic()
    with pytest.raises(errors.ServerDied) as info:
        chaos.call("crash", code=7)
    elapsed = time.monotonic() - started
    print(f"crash noticed in {elapsed * 1000:.0f} ms")
    assert elapsed < 3
    assert "exited with code 7" in str(info.value) and "out of cheese" in str(info.value)
    assert chaos.state == "dead"
    chaos.reconnect()
    assert chaos.call("echo", text="back").text == "back"


def test_a_half_written_message_then_exit(chaos):
    with pytest.raises(errors.ServerDied, match="exited with code 5.*stopped mid-message"):
        chaos.call("partial")


def test_garbage_on_stdout_is_logged_and_survived(hub, chaos):
    demo = hub.connect("demo")
    assert chaos.call("garbage").text == "after garbage"
    assert "not JSON-RPC on stdout: this is not json" in chaos.log().text
    assert chaos.call("echo", text="still fine").text == "still fine"
    assert demo.call("echo", text="other session").text == "other session"


def test_replies_out_of_order_are_matched(chaos):
    handles = [chaos.submit("slow", seconds=0.3 - 0.1 * i, tag=f"call {i}") for i in range(3)]
    assert [h.result(10).text for h in handles] == ["call 0", "call 1", "call 2"]


def test_a_thousand_concurrent_calls_over_three_servers(hub):
    servers = [hub.connect(f"c{i}", command=CHAOS) for i in range(3)]
    started = time.monotonic()
    handles = [(i, servers[i % 3].submit("echo", text=f"{i}")) for i in range(1000)]
    answers = {i: h.result(60).text for i, h in handles}
    print(f"1000 calls over 3 servers in {time.monotonic() - started:.2f} s")
    assert answers == {i: f"{i}" for i in range(1000)}


def test_a_flood_of_notifications_stays_bounded(chaos, capsys):
    assert chaos.call("flood", n=3000).text == "flooded 3000"
    err = capsys.readouterr().err
    assert err.count("[chaos warning]") == 20 and "more warnings from chaos" in err
    log = chaos.log()
    assert len(log) <= 2000 and log.dropped > 0  # the log keeps the newest, says how many went


def test_huge_results_display_bounded_and_keep_everything(chaos):
    big = chaos.call("big", mb=50)
    assert len(big.text) == 50 * 1024 * 1024
    started = time.perf_counter()
    bundle = big._repr_mimebundle_()
    took = time.perf_counter() - started
    print(f"display of a 50 MB text: {took * 1000:.1f} ms, {sum(map(len, bundle.values())):,} characters")
    assert sum(map(len, bundle.values())) < 200_000 and "more characters not shown" in bundle["text/html"]
    many = chaos.call("blocks", n=100_000)
    assert len(many.content) == 100_000
    bundle = many._repr_mimebundle_()
    assert sum(map(len, bundle.values())) < 200_000 and "99,950 more blocks" in bundle["text/html"]


def test_a_result_that_breaks_its_output_schema_is_shown_as_invalid(chaos):
    result = chaos.call("bad_structure")
    assert result.schema_problem and "'many' is not of type 'integer'" in result.schema_problem
    assert result.structured == {"count": "many"}  # everything the server sent is kept
    assert "⚠ invalid" in result._repr_mimebundle_()["text/html"]
    assert chaos.call("echo", text="fine").schema_problem is None


def test_malformed_results_are_one_line_errors(chaos):
    with pytest.raises(errors.InvalidResult, match="does not follow the MCP schema: content"):
        chaos.call("malformed")
    assert chaos.call("echo", text="ok").text == "ok"


def test_an_invalid_input_schema_is_listed_and_callable(hub):
    server = hub.connect("chaos", command=CHAOS, env={"CHAOS_BAD_SCHEMA": "1"})
    assert "broken_schema" in server.tools().names()
    with pytest.raises(errors.ServerError, match="Unknown tool broken_schema"):
        server.call("broken_schema", a=1)  # sent (not blocked by our checker), answered by the server


def test_hostile_text_is_escaped_in_every_display(chaos, hub):
    html = [
        chaos.tools()._repr_mimebundle_()["text/html"],
        chaos.call("hostile", x="y")._repr_mimebundle_()["text/html"],
        chaos._repr_mimebundle_()["text/html"],
        hub.servers()._repr_mimebundle_()["text/html"],
        chaos.log()._repr_mimebundle_()["text/html"],
    ]
    for page in html:
        assert "<script" not in page and "<img" not in page and 'onerror="' not in page


def test_twenty_interrupts_in_a_row(hub):
    server = hub.connect("faulty", command=[sys.executable, str(SERVERS / "faulty.py")])
    for attempt in range(20):
        timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            server.call("hang")
        assert server.call("echo", text=str(attempt)).text == str(attempt)
    deadline = time.monotonic() + 5
    while server.call("cancelled").data != {"result": 20} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.call("cancelled").data == {"result": 20}  # the server saw every cancellation


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def test_two_hundred_connect_close_cycles_leave_nothing_behind(hub):
    hub.connect("warmup", command=CHAOS).close()
    gc.collect()
    fds, rss = _fds(), _rss_mb()
    pids = []
    for i in range(200):
        server = hub.connect(f"cycle{i}", command=CHAOS)
        pids.append(server.connection.pid)
        assert server.call("echo", text="x").text == "x"
        server.close()
    gc.collect()
    grew_fds, grew_mb = _fds() - fds, _rss_mb() - rss
    print(f"200 cycles: {grew_fds:+d} file descriptors, {grew_mb:+.1f} MB RSS")
    assert pids_alive(pids) == []
    assert grew_fds <= 3
    assert grew_mb < 10
