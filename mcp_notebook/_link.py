"""What a connection's parts (its catalog of listings, its subscriptions) need of the connection:
its name and log, what the server declared, and the one way to send a request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import mcp_types as types
from mcp import Client

from ._log import ConnectionLog

__all__ = ["Link"]

T = TypeVar("T")


class Link(Protocol):
    name: str
    log: ConnectionLog

    @property
    def ready(self) -> bool:
        """The session is up (requests can be sent)."""

    @property
    def modern(self) -> bool:
        """The session speaks 2026-07-28 (stateless; nothing arrives unasked)."""

    @property
    def capabilities(self) -> types.ServerCapabilities | None:
        """What the server declared (None before the handshake)."""

    def require_client(self) -> Client:
        """The SDK client, or the error that says why there is none."""

    async def request(self, what: str, send: Callable[[Client], Awaitable[T]], timeout: float | None) -> T:
        """Send one request, with a timeout, failures translated into this package's errors."""
