"""The exceptions mcp_notebook raises.

Every message says what went wrong and what to do next. The core raises these; the magics turn
each into a one-line IPython ``UsageError`` in one place (``magics._translate``), so the kernel
and every other session stay usable. Nothing here imports IPython.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ArgumentsInvalid",
    "CallTimeout",
    "ConnectFailed",
    "Interrupted",
    "InvalidResult",
    "McpNotebookError",
    "NotConnected",
    "ServerDied",
    "ServerError",
    "ToolFailed",
    "TransportFailed",
    "UsageProblem",
    "did_you_mean",
]


class McpNotebookError(Exception):
    """Base class of every error this package raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows the user's own frames and the message, not this package's and the SDK's
        # frames nor the chain of causes (all still on the exception, for %debug).
        from ._tracebacks import user_traceback

        return user_traceback(self)


class UsageProblem(McpNotebookError, ValueError):
    """The user asked for something that cannot be done as written (a typo, a bad value)."""


class ArgumentsInvalid(UsageProblem):
    """Tool, prompt or template arguments failed validation before anything was sent."""


class NotConnected(McpNotebookError):
    """No usable connection under that name (never opened, closed, or dead)."""


class ConnectFailed(McpNotebookError):
    """A server could not be started or reached, or the handshake failed."""


class TransportFailed(McpNotebookError):
    """The transport broke during a request (HTTP error, pipe closed, unreadable reply)."""


class ServerDied(TransportFailed):
    """The server went away during or before a request; the connection is now dead."""


class ServerError(McpNotebookError):
    """The server answered a request with a JSON-RPC error (unknown resource, bad params, ...)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class InvalidResult(McpNotebookError):
    """The server's reply does not conform to the protocol or to the tool's output schema."""


class CallTimeout(McpNotebookError, TimeoutError):
    """A request did not finish within its timeout; it was cancelled on the server."""


class ToolFailed(McpNotebookError):
    """A tool reported an error (``isError``). Raised only on request: ``result.raise_for_error()``."""

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class Interrupted(KeyboardInterrupt):
    """A blocking call the user interrupted: it was cancelled (the server is told) and the cell stops.

    Still a ``KeyboardInterrupt``, so the rest of the cell does not run and ``except Exception``
    does not swallow it; IPython shows its one line (``_render_traceback_``) instead of a
    traceback through this package.
    """

    def __init__(self, what: str | None, seconds: float, settled: bool = True) -> None:
        super().__init__(what, seconds, settled)
        self.what = what
        """What was running (``"demo.query"``, ``"read demo://x"``), when known."""
        self.seconds = seconds
        """How long it had run when the interrupt came."""
        self.settled = settled
        """Whether the cancelled work had wound down before control came back."""
        self.after: str | None = None
        """What the state is now (``"the session is ready"``), filled in by whoever knows."""

    def __str__(self) -> str:
        text = f"cancelled {self.what or 'what was running'} after {self.seconds:.1f} s"
        if not self.settled:
            text += " (it was still winding down)"
        return f"{text}; {self.after}" if self.after else text

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def did_you_mean(word: str, choices: Iterable[str], then: str = "") -> str:
    """The rest of a "no such thing" sentence: ``"; did you mean 'x'?"`` for the closest choice,
    followed by ``then`` (what to do otherwise), or ``"; " + then`` when nothing is close.

    ``f"no tool {name!r}{did_you_mean(name, tools, '`%mcp tools` lists them')}"`` reads
    "no tool 'qeury'; did you mean 'query'? `%mcp tools` lists them", or without a close match
    "no tool 'xyz'; `%mcp tools` lists them". Text in parentheses may follow the bare form directly.
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    if not then:
        return guess
    return f"{guess} {then}" if guess else f"; {then}"
