"""The loop thread on its own: results, errors, interrupts, posts to the caller, misuse."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from mcp_notebook._runtime import Inbox, Runtime, WrongThread


@pytest.fixture
def runtime():
    rt = Runtime(name="test-runtime")
    yield rt
    rt.stop()


async def answer(value, delay=0.0):
    await asyncio.sleep(delay)
    return value


def test_starts_lazily_and_returns_results(runtime):
    assert not runtime.running
    assert runtime.run(answer(42)) == 42
    assert runtime.running
    assert runtime.loop is runtime.loop  # one loop, reused


def test_exceptions_cross_the_bridge_unchanged(runtime):
    async def boom():
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        runtime.run(boom())
    assert runtime.run(answer("still fine")) == "still fine"


def test_posts_run_in_the_waiting_thread_before_the_result(runtime):
    seen = []

    async def work(inbox: Inbox):
        for i in range(3):
            inbox.post(lambda i=i: seen.append((i, threading.current_thread().name)))
            await asyncio.sleep(0.01)
        return "done"

    inbox = Inbox()
    assert runtime.run(work(inbox), inbox=inbox) == "done"
    assert seen == [(i, threading.current_thread().name) for i in range(3)]


def test_a_failing_post_does_not_lose_the_result(runtime, caplog):
    async def work(inbox: Inbox):
        inbox.post(lambda: 1 / 0)
        return "kept"

    inbox = Inbox()
    assert runtime.run(work(inbox), inbox=inbox) == "kept"
    assert "display update failed" in caplog.text


def test_interrupt_cancels_the_task_and_waits_for_its_cleanup(runtime):
    cleaned = threading.Event()

    async def forever():
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # clean-up that needs the loop, like a cancel notification
            cleaned.set()

    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runtime.run(forever())
    assert time.monotonic() - started < 2
    assert cleaned.is_set()
    assert runtime.run(answer("next")) == "next"


def test_last_resort_timeout_cancels(runtime):
    with pytest.raises(TimeoutError):
        runtime.run(answer(1, delay=10), timeout=0.2)


def test_blocking_on_the_loop_thread_is_refused(runtime):
    async def nested():
        inner = answer(1)
        try:
            runtime.run(inner)
        except WrongThread as e:
            return str(e)
        return "no error"

    assert "awaitable variant" in runtime.run(nested())


def test_awaitable_from_another_loop_and_from_its_own(runtime):
    async def outside():
        return await runtime.arun(answer("from asyncio.run"))

    assert asyncio.run(outside()) == "from asyncio.run"

    async def inside():
        return await runtime.arun(answer("on its own loop"))

    assert runtime.run(inside()) == "on its own loop"


def test_cancelling_an_awaiting_task_cancels_the_work(runtime):
    cancelled = threading.Event()

    async def forever():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def caller():
        task = asyncio.ensure_future(runtime.arun(forever()))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(caller())
    assert cancelled.wait(2)


def test_stop_joins_the_thread(runtime):
    runtime.run(answer(None))
    thread = runtime._thread
    runtime.stop()
    assert thread is not None and not thread.is_alive()
    assert runtime.run(answer("restarted")) == "restarted"  # a stopped runtime starts again on use
