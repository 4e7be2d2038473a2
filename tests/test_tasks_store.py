"""The task records a notebook keeps (``TaskStore``) and how a server's task is read (``TaskState``)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mcp_notebook.errors import InvalidResult
from mcp_notebook.tasks import TaskRecord, TaskState, TaskStore
from mcp_notebook.tasks._store import notebook_name, safe_arguments, tasks_dir


def record(n: int, status: str = "working") -> TaskRecord:
    return TaskRecord("srv", f"t{n}", "tool", "2025-11-25", status=status)


def test_records_live_per_notebook_under_the_jupyter_data_dir_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ada/work/penguins.ipynb")
    first = TaskStore()
    first.save(record(1))
    assert first.path.parent == tasks_dir() == tmp_path / "data" / "mcp_notebook" / "tasks"
    assert first.path.name.startswith("penguins-")
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.path.parent.stat().st_mode) == 0o700
    assert json.loads(first.path.read_text())["notebook"] == "/home/ada/work/penguins.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ada/work/otters.ipynb")
    assert TaskStore().records() == []  # another notebook, another file
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ada/work/penguins.ipynb")
    assert [r.task_id for r in TaskStore().records()] == ["t1"]  # the same notebook, after a restart


def test_a_kernel_without_a_notebook_name_keys_by_its_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert notebook_name().startswith(str(tmp_path))


def test_saving_replaces_the_same_task_and_keeps_it_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mcp_notebook.tasks import _store

    monkeypatch.setattr(_store, "MAX_RECORDS", 20)
    store = TaskStore(tmp_path / "t.json")
    store.save(record(1))
    store.save(record(1, "completed"))
    assert [(r.task_id, r.status) for r in store.records()] == [("t1", "completed")]
    for n in range(2, 24):
        store.save(record(n))
    kept = [r.task_id for r in store.records()]
    # t1 (finished) went first, then the oldest of the others; the newest are all there.
    assert len(kept) == 20 and "t1" not in kept and kept[0] == "t4" and kept[-1] == "t23"
    assert store.forget("srv", "t23") and not store.forget("srv", "t23")


def test_a_damaged_file_is_as_good_as_none(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("{not json")
    assert TaskStore(path).records() == []
    path.write_text(json.dumps({"format": "mcp-notebook-tasks", "tasks": [{"server": "s"}, 3, None]}))
    assert TaskStore(path).records() == []


def test_arguments_are_kept_without_secrets_and_bounded() -> None:
    kept = safe_arguments({"query": "otters", "api_key": "s3cret", "nested": {"password": "p"}})
    assert kept == {"query": "otters", "api_key": "***", "nested": {"password": "***"}}
    assert "(truncated)" in safe_arguments({"blob": "x" * 10_000})


def test_a_servers_task_is_checked_not_trusted() -> None:
    state = TaskState.from_wire(
        {"taskId": "a1", "status": "working", "ttl": 60000, "pollInterval": 500, "statusMessage": "m" * 900}, "x"
    )
    assert (state.ttl_ms, state.poll_ms, len(state.message or "")) == (60000, 500, 500)
    modern = TaskState.from_wire({"taskId": "a1", "status": "completed", "ttlMs": None, "result": {"content": []}}, "x")
    assert modern.terminal and modern.result == {"content": []}
    with pytest.raises(InvalidResult, match="status 'done', which is none of"):
        TaskState.from_wire({"taskId": "a1", "status": "done"}, "x")
    with pytest.raises(InvalidResult, match="not a usable id"):
        TaskState.from_wire({"taskId": "z" * 5000, "status": "working"}, "x")
    with pytest.raises(InvalidResult, match="no taskId"):
        TaskState.from_wire({"status": "working"}, "x")
