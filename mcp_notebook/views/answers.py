"""Server questions answered in widgets, for calls that do not block the kernel.

A blocking call asks through ``input()`` (widget clicks cannot arrive while a cell runs); the
explorer and background handles ask here instead: a form built from ``requestedSchema`` with
Accept / Decline / Cancel, a consent step that shows a link's domain before the link, or the
conversation a server wants an LLM reply to, with a reply box.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w
import mcp_types as types

from .._schema import SchemaChecker
from ..asking import Ask, apply_defaults
from ..render import MUTED, esc
from .forms import SchemaForm

__all__ = ["WidgetAsker"]

_BOX = w.Layout(border="2px solid #f0ad4e", padding="6px 10px", margin="6px 0")


class WidgetAsker:
    """Puts each question into ``container`` (a Box) and waits for the user's click."""

    def __init__(self, container: w.Box) -> None:
        self.container = container
        self.checker = SchemaChecker()
        self.pending: list[w.Widget] = []

    def _show(self, box: w.Widget) -> None:
        self.pending.append(box)
        self.container.children = (*self.container.children, box)

    def _remove(self, box: w.Widget) -> None:
        if box in self.pending:
            self.pending.remove(box)
        self.container.children = tuple(c for c in self.container.children if c is not box)

    async def _wait(self, build: Any) -> Any:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()

        def settle(value: Any) -> None:
            if not answer.done():
                answer.set_result(value)

        def reply(value: Any) -> None:  # called from a click, in the kernel's main thread
            loop.call_soon_threadsafe(settle, value)

        box = build(reply)
        box.add_class("mcpnb-ask")
        self._show(box)
        try:
            return await answer
        finally:
            self._remove(box)

    async def elicit(self, ask: Ask) -> types.ElicitResult:
        if ask.mode == "url":
            result: types.ElicitResult = await self._wait(lambda reply: self._url_box(ask, reply))
        else:
            result = await self._wait(lambda reply: self._form_box(ask, reply))
        return result

    def _form_box(self, ask: Ask, reply: Any) -> w.VBox:
        form = SchemaForm(ask.schema)
        note = w.HTML()
        accept = w.Button(description="Accept", button_style="success", icon="check")
        decline = w.Button(description="Decline", icon="times")
        cancel = w.Button(description="Cancel")
        for button, css in ((accept, "mcpnb-accept"), (decline, "mcpnb-decline"), (cancel, "mcpnb-dismiss")):
            button.add_class(css)

        def on_accept(_b: Any) -> None:
            try:
                content = apply_defaults(ask.schema, form.values())
            except ValueError:
                return
            problems = self.checker.field_errors(ask.schema, content)
            if problems:
                form.show_errors(problems)
                empty = [".".join(path) for path, message in problems if message == "required"]
                say = f"fill in {', '.join(empty)}; " if empty else ""
                note.value = f"<span style='color:#d9534f'>{esc(say)}fix the fields marked above</span>"
                return
            reply(types.ElicitResult(action="accept", content=content))

        accept.on_click(on_accept)
        decline.on_click(lambda _b: reply(types.ElicitResult(action="decline")))
        cancel.on_click(lambda _b: reply(types.ElicitResult(action="cancel")))
        head = w.HTML(f"<b>🔸 {esc(ask.server)} asks:</b> {esc(ask.message)}")
        return w.VBox([head, form.widget, w.HBox([accept, decline, cancel]), note], layout=_BOX)

    def _url_box(self, ask: Ask, reply: Any) -> w.VBox:
        parts = urlsplit(ask.url or "")
        head = w.HTML(
            f"<b>🔸 {esc(ask.server)} asks you to visit a page on</b>"
            f"<div style='font-size:1.4em;font-weight:bold;margin:4px 0'>{esc(parts.hostname or '(no host)')}</div>"
            f"<div>{esc(ask.message)}</div>"
        )
        link = w.HTML()
        consent = w.Button(description=f"Open {parts.hostname or 'the link'}", button_style="warning")
        consent.add_class("mcpnb-accept")
        decline = w.Button(description="Decline")
        decline.add_class("mcpnb-decline")

        def on_consent(_b: Any) -> None:
            # Only now is the link shown, and only an http(s) one is made clickable.
            url = ask.url or ""
            if parts.scheme in ("http", "https"):
                link.value = f"<a href='{esc(url)}' target='_blank' rel='noopener noreferrer'>{esc(url)}</a>"
            else:
                link.value = f"<code>{esc(url)}</code> <span style='{MUTED}'>(not a web link; not opened)</span>"
            reply(types.ElicitResult(action="accept"))

        consent.on_click(on_consent)
        decline.on_click(lambda _b: reply(types.ElicitResult(action="decline")))
        return w.VBox([head, w.HBox([consent, decline]), link], layout=_BOX)

    async def sample(self, server: str, params: types.CreateMessageRequestParams) -> types.CreateMessageResult | None:
        result: types.CreateMessageResult | None = await self._wait(
            lambda reply: self._sample_box(server, params, reply)
        )
        return result

    def _sample_box(self, server: str, params: types.CreateMessageRequestParams, reply: Any) -> w.VBox:
        lines = []
        if params.system_prompt:
            lines.append(f"<div><i>system:</i> {esc(params.system_prompt)}</div>")
        for message in params.messages:
            text = getattr(message.content, "text", None) or f"[{getattr(message.content, 'type', 'content')}]"
            lines.append(
                f"<div><b>{esc(message.role)}:</b> <span style='white-space:pre-wrap'>{esc(text)}</span></div>"
            )
        head = w.HTML(
            f"<b>🔸 {esc(server)} asks for an LLM reply</b> "
            f"<span style='{MUTED}'>(up to {params.max_tokens} tokens)</span>" + "".join(lines)
        )
        text = w.Textarea(placeholder="your reply", layout=w.Layout(width="95%", height="5em"))
        send = w.Button(description="Send reply", button_style="success")
        send.add_class("mcpnb-accept")
        decline = w.Button(description="Decline")
        decline.add_class("mcpnb-decline")

        def on_send(_b: Any) -> None:
            if text.value.strip():
                reply(
                    types.CreateMessageResult(
                        role="assistant",
                        content=types.TextContent(type="text", text=text.value),
                        model="human",
                        stop_reason="endTurn",
                    )
                )

        send.on_click(on_send)
        decline.on_click(lambda _b: reply(None))
        return w.VBox([head, text, w.HBox([send, decline])], layout=_BOX)
