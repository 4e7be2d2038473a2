"""A connection's life: its owner task, its state, how it opens and closes, and how it dies.

``Lifecycle`` is the half of ``Connection`` that owns the session (design.md §3): one *owner
task* both enters and exits ``mcp.Client`` (anyio cancel scopes must be left by the task that
entered them); a server that dies is noticed (stdout ends, or a request fails with
CONNECTION_CLOSED), the state turns ``dead``, and ``dead_message`` names the exit code and the tail
of the server's stderr. ``Connection`` adds the requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import time
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from . import _failures as words
from . import apps, tasks
from ._catalog import Catalog
from ._log import ConnectionLog, capture_sdk_logs, sdk_logs_to
from ._sdk_client import SessionClient, keep_invalid_results
from ._server_requests import ServerRequests
from ._signin import wait_started
from ._subscriptions import Subscriptions
from ._version import __version__
from .asking import Policy
from .config import ServerSpec, secret_values
from .errors import ConnectFailed, McpNotebookError
from .events import Events
from .transports import StdioTransport, make_transport

__all__ = ["CLOSE_GRACE", "DEFAULT_CONNECT_TIMEOUT", "ConnectOptions", "Lifecycle", "State"]

_HANDSHAKE_VERSIONS = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)

CLOSE_GRACE = 2.0
DEFAULT_CONNECT_TIMEOUT = 30.0


class State(str, enum.Enum):
    """Where a connection is in its life."""

    CONNECTING = "connecting"
    READY = "ready"
    DEAD = "dead"
    CLOSED = "closed"


@dataclasses.dataclass(frozen=True)
class ConnectOptions:
    """How to talk to a server, besides where it is (that is the ``ServerSpec``)."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds starting the server and the handshake may take (time spent signing in does not count)."""
    log_level: types.LoggingLevel | None = "info"
    """The server log level asked for at connect (``set_log_level`` changes it later)."""
    policy: Policy = dataclasses.field(default_factory=Policy)
    """How to answer elicitation and sampling without asking (or ask)."""
    roots: tuple[str, ...] = ()
    """Folders offered as roots: absolute paths or URIs; none unless the user named some."""
    client_name: str = "mcp_notebook"


