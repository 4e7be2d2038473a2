"""What ``mcp_notebook.apps`` reads from tools and App resources, the policy it builds, the
sandbox proxy page, and the capability a client advertises (no browser; servers in process or
over stdio)."""

from __future__ import annotations

import base64
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_notebook import apps
from mcp_notebook.api import Hub
from mcp_notebook.apps._sandbox import SandboxServer

sys.path.insert(0, str(Path(__file__).resolve().parent / "servers"))
import apps_server  # noqa: E402

SERVERS = Path(__file__).resolve().parent / "servers"
RESTRICTIVE = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; media-src data: blob:; connect-src 'none'; frame-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def tool(meta: Any) -> dict[str, Any]:
    return {"name": "t", "inputSchema": {"type": "object"}, "_meta": meta}


# -- tools -------------------------------------------------------------------------------------------


def test_the_ui_resource_of_a_tool() -> None:
    assert apps.ui_resource_uri(tool({"ui": {"resourceUri": "ui://s/app.html"}})) == "ui://s/app.html"
    assert apps.ui_resource_uri(tool({"ui/resourceUri": "ui://s/old.html"})) == "ui://s/old.html"  # the draft's key
    assert apps.ui_resource_uri(tool({"ui": {"resourceUri": "https://evil.example/app.html"}})) is None
    assert apps.ui_resource_uri(tool(None)) is None and apps.ui_resource_uri(tool({"ui": "x"})) is None


def test_visibility_defaults_to_both_and_ignores_junk() -> None:
    assert apps.visibility(tool(None)) == {"model", "app"}
    assert apps.visibility(tool({"ui": {"visibility": ["app"]}})) == {"app"}
    assert apps.visibility(tool({"ui": {"visibility": ["model", "root"]}})) == {"model"}
    assert apps.visibility(tool({"ui": {"visibility": "app"}})) == {"model", "app"}  # not a list: the default
    assert apps.visibility(tool({"ui": {"visibility": []}})) == set()
    app_only = tool({"ui": {"resourceUri": "ui://a", "visibility": ["app"]}})
    assert not apps.visible_to_model(app_only) and apps.app_may_call(app_only)
    assert apps.marker(app_only) == "app, app-only"
    assert apps.marker(tool({"ui": {"resourceUri": "ui://a"}})) == "app" and apps.marker(tool(None)) == ""


def test_sdk_tools_are_read_the_same(hub: Hub) -> None:
    server = hub.connect("t", server=apps_server.build_server())
    listed = {t.name: t for t in server.tools(all=True)}
    assert apps.ui_resource_uri(listed["show"]) == apps_server.APP_URI
    assert not apps.app_may_call(listed["secret"]) and apps.visible_to_model(listed["secret"])
    assert [name for name, t in listed.items() if not apps.visible_to_model(t)] == ["refresh"]
    shown = server.tools()  # for the user: the app-only tool is left out, and the header says so
    assert "refresh" not in shown.names() and shown.hidden == 1 and "1 more only its Apps may call" in repr(shown)


# -- the App resource and its policy ---------------------------------------------------------------------


def contents(**item: Any) -> list[dict[str, Any]]:
    return [{"uri": "ui://a", "mimeType": apps.APP_MIME, **item}]


def test_an_app_resource_is_read_from_text_or_blob() -> None:
    page = "<html><body>hi</body></html>"
    assert apps.AppResource.from_contents("ui://a", contents(text=page)).html == page
    blob = base64.b64encode(page.encode()).decode()
    assert apps.AppResource.from_contents("ui://a", contents(blob=blob)).html == page
    spaced = [{"uri": "ui://a", "mimeType": "text/html; profile=mcp-app", "text": page}]
    assert apps.AppResource.from_contents("ui://a", spaced).html == page


@pytest.mark.parametrize(
    ("items", "says"),
    [
        ([{"uri": "ui://a", "mimeType": "text/html", "text": "<p>"}], "gave text/html, not text/html;profile=mcp-app"),
        ([], "gave nothing"),
        (contents(text="  "), "is empty"),
        (contents(blob="%%%"), "not base64"),
        (contents(), "neither text nor a blob"),
    ],
)
def test_what_is_not_an_app_says_why(items: list[dict[str, Any]], says: str) -> None:
    with pytest.raises(apps.AppUnavailable, match=says):
        apps.AppResource.from_contents("ui://a", items)


