"""The sandbox proxy: a page on a loopback port the kernel serves, for the spec's double iframe.

A web host must not run an App in its own origin. Where the browser runs on the kernel's machine
(JupyterLab or Voilà opened on ``127.0.0.1`` or ``localhost``), the App's frame sits inside a
proxy frame loaded from this server — another origin (another port) and, because the front end
asks for it under the *other* loopback name (``localhost`` for a page on ``127.0.0.1`` and the
reverse), another host too, so not even cookies (which ignore ports) are shared with Jupyter.
The proxy page carries the App's Content-Security-Policy as an HTTP header, which nothing in the
page can remove, and its ``srcdoc`` child (the App, in an opaque origin) inherits it.

Each App gets its own path, ``/sandbox/<random key>``, mapped to its policy; any other path or
host name answers 404. The page itself holds no secret. Elsewhere (Binder, JupyterHub: the
browser cannot reach the kernel's loopback) the front end does without the proxy.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

__all__ = ["SandboxServer"]

MAX_PAGES = 512  # policies remembered (one per App shown); the oldest are forgotten first
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def proxy_page() -> bytes:
    return resources.files("mcp_notebook.apps").joinpath("static/sandbox.html").read_bytes()


class SandboxServer:
    """Serves the proxy page on ``127.0.0.1`` (and ``::1`` where it can) at one free port."""

    def __init__(self) -> None:
        self._policies: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._page = proxy_page()
        self.port = 0

    def start(self) -> int:
        """Start serving (once); the port."""
        with self._lock:
            if self._servers:
                return self.port
            first = _Server(("127.0.0.1", 0), self)
            self.port = int(first.server_address[1])
            self._servers.append(first)
            try:  # "localhost" may resolve to ::1 first; serve it there too when the machine has IPv6
                self._servers.append(_Server6(("::1", self.port), self))
            except OSError:
                pass
        for server in self._servers:
            threading.Thread(target=server.serve_forever, name="mcp-notebook-app-sandbox", daemon=True).start()
        return self.port

    def add(self, policy: str) -> str:
        """Serve the proxy page with ``policy``; the path to ask for (``/sandbox/KEY``)."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._policies[key] = policy
            while len(self._policies) > MAX_PAGES:
                self._policies.popitem(last=False)
        return f"/sandbox/{key}"

    def policy(self, path: str) -> str | None:
        key = path.split("?", 1)[0].removeprefix("/sandbox/")
        with self._lock:
            return self._policies.get(key) if path.startswith("/sandbox/") else None

    def close(self) -> None:
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
            server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: SandboxServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        policy = self.server.owner.policy(self.path)
        if policy is None or host not in LOOPBACK_NAMES:  # a rebound DNS name gets nothing either
            self._reply(404, b"not found", {"Content-Type": "text/plain"})
            return
        self._reply(
            200,
            self.server.owner._page,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Security-Policy": policy,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # nothing on the kernel's stderr
