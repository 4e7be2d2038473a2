"""``AppView``: an App shown in a cell, and what it did (messages, model context, downloads).

Displayed, it is the App (in its sandbox) with the call's usual result below it, collapsed.
Where no widget front end runs (a notebook viewed on GitHub, nbconvert), the same output falls
back to the result as it always shows plus one line saying that an interactive view exists.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from .._bundles import with_note
from ._meta import AppResource
from ._session import AppSession

__all__ = ["AppView", "fallback_text", "with_note"]


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def fallback_text(server: str, tool: str) -> str:
    """The line shown where the App cannot run (no widget front end)."""
    return (
        f"▣ {server}.{tool} has an interactive view (an MCP App); it shows where Jupyter widgets run "
        "(JupyterLab, Notebook 7, Voilà, VS Code) when the cell is run there."
    )


class AppView:
    """An MCP App in the notebook, fed with a tool call's arguments and result.

    ``messages`` (``ui/message``), ``context`` (the latest ``ui/update-model-context``) and
    ``logs`` hold what the App said, so the next cell can use what the user did in it; each also
    fires the hub's ``app`` event. ``result`` is the call's ``ToolResult`` (None while it runs),
    ``state`` is ``waiting``, ``open`` or ``closed``; ``close()`` tears the App down.
    """

    def __init__(
        self,
        server: Any,
        tool: str,
        resource: AppResource,
        *,
        arguments: dict[str, Any],
        tool_info: dict[str, Any] | None = None,
        events: Any = None,
        sandbox: str = "auto",
        proxy: tuple[int, str] | None = None,
        max_height: int = 1000,
    ) -> None:
        import ipywidgets as widgets

        from ._widget import AppFrame

        self.server = str(server.name)
        self.tool = tool
        self.arguments = dict(arguments)
        self.resource = resource
        self.result: Any = None
        self.error: BaseException | None = None
        """What the call raised, when it ended without a result."""
        self.handle: Any = None
        """The background call (``CallHandle``) when the App was opened before its result."""
        self._events = events
        self._bundle: dict[str, Any] | None = None
        port, path = proxy or (0, "")
        self.frame = AppFrame(
            title=f"{self.server}.{tool}",
            html=resource.document,
            csp_domains=resource.csp,
            connects_to=resource.csp.get("connectDomains", []),
            prefers_border=resource.prefers_border,
            sandbox=sandbox,
            proxy_port=port,
            proxy_path=path,
            tool_info=tool_info or {},
            tool_input=self.arguments,
            max_height=max_height,
        )
        self.session = AppSession(server, tool, send=lambda message: self.frame.send(message), emit=self._emit)
        self.frame.on_msg(lambda _widget, content, _buffers: self.session.receive(content))
        self._output = widgets.Output()
        self._details = widgets.Accordion(children=(self._output,), titles=(f"{self.server}.{tool}: running",))
        self._details.selected_index = None  # the result is there, folded: the App is the view
        self._box = widgets.VBox(children=(self.frame, self._details))
        self._box.add_class("mcpnb-app-view")

    # -- what the App did --------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.session.state

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.session.messages

    @property
    def context(self) -> dict[str, Any] | None:
        return self.session.context

    @property
    def logs(self) -> list[dict[str, Any]]:
        return self.session.logs

    @property
    def refused(self) -> list[dict[str, Any]]:
        """The App's requests that were refused (forbidden tools, declined links, …)."""
        return self.session.refused

    @property
    def saved(self) -> list[Any]:
        """Files saved for the App (``ui/download-file``, after the user agreed)."""
        return self.session.saved

    @property
    def sandbox(self) -> str | None:
        """How the front end isolates the App: ``proxy`` (a separate origin) or ``srcdoc``."""
        modes = [v.get("sandbox") for v in self.session.views.values() if v.get("sandbox")]
        return modes[0] if modes else None

    # -- the call's outcome ----------------------------------------------------------------------

    def set_result(self, result: Any) -> None:
        """Give the App the call's result (``ui/notifications/tool-result``) and show it below."""
        self.result = result
        bundle = result._repr_mimebundle_()
        self._bundle = bundle if isinstance(bundle, dict) else None
        dump = result.raw.model_dump(by_alias=True, mode="json", exclude_none=True)
        self.frame.tool_result = dump
        self._show(self._bundle or {"text/plain": repr(result)})
        kind = "tool error" if result.is_error else "result"
        self._details.set_title(0, f"{self.server}.{self.tool}: {kind}")

    def set_failed(self, error: BaseException | None) -> None:
        """The call ended without a result (cancelled, failed): ``ui/notifications/tool-cancelled``."""
        self.error = error
        reason = "cancelled" if error is None else f"{type(error).__name__}: {error}"
        self.frame.tool_cancelled = reason
        self._bundle = {"text/plain": f"{self.server}.{self.tool}: {reason}"}
        self._show(self._bundle)
        self._details.set_title(0, f"{self.server}.{self.tool}: {reason}"[:200])

    def _show(self, bundle: dict[str, Any]) -> None:
        self._output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    def _finished(self, handle: Any) -> None:
        # on the loop thread: only quick widget updates
        if handle.cancelled():
            self.set_failed(None)
        elif (error := handle.exception()) is not None:
            self.set_failed(error)
        else:
            self.set_result(handle.result())

    # -- the lifecycle -----------------------------------------------------------------------------

    def close(self, reason: str = "closed from Python") -> None:
        """Tear the App down (``ui/resource-teardown``, then the frame is removed)."""
        self.session.close(reason)

    def _emit(self, kind: str, **data: Any) -> None:
        if kind == "closed":
            self.frame.closed = str(data.get("reason") or "closed")
            self.frame.html = ""  # the document is not needed any more (views show the reason)
        if self._events is not None:
            self._events.emit("app", server=self.server, tool=self.tool, kind=kind, data=data, app=self)

    # -- display -----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<AppView {self.server}.{self.tool} {self.state}>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        base = self._bundle or {"text/plain": f"{self.server}.{self.tool} (running)"}
        plain = html.escape(str(base.get("text/plain", "")))
        data = with_note({"text/html": f"<pre>{plain}</pre>", **base}, fallback_text(self.server, self.tool))
        data[WIDGET_MIME] = {"version_major": 2, "version_minor": 0, "model_id": self._box.model_id}
        keep = set(data) if include is None else set(include)
        drop = set(exclude or ())
        return {k: v for k, v in data.items() if k in keep and k not in drop}
