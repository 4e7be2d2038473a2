"""``Server``: what ``connect`` returns — one MCP server, by name.

Every method blocks (interrupt-safe) and has an awaitable twin (``a``-prefixed). The handle
follows its name: after ``%mcp reconnect demo``, an old ``demo`` handle uses the new connection.
Listing, calling, reading and prompting are in ``_server_ops``, tasks and Apps in
``_server_extensions``, ``map`` in ``_server_maps``; this file adds ``read_many``, ``watch``, what the user changes while connected (roots, log level), and the
connection's life (``close``, ``reconnect``, ``logout``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any, cast

from mcp_types import LoggingLevel

from . import _calling
from ._log import LOG_LEVELS
from ._server_maps import MapOperations
from .config import root_paths
from .connection import Connection, State
from .errors import UsageProblem
from .listings import LogView
from .reads import ReadResults
from .results import ResourceResult
from .watch import Watch

__all__ = ["Server"]


class Server(MapOperations):
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

    # -- data work: many reads at once ---------------------------------------------------------------

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
