"""A small MCP server with an App, for the MCP Apps host tests (``mcp_notebook.apps``).

``show`` has an App (``ui://apps-test/app.html``, with a declared CSP); ``refresh`` may be called
only from Apps (visibility ``["app"]``); ``secret`` only by the user or a model (``["model"]``);
``echo`` by anyone; ``caps`` returns the ``extensions`` the client declared; ``plain`` has a
``ui://`` resource of the wrong MIME type; ``hold`` (with the App) waits until the test lets it go
(in process only); ``broken`` (with the App) fails. Resources: the App, a text file to download by link, the wrongly typed page.
``build_server()`` for in-process use, ``python apps_server.py`` for stdio.
"""

from __future__ import annotations

import threading
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

APP_URI = "ui://apps-test/app.html"
WRONG_URI = "ui://apps-test/not-an-app.html"
APP_MIME = "text/html;profile=mcp-app"
APP_HTML = "<!DOCTYPE html><html><head><title>test app</title></head><body><p>app</p></body></html>"
CSP = {
    "connectDomains": ["https://api.example.com", "*", "'unsafe-eval'"],
    "resourceDomains": ["https://cdn.example.com"],
}
released = threading.Event()


def build_server() -> MCPServer:
    mcp = MCPServer("apps-test", version="1.0")

    @mcp.tool(meta={"ui": {"resourceUri": APP_URI}})
    def show(label: str = "hello") -> dict[str, Any]:
        """A tool whose results show in an App."""
        return {"label": label, "values": [1, 2, 3]}

    @mcp.tool(meta={"ui": {"resourceUri": APP_URI, "visibility": ["app"]}})
    def refresh(n: int = 1) -> str:
        """Only the App may call this."""
        return f"refreshed {n}"

    @mcp.tool(meta={"ui": {"visibility": ["model"]}})
    def secret() -> str:
        """Never callable from an App."""
        return "the secret"

    @mcp.tool()
    def echo(text: str = "") -> str:
        """Anyone may call this."""
        return f"echo: {text}"

    @mcp.tool()
    def caps(ctx: Context) -> dict[str, Any]:
        """The client's declared extensions, as this server sees them."""
        capabilities = ctx.client_capabilities
        extensions = capabilities.extensions if capabilities is not None else None
        return {"extensions": extensions or {}}

    @mcp.tool(meta={"ui": {"resourceUri": WRONG_URI}})
    def plain() -> str:
        """Names a ui:// resource that is not an App."""
        return "plain"

    @mcp.tool(meta={"ui": {"resourceUri": APP_URI}})
    async def hold() -> str:
        """Waits until the test sets ``released`` (in process only); has an App."""
        import anyio

        while not released.is_set():
            await anyio.sleep(0.01)
        return "released"

    @mcp.tool(meta={"ui": {"resourceUri": APP_URI}})
    def broken() -> str:
        """Has an App, and fails."""
        raise ToolError("broken on purpose")

    @mcp.resource(APP_URI, name="app", mime_type=APP_MIME, meta={"ui": {"csp": CSP, "prefersBorder": True}})
    def app() -> str:
        return APP_HTML

    @mcp.resource(WRONG_URI, name="not-an-app", mime_type="text/html")
    def not_an_app() -> str:
        return "<p>plain html</p>"

    @mcp.resource("test://notes.txt", name="notes", mime_type="text/plain")
    def notes() -> str:
        return "notes from the server\n"

    return mcp


if __name__ == "__main__":
    build_server().run()
