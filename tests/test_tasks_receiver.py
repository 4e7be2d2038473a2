"""The client's side of 2025-11-25 tasks the server asks for, and what ``install`` adds to a session.

``server-everything`` exercises ``tasks/get`` and ``tasks/result`` (tests/test_tasks_everything.py);
``tasks/list``, ``tasks/cancel``, failures, expiry and the routing of a task's progress are
checked here against the pieces themselves.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from mcp_notebook.tasks._legacy import RELATED_TASK
from mcp_notebook.tasks._receiver import TaskReceiver
from mcp_notebook.tasks._session import install


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_an_answer_as_a_task_is_polled_listed_and_fetched() -> None:
    async def go() -> None:
        gate = asyncio.Event()
        notes: list[str] = []

        async def answer(params: Any) -> dict[str, Any]:
            assert "task" not in params  # answered as the plain request
            await gate.wait()
            return {"action": "accept", "content": {"name": "Ada"}}

        receiver = TaskReceiver(notes.append)
        created = receiver.start("elicitation/create", {"message": "name?", "task": {"ttl": 60000}}, answer)
        task_id = created["task"]["taskId"]
        assert created["task"]["status"] == "working" and created["task"]["ttl"] == 60000
        assert (await receiver.answer("tasks/get", {"taskId": task_id}))["status"] == "working"
        listed = await receiver.answer("tasks/list", None)
        assert [t["taskId"] for t in listed["tasks"]] == [task_id]
        fetch = asyncio.create_task(receiver.answer("tasks/result", {"taskId": task_id}))
        await asyncio.sleep(0.05)
        assert not fetch.done()  # tasks/result blocks until the task ends
        gate.set()
        result = await fetch
        assert result["action"] == "accept" and result["_meta"][RELATED_TASK] == {"taskId": task_id}
        assert (await receiver.answer("tasks/get", {"taskId": task_id}))["status"] == "completed"
        assert any("as task" in n for n in notes)

    run(go())


def test_cancel_fail_unknown_and_expiry() -> None:
    async def go() -> None:
        async def forever(params: Any) -> dict[str, Any]:
            await asyncio.sleep(3600)
            return {}

        async def refuse(params: Any) -> dict[str, Any]:
            raise MCPError(-1, "The user declined the sampling request")

        receiver = TaskReceiver()
        slow = receiver.start("sampling/createMessage", {"task": {}}, forever)["task"]["taskId"]
        cancelled = await receiver.answer("tasks/cancel", {"taskId": slow})
        assert cancelled["status"] == "cancelled"
        with pytest.raises(MCPError, match="terminal status 'cancelled'"):
            await receiver.answer("tasks/cancel", {"taskId": slow})
        failing = receiver.start("sampling/createMessage", {"task": {}}, refuse)["task"]["taskId"]
        with pytest.raises(MCPError, match="declined") as info:
            await receiver.answer("tasks/result", {"taskId": failing})
        assert info.value.error.code == -1  # the same error the plain request would have given
        assert (await receiver.answer("tasks/get", {"taskId": failing}))["status"] == "failed"
        with pytest.raises(MCPError, match="Task not found") as unknown:
            await receiver.answer("tasks/get", {"taskId": "nope"})
        assert unknown.value.error.code == types.INVALID_PARAMS
        short = receiver.start("sampling/createMessage", {"task": {"ttl": 1}}, forever)["task"]["taskId"]
        time.sleep(0.01)
        with pytest.raises(MCPError, match="Task not found"):
            await receiver.answer("tasks/get", {"taskId": short})  # past its ttl: forgotten
        receiver.close()

    run(go())


class _FakeSession:
    """What ``install`` touches on an SDK session, and nothing more."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self._negotiated_version = "2025-11-25"

        async def tee(message: Any) -> None:
            self.seen.append(message)

        async def on_request(dctx: Any, method: str, params: Any) -> dict[str, Any]:
            return {"plain": method}

        self._message_handler = tee
        self._on_request = on_request
        self._build_capabilities = lambda version: types.ClientCapabilities(
            sampling=types.SamplingCapability(), elicitation=None
        )


