"""One live server: its owner task, state, log, cached listings, and every request it makes.

All coroutines here run on the runtime's loop. Each connection has one *owner task* that both
enters and exits ``mcp.Client`` (anyio cancel scopes must be left by the task that entered
them, design.md §3); requests run as separate tasks on the same loop. A server that dies is
noticed (stdout ends, or a request fails with CONNECTION_CLOSED), the connection turns ``dead``,
and every error names the exit code and the tail of the server's stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import anyio
import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS as _MODERN
from pydantic import ValidationError

from . import tasks
from ._log import ConnectionLog, capture_sdk_logs, sdk_logs_to
from ._schema import SchemaChecker
from ._signin import wait_started
from ._stdio import StdioTransport
from .asking import CURRENT_ASKER, Ask, Asker, Policy, describe_decline
from .config import ServerSpec, secret_values
from .errors import (
    CallTimeout,
    ConnectFailed,
    InvalidResult,
    McpNotebookError,
    NotConnected,
    ServerDied,
    ServerError,
    TransportFailed,
    UsageProblem,
    did_you_mean,
)
from .events import Events

if sys.version_info < (3, 11):  # pragma: no cover - anyio brings the backport there
    from exceptiongroup import BaseExceptionGroup

__all__ = ["Connection", "State"]

_HANDSHAKE_VERSIONS = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)
_LIST_CHANGES = "*list changes*"  # the key of the list-change stream among the listen tasks
_LEVELS = {
    name: rank
    for rank, name in enumerate(("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"))
}
SAMPLING_DECLINED = -1  # the code the spec's examples use for "user rejected sampling request"
SAMPLING_DECLINED_TEXT = "The user declined the sampling request"
LOUD_LEVELS = ("warning", "error", "critical", "alert", "emergency")
"""Server log levels that also show in the cell of the call that was running."""

T = TypeVar("T")
ProgressFn = Callable[[float, float | None, str | None], None]

CLOSE_GRACE = 2.0
_PAGE_CAP = 100  # a paginator that never ends must not hang a listing
_SDK_PREFIX = re.compile(r"^MCP error -?\d+:\s*")


class State(str, enum.Enum):
    """Where a connection is in its life."""

    CONNECTING = "connecting"
    READY = "ready"
    DEAD = "dead"
    CLOSED = "closed"


class Connection:
    """A named connection to one MCP server. Build it, then ``await open()`` on the runtime loop."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        log_level: str | None = "info",
        client_name: str = "mcp_notebook",
        policy: Policy | None = None,
        roots: list[str] | None = None,
        events: Events | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.log = ConnectionLog(secrets=secret_values(spec))
        on_secret = getattr(spec.auth, "on_secret", None)  # OAuth tokens arrive after this
        if callable(on_secret):
            on_secret(self.log.add_secrets)
        self.state = State.CONNECTING
        self.death: str | None = None
        """Why the connection died, in words (exit code, error), once it has."""
        self.client: Client | None = None
        self.transport: StdioTransport | None = None
        self.connected_at: float | None = None
        self._log_level = log_level  # fixed in the 2026-era session at connect
        self.log_level = log_level
        """The server log level asked for now (``set_log_level`` changes it)."""
        self._client_name = client_name
        self._owner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._dead: asyncio.Event | None = None
        self._tools: dict[str, types.Tool] | None = None
        self._prompts: dict[str, types.Prompt] | None = None
        self._not_offered: set[str] = set()  # listings the server answered with "method not found"
        self.checker = SchemaChecker()
        self.policy = policy or Policy()
        self.roots: list[str] = list(roots or ())
        """Folders offered to the server as roots (absolute paths or URIs); none unless the user named some."""
        self.offers_roots = bool(self.roots)
        """Whether the session declares the roots capability: fixed when it starts (see ``set_roots``)."""
        self._askers: list[Asker] = []  # askers of the calls in flight, newest last
        self.events = events or Events()
        self.watchers: dict[str, list[Callable[[], None]]] = {}
        """Callbacks per subscribed resource URI (kept across a reconnect)."""
        self._listeners: dict[str, asyncio.Task[None]] = {}  # 2026-era listen streams, per URI
        self._schema_problems: dict[int, str] = {}  # id(result) → why it breaks its output schema
        self._http_error_status: int | None = None  # the last 4xx/5xx the HTTP server answered
        self.http_tasks = tasks.HttpSessions()
        """The HTTP session's id, kept open while 2025-11-25 tasks started in it run (``tasks``)."""

    # -- subscriptions ----------------------------------------------------------------------------

    def _modern(self) -> bool:
        return self.protocol_version is not None and self.protocol_version not in _HANDSHAKE_VERSIONS

    async def subscribe(self, uri: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the loop) whenever the server says ``uri`` changed."""
        client = self.require_client()
        caps = self.capabilities.resources if self.capabilities else None
        if caps is None or not caps.subscribe:
            raise UsageProblem(
                f"{self.name!r} does not offer resource subscriptions; read it again instead (%mcp read ...)"
            )
        first = uri not in self.watchers
        self.watchers.setdefault(uri, []).append(callback)
        if not first:
            return
        try:
            if self._modern():
                started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                task = asyncio.get_running_loop().create_task(self._listen(client, uri, started))
                self._listeners[uri] = task
                await self.request(f"subscribe to {uri}", lambda c: asyncio.shield(started), 30)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)  # resources/subscribe is 2025-era
                    await self.request(f"subscribe to {uri}", lambda c: c.subscribe_resource(uri), 30)
        except BaseException:
            self.watchers.pop(uri, None)
            listener = self._listeners.pop(uri, None)
            if listener is not None:
                listener.cancel()
            raise
        self.log.add("client", f"subscribed to {uri}")

    async def _listen(self, client: Client, uri: str, started: asyncio.Future[None]) -> None:
        from mcp.client.subscriptions import ResourceUpdated

        try:
            async with client.listen(resource_subscriptions=[uri]) as stream:
                started.set_result(None)
                async for event in stream:
                    if isinstance(event, ResourceUpdated) and event.uri == uri:
                        self._fire(uri)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # the stream broke: say so once, where the user looks
            if not started.done():
                started.set_exception(e)
            else:
                self.log.add("client", f"the subscription to {uri} ended: {_describe_exception(_leaf(e))}", "warning")

    def _fire(self, uri: str) -> None:
        self.log.add("client", f"resource updated: {uri}", "debug")
        for callback in list(self.watchers.get(uri, ())):
            try:
                callback()
            except Exception as e:  # one watcher's failure must not stop the others
                self.log.add("client", f"a watcher of {uri} failed: {e!r}", "warning")

    async def unsubscribe(self, uri: str, callback: Callable[[], None] | None = None) -> None:
        """Stop calling ``callback`` (or every callback) for ``uri``; the last one ends the subscription."""
        callbacks = self.watchers.get(uri)
        if callbacks is None:
            raise UsageProblem(f"{self.name!r} has no subscription to {uri}")
        if callback is not None and callback in callbacks:
            callbacks.remove(callback)
        if callback is None or not callbacks:
            del self.watchers[uri]
            listener = self._listeners.pop(uri, None)
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            elif self.state is State.READY:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)
                    await self.request(f"unsubscribe from {uri}", lambda c: c.unsubscribe_resource(uri), 30)
            self.log.add("client", f"unsubscribed from {uri}")

    # -- the user, when the server asks ----------------------------------------------------------

    @contextlib.contextmanager
    def asking(self, asker: Asker | None) -> Iterator[None]:
        """Within this block (a call's coroutine), server questions go to ``asker``.

        2026-07-28 servers ask inside the call's own task, so a context variable finds the asker;
        older servers send their request on the connection's own task, so the newest call in flight
        that has an asker takes it.
        """
        if asker is None:
            yield
            return
        token = CURRENT_ASKER.set(asker)
        self._askers.append(asker)
        try:
            yield
        finally:
            self._askers.remove(asker)
            CURRENT_ASKER.reset(token)

    def _asker(self) -> Asker | None:
        return CURRENT_ASKER.get() or (self._askers[-1] if self._askers else None)

    async def _on_elicit(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult | types.ErrorData:
        if isinstance(params, types.ElicitRequestURLParams):
            ask = Ask(self.name, "url", params.message, url=params.url)
            self.log.add("client", f"asks to open a link on {ask.domain}: {params.message}")
        else:
            ask = Ask(self.name, "form", params.message, schema=dict(params.requested_schema or {}))
            self.log.add("client", f"asks for input: {params.message}")
        answer = await self.policy.elicit(ask)
        rule = self.policy.on_elicit if answer is not None else None
        if answer is None:
            asker = self._asker()
            try:
                if asker is None:
                    raise LookupError("no asker")
                answer = await asker.elicit(ask)
            except LookupError as nobody:
                why = describe_decline("form" if ask.mode == "form" else "link", nobody)
                self.log.add("client", why, "warning")
                return types.ElicitResult(action="decline")
        if answer.action == "accept" and ask.mode == "form":
            problems = self.checker.field_errors(ask.schema, answer.content or {})
            if problems:
                why = _unfit_answer(self.name, ask.schema, problems, rule)
                self.log.add("client", why, "warning")
                notify = getattr(self._asker(), "notify", None)
                if notify is not None:  # the server will only say "cancelled": the cell says why
                    notify(why)
                return types.ElicitResult(action="cancel")
        self.log.add("client", f"answered: {answer.action}")
        return answer

    async def _on_sample(
        self, context: Any, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | types.ErrorData:
        self.log.add("client", f"asks for an LLM reply ({len(params.messages)} messages)")
        decided, answer = await self.policy.sample(self.name, params)
        if not decided:
            asker = self._asker()
            try:
                if asker is None:
                    raise LookupError("no asker")
                answer = await asker.sample(self.name, params)
            except LookupError as nobody:
                self.log.add("client", describe_decline("sampling", nobody), "warning")
        if answer is None:
            self.log.add("client", "sampling declined")
            return types.ErrorData(code=SAMPLING_DECLINED, message=SAMPLING_DECLINED_TEXT)
        self.log.add("client", "sampling answered")
        return answer

    async def _on_list_roots(self, context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[_root(r) for r in self.roots])

    async def _on_list_roots_undeclared(self, context: Any) -> types.ListRootsResult:
        # A session that did not declare roots offers none, even to a server that asks anyway.
        self.log.add("client", "the server asked for roots, which this connection does not offer: sent none")
        return types.ListRootsResult(roots=[])

    def _request_meta(self) -> Any:
        # 2026-07-28 logging is opted into per request; the session stamps the level chosen at
        # connect, and a request's own _meta entry overrides it after a change.
        if self.log_level != self._log_level and self.protocol_version not in _HANDSHAKE_VERSIONS:
            return {types.LOG_LEVEL_META_KEY: self.log_level} if self.log_level else None
        return None

    async def set_log_level(self, level: str) -> None:
        """Ask the server for log messages at ``level`` and above from now on."""
        self.require_client()
        self.log_level = level
        capabilities = self.capabilities
        if self.protocol_version in _HANDSHAKE_VERSIONS and capabilities is not None and capabilities.logging:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # logging/setLevel is 2025-era
                await self.request(f"set the log level of {self.name}", lambda c: c.set_logging_level(level), 30)  # type: ignore[arg-type]
        self.log.add("client", f"log level: {level}")

    async def set_roots(self, roots: list[str]) -> None:
        """Offer these folders; a 2025-era server is told the list changed.

        Whether a session offers roots at all is declared when it starts, so a connection made
        without roots cannot gain them, and one made with roots cannot drop the last: servers may
        keep the last roots they were given (server-filesystem does). Both are refused with the fix.
        """
        roots = list(roots)
        if roots and not self.offers_roots:
            raise UsageProblem(
                f"{self.name!r} was connected without roots, so it keeps to its own folders and cannot be "
                f"offered any mid-session; `%mcp disconnect {self.name}` and connect again with --root DIR "
                "(roots=[...]) to offer some"
            )
        if not roots and self.offers_roots:
            raise UsageProblem(
                f"that would take {self.name!r}'s last root away, but a server may keep the last roots it was "
                f"given (server-filesystem does); offer another first, or `%mcp disconnect {self.name}` and "
                "connect again without --root"
            )
        if roots == self.roots:
            return
        self.roots = roots
        self.log.add("client", f"roots: {', '.join(roots)}")
        client = self.client
        if client is not None and self.protocol_version in _HANDSHAKE_VERSIONS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # the spec deprecates roots in 2026-07-28
                await client.send_roots_list_changed()

    async def reconfigure(self, policy: Policy | None, roots: list[str] | None) -> list[str]:
        """Apply the options of a repeated connect to this live connection; what changed, in words.

        Answer policies are read at each request, so they change at once; roots change as in
        ``set_roots`` (the server is told), and what ``set_roots`` refuses is refused here, before
        anything changes.
        """
        roots = list(roots or ())
        changes: list[str] = []
        if roots != self.roots:
            if bool(roots) != self.offers_roots:
                had = "with" if self.offers_roots else "without"
                raise UsageProblem(
                    f"{self.name!r} is connected {had} roots, and whether a session offers roots is fixed when it "
                    f"starts; `%mcp disconnect {self.name}` first, then connect again"
                )
            changes.append(f"--root {' '.join(roots)} (was {' '.join(self.roots)})")
        policy = policy or Policy()
        for option, new, old in (
            ("--on-elicit", policy.on_elicit, self.policy.on_elicit),
            ("--on-sample", policy.on_sample, self.policy.on_sample),
        ):
            if new != old:
                changes.append(f"{option} {_policy_words(new)} (was {_policy_words(old)})")
        self.policy = policy
        if roots != self.roots:
            await self.set_roots(roots)
        if changes:
            self.log.add("client", f"connected again: {'; '.join(changes)}")
        return changes

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.state.value} {self.spec.describe()}>"

    # -- what the server said about itself -------------------------------------------------------

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

    def offers(self, kind: str) -> bool:
        """Whether the server offers ``kind`` (tools, resources, templates, prompts): it declared the
        capability, and did not answer the listing with "method not found" (some declare more than
        they serve). Before the handshake, True: the request itself will say what is wrong."""
        if kind in self._not_offered:
            return False
        caps = self.capabilities
        if caps is None:
            return True
        declared = {"tools": caps.tools, "prompts": caps.prompts}.get(kind, caps.resources)
        return declared is not None

    async def _offered(self, kind: str, fetch: Callable[[], Awaitable[list[T]]]) -> list[T]:
        """``fetch()``, or an empty list when the server does not offer ``kind``."""
        if not self.offers(kind):
            return []
        try:
            return await fetch()
        except ServerError as e:
            if e.code != types.METHOD_NOT_FOUND:
                raise
            self._not_offered.add(kind)
            self.log.add("client", f"the server declares {kind} but does not serve them (method not found)", "warning")
            return []

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
        timeout = self.spec.connect_timeout
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
        self.log.add("client", f"connected: protocol {self.protocol_version}, server {_server_label(self.server_info)}")
        self._listen_for_changes()

    def _keep_invalid_results(self, client: Client) -> None:
        """Let a result that breaks its tool's output schema through, marked, instead of losing it.

        The SDK checks structured content against the tool's ``outputSchema`` and raises, which would
        throw the server's answer away; this session's check records the problem instead, and the
        result is shown as invalid with everything the server sent (``schema_problem``).
        """
        session = client.session
        check = session.validate_tool_result

        async def record(name: str, result: types.CallToolResult) -> None:
            try:
                await check(name, result)
            except RuntimeError as e:
                self._schema_problems[id(result)] = str(e)

        session.validate_tool_result = record  # type: ignore[method-assign]

    def schema_problem(self, result: types.CallToolResult) -> str | None:
        """Why ``result`` breaks its tool's output schema (once; None if it does not)."""
        return self._schema_problems.pop(id(result), None)

    def _listen_for_changes(self) -> None:
        """On 2026-07-28 servers, list changes arrive only on a listen stream: open one."""
        caps = self.capabilities
        client = self.client
        if client is None or caps is None or not self._modern():
            return
        tools = bool(caps.tools and caps.tools.list_changed)
        prompts = bool(caps.prompts and caps.prompts.list_changed)
        resources = bool(caps.resources and caps.resources.list_changed)
        if not (tools or prompts or resources):
            return

        async def listen() -> None:
            from mcp.client.subscriptions import PromptsListChanged, ResourcesListChanged, ToolsListChanged

            try:
                async with client.listen(
                    tools_list_changed=tools, prompts_list_changed=prompts, resources_list_changed=resources
                ) as stream:
                    async for event in stream:
                        if isinstance(event, ToolsListChanged):
                            self._list_changed("tools")
                        elif isinstance(event, PromptsListChanged):
                            self._list_changed("prompts")
                        elif isinstance(event, ResourcesListChanged):
                            self._list_changed("resources")
            except asyncio.CancelledError:
                raise
            except BaseException as e:  # a server that cannot stream changes: listings just are not refreshed
                self.log.add("client", f"no change notifications: {_describe_exception(_leaf(e))}", "debug")

        self._listeners[_LIST_CHANGES] = asyncio.get_running_loop().create_task(listen())

    def _list_changed(self, kind: str) -> None:
        if kind == "tools":
            self._tools = None
        elif kind == "prompts":
            self._prompts = None
        self.log.add("client", f"the server's {kind} changed", "debug")
        self.events.emit("list_changed", server=self.name, kind=kind)

    async def _own(self, started: asyncio.Future[None]) -> None:
        assert self._stop is not None
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
                self._keep_invalid_results(client)
                if not self.offers_roots:
                    # The SDK answers an undeclared roots/list with an error, which can fail a
                    # 2026-era call that asks anyway; answer with no roots instead.
                    client.session._list_roots_callback = self._on_list_roots_undeclared
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
                self._mark_dead(f"lost its transport: {_leaf(e)!r}")

    def _make_client(self) -> Client:
        spec = self.spec
        transport: Any
        if spec.transport == "stdio":
            transport = self.transport = StdioTransport(spec, self.log, on_closed=self._on_stdout_closed)
        elif spec.transport == "http":
            transport = _http_transport(spec, self._note_http_status, self.http_tasks)
        elif spec.transport == "sse":
            from mcp.client.sse import sse_client

            transport = sse_client(spec.url or "", headers=dict(spec.headers) or None, auth=spec.auth)
        else:
            transport = spec.server
        from . import __version__

        return _Client(
            transport,
            mode=spec.protocol,
            log_level=self._log_level,  # type: ignore[arg-type]
            logging_callback=self._on_log_message,
            elicitation_callback=self._on_elicit,
            sampling_callback=self._on_sample,
            # Without roots the capability is not declared at all (the SDK declares it exactly when
            # a callback is given): a server then keeps to the folders it was started with.
            list_roots_callback=self._on_list_roots if self.offers_roots else None,
            message_handler=self._on_message,
            client_info=types.Implementation(name=self._client_name, version=__version__),
            extensions=tasks.client_extensions(),  # the 2026-07-28 tasks extension
        )

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Leave the session and stop the server; bounded by ``grace`` seconds, then killed."""
        for listener in self._listeners.values():
            listener.cancel()
        self._listeners.clear()
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
        self._mark_dead(_exit_words(code))

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
            return f" (it {_exit_words(self.transport.returncode)}{self._stderr_tail()})"
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
                return f"the server {_exit_words(code)} during the handshake{self._stderr_tail(5)}"
        leaf = _leaf(error)
        if self.spec.auth is not None and self.spec.url is not None:
            from .auth import describe_auth_failure

            found = describe_auth_failure(leaf, self.spec)
            if found is not None:
                return self.log.scrub(found)
        if isinstance(leaf, MCPError) and self.spec.url is not None:
            return _http_handshake_failure(leaf, self.spec, self._http_error_status)
        if isinstance(leaf, MCPError):
            return f"the handshake failed: {leaf.error.message}{self._stderr_tail()}"
        if self.spec.url is not None:
            return _http_failure(leaf, self.spec)
        return f"{_describe_exception(leaf)}{self._stderr_tail()}"

    # -- notifications -----------------------------------------------------------------------------

    async def _on_log_message(self, params: types.LoggingMessageNotificationParams) -> None:
        if _LEVELS.get(params.level, 0) < _LEVELS.get(self.log_level or "debug", 0):
            return  # below the chosen level (servers without logging/setLevel send everything)
        data = params.data if isinstance(params.data, str) else _compact_json(params.data)
        who = f"[{params.logger}] " if params.logger else ""
        self.log.add("server", f"{who}{data}", params.level)
        self.events.emit("log", server=self.name, level=params.level, text=self.log.scrub(f"{who}{data}"))
        if params.level in LOUD_LEVELS:
            asker = self._asker()
            notify = getattr(asker, "notify", None)
            if notify is not None:
                notify(self.log.scrub(f"[{self.name} {params.level}] {who}{data}"))

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.log.add("client", f"transport: {_describe_exception(message)}", "warning")
            return
        method = getattr(message, "method", "")
        if method.endswith("/list_changed") and _LIST_CHANGES not in self._listeners:
            self._list_changed(method.split("/")[1])
        elif method == "notifications/resources/updated" and str(message.params.uri) not in self._listeners:
            # 2025-era subscriptions arrive here; a 2026-era listen stream fires on its own.
            self._fire(str(message.params.uri))
        if method not in ("notifications/message", "notifications/progress"):
            self.log.add("client", f"notification {method}", "debug")

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
        except ValidationError as e:
            raise InvalidResult(f"{what}: the server's reply does not follow the MCP schema: {_first_error(e)}") from e
        except RuntimeError as e:
            if "structured content" in str(e) or "output schema" in str(e):
                raise InvalidResult(f"{what}: {e}") from e
            raise
        except McpNotebookError:
            raise
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as e:
            raise TransportFailed(f"{what}: the connection to {self.name!r} failed: {_describe_exception(e)}") from e
        except Exception as e:
            leaf = _leaf(e)
            if leaf is not e and isinstance(leaf, Exception):
                raise TransportFailed(f"{what}: {_describe_exception(leaf)}") from e
            if type(e).__module__.startswith("httpx"):
                raise TransportFailed(f"{what}: HTTP failure talking to {self.name!r}: {e}") from e
            raise

    async def _translate_mcp_error(self, what: str, error: MCPError) -> McpNotebookError:
        if error.error.code == types.CONNECTION_CLOSED:
            if self.transport is not None and self._dead is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._dead.wait(), 1.5)
            if self.state is not State.DEAD:
                self._mark_dead("closed the connection")
            return ServerDied(f"{what} failed: {self.dead_message()}")
        if error.error.code == types.INVALID_REQUEST and error.error.message == "Session terminated":
            # An HTTP server that restarted (or expired the session) answers 404 for it.
            self._mark_dead("forgot this session (HTTP 404: it restarted, or the session expired)")
            return ServerDied(f"{what} failed: {self.dead_message()}")
        if error.error.code == SAMPLING_DECLINED and error.error.message == SAMPLING_DECLINED_TEXT:
            return ServerError(f"{what} stopped: the server needs an LLM reply, and it was declined", SAMPLING_DECLINED)
        # The TypeScript SDK puts its own "MCP error -32602: " in front of the message; the code is
        # said once, here.
        message = _SDK_PREFIX.sub("", error.error.message, count=1)
        return ServerError(f"{what}: the server answered with error {error.error.code}: {message}", error.error.code)

    async def tools(self, refresh: bool = False, timeout: float | None = None) -> dict[str, types.Tool]:
        if self._tools is None or refresh:
            pages = await self._offered(
                "tools",
                lambda: self.request(
                    f"list tools of {self.name}",
                    lambda c: _all_pages(
                        lambda cursor: c.list_tools(cursor=cursor, cache_mode="refresh" if refresh else "use"), "tools"
                    ),
                    timeout,
                ),
            )
            self._tools = {t.name: t for t in pages}
        return self._tools

    def cached_prompt(self, name: str) -> types.Prompt | None:
        """The prompt's listing if it is cached (no request; safe from any thread)."""
        prompts = self._prompts
        return prompts.get(name) if prompts is not None else None

    def cached_tool(self, name: str) -> types.Tool | None:
        """The tool's listing if it is cached (no request; safe from any thread)."""
        tools = self._tools
        return tools.get(name) if tools is not None else None

    async def tool(self, name: str, timeout: float | None = None) -> types.Tool:
        """The tool's listing, with a did-you-mean error when the server has no such tool."""
        tools = await self.tools(timeout=timeout)
        if name not in tools and self.offers("tools"):
            tools = await self.tools(refresh=True, timeout=timeout)  # it may have just appeared
        if not self.offers("tools"):
            raise UsageProblem(f"{self.name} offers no tools, so it has no {name!r}")
        if name not in tools:
            hint = f"`%mcp tools {self.name}` lists its {len(tools)} tools"
            raise UsageProblem(f"no tool {name!r} on {self.name!r}{did_you_mean(name, tools, hint)}")
        return tools[name]

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
        tool = await self.tool(name, timeout)
        if getattr(tool.execution, "task_support", None) == "required":
            # Calls of the API run such a tool as a task (tasks.call_tool); one that gets here is on
            # a server that does not offer tasks, where it cannot run at all.
            raise UsageProblem(
                f"{what} needs MCP tasks (its taskSupport is 'required'), but {self.name!r} does not offer "
                "tasks, so it cannot be called"
            )
        if validate:
            self.checker.check(
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

    # Listings and reads go through the SDK's response cache, which honours the server's ttlMs;
    # ``refresh`` asks the server again and replaces the cached entry.

    async def resources(self, timeout: float | None = None, refresh: bool = False) -> list[types.Resource]:
        mode = _cache_mode(refresh)
        return await self._offered(
            "resources",
            lambda: self.request(
                f"list resources of {self.name}",
                lambda c: _all_pages(lambda cursor: c.list_resources(cursor=cursor, cache_mode=mode), "resources"),
                timeout,
            ),
        )

    async def templates(self, timeout: float | None = None, refresh: bool = False) -> list[types.ResourceTemplate]:
        mode = _cache_mode(refresh)
        return await self._offered(
            "templates",
            lambda: self.request(
                f"list resource templates of {self.name}",
                lambda c: _all_pages(
                    lambda cursor: c.list_resource_templates(cursor=cursor, cache_mode=mode), "resource_templates"
                ),
                timeout,
            ),
        )

    async def read(self, uri: str, timeout: float | None = None, refresh: bool = False) -> types.ReadResourceResult:
        mode = _cache_mode(refresh)
        no_resources = f"{self.name} offers no resources, so it cannot read {uri}"
        if not self.offers("resources"):
            raise UsageProblem(no_resources)
        try:
            return await self.request(
                f"read {uri} from {self.name}", lambda c: c.read_resource(uri, cache_mode=mode), timeout
            )
        except ServerError as e:
            if e.code == types.METHOD_NOT_FOUND:
                raise ServerError(no_resources, e.code) from e
            if e.code in (types.INVALID_PARAMS, -32002):  # -32002: "resource not found" before 2025-11
                raise ServerError(
                    f"{e}; `%mcp resources {self.name}` and `%mcp templates {self.name}` list what it has", e.code
                ) from e
            raise

    async def prompts(self, refresh: bool = False, timeout: float | None = None) -> dict[str, types.Prompt]:
        if self._prompts is None or refresh:
            pages = await self._offered(
                "prompts",
                lambda: self.request(
                    f"list prompts of {self.name}",
                    lambda c: _all_pages(
                        lambda cursor: c.list_prompts(cursor=cursor, cache_mode=_cache_mode(refresh)), "prompts"
                    ),
                    timeout,
                ),
            )
            self._prompts = {p.name: p for p in pages}
        return self._prompts

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str], timeout: float | None = None
    ) -> types.GetPromptResult:
        what = f"{self.name}.{name}"
        prompts = await self.prompts(timeout=timeout)
        if name not in prompts and self.offers("prompts"):
            prompts = await self.prompts(refresh=True, timeout=timeout)
        if not self.offers("prompts"):
            raise UsageProblem(f"{self.name} offers no prompts, so it has no {name!r}")
        if name not in prompts:
            hint = f"`%mcp prompts {self.name}` lists its {len(prompts)} prompts"
            raise UsageProblem(f"no prompt {name!r} on {self.name!r}{did_you_mean(name, prompts, hint)}")
        declared = {a.name: a for a in prompts[name].arguments or []}
        missing = [a for a, spec in declared.items() if spec.required and a not in arguments]
        if missing:
            raise UsageProblem(f"{what}: missing required argument {missing[0]!r}" + _arg_hint(declared[missing[0]]))
        unknown = [a for a in arguments if a not in declared]
        if unknown and declared:
            raise UsageProblem(
                f"{what}: unknown argument {unknown[0]!r}{did_you_mean(unknown[0], declared)} "
                f"(it takes: {', '.join(declared)})"
            )
        return await self.request(what, lambda c: c.get_prompt(name, dict(arguments)), timeout)


