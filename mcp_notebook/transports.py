"""Reaching a server: ``make_transport(spec, ...)`` picks what a ``ServerSpec`` describes.

- ``stdio``: a subprocess (``_stdio.StdioTransport``: its pid, exit code and stderr are ours);
- ``http``: Streamable HTTP through the SDK, keeping the HTTP status of failed answers (the SDK
  turns them into a generic JSON-RPC error, and the status is what tells the user what to do);
- ``sse``: the legacy HTTP+SSE transport;
- ``in-process``: an ``MCPServer`` object in this process (the SDK connects to it directly).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from ._log import ConnectionLog
from ._stdio import StdioTransport
from .config import ServerSpec

__all__ = ["StdioTransport", "make_transport"]


def make_transport(
    spec: ServerSpec,
    log: ConnectionLog,
    *,
    on_stdout_closed: Callable[[], None],
    on_http_status: Callable[[int], None],
    http_sessions: Any = None,
) -> tuple[Any, StdioTransport | None]:
    """(what ``mcp.Client`` is given, the stdio transport when there is a process of ours).

    ``on_stdout_closed`` is called on the loop when a stdio server's stdout ends (it died, or is
    dying); ``on_http_status`` gets the status of every HTTP answer; ``http_sessions`` (a
    ``tasks.HttpSessions``) keeps an HTTP session open while tasks started in it run.
    """
    if spec.transport == "stdio":
        stdio = StdioTransport(spec, log, on_closed=on_stdout_closed)
        return stdio, stdio
    if spec.transport == "http":
        return _http_transport(spec, on_http_status, http_sessions), None
    if spec.transport == "sse":
        from mcp.client.sse import sse_client

        return sse_client(spec.url or "", headers=dict(spec.headers) or None, auth=spec.auth), None
    return spec.server, None


@contextlib.asynccontextmanager
async def _http_transport(spec: ServerSpec, on_status: Callable[[int], None], sessions: Any) -> AsyncIterator[Any]:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async def note(response: Any) -> None:
        on_status(response.status_code)

    async with create_mcp_http_client(headers=dict(spec.headers) or None, auth=spec.auth) as http:
        http.event_hooks["response"].append(note)
        if sessions is not None:
            sessions.attach(http)  # the session id, kept open while its tasks run (tasks/_http.py)
        async with streamable_http_client(spec.url or "", http_client=http) as streams:
            yield streams