class Lifecycle:
    """The session half of a ``Connection``: build it, then ``await open()`` on the runtime loop."""

    catalog: Catalog
    """What the server offers (made by ``Connection``, which can send the requests it needs)."""
    subscriptions: Subscriptions

    def __init__(self, spec: ServerSpec, options: ConnectOptions | None, events: Events | None) -> None:
        options = options or ConnectOptions()
        self.spec = spec
        self.name = spec.name
        self.options = options
        self.log = ConnectionLog(secrets=secret_values(spec))
        on_secret = getattr(spec.auth, "on_secret", None)  # OAuth tokens arrive after this
        if callable(on_secret):
            on_secret(self.log.add_secrets)
        self.events = events if events is not None else Events()
        self.state = State.CONNECTING
        self.death: str | None = None
        """Why the connection died, in words (exit code, error), once it has."""
        self.client: Client | None = None
        self.transport: StdioTransport | None = None
        self.connected_at: float | None = None
        self.requests = ServerRequests(
            self.name,
            self.log,
            self.events,
            policy=options.policy,
            roots=list(options.roots),
            log_level=options.log_level,
        )
        self._owner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._dead: asyncio.Event | None = None
        self._schema_problems: dict[int, str] = {}  # id(result) → why it breaks its output schema
        self._http_error_status: int | None = None  # the last 4xx/5xx the HTTP server answered
        self.http_tasks = tasks.HttpSessions()
        """The HTTP session's id, kept open while 2025-11-25 tasks started in it run (``tasks``)."""

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.state.value} {self.spec.describe()}>"

    # -- what the server said about itself, and what this side offers -------------------------------

    @property
    def protocol_version(self) -> str | None:
        return self.client.protocol_version if self.client is not None else None

    @property
    def server_info(self) -> types.Implementation | None:
        return self.client.server_info if self.client is not None else None

    @property
    def instructions(self) -> str | None:
        return self.client.instructions if self.client is not None else None

    @property
    def capabilities(self) -> types.ServerCapabilities | None:
        return self.client.server_capabilities if self.client is not None else None

    @property
    def ready(self) -> bool:
        return self.state is State.READY

    @property
    def modern(self) -> bool:
        return self.protocol_version is not None and self.protocol_version not in _HANDSHAKE_VERSIONS

    @property
    def pid(self) -> int | None:
        return self.transport.pid if self.transport is not None else None

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Start the server (or reach it) and finish the handshake, within the connect timeout."""
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        self._stop, self._dead = asyncio.Event(), asyncio.Event()
        self.state = State.CONNECTING
        self._owner = loop.create_task(self._own(started), name=f"mcp-owner-{self.name}")
        timeout = self.options.connect_timeout
        try:
            await wait_started(started, timeout)  # time spent signing in (OAuth) does not count
        except asyncio.TimeoutError:
            await self._abort()
            raise ConnectFailed(
                f"{self.name!r} did not finish connecting within {timeout:g} s{await self._last_words()}; "
                "if it is just slow to start, connect again with a larger --timeout"
            ) from None
        except asyncio.CancelledError:
            await self._abort()
            raise
        except Exception as e:
            await self._abort()
            raise ConnectFailed(f"cannot connect to {self.name!r}: {await self._describe_failure(e)}") from e
        self.connected_at = time.time()
        label = words.server_label(self.server_info)
        self.log.add("client", f"connected: protocol {self.protocol_version}, server {label}")
        if self.client is not None:
            self.subscriptions.listen_for_changes(self.client)

    def schema_problem(self, result: types.CallToolResult) -> str | None:
        """Why ``result`` breaks its tool's output schema (once; None if it does not)."""
        return self._schema_problems.pop(id(result), None)

    def _list_changed(self, kind: str) -> None:
        self.catalog.forget(kind)
        self.log.add("client", f"the server's {kind} changed", "debug")
        self.events.emit("list_changed", server=self.name, kind=kind)

    async def _own(self, started: asyncio.Future[None]) -> None:
        capture_sdk_logs()
        try:
            with sdk_logs_to(self.log):  # the SDK's tasks for this session start from this one
                await self._run_client(started)
        finally:
            self.client = None
            if self.state is not State.DEAD:
                self.state = State.CLOSED

    async def _run_client(self, started: asyncio.Future[None]) -> None:
        assert self._stop is not None
        try:
            async with self._make_client() as client:
                capture_sdk_logs()  # loggers of the transport modules imported on the way in
                keep_invalid_results(client, self._schema_problems)
                if not self.requests.offers_roots:
                    # The SDK answers an undeclared roots/list with an error, which can fail a
                    # 2026-era call that asks anyway; answer with no roots instead.
                    client.session._list_roots_callback = self.requests.on_list_roots_undeclared
                self.client = client
                self.state = State.READY
                started.set_result(None)
                await self._stop.wait()
        except BaseException as e:  # the owner never lets an error escape: it records it
            if not started.done():
                if isinstance(e, asyncio.CancelledError):
                    started.cancel()
                else:
                    started.set_exception(e)
            elif not self._stop.is_set() and not isinstance(e, asyncio.CancelledError):
                self._mark_dead(f"lost its transport: {words.leaf(e)!r}")

    def _make_client(self) -> Client:
        transport, self.transport = make_transport(
            self.spec,
            self.log,
            on_stdout_closed=self._on_stdout_closed,
            on_http_status=self._note_http_status,
            http_sessions=self.http_tasks,
        )
        answers = self.requests
        return SessionClient(
            transport,
            mode=self.spec.protocol,
            log_level=self.options.log_level,
            logging_callback=answers.on_log_message,
            elicitation_callback=answers.on_elicit,
            sampling_callback=answers.on_sample,
            # Without roots the capability is not declared at all (the SDK declares it exactly when
            # a callback is given): a server then keeps to the folders it was started with.
            list_roots_callback=answers.on_list_roots if answers.offers_roots else None,
            message_handler=self._on_message,
            client_info=types.Implementation(name=self.options.client_name, version=__version__),
            # the 2026-07-28 tasks extension, and io.modelcontextprotocol/ui: this client hosts MCP Apps
            extensions=[*tasks.client_extensions(), apps.client_extension()],
        )

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Leave the session and stop the server; bounded by ``grace`` seconds, then killed."""
        self.subscriptions.stop()
        owner = self._owner
        if owner is None or owner.done():
            self._finish_closed()
            return
        assert self._stop is not None
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(owner), grace)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            await self._abort()
        self._finish_closed()

    def _finish_closed(self) -> None:
        if self.state is not State.DEAD:
            self.state = State.CLOSED
        self.client = None

    async def _abort(self) -> None:
        """Cancel the owner and make sure no server process outlives this connection."""
        if self._owner is not None and not self._owner.done():
            self._owner.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self._owner), CLOSE_GRACE)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the server's process group if it is still alive (safe from any thread)."""
        if self.transport is not None:
            import signal

            self.transport.signal_group(signal.SIGKILL)

    # -- death -------------------------------------------------------------------------------------

    def _on_stdout_closed(self) -> None:
        if self._stop is not None and self._stop.is_set():
            return
        asyncio.get_running_loop().create_task(self._note_exit())

    async def _note_exit(self) -> None:
        assert self.transport is not None
        code = await self.transport.exit_code()
        if self._stop is not None and self._stop.is_set():
            return
        self._mark_dead(words.exit_words(code))

    def _mark_dead(self, reason: str) -> None:
        if self.state in (State.DEAD, State.CLOSED):
            return
        self.death = reason
        self.state = State.DEAD
        self.log.add("client", f"server {reason}", "error")
        self.events.emit("disconnected", server=self.name, reason=reason)
        if self._dead is not None:
            self._dead.set()
        if self._stop is not None:
            self._stop.set()  # let the owner leave the session so the transport is cleaned up

    def dead_message(self) -> str:
        return (
            f"server {self.name!r} {self.death or 'is gone'}{self._stderr_tail()}; "
            f"bring it back with `%mcp reconnect {self.name}` (or .reconnect())"
        )

    def _stderr_tail(self, lines: int = 3) -> str:
        tail = [t.strip() for t in self.log.tail(lines, source="stderr") if t.strip()]
        if not tail:
            return ""
        text = " | ".join(tail)
        return f"; stderr: {text[-400:]}"

    async def _last_words(self) -> str:
        if self.transport is not None and self.transport.returncode is not None:
            return f" (it {words.exit_words(self.transport.returncode)}{self._stderr_tail()})"
        return self._stderr_tail()

    def _note_http_status(self, status: int) -> None:
        """The last HTTP error status the server answered (read when a handshake fails)."""
        if status >= 400:
            self._http_error_status = status

    async def _describe_failure(self, error: BaseException) -> str:
        if isinstance(error, McpNotebookError):
            return str(error)
        if self.transport is not None:
            code = await self.transport.exit_code(wait=1.0)
            if code is not None:
                return f"the server {words.exit_words(code)} during the handshake{self._stderr_tail(5)}"
        leaf = words.leaf(error)
        if self.spec.auth is not None and self.spec.url is not None:
            from ._oauth_auth import describe_auth_failure

            found = describe_auth_failure(leaf, self.spec)
            if found is not None:
                return self.log.scrub(found)
        if isinstance(leaf, MCPError) and self.spec.url is not None:
            return words.http_handshake_failure(leaf, self.spec, self._http_error_status)
        if isinstance(leaf, MCPError):
            return f"the handshake failed: {leaf.error.message}{self._stderr_tail()}"
        if self.spec.url is not None:
            return words.http_failure(leaf, self.spec)
        return f"{words.describe_exception(leaf)}{self._stderr_tail()}"

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.log.add("client", f"transport: {words.describe_exception(message)}", "warning")
            return
        method = getattr(message, "method", "")
        self.subscriptions.on_notification(method, getattr(message, "params", None))
        if method not in ("notifications/message", "notifications/progress"):
            self.log.add("client", f"notification {method}", "debug")

    # -- requests ------------------------------------------------------------------------------------
