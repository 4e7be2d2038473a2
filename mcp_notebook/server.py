"""``Server``: what ``connect`` returns — one MCP server, by name.

Every method blocks (interrupt-safe) and has an awaitable twin (``a``-prefixed). The handle
follows its name: after ``%mcp reconnect demo``, an old ``demo`` handle uses the new connection.
Listing, calling, reading and prompting are in ``_server_ops``, tasks and Apps in
``_server_extensions``; this file adds data work (``map``,
``read_many``, ``watch``), what the user changes while connected (roots, log level), and the
connection's life (``close``, ``reconnect``, ``logout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from mcp_types import LoggingLevel

from . import _calling, mapping
from ._log import LOG_LEVELS
from ._server_extensions import ServerExtensions
from .config import root_paths
from .connection import Connection, State
from .errors import McpNotebookError, UsageProblem
from .listings import LogView
from .reads import ReadResults
from .results import ResourceResult
from .watch import Watch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Server"]


class Server(ServerExtensions):
    """A connected MCP server. Every method blocks (interrupt-safe); ``a``-prefixed twins await.

    The handle follows its name: after ``%mcp reconnect demo``, an old ``demo`` handle uses the
    new connection.
    """

    def __enter__(self) -> Server:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    # -- resources that change ---------------------------------------------------------------------

    def watch(self, uri: str) -> Watch:
        """Subscribe to ``uri``: the returned ``Watch`` shows the resource and re-reads it whenever
        the server says it changed (displayed, it updates in place)."""
        watch = Watch(self, uri)
        conn = self.connection
        self._block(conn.subscriptions.subscribe(uri, watch._on_server_change), f"subscribing to {uri}")
        watch.active = True
        try:
            watch.latest = self.read(uri)
        except BaseException:
            watch.stop()
            raise
        return watch

    def unwatch(self, uri: str, callback: Callable[[], None] | None = None) -> None:
        """End the subscription of ``callback`` to ``uri`` (every subscription to it, by default)."""
        conn = self.connection
        self._block(conn.subscriptions.unsubscribe(uri, callback), f"unsubscribing from {uri}")

    # -- what the user changes while connected --------------------------------------------------------

    def roots(self) -> list[str]:
        """The folders offered to the server as roots: none unless given (``connect(roots=...)``)."""
        return list(self.connection.roots)

    def set_roots(self, roots: Sequence[str | os.PathLike[str]]) -> list[str]:
        """Offer these folders instead (a 2025-era server is told the list changed).

        Only a connection made with roots can change them: whether a session offers roots is
        fixed when it starts, so gaining the first root or losing the last needs a new connection.
        """
        paths = root_paths(roots)
        self._block(self.connection.set_roots(paths), f"offering roots to {self.name}")
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
        chosen = cast(LoggingLevel, level)
        self._block(self.connection.set_log_level(chosen), f"setting the log level of {self.name}")

    def log(self) -> LogView:
        """The server's stderr, its log messages and this client's notes about it, oldest first."""
        conn = self.connection
        return LogView(conn.log.entries(), server=self.name, dropped=conn.log.dropped)

    def clear_log(self) -> None:
        """Empty the server's log (``%mcp log SERVER --clear``)."""
        self.connection.log.clear()

    # -- the connection's life ---------------------------------------------------------------------------

    def close(self) -> None:
        """Disconnect (stopping a stdio server). Safe to call twice."""
        conn = self.connection
        if conn.state is State.CLOSED:
            return
        self._block(self._close(conn), f"closing {self.name}")

    async def aclose(self) -> None:
        await self._hop(self._close(self.connection))

    async def _close(self, conn: Connection) -> None:
        registry = self._engine.registry
        if self.name in registry.names() and registry.get(self.name) is conn:
            await registry.disconnect(self.name)  # also forgets the name
        else:
            await conn.close()
        self._engine.events.emit("disconnected", server=self.name, reason="closed")

    def reconnect(self) -> Server:
        """Start over with the same server: a new process or session, the same name."""
        self._conn = self._block(_calling.reconnect(self._engine, self.name), f"reconnecting {self.name}")
        return self

    async def areconnect(self) -> Server:
        self._conn = await self._hop(_calling.reconnect(self._engine, self.name))
        return self

    def logout(self) -> bool:
        """Forget this server's OAuth tokens (on disk and in memory): the next request signs in
        again. The connection stays open. True if there were tokens to forget."""
        from .auth import OAuthAuth

        auth = self.connection.spec.auth
        if not isinstance(auth, OAuthAuth):
            raise UsageProblem(f"{self.name!r} does not sign in with OAuth; there is nothing to log out of")
        return auth.logout()

    # -- data work: a tool over rows, many reads at once ------------------------------------------------

    def _map_options(self, tool: str, options: dict[str, Any]) -> bool:
        """Check a map's options in the caller's thread; whether to show its progress bar."""
        mapping.check_options(options["concurrency"], options["rate"], options["retries"], options["workers"])
        if not isinstance(tool, str) or not tool:
            raise UsageProblem(f"tool must be a name (a non-empty string), not {tool!r}")
        return self._engine.settings.progress if options["progress"] is None else bool(options["progress"])

    async def _map_run(self, run: mapping.MapRun, concurrency: int, note: str | None, options: dict[str, Any]) -> None:
        if note:
            _calling.say(self.connection, note)  # once, as the rows start
        await run.run(concurrency=concurrency, rate=options["rate"], retries=options["retries"],
                      workers=options["workers"], timeout=options["timeout"], validate=options["validate"],
                      progress=options["show"])  # fmt: skip

    def _map_plan(
        self, tool: str, found: Any, data: Any, args: Any, options: dict[str, Any]
    ) -> tuple[Any, list[dict[str, Any]], int, str | None]:
        """(the result's index, the rows' arguments, the concurrency, the one line that explains it)."""
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
        concurrency, note = mapping.choose_concurrency(
            options["concurrency"], options["workers"], len(rows), read_only, what
        )
        return index, rows, concurrency, note

    async def _workers(self, count: int) -> tuple[list[Server], Callable[[], Coroutine[Any, Any, None]]]:
        """``count`` more connections to this server (``NAME~1`` …), for servers that work one
        request at a time; and what closes them again."""
        registry = self._engine.registry
        base = self.connection
        options = dataclasses.replace(
            base.options, policy=base.policy, roots=tuple(base.roots), log_level=self._engine.settings.log_level
        )
        names = [f"{self.name}{mapping.WORKER_SEPARATOR}{i}" for i in range(1, count + 1)]

        async def close() -> None:
            async def one(name: str) -> None:
                with contextlib.suppress(McpNotebookError):
                    await registry.disconnect(name)

            live = [n for n in names if n in registry.names()]
            await asyncio.shield(asyncio.gather(*(one(n) for n in live), return_exceptions=True))

        specs = [dataclasses.replace(base.spec, name=name) for name in names]
        try:
            opened = await asyncio.gather(*(registry.connect(s, options) for s in specs), return_exceptions=True)
        except BaseException:  # interrupted while starting them: none may outlive the map
            await close()
            raise
        failures = [o for o in opened if isinstance(o, BaseException)]
        if failures:
            await close()
            raise failures[0]
        return [Server(self._engine, c) for c in opened if isinstance(c, Connection)], close

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
            timeout=timeout, validate=validate, progress=progress, keep=keep,
        )  # fmt: skip
        options["show"] = self._map_options(tool, options)
        what = f"{self.name}.{tool}"
        found = self._block(self.connection.catalog.tool(tool, timeout=self._timeout(None)), what)
        index, rows, concurrency, note = self._map_plan(tool, found, data, args, options)
        run = mapping.MapRun(self, tool, rows, self._workers)
        try:
            self._block(self._map_run(run, concurrency, note, options), f"{what} over {len(rows)} rows")
        except KeyboardInterrupt:
            if not run.started:
                raise
            run.close_bar()  # the bar lives in this thread; its own close may not have come yet
        frame = run.to_frame(index, found.output_schema)
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
            timeout=timeout, validate=validate, progress=progress, keep=keep,
        )  # fmt: skip
        options["show"] = self._map_options(tool, options)
        found = await self._hop(self.connection.catalog.tool(tool, timeout=self._timeout(None)))
        index, rows, concurrency, note = self._map_plan(tool, found, data, args, options)
        run = mapping.MapRun(self, tool, rows, self._workers)
        await self._hop(self._map_run(run, concurrency, note, options))
        frame = run.to_frame(index, found.output_schema)
        return mapping.with_input(frame, data) if keep else frame

    def _read_many(
        self, uris: Sequence[str], timeout: float | None, concurrency: int
    ) -> Coroutine[Any, Any, ReadResults]:
        if isinstance(uris, str):
            raise UsageProblem(f"read_many takes a list of URIs, not one string; for one, use read({uris!r})")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise UsageProblem(f"concurrency is how many reads may run at once (1 or more), not {concurrency!r}")
        reads = [self._read(uri, timeout) for uri in uris]  # checks every URI before anything is sent

        async def go() -> ReadResults:
            gate = asyncio.Semaphore(concurrency)

            async def one(read: Coroutine[Any, Any, ResourceResult]) -> ResourceResult:
                async with gate:
                    return await read

            outcomes = await asyncio.gather(*(one(r) for r in reads), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            return ReadResults(o for o in outcomes if isinstance(o, ResourceResult))

        return go()

    def read_many(self, uris: Sequence[str], *, timeout: float | None = None, concurrency: int = 16) -> ReadResults:
        """Read several resources at once; a list of ``ResourceResult`` in the order given
        (``.to_dataframes()`` → ``{uri: DataFrame}``). The first failure raises."""
        __tracebackhide__ = True
        work = self._read_many(uris, timeout, concurrency)
        return self._block(work, f"reading {len(uris)} resources from {self.name}")

    async def aread_many(
        self, uris: Sequence[str], *, timeout: float | None = None, concurrency: int = 16
    ) -> ReadResults:
        return await self._hop(self._read_many(uris, timeout, concurrency))
