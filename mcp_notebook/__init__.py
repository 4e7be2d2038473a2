"""mcp_notebook: an MCP (Model Context Protocol) client that lives in a Jupyter kernel.

In a notebook: ``%load_ext mcp_notebook``, then ``%mcp connect demo``, ``%mcp tools``,
``%mcp call demo.query species=Adelie``. In Python: ``import mcp_notebook as mn``,
``demo = mn.connect("demo")``, ``demo.call("query", species="Adelie").to_dataframe()``.

Importing this package starts nothing: the event-loop thread starts with the first connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = [
    "ArgumentsInvalid",
    "CallTimeout",
    "ConnectFailed",
    "Detached",
    "Hub",
    "Interrupted",
    "InvalidResult",
    "McpNotebookError",
    "NotConnected",
    "OAuth",
    "PromptResult",
    "ResourceResult",
    "Server",
    "ServerDied",
    "ServerError",
    "TaskHandle",
    "ToolFailed",
    "ToolResult",
    "TransportFailed",
    "UsageProblem",
    "__version__",
    "aconnect",
    "connect",
    "connect_config",
    "disconnect",
    "disconnect_all",
    "explore",
    "find",
    "get",
    "history",
    "load_ipython_extension",
    "logout",
    "on",
    "record",
    "servers",
    "unload_ipython_extension",
]

if TYPE_CHECKING:
    from .api import (
        Hub,
        Server,
        aconnect,
        connect,
        connect_config,
        disconnect,
        disconnect_all,
        find,
        get,
        history,
        logout,
        on,
        record,
        servers,
    )
    from .auth import OAuth
    from .errors import (
        ArgumentsInvalid,
        CallTimeout,
        ConnectFailed,
        Interrupted,
        InvalidResult,
        McpNotebookError,
        NotConnected,
        ServerDied,
        ServerError,
        ToolFailed,
        TransportFailed,
        UsageProblem,
    )
    from .results import PromptResult, ResourceResult, ToolResult
    from .tasks import Detached, TaskHandle
    from .widgets import explore

_LAZY = {
    **dict.fromkeys(
        [
            "Hub",
            "Server",
            "aconnect",
            "connect",
            "connect_config",
            "disconnect",
            "disconnect_all",
            "find",
            "get",
            "history",
            "logout",
            "on",
            "record",
            "servers",
        ],
        "api",
    ),
    "OAuth": "auth",
    **dict.fromkeys(["PromptResult", "ResourceResult", "ToolResult"], "results"),
    "explore": "widgets",
    **dict.fromkeys(["Detached", "TaskHandle"], "tasks"),
    **dict.fromkeys(
        [
            "ArgumentsInvalid",
            "CallTimeout",
            "ConnectFailed",
            "Interrupted",
            "InvalidResult",
            "McpNotebookError",
            "NotConnected",
            "ServerDied",
            "ServerError",
            "ToolFailed",
            "TransportFailed",
            "UsageProblem",
        ],
        "errors",
    ),
}


def __getattr__(name: str) -> Any:
    # Lazy attributes keep `import mcp_notebook` (and so `%load_ext`) cheap: the SDK, pydantic and
    # pandas load when first used, not when the extension is loaded.
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mcp_notebook``: register the ``%mcp`` magics."""
    from .magics import MCPMagics
    from .magics._complete import Completer, install

    magics = MCPMagics(ipython)
    ipython.register_magics(magics)
    install(ipython, Completer(magics.the_hub))


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mcp_notebook``: close every connection (bounded) and drop the magics."""
    from .api import default_hub
    from .magics._complete import uninstall

    default_hub().close_all()
    uninstall(ipython)
    magics = ipython.magics_manager.registry.pop("MCPMagics", None)
    if magics is not None:
        for kind in ("line", "cell"):
            ipython.magics_manager.magics[kind].pop("mcp", None)