def _unfit_answer(
    server: str, schema: Mapping[str, Any], problems: list[tuple[tuple[str, ...], str]], rule: Any
) -> str:
    """One line: why an answer to a form was cancelled instead of sent."""
    if rule == "accept-defaults":
        props = schema.get("properties") or {}
        missing = [path[0] for path, why in problems if why == "required" and len(path) == 1]
        bare = [name for name in missing if not (isinstance(props.get(name), Mapping) and "default" in props[name])]
        if bare:
            fields = ", ".join(repr(name) for name in bare)
            return (
                f"cancelled the answer to {server}'s form: accept-defaults has no value for {fields} (required, "
                "no default); to answer it yourself connect with --on-elicit ask (on_elicit='ask'), or give "
                "--on-elicit a function that fills it"
            )
    path, why = problems[0]
    return f"cancelled the answer to {server}'s form: it does not fit the form ({'.'.join(path)}: {why})"


def _root(path_or_uri: str) -> types.Root:
    if "://" in path_or_uri:
        return types.Root.model_validate({"uri": path_or_uri})
    from pathlib import Path

    path = Path(path_or_uri).expanduser().resolve()
    return types.Root.model_validate({"uri": path.as_uri(), "name": path.name or str(path)})


def _policy_words(rule: Any) -> str:
    """An answer policy as the user gave it: ``ask``, a word, or ``{function}``."""
    if rule is None:
        return "ask"
    if isinstance(rule, str):
        return rule
    return "{" + str(getattr(rule, "__name__", "function")) + "}"


