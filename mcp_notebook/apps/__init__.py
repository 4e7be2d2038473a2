"""MCP Apps in the notebook: a server's interactive view of a tool, live in the cell.

A tool whose listing names a ``ui://`` resource (``_meta.ui.resourceUri``) has an App: an HTML
page the server ships (``text/html;profile=mcp-app``). This package is the host side of the
``io.modelcontextprotocol/ui`` extension (spec 2026-01-26): it shows the App in a sandboxed frame
of the cell's output, feeds it the call's arguments and result, and answers what it asks through
the notebook's own connection — its tool calls and resource reads (only its server's, only the
tools whose ``visibility`` includes ``"app"``), its messages and model context (``app.messages``,
``app.context`` and the hub's ``app`` event), its log lines, links and downloads (after the user
says yes), its size, display mode and the theme.

    from mcp_notebook import apps
    host = apps.host_for(hub)                    # hub.apps, once wired
    view = host.open(server, "get-cohort-data")  # shows it; the call runs in the background
    view.context                                 # what the App last put in the model context

Pieces: ``_meta`` (pure reading of ``_meta.ui``, the CSP), ``_session`` (the kernel's answers),
``_widget`` (the anywidget frame; its front end is ``static/host.js``, AppBridge bundled by
``scripts/build-apps-bundle``), ``_sandbox`` (the loopback proxy page), ``_view`` (``AppView``),
``_host`` (``AppHost``, one per hub).

Wiring the rest of the package is to add (nothing here edits the core; tests/apps_wiring.py does
the same by patching, for the tests, until it is done for real):

1. Advertise the extension at connect: in ``connection.py`` pass
   ``extensions=[apps.client_extension()]`` to ``_Client(...)``, i.e. the SDK's
   ``mcp.client.advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})``,
   which puts ``capabilities.extensions["io.modelcontextprotocol/ui"] = {"mimeTypes": [...]}`` in
   both ``initialize`` (2025-era) and ``server/discover`` (2026-07-28) requests.
2. ``Hub.apps``: a lazily made ``AppHost(self)`` (replaces ``host_for``); ``Hub.close`` calls
   ``self.apps.close()`` when one was made.
3. ``Server.call``/``acall`` gain ``app: bool = True``; after the result, in the calling thread
   (never on the loop thread), when ``app``:
   ``result.app = self._hub.apps.present(self, result, self.connection.cached_tool(tool))`` — with
   the cached listing entry a tool without an App costs nothing more (measured: 1.30 ms a call vs
   1.36 plain, demo over stdio; 1.41 when ``present`` asks for the listing itself); an App view is
   7.7 ms for the demo's page, 22 ms for the cohort heatmap's 426 kB. In ``acall``:
   ``result.app = await apps.apresent(self._hub.apps, self, result)``.
4. ``ToolResult`` gains ``app: AppView | str | None = None``; in ``_repr_mimebundle_``: an
   ``AppView`` → ``return self.app._repr_mimebundle_(include, exclude)``; a ``str`` (the note
   where no App can show) → ``bundle = apps.with_note(bundle, self.app)``.
5. ``Server.app(tool, arguments=None, /, **kwargs) -> AppView`` =
   ``self._hub.apps.open(self, tool, arguments, **kwargs)``.
6. Magics: ``%mcp call ... --no-app`` → ``server.call(..., app=False)``; ``%mcp app SERVER.TOOL
   [key=value ...]`` → ``server.app(tool, arguments)`` (same argument parsing as ``call``).
7. Listings: ``%mcp tools`` adds a column ``app`` = ``apps.marker(tool)``; listings for the user or
   a model (``%mcp tools``, ``hub.find``, ``all_tools``, the explorer's tool list) leave out tools
   for which ``apps.visible_to_model(tool)`` is False, saying how many were left out (``--all``
   shows them). A call by name is not refused: the user asked for it.
8. Events: ``"app"`` is in ``events.EVENTS`` (done here): ``mn.on("app", fn)`` gets server, tool,
   kind (opened, message, context, log, link, download, refused, closed), data, app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._host import AppHost, host_for, widgets_available
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
    "host_for",
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
