"""The kernel's side of an App: it answers what the App asks through the widget comm.

The browser runs ``AppBridge`` (the official host implementation) and forwards each request the
App makes to the kernel as ``{"type": "request", "view", "id", "method", "params"}``; this session
answers ``{"type": "response", "view", "id", "result" | "error"}`` using the server's public API,
so an App's tool call is the same call ``%mcp call`` makes (validated, in ``%mcp history``,
emitting ``tool_called``). The App reaches only its own server, and only the tools whose
visibility includes ``"app"``; links open and files are saved only after the user says yes in
the host's bar above the App (never inside it, where the App could draw a fake one).

Threads: ``receive`` runs on the kernel's main thread, where comm messages arrive; it never
waits. Work that talks to the server runs in a short-lived daemon thread per request (at most
``MAX_IN_FLIGHT`` at once), and answers are sent from there: comm messages from the front end
wait for an idle kernel, but messages to it do not, so nothing here can wait for the other side.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import McpNotebookError, UsageProblem
from ._files import (
    INTERNAL,
    INVALID_PARAMS,
    MAX_DOWNLOAD,
    METHOD_NOT_FOUND,
    RequestRefused,
    bytes_of,
    file_name,
    safe_url,
    save,
    size_words,
)
from ._meta import app_may_call, visibility

__all__ = ["AppSession", "RequestRefused"]

MAX_IN_FLIGHT = 16  # requests of one App being answered at once; more are refused, not queued
MAX_PARAMS = 2_000_000  # characters of JSON in one request's params
MAX_KEPT = 1000  # messages, logs and refusals kept per App (the oldest go first)

Send = Callable[[dict[str, Any]], None]
Emit = Callable[..., None]


class AppSession:
    """One App view's conversation with the kernel: requests, consents, state, what the App said.

    ``server`` is a connected ``Server`` (only its public methods are used: ``tools``, ``submit``,
    ``read``, ``resources``, ``templates``, ``name``); ``send`` delivers a message to the front end
    (the widget's ``send``); ``emit(kind, **data)`` reports what happens (the ``app`` event).
    """

    def __init__(self, server: Any, tool: str, send: Send, emit: Emit | None = None) -> None:
        self.server = server
        self.server_name = str(server.name)
        self.tool = tool
        self._send = send
        self._emit = emit or (lambda kind, **data: None)
        self._lock = threading.Lock()
        self._asks: dict[int, Callable[[bool], None]] = {}
        self._next_ask = 0
        self._in_flight = 0
        self.state = "waiting"
        """``waiting`` (no view has started the App yet), ``open``, or ``closed``."""
        self.closed_because: str | None = None
        self.views: dict[str, dict[str, Any]] = {}
        """Each view showing the App (a browser tab, a second display): its sandbox mode and state."""
        self.messages: list[dict[str, Any]] = []
        """What the App sent with ``ui/message``: ``{"role", "content", "text"}``, oldest first."""
        self.context: dict[str, Any] | None = None
        """The App's latest ``ui/update-model-context`` (``content`` and/or ``structuredContent``)."""
        self.logs: list[dict[str, Any]] = []
        """The App's log messages (``notifications/message`` params), oldest first."""
        self.refused: list[dict[str, Any]] = []
        """Requests refused (a forbidden or unknown tool, a link or download declined, …)."""
        self.saved: list[Path] = []
        """Files saved on the App's ``ui/download-file`` requests, after the user agreed."""
        self.app_info: dict[str, Any] | None = None
        self.size: tuple[float | None, float | None] | None = None

    # -- from the front end ---------------------------------------------------------------------

    def receive(self, content: Any) -> None:
        """Handle one message from the front end (called on the kernel's main thread; never blocks)."""
        if not isinstance(content, Mapping):
            return
        kind, view = content.get("type"), str(content.get("view", ""))
        if kind == "request":
            self._request(view, content.get("id"), content.get("method"), content.get("params"))
        elif kind == "notify":
            params = content.get("params")
            self._notify(view, str(content.get("method", "")), params if isinstance(params, Mapping) else {})
        elif kind == "answer":
            ask = content.get("ask")
            with self._lock:
                settle = self._asks.pop(ask, None) if isinstance(ask, int) else None
            if settle is not None:
                settle(content.get("ok") is True)

    def _notify(self, view: str, method: str, params: Mapping[str, Any]) -> None:
        if method == "opened":
            self.views[view] = {"sandbox": str(params.get("sandbox", "")), "state": "loading"}
        elif method == "initialized":
            self.views.setdefault(view, {})["state"] = "open"
            info = params.get("appInfo")
            self.app_info = dict(info) if isinstance(info, Mapping) else None
            if self.state == "waiting":
                self.state = "open"
                self._emit("opened", sandbox=self.views[view].get("sandbox"), app_info=self.app_info)
        elif method == "notifications/message":
            entry = {k: params.get(k) for k in ("level", "logger", "data") if k in params}
            self._keep(self.logs, entry)
            self._emit("log", **entry)
        elif method == "size":
            w, h = params.get("width"), params.get("height")
            self.size = (
                float(w) if isinstance(w, (int, float)) else None,
                float(h) if isinstance(h, (int, float)) else None,
            )
        elif method in ("closed", "removed"):
            self.views.pop(view, None)
            if not self.views and self.state != "closed":
                why = params.get("reason")
                reason = str(why) if why else "its output was cleared"
                self._close(reason)

    # -- requests -------------------------------------------------------------------------------

    def _request(self, view: str, rid: Any, method: Any, params: Any) -> None:
        params = params if isinstance(params, Mapping) else {}

        def answer(result: Any = None, error: RequestRefused | None = None) -> None:
            message: dict[str, Any] = {"type": "response", "view": view, "id": rid}
            if error is not None:
                message["error"] = {"code": error.code, "message": str(error)}
            else:
                message["result"] = result if result is not None else {}
            self._send(message)

        try:
            if self.state == "closed":
                raise RequestRefused(f"this App was closed ({self.closed_because})")
            if not isinstance(method, str):
                raise RequestRefused("a request needs a method", INVALID_PARAMS)
            if len(json.dumps(params, default=str)) > MAX_PARAMS:
                raise RequestRefused(f"{method}: parameters over {MAX_PARAMS:,} characters", INVALID_PARAMS)
            handler = self._handlers().get(method)
            if handler is None:
                raise RequestRefused(f"Method not found: {method}", METHOD_NOT_FOUND)
            handler(params, answer)
        except RequestRefused as e:
            self._refuse(str(method), e)
            answer(error=e)

    def _handlers(self) -> dict[str, Callable[[Mapping[str, Any], Callable[..., None]], None]]:
        return {
            "tools/call": lambda p, a: self._in_worker("tools/call", lambda: self._call_tool(p), a),
            "resources/read": lambda p, a: self._in_worker("resources/read", lambda: self._read(p), a),
            "resources/list": lambda p, a: self._in_worker("resources/list", self._list_resources, a),
            "resources/templates/list": lambda p, a: self._in_worker(
                "resources/templates/list", self._list_templates, a
            ),
            "ui/message": self._message,
            "ui/update-model-context": self._update_context,
            "ui/open-link": self._open_link,
            "ui/download-file": self._download,
        }

    def _refuse(self, method: str, error: RequestRefused) -> None:
        self._keep(self.refused, {"method": method, "why": str(error), "code": error.code})
        self._emit("refused", method=method, why=str(error))

    def _in_worker(
        self, method: str, work: Callable[[], Any], answer: Callable[..., None], *, answers: bool = True
    ) -> None:
        """Run ``work`` (which may block on the server) in a daemon thread and answer with its
        value (``answers=False``: ``work`` answers itself); a failure is answered as an error."""
        with self._lock:
            if self._in_flight >= MAX_IN_FLIGHT:
                raise RequestRefused(f"{method}: {MAX_IN_FLIGHT} requests of this App are already running")
            self._in_flight += 1

        def run() -> None:
            try:
                value = work()
                if answers:
                    answer(value)
            except RequestRefused as e:
                self._refuse(method, e)
                answer(error=e)
            except UsageProblem as e:
                answer(error=RequestRefused(str(e), INVALID_PARAMS))
            except McpNotebookError as e:
                answer(error=RequestRefused(str(e), INTERNAL))
            except Exception as e:  # a bug here must still answer the App, not leave it waiting
                answer(error=RequestRefused(f"{method} failed: {type(e).__name__}: {e}", INTERNAL))
            finally:
                with self._lock:
                    self._in_flight -= 1

        threading.Thread(target=run, name=f"mcp-notebook-app-{method}", daemon=True).start()

    def _find_tool(self, name: str) -> Any:
        for refresh in (False, True):  # a tool added since the listing was cached: ask once more
            for tool in self.server.tools(refresh=refresh, all=True):
                if tool.name == name:
                    return tool
        raise RequestRefused(
            f"no tool {name!r} on {self.server_name!r}; an App calls only the tools of its own server",
            INVALID_PARAMS,
        )

    def _call_tool(self, params: Mapping[str, Any]) -> Any:
        name, arguments = params.get("name"), params.get("arguments") or {}
        if not isinstance(name, str) or not name:
            raise RequestRefused("tools/call needs a tool name", INVALID_PARAMS)
        if not isinstance(arguments, Mapping):
            raise RequestRefused("tools/call arguments must be an object", INVALID_PARAMS)
        tool = self._find_tool(name)
        if not app_may_call(tool):
            allowed = sorted(visibility(tool))
            raise RequestRefused(
                f"{self.server_name}.{name} may not be called from an App (its visibility is {allowed})"
            )
        result = self.server.submit(name, dict(arguments)).result()
        return _dump(result.raw)

    def _read(self, params: Mapping[str, Any]) -> Any:
        uri = params.get("uri")
        if not isinstance(uri, str) or not uri:
            raise RequestRefused("resources/read needs a uri", INVALID_PARAMS)
        return _dump(self.server.read(uri).raw)

    def _list_resources(self) -> Any:
        return {"resources": [_dump(r) for r in self.server.resources()]}

    def _list_templates(self) -> Any:
        return {"resourceTemplates": [_dump(t) for t in self.server.templates()]}

    # -- requests answered in the kernel at once, or after the user's say ---------------------------

    def _message(self, params: Mapping[str, Any], answer: Callable[..., None]) -> None:
        content = params.get("content")
        if not isinstance(content, list):
            raise RequestRefused("ui/message needs a list of content blocks", INVALID_PARAMS)
        text = "\n".join(str(b.get("text")) for b in content if isinstance(b, Mapping) and b.get("type") == "text")
        entry = {"role": str(params.get("role", "user")), "content": content, "text": text}
        self._keep(self.messages, entry)
        self._emit("message", **entry)
        answer({})

    def _update_context(self, params: Mapping[str, Any], answer: Callable[..., None]) -> None:
        self.context = {k: params[k] for k in ("content", "structuredContent") if k in params}
        self._emit("context", context=self.context)
        answer({})

    def _open_link(self, params: Mapping[str, Any], answer: Callable[..., None]) -> None:
        url = params.get("url")
        if not isinstance(url, str) or not safe_url(url):
            raise RequestRefused("Invalid URL: only http(s) and mailto links open", INVALID_PARAMS)

        def settle(ok: bool) -> None:
            if ok:
                self._emit("link", url=url)
                answer({})
            else:
                error = RequestRefused("Link opening denied by the user")
                self._refuse("ui/open-link", error)
                answer(error=error)

        self._ask("open-link", f"The App asks to open {url}", "Open", settle, url=url)

    def _download(self, params: Mapping[str, Any], answer: Callable[..., None]) -> None:
        items = params.get("contents")
        if not isinstance(items, list) or not items:
            raise RequestRefused("ui/download-file needs contents", INVALID_PARAMS)

        def prepare() -> None:
            try:
                files = [self._file_of(item, i) for i, item in enumerate(items)]
            except RequestRefused as e:
                self._refuse("ui/download-file", e)
                answer({"isError": True, "error": str(e)})
                return
            total = sum(len(data) for _, data in files)
            if total > MAX_DOWNLOAD:
                error = RequestRefused(f"ui/download-file: {total:,} bytes, over the {MAX_DOWNLOAD:,} allowed")
                self._refuse("ui/download-file", error)
                answer({"isError": True, "error": str(error)})
                return
            folder = Path.cwd()
            names = ", ".join(f"{name} ({size_words(len(data))})" for name, data in files)

            def settle(ok: bool) -> None:
                if not ok:
                    self._refuse("ui/download-file", RequestRefused("Download declined by the user"))
                    answer({"isError": True})
                    return
                try:
                    paths = [save(folder, name, data) for name, data in files]
                except OSError as e:
                    answer({"isError": True, "error": f"could not save: {e}"})
                    return
                self._keep_saved(paths)
                self._emit("download", paths=[str(p) for p in paths])
                answer({})

            self._ask("download", f"The App asks to save {names} into {folder}", "Save", settle)

        # a resource link is read from the server first, which may take a while: not on this thread
        self._in_worker("ui/download-file", prepare, answer, answers=False)

    def _file_of(self, item: Any, index: int) -> tuple[str, bytes]:
        if not isinstance(item, Mapping):
            raise RequestRefused("ui/download-file: each item is an embedded resource or a resource link")
        kind = item.get("type")
        if kind == "resource" and isinstance(item.get("resource"), Mapping):
            body = item["resource"]
            return file_name(body.get("uri"), None, index), bytes_of(body)
        if kind == "resource_link" and isinstance(item.get("uri"), str):
            uri = item["uri"]
            if urllib.parse.urlsplit(uri).scheme in ("http", "https"):
                raise RequestRefused(
                    f"ui/download-file: {uri} is on the web; the kernel fetches only its server's resources"
                )
            contents = list(self.server.read(uri).raw.contents)
            if not contents:
                raise RequestRefused(f"ui/download-file: {uri} has no contents")
            return file_name(uri, item.get("name"), index), bytes_of(_dump(contents[0]))
        raise RequestRefused("ui/download-file: each item is an embedded resource or a resource link")

    def _ask(self, kind: str, text: str, action: str, settle: Callable[[bool], None], **extra: Any) -> None:
        """Ask the user in the host's bar (every view shows it; the first answer counts)."""
        with self._lock:
            self._next_ask += 1
            ask = self._next_ask
            self._asks[ask] = settle
        self._send({"type": "ask", "ask": ask, "kind": kind, "text": text, "action": action, **extra})

    # -- the kernel's side of the lifecycle ---------------------------------------------------------

    def close(self, reason: str) -> None:
        """Tear the App down: every view sends ``ui/resource-teardown`` to it, then removes it."""
        if self.state == "closed":
            return
        self._send({"type": "teardown", "reason": reason})
        self._close(reason)

    def _close(self, reason: str) -> None:
        with self._lock:
            pending = list(self._asks.values())
            self._asks.clear()
        self.state = "closed"
        self.closed_because = reason
        for settle in pending:  # questions nobody can answer any more are declined
            settle(False)
        self._emit("closed", reason=reason)

    # -- bookkeeping --------------------------------------------------------------------------------

    def _keep(self, bucket: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        with self._lock:
            bucket.append(entry)
            del bucket[:-MAX_KEPT]

    def _keep_saved(self, paths: list[Path]) -> None:
        with self._lock:
            self.saved.extend(paths)


def _dump(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(by_alias=True, mode="json", exclude_none=True) if callable(dump) else value
