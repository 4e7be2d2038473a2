"""2025-11-25 tasks over Streamable HTTP live in the server's *session*: keeping it, and coming back to it.

Servers of that era may bind tasks to the MCP session (the TypeScript SDK's task store does, and
``server-everything`` drops every task of a session when the session is deleted). So that a task
outlives the kernel that started it:

- ``HttpSessions`` watches one connection's HTTP client: it learns the session id
  (``Mcp-Session-Id``), and refuses the ``DELETE`` that ends the session on close while tasks
  started in it have not been picked up (the SDK logs the refusal; the session stays);
- ``resumed`` opens a second client on a kept session, without a new ``initialize`` (the
  session's negotiated state is adopted from the live connection to the same server), so a
  restarted kernel can look at such a task, wait for it and fetch its result.

The session id is kept in the task's record (an owner-only file, like the task id itself): it
reaches the session's tasks, nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["SESSION_HEADER", "HttpSessions", "KeepSession", "resumed"]

SESSION_HEADER = "mcp-session-id"
PROTOCOL_HEADER = "mcp-protocol-version"


class KeepSession(Exception):
    """Raised from the HTTP client's request hook to stop the session's ``DELETE``."""


class HttpSessions:
    """One HTTP connection's MCP session id, and the tasks that need that session kept."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self._held: set[str] = set()

    def attach(self, http: Any) -> None:
        """Hook into the connection's ``httpx2.AsyncClient`` (before its first request)."""
        http.event_hooks["response"].append(self._on_response)
        http.event_hooks["request"].append(self._on_request)

    async def _on_response(self, response: Any) -> None:
        found = response.headers.get(SESSION_HEADER)
        if found:
            self.session_id = found

    async def _on_request(self, request: Any) -> None:
        if request.method == "DELETE" and self._held:
            ids = ", ".join(sorted(self._held)[:3])
            raise KeepSession(
                f"kept the session open: {len(self._held)} task(s) started in it are not picked up yet ({ids}); "
                "connect this server again (even from a restarted kernel) and `%mcp tasks` shows them"
            )

    def hold(self, task_id: str) -> None:
        self._held.add(task_id)

    def release(self, task_id: str) -> None:
        self._held.discard(task_id)

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)


@contextlib.asynccontextmanager
async def resumed(conn: Any, session_id: str, finished: Callable[[], bool]) -> AsyncIterator[Any]:
    """An SDK session on the kept HTTP session ``session_id`` of ``conn``'s server (no handshake).

    The server's questions on it go to ``conn``'s own callbacks, so they are asked as on ``conn``.
    On the way out, if ``finished()`` says no task needs the session any more, it is ended
    (``DELETE``), as the connection that started it would have.
    """
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    live = conn.require_client().session
    handshake = live.initialize_result
    if handshake is None:  # pragma: no cover - a 2025-era connection always has one
        raise RuntimeError("the live connection has no initialize result to resume with")
    spec = conn.spec
    headers = {**dict(spec.headers), SESSION_HEADER: session_id, PROTOCOL_HEADER: handshake.protocol_version}
    async with create_mcp_http_client(headers=headers, auth=spec.auth) as http:
        # terminate_on_close is moot (the transport never learns the id itself) but says the intent.
        async with streamable_http_client(spec.url or "", http_client=http, terminate_on_close=False) as (read, write):
            session = ClientSession(
                read,
                write,
                sampling_callback=conn.requests.on_sample,
                elicitation_callback=conn.requests.on_elicit,
                list_roots_callback=conn.requests.on_list_roots if conn.requests.offers_roots else None,
            )
            async with session:
                session.adopt(handshake)
                yield session
        if finished():
            with contextlib.suppress(Exception):  # the server may have ended it already
                await http.delete(spec.url or "")
                conn.log.add("client", "ended the kept session: its tasks are all picked up")
