"""The explorer: a server picker over five tabs — Servers, Tools, Resources, Prompts, Log."""

from __future__ import annotations

import shlex

import ipywidgets as w

from ..api import Hub, Server
from ..errors import NotConnected, UsageProblem
from ..render import MUTED, esc
from ._browse import PromptsPanel, ResourcesPanel
from ._common import History, Panel
from ._tools import ToolsPanel

__all__ = ["Explorer"]

TABS = ("Servers", "Tools", "Resources", "Prompts", "Log")


class ServersPanel(Panel):
    """The connections, the chosen server's instructions, connect and disconnect."""

    def __init__(self, explorer: Explorer) -> None:
        super().__init__()
        self.explorer = explorer
        self.table = w.HTML()
        self.table.add_class("mcpnb-servers")
        self.instructions = w.HTML()
        self.name = w.Text(description="name", placeholder="e.g. time", style={"description_width": "initial"})
        self.name.add_class("mcpnb-connect-name")
        self.target = w.Text(
            description="command or URL",
            placeholder="mcp-server-time   or   http://127.0.0.1:8000/mcp",
            style={"description_width": "initial"},
            layout=w.Layout(width="70%"),
        )
        self.target.add_class("mcpnb-connect-target")
        self.sse = w.Checkbox(description="legacy SSE", indent=False, layout=w.Layout(width="auto"))
        self.connect = w.Button(description="Connect", icon="plug", button_style="primary")
        self.connect.add_class("mcpnb-connect")
        self.disconnect = w.Button(description="Disconnect", icon="unlink")
        self.disconnect.add_class("mcpnb-disconnect")
        self.refresh = w.Button(description="Refresh", icon="refresh", tooltip="ask the servers again (no cache)")
        self.refresh.add_class("mcpnb-refresh")
        self.widget = w.VBox(
            [
                self.table,
                w.HBox([self.refresh, self.disconnect]),
                self.instructions,
                w.HTML("<b>Connect another server</b>"),
                w.HBox([self.name, self.target, self.sse, self.connect]),
                self.error,
            ]
        )
        self.connect.on_click(self.guard(lambda _b: self._connect()))
        self.disconnect.on_click(self.guard(lambda _b: self._disconnect()))
        self.refresh.on_click(self.guard(lambda _b: self.explorer.reload(refresh=True)))

    def show(self) -> None:
        hub = self.explorer.hub
        bundle = hub.servers()._repr_mimebundle_(include=["text/html"])
        self.table.value = bundle.get("text/html", "")
        server = self.explorer.server
        text = server.instructions if server is not None else None
        self.instructions.value = (
            f"<details open><summary style='{MUTED}'>instructions from {esc(server.name)}</summary>"
            f"<div style='white-space:pre-wrap'>{esc(text[:20000])}</div></details>"
            if server is not None and text
            else ""
        )

    def _connect(self) -> None:
        name, target = self.name.value.strip(), self.target.value.strip()
        if not name or not target:
            raise UsageProblem("give a name and a command (or a URL) to connect")
        hub = self.explorer.hub
        if "://" in target:
            work = hub.aconnect(name, url=target, sse=self.sse.value)
        else:
            work = hub.aconnect(name, command=shlex.split(target))
        self.connect.disabled = True
        self.show_error(None)
        future = hub.background(work)
        future.add_done_callback(lambda _f: setattr(self.connect, "disabled", False))
        self.later(future, lambda server: self.explorer.choose(server.name))

    def _disconnect(self) -> None:
        server = self.explorer.server
        if server is None:
            raise UsageProblem("no server selected")
        self.later(self.explorer.hub.background(server.aclose()), lambda _none: self.explorer.choose(None))


