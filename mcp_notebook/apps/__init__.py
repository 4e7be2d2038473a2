"""MCP Apps in the notebook: a server's interactive view of a tool, live in the cell.

A tool whose listing names a ``ui://`` resource (``_meta.ui.resourceUri``) has an App: an HTML
page the server ships (``text/html;profile=mcp-app``). This package is the host side of the
``io.modelcontextprotocol/ui`` extension (spec 2026-01-26): it shows the App in a sandboxed frame
of the cell's output, feeds it the call's arguments and result, and answers what it asks through
the notebook's own connection — its tool calls and resource reads (only its server's, only the
tools whose ``visibility`` includes ``"app"``), its messages and model context (``app.messages``,
``app.context`` and the hub's ``app`` event), its log lines, links and downloads (after the user
says yes), its size, display mode and the theme.

    result = server.call("get-cohort-data")      # result.app: the AppView shown in the cell
    view = server.app("get-cohort-data")         # shows it at once; the call runs in the background
    view.context                                 # what the App last put in the model context
    hub.apps.sandbox = "srcdoc"                  # the host of a hub: sandbox mode, max height

Pieces: ``_meta`` (pure reading of ``_meta.ui``, the CSP), ``_session`` (the kernel's answers),
``_widget`` (the anywidget frame; its front end is ``static/host.js``, AppBridge bundled by
``scripts/build-apps-bundle``), ``_sandbox`` (the loopback proxy page), ``_view`` (``AppView``),
``_host`` (``AppHost``, one per hub).

The core reaches this package at five points: ``connection`` advertises the extension
(``client_extension``), ``Server.call``/``acall`` ask the hub's host to ``present`` the result
(in the calling thread, never on the loop thread), ``ToolResult`` shows ``result.app``,
``Server.app`` opens a view, and listings leave out the tools ``visible_to_model`` says only Apps
may call. ``mn.on("app", fn)`` gets server, tool, kind (opened, message, context, log, link,
download, refused, closed), data, app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._host import AppHost, widgets_available
from ._meta import (
    APP_MIME,
    EXTENSION,
    AppResource,
    AppUnavailable,
    app_may_call,
    csp_policy,
    marker,
    ui_resource_uri,
    visibility,
    visible_to_model,
)
from ._view import AppView, fallback_text, with_note

if TYPE_CHECKING:
    from mcp.client import ClientExtension

__all__ = [
    "APP_MIME",
    "EXTENSION",
    "AppHost",
    "AppResource",
    "AppUnavailable",
    "AppView",
    "apresent",
    "app_may_call",
    "client_extension",
    "csp_policy",
    "fallback_text",
    "marker",
    "ui_resource_uri",
    "visibility",
    "visible_to_model",
    "widgets_available",
    "with_note",
]


def client_extension() -> ClientExtension:
    """The capability a host of Apps advertises: ``Client(extensions=[client_extension()])``."""
    from mcp.client import advertise

    return advertise(EXTENSION, {"mimeTypes": [APP_MIME]})


async def apresent(host: AppHost, server: Any, result: Any) -> AppView | str | None:
    """``AppHost.present`` for async callers: the listing and the resource are awaited."""
    listed = await server.atools(all=True)
    entry = next((e for e in listed if e.name == result.tool), None)
    if entry is None or ui_resource_uri(entry) is None:
        return None
    if not widgets_available():
        return fallback_text(server.name, result.tool)
    try:
        view = await host.aview(server, result.tool, result.arguments)
    except AppUnavailable as e:
        return f"▣ {server.name}.{result.tool} names an App that cannot be shown: {e}"
    view.set_result(result)
    return view
