"""Named connections: open, look up, address ``server.tool``, close all.

The async methods run on the runtime loop; the lookups are safe from any thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable

from mcp_types import LoggingLevel

from .config import ServerSpec
from .connection import CLOSE_GRACE, Connection, ConnectOptions, State
from .errors import NotConnected, UsageProblem, did_you_mean
from .events import Events

__all__ = ["Registry"]


class Registry:
    """The connections of one kernel (or of one test), by name."""

    def __init__(self, events: Events | None = None) -> None:
        self.events = events if events is not None else Events()
        """Where every connection reports (``connected`` is the caller's to emit, ``disconnected`` on death)."""
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Registry {', '.join(self.names()) or '(empty)'}>"

    def names(self) -> list[str]:
        with self._lock:
            return list(self._connections)

    def all(self) -> list[Connection]:
        with self._lock:
            return list(self._connections.values())

    def get(self, name: str) -> Connection:
        with self._lock:
            conn = self._connections.get(name)
            names = list(self._connections)
        if conn is None:
            if not names:
                raise NotConnected(f"no server named {name!r}: nothing is connected yet; try `%mcp connect demo`")
            raise NotConnected(f"no server named {name!r}{did_you_mean(name, names)} (connected: {', '.join(names)})")
        return conn

    async def connect(
        self, spec: ServerSpec, options: ConnectOptions, *, on_change: Callable[[str], None] | None = None
    ) -> Connection:
        """Open ``spec`` under its name, or return the live connection already open to it.

        Connecting again to the same target applies the answer policy and roots given now to the
        live connection (``Connection.reconfigure``) and tells ``on_change`` what changed, in one
        line: re-running a connect cell with new options must not keep the old ones silently.
        """
        with self._lock:
            existing = self._connections.get(spec.name)
            live = existing is not None and existing.state in (State.READY, State.CONNECTING)
            if existing is not None and live and not existing.spec.same_target(spec):
                raise UsageProblem(
                    f"the name {spec.name!r} is in use ({existing.spec.describe()}); "
                    f"`%mcp disconnect {spec.name}` first, or pick another name"
                )
            if not live:
                conn = Connection(spec, options, self.events)
                self._connections[spec.name] = conn  # reserve the name while connecting
        if existing is not None and live:
            changes = await existing.reconfigure(options)
            if changes and on_change is not None:
                on_change(f"{spec.name} was already connected; now {', '.join(changes)}")
            return existing
        if existing is not None:
            await existing.close()
        try:
            await conn.open()
        except BaseException:
            with self._lock:
                if self._connections.get(spec.name) is conn:
                    del self._connections[spec.name]
            raise
        return conn

    async def reconnect(self, name: str, log_level: LoggingLevel | None) -> Connection:
        """Close ``name`` and open its server again: the same target, asked the same way (the
        answer policy and roots as they are now), at the log level asked for now."""
        old = self.get(name)
        await old.close()
        options = dataclasses.replace(old.options, policy=old.policy, roots=tuple(old.roots), log_level=log_level)
        conn = Connection(old.spec, options, self.events)
        with self._lock:
            self._connections[name] = conn
        try:
            await conn.open()
        except BaseException:
            with self._lock:
                if self._connections.get(name) is conn:
                    self._connections[name] = old  # keep the dead one visible, with its log
            raise
        for uri, callbacks in old.watchers.items():  # subscriptions follow the server back
            for callback in callbacks:
                try:
                    await conn.subscriptions.subscribe(uri, callback)
                except Exception as e:
                    conn.log.add("client", f"could not subscribe to {uri} again: {e}", "warning")
        return conn

    async def disconnect(self, name: str) -> Connection:
        conn = self.get(name)
        with self._lock:
            if self._connections.get(name) is conn:
                del self._connections[name]
        await conn.close()
        return conn

    async def disconnect_all(self, grace: float = CLOSE_GRACE) -> list[Connection]:
        """Close every connection at once, bounded by ``grace`` seconds in total."""
        with self._lock:
            conns = list(self._connections.values())
            self._connections.clear()
        if conns:
            await asyncio.gather(*(c.close(grace) for c in conns), return_exceptions=True)
        return conns

    def kill_all(self) -> None:
        """Last resort at exit: SIGKILL every server process group still alive."""
        for conn in self.all():
            conn.kill()

    def resolve_known(self, target: str) -> tuple[Connection, str] | None:
        """``"server.tool"`` for a connected server, without a request; None when it takes a search."""
        server, dot, tool = target.partition(".")
        with self._lock:
            conn = self._connections.get(server)
        return (conn, tool) if dot and tool and conn is not None else None

    async def resolve_tool(self, target: str) -> tuple[Connection, str]:
        """``"server.tool"`` → (connection, tool); a bare tool name works when one server has it."""
        server, dot, tool = target.partition(".")
        with self._lock:
            known = server in self._connections
        if dot and known and tool:
            return self.get(server), tool
        if dot and not tool:
            raise UsageProblem(f"{target!r} names no tool: write SERVER.TOOL, e.g. demo.query")
        # Not "known.tool": maybe the whole text is a tool name (names may contain dots).
        holders = []
        for conn in self.all():
            if conn.state is State.READY and target in await conn.catalog.tools():
                holders.append(conn)
        if len(holders) == 1:
            return holders[0], target
        if len(holders) > 1:
            which = ", ".join(f"{c.name}.{target}" for c in holders)
            raise UsageProblem(f"several servers have a tool {target!r}; say which: {which}")
        if dot:
            self.get(server)  # raises "no server named ..." with the list of names
        names = self.names()
        if not names:
            raise NotConnected(f"no server has a tool {target!r}: nothing is connected yet; try `%mcp connect demo`")
        raise UsageProblem(
            f"no connected server has a tool {target!r}; write SERVER.TOOL (connected: {', '.join(names)}), "
            "`%mcp tools` lists them"
        )
