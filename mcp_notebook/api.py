"""The Python API — the one facade the magics and the widgets both call.

``connect()`` returns a ``Server``: ``tools()``, ``call()``, ``read()``, ``prompt()``, ``log()``,
``close()``, each blocking and interrupt-safe, each with an awaitable twin (``acall()``, …).
A ``Hub`` holds the runtime loop, the named connections and the defaults; the module-level
functions use one shared hub, created on first use (never at import).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import dataclasses
import datetime as _dt
import decimal
import math
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from pathlib import PurePath
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import config, hostconfig, mapping, search, tasks
from ._progress import ProgressBar
from ._runtime import Inbox, Runtime
from ._signin import signing_in
from .asking import Asker, ElicitPolicy, InputAsker, Policy, SamplePolicy
from .background import CallHandle
from .call_history import DEFAULT_LIMIT as DEFAULT_HISTORY_LIMIT
from .call_history import History
from .config import ServerSpec
from .connection import Connection, State
from .errors import (
    CallTimeout,
    ConnectFailed,
    Interrupted,
    McpNotebookError,
    NotConnected,
    TransportFailed,
    UsageProblem,
    did_you_mean,
)
from .events import CANCELLED, DETACHED, Events, ended_status
from .listings import ConfigList, LogView, PromptList, ResourceList, ServerList, TemplateList, ToolList
from .reads import ReadResults
from .recording import Recording
from .registry import Registry
from .render import MUTED, esc
from .results import PromptResult, ResourceResult, ToolResult, mimebundle
from .tasks import TaskHandle, TaskList
from .watch import Watch

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Hub",
    "Server",
    "aconnect",
    "connect",
    "connect_config",
    "default_hub",
    "disconnect",
    "disconnect_all",
    "find",
    "get",
    "history",
    "logout",
    "on",
    "record",
    "servers",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 120.0
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
EXIT_BUDGET = 2.0  # jupyter_client SIGKILLs a kernel 2.5 s after asking it to shut down


class Hub:
    """A kernel's MCP state: the loop thread, the named connections, and default settings.

    ``timeout`` bounds each request (seconds, None for no bound); ``connect_timeout`` bounds
    starting a server and the handshake; ``log_level`` is the server log level asked for.
    """

    def __init__(
        self,
        runtime: Runtime | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = config.DEFAULT_CONNECT_TIMEOUT,
        log_level: str | None = "info",
        progress: bool = True,
        progress_extends_timeout: bool = True,
        auto_reconnect: bool = False,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
    ) -> None:
        self.runtime = runtime or Runtime()
        self.registry = Registry()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.log_level = log_level
        self.progress = progress
        self.progress_extends_timeout = progress_extends_timeout
        self.auto_reconnect = auto_reconnect
        self.on_elicit: ElicitPolicy = None
        """How connects that do not say answer elicitation requests (``Policy`` words or a function;
        None: ask the user). Unattended runs set it, e.g. with ``%config MCPMagics.on_elicit``."""
        self.on_sample: SamplePolicy = None
        """The same for sampling requests (``"decline"`` or a function; None: ask the user)."""
        self.events = Events()
        self._history = History(history_limit)
        self._history.attach(self.events)
        self.recording: Recording | None = None
        """The recording ``%mcp record`` started, while it runs."""
        self.task_book = tasks.TaskBook()
        """This notebook's tasks: their durable records, and the ttl asked for new ones (``tasks``)."""
        self._exit_hook_lock = threading.Lock()
        self._exit_hook = False

    def __repr__(self) -> str:
        return f"<Hub {', '.join(self.registry.names()) or '(no connections)'}>"

    # -- running coroutines for sync and async callers ---------------------------------------------

    def run(self, make: Callable[[Inbox], Coroutine[Any, Any, T]], what: str | None = None) -> T:
        """Run an API coroutine factory on the loop and wait; it gets the caller's inbox.

        An interrupt cancels it and raises ``Interrupted`` (one line in IPython) naming ``what``.
        """
        __tracebackhide__ = True  # IPython leaves this frame out of the tracebacks it shows
        inbox = Inbox()
        return self.runtime.run(make(inbox), inbox=inbox, what=what)

    async def arun(self, make: Callable[[Inbox], Coroutine[Any, Any, T]]) -> T:
        return await self.runtime.arun(make(Inbox.for_async_caller()))

    def background(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run an awaitable of this API (``server.atools()``, ``server.aread(uri)``, …) without
        waiting: for widget callbacks, which must never block the kernel."""
        return self.runtime.submit(work)

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
        timeout: float | None = None,
        protocol: str = "auto",
        replay: str | os.PathLike[str] | None = None,
        replay_from: str | None = None,
        auth: Any = None,
    ) -> config.ServerSpec:
        """Build the ``ServerSpec`` that ``connect`` would use (see ``connect`` for the rules)."""
        if replay_from is not None and replay is None:
            raise UsageProblem("replay_from= picks a server of a recording; give replay=PATH with it")
        if replay is not None:
            if target is not None or command is not None or url is not None or server is not None:
                raise UsageProblem("replay= serves a recording instead of a server: give it without a target")
            server = _replay_server(self, name, replay, replay_from)
        if protocol not in ("auto", "legacy"):
            raise UsageProblem(f"protocol is 'auto' (either era) or 'legacy' (initialize only), not {protocol!r}")
        spec = self._spec(name, target, command, url, headers, env, cwd, sse, server, timeout)
        if auth is not None:
            from .auth import attach

            spec = attach(spec, auth, self.registry)
        return dataclasses.replace(spec, protocol=protocol)

    def _spec(
        self,
        name: str,
        target: Any,
        command: Sequence[str] | None,
        url: str | None,
        headers: Mapping[str, str] | None,
        env: Mapping[str, str] | None,
        cwd: str | os.PathLike[str] | None,
        sse: bool,
        server: Any,
        timeout: float | None,
    ) -> config.ServerSpec:
        connect_timeout = timeout if timeout is not None else self.connect_timeout
        if target is not None:
            if isinstance(target, str) and "://" in target:
                url = url or target
            elif isinstance(target, (list, tuple)):
                command = command or list(target)
            elif isinstance(target, str):
                raise UsageProblem(
                    f"{target!r} is neither a URL nor a command; pass command=[...] for a program, or an http(s):// URL"
                )
            else:
                server = target
        given = [x for x in (command, url, server) if x is not None]
        if len(given) > 1:
            raise UsageProblem("give one of command=, url= or server=, not several")
        if server is not None:
            return config.in_process_spec(name, server)
        if url is not None:
            return config.url_spec(name, url, headers=headers, sse=sse, connect_timeout=connect_timeout)
        if command is not None:
            return config.stdio_spec(name, command, env=env, cwd=cwd, connect_timeout=connect_timeout)
        if name == config.DEMO_NAME:
            return config.demo_spec(name, connect_timeout=connect_timeout)
        raise UsageProblem(
            f"say what {name!r} connects to: command=[...] for a local program, url='http://…' for a "
            f"remote one (or use the name {config.DEMO_NAME!r} alone for the embedded demo server)"
        )

    def _options(self) -> dict[str, Any]:
        return {"log_level": self.log_level, "events": self.events}

    def on(self, event: str, fn: Callable[..., Any]) -> Callable[[], None]:
        """Call ``fn(**details)`` on each ``event`` (see ``mcp_notebook.events``); returns an undo."""
        return self.events.on(event, fn)

    def _connect_options(
        self, on_elicit: ElicitPolicy, on_sample: SamplePolicy, roots: Sequence[str | os.PathLike[str]] | None
    ) -> dict[str, Any]:
        policy = Policy(
            on_elicit if on_elicit is not None else self.on_elicit,
            on_sample if on_sample is not None else self.on_sample,
        )
        return {**self._options(), "policy": policy, "roots": root_paths(roots)}

    def _connect_in(
        self, inbox: Inbox, spec: config.ServerSpec, options: dict[str, Any]
    ) -> Coroutine[Any, Any, Connection]:
        """The registry's connect, telling the calling cell what a repeated connect changed."""

        def tell(text: str) -> None:
            import sys

            inbox.post(lambda: print(text, file=sys.stderr))

        return signing_in(inbox, self.registry.connect(spec, on_change=tell, **options))

    def connect(
        self,
        name: str = config.DEMO_NAME,
        target: Any = None,
        *,
        on_elicit: ElicitPolicy = None,
        on_sample: SamplePolicy = None,
        roots: Sequence[str | os.PathLike[str]] | None = None,
        **kwargs: Any,
    ) -> Server:
        """Connect a server and return it (see ``mcp_notebook.connect`` for the arguments)."""
        spec = self.spec(name, target, **kwargs)
        options = self._connect_options(on_elicit, on_sample, roots)
        self._install_exit_hook()
        _warm_up()
        conn = self.run(lambda inbox: self._connect_in(inbox, spec, options))
        self.events.emit("connected", server=conn.name)
        return Server(self, conn)

    async def aconnect(
        self,
        name: str = config.DEMO_NAME,
        target: Any = None,
        *,
        on_elicit: ElicitPolicy = None,
        on_sample: SamplePolicy = None,
        roots: Sequence[str | os.PathLike[str]] | None = None,
        **kwargs: Any,
    ) -> Server:
        spec = self.spec(name, target, **kwargs)
        options = self._connect_options(on_elicit, on_sample, roots)
        self._install_exit_hook()
        _warm_up()
        conn = await self.arun(lambda inbox: self._connect_in(inbox, spec, options))
        self.events.emit("connected", server=conn.name)
        return Server(self, conn)

    def get(self, name: str) -> Server:
        """The connected server called ``name``."""
        return Server(self, self.registry.get(name))

    def _connect_spec(self, spec: config.ServerSpec, options: dict[str, Any]) -> Connection:
        return self.run(lambda inbox: self._connect_in(inbox, spec, options))

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
        timeout = kwargs.pop("timeout", None)
        auth = kwargs.pop("auth", None)
        connected, failed = [], []
        for name in wanted:
            try:
                spec = hostconfig.resolve_entry(
                    by_name[name],
                    inputs,
                    answers=answers,
                    connect_timeout=timeout if timeout is not None else self.connect_timeout,
                )
                spec = self._config_auth(spec, by_name[name], auth)
                options = self._connect_options(kwargs.get("on_elicit"), kwargs.get("on_sample"), kwargs.get("roots"))
                self._install_exit_hook()
                conn = self._connect_spec(spec, options)
                self.events.emit("connected", server=conn.name)
                connected.append(Server(self, conn))
            except McpNotebookError as e:
                failed.append(f"{name}: {e}")
        if failed:
            done = ", ".join(s.name for s in connected) or "none"
            raise ConnectFailed(f"connected {done}; failed {len(failed)}: " + " | ".join(failed))
        return connected

    def _config_auth(self, spec: ServerSpec, entry: hostconfig.ConfigEntry, auth: Any) -> ServerSpec:
        # ``config`` is a method name from here on in this class body, hence ``ServerSpec`` unqualified
        from .auth import OAuth, attach

        if auth is False or spec.url is None:
            return spec
        if auth is None:
            if not entry.signs_in:
                return spec
            auth = OAuth(**hostconfig.entry_oauth(entry))
        return attach(spec, auth, self.registry)

    def servers(self, names: Sequence[str] | None = None) -> ServerList:
        """A table of the connections (or of those named): name, state, transport, protocol, server,
        target and the roots offered to it."""
        return ServerList([_server_row(c) for c in self.registry.all() if names is None or c.name in names])

    def logout(self, url: str) -> bool:
        """Forget the OAuth tokens kept for the server at ``url`` (a connection's too, in memory).
        True if there were any; ``server.logout()`` does the same by name."""
        from .auth import logout

        return logout(url, [conn.spec for conn in self.registry.all()])

    def disconnect(self, name: str) -> None:
        """Close the connection called ``name`` (stopping a stdio server)."""
        self.run(lambda inbox: self.registry.disconnect(name))
        self.events.emit("disconnected", server=name, reason="closed")

    def disconnect_all(self) -> int:
        """Close every connection; returns how many there were."""
        closed = self.run(lambda inbox: self.registry.disconnect_all())
        for conn in closed:
            self.events.emit("disconnected", server=conn.name, reason="closed")
        return len(closed)

    def all_tools(self) -> ToolList:
        """Every tool of every ready connection, with a ``server`` column."""

        async def gather(inbox: Inbox) -> ToolList:
            tools, owners = [], []
            for conn in self.registry.all():
                if conn.state is State.READY:
                    found = await conn.tools(timeout=self.timeout)
                    tools += list(found.values())
                    owners += [conn.name] * len(found)
            return ToolList(tools, servers=owners)

        return self.run(gather)

    # -- shutdown -------------------------------------------------------------------------------

    def _install_exit_hook(self) -> None:
        with self._exit_hook_lock:
            if not self._exit_hook:
                atexit.register(self.close_all)
                self._exit_hook = True

    def close_all(self, budget: float = EXIT_BUDGET) -> None:
        """Close every connection within ``budget`` seconds, then SIGKILL any server still alive.

        Registered with ``atexit`` on first connect, so a kernel shutdown or restart leaves no
        server processes behind.
        """
        with self._exit_hook_lock:
            if self._exit_hook:
                atexit.unregister(self.close_all)
                self._exit_hook = False
        conns = self.registry.all()
        if not conns:
            return
        try:
            if self.runtime.running:
                self.runtime.run(self.registry.disconnect_all(grace=budget * 0.75), timeout=budget)
        except BaseException:  # at exit, nothing may stop the kill below
            pass
        finally:
            for conn in conns:
                conn.kill()

    def close(self) -> None:
        """Close every connection, then stop this hub's loop thread (it starts again if used)."""
        self.close_all()
        self.runtime.stop()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- data work: history, recordings, finding tools ----------------------------------------------

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
        self.recording = Recording(self, path)
        return self.recording

    def tasks(self, server: str | None = None, *, refresh: bool = True) -> TaskList:
        """The tasks this notebook started (on ``server``, or on all), with their last status; ``refresh``
        asks the connected servers about the unfinished ones first. ``.to_dataframe()`` for a frame."""
        return tasks.list_tasks(self, server, refresh)

    def find(self, words: str | Sequence[str]) -> ToolList:
        """The tools of every connection whose name, title or description holds the words, best first."""
        search.words_of(words)  # an empty search is a mistake before any request

        async def gather(inbox: Inbox) -> ToolList:
            found: list[tuple[str, Any]] = []
            for conn in self.registry.all():
                if conn.state is State.READY and mapping.WORKER_SEPARATOR not in conn.name:
                    found += [(conn.name, t) for t in (await conn.tools(timeout=self.timeout)).values()]
            return search.find_tools(found, words)

        return self.run(gather)


class Server:
    """A connected MCP server. Every method blocks (interrupt-safe); ``a``-prefixed twins await.

    The handle follows its name: after ``%mcp reconnect demo``, an old ``demo`` handle uses the
    new connection.
    """

    def __init__(self, hub: Hub, conn: Connection) -> None:
        self._hub = hub
        self._conn = conn
        self.name = conn.name

    @property
    def connection(self) -> Connection:
        """The live connection under this name (after a reconnect, the new one)."""
        try:
            current = self._hub.registry.get(self.name)
        except NotConnected:
            return self._conn  # closed: its state says so in every error
        self._conn = current
        return current

    @property
    def state(self) -> str:
        """``connecting``, ``ready``, ``dead`` or ``closed``."""
        return self.connection.state.value

    @property
    def protocol_version(self) -> str | None:
        """The protocol version agreed with the server (``2026-07-28``, ``2025-11-25``, …)."""
        return self.connection.protocol_version

    @property
    def server_info(self) -> Any:
        """The server's name and version, as it gave them (None if it did not)."""
        return self.connection.server_info

    @property
    def instructions(self) -> str | None:
        """What the server says about how to use it, if anything."""
        return self.connection.instructions

    def __repr__(self) -> str:
        conn = self.connection
        return f"<Server {self.name} {conn.state.value}: {conn.spec.describe()}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        row = _server_row(self.connection)
        facts = " · ".join(str(row[k]) for k in ("state", "transport", "protocol", "server", "version") if row[k])
        if row["roots"]:
            facts += f" · roots: {row['roots']}"
        html = f'<div><b>{esc(self.name)}</b> <span style="{MUTED}">{esc(facts)}</span>'
        if self.instructions:
            html += f'<details><summary style="{MUTED}">instructions</summary>'
            html += f'<pre style="white-space:pre-wrap">{esc(self.instructions[:5000])}</pre></details>'
        html += "</div>"
        return mimebundle({"text/plain": f"{self.name}: {facts}", "text/html": html}, include, exclude)

    # -- context managers -------------------------------------------------------------------------

    def __enter__(self) -> Server:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    # -- operations: each built once as a coroutine factory, run blocking or awaited ----------------

    def _run(self, make: Callable[[Inbox], Coroutine[Any, Any, T]], what: str) -> T:
        """``hub.run`` for this server: an interrupt says what was cancelled and how the session is."""
        __tracebackhide__ = True
        self._hub.task_book.forget_detached()
        try:
            return self._hub.run(make, what)
        except Interrupted as e:
            detached = self._hub.task_book.take_detached()  # the interrupt left a task running
            if detached is not None:
                raise detached from None
            conn = self.connection
            e.after = (
                "the session is ready"
                if conn.state is State.READY
                else f"{self.name} is {conn.state.value}" + (f": it {conn.death}" if conn.death else "")
            )
            raise

    def _timeout(self, timeout: float | None) -> float | None:
        return self._hub.timeout if timeout is None else timeout

    def _tools(self, refresh: bool, timeout: float | None) -> Callable[[Inbox], Awaitable[ToolList]]:
        async def go(inbox: Inbox) -> ToolList:
            found = await self.connection.tools(refresh=refresh, timeout=self._timeout(timeout))
            return ToolList(found.values(), server=self.name, offered=self.connection.offers("tools"))

        return go

    def tools(self, refresh: bool = False, *, timeout: float | None = None) -> ToolList:
        """The server's tools (cached; ``refresh=True`` asks again)."""
        return self._run(self._tools(refresh, timeout), f"listing the tools of {self.name}")  # type: ignore[arg-type]

    async def atools(self, refresh: bool = False, *, timeout: float | None = None) -> ToolList:
        return await self._hub.arun(self._tools(refresh, timeout))  # type: ignore[arg-type]

    def tool_schema(self, tool: str) -> dict[str, Any]:
        """The tool's ``inputSchema`` (from the cached listing when there is one)."""
        cached = self.connection.cached_tool(tool)
        if cached is not None:
            return dict(cached.input_schema)
        return dict(self._hub.run(lambda inbox: self.connection.tool(tool, self._hub.timeout)).input_schema)

    def _call(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        timeout: float | None,
        progress: bool | None,
        validate: bool,
        listener: Callable[[float, float | None, str | None], None] | None = None,
        asker: Asker | None = None,
        retries: int = 0,
        retry_unsafe: bool = False,
        as_task: bool | None = None,
    ) -> Callable[[Inbox], Coroutine[Any, Any, ToolResult]]:
        # A value in the arguments' place (call("read_text_file", "/tmp/x")) is refused on the loop,
        # where the tool's listing can name the argument it was probably meant for.
        positional = arguments if arguments is not None and not isinstance(arguments, Mapping) else None
        args = jsonable({**(arguments if isinstance(arguments, Mapping) else {}), **kwargs})
        if not isinstance(tool, str) or not tool:
            raise UsageProblem(f"tool must be a name (a non-empty string), not {tool!r}")
        if not isinstance(retries, int) or retries < 0:
            raise UsageProblem(f"retries is a count (0, 1, 2, …), not {retries!r}")
        show = self._hub.progress if progress is None else progress

        async def go(inbox: Inbox) -> ToolResult:
            bar = ProgressBar(inbox, f"{self.name}.{tool}") if show and listener is None else None
            report = listener or (bar.report if bar else None)
            events = self._hub.events
            if events:
                report = _also_emit(events, self.name, tool, report)
            started = time.perf_counter()
            attempt = 0
            try:
                if positional is not None:
                    listed = await self.connection.tool(tool, self._timeout(timeout))
                    params = _param_names(listed.input_schema)
                    raise UsageProblem(not_by_name(f"{self.name}.{tool}", "call", tool, positional, params))
                while True:
                    conn = await self._ready(inbox)
                    try:
                        with conn.asking(asker or InputAsker(inbox)):
                            raw, seconds = await tasks.call_tool(  # conn.call_tool, or the tool as a task
                                conn,
                                tool,
                                args,
                                timeout=self._timeout(timeout),
                                progress=report,
                                validate=validate,
                                progress_extends=self._hub.progress_extends_timeout,
                                as_task=as_task,
                                book=self._hub.task_book,
                                inbox=inbox,
                                view=show and listener is None,
                                observer=asker,
                                detach=asker is None,  # an interrupt detaches; a background Cancel cancels
                            )
                        break
                    except (TransportFailed, CallTimeout) as e:
                        if attempt >= retries or not (retry_unsafe or await _safe_to_resend(conn, tool)):
                            if retries and attempt == 0 and not retry_unsafe:
                                raise type(e)(
                                    f"{e} (not retried: {self.name}.{tool} is not marked idempotent or read-only, "
                                    "so it may have run; retry_unsafe=True / --retry-unsafe resends anyway)"
                                ) from e
                            raise
                        attempt += 1
                        delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                        _tell(inbox, conn, f"{self.name}.{tool}: {e}; retry {attempt} of {retries} in {delay:.1f} s")
                        await asyncio.sleep(delay)
            except (Exception, asyncio.CancelledError) as e:  # a cancel (interrupt) is a call too
                if events:
                    seconds = time.perf_counter() - started
                    status = ended_status(e)
                    if status not in (CANCELLED, DETACHED):
                        events.emit("error", server=self.name, what=f"{self.name}.{tool}", error=e)
                    events.emit(
                        "tool_called",
                        server=self.name,
                        tool=tool,
                        arguments=args,
                        status=status,
                        seconds=seconds,
                        task=getattr(e, "task_id", None),  # a task left running (tasks.call_tool)
                    )
                raise
            finally:
                if bar is not None and bar.reported:
                    inbox.post(bar.close)
            if events:
                status = "tool error" if raw.is_error else "ok"
                events.emit(
                    "tool_called",
                    server=self.name,
                    tool=tool,
                    arguments=args,
                    status=status,
                    seconds=seconds,
                    result=raw,
                )
            return ToolResult(
                raw,
                server=self.name,
                tool=tool,
                arguments=args,
                duration=seconds,
                output_schema=_output_schema(conn, tool),
                schema_problem=conn.schema_problem(raw),
            )

        return go

    async def _ready(self, inbox: Inbox) -> Connection:
        """The connection to use; a dead one is first brought back when ``hub.auto_reconnect`` is on."""
        conn = self.connection
        if conn.state is State.DEAD and self._hub.auto_reconnect:
            why = conn.death or "died"
            conn = await self._hub.registry.reconnect(self.name, **self._hub._options())
            self._conn = conn
            _tell(inbox, conn, f"reconnected {self.name} (the server {why})")
            self._hub.events.emit("connected", server=self.name)
        return conn

    def call(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
        retries: int = 0,
        retry_unsafe: bool = False,
        as_task: bool | None = None,
        **kwargs: Any,
    ) -> ToolResult:
        """Call ``tool`` with ``arguments`` (a mapping) and/or keyword arguments.

        Arguments are checked against the tool's input schema before sending (``validate=False``
        skips that). A tool error is a result with ``is_error`` set, not an exception. ``retries``
        re-sends after a transport failure or timeout (with backoff) — only for tools marked
        idempotent or read-only, unless ``retry_unsafe``. A tool that requires a task runs as one
        (``as_task=True`` asks for one where tasks are optional) and is waited for like a call; an
        interrupt then detaches (``Detached``: the task keeps running, ``server.task(id)`` gets it
        back). A tool whose own arguments are called ``timeout``, ``progress``, ``validate``,
        ``retries``, ``retry_unsafe`` or ``as_task`` takes them through the mapping.
        """
        __tracebackhide__ = True
        return self._run(
            self._call(
                tool,
                arguments,
                kwargs,
                timeout,
                progress,
                validate,
                retries=retries,
                retry_unsafe=retry_unsafe,
                as_task=as_task,
            ),
            f"{self.name}.{tool}",
        )

    async def acall(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
        retries: int = 0,
        retry_unsafe: bool = False,
        as_task: bool | None = None,
        **kwargs: Any,
    ) -> ToolResult:
        return await self._hub.arun(
            self._call(
                tool,
                arguments,
                kwargs,
                timeout,
                progress,
                validate,
                retries=retries,
                retry_unsafe=retry_unsafe,
                as_task=as_task,
            )
        )

    def submit(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> CallHandle:
        """Start a tool call in the background and return its handle at once.

        The kernel stays free; ``handle.result()`` waits, ``await handle`` awaits,
        ``handle.cancel()`` cancels on the server, ``handle.on_progress(fn)`` follows progress.
        A value that cannot be sent as JSON raises here; every other failure (a bad argument, a
        dead server) ends the handle with that error.
        """
        handle = CallHandle(f"{self.name}.{tool}", {})
        make = self._call(tool, arguments, kwargs, timeout, False, validate, listener=handle._report, asker=handle)
        handle.arguments = jsonable({**(arguments if isinstance(arguments, Mapping) else {}), **kwargs})
        handle._attach(self._hub.runtime.submit(make(Inbox())))
        return handle

    # -- tasks (mcp_notebook.tasks) -------------------------------------------------------------------

    def start_task(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        ttl: float | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> TaskHandle:
        """Start ``tool`` as a task and return its ``TaskHandle`` at once; the task runs on the server
        (``ttl``: the seconds it should keep it). ``.result()`` waits for it, here or after a restart."""
        args = jsonable({**(arguments or {}), **kwargs})
        return tasks.start_task(
            self._hub, self.name, tool, args, timeout=self._timeout(timeout), ttl=ttl, validate=validate
        )

    def runs_as_task(self, tool: str, as_task: bool | None = None) -> bool:
        """Whether a call of ``tool`` (with ``as_task``) runs as a task; refuses an ``as_task`` the
        server or tool cannot honour. A 2026-07-28 server with the tasks extension decides per call:
        True there means it may."""
        conn = self.connection
        return self._hub.run(lambda inbox: tasks.plan(conn, tool, as_task, self._hub.timeout)) is not None

    def task(self, task_id: str) -> TaskHandle:
        """The handle of a task on this server (one this notebook started, even before a restart)."""
        return tasks.reattach(self._hub, self.name, task_id)

    def tasks(self, *, refresh: bool = True) -> TaskList:
        """The tasks this notebook started on this server (see ``Hub.tasks``)."""
        return tasks.list_tasks(self._hub, self.name, refresh)

    def _listing(self, kind: str, timeout: float | None, refresh: bool = False) -> Callable[[Inbox], Awaitable[Any]]:
        async def go(inbox: Inbox) -> Any:
            conn, limit = self.connection, self._timeout(timeout)
            if kind == "resources":
                items: Any = await conn.resources(limit, refresh)
            elif kind == "templates":
                items = await conn.templates(limit, refresh)
            else:
                items = (await conn.prompts(refresh=refresh, timeout=limit)).values()
            listing = {"resources": ResourceList, "templates": TemplateList, "prompts": PromptList}[kind]
            return listing(items, server=self.name, offered=conn.offers(kind))

        return go

    def resources(self, refresh: bool = False, *, timeout: float | None = None) -> ResourceList:
        """The server's resources (``refresh=True`` bypasses the response cache)."""
        return self._run(self._listing("resources", timeout, refresh), f"listing the resources of {self.name}")  # type: ignore[arg-type]

    async def aresources(self, refresh: bool = False, *, timeout: float | None = None) -> ResourceList:
        return await self._hub.arun(self._listing("resources", timeout, refresh))  # type: ignore[arg-type]

    def templates(self, refresh: bool = False, *, timeout: float | None = None) -> TemplateList:
        """The server's resource templates."""
        return self._run(self._listing("templates", timeout, refresh), f"listing the templates of {self.name}")  # type: ignore[arg-type]

    async def atemplates(self, refresh: bool = False, *, timeout: float | None = None) -> TemplateList:
        return await self._hub.arun(self._listing("templates", timeout, refresh))  # type: ignore[arg-type]

    def prompts(self, refresh: bool = False, *, timeout: float | None = None) -> PromptList:
        """The server's prompts."""
        return self._run(self._listing("prompts", timeout, refresh), f"listing the prompts of {self.name}")  # type: ignore[arg-type]

    async def aprompts(self, refresh: bool = False, *, timeout: float | None = None) -> PromptList:
        return await self._hub.arun(self._listing("prompts", timeout, refresh))  # type: ignore[arg-type]

    def _read(self, uri: str, timeout: float | None) -> Callable[[Inbox], Coroutine[Any, Any, ResourceResult]]:
        if not isinstance(uri, str) or not uri:
            raise UsageProblem(
                f"a resource URI is a non-empty string, not {uri!r}; `%mcp resources {self.name}` lists them"
            )

        async def go(inbox: Inbox) -> ResourceResult:
            started = time.perf_counter()
            conn = self.connection
            events = self._hub.events
            try:
                with conn.asking(InputAsker(inbox)):
                    raw = await conn.read(uri, self._timeout(timeout))
            except (Exception, asyncio.CancelledError) as e:
                status = ended_status(e)
                if status != CANCELLED:
                    events.emit("error", server=self.name, what=f"read {uri}", error=e)
                seconds = time.perf_counter() - started
                events.emit("resource_read", server=self.name, uri=uri, status=status, seconds=seconds)
                raise
            events.emit(
                "resource_read",
                server=self.name,
                uri=uri,
                status="ok",
                seconds=time.perf_counter() - started,
                result=raw,
            )
            return ResourceResult(raw, server=self.name, uri=uri, duration=time.perf_counter() - started)

        return go

    def read(self, uri: str, *, timeout: float | None = None) -> ResourceResult:
        """Read the resource at ``uri``."""
        __tracebackhide__ = True
        return self._run(self._read(uri, timeout), f"reading {uri} from {self.name}")

    async def aread(self, uri: str, *, timeout: float | None = None) -> ResourceResult:
        return await self._hub.arun(self._read(uri, timeout))

    def _prompt(
        self, name: str, arguments: Mapping[str, Any] | None, kwargs: Mapping[str, Any], timeout: float | None
    ) -> Callable[[Inbox], Coroutine[Any, Any, PromptResult]]:
        if arguments is not None and not isinstance(arguments, Mapping):
            cached = self.connection.cached_prompt(name)
            params = [a.name for a in cached.arguments or []] if cached is not None else []
            raise UsageProblem(not_by_name(f"{self.name}.{name}", "prompt", name, arguments, params))
        # Prompt arguments are strings on the wire; numbers typed in a magic are sent as text.
        args = {k: v if isinstance(v, str) else _to_text(v) for k, v in {**(arguments or {}), **kwargs}.items()}

        async def go(inbox: Inbox) -> PromptResult:
            conn = self.connection
            started = time.perf_counter()
            try:
                with conn.asking(InputAsker(inbox)):
                    raw = await conn.get_prompt(name, args, self._timeout(timeout))
            except (Exception, asyncio.CancelledError) as e:
                self._hub.events.emit(
                    "prompt_got",
                    server=self.name,
                    prompt=name,
                    arguments=args,
                    status=ended_status(e),
                    seconds=time.perf_counter() - started,
                )
                raise
            self._hub.events.emit(
                "prompt_got",
                server=self.name,
                prompt=name,
                arguments=args,
                status="ok",
                seconds=time.perf_counter() - started,
                result=raw,
            )
            return PromptResult(raw, server=self.name, prompt=name, arguments=args)

        return go

    def prompt(
        self, name: str, arguments: Mapping[str, Any] | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> PromptResult:
        """Get the prompt ``name`` filled in with ``arguments``."""
        __tracebackhide__ = True
        return self._run(self._prompt(name, arguments, kwargs, timeout), f"the prompt {self.name}.{name}")

    async def aprompt(
        self, name: str, arguments: Mapping[str, Any] | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> PromptResult:
        return await self._hub.arun(self._prompt(name, arguments, kwargs, timeout))

    def watch(self, uri: str) -> Watch:
        """Subscribe to ``uri``: the returned ``Watch`` shows the resource and re-reads it whenever
        the server says it changed (displayed, it updates in place)."""
        watch = Watch(self, uri)
        conn = self.connection
        self._hub.run(lambda inbox: conn.subscribe(uri, watch._on_server_change))
        watch.active = True
        try:
            watch.latest = self.read(uri)
        except BaseException:
            watch.stop()
            raise
        return watch

    def unwatch(self, uri: str) -> None:
        """End every subscription to ``uri``."""
        conn = self.connection
        self._hub.run(lambda inbox: conn.unsubscribe(uri))

    def roots(self) -> list[str]:
        """The folders offered to the server as roots: none unless given (``connect(roots=...)``)."""
        return list(self.connection.roots)

    def set_roots(self, roots: Sequence[str | os.PathLike[str]]) -> list[str]:
        """Offer these folders instead (a 2025-era server is told the list changed).

        Only a connection made with roots can change them: whether a session offers roots is
        fixed when it starts, so gaining the first root or losing the last needs a new connection.
        """
        paths = root_paths(roots)
        self._hub.run(lambda inbox: self.connection.set_roots(paths))
        return self.roots()

    def add_root(self, path: str | os.PathLike[str]) -> list[str]:
        """Offer one more folder as a root (see ``set_roots``)."""
        current = self.roots()
        (added,) = root_paths([path])
        return self.set_roots([*current, added] if added not in current else current)

    def remove_root(self, path: str | os.PathLike[str]) -> list[str]:
        """Stop offering a folder as a root (see ``set_roots``)."""
        current = self.roots()
        given = os.fspath(path)
        gone = given if given in current or "://" in given else os.path.abspath(os.path.expanduser(given))
        if gone not in current:
            offered = ", ".join(current) or "none"
            raise UsageProblem(f"{given!r} is not a root of {self.name!r} (its roots: {offered})")
        return self.set_roots([r for r in current if r != gone])

    def set_log_level(self, level: str) -> None:
        """Ask for server log messages at ``level`` and above (``debug`` … ``emergency``)."""
        if level not in LOG_LEVELS:
            raise UsageProblem(f"{level!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        self._hub.run(lambda inbox: self.connection.set_log_level(level))

    def log(self) -> LogView:
        """The server's stderr, its log messages and this client's notes about it, oldest first."""
        conn = self.connection
        return LogView(conn.log.entries(), server=self.name, dropped=conn.log.dropped)

    def close(self) -> None:
        """Disconnect (stopping a stdio server). Safe to call twice."""
        conn = self.connection
        if conn.state is State.CLOSED:
            return
        self._hub.run(lambda inbox: self._close(conn))

    async def aclose(self) -> None:
        conn = self.connection
        await self._hub.arun(lambda inbox: self._close(conn))

    async def _close(self, conn: Connection) -> None:
        registry = self._hub.registry
        if self.name in registry.names() and registry.get(self.name) is conn:
            await registry.disconnect(self.name)  # also forgets the name
        else:
            await conn.close()
        self._hub.events.emit("disconnected", server=self.name, reason="closed")

    def reconnect(self) -> Server:
        """Start over with the same server: a new process or session, the same name."""
        registry, options = self._hub.registry, self._hub._options()
        self._conn = self._hub.run(lambda inbox: signing_in(inbox, registry.reconnect(self.name, **options)))
        return self

    async def areconnect(self) -> Server:
        registry, options = self._hub.registry, self._hub._options()
        self._conn = await self._hub.arun(lambda inbox: signing_in(inbox, registry.reconnect(self.name, **options)))
        return self

    def logout(self) -> bool:
        """Forget this server's OAuth tokens (on disk and in memory): the next request signs in
        again. The connection stays open. True if there were tokens to forget."""
        from .auth import OAuthAuth

        auth = self.connection.spec.auth
        if not isinstance(auth, OAuthAuth):
            raise UsageProblem(f"{self.name!r} does not sign in with OAuth; there is nothing to log out of")
        return auth.logout()

    # -- data work: mapping a tool over rows, reading many resources ---------------------------------

    def _map_learn(self, tool: str, options: dict[str, Any]) -> Callable[[Inbox], Coroutine[Any, Any, Any]]:
        """Check the options; return the coroutine that looks the tool up (with its schemas)."""
        mapping.check_options(options["concurrency"], options["rate"], options["retries"], options["workers"])
        if not isinstance(tool, str) or not tool:
            raise UsageProblem(f"tool must be a name (a non-empty string), not {tool!r}")

        async def learn(inbox: Inbox) -> Any:
            return await self.connection.tool(tool, self._hub.timeout)

        return learn

    def _map_prepare(self, tool: str, found: Any, data: Any, args: Any, options: dict[str, Any]) -> tuple[Any, Any]:
        """(the result's index, the rows' arguments); settles ``options["concurrency"]`` and its note."""
        what = f"{self.name}.{tool}"
        ann = found.annotations
        if options["retries"] and not options["retry_unsafe"]:
            if not (ann is not None and (ann.idempotent_hint or ann.read_only_hint)):
                raise UsageProblem(
                    f"retries re-send rows after transport failures, but {what} is not marked idempotent or "
                    "read-only, so a row could run twice; pass retry_unsafe=True (--retry-unsafe) to retry anyway"
                )
        index, rows = mapping.plan_arguments(data, args, found.input_schema, what)
        read_only = bool(ann is not None and ann.read_only_hint)
        options["concurrency"], options["note"] = mapping.choose_concurrency(
            options["concurrency"], options["workers"], len(rows), read_only, what
        )
        return index, rows

    def _map_run(
        self, tool: str, rows: list[dict[str, Any]], options: dict[str, Any], holder: list[mapping.MapRun]
    ) -> Callable[[Inbox], Coroutine[Any, Any, None]]:
        show = self._hub.progress if options["progress"] is None else bool(options["progress"])

        def make(inbox: Inbox) -> Coroutine[Any, Any, None]:
            run = mapping.MapRun(self._hub, self, tool, rows, inbox)
            holder.append(run)
            if options["note"]:
                _say(inbox, self.connection, options["note"])  # once, as the rows start
            return run.run(
                concurrency=options["concurrency"],
                rate=options["rate"],
                retries=options["retries"],
                workers=options["workers"],
                timeout=options["timeout"],
                validate=options["validate"],
                progress=show,
            )

        return make

    def map(
        self,
        tool: str,
        data: Any,
        args: Mapping[str, Any] | Sequence[str] | None = None,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        retries: int = 0,
        retry_unsafe: bool = False,
        workers: int = 1,
        timeout: float | None = None,
        validate: bool = True,
        progress: bool | None = None,
        keep: bool = False,
    ) -> pd.DataFrame:
        """Call ``tool`` once per row of ``data`` (a DataFrame or a list of dicts); a DataFrame back.

        ``args`` maps arguments to ``"@column"`` (that row's value) or a constant (``"@@x"`` for
        the text ``"@x"``), and every argument it does not set comes from the column of the same
        name, if any; a list of names takes each from the column of the same name (and nothing
        else); None takes every column named like an argument. Missing values are left out (the
        tool's default applies); a required argument that nothing gives is refused before any call.

        At most ``concurrency`` calls run at once, at most ``rate`` a second. Left out,
        ``concurrency`` is 16 for a tool marked read-only (``readOnlyHint``) and 1 for any other,
        saying so once: servers that rewrite a file per write lose overlapping writes while
        answering success. Give it to overlap the calls of a tool you know is safe.

        The result is aligned with ``data``'s index: the result's fields as columns (typed by the
        tool's output schema; a plain result is the ``result`` column), then ``status`` (``ok``,
        ``tool error``, ``failed``, ``cancelled``), ``error`` and ``duration_ms``; ``keep=True``
        puts the input's columns first (one named like a result column becomes ``input.NAME``). ``retries``
        re-sends a row after a transport failure or timeout (a dead server is reconnected first),
        never after a tool error; like ``call``, only for tools marked idempotent or read-only
        unless ``retry_unsafe``. ``workers=N`` spreads the rows over N connections to the same
        server (``NAME~1`` … are opened and closed again), for servers that work one request at a
        time. An interrupt keeps the finished rows (the rest are ``cancelled``) and puts a
        one-line note in ``frame.attrs["note"]``.
        """
        options = dict(
            concurrency=concurrency, rate=rate, retries=retries, retry_unsafe=retry_unsafe, workers=workers,
            timeout=timeout, validate=validate, progress=progress,
        )  # fmt: skip
        found = self._hub.run(self._map_learn(tool, options))
        index, rows = self._map_prepare(tool, found, data, args, options)
        holder: list[mapping.MapRun] = []
        try:
            self._hub.run(self._map_run(tool, rows, options, holder))
        except KeyboardInterrupt:
            if not holder:
                raise
            holder[0].bar.close()  # the bar lives in this thread; its own close may not have come yet
        frame = holder[0].to_frame(index, found.output_schema)
        return mapping.with_input(frame, data) if keep else frame

    async def amap(
        self,
        tool: str,
        data: Any,
        args: Mapping[str, Any] | Sequence[str] | None = None,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        retries: int = 0,
        retry_unsafe: bool = False,
        workers: int = 1,
        timeout: float | None = None,
        validate: bool = True,
        progress: bool | None = None,
        keep: bool = False,
    ) -> pd.DataFrame:
        """``map``, awaitable (cancelling the awaiting task cancels the calls still running)."""
        options = dict(
            concurrency=concurrency, rate=rate, retries=retries, retry_unsafe=retry_unsafe, workers=workers,
            timeout=timeout, validate=validate, progress=progress,
        )  # fmt: skip
        found = await self._hub.arun(self._map_learn(tool, options))
        index, rows = self._map_prepare(tool, found, data, args, options)
        holder: list[mapping.MapRun] = []
        await self._hub.arun(self._map_run(tool, rows, options, holder))
        frame = holder[0].to_frame(index, found.output_schema)
        return mapping.with_input(frame, data) if keep else frame

    def _read_many(
        self, uris: Sequence[str], timeout: float | None, concurrency: int
    ) -> Callable[[Inbox], Coroutine[Any, Any, ReadResults]]:
        if isinstance(uris, str):
            raise UsageProblem(f"read_many takes a list of URIs, not one string; for one, use read({uris!r})")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise UsageProblem(f"concurrency is how many reads may run at once (1 or more), not {concurrency!r}")
        reads = [self._read(uri, timeout) for uri in uris]  # checks every URI before anything is sent

        async def go(inbox: Inbox) -> ReadResults:
            gate = asyncio.Semaphore(concurrency)

            async def one(read: Callable[[Inbox], Coroutine[Any, Any, ResourceResult]]) -> ResourceResult:
                async with gate:
                    return await read(inbox)

            outcomes = await asyncio.gather(*(one(r) for r in reads), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            return ReadResults(o for o in outcomes if isinstance(o, ResourceResult))

        return go

    def read_many(self, uris: Sequence[str], *, timeout: float | None = None, concurrency: int = 16) -> ReadResults:
        """Read several resources at once; a list of ``ResourceResult`` in the order given
        (``.to_dataframes()`` → ``{uri: DataFrame}``). The first failure raises."""
        __tracebackhide__ = True
        return self._run(self._read_many(uris, timeout, concurrency), f"reading {len(uris)} resources from {self.name}")

    async def aread_many(
        self, uris: Sequence[str], *, timeout: float | None = None, concurrency: int = 16
    ) -> ReadResults:
        return await self._hub.arun(self._read_many(uris, timeout, concurrency))


_warmed = threading.Event()


def _warm_up() -> None:
    """Import what the first call needs while the first server starts.

    ``jsonschema`` (argument checking here, output checking in the SDK) can take well over a
    second to import where ``rfc3987-syntax`` is installed, as Jupyter installs it; done in a
    background thread during the connect, the user's first call does not pay for it.
    """
    if _warmed.is_set():
        return
    _warmed.set()

    def work() -> None:
        try:
            import jsonschema  # noqa: F401
        except Exception:  # pragma: no cover - it is a dependency; a failure shows up at first use
            pass

    threading.Thread(target=work, name="mcp-notebook-warm-up", daemon=True).start()


async def _safe_to_resend(conn: Connection, tool: str) -> bool:
    """A tool may be sent again only if running it twice is harmless (its annotations say so)."""
    try:
        ann = (await conn.tool(tool)).annotations
    except McpNotebookError:
        return False
    return bool(ann is not None and (ann.idempotent_hint or ann.read_only_hint))


def _param_names(schema: Mapping[str, Any] | None) -> list[str]:
    """A tool's argument names, the required ones first."""
    props = list((schema or {}).get("properties") or {})
    required = set((schema or {}).get("required") or [])
    return sorted(props, key=lambda name: name not in required)


def not_by_name(what: str, method: str, name: str, value: Any, params: Sequence[str]) -> str:
    """Why a positional value in the arguments' place is refused, and the two ways that work."""
    import reprlib

    key = params[0] if params else "name"
    short = reprlib.Repr()
    short.maxstring = short.maxother = 60
    shown = short.repr(value)
    return (
        f"{what}: pass the arguments by name — {method}({name!r}, {key}=...) — or as one mapping — "
        f"{method}({name!r}, {{{key!r}: ...}}) — not as a positional {type(value).__name__} ({shown})"
    )


def _tell(inbox: Inbox, conn: Connection, text: str) -> None:
    """A note for the user: in the connection's log, and on stderr in the waiting cell."""
    _say(inbox, conn, text, "warning")


def _say(inbox: Inbox, conn: Connection, text: str, level: str = "info") -> None:
    import sys

    conn.log.add("client", text, level)
    inbox.post(lambda: print(text, file=sys.stderr))


def _also_emit(
    events: Events, server: str, tool: str, report: Callable[[float, float | None, str | None], None] | None
) -> Callable[[float, float | None, str | None], None]:
    def both(progress: float, total: float | None, message: str | None) -> None:
        if report is not None:
            report(progress, total, message)
        events.emit("progress", server=server, tool=tool, progress=progress, total=total, message=message)

    return both


def root_paths(roots: Sequence[str | os.PathLike[str]] | None) -> list[str]:
    """The roots as offered: absolute paths (fixed now, not when the notebook changes folder), or URIs.

    A path that does not exist here is refused: a typo would otherwise offer nothing, silently.
    """
    if roots is None:
        return []
    if isinstance(roots, (str, os.PathLike)):
        raise UsageProblem(f"roots is a list of folders, not one: roots=[{os.fspath(roots)!r}]")
    found: list[str] = []
    for root in roots:
        text = os.fspath(root)
        if "://" not in text:
            path = os.path.abspath(os.path.expanduser(text))
            if not os.path.exists(path):
                raise UsageProblem(
                    f"root {text!r}: no folder {path} here (for a folder on the server's machine, give a file:// URI)"
                )
            text = path
        if text not in found:
            found.append(text)
    return found


def _server_row(conn: Connection) -> dict[str, Any]:
    info = conn.server_info
    return {
        "name": conn.name,
        "state": conn.state.value,
        "transport": conn.spec.transport,
        "protocol": conn.protocol_version or "",
        "server": info.name if info else "",
        "version": info.version if info else "",
        "target": conn.spec.describe(),
        "roots": ", ".join(conn.roots),
        "pid": conn.pid,
        "death": conn.death or "",
    }


def _to_text(value: Any) -> str:
    import json

    return json.dumps(jsonable(value), ensure_ascii=False)


def jsonable(value: Any) -> Any:
    """``value`` with everything JSON cannot carry turned into what it can.

    numpy and pandas scalars become Python numbers, NaN becomes null, dates become ISO text,
    DataFrames become lists of records and Series lists, so values taken from a notebook's
    variables can be sent as tool arguments.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))
    if isinstance(value, PurePath):
        return str(value)
    module = type(value).__module__
    if module.startswith("pandas"):
        if hasattr(value, "to_dict") and hasattr(value, "columns"):
            return jsonable(value.to_dict(orient="records"))
        if hasattr(value, "tolist"):
            return jsonable(value.tolist())
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if str(value) in ("NaT", "<NA>", "nan"):
            return None
    if hasattr(value, "item") and module.startswith("numpy"):
        return jsonable(value.item())
    if hasattr(value, "tolist") and module.startswith("numpy"):
        return jsonable(value.tolist())
    raise UsageProblem(f"cannot send a {type(value).__name__} as JSON; convert it to a str, number, list or dict")


# -- the shared hub and the module-level API ----------------------------------------------------------

_default_hub: Hub | None = None
_default_lock = threading.Lock()


def default_hub() -> Hub:
    """The hub the module-level functions and the magics share (created on first use)."""
    global _default_hub
    with _default_lock:
        if _default_hub is None:
            _default_hub = Hub()
        return _default_hub


def connect(name: str = config.DEMO_NAME, target: Any = None, **kwargs: Any) -> Server:
    """Connect to an MCP server and return it.

    ``connect("demo")`` starts the embedded demo server. Otherwise say what to start or reach:
    ``command=["mcp-server-time"]`` (with ``env=``, ``cwd=``), ``url="http://…/mcp"`` (with
    ``headers=``, and ``sse=True`` for the legacy HTTP+SSE transport), or ``server=`` an
    in-process ``MCPServer``; ``target`` may stand for any of the three. ``auth="oauth"`` signs in
    to an HTTP server with OAuth 2.1 (``auth=OAuth(scopes=[...], client_id=..., ...)`` for more
    say, or any ``httpx2.Auth``; see ``mcp_notebook.auth``). ``timeout`` bounds the
    connect; ``protocol="legacy"`` skips the 2026-07-28 probe and uses the ``initialize``
    handshake. ``on_elicit=`` (``"accept-defaults"``, ``"decline"``, ``"cancel"`` or a function)
    and ``on_sample=`` (``"decline"`` or a function) answer the server's questions without asking
    (see ``mcp_notebook.asking``); ``roots=`` lists the folders offered to it as roots (default:
    none, and then the roots capability is not declared, so a server such as server-filesystem keeps
    to the folders it was started with). Connecting again with the same name and target returns the
    live connection, with the answer policies and roots given this time.
    """
    return default_hub().connect(name, target, **kwargs)


async def aconnect(name: str = config.DEMO_NAME, target: Any = None, **kwargs: Any) -> Server:
    """``connect``, awaitable."""
    return await default_hub().aconnect(name, target, **kwargs)


def get(name: str) -> Server:
    """The connected server called ``name``."""
    return default_hub().get(name)


def servers() -> ServerList:
    """A table of the connections: name, state, transport, protocol, server and version."""
    return default_hub().servers()


def on(event: str, fn: Callable[..., Any]) -> Callable[[], None]:
    """Call ``fn(**details)`` on each ``event`` of the shared hub; returns an undo.

    Events: connected, disconnected, tool_called, resource_read, prompt_got, error, progress, log,
    list_changed.
    """
    return default_hub().on(event, fn)


def connect_config(path: str | os.PathLike[str], names: Sequence[str] | None = None, **kwargs: Any) -> list[Server]:
    """Connect the servers a Claude Desktop / Claude Code / VS Code / Cursor config file declares."""
    return default_hub().connect_config(path, names, **kwargs)


def disconnect(name: str) -> None:
    """Close the connection called ``name`` (stopping a stdio server)."""
    default_hub().disconnect(name)


def logout(url: str) -> bool:
    """Forget the OAuth tokens kept for the server at ``url`` (see ``Hub.logout``)."""
    return default_hub().logout(url)


def disconnect_all() -> int:
    """Close every connection; returns how many there were."""
    return default_hub().disconnect_all()


def history(*, clear: bool = False) -> pd.DataFrame:
    """The shared hub's calls so far as a DataFrame (see ``Hub.history``)."""
    return default_hub().history(clear=clear)


def record(path: str | os.PathLike[str]) -> Recording:
    """Record the shared hub's calls to ``path`` (see ``Hub.record``); ``with mn.record(path): ...``."""
    return default_hub().record(path)


def find(words: str | Sequence[str]) -> ToolList:
    """Tools of every connection matching ``words`` (see ``Hub.find``)."""
    return default_hub().find(words)


def _output_schema(conn: Connection, tool: str) -> dict[str, Any] | None:
    """The tool's output schema from the connection's cached listing (filled before every call)."""
    found = conn.cached_tool(tool)
    schema = getattr(found, "output_schema", None)
    return schema or None  # the listing's own dict: read, never changed


def _replay_server(hub: Hub, name: str, path: str | os.PathLike[str], replay_from: str | None) -> Any:
    """The replay server for ``path``: the live one under ``name`` when it replays the same file
    (and the same recorded server, if ``replay_from`` names one), so connecting again is a no-op
    as for any target; else a new one."""
    from pathlib import Path

    from .replay import replay_server

    try:
        existing = hub.registry.get(name).spec.server
    except NotConnected:
        existing = None
    same_file = getattr(existing, "recording", None) == Path(path).resolve()
    if same_file and replay_from in (None, existing.recorded.name):
        return existing
    return replay_server(path, name, replay_from)
