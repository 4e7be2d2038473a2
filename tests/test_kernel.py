"""The paths users take, in a real ipykernel: cells, interrupts, progress, shutdown, restart."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import pids_alive
from tests.kernel import kernel

pytestmark = pytest.mark.kernel

FAULTY = Path(__file__).parent / "servers" / "faulty.py"
CONNECT_FAULTY = f"%mcp connect faulty -- {sys.executable} {FAULTY}"


def server_pids(k) -> list[int]:
    run = k.ok("import json, mcp_notebook as mn\nprint(json.dumps([row['pid'] for row in mn.servers()]))")
    return [p for p in json.loads(run.text().strip().splitlines()[-1]) if p]


def wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while pids_alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids_alive(pids)


def test_a_session_in_a_kernel():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook")
        connected = k.ok("%mcp connect demo")
        assert "ready" in connected.text()
        result = k.ok("%mcp call demo.query species=Gentoo limit=3")
        assert {"text/html", "text/plain"} <= result.mime_types()
        assert result.text().count("Gentoo") >= 3
        frame = k.ok("df = %mcp call demo.query limit=5 --df\nprint(type(df).__name__, df.shape)")
        assert "DataFrame (5, 8)" in frame.text()
        mistake = k.run("%mcp call demo.qeury")
        assert (mistake.status, mistake.ename) == ("error", "UsageError")
        assert "did you mean 'query'" in mistake.evalue
        awaited = k.ok(
            "import mcp_notebook as mn\nr = await mn.get('demo').acall('echo', text='awaited')\nprint(r.text)"
        )
        assert "awaited" in awaited.text()
        # The server's stderr goes to its log, never into a cell.
        k.ok(CONNECT_FAULTY)
        shout = k.ok("%mcp call faulty.shout text=NOT-IN-THE-CELL")
        assert "NOT-IN-THE-CELL" not in shout.text().replace("text=NOT-IN-THE-CELL", "")
        assert "faulty stderr: NOT-IN-THE-CELL" in k.ok("print(mn.get('faulty').log().text)").text()


def test_interrupts_cancel_and_the_session_survives():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook")
        k.ok(CONNECT_FAULTY)
        for attempt in range(5):
            started = time.monotonic()
            run = k.run("%mcp call faulty.hang", interrupt_after=0.5, timeout=30)
            assert (run.status, run.ename) == ("error", "Interrupted")
            assert time.monotonic() - started < 4
            assert f"after {attempt}" in k.ok(f"%mcp call faulty.echo text='after {attempt}'").text()
        assert "5" in k.ok("%mcp call faulty.cancelled").text()


def test_progress_shows_in_the_calling_cell():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        run = k.ok("%mcp call demo.slow_count n=4 delay=0.2")
        assert "application/vnd.jupyter.widget-view+json" in run.mime_types()
        assert "counted to 4" in run.text()
        quiet = k.ok("%config MCPMagics.progress = False\n%mcp call demo.slow_count n=2 delay=0.1")
        assert "application/vnd.jupyter.widget-view+json" not in quiet.mime_types()


def test_shutdown_and_restart_leave_no_server_processes():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        k.ok(CONNECT_FAULTY)
        first = server_pids(k)
        assert len(first) == 2 and pids_alive(first) == first
        k.km.restart_kernel(now=False)
        k.kc.wait_for_ready(timeout=60)
        assert wait_gone(first) == []
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        second = server_pids(k)
        assert pids_alive(second) == second
        k.km.shutdown_kernel(now=False)
        assert wait_gone(second) == []


def test_unload_closes_every_connection():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        pids = server_pids(k)
        k.ok("%unload_ext mcp_notebook")
        assert wait_gone(pids, 3) == []
        gone = k.run("%mcp servers")
        assert gone.status == "error"


def test_a_server_question_is_answered_in_input_boxes():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        run = k.run("%mcp call demo.adopt penguin=Pingu", answers=["y", "Ada", "", "3", "no"])
        assert run.status == "ok", run.evalue
        assert run.prompts[0].startswith("Answer it?") and run.prompts[1].startswith("Name *")
        assert "You are adopting Pingu" in run.text()
        assert "Ada now keeps Pingu, a Gentoo." in run.text()
        # A name typed at the yes/no question is refused there and asked again, not taken as yes.
        early = k.run("%mcp call demo.adopt penguin=Pingu", answers=["Bo", "y", "Bo", "", "3", "no"])
        assert early.prompts[0] == early.prompts[1] and early.prompts[1].startswith("Answer it?")
        assert "Bo now keeps Pingu, a Gentoo." in early.text()
        sampled = k.run("%mcp call demo.haiku topic=ice", answers=["blue ice, black feet"])
        assert "[user] Write a haiku about ice" in sampled.text() and "blue ice, black feet" in sampled.text()
