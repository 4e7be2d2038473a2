"""What every part of a ``Server`` stands on: its name, the live connection under that name, what
the server said about itself, and the two ways to run an operation (``_block``, ``_hop``).

``Server`` is one class written in three files (this one, ``_server_data``, ``server``) so that
each stays readable; users only ever meet ``Server``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._engine import Engine
from .connection import Connection, State
from .errors import Interrupted, NotConnected
from .render import MUTED, esc
from .results import mimebundle

__all__ = ["ServerBase", "server_row"]

T = TypeVar("T")


class ServerBase:
    """A connected MCP server, by name (see ``Server``)."""

    def __init__(self, engine: Engine, conn: Connection) -> None:
        self._engine = engine
        self._conn = conn
        self.name = conn.name

    @property
    def connection(self) -> Connection:
        """The live connection under this name (after a reconnect, the new one)."""
        try:
            current = self._engine.registry.get(self.name)
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

    @property
    def pid(self) -> int | None:
        """The process id of a stdio server this connection started (None for the others)."""
        return self.connection.pid

    def __repr__(self) -> str:
        conn = self.connection
        return f"<Server {self.name} {conn.state.value}: {conn.spec.describe()}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        row = server_row(self.connection)
        facts = " · ".join(str(row[k]) for k in ("state", "transport", "protocol", "server", "version") if row[k])
        if row["roots"]:
            facts += f" · roots: {row['roots']}"
        html = f'<div><b>{esc(self.name)}</b> <span style="{MUTED}">{esc(facts)}</span>'
        if self.instructions:
            html += f'<details><summary style="{MUTED}">instructions</summary>'
            html += f'<pre style="white-space:pre-wrap">{esc(self.instructions[:5000])}</pre></details>'
        html += "</div>"
        return mimebundle({"text/plain": f"{self.name}: {facts}", "text/html": html}, include, exclude)

    # -- running an operation ------------------------------------------------------------------------

    def _block(self, coro: Coroutine[Any, Any, T], what: str) -> T:
        """Run one operation for a blocking caller; an interrupt says what was cancelled and how
        the session is afterwards."""
        __tracebackhide__ = True  # IPython leaves this frame out of the tracebacks it shows
        book = self._engine.task_book
        book.forget_detached()
        try:
            return self._engine.block(coro, what)
        except Interrupted as e:
            detached = book.take_detached()  # the interrupt left a task running: say so instead
            if detached is not None:
                raise detached from None
            conn = self.connection
            e.after = (
                "the session is ready"
                if conn.state is State.READY
                else f"{self.name} is {conn.state.value}" + (f": it {conn.death}" if conn.death else "")
            )
            raise

    async def _hop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one operation for an awaiting caller, on any event loop."""
        return await self._engine.hop(coro)

    def background(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run an awaitable of this server (``server.atools()``, ``server.aread(uri)``, …) without
        waiting; a future of its result. For callbacks that must never block the kernel (widgets)."""
        return self._engine.background(work)

    def _timeout(self, timeout: float | None) -> float | None:
        return self._engine.request_timeout(timeout)


def server_row(conn: Connection) -> dict[str, Any]:
    """One connection as a row of ``%mcp servers``."""
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
