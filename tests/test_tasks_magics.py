"""``%mcp call`` on task tools, ``%mcp tasks`` and ``%mcp task``, in an IPython shell.

Against ``tests/servers/tasks_ext.py`` (the 2026-07-28 extension) and ``server-everything``
(the 2025-11-25 form, ``@pytest.mark.peers``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from mcp_notebook.api import Hub
from mcp_notebook.results import ToolResult
from mcp_notebook.tasks import TaskHandle, TaskStore
from tests.peers import everything_js

SERVER = Path(__file__).parent / "servers" / "tasks_ext.py"


@pytest.fixture
def shell(ip, hub: Hub, tmp_path: Path):
    hub.task_book.store = TaskStore(tmp_path / "tasks.json")
    ip.run_line_magic("mcp", f"connect ext -- {sys.executable} {SERVER}")
    return ip


def test_a_call_that_the_server_makes_a_task_waits_for_it(shell) -> None:
    result = shell.run_line_magic("mcp", "call ext.crunch n=4 seconds=0.3")
    assert isinstance(result, ToolResult) and result.data == {"total": 10} and result.task_id
    frame = shell.run_line_magic("mcp", "call ext.crunch n=5 seconds=0.2 --df")
    assert frame["total"].tolist() == [15]


def test_background_gives_the_task_handle_and_the_task_commands_pick_it_up(shell) -> None:
    handle = shell.run_line_magic("mcp", "call ext.crunch n=6 seconds=1.5 --background")
    assert isinstance(handle, TaskHandle) and handle.status == "working"
    bundle = handle._repr_mimebundle_()
    assert f"%mcp task ext {handle.task_id} --wait" in bundle["text/plain"]
    listing = shell.run_line_magic("mcp", "tasks")
    assert [r["task_id"] for r in listing.rows()] == [handle.task_id]
    frame = shell.run_line_magic("mcp", "tasks ext --df")
    assert frame.loc[0, "tool"] == "crunch" and frame.loc[0, "arguments"] == {"n": 6, "seconds": 1.5}
    again = shell.run_line_magic("mcp", f"task ext {handle.task_id}")
    assert isinstance(again, TaskHandle) and again.task_id == handle.task_id
    result = shell.run_line_magic("mcp", f"task ext {handle.task_id} --wait")
    assert result.data == {"total": 21}
    assert shell.run_line_magic("mcp", "tasks --no-refresh").rows()[0]["status"] == "completed"


def test_cancel_and_forget(shell) -> None:
    handle = shell.run_line_magic("mcp", "call ext.crunch n=6 seconds=30 --background")
    shell.run_line_magic("mcp", f"task ext {handle.task_id} --cancel")
    shell.run_line_magic("mcp", f"task ext {handle.task_id} --forget")
    assert shell.run_line_magic("mcp", "tasks").rows() == []


def test_task_mistakes_are_one_line(shell) -> None:
    with pytest.raises(UsageError, match="no task 'nope' on 'ext'"):
        shell.run_line_magic("mcp", "task ext nope")
    with pytest.raises(UsageError, match="--timeout bounds --wait"):
        shell.run_line_magic("mcp", "task ext abc --timeout 3")
    with pytest.raises(UsageError, match="not allowed with argument"):
        shell.run_line_magic("mcp", "task ext abc --wait --cancel")


@pytest.mark.peers
def test_task_flag_on_a_tool_without_tasks_is_one_line(ip, hub: Hub, tmp_path: Path) -> None:
    hub.task_book.store = TaskStore(tmp_path / "tasks.json")
    ip.run_line_magic("mcp", f"connect ev -- node {everything_js()} stdio")
    with pytest.raises(UsageError, match=r"ev.echo does not run as a task \(its taskSupport is 'forbidden'\)"):
        ip.run_line_magic("mcp", "call ev.echo message=hi --task")
    handle = ip.run_line_magic("mcp", "call ev.simulate-research-query topic=frogs --background")
    assert isinstance(handle, TaskHandle)
    assert ip.run_line_magic("mcp", f"task ev {handle.task_id} --wait").text.startswith("# Research Report: frogs")