def test_progress_of_a_task_reaches_whoever_follows_its_token() -> None:
    async def go() -> None:
        session = _FakeSession()
        hooks = install(session)
        got: list[tuple[float, float | None, str | None]] = []
        stop = hooks.follow_progress("tok-1", lambda p, t, m: got.append((p, t, m)))

        def note(token: str, value: float) -> types.ProgressNotification:
            params = types.ProgressNotificationParams(progress_token=token, progress=value, total=4, message="m")
            return types.ProgressNotification(params=params)

        await session._message_handler(note("tok-1", 1))
        await session._message_handler(note("other", 2))
        stop()
        await session._message_handler(note("tok-1", 3))
        assert got == [(1, 4, "m")]
        assert len(session.seen) == 3  # everything still reaches the connection's own handler

    run(go())


def test_the_capability_follows_the_callbacks_declared() -> None:
    session = _FakeSession()
    install(session)
    caps = session._build_capabilities("2025-11-25").model_dump(by_alias=True, exclude_none=True)
    assert caps["tasks"]["requests"] == {"sampling": {"createMessage": {}}}  # no elicitation callback, no ad
    assert session._build_capabilities("2026-07-28").tasks is None


def test_a_task_param_is_taken_only_for_the_requests_that_may_carry_it() -> None:
    async def go() -> None:
        session = _FakeSession()
        install(session)
        created = await session._on_request(None, "sampling/createMessage", {"task": {}, "messages": []})
        assert "task" in created
        assert await session._on_request(None, "roots/list", {"task": {}}) == {"plain": "roots/list"}
        session._negotiated_version = "2026-07-28"  # the 2026 form has no client-side tasks
        assert await session._on_request(None, "sampling/createMessage", {"task": {}}) == {
            "plain": "sampling/createMessage"
        }

    run(go())


class _Conn:
    """What ``plan`` reads of a connection: its name, era, capabilities and the tool's listing."""

    def __init__(self, version: str, caps: dict[str, Any], support: str | None) -> None:
        self.name = "s"
        self.protocol_version = version
        self.capabilities = types.ServerCapabilities.model_validate(caps)
        execution = {"execution": {"taskSupport": support}} if support else {}
        self._tool = types.Tool.model_validate({"name": "t", "inputSchema": {"type": "object"}, **execution})

        self.catalog = self  # the connection's listings: the one tool

    async def tool(self, name: str, *, timeout: float | None = None) -> types.Tool:
        return self._tool


TASKS_2025 = {"tasks": {"requests": {"tools": {"call": {}}}}}
EXTENSION = {"extensions": {"io.modelcontextprotocol/tasks": {}}}


@pytest.mark.parametrize(
    ("version", "caps", "support", "as_task", "expected"),
    [
        ("2025-11-25", TASKS_2025, "required", None, "2025-11-25"),
        ("2025-11-25", TASKS_2025, "optional", None, None),  # optional: an ordinary call unless asked
        ("2025-11-25", TASKS_2025, "optional", True, "2025-11-25"),  # --task
        ("2025-11-25", TASKS_2025, None, None, None),  # absent means forbidden
        ("2025-11-25", {}, "required", None, None),  # no tasks capability: MUST NOT augment
        ("2026-07-28", EXTENSION, None, None, "2026-07-28"),  # the server decides per call
        ("2026-07-28", EXTENSION, None, False, None),
        ("2026-07-28", {}, None, None, None),
    ],
)
def test_when_a_call_runs_as_a_task(
    version: str, caps: dict[str, Any], support: Any, as_task: Any, expected: Any
) -> None:
    from mcp_notebook.tasks import plan

    assert run(plan(_Conn(version, caps, support), "t", as_task, None)) == expected


@pytest.mark.parametrize(
    ("version", "caps", "support", "as_task", "words"),
    [
        ("2025-11-25", TASKS_2025, "forbidden", True, "does not run as a task"),
        ("2025-11-25", TASKS_2025, "required", False, "runs only as a task"),
        ("2025-11-25", {}, "optional", True, "does not offer tasks"),
        ("2026-07-28", {}, None, True, "without the io.modelcontextprotocol/tasks extension"),
    ],
)
def test_what_cannot_run_as_a_task_is_refused(
    version: str, caps: dict[str, Any], support: Any, as_task: Any, words: str
) -> None:
    from mcp_notebook.errors import UsageProblem
    from mcp_notebook.tasks import plan

    with pytest.raises(UsageProblem, match=words):
        run(plan(_Conn(version, caps, support), "t", as_task, None))
