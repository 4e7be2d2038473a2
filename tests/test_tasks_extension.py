"""Tasks in their 2026-07-28 form: the ``io.modelcontextprotocol/tasks`` extension (SEP-2663).

Against ``tests/servers/tasks_ext.py``, over stdio and Streamable HTTP: the server decides per call
whether to answer with a task; the client follows it with ``tasks/get`` (backoff that honours
``pollIntervalMs``), answers its ``inputRequests`` with ``tasks/update``, cancels with
``tasks/cancel``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ServerError, UsageProblem
from mcp_notebook.tasks import Detached, TaskStore
from mcp_notebook.tasks._poll import Backoff
from tests.peers import free_port, listening

SERVER = Path(__file__).parent / "servers" / "tasks_ext.py"


def stdio() -> list[str]:
    return [sys.executable, str(SERVER)]


@pytest.fixture
def store(tmp_path: Path) -> TaskStore:
    return TaskStore(tmp_path / "tasks.json")


@pytest.fixture(params=["stdio", "http"])
def ext(request: pytest.FixtureRequest, hub: Hub, store: TaskStore) -> Iterator[Server]:
    hub.task_book.store = store
    if request.param == "stdio":
        yield hub.connect("ext", command=stdio())
        return
    port = free_port()
    with listening([sys.executable, str(SERVER), "--http", str(port)], port, "tasks_ext"):
        yield hub.connect("ext", f"http://127.0.0.1:{port}/mcp")


def test_the_server_answers_with_a_task_and_the_call_waits_for_it(hub: Hub, ext: Server, store: TaskStore) -> None:
    assert ext.protocol_version == "2026-07-28"
    result = ext.call("crunch", n=10, seconds=0.6)
    assert result.data == {"total": 55}
    assert result.task_id is not None
    (record,) = store.records()
    assert (record.form, record.status, record.tool) == ("2026-07-28", "completed", "crunch")
    assert record.ttl_ms == 600_000 and record.poll_ms == 200
    assert list(hub.history()["task"]) == [result.task_id]
    # A tool the server never makes a task of is an ordinary call.
    quick = ext.call("quick", x=3)
    assert quick.text == "quick 3" and quick.task_id is None
    assert len(store.records()) == 1


def test_input_requests_are_answered_with_tasks_update(hub: Hub, store: TaskStore) -> None:
    asked: list[Any] = []

    def name(ask: Any) -> dict[str, str]:
        asked.append(ask)
        return {"name": "Grace"}

    hub.task_book.store = store
    ext = hub.connect("ext", command=stdio(), on_elicit=name)
    result = ext.call("ask_name", greeting="Hi")
    assert result.text == "Hi, Grace"
    assert len(asked) == 1 and asked[0].message == "What is your name?"


def test_input_requests_ask_the_waiting_cell(monkeypatch: pytest.MonkeyPatch, ext: Server) -> None:
    import builtins

    answers = ["y", "Ada"]
    monkeypatch.setattr(builtins, "input", lambda prompt="": answers.pop(0))
    assert ext.call("ask_name").text == "Hello, Ada"
    assert answers == []


def test_a_failed_task_raises_the_servers_error(ext: Server, store: TaskStore) -> None:
    with pytest.raises(ServerError, match="failed on the server: the reactor overheated") as info:
        ext.call("explode")
    assert info.value.code == -32603
    (record,) = store.records()
    assert record.status == "failed"


def test_start_cancel_and_pick_up_by_id(hub: Hub, ext: Server, store: TaskStore) -> None:
    handle = ext.start_task("crunch", n=4, seconds=30)
    assert handle.status == "working"
    assert ext.task(handle.task_id).status == "working"  # found again by id
    handle.cancel()
    deadline = time.monotonic() + 5
    while handle.status != "cancelled" and time.monotonic() < deadline:  # cancelling is eventual here
        time.sleep(0.1)
    assert handle.status == "cancelled"
    done = ext.start_task("crunch", n=3, seconds=0.2)
    assert done.result().data == {"total": 6}
    assert [r["status"] for r in hub.tasks().rows()] == ["cancelled", "completed"]


def test_polling_honours_the_servers_interval(hub: Hub, store: TaskStore) -> None:
    hub.task_book.store = store
    ext = hub.connect("ext", command=stdio(), env={"TASKS_EXT_POLL_MS": "700"})
    result = ext.call("crunch", n=2, seconds=2.0)
    polls = json.loads(ext.call("task_log", task_id=result.task_id).text)
    gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
    assert len(polls) >= 2
    assert min(gaps) >= 0.65  # never faster than the 700 ms the server asked for


def test_backoff_grows_while_nothing_changes_and_never_undercuts_the_server() -> None:
    backoff = Backoff()
    waits = []
    for _ in range(10):
        backoff.saw("working", "same")
        waits.append(backoff.next(None))
    assert waits == sorted(waits) and waits[0] == 0.25 and waits[-1] == 5.0
    assert backoff.next(9000) == 9.0  # a slower server's interval wins
    backoff.saw("working", "moved on")
    assert backoff.next(None) == 0.25  # news: look again soon
    assert backoff.next(100) == 0.25  # asking for less than the backoff does not make it poll faster


@pytest.fixture
def no_stray_interrupt() -> Iterator[None]:
    yield
    time.sleep(0.05)


@pytest.mark.usefixtures("no_stray_interrupt")
def test_an_interrupt_detaches_from_an_extension_task(ext: Server, store: TaskStore) -> None:
    timer = threading.Timer(0.6, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(Detached) as info:
        ext.call("crunch", n=100, seconds=2.5)
    task_id = info.value.task_id
    assert store.get("ext", task_id).status == "working"  # type: ignore[union-attr]
    assert ext.task(task_id).result().data == {"total": 5050}


def test_a_server_without_the_extension_refuses_as_task(hub: Hub) -> None:
    from mcp_notebook.demo.server import build_server

    plain = hub.connect("plain", server=build_server())
    with pytest.raises(UsageProblem, match="does not offer tasks"):
        plain.call("echo", text="x", as_task=True)


def test_a_task_outlives_the_kernel_that_started_it(tmp_path: Path) -> None:
    from mcp_notebook._runtime import Runtime

    store = TaskStore(tmp_path / "tasks.json")
    port = free_port()
    with listening([sys.executable, str(SERVER), "--http", str(port)], port, "tasks_ext"):
        url = f"http://127.0.0.1:{port}/mcp"
        first = Hub(Runtime(name="first-kernel"), timeout=30.0, progress=False)
        first.task_book.store = store
        try:
            handle = first.connect("ext", url).start_task("crunch", n=20, seconds=1.0)
        finally:
            first.close()
        second = Hub(Runtime(name="second-kernel"), timeout=30.0, progress=False)
        second.task_book.store = store
        try:
            ext = second.connect("ext", url)
            assert [r["task_id"] for r in second.tasks().rows()] == [handle.task_id]
            assert ext.task(handle.task_id).result().data == {"total": 210}
        finally:
            second.close()


def test_a_task_made_for_a_call_that_did_not_ask_for_one_is_still_answered(hub: Hub, store: TaskStore) -> None:
    # as_task=False: this client still declares the extension, so the server may make a task;
    # the SDK-level claim then follows it quietly (no record, no view) and the call gets its result.
    hub.task_book.store = store
    ext = hub.connect("ext", command=stdio())
    assert ext.call("crunch", n=3, seconds=0.3, as_task=False).data == {"total": 6}
    assert store.records() == []


def test_wait_with_a_timeout_leaves_the_task_running(ext: Server) -> None:
    handle = ext.start_task("crunch", n=5, seconds=3)
    assert handle.wait(timeout=0.3) == "working"
    with pytest.raises(TimeoutError, match="still working after 0.3 s; it keeps running"):
        handle.result(timeout=0.3)
    assert handle.result().data == {"total": 15}
