"""The asker of a blocking call: it puts a server's question to the user through ``input()`` in the
thread that waits on the call (via the call's inbox), or, where the cell has no stdin, declines
and says so in one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import mcp_types as types

from ._inbox import Inbox
from ._prompts import ask_form, ask_sample, ask_url
from .asking import Ask, NoStdin

__all__ = ["InputAsker", "NoStdin", "no_stdin_note", "stdin_available"]

T = TypeVar("T")


def stdin_available() -> bool:
    """Whether ``input()`` can reach a person in this cell (False in a kernel run without stdin)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: input() reads the terminal or a pipe
        return True
    kernel = getattr(get_ipython(), "kernel", None)
    # ipykernel records, per execute request, whether the front end takes input requests.
    return getattr(kernel, "_allow_stdin", True) is not False


def _no_stdin(error: BaseException) -> bool:
    """Whether ``error`` is ``input()`` saying there is no one to ask (no stdin, or it is closed)."""
    return isinstance(error, (NoStdin, EOFError)) or type(error).__name__ == "StdinNotImplementedError"


_HOW = {
    "elicit": ("input", "--on-elicit (on_elicit=)", "on_elicit"),
    "url": ("you to open a link", "--on-elicit (on_elicit=)", "on_elicit"),
    "sample": ("an LLM reply", "--on-sample (on_sample=)", "on_sample"),
}


def no_stdin_note(server: str, kind: str) -> str:
    """The one line a cell shows when a server's question is declined for want of stdin."""
    what, option, trait = _HOW[kind]
    return (
        f"declined {server}'s request for {what}: this run has no stdin to ask you (jupyter execute, "
        f"papermill, Voilà); to answer unattended, connect with {option} or set %config MCPMagics.{trait}"
    )


class InputAsker:
    """Asks through ``input()`` in the thread that waits on the call (via its inbox)."""

    MAX_NOTES = 20  # server warnings shown in one call's cell; a flood goes to the log only

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._notes = 0
        self._no_stdin = False  # learnt on the first question; later ones are declined at once

    async def _in_caller(self, fn: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()

        def run() -> None:
            try:
                value = fn()
            except BaseException as e:
                loop.call_soon_threadsafe(_settle, answer, None, e)
                if isinstance(e, KeyboardInterrupt):
                    raise  # the waiting call is interrupted: it cancels the request
                return
            loop.call_soon_threadsafe(_settle, answer, value, None)

        self.inbox.post(run)
        return await answer

    async def in_caller(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (it may print and call ``input()``) in the waiting thread; its value."""
        result: T = await self._in_caller(fn)
        return result

    async def _ask(self, server: str, kind: str, fn: Callable[[], T]) -> T:
        """``fn()`` in the waiting thread, unless nobody can answer there: then ``NoStdin``, and
        the cell says so (once a call)."""
        note = no_stdin_note(server, kind)

        def put() -> T:
            if not stdin_available():
                raise NoStdin(note)
            return fn()

        if not self._no_stdin:
            try:
                result: T = await self._in_caller(put)
                return result
            except Exception as e:
                if not _no_stdin(e):
                    raise
                self._no_stdin = True
                self.notify(note)
        raise NoStdin(note)

    async def elicit(self, ask: Ask) -> types.ElicitResult:
        if ask.mode == "url":
            return await self._ask(ask.server, "url", lambda: ask_url(ask))
        return await self._ask(ask.server, "elicit", lambda: ask_form(ask))

    async def sample(self, server: str, params: types.CreateMessageRequestParams) -> types.CreateMessageResult | None:
        return await self._ask(server, "sample", lambda: ask_sample(server, params))

    def notify(self, text: str) -> None:
        """Show a line (a server warning) in the waiting caller's cell, at most ``MAX_NOTES`` a call."""
        import sys

        self._notes += 1
        if self._notes > self.MAX_NOTES:
            if self._notes == self.MAX_NOTES + 1:
                server = text[1:].split(" ", 1)[0]
                self.inbox.post(lambda: print(f"… more warnings from {server}: `%mcp log {server}`", file=sys.stderr))
            return
        self.inbox.post(lambda: print(text, file=sys.stderr))


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error if isinstance(error, Exception) else asyncio.CancelledError())
    else:
        future.set_result(value)
