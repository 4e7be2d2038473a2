"""One live server: the connection's parts, and the one way every request is sent.

All coroutines here run on the runtime's loop. A connection is made of parts, each one idea:

- ``_lifecycle.Lifecycle`` (its base): the owner task, the state, opening, closing, dying;
- ``transports.make_transport`` reaches the server; ``_sdk_client.SessionClient`` is the SDK's
  client with this package's two adjustments;
- ``requests`` (``_server_requests.ServerRequests``) answers what the server asks: elicitation,
  sampling, roots, and its log messages;
- ``catalog`` (``_catalog.Catalog``) lists what the server offers, cached, and reads and gets it;
- ``subscriptions`` (``_subscriptions.Subscriptions``) follows resources and lists that change;
- ``_failures`` puts every failure into words.

This file adds ``request`` (a timeout, and every failure translated into this package's errors),
``call_tool``, and what the user changes while connected (log level, roots, answer policies).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio
import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from . import _failures as words
from ._catalog import Catalog
from ._lifecycle import CLOSE_GRACE, DEFAULT_CONNECT_TIMEOUT, ConnectOptions, Lifecycle, State
from ._log import sdk_logs_to
from ._subscriptions import Subscriptions
from .asking import Asker, Policy
from .config import ServerSpec
from .errors import CallTimeout, McpNotebookError, NotConnected, ServerDied, ServerError, UsageProblem
from .events import Events

__all__ = ["CLOSE_GRACE", "DEFAULT_CONNECT_TIMEOUT", "ConnectOptions", "Connection", "State"]

_HANDSHAKE_VERSIONS = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)
T = TypeVar("T")
ProgressFn = Callable[[float, float | None, str | None], None]


class Connection(Lifecycle):
    """A named connection to one MCP server. Build it, then ``await open()`` on the runtime loop."""

    def __init__(self, spec: ServerSpec, options: ConnectOptions | None = None, events: Events | None = None) -> None:
        super().__init__(spec, options, events)
        self.catalog = Catalog(self)
        self.subscriptions = Subscriptions(self, self._list_changed)

    @property
    def roots(self) -> list[str]:
        """Folders offered to the server as roots (absolute paths or URIs)."""
        return self.requests.roots

    @property
    def policy(self) -> Policy:
        """How the server's questions are answered without asking (or not)."""
        return self.requests.policy

    @property
    def log_level(self) -> str | None:
        """The server log level asked for now."""
        return self.requests.log_level

    @property
    def watchers(self) -> dict[str, list[Callable[[], None]]]:
        """Callbacks per subscribed resource URI."""
        return self.subscriptions.watchers

    def offers(self, kind: str) -> bool:
        """Whether the server offers ``kind`` (tools, resources, templates, prompts)."""
        return self.catalog.offers(kind)

    def asking(self, asker: Asker | None) -> contextlib.AbstractContextManager[None]:
        """Within this block (a call's coroutine), server questions go to ``asker``."""
        return self.requests.asking(asker)

    # -- lifecycle -------------------------------------------------------------------------------

    # -- requests ------------------------------------------------------------------------------------

    def require_client(self) -> Client:
        if self.state is State.READY and self.client is not None:
            return self.client
        if self.state is State.DEAD:
            raise ServerDied(self.dead_message())
        if self.state is State.CONNECTING:
            raise NotConnected(f"{self.name!r} is still connecting; try again in a moment")
        raise NotConnected(f"{self.name!r} is closed; connect it again with `%mcp connect {self.name} ...`")

    async def request(
        self,
        what: str,
        send: Callable[[Client], Awaitable[T]],
        timeout: float | None,
        scopes: list[anyio.CancelScope] | None = None,
    ) -> T:
        """Run one request with a timeout, translating every failure into this package's errors.

        ``what`` names the request in messages (``"demo.query"``, ``"read demo://x"``). The timeout's
        cancel scope is appended to ``scopes``, for a caller that moves the deadline on progress.
        """
        client = self.require_client()
        try:
            with sdk_logs_to(self.log):
                if timeout is None:
                    return await send(client)
                with anyio.move_on_after(timeout) as scope:
                    if scopes is not None:
                        scopes.append(scope)
                    return await send(client)
            assert scope.cancelled_caught
            quiet = " (and no progress)" if scopes else ""
            raise CallTimeout(
                f"{what} got no answer{quiet} within {timeout:g} s and was cancelled on the server; "
                "give it longer with --timeout S (or timeout=S)"
            )
        except MCPError as e:
            raise await self._translate_mcp_error(what, e) from e
        except McpNotebookError:
            raise
        except Exception as e:
            translated = words.request_failure(what, self.name, e)
            if translated is None:
                raise
            raise translated from e

    async def _translate_mcp_error(self, what: str, error: MCPError) -> McpNotebookError:
        code = error.error.code
        if code == types.CONNECTION_CLOSED:
            if self.transport is not None and self._dead is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._dead.wait(), 1.5)
            if self.state is not State.DEAD:
                self._mark_dead("closed the connection")
            return ServerDied(f"{what} failed: {self.dead_message()}")
        if code == types.INVALID_REQUEST and error.error.message == "Session terminated":
            # An HTTP server that restarted (or expired the session) answers 404 for it.
            self._mark_dead("forgot this session (HTTP 404: it restarted, or the session expired)")
            return ServerDied(f"{what} failed: {self.dead_message()}")
        if code == words.SAMPLING_DECLINED and error.error.message == words.SAMPLING_DECLINED_TEXT:
            return ServerError(f"{what} stopped: the server needs an LLM reply, and it was declined", code)
        return ServerError(f"{what}: the server answered with error {code}: {words.server_message(error)}", code)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        validate: bool = True,
        progress_extends: bool = True,
    ) -> tuple[types.CallToolResult, float]:
        """Call a tool: (the result, the seconds the request itself took).

        With ``progress_extends``, each progress report restarts the timeout: a long job that keeps
        reporting is not cut off, a silent one still is.
        """
        what = f"{self.name}.{name}"
        tool = await self.catalog.tool(name, timeout=timeout)
        if getattr(tool.execution, "task_support", None) == "required":
            # Calls of the API run such a tool as a task (tasks.call_tool); one that gets here is on
            # a server that does not offer tasks, where it cannot run at all.
            raise UsageProblem(
                f"{what} needs MCP tasks (its taskSupport is 'required'), but {self.name!r} does not offer "
                "tasks, so it cannot be called"
            )
        if validate:
            self.requests.checker.check(
                what, tool.input_schema, arguments, hint=f"; `%mcp tools {self.name}` shows its arguments"
            )
        report = progress
        scopes: list[anyio.CancelScope] | None = [] if progress_extends and timeout is not None else None

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            if scopes:
                scopes[0].deadline = anyio.current_time() + (timeout or 0)
            if report is not None:
                report(progress, total, message)

        listen = report is not None or scopes is not None
        started = time.perf_counter()
        result = await self.request(
            what,
            lambda c: c.call_tool(
                name, dict(arguments), progress_callback=on_progress if listen else None, meta=self._request_meta()
            ),
            timeout,
            scopes,
        )
        return result, time.perf_counter() - started

    # -- what the user changes while connected -----------------------------------------------------------

    def _request_meta(self) -> Any:
        # 2026-07-28 logging is opted into per request; the session stamps the level chosen at
        # connect, and a request's own _meta entry overrides it after a change.
        level = self.requests.log_level
        if level != self.options.log_level and self.protocol_version not in _HANDSHAKE_VERSIONS:
            return {types.LOG_LEVEL_META_KEY: level} if level else None
        return None

    async def set_log_level(self, level: types.LoggingLevel) -> None:
        """Ask the server for log messages at ``level`` and above from now on."""
        self.require_client()
        self.requests.log_level = level
        capabilities = self.capabilities
        if self.protocol_version in _HANDSHAKE_VERSIONS and capabilities is not None and capabilities.logging:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # logging/setLevel is 2025-era
                await self.request(f"set the log level of {self.name}", lambda c: c.set_logging_level(level), 30)
        self.log.add("client", f"log level: {level}")

    async def set_roots(self, roots: list[str]) -> None:
        """Offer these folders; a 2025-era server is told the list changed (see
        ``ServerRequests.set_roots`` for what cannot change mid-session)."""
        legacy = self.protocol_version in _HANDSHAKE_VERSIONS
        await self.requests.set_roots(list(roots), self.client if legacy else None)

    async def reconfigure(self, options: ConnectOptions) -> list[str]:
        """Apply the options of a repeated connect to this live connection; what changed, in words.

        Answer policies are read at each request, so they change at once; roots change as in
        ``set_roots`` (the server is told), and what ``set_roots`` refuses is refused here, before
        anything changes.
        """
        roots = list(options.roots)
        changes = self.requests.changes(options.policy, roots)
        self.requests.policy = options.policy
        if roots != self.roots:
            await self.set_roots(roots)
        if changes:
            self.log.add("client", f"connected again: {'; '.join(changes)}")
        return changes
