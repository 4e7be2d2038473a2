"""Tasks in their 2025-11-25 form, against the reference server ``server-everything`` (npm).

Its ``simulate-research-query`` must run as a task (``execution.taskSupport: "required"``): four
stages of about a second each, ``statusMessage`` naming the stage; with ``ambiguous: true`` it
moves to ``input_required`` and asks (through ``tasks/result``) which interpretation is meant.
Its ``trigger-sampling-request-async`` / ``trigger-elicitation-request-async`` exist only for a
client that advertises ``tasks.requests.*``, and ask the client to answer *as a task*.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_notebook import tasks
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import UsageProblem
from mcp_notebook.tasks import Detached, TaskEnded, TaskStore
from tests.peers import everything_js

pytestmark = pytest.mark.peers

RESEARCH = "simulate-research-query"


def command() -> list[str]:
    return ["node", str(everything_js()), "stdio"]


@pytest.fixture
def store(tmp_path: Path) -> TaskStore:
    return TaskStore(tmp_path / "tasks.json")


@pytest.fixture
def ev(hub: Hub, store: TaskStore) -> Server:
    hub.task_book.store = store
    return hub.connect("ev", command=command())


@pytest.fixture
def no_stray_interrupt() -> Iterator[None]:
    yield
    time.sleep(0.05)


def interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_a_task_only_tool_runs_as_a_task_and_is_waited_for(
    hub: Hub, ev: Server, store: TaskStore, capsys: pytest.CaptureFixture[str]
) -> None:
    result = ev.call(RESEARCH, topic="otters", progress=True)
    assert not result.is_error
    assert result.text.startswith("# Research Report: otters")
    assert result.task_id is not None
    # The live line went to the calling thread: each stage the server named, then the end.
    err = capsys.readouterr().err
    for stage in ("Gathering sources", "Analyzing content", "Synthesizing findings", "Generating report"):
        assert f"working: {stage}" in err
    assert f"✓ ev.{RESEARCH} · task {result.task_id} · completed" in err
    # The notebook's records and the history have it.
    (record,) = store.records()
    assert (record.server, record.tool, record.task_id, record.status) == ("ev", RESEARCH, result.task_id, "completed")
    assert record.arguments == {"topic": "otters"}
    assert record.ttl_ms == 300000 and record.poll_ms == 1000
    frame = hub.history()
    assert list(frame["status"]) == ["ok"] and list(frame["task"]) == [result.task_id]


def test_the_server_lists_and_the_notebook_lists_its_tasks(hub: Hub, ev: Server) -> None:
    first = ev.start_task(RESEARCH, topic="ants")
    second = ev.start_task(RESEARCH, topic="bees")
    assert first.status in ("working", "input_required")
    listing = hub.tasks()
    assert [r["task_id"] for r in listing.rows()] == [first.task_id, second.task_id]
    frame = listing.to_dataframe()
    assert list(frame.columns[:6]) == ["server", "tool", "arguments", "status", "created", "ttl"]
    assert frame["ttl"][0].total_seconds() == 300
    assert frame["arguments"][1] == {"topic": "bees"}
    # The server's own tasks/list holds both (SEP-1686 tasks.list).
    on_server = hub._engine.block(_server_list(ev))  # the test reaches the loop itself, on purpose
    assert {first.task_id, second.task_id} <= on_server
    assert second.result().text.startswith("# Research Report: bees")
    assert first.result().text.startswith("# Research Report: ants")
    assert [r["status"] for r in hub.tasks().rows()] == ["completed", "completed"]


async def _server_list(ev: Server) -> set[str]:
    from mcp_notebook.tasks._legacy import list_tasks

    conn = ev.connection
    return {t.task_id for t in await conn.request("tasks/list", lambda c: list_tasks(c.session), 10)}


def test_input_required_asks_through_the_connection_policy(hub: Hub, store: TaskStore) -> None:
    asked: list[Any] = []

    def choose(ask: Any) -> dict[str, str]:
        asked.append(ask)
        return {"interpretation": "comedy"}

    hub.task_book.store = store
    ev = hub.connect("ev", command=command(), on_elicit=choose)
    result = ev.call(RESEARCH, topic="python", ambiguous=True)
    assert len(asked) == 1 and "multiple interpretations" in asked[0].message
    assert "**Clarification**: comedy" in result.text


def test_input_required_asks_the_waiting_cell(
    monkeypatch: pytest.MonkeyPatch, ev: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []
    answers = ["y", "2"]  # answer the form; the second of the three interpretations offered

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        print(prompt)
        return answers.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    result = ev.call(RESEARCH, topic="python", ambiguous=True, progress=True)
    assert prompts, "the server's question was never put to the user"
    out = capsys.readouterr()
    assert "Python snake species" in out.out  # the choices were shown
    assert "**Clarification**: snake" in result.text


def test_cancel_a_running_task(ev: Server, store: TaskStore) -> None:
    handle = ev.start_task(RESEARCH, topic="eels")
    assert handle.cancel() == "cancelled"
    assert store.get("ev", handle.task_id).status == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(TaskEnded, match="was cancelled"):
        handle.result()
    # Cancelling again is refused by the server (terminal), in one clear line.
    with pytest.raises(Exception, match="terminal"):
        handle.cancel()


@pytest.mark.usefixtures("no_stray_interrupt")
def test_an_interrupt_detaches_and_the_task_is_picked_up_again(hub: Hub, ev: Server, store: TaskStore) -> None:
    interrupt_after(1.2)
    started = time.monotonic()
    with pytest.raises(Detached) as info:
        ev.call(RESEARCH, topic="moles")
    assert time.monotonic() - started < 3
    detached = info.value
    assert isinstance(detached, KeyboardInterrupt)
    line = str(detached)
    assert line.startswith(f"detached from ev.{RESEARCH} after 1.")
    assert f"%mcp task ev {detached.task_id} --wait" in line
    # Still running on the server; the history says detached, with the task id.
    assert store.get("ev", detached.task_id).status == "working"  # type: ignore[union-attr]
    frame = hub.history()
    assert (frame["status"].iloc[-1], frame["task"].iloc[-1]) == ("detached", detached.task_id)
    handle = ev.task(detached.task_id)
    result = handle.result()
    assert result.text.startswith("# Research Report: moles")
    assert handle.status == "completed"
    assert (hub.history()["status"].iloc[-1], hub.history()["task"].iloc[-1]) == ("ok", detached.task_id)
    # The session carried on meanwhile, and still does.
    assert ev.call("echo", message="after").text == "Echo: after"


def test_the_server_asks_the_client_for_sampling_as_a_task(hub: Hub, store: TaskStore) -> None:
    seen: list[Any] = []

    def reply(messages: Any, params: Any) -> str:
        seen.append(messages)
        return "forty-two"

    hub.task_book.store = store
    ev = hub.connect("ev", command=command(), on_sample=reply)
    assert "trigger-sampling-request-async" in ev.tools().names()  # advertised tasks.requests.sampling
    result = ev.call("trigger-sampling-request-async", prompt="the answer?", maxTokens=10)
    assert result.text.startswith("[COMPLETED] Async sampling completed!")
    assert '"text": "forty-two"' in result.text
    assert "Task created: " in result.text and "Poll 1: " in result.text  # the server polled our tasks/get
    assert len(seen) == 1
    assert "as task" in ev.log().to_dataframe()["text"].str.cat(sep="\n")


def test_the_server_asks_the_client_for_elicitation_as_a_task(hub: Hub, store: TaskStore) -> None:
    hub.task_book.store = store
    ev = hub.connect("ev", command=command(), on_elicit=lambda ask: {"name": "Ada", "favoriteColor": "Blue"})
    result = ev.call("trigger-elicitation-request-async")
    assert result.text.startswith("[COMPLETED] User provided the requested information!")
    assert "- Name: Ada" in result.text and "- Favorite Color: Blue" in result.text


def test_a_declined_reverse_task_ends_failed_for_the_server(hub: Hub, store: TaskStore) -> None:
    hub.task_book.store = store
    ev = hub.connect("ev", command=command(), on_sample="decline")
    result = ev.call("trigger-sampling-request-async", prompt="no", maxTokens=5)
    assert result.text.startswith("[FAILED]")  # the server saw our task fail: the sampling was declined
    assert "declined" in result.text


def test_a_tool_that_does_not_run_as_a_task_refuses_as_task(ev: Server) -> None:
    with pytest.raises(UsageProblem, match=r"ev.echo does not run as a task \(its taskSupport is 'forbidden'\)"):
        ev.call("echo", message="x", as_task=True)
    with pytest.raises(UsageProblem, match="runs only as a task"):
        ev.call(RESEARCH, topic="x", as_task=False)


def test_the_capability_is_declared_only_on_the_2025_era(hub: Hub, ev: Server) -> None:
    # The handshake carried the tasks capability (the server registered the async tools for it).
    caps = ev.connection.client.session._build_capabilities("2025-11-25")  # type: ignore[union-attr]
    dumped = caps.model_dump(by_alias=True, exclude_none=True)
    assert dumped["tasks"]["requests"] == {"sampling": {"createMessage": {}}, "elicitation": {"create": {}}}
    modern = ev.connection.client.session._build_capabilities("2026-07-28")  # type: ignore[union-attr]
    assert modern.tasks is None
    assert json.dumps(tasks.IDENTIFIER)  # the 2026 form is the extension instead


def _private(name: str, store: TaskStore) -> Hub:
    """A hub of its own (as a kernel would have), on the notebook's task records ``store``."""
    from mcp_notebook._runtime import Runtime

    hub = Hub(Runtime(name=name), timeout=30.0, progress=False)
    hub.task_book.store = store
    return hub


