"""The widget that shows one App: an anywidget whose front end is ``static/host.js``.

``host.js`` is AppBridge (``@modelcontextprotocol/ext-apps``) bundled with the glue in
``js/apps-host/src/host.js`` by ``scripts/build-apps-bundle``; anywidget loads it without any
JupyterLab extension build. The traits carry what the front end needs to start the App; the
conversation itself goes through the widget's custom messages (``AppSession``).
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets as t

from .._version import __version__

__all__ = ["AppFrame"]

STATIC = Path(__file__).resolve().parent / "static"


class AppFrame(anywidget.AnyWidget):
    """The App's frame: a bar naming it, the host's questions, and the sandboxed App itself."""

    _esm = STATIC / "host.js"

    title = t.Unicode("", help="SERVER.TOOL, shown in the bar above the App").tag(sync=True)
    html = t.Unicode("", help="the App's document, its policy as the first element").tag(sync=True)
    csp_domains = t.Dict(help="the origins the App declared and the policy allows").tag(sync=True)
    connects_to = t.List(t.Unicode(), help="declared connect origins, named in the bar").tag(sync=True)
    prefers_border = t.Bool(None, allow_none=True, help="the App's border preference").tag(sync=True)
    sandbox = t.Unicode("auto", help="auto (the proxy where reachable), proxy, or srcdoc").tag(sync=True)
    proxy_port = t.Int(0, help="the kernel's sandbox proxy port (0: none)").tag(sync=True)
    proxy_path = t.Unicode("", help="this App's page on the proxy").tag(sync=True)
    tool_info = t.Dict(help="the tool, as listed (hostContext.toolInfo)").tag(sync=True)
    tool_input = t.Dict(help="the call's arguments (ui/notifications/tool-input)").tag(sync=True)
    tool_result = t.Dict(None, allow_none=True, help="the CallToolResult, once there is one").tag(sync=True)
    tool_cancelled = t.Unicode("", help="why the call ended without a result").tag(sync=True)
    max_height = t.Int(1000, help="the tallest the App may grow, in pixels").tag(sync=True)
    host_version = t.Unicode(__version__).tag(sync=True)
    closed = t.Unicode("", help="why the App was closed ('' while it is open)").tag(sync=True)
