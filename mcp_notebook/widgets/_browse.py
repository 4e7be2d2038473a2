"""The Resources and Prompts tabs: list, fill in, fetch, preview, copy as code."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import ipywidgets as w

from .. import frames
from ..api import Server
from ..render import MUTED, esc
from ._codegen import magic_code, python_code
from ._common import CodeBox, Panel

__all__ = ["PromptsPanel", "ResourcesPanel", "expand_template"]

_VAR = re.compile(r"\{([+#./;?&]?)([A-Za-z0-9_.,*]+)\}")


def template_variables(template: str) -> list[str]:
    names: list[str] = []
    for _op, spec in _VAR.findall(template):
        for name in spec.split(","):
            name = name.rstrip("*")
            if name and name not in names:
                names.append(name)
    return names


def expand_template(template: str, values: dict[str, str]) -> str:
    """RFC 6570 level 1–2 expansion (``{var}``, ``{+var}``) of a resource template."""

    def one(match: re.Match[str]) -> str:
        op, spec = match.groups()
        parts = [values.get(n.rstrip("*"), "") for n in spec.split(",")]
        safe = "/:?#[]@!$&'()*+,;=" if op in ("+", "#") else ""
        text = ",".join(quote(p, safe=safe) for p in parts)
        return ("#" + text) if op == "#" and text else text

    return _VAR.sub(one, template)


class ResourcesPanel(Panel):
    def __init__(self) -> None:
        super().__init__()
        self.server: Server | None = None
        self.resources: list[Any] = []
        self.templates: list[Any] = []
        self.last: Any = None

        self.list = w.Select(options=[], rows=8, layout=w.Layout(width="98%"))
        self.list.add_class("mcpnb-resource-list")
        self.template_list = w.Select(options=[], rows=4, layout=w.Layout(width="98%"))
        self.template_list.add_class("mcpnb-template-list")
        self.variables = w.VBox()
        self.read = w.Button(description="Read", icon="download", button_style="primary")
        self.read.add_class("mcpnb-read")
        self.read_template = w.Button(description="Read template", icon="download")
        self.read_template.add_class("mcpnb-read-template")
        self.preview = w.Output(layout=w.Layout(width="100%", overflow="auto"))
        self.preview.add_class("mcpnb-result-area")
        self.as_frame = w.Button(description="DataFrame view", icon="table", layout=w.Layout(display="none"))
        self.status = w.HTML()
        self.code = CodeBox()
        left = w.VBox(
            [
                w.HTML("<b>Resources</b>"),
                self.list,
                self.read,
                w.HTML("<b>Templates</b>"),
                self.template_list,
                self.variables,
                self.read_template,
            ],
            layout=w.Layout(width="40%"),
        )
        right = w.VBox(
            [self.status, self.error, self.preview, self.as_frame, self.code.widget],
            layout=w.Layout(width="60%", padding="0 0 0 10px"),
        )
        self.widget = w.HBox([left, right])
        self.template_list.observe(self.guard(lambda c: self._template_form(c["new"])), names="value")
        self.read.on_click(self.guard(lambda _b: self._read(self.list.value)))
        self.read_template.on_click(self.guard(lambda _b: self._read(self._template_uri())))
        self.as_frame.on_click(self.guard(lambda _b: self._show_frame()))

    def load(self, server: Server | None) -> None:
        self.server = server
        self.show_error(None)
        if server is None:
            self.list.options, self.template_list.options = [], []
            return
        hub = server._hub

        async def both() -> tuple[Any, Any]:
            return await server.aresources(), await server.atemplates()

        self.later(hub.background(both()), self._populate)

    def _populate(self, found: tuple[Any, Any]) -> None:
        resources, templates = found
        self.resources, self.templates = list(resources), list(templates)
        self.list.options = [(f"{r.title or r.name} — {r.uri}", str(r.uri)) for r in self.resources]
        self.template_list.options = [(t.title or t.name or t.uri_template, t.uri_template) for t in self.templates]
        if not resources.offered and self.server is not None:
            self.status.value = f"<span style='{MUTED}'>{esc(self.server.name)} offers no resources</span>"
        if not self.templates:
            self.variables.children = (w.HTML(f"<span style='{MUTED}'>no templates</span>"),)

    def _template_form(self, template: str | None) -> None:
        if not template:
            self.variables.children = ()
            return
        fields = []
        for name in template_variables(template):
            field = w.Text(description=name, style={"description_width": "initial"})
            field.add_class(f"mcpnb-var-{name}")
            fields.append(field)
        self.variables.children = tuple(fields)

    def _template_uri(self) -> str | None:
        template = self.template_list.value
        if not template:
            self.show_error("pick a template first")
            return None
        values = {f.description: f.value for f in self.variables.children if isinstance(f, w.Text)}
        empty = [k for k, v in values.items() if not v]
        if empty:
            self.show_error(f"fill in {', '.join(empty)}")
            return None
        return expand_template(template, values)

    def _read(self, uri: str | None) -> None:
        if not uri or self.server is None:
            if not uri:
                self.show_error("pick a resource first")
            return
        self.show_error(None)
        self.preview.outputs = ()
        self.as_frame.layout.display = "none"
        self.status.value = f"<span style='{MUTED}'>reading {esc(uri)}…</span>"
        self.code.show(f"%mcp read {self.server.name} {uri}", python_code(self.server.name, "read", uri, {}))
        future = self.server._hub.background(self.server.aread(uri))
        self.later(future, self._show)

    def _show(self, result: Any) -> None:
        self.last = result
        self.status.value = f"<span style='{MUTED}'>{esc(result.uri)} · {esc(result.mime_type or 'no type')}</span>"
        self.preview.append_display_data(result)
        if frames.kind_of_text(result.mime_type, result.uri) is not None:
            self.as_frame.layout.display = ""

    def _show_frame(self) -> None:
        if self.last is not None:
            self.preview.append_display_data(self.last.to_dataframe())


class PromptsPanel(Panel):
    def __init__(self) -> None:
        super().__init__()
        self.server: Server | None = None
        self.prompts: dict[str, Any] = {}
        self.list = w.Select(options=[], rows=10, layout=w.Layout(width="98%"))
        self.list.add_class("mcpnb-prompt-list")
        self.details = w.HTML()
        self.fields = w.VBox()
        self.get = w.Button(description="Get", icon="comments", button_style="primary")
        self.get.add_class("mcpnb-get")
        self.preview = w.Output(layout=w.Layout(width="100%"))
        self.preview.add_class("mcpnb-result-area")
        self.code = CodeBox()
        right = w.VBox(
            [self.details, self.fields, self.get, self.error, self.preview, self.code.widget],
            layout=w.Layout(width="66%", padding="0 0 0 10px"),
        )
        self.widget = w.HBox([w.VBox([self.list], layout=w.Layout(width="34%")), right])
        self.list.observe(self.guard(lambda c: self._select(c["new"])), names="value")
        self.get.on_click(self.guard(lambda _b: self._get()))

    def load(self, server: Server | None) -> None:
        self.server = server
        self.show_error(None)
        if server is None:
            self.list.options = []
            return
        self.later(server._hub.background(server.aprompts()), self._populate)

    def _populate(self, listing: Any) -> None:
        self.prompts = {p.name: p for p in listing}
        self.list.options = [(f"{p.name} — {p.title}" if p.title else p.name, p.name) for p in listing]

    def _select(self, name: str | None) -> None:
        prompt = self.prompts.get(name) if name else None
        if prompt is None:
            self.details.value, self.fields.children = "", ()
            return
        self.details.value = (
            f"<h4 style='margin:4px 0'>{esc(prompt.name)}</h4>"
            f"<div style='white-space:pre-wrap'>{esc(prompt.description or '')}</div>"
        )
        fields = []
        for arg in prompt.arguments or []:
            field = w.Text(
                description=f"{arg.name} *" if arg.required else arg.name,
                placeholder=arg.description or "",
                style={"description_width": "initial"},
                layout=w.Layout(width="95%"),
            )
            field.add_class(f"mcpnb-field-{arg.name}")
            field.argument = arg.name
            fields.append(field)
        self.fields.children = tuple(fields)

    def arguments(self) -> dict[str, str]:
        return {f.argument: f.value for f in self.fields.children if getattr(f, "argument", None) and f.value}

    def _get(self) -> None:
        name = self.list.value
        if not name or self.server is None:
            self.show_error("pick a prompt first")
            return
        args = self.arguments()
        self.show_error(None)
        self.preview.outputs = ()
        self.code.show(
            magic_code("prompt", f"{self.server.name}.{name}", args),
            python_code(self.server.name, "prompt", name, args),
        )
        future = self.server._hub.background(self.server.aprompt(name, args))
        self.later(future, self.preview.append_display_data)
