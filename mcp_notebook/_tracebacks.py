"""What IPython shows for this package's errors: the user's own frames and the one-line message.

An error raised on the loop thread carries the frames of this package, the MCP SDK and asyncio,
and its chain of causes (the SDK's exception and its frames). The message already says what
went wrong and what to do, so a notebook shows only the frames of the user's code that led to it.
Nothing is lost: the exception keeps its full traceback and causes for ``%debug`` and logging.
"""

from __future__ import annotations

import copy
from types import FrameType, TracebackType

__all__ = ["user_traceback"]

# Modules whose frames are plumbing as far as the user is concerned.
_PLUMBING = ("mcp_notebook", "mcp", "mcp_types", "anyio", "asyncio", "concurrent", "threading", "queue")


def _plumbing(frame: FrameType) -> bool:
    if frame.f_locals.get("__tracebackhide__"):
        return True  # this package's bridge, and IPython's own bottom frame
    module = str(frame.f_globals.get("__name__", ""))
    return module.split(".", 1)[0] in _PLUMBING


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """A new traceback holding only the frames that are not plumbing, in the same order."""
    kept: list[TracebackType] = []
    while tb is not None:
        if not _plumbing(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt: TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def user_traceback(error: BaseException) -> list[str]:
    """IPython's rendering of ``error`` with only the user's frames and no chain of causes."""
    line = [f"{type(error).__name__}: {error}"]
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return line
        bare = copy.copy(error)  # the same message and attributes, without the chain of causes
        bare.__cause__ = bare.__context__ = None
        bare.__traceback__ = None
        tb = _user_frames(error.__traceback__)
        if tb is None:
            return line
        lines: list[str] = shell.InteractiveTB.structured_traceback(type(error), bare, tb, tb_offset=0)
        return lines
    except Exception:  # never let the rendering hide the error itself
        return line
