"""Which way to reach a task recorded earlier: the live connection, or the HTTP session it was started in.

A 2025-11-25 task started over Streamable HTTP may exist only in its MCP session (``_http``). When
the live connection to that server is another session (the kernel restarted, or the server was
connected again), the task is reached through that session, resumed for as long as needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from ..errors import CallTimeout, ServerError, TransportFailed
from . import _legacy
from ._http import resumed
from ._runner import Channel, ConnectionChannel
from ._store import TaskRecord, TaskStore

__all__ = ["SessionGone", "open_channel"]


class SessionGone(ServerError):
    """The HTTP session a task lived in has ended, and the task with it."""


class ResumedChannel(ConnectionChannel):
    """A ``ConnectionChannel`` whose requests go over a resumed HTTP session instead."""

    def __init__(self, conn: Any, session: Any, record: TaskRecord, timeout: float | None) -> None:
        super().__init__(conn, record.form, f"{record.server}.{record.tool}", timeout)
        self.session = session
        self.record = record

    async def _ask(self, what: str, send: Callable[[Any], Awaitable[Any]], timeout: float | None) -> Any:
        try:
            with anyio.fail_after(timeout) if timeout is not None else contextlib.nullcontext():
                return await send(self.session)
        except TimeoutError as e:
            raise CallTimeout(f"{what} got no answer within {timeout:g} s") from e
        except MCPError as e:
            code, message = e.error.code, e.error.message
            if code != types.INVALID_PARAMS and ("session" in message.lower() or message == "Not Found"):
                raise SessionGone(
                    f"task {self.record.task_id} lived in a session of {self.record.server} that has ended "
                    f"({message}); the server kept the task only as long as that session",
                    code,
                ) from e
            raise ServerError(f"{what}: the server answered with error {code}: {message}", code) from e
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as e:
            raise TransportFailed(f"{what}: the connection to {self.record.server!r} failed: {e}") from e

    def _session(self) -> Any:
        return self.session


def _needs_resume(conn: Any, record: TaskRecord) -> bool:
    sessions = getattr(conn, "http_tasks", None)
    return bool(
        record.form == _legacy.FORM
        and record.http_session
        and sessions is not None
        and sessions.session_id != record.http_session
    )


@contextlib.asynccontextmanager
async def open_channel(
    conn: Any, record: TaskRecord, timeout: float | None, store: TaskStore
) -> AsyncIterator[Channel]:
    """A channel to the task of ``record`` through ``conn`` (resuming its HTTP session if need be;
    ``store`` says when no task needs that session any more)."""
    if not _needs_resume(conn, record):
        yield ConnectionChannel(conn, record.form, f"{record.server}.{record.tool}", timeout)
        return
    assert record.http_session is not None
    conn.log.add("client", f"reaching task {record.task_id} in the session it was started in")
    session_id = record.http_session

    def finished() -> bool:
        return not any(r.http_session == session_id and not r.picked_up and r.status != "gone" for r in store.records())

    async with resumed(conn, session_id, finished) as session:
        yield ResumedChannel(conn, session, record, timeout)
