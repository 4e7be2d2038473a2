"""Catching the sign-in redirect where it can reach the kernel: a one-shot listener on loopback.

A kernel on the user's own machine (JupyterLab on a laptop, a terminal IPython) can receive the
browser's redirect to ``http://127.0.0.1:PORT/callback``; a kernel on JupyterHub, Binder or a
remote host cannot. Which one this is cannot be told from inside the kernel, so both ways stay
open: the listener catches the redirect when it arrives, and the pasted address works whether or
not it does (``_signin.PasteSignIn``). It listens only on loopback, only while one sign-in is
under way, only for the redirect URI's own path, and takes only the ``state`` of that sign-in:
another local process cannot hand it a code for another flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from urllib.parse import parse_qs, urlsplit

__all__ = ["RedirectListener", "listenable"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MAX_REQUEST_LINE = 16 * 1024  # an authorization code and state fit many times over
_READ_TIMEOUT = 5.0


def listenable(redirect_uri: str) -> tuple[str, int, str] | None:
    """``(host, port, path)`` to listen on for ``redirect_uri``, or None if it is not a loopback
    ``http://`` address with a port (then only pasting can finish the sign-in)."""
    parts = urlsplit(redirect_uri)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or not port:
        return None
    return parts.hostname, port, parts.path or "/"


class RedirectListener:
    """Listens for one redirect carrying ``state``; ``caught`` holds its query once it came."""

    def __init__(self, server: str, redirect_uri: str, state: str | None) -> None:
        self.server = server
        self.state = state
        self.caught: dict[str, str] | None = None
        self.address = listenable(redirect_uri)
        self._server: asyncio.AbstractServer | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> bool:
        """Listen if the redirect URI allows it and its port is free; True if listening."""
        if self.address is None:
            return False
        host, port, _path = self.address
        try:
            self._server = await asyncio.start_server(self._serve, host, port, reuse_address=True)
        except OSError:  # the port is taken (another kernel signing in): pasting still works
            return False
        return True

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, page = await self._answer(reader)
            body = page.encode()
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (OSError, asyncio.TimeoutError, ValueError, asyncio.LimitOverrunError):
            pass  # a client that sends nonsense or goes away gets nothing
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[str, str]:
        line = await asyncio.wait_for(reader.readuntil(b"\n"), _READ_TIMEOUT)
        if len(line) > _MAX_REQUEST_LINE:
            return "414 URI Too Long", _page("That address is too long.")
        method, _, rest = line.decode("latin-1").strip().partition(" ")
        target = rest.rpartition(" ")[0] or rest
        parts = urlsplit(target)
        assert self.address is not None
        if method != "GET" or parts.path != self.address[2]:
            return "404 Not Found", _page("Nothing here.")
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
        if query.get("state") != self.state:
            return "400 Bad Request", _page("This address belongs to another sign-in; start from the notebook's link.")
        if "error" in query:
            self.caught = query
            return "200 OK", _page(f"The sign-in to {self.server} was refused: {query['error']}.")
        if "code" not in query:
            return "400 Bad Request", _page("This address has no authorization code.")
        self.caught = query
        return "200 OK", _page(f"Signed in to {self.server}. Go back to the notebook and press Enter in its input box.")


def _page(text: str) -> str:
    return (
        "<!doctype html><meta charset=utf-8><title>mcp_notebook</title>"
        f"<p style='font:16px system-ui;margin:3em'>{html.escape(text)}</p>"
    )
