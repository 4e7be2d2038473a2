"""Calls that end early — interrupted, cancelled, timed out — stay in the history, with that status.

In-process servers (``hub.connect(name, server=...)``) whose tool, resource and prompt wait until
cancelled; a SIGINT to this process plays the user's interrupt, as the kernel sends it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from mcp.server.mcpserver import MCPServer

import mcp_notebook.errors as errors
from mcp_notebook.api import Hub, Server


def _waiting_server() -> MCPServer:
    """A tool, a resource and a prompt that answer only after ``seconds`` (default: never)."""
    local = MCPServer("waiting")

    @local.tool()
    async def wait(seconds: float = 3600.0) -> str:
        await asyncio.sleep(seconds)
        return f"waited {seconds}"

    @local.tool()
    def quick(n: int = 0) -> str:
        return f"quick {n}"

    @local.resource("waiting://forever", mime_type="text/plain")
    async def forever() -> str:
        await asyncio.sleep(3600)
        return "never"

    @local.prompt()
    async def patience(topic: str) -> str:
        await asyncio.sleep(3600)
        return f"about {topic}"

    return local


@pytest.fixture
def waiting(hub: Hub) -> Server:
    server = hub.connect("waiting", server=_waiting_server())
    # The first call waits for jsonschema, which a thread imports during the connect; an import
    # in progress can hold the loop up for a second, longer than an interrupt waits for a cancel.
    server.call("quick")
    hub.history(clear=True)
    return server


def interrupt_after(seconds: float) -> threading.Timer:
    """Send this process a SIGINT (a kernel interrupt) ``seconds`` from now."""
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def rows(hub: Hub) -> list[tuple[str, str, str]]:
    frame = hub.history()
    return list(zip(frame["kind"], frame["name"], frame["status"], strict=True))


@pytest.fixture
def no_stray_interrupt() -> Iterator[None]:
    yield
    time.sleep(0.05)  # a timer that fired late would otherwise hit the next test


@pytest.mark.usefixtures("no_stray_interrupt")
def test_an_interrupted_call_read_and_prompt_are_in_the_history(hub: Hub, waiting: Server) -> None:
    for run in (
        lambda: waiting.call("wait"),
        lambda: waiting.read("waiting://forever"),
        lambda: waiting.prompt("patience", topic="ice"),
    ):
        interrupt_after(0.3)
        with pytest.raises(KeyboardInterrupt):
            run()
    assert rows(hub) == [
        ("tool", "wait", "cancelled"),
        ("resource", "waiting://forever", "cancelled"),
        ("prompt", "patience", "cancelled"),
    ]
    assert hub.history()["duration_ms"].min() >= 250  # how long each ran before the interrupt
    assert waiting.call("quick", n=1).text == "quick 1"  # and the session carries on


def test_timeouts_are_in_the_history_as_timeout(hub: Hub, waiting: Server) -> None:
    with pytest.raises(errors.CallTimeout):
        waiting.call("wait", timeout=0.2)
    with pytest.raises(errors.CallTimeout):
        waiting.read("waiting://forever", timeout=0.2)
    with pytest.raises(errors.CallTimeout):
        waiting.prompt("patience", topic="ice", timeout=0.2)
    assert [status for _kind, _name, status in rows(hub)] == ["timeout", "timeout", "timeout"]


def test_a_cancelled_background_call_is_in_the_history(hub: Hub, waiting: Server) -> None:
    handle = waiting.submit("wait")
    time.sleep(0.3)  # let it reach the server
    assert handle.cancel()
    deadline = time.monotonic() + 5
    while not rows(hub) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rows(hub) == [("tool", "wait", "cancelled")]


@pytest.mark.usefixtures("no_stray_interrupt")
def test_the_rows_an_interrupt_cancels_in_a_map_are_in_the_history(hub: Hub, waiting: Server) -> None:
    # Two rows finish at once, two wait until the interrupt ends them.
    data = [{"seconds": 0}, {"seconds": 3600}, {"seconds": 0}, {"seconds": 3600}]
    interrupt_after(0.5)
    frame = waiting.map("wait", data, concurrency=4)
    assert list(frame["status"]) == ["ok", "cancelled", "ok", "cancelled"]
    history = hub.history()
    assert sorted(history["status"]) == ["cancelled", "cancelled", "ok", "ok"]
    cancelled = history[history["status"] == "cancelled"]
    assert [a["seconds"] for a in cancelled["arguments"]] == [3600, 3600]
