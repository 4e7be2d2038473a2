"""``Hub``: a kernel's MCP state — the loop thread, the named connections, the defaults, the
events and the call history — and the ways to connect.

The magics and the module-level functions share one hub (``api.default_hub()``); a script or a
test can make its own (``with Hub() as hub: ...`` closes its connections and stops its thread).
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import apps, config, hostconfig, mapping, search, tasks
from ._engine import DEFAULT_TIMEOUT, EXIT_BUDGET, Engine, Setting, Settings, checked_level, warm_up
from ._runtime import Runtime, caller_inbox
from ._server_base import server_row
from ._signin import signing_in
from .asking import ElicitPolicy, Policy, SamplePolicy
from .call_history import DEFAULT_LIMIT as DEFAULT_HISTORY_LIMIT
from .call_history import History
from .config import ServerSpec, root_paths
from .connection import DEFAULT_CONNECT_TIMEOUT, ConnectOptions, State
from .errors import ConnectFailed, McpNotebookError, NotConnected, UsageProblem, did_you_mean
from .listings import ConfigList, ServerList, ToolList
from .recording import Recording, ServerFacts
from .server import Server

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Hub"]

T = TypeVar("T")


class Hub:
    """A kernel's MCP state: the loop thread, the named connections, and default settings.

    ``timeout`` bounds each request (seconds, None for no bound); ``connect_timeout`` bounds
    starting a server and the handshake; ``log_level`` is the server log level asked for.
    """

    timeout: Setting[float | None] = Setting()
    connect_timeout: Setting[float] = Setting()
    progress: Setting[bool] = Setting()
    progress_extends_timeout: Setting[bool] = Setting()
    auto_reconnect: Setting[bool] = Setting()
    on_elicit: Setting[ElicitPolicy] = Setting()
    """How connects that do not say answer elicitation requests (``Policy`` words or a function;
    None: ask the user). Unattended runs set it, e.g. with ``%config MCPMagics.on_elicit``."""
    on_sample: Setting[SamplePolicy] = Setting()
    """The same for sampling requests (``"decline"`` or a function; None: ask the user)."""

    def __init__(
        self,
        runtime: Runtime | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        log_level: str | None = "info",
        progress: bool = True,
        progress_extends_timeout: bool = True,
        auto_reconnect: bool = False,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
    ) -> None:
        settings = Settings(timeout, connect_timeout, checked_level(log_level), progress, progress_extends_timeout,
                            auto_reconnect)  # fmt: skip
        self._engine = Engine(runtime, settings)
        self.events = self._engine.events
        self._history = History(history_limit)
        self._history.attach(self.events)
        self.recording: Recording | None = None
        """The recording ``%mcp record`` started, while it runs."""

    def __repr__(self) -> str:
        return f"<Hub {', '.join(self.names()) or '(no connections)'}>"

    @property
    def log_level(self) -> str | None:
        """The server log level asked for at connect (``debug`` … ``emergency``, or None)."""
        return self._engine.settings.log_level

    @log_level.setter
    def log_level(self, value: str | None) -> None:
        self._engine.settings.log_level = checked_level(value)

    def background(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run an awaitable of this API (``hub.aconnect(...)``, ``server.aread(uri)``, …) without
        waiting: for widget callbacks, which must never block the kernel."""
        return self._engine.background(work)

    def on(self, event: str, fn: Callable[..., Any]) -> Callable[[], None]:
        """Call ``fn(**details)`` on each ``event`` (see ``mcp_notebook.events``); returns an undo."""
        return self.events.on(event, fn)

    # -- connections ----------------------------------------------------------------------------

    def spec(
        self,
        name: str = config.DEMO_NAME,
        target: Any = None,
        *,
        command: Sequence[str] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        sse: bool = False,
        server: Any = None,
        protocol: str = "auto",
        replay: str | os.PathLike[str] | None = None,
        replay_from: str | None = None,
        auth: Any = None,
    ) -> ServerSpec:
        """Build the ``ServerSpec`` that ``connect`` would use (see ``connect`` for the rules)."""
        if replay_from is not None and replay is None:
            raise UsageProblem("replay_from= picks a server of a recording; give replay=PATH with it")
        if replay is not None:
            if target is not None or command is not None or url is not None or server is not None:
                raise UsageProblem("replay= serves a recording instead of a server: give it without a target")
            from .replay import replay_server_for

            server = replay_server_for(self._live_replay(name), name, replay, replay_from)
        spec = config.spec_for(name, target, command=command, url=url, headers=headers, env=env, cwd=cwd,
                               sse=sse, server=server, protocol=protocol)  # fmt: skip
        if auth is not None:
            from .auth import attach

            spec = attach(spec, auth, self._engine.registry)
        return spec

    def _options(
        self,
        on_elicit: ElicitPolicy,
        on_sample: SamplePolicy,
        roots: Sequence[str | os.PathLike[str]] | None,
        timeout: float | None,
    ) -> ConnectOptions:
        settings = self._engine.settings
        policy = Policy(
            on_elicit if on_elicit is not None else settings.on_elicit,
            on_sample if on_sample is not None else settings.on_sample,
        )
        return ConnectOptions(
            connect_timeout=timeout if timeout is not None else settings.connect_timeout,
            log_level=settings.log_level,
            policy=policy,
            roots=tuple(root_paths(roots)),
        )

    async def _connect(self, spec: ServerSpec, options: ConnectOptions) -> Server:
        """Open ``spec`` (signing in if it wants), telling the calling cell what a repeated connect changed."""
        inbox = caller_inbox()

        def tell(text: str) -> None:
            import sys

            inbox.post(lambda: print(text, file=sys.stderr))

        conn = await signing_in(inbox, self._engine.registry.connect(spec, options, on_change=tell))
        self.events.emit("connected", server=conn.name)
        return Server(self._engine, conn)

    def connect(
        self,
        name: str = config.DEMO_NAME,
        target: Any = None,
        *,
        on_elicit: ElicitPolicy = None,
        on_sample: SamplePolicy = None,
        roots: Sequence[str | os.PathLike[str]] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Server:
        """Connect a server and return it (see ``mcp_notebook.connect`` for the arguments)."""
        spec = self.spec(name, target, **kwargs)
        options = self._options(on_elicit, on_sample, roots, timeout)
        self._engine.install_exit_hook()
        warm_up()
        return self._engine.block(self._connect(spec, options), f"connecting {name}")

    async def aconnect(
        self,
        name: str = config.DEMO_NAME,
        target: Any = None,
        *,
        on_elicit: ElicitPolicy = None,
        on_sample: SamplePolicy = None,
        roots: Sequence[str | os.PathLike[str]] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Server:
        """``connect``, awaitable."""
        spec = self.spec(name, target, **kwargs)
        options = self._options(on_elicit, on_sample, roots, timeout)
        self._engine.install_exit_hook()
        warm_up()
        return await self._engine.hop(self._connect(spec, options))

    def get(self, name: str) -> Server:
        """The connected server called ``name``."""
        return Server(self._engine, self._engine.registry.get(name))

    def names(self) -> list[str]:
        """The names of the connections, in the order they were made."""
        return self._engine.registry.names()

    def resolve_tool(self, target: str) -> tuple[Server, str]:
        """``"server.tool"`` → (the server, the tool's name); a bare tool name works when exactly one
        connection has it. No request when the server is named."""
        registry = self._engine.registry
        found = registry.resolve_known(target) or self._engine.block(registry.resolve_tool(target), "finding the tool")
        conn, tool = found
        return Server(self._engine, conn), tool

    def config(self, path: str | os.PathLike[str]) -> ConfigList:
        """The servers a host config file declares (Claude Desktop, Claude Code, VS Code, Cursor)."""
        entries, _inputs = hostconfig.read_config(path)
        return ConfigList([e.summary() for e in entries])

    def connect_config(
        self, path: str | os.PathLike[str], names: Sequence[str] | None = None, **kwargs: Any
    ) -> list[Server]:
        """Connect the servers a config file declares (all, or those named).

        Each connects under its own name from the file; ``${input:…}`` values are asked once. If some
        fail, the others stay connected and the error lists what failed and why. HTTP servers
        without an ``Authorization`` header sign in with OAuth if they answer 401 (with the file's
        ``oauth`` block, if any); ``auth=`` overrides that for all of them (``auth=False``: never).
        """
        entries, inputs = hostconfig.read_config(path)
        by_name = {e.name: e for e in entries}
        wanted = list(names) if names else list(by_name)
        for name in wanted:
            if name not in by_name:
                raise UsageProblem(
                    f"no server {name!r} in {path}{did_you_mean(name, by_name)} (it has: {', '.join(by_name)})"
                )
        answers: dict[str, str] = {}
        auth = kwargs.pop("auth", None)
        options = self._options(kwargs.get("on_elicit"), kwargs.get("on_sample"), kwargs.get("roots"),
                                kwargs.get("timeout"))  # fmt: skip
        connected, failed = [], []
        for name in wanted:
            try:
                spec = hostconfig.resolve_entry(by_name[name], inputs, answers=answers)
                spec = self._config_auth(spec, by_name[name], auth)
                self._engine.install_exit_hook()
                connected.append(self._engine.block(self._connect(spec, options), f"connecting {name}"))
            except McpNotebookError as e:
                failed.append(f"{name}: {e}")
        if failed:
            done = ", ".join(s.name for s in connected) or "none"
            raise ConnectFailed(f"connected {done}; failed {len(failed)}: " + " | ".join(failed))
        return connected

    def _config_auth(self, spec: ServerSpec, entry: hostconfig.ConfigEntry, auth: Any) -> ServerSpec:
        from .auth import OAuth, attach

        if auth is False or spec.url is None:
            return spec
        if auth is None:
            if not entry.signs_in:
                return spec
            auth = OAuth(**hostconfig.entry_oauth(entry))
        return attach(spec, auth, self._engine.registry)

    def servers(self, names: Sequence[str] | None = None) -> ServerList:
        """A table of the connections (or of those named): name, state, transport, protocol, server,
        target and the roots offered to it."""
        conns = self._engine.registry.all()
        return ServerList([server_row(c) for c in conns if names is None or c.name in names])

    def logout(self, url: str) -> bool:
        """Forget the OAuth tokens kept for the server at ``url`` (a connection's too, in memory).
        True if there were any; ``server.logout()`` does the same by name."""
        from .auth import logout

        return logout(url, [conn.spec for conn in self._engine.registry.all()])

    def disconnect(self, name: str) -> None:
        """Close the connection called ``name`` (stopping a stdio server)."""
        self._engine.block(self._engine.registry.disconnect(name), f"closing {name}")
        self.events.emit("disconnected", server=name, reason="closed")

    def disconnect_all(self) -> int:
        """Close every connection; returns how many there were."""
        closed = self._engine.block(self._engine.registry.disconnect_all(), "closing every connection")
        for conn in closed:
            self.events.emit("disconnected", server=conn.name, reason="closed")
        return len(closed)

    async def _every_tool(self, every: bool = False) -> list[tuple[str, Any]]:
        """(server, tool) for every ready connection; app-only tools left out unless ``every``."""
        found: list[tuple[str, Any]] = []
        for conn in self._engine.registry.all():
            if conn.state is State.READY and mapping.WORKER_SEPARATOR not in conn.name:
                tools = await conn.catalog.tools(timeout=self._engine.settings.timeout)
                found += [(conn.name, t) for t in tools.values()]
        return [(name, t) for name, t in found if every or apps.visible_to_model(t)]

    def all_tools(self, *, all: bool = False) -> ToolList:
        """Every tool of every ready connection, with a ``server`` column (app-only ones with ``all``)."""
        found = self._engine.block(self._every_tool(True), "listing every tool")
        shown = [(name, t) for name, t in found if all or apps.visible_to_model(t)]
        hidden = len(found) - len(shown)
        return ToolList([t for _, t in shown], servers=[name for name, _ in shown], hidden=hidden)

    @property
    def apps(self) -> apps.AppHost:
        """The MCP Apps host of this hub: ``.sandbox`` (``auto``, ``proxy``, ``srcdoc``) and
        ``.max_height`` apply to the Apps shown from now on."""
        return self._engine.apps

    @property
    def task_book(self) -> tasks.TaskBook:
        """This notebook's tasks: their durable records, and the ttl asked for new ones (``tasks``)."""
        return self._engine.task_book

    def tasks(self, server: str | None = None, *, refresh: bool = True) -> tasks.TaskList:
        """The tasks this notebook started (on ``server``, or on all), with their last status; ``refresh``
        asks the connected servers about the unfinished ones first. ``.to_dataframe()`` for a frame."""
        return tasks.list_tasks(self._engine, server, refresh)

    def find(self, words: str | Sequence[str]) -> ToolList:
        """The tools of every connection whose name, title or description holds the words, best first."""
        search.words_of(words)  # an empty search is a mistake before any request
        return search.find_tools(self._engine.block(self._every_tool(), "finding tools"), words)

    # -- shutdown -------------------------------------------------------------------------------

    def close_all(self, budget: float = EXIT_BUDGET) -> None:
        """Close every connection within ``budget`` seconds, then SIGKILL any server still alive.

        Registered with ``atexit`` on first connect, so a kernel shutdown or restart leaves no
        server processes behind.
        """
        self._engine.close_all(budget)

    def close(self) -> None:
        """Close every connection and App, then stop this hub's loop thread (it starts again if used)."""
        self._engine.close_apps()
        self.close_all()
        self._engine.runtime.stop()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- data work: history, recordings ----------------------------------------------------------------

    @property
    def history_limit(self) -> int:
        """How many calls ``history()`` keeps (the oldest fall off first)."""
        return self._history.limit

    @history_limit.setter
    def history_limit(self, value: int) -> None:
        self._history.limit = value

    def history(self, *, clear: bool = False) -> pd.DataFrame:
        """Every call so far (tools, reads, prompts) as a DataFrame, oldest first; ``clear=True``
        returns it and starts afresh. Secret-looking argument values show as ``***``."""
        frame = self._history.to_dataframe()
        if clear:
            self._history.clear()
        return frame

    def record(self, path: str | os.PathLike[str]) -> Recording:
        """Write every call and its result to ``path`` (JSON Lines) until ``.stop()``; also a
        context manager. ``connect(name, replay=path)`` serves the recording back (under any name;
        ``replay_from=`` picks a server when the recording holds several)."""
        current = self.recording
        if current is not None and current.active:
            raise UsageProblem(f"already recording to {current.path}; stop that first (%mcp record --stop, or .stop())")
        self.recording = Recording(self.events, path, self._facts, on_stop=self._recording_stopped)
        return self.recording

    def _live_replay(self, name: str) -> Any:
        """The in-process server of the live connection ``name`` (None if none, or not in-process)."""
        try:
            return self._engine.registry.get(name).spec.server
        except NotConnected:
            return None

    def _recording_stopped(self, recording: Recording) -> None:
        if self.recording is recording:
            self.recording = None

    def _facts(self, name: str) -> ServerFacts | None:
        try:
            return ServerFacts.of(self._engine.registry.get(name))
        except NotConnected:
            return None