def _cache_mode(refresh: bool) -> Any:
    return "refresh" if refresh else "use"


def _exit_words(code: int | None) -> str:
    if code is None:
        return "closed its stdout but is still running"
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def _arg_hint(arg: types.PromptArgument) -> str:
    return f" — {arg.description}" if arg.description else ""


async def _all_pages(fetch: Callable[[str | None], Awaitable[Any]], field: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(_PAGE_CAP):
        page = await fetch(cursor)
        items.extend(getattr(page, field))
        cursor = page.next_cursor
        if not cursor:
            break
    return items


class _Client(Client):
    """The SDK's client, reading a result without ``resultType`` as a complete one.

    The 2026-07-28 spec (basic/index, "ResultType"): clients MUST treat an absent ``resultType`` as
    ``"complete"``. The SDK refuses such a result on a 2026-07-28 session (``Field required``), and
    the server's answer would be lost; servers of that era have shipped without it.
    """

    async def _build_session(self, exit_stack: contextlib.AsyncExitStack) -> Any:
        session = await super()._build_session(exit_stack)
        dispatcher: Any = session._dispatcher  # its send_raw_request is replaced on this instance only
        send = dispatcher.send_raw_request

        async def send_raw_request(method: str, params: Any, opts: Any = None) -> dict[str, Any]:
            raw: dict[str, Any] = await send(method, params, opts)
            if isinstance(raw, dict) and "resultType" not in raw and session.protocol_version in _MODERN:
                raw = {**raw, "resultType": "complete"}
            return raw

        dispatcher.send_raw_request = send_raw_request
        tasks.install(session)  # 2025-11-25 tasks: the client capability, the reverse direction, task progress
        return session


@contextlib.asynccontextmanager
async def _http_transport(
    spec: ServerSpec, on_status: Callable[[int], None], sessions: tasks.HttpSessions | None = None
) -> AsyncIterator[Any]:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async def note(response: Any) -> None:
        on_status(response.status_code)

    async with create_mcp_http_client(headers=dict(spec.headers) or None, auth=spec.auth) as http:
        # The SDK turns a failed handshake's HTTP status into a generic JSON-RPC error; the status
        # itself is what tells the user what to do (401: credentials, 404: the path).
        http.event_hooks["response"].append(note)
        if sessions is not None:
            sessions.attach(http)  # the session id, kept open while its tasks run (tasks/_http.py)
        async with streamable_http_client(spec.url or "", http_client=http) as streams:
            yield streams


def _status_words(status: int, spec: ServerSpec) -> str:
    from .config import redact_url

    hint = {
        401: "it wants credentials: sign in with --oauth (auth='oauth'), or add --header 'Authorization: Bearer ...'",
        403: "it refused these credentials",
        404: "no MCP endpoint at that path (often /mcp, or /sse with --sse)",
        405: "that path does not take MCP requests (check /mcp vs /sse, and --sse)",
    }.get(status, "check the URL")
    if status == 400 and spec.transport == "sse":
        hint += " (a Streamable HTTP endpoint, usually /mcp, is reached without --sse)"
    return f"{redact_url(spec.url or '')} answered HTTP {status}: {hint}"


def _http_failure(error: BaseException, spec: ServerSpec) -> str:
    """Why an HTTP server could not be reached, in words, with what to check."""
    from .config import redact_url

    url = redact_url(spec.url or "")
    name = type(error).__name__
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return _status_words(status, spec)
    if name in ("ConnectError", "ConnectTimeout"):
        return f"nothing answered at {url}: is the server running, and is the host and port right?"
    if "Timeout" in name:
        return f"{url} did not answer in time ({name})"
    return f"talking to {url} failed: {_describe_exception(error)}"


def _http_handshake_failure(error: MCPError, spec: ServerSpec, status: int | None = None) -> str:
    # The SDK reports HTTP statuses met during the handshake as JSON-RPC errors: 404 as
    # "Not Found", any other failure status as a generic "Server returned an error response".
    from .config import redact_url

    url = redact_url(spec.url or "")
    message = error.error.message
    if status is not None and message in ("Not Found", "Server returned an error response"):
        return _status_words(status, spec)
    if message == "Not Found":
        return f"{url} answered HTTP 404: no MCP endpoint at that path (often /mcp, or /sse with --sse)"
    if message == "Server returned an error response":
        return (
            f"{url} answered with an HTTP error status: check the URL, and whether it wants credentials "
            "(--oauth to sign in, or --header 'Authorization: Bearer ...')"
        )
    return f"the handshake with {url} failed: {message}"


def _server_label(info: types.Implementation | None) -> str:
    if info is None:
        return "(anonymous)"
    return f"{info.name} {info.version}".strip()


def _leaf(error: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _describe_exception(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _first_error(error: ValidationError) -> str:
    errors = error.errors()
    if not errors:
        return str(error)
    loc = ".".join(str(p) for p in errors[0]["loc"])
    return f"{loc}: {errors[0]['msg']}" if loc else errors[0]["msg"]


def _compact_json(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
