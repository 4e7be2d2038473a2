"""Tasks in the data-work features: ``map`` over a task tool, the explorer, history, recording and replay.

Against ``tests/servers/tasks_ext.py`` (2026-07-28 extension: the server makes tasks of ``crunch``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from mcp_notebook.api import Hub, Server
from mcp_notebook.tasks import TaskStore

SERVER = Path(__file__).parent / "servers" / "tasks_ext.py"


@pytest.fixture
def store(tmp_path: Path) -> TaskStore:
    return TaskStore(tmp_path / "tasks.json")


@pytest.fixture
def ext(hub: Hub, store: TaskStore) -> Server:
    hub.task_book.store = store
    return hub.connect("ext", command=[sys.executable, str(SERVER)])


def test_map_runs_each_row_as_a_task_at_bounded_concurrency(ext: Server, store: TaskStore) -> None:
    frame = ext.map("crunch", [{"n": n, "seconds": 0.4} for n in (1, 2, 3, 4)], concurrency=2)
    assert frame["total"].tolist() == [1, 3, 6, 10]
    assert frame["status"].tolist() == ["ok"] * 4
    records = store.records()
    assert len(records) == 4 and {r.status for r in records} == {"completed"}
    # Two at a time: from each task's start to its end (its last record), never more than two ran.
    spans = [(r.started, r.updated) for r in records]
    running = [sum(1 for a, b in spans if a <= start < b) for start, _ in spans]
    assert max(running) == 2


def test_the_explorer_runs_a_task_tool_as_a_task_and_its_cancel_cancels_the_task(
    hub: Hub, ext: Server, store: TaskStore
) -> None:
    from mcp_notebook.widgets._explorer import Explorer

    ex = Explorer(hub, "ext")
    assert ex.wait_idle()
    ex.tools.list.value = "crunch"
    ex.tools.form.field("n").control.value = "7"
    ex.tools.form.field("seconds").control.value = "0.4"
    ex.tools.run.click()
    assert ex.tools.wait_idle(30)
    assert "✓ ok" in ex.tools.status.value
    handle = ex.tools.handle
    assert handle is not None and handle.task is not None and handle.task.status == "completed"
    assert handle.result().data == {"total": 28}
    # Cancel while it runs: the task is cancelled on the server, not just left behind.
    ex.tools.form.field("seconds").control.value = "30"
    ex.tools.run.click()
    deadline = time.monotonic() + 10
    while (ex.tools.handle.task is None or "task" not in ex.tools.status.value) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "⏳ task " in ex.tools.status.value
    task_id = ex.tools.handle.task.task_id
    ex.tools.cancel.click()
    assert ex.tools.wait_idle(10)
    assert "cancelled after" in ex.tools.status.value
    handle = ext.task(task_id)
    deadline = time.monotonic() + 5
    while handle.status != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert handle.status == "cancelled"


def test_history_has_started_detached_and_fetched_tasks(hub: Hub, ext: Server) -> None:
    handle = ext.start_task("crunch", n=3, seconds=0.2)
    assert handle.result().data == {"total": 6}
    frame = hub.history()
    assert list(frame["status"]) == ["started", "ok"]
    assert list(frame["task"]) == [handle.task_id, handle.task_id]


def test_a_recorded_task_replays_as_the_calls_answer(hub: Hub, ext: Server, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with hub.record(path):
        live = ext.call("crunch", n=9, seconds=0.2)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    (call,) = [line for line in lines if line.get("kind") == "call"]
    assert call["task"] == live.task_id and call["result"]["structuredContent"] == {"total": 45}
    replayed = hub.connect("again", replay=path, replay_from="ext")
    answer = replayed.call("crunch", n=9, seconds=0.2)
    assert answer.data == {"total": 45} and answer.task_id is None  # served from the file, no server, no task


def test_the_explorer_puts_a_tasks_question_in_its_form(hub: Hub, ext: Server) -> None:
    from mcp_notebook.widgets._explorer import Explorer

    ex = Explorer(hub, "ext")
    assert ex.wait_idle()
    ex.tools.list.value = "ask_name"
    ex.tools.run.click()
    deadline = time.monotonic() + 10
    while not ex.tools.questions.children and time.monotonic() < deadline:
        time.sleep(0.02)
    box = ex.tools.questions.children[0]
    assert "What is your name?" in box.children[0].value
    form_fields = box.children[1].children[1].children
    name_box = next(f for f in form_fields if "mcpnb-field-name" in f.children[0]._dom_classes)
    name_box.children[0].value = "Lin"
    box.children[2].children[0].click()  # accept: the answer goes back with tasks/update
    assert ex.tools.wait_idle(10)
    assert ex.tools.handle.result().text == "Hello, Lin"
