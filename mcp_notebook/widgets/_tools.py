"""The Tools tab: search, pick, fill the form, run without blocking, see the result, copy as code."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .. import frames
from .._schema import SchemaChecker, describe_params
from ..api import Server
from ..background import CallHandle
from ..render import MUTED, esc
from ..views.answers import WidgetAsker
from ..views.forms import SchemaForm
from ..views.layout import button_layout, show_in, task_words
from ._codegen import magic_code, python_code
from ._common import CodeBox, History, Panel

__all__ = ["ToolsPanel"]

BADGES = {
    "read_only_hint": ("read-only", "#2e7d32"),
    "destructive_hint": ("destructive", "#c62828"),
    "idempotent_hint": ("idempotent", "#1565c0"),
    "open_world_hint": ("open-world", "#6a1b9a"),
}


def _badges(tool: Any) -> str:
    ann = getattr(tool, "annotations", None)
    if ann is None:
        return ""
    out = []
    for attr, (label, colour) in BADGES.items():
        if getattr(ann, attr, None):
            out.append(
                f"<span style='border:1px solid {colour};color:{colour};border-radius:3px;"
                f"padding:0 4px;margin-right:4px;font-size:0.8em'>{label}</span>"
            )
    return "".join(out)


def problem_line(missing: list[tuple[str, ...]], trouble: str) -> str:
    """One line for arguments that cannot go out: the required ones left empty, by name, then
    whatever else is wrong."""
    parts = []
    if missing:
        names = ", ".join(".".join(path) for path in missing)
        parts.append(f"missing required argument{'s' if len(missing) > 1 else ''} {names}")
    if trouble:
        parts.append(trouble)
    return "; ".join(parts)


class ToolsPanel(Panel):
    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history
        self.server: Server | None = None
        self.tools: dict[str, Any] = {}
        self.forms: dict[str, SchemaForm] = {}
        self.checker = SchemaChecker()
        self.handle: CallHandle | None = None
        self.last_result: Any = None

        self.search = w.Text(placeholder="search tools", layout=w.Layout(width="98%"), continuous_update=True)
        self.search.add_class("mcpnb-tool-search")
        self.list = w.Select(options=[], rows=14, layout=w.Layout(width="98%"))
        self.list.add_class("mcpnb-tool-list")
        self.count = w.HTML()
        self.details = w.HTML()
        self.details.add_class("mcpnb-tool-details")
        self.form_box = w.VBox()
        self.run = w.Button(description="Run", button_style="primary", icon="play", layout=button_layout())
        self.run.add_class("mcpnb-run")
        self.cancel = w.Button(description="Cancel", icon="stop", disabled=True, layout=button_layout())
        self.cancel.add_class("mcpnb-cancel")
        self.copy = w.Button(description="Copy as code", icon="code", layout=button_layout("10em"))
        self.copy.add_class("mcpnb-copy")
        self.progress = w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="12em", visibility="hidden"))
        self.progress.add_class("mcpnb-progress")
        self.status = w.HTML(layout=w.Layout(width="auto", min_width="12em"))
        self.status.add_class("mcpnb-status")
        # Wide tables scroll inside the panel instead of being cut off at its edge.
        self.result = w.Output(layout=w.Layout(width="100%", overflow="auto"))
        self.result.add_class("mcpnb-result-area")
        self.as_frame = w.Button(
            description="DataFrame view", icon="table", layout=w.Layout(display="none", width="auto")
        )
        self.as_frame.add_class("mcpnb-dataframe")
        self.code = CodeBox()
        self.questions = w.VBox()  # the server's questions during a run (elicitation, sampling)

        left = w.VBox([self.search, self.count, self.list], layout=w.Layout(width="34%"))
        actions = w.HBox([self.run, self.cancel, self.copy, self.progress, self.status])
        right = w.VBox(
            [
                self.details,
                self.form_box,
                actions,
                self.questions,
                self.error,
                self.result,
                self.as_frame,
                self.code.widget,
            ],
            layout=w.Layout(width="66%", padding="0 0 0 10px"),
        )
        self.widget = w.HBox([left, right])

        self.search.observe(self.guard(lambda _c: self._filter()), names="value")
        self.list.observe(self.guard(lambda c: self._select(c["new"])), names="value")
        self.run.on_click(self.guard(lambda _b: self._run()))
        self.cancel.on_click(self.guard(lambda _b: self._cancel()))
        self.copy.on_click(self.guard(lambda _b: self._copy()))
        self.as_frame.on_click(self.guard(lambda _b: self._show_frame()))

    # -- loading -----------------------------------------------------------------------------------

    def load(self, server: Server | None, refresh: bool = False) -> None:
        self.server = server
        self.show_error(None)
        if server is None:
            self._populate({})
            return
        future = server.background(server.atools(refresh=refresh))
        self.later(future, lambda listing: self._populate({t.name: t for t in listing}))

    def _populate(self, tools: dict[str, Any]) -> None:
        self.tools = tools
        self.forms.clear()
        self._filter()

    def _filter(self) -> None:
        words = self.search.value.lower().split()
        options = []
        for name, tool in self.tools.items():
            haystack = f"{name} {tool.title or ''} {tool.description or ''}".lower()
            if all(word in haystack for word in words):
                title = tool.title or ""
                options.append((f"{name} — {title}" if title and title != name else name, name))
        current = self.list.value
        self.list.options = options
        self.count.value = f"<span style='{MUTED}'>{len(options)} of {len(self.tools)} tools</span>"
        if current in [v for _, v in options]:
            self.list.value = current
        elif options and current is None:
            self.list.value = options[0][1]

    # -- one tool ----------------------------------------------------------------------------------

    def _select(self, name: str | None) -> None:
        tool = self.tools.get(name) if name else None
        if tool is None:
            self.details.value = ""
            self.form_box.children = ()
            return
        heading = f"<h4 style='margin:4px 0'>{esc(tool.name)}</h4>"
        if tool.title and tool.title != tool.name:
            heading += f"<div><b>{esc(tool.title)}</b></div>"
        desc = f"<div style='white-space:pre-wrap;margin:4px 0'>{esc((tool.description or '').strip())}</div>"
        params = describe_params(tool.input_schema)
        args = f"<div style='{MUTED}'>arguments: {esc(params) or 'none'}</div>"
        self.details.value = heading + _badges(tool) + desc + args
        if tool.name not in self.forms:
            self.forms[tool.name] = SchemaForm(tool.input_schema)
        self.form_box.children = (self.forms[tool.name].widget,)
        self.show_error(None)

    @property
    def form(self) -> SchemaForm | None:
        name = self.list.value
        return self.forms.get(name) if name else None

    def arguments(self, sending: bool = False) -> dict[str, Any] | None:
        """The form's arguments, or None after showing what is wrong with them (and, when
        ``sending``, that nothing was sent)."""
        form, name = self.form, self.list.value
        then = " — nothing was sent" if sending else ""
        if form is None or name is None:
            self.show_error("pick a tool first")
            return None
        try:
            args = form.values()
        except ValueError:
            missing = form.missing()
            form.show_errors([(path, "required") for path in missing])
            self.show_error(problem_line(missing, "some values cannot be read (see below)") + then)
            return None
        problems = self.checker.field_errors(self.tools[name].input_schema, args)
        missing = form.missing()
        missing += [path for path, message in problems if message == "required" and path not in missing]
        others = [(path, message) for path, message in problems if message != "required"]
        if missing or others:
            form.show_errors([*((path, "required") for path in missing), *others])
            count = len(others)
            more = "more " if missing else ""
            trouble = f"{count} {more}argument{'s' if count > 1 else ''} to fix" if count else ""
            self.show_error(problem_line(missing, trouble) + then)
            return None
        self.show_error(None)
        return args

    def _copy(self) -> None:
        args = self.arguments()
        if args is None or self.server is None:
            return
        name = str(self.list.value)
        self.code.show(
            magic_code("call", f"{self.server.name}.{name}", args),
            python_code(self.server.name, "call", name, args),
        )

    # -- running -------------------------------------------------------------------------------------

    def _run(self) -> None:
        if self.server is None:
            self.show_error("no server selected")
            return
        args = self.arguments(sending=True)
        if args is None:
            self.status.value = ""  # the last run's "✓ ok" is not about these arguments
            return
        name = str(self.list.value)
        self.idle.clear()
        self.result.outputs = ()
        self.as_frame.layout.display = "none"
        self.progress.value, self.progress.max = 0, 1
        self.progress.bar_style = ""
        self.progress.layout.visibility = "visible"
        self.status.value = f"<span style='{MUTED}'>⏳ running {esc(name)}…</span>"
        self.run.disabled, self.cancel.disabled = True, False
        self.code.show(
            magic_code("call", f"{self.server.name}.{name}", args),
            python_code(self.server.name, "call", name, args),
        )
        try:
            handle = self.server.submit(name, args)
        except Exception:
            self.run.disabled, self.cancel.disabled = False, True
            self.progress.layout.visibility = "hidden"
            self.status.value = ""
            self.idle.set()
            raise
        self.handle = handle
        handle.asker = WidgetAsker(self.questions)
        handle.on_progress(self._on_progress)
        handle.on_task(self._on_task)
        handle.add_done_callback(self.guard(self._on_done))

    def _on_progress(self, value: float, total: float | None, message: str | None) -> None:
        if total:
            self.progress.max = total
            self.progress.value = min(value, total)
        note = f" — {esc(message)}" if message else ""
        shown = f"{value:g}/{total:g}" if total else f"{value:g}"
        self.status.value = f"<span style='{MUTED}'>⏳ {shown}{note}</span>"

    def _on_task(self, state: Any) -> None:
        # A tool that runs as a task: its id, status and the server's message (Cancel cancels it).
        self.status.value = f"<span style='{MUTED}'>{esc(task_words(state))}</span>"

    def _cancel(self) -> None:
        if self.handle is not None and not self.handle.done():
            self.status.value = f"<span style='{MUTED}'>cancelling…</span>"
            self.handle.cancel()  # its done-callback (run at once) says "cancelled"

    def _on_done(self, handle: CallHandle) -> None:
        try:
            self.run.disabled, self.cancel.disabled = False, True
            self.progress.layout.visibility = "hidden"
            seconds = handle.elapsed
            if handle.cancelled():
                self.status.value = f"<span style='{MUTED}'>cancelled after {seconds:.1f} s</span>"
                self.history.add_run(handle.name, "cancelled", seconds)
                return
            exc = handle.exception()
            if exc is not None:
                self.status.value = ""
                self.show_error(str(exc))
                self.history.add_run(handle.name, "failed", seconds)
                return
            result = handle.result()
            self.last_result = result
            show_in(self.result, result)
            state = "tool error" if result.is_error else "ok"
            mark = "✗" if result.is_error else "✓"
            self.status.value = f"<span style='{MUTED}'>{mark} {state} in {seconds:.2f} s</span>"
            self.history.add_run(handle.name, state, result.duration)
            if not result.is_error and result.data is not None and frames.tabular(result.data) is not None:
                self.as_frame.layout.display = ""
        finally:
            self.idle.set()

    def _show_frame(self) -> None:
        if self.last_result is not None:
            self.result.append_display_data(self.last_result.to_dataframe())
