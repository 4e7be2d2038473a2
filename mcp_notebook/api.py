"""The Python API: the shared hub and the module-level functions (``mcp_notebook.connect`` …).

``connect()`` returns a ``Server`` (``server.py``); a ``Hub`` (``hub.py``) holds the loop thread,
the named connections and the defaults. The module-level functions use one shared hub, created on
first use (never at import); the magics use the same one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import config
from ._jsonable import jsonable
from ._log import LOG_LEVELS
from .hub import Hub
from .listings import ServerList, ToolList
from .recording import Recording
from .server import Server

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LOG_LEVELS",
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
    "jsonable",
    "logout",
    "on",
    "record",
    "servers",
]


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
