"""``AppHost``: the MCP Apps host of one hub.

It turns a tool call into an ``AppView`` (reading the tool's ``ui://`` resource through the
server's public API), serves the sandbox proxy the views load Apps through, and tears down the
Apps of a connection when it closes. One per hub: ``hub.apps``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

from .._schema import SchemaChecker
from ..errors import UsageProblem, did_you_mean
from ._meta import AppResource, AppUnavailable, ui_resource_uri
from ._sandbox import SandboxServer
from ._view import AppView, fallback_text

__all__ = ["SANDBOX_MODES", "AppHost", "widgets_available"]

SANDBOX_MODES = ("auto", "proxy", "srcdoc")


def widgets_available() -> bool:
    """Whether an App can be shown here: in a Jupyter kernel (some front end may render widgets),
    with anywidget installed. False in terminal IPython and plain Python."""
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


class AppHost:
    """Shows Apps for the servers of ``hub`` (see the package docstring for what each does).

    ``sandbox`` is ``auto`` (the double iframe where the browser reaches the kernel's loopback,
    else an opaque srcdoc frame), ``proxy`` or ``srcdoc``; ``max_height`` bounds an App's height in
    pixels.
    """

    def __init__(self, hub: Any, *, sandbox: str = "auto", max_height: int = 1000) -> None:
        self._hub = hub
        self.sandbox = sandbox
        self.max_height = max_height
        self._views: list[weakref.ref[AppView]] = []
        self._lock = threading.Lock()
        self._proxy: SandboxServer | None = None
        self._checker = SchemaChecker()
        self._undo = hub.on("disconnected", self._on_disconnected)

    @property
    def sandbox(self) -> str:
        return self._sandbox

    @sandbox.setter
    def sandbox(self, mode: str) -> None:
        if mode not in SANDBOX_MODES:
            raise UsageProblem(f"sandbox is one of {', '.join(SANDBOX_MODES)}, not {mode!r}")
        self._sandbox = mode

    # -- from a tool to its App ----------------------------------------------------------------------

    def tool_entry(self, server: Any, tool: str) -> Any:
        """The tool as ``server`` lists it (``UsageProblem`` naming what exists if it has none)."""
        listed = server.tools(all=True)
        for entry in listed:
            if entry.name == tool:
                return entry
        names = [entry.name for entry in listed]
        raise UsageProblem(
            f"no tool {tool!r} on {server.name!r}{did_you_mean(tool, names)}; `%mcp tools {server.name}` lists them"
        )

    def resource(self, server: Any, uri: str) -> AppResource:
        """The App at ``uri``, read from ``server`` (``AppUnavailable`` when it is no App)."""
        return AppResource.from_contents(uri, server.read(uri).raw.contents)

    def view(self, server: Any, tool: str, arguments: Mapping[str, Any], result: Any = None) -> AppView:
        """The App of ``server.tool``, fed with ``arguments`` and (when given) the call's ``result``."""
        entry = self.tool_entry(server, tool)
        uri = ui_resource_uri(entry)
        if uri is None:
            raise UsageProblem(
                f"{server.name}.{tool} has no App (its listing names no ui:// resource); "
                f"`%mcp tools {server.name}` marks the tools that have one"
            )
        view = self._make(server, tool, entry, self.resource(server, uri), arguments)
        if result is not None:
            view.set_result(result)
        return view

    async def aview(self, server: Any, tool: str, arguments: Mapping[str, Any], result: Any = None) -> AppView:
        """``view``, awaitable (for ``await server.acall(...)``)."""
        listed = await server.atools(all=True)
        entry = next((e for e in listed if e.name == tool), None)
        if entry is None:
            return self.view(server, tool, arguments, result)  # the same error, worded once
        uri = ui_resource_uri(entry)
        if uri is None:
            return self.view(server, tool, arguments, result)
        read = await server.aread(uri)
        view = self._make(server, tool, entry, AppResource.from_contents(uri, read.raw.contents), arguments)
        if result is not None:
            view.set_result(result)
        return view

    def open(self, server: Any, tool: str, arguments: Mapping[str, Any] | None = None, **kwargs: Any) -> AppView:
        """Show the App of ``server.tool`` at once and call the tool in the background.

        The App gets the arguments first and the result when it comes (or why there is none);
        ``view.handle`` is the call. Bad arguments raise here, before anything is shown.
        """
        args = {**(arguments or {}), **kwargs}
        entry = self.tool_entry(server, tool)
        uri = ui_resource_uri(entry)
        if uri is None:
            self.view(server, tool, args)  # raises the "has no App" error
        self._checker.check(
            f"{server.name}.{tool}", entry.input_schema, args, hint=f"; `%mcp tools {server.name}` shows its arguments"
        )
        assert uri is not None
        view = self._make(server, tool, entry, self.resource(server, uri), args)
        handle = server.submit(tool, args)
        view.handle = handle
        view.arguments = dict(handle.arguments)
        handle.add_done_callback(view._finished)
        return view

    def present(self, server: Any, result: Any, entry: Any = None) -> AppView | str | None:
        """What a finished call shows besides its result: its ``AppView`` when the tool has an App
        and one can be shown here; a one-line note when it has one that cannot (no widget front
        end, or the resource is no App: the note says which); None when the tool has no App.

        ``entry`` is the tool as listed, when the caller has it at hand (the connection's cached
        listing): then a call of a tool without an App costs nothing more. Call it before attaching
        its value to the result: the view renders the result as it is.
        """
        if entry is None:
            try:
                entry = self.tool_entry(server, result.tool)
            except UsageProblem:
                return None
        uri = ui_resource_uri(entry)
        if uri is None:
            return None
        if not widgets_available():
            return fallback_text(server.name, result.tool)
        try:
            view = self._make(server, result.tool, entry, self.resource(server, uri), result.arguments)
        except AppUnavailable as e:
            return f"▣ {server.name}.{result.tool} names an App that cannot be shown: {e}"
        view.set_result(result)
        return view

    def _make(self, server: Any, tool: str, entry: Any, resource: AppResource, arguments: Mapping[str, Any]) -> AppView:
        proxy = None
        if self.sandbox != "srcdoc":
            sandbox = self._sandbox_server()
            proxy = (sandbox.start(), sandbox.add(resource.policy))
        view = AppView(
            server,
            tool,
            resource,
            arguments=dict(arguments),
            tool_info=entry.model_dump(by_alias=True, mode="json", exclude_none=True),
            events=self._hub.events,
            sandbox=self.sandbox,
            proxy=proxy,
            max_height=self.max_height,
        )
        with self._lock:
            self._views = [ref for ref in self._views if ref() is not None]
            self._views.append(weakref.ref(view))
        return view

    # -- all of them ------------------------------------------------------------------------------

    def views(self, server: str | None = None) -> list[AppView]:
        """The Apps shown so far that are still open (of ``server``, when named)."""
        with self._lock:
            alive = [ref() for ref in self._views]
        return [v for v in alive if v is not None and v.state != "closed" and server in (None, v.server)]

    def close_all(self, reason: str = "closed from Python", server: str | None = None) -> int:
        """Tear down every open App (of ``server``, when named); how many there were."""
        views = self.views(server)
        for view in views:
            view.close(reason)
        return len(views)

    def _on_disconnected(self, server: str, reason: str = "closed", **_: Any) -> None:
        why = f"the connection to {server} closed" if reason == "closed" else f"{server} {reason}"
        self.close_all(why, server=server)

    def _sandbox_server(self) -> SandboxServer:
        with self._lock:
            if self._proxy is None:
                self._proxy = SandboxServer()
            return self._proxy

    def close(self) -> None:
        """Close every App, stop the sandbox proxy and stop following the hub."""
        self.close_all("the notebook's MCP host closed")
        self._undo()
        with self._lock:
            proxy, self._proxy = self._proxy, None
        if proxy is not None:
            proxy.close()
