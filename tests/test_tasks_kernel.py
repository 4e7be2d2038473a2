"""Tasks in a real kernel: start one, interrupt (it detaches), restart the kernel, reconnect, get the result.

The servers run outside the kernel, over Streamable HTTP, as a remote server would: the reference
``server-everything`` (2025-11-25 tasks, kept per session) and ``tests/servers/tasks_ext.py``
(the 2026-07-28 extension). The kernel inherits the tests' private Jupyter data dir, where the
notebook's task records are kept across the restart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.kernel import Kernel, kernel
from tests.peers import everything_http, free_port, listening

pytestmark = pytest.mark.kernel

SERVER = Path(__file__).parent / "servers" / "tasks_ext.py"


def detach_then_restart(k: Kernel, connect: str, warm_up: str, call: str) -> str:
    """Run ``call``, interrupt it while it waits, restart the kernel; the detached task's id.

    ``warm_up`` (a quick call of the same server) first, so the interrupt lands while the task
    runs, not while the first call still lists the tools."""
    k.ok(f"%load_ext mcp_notebook\n{connect}\n{warm_up}")
    run = k.run(call, interrupt_after=2.0, timeout=60)
    assert (run.status, run.ename) == ("error", "Detached"), run.text()
    found = re.search(r"task (\S+) keeps running", run.evalue)
    assert found is not None, run.evalue
    assert "--wait` picks it up" in run.evalue
    assert "Traceback" not in run.text()  # one line, not a traceback
    k.km.restart_kernel(now=False)
    k.kc.wait_for_ready(timeout=60)
    k.ok(f"%load_ext mcp_notebook\n{connect}")
    return found.group(1)


@pytest.mark.peers
def test_a_2025_task_survives_interrupt_and_kernel_restart() -> None:
    with everything_http("streamableHttp") as peer, kernel() as k:
        connect = f"%mcp connect ev {peer.url}"
        task_id = detach_then_restart(
            k, connect, "%mcp call ev.echo message=warm", "%mcp call ev.simulate-research-query topic=otters"
        )
        listed = k.ok("%mcp tasks")
        assert task_id in listed.text() and "simulate-research-query" in listed.text()
        result = k.ok(f"r = %mcp task ev {task_id} --wait\nprint(r.text[:40], r.task_id)")
        assert "# Research Report: otters" in result.text() and task_id in result.text()
        assert "completed" in k.ok("%mcp tasks --no-refresh").text()


def test_a_2026_extension_task_survives_interrupt_and_kernel_restart() -> None:
    port = free_port()
    with listening([sys.executable, str(SERVER), "--http", str(port)], port, "tasks_ext"), kernel() as k:
        connect = f"%mcp connect ext http://127.0.0.1:{port}/mcp"
        task_id = detach_then_restart(k, connect, "%mcp call ext.quick", "%mcp call ext.crunch n=100 seconds=5")
        fetch = f"import mcp_notebook as mn\nh = mn.get('ext').task({task_id!r})\nprint(h.result().data)"
        result = k.ok(fetch, timeout=60)
        assert "{'total': 5050}" in result.text()


def test_a_task_call_shows_its_live_line_in_the_calling_cell() -> None:
    port = free_port()
    with listening([sys.executable, str(SERVER), "--http", str(port)], port, "tasks_ext"), kernel() as k:
        k.ok(f"%load_ext mcp_notebook\n%mcp connect ext http://127.0.0.1:{port}/mcp")
        run = k.ok("%mcp call ext.crunch n=3 seconds=1")
        kinds = [o["msg_type"] for o in run.outputs]
        assert "display_data" in kinds and "update_display_data" in kinds  # one line, updated in place
        assert "✓ ext.crunch · task" in run.text() and "completed" in run.text()
        assert run.outputs[-1]["msg_type"] == "execute_result" and "total" in run.text()  # then the result