def test_a_task_outlives_the_kernel_that_started_it_over_http(store: TaskStore) -> None:
    from tests.peers import everything_http

    with everything_http("streamableHttp") as peer:
        first = _private("first-kernel", store)
        try:
            handle = first.connect("ev", peer.url).start_task(RESEARCH, topic="owls")
        finally:
            first.close()  # as a kernel shuts down: the HTTP session is kept for the task
        second = _private("second-kernel", store)
        try:
            ev = second.connect("ev", peer.url)
            (row,) = second.tasks().rows()
            assert (row["task_id"], row["status"]) in ((handle.task_id, "working"), (handle.task_id, "completed"))
            result = ev.task(handle.task_id).result()
            assert result.text.startswith("# Research Report: owls")
            assert "reaching task" in ev.log().text  # through the session it was started in
            assert "ended the kept session" in ev.log().text  # and that session ended once picked up
            assert [r["status"] for r in second.tasks().rows()] == ["completed"]
        finally:
            second.close()


def test_a_stdio_servers_task_is_gone_after_the_kernel_and_says_so(store: TaskStore) -> None:
    first = _private("first-kernel", store)
    try:
        handle = first.connect("ev", command=command()).start_task(RESEARCH, topic="newts")
    finally:
        first.close()  # the server process ends with the kernel, and its tasks with it
    second = _private("second-kernel", store)
    try:
        ev = second.connect("ev", command=command())
        assert [r["status"] for r in second.tasks().rows()] == ["gone"]
        with pytest.raises(Exception, match=f"task {handle.task_id} .* is no longer on ev"):
            ev.task(handle.task_id).result()
    finally:
        second.close()