class LogPanel(Panel):
    """The chosen server's log and this explorer's call history, newest first."""

    def __init__(self, explorer: Explorer) -> None:
        super().__init__()
        self.explorer = explorer
        self.refresh = w.Button(description="Refresh", icon="refresh")
        self.history = w.HTML()
        self.history.add_class("mcpnb-history")
        self.log = w.HTML()
        self.log.add_class("mcpnb-log")
        self.widget = w.VBox(
            [
                self.refresh,
                w.HTML("<b>Calls from this explorer</b>"),
                self.history,
                w.HTML("<b>Server log</b>"),
                self.log,
                self.error,
            ]
        )
        self.refresh.on_click(self.guard(lambda _b: self.show()))

    def show(self) -> None:
        self.history.value = self.explorer.history.html()
        server = self.explorer.server
        if server is None:
            self.log.value = ""
            return
        view = server.log()
        rows = list(reversed(view.rows()))[:300]  # newest first
        lines = "\n".join(f"{r['time']} {r['source']:<6} {r['level']:<7} {r['text']}" for r in rows)
        self.log.value = (
            f"<pre style='white-space:pre-wrap;max-height:30em;overflow:auto'>{esc(lines or '(empty)')}</pre>"
        )


class Explorer(w.VBox):  # type: ignore[misc]
    """Browse servers, fill tool forms, run without blocking, and turn what you did into code.

    ``Explorer(hub, "demo")``; usually made by ``%mcp explore demo`` or ``mcp_notebook.explore()``.
    """

    def __init__(self, hub: Hub, server: str | None = None) -> None:
        self.hub = hub
        self.history = History()
        self.pick = w.Dropdown(description="server", style={"description_width": "initial"})
        self.pick.add_class("mcpnb-server-pick")
        self.servers = ServersPanel(self)
        self.tools = ToolsPanel(self.history)
        self.resources = ResourcesPanel()
        self.prompts = PromptsPanel()
        self.logs = LogPanel(self)
        self.tabs = w.Tab(children=[p.widget for p in self.panels], titles=list(TABS))
        super().__init__([self.pick, self.tabs])
        self.add_class("mcpnb-explorer")
        self._quiet = False
        self.pick.observe(lambda c: self._on_pick(c["new"]), names="value")
        self.tabs.observe(lambda c: self._on_tab(c["new"]), names="selected_index")
        self.choose(server)
        self.tabs.selected_index = 1 if server else 0
        # A server whose tools, prompts or resources change is listed afresh.
        self.stop_listening = hub.on("list_changed", self._on_list_changed)

    def _on_list_changed(self, server: str, kind: str) -> None:
        if server != self.pick.value:
            return
        current = self.server
        if kind == "tools":
            self.tools.load(current, refresh=True)
        elif kind == "prompts":
            self.prompts.load(current)
        else:
            self.resources.load(current)

    @property
    def panels(self) -> list[Panel]:
        return [self.servers, self.tools, self.resources, self.prompts, self.logs]

    @property
    def server(self) -> Server | None:
        name = self.pick.value
        if not name:
            return None
        try:
            return self.hub.get(name)
        except NotConnected:
            return None

    def choose(self, name: str | None) -> None:
        """Make ``name`` the server the tabs show (None: the first connected one, if any)."""
        names = self.hub.names()
        if name is not None:
            self.hub.get(name)  # raises, saying what is connected and how to connect
        self._quiet = True  # setting options and value would each reload; reload once, below
        try:
            self.pick.options = names
            self.pick.value = name if name is not None else (names[0] if names else None)
        finally:
            self._quiet = False
        self.reload()

    def _on_pick(self, _name: str | None) -> None:
        if not self._quiet:
            self.servers.guard(self.reload)()

    def reload(self, refresh: bool = False) -> None:
        server = self.server
        self.servers.show()
        self.tools.load(server, refresh=refresh)
        self.resources.load(server)
        self.prompts.load(server)
        self.logs.show()

    def _on_tab(self, index: int | None) -> None:
        if index == 0:
            self.servers.guard(self.servers.show)()
        elif index == 4:
            self.logs.guard(self.logs.show)()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every panel's background work has finished (for tests and scripts)."""
        return all(p.wait_idle(timeout) for p in self.panels)

    def __repr__(self) -> str:
        server = self.pick.value or "no server"
        return f"<Explorer {server}>"