def test_without_a_declaration_the_policy_is_the_restrictive_default() -> None:
    assert apps.csp_policy(None) == RESTRICTIVE
    assert apps.AppResource.from_contents("ui://a", contents(text="<p>")).policy == RESTRICTIVE


def test_declared_origins_are_allowed_and_nothing_else() -> None:
    declared = {
        "connectDomains": ["https://api.example.com", "wss://live.example.com:8443", "*", "'unsafe-eval'"],
        "resourceDomains": ["https://*.cdn.example.com", "https://x.com; script-src *", "javascript:alert(1)"],
        "frameDomains": ["https://www.youtube.com/"],
        "baseUriDomains": "https://base.example.com",
    }
    resource = apps.AppResource.from_contents("ui://a", contents(text="<p>", _meta={"ui": {"csp": declared}}))
    policy = resource.policy
    assert "connect-src https://api.example.com wss://live.example.com:8443;" in policy
    assert "script-src 'unsafe-inline' https://*.cdn.example.com;" in policy
    assert "frame-src https://www.youtube.com;" in policy and "base-uri 'none'" in policy
    for bad in ("*;", "unsafe-eval", "x.com", "javascript"):
        assert bad not in policy, bad
    assert len(resource.refused_sources) == 5  # *, 'unsafe-eval', the injection, javascript:, a string not a list


def test_the_policy_meta_comes_before_anything_in_the_document() -> None:
    policy = apps.csp_policy(None)
    meta = '<meta http-equiv="Content-Security-Policy" content="'
    doc = apps.AppResource.from_contents(
        "ui://a", contents(text="<!-- hi --><!doctype html><script>x()</script><head></head>")
    ).document
    assert doc.startswith("<!DOCTYPE html>" + meta) and doc.endswith("<script>x()</script><head></head>")
    assert "&#x27;none&#x27;" in doc and policy.replace("'", "&#x27;") in doc
    quirks = apps.AppResource.from_contents("ui://a", contents(text="<script>y()</script>")).document
    assert quirks.startswith(meta) and quirks.endswith('"><script>y()</script>')


# -- the sandbox proxy page --------------------------------------------------------------------------------


def fetch(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_proxy_page_carries_each_apps_policy_as_a_header() -> None:
    sandbox = SandboxServer()
    try:
        port = sandbox.start()
        assert sandbox.start() == port  # once
        path = sandbox.add("default-src 'none'; script-src 'unsafe-inline'")
        status, headers, body = fetch(f"http://127.0.0.1:{port}{path}?host=http%3A%2F%2F127.0.0.1%3A8888")
        assert status == 200
        assert headers["Content-Security-Policy"] == "default-src 'none'; script-src 'unsafe-inline'"
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
        assert b"sandbox-proxy-ready" in body
        # the App's own frame: scripts and forms, never allow-same-origin (an opaque origin)
        assert re.findall(rb'setAttribute\("sandbox", "([^"]*)"\)', body) == [b"allow-scripts allow-forms"]
        assert fetch(f"http://127.0.0.1:{port}{path}", host=f"localhost:{port}")[0] == 200
        assert fetch(f"http://127.0.0.1:{port}{path}", host="evil.example")[0] == 404  # DNS rebinding
        assert fetch(f"http://127.0.0.1:{port}/sandbox/not-a-key")[0] == 404
        assert fetch(f"http://127.0.0.1:{port}/")[0] == 404
    finally:
        sandbox.close()


# -- the capability a host of Apps advertises ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_the_client_extension_reaches_the_server_in_both_eras(mode: str) -> None:
    async def ask() -> Any:
        async with Client(apps_server.build_server(), mode=mode, extensions=[apps.client_extension()]) as client:
            return (await client.call_tool("caps", {})).structured_content

    seen = anyio.run(ask)
    assert seen == {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}}


def test_a_real_connection_advertises_the_extension(hub: Hub) -> None:
    server = hub.connect("caps", command=[sys.executable, str(SERVERS / "apps_server.py")])
    seen = server.call("caps", app=False).structured["extensions"]
    assert seen[apps.EXTENSION] == {"mimeTypes": [apps.APP_MIME]}
