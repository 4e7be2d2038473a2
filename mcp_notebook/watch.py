"""A subscribed resource: ``Watch``, what ``server.watch(uri)`` and ``%mcp subscribe`` return.

It reads the resource once, then again each time the server says it changed. Displayed, it is an
output that updates in place; ``on_change(fn)`` calls ``fn(result)`` on each new version (on the
loop thread: keep it quick); ``stop()`` ends the subscription.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from .render import MUTED, esc
from .results import ResourceResult, mimebundle

__all__ = ["Watch", "Watched"]

T = TypeVar("T")


class Watched(Protocol):
    """What a watch needs of its server: its public face (``Server`` is one)."""

    name: str

    async def aread(self, uri: str, *, timeout: float | None = None) -> ResourceResult: ...

    def background(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]: ...

    def unwatch(self, uri: str, callback: Callable[[], None] | None = None) -> None: ...


class Watch:
    def __init__(self, server: Watched, uri: str) -> None:
        self.server = server
        self.uri = uri
        self.latest: ResourceResult | None = None
        self.updates = 0
        """How many times the server said the resource changed."""
        self.active = False
        self.changed = threading.Event()
        """Set on each new version (tests and scripts may wait on it, then clear it)."""
        self._listeners: list[Callable[[ResourceResult], None]] = []
        self._views: list[Any] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "watching" if self.active else "stopped"
        return f"<Watch {self.server.name} {self.uri} {state}, {self.updates} updates>"

    # -- wiring ------------------------------------------------------------------------------------

    def _on_server_change(self) -> None:
        """On the loop: the server said the resource changed; read it again, without blocking."""
        self.updates += 1
        future = self.server.background(self.server.aread(self.uri))
        future.add_done_callback(lambda f: None if f.cancelled() or f.exception() else self._show(f.result()))

    def _show(self, result: ResourceResult) -> None:
        self.latest = result
        with self._lock:
            listeners, views = list(self._listeners), list(self._views)
        for view in views:
            _render(view, self)
        for listener in listeners:
            try:
                listener(result)
            except Exception:  # a user listener's bug must not end the watch
                import logging

                logging.getLogger("mcp_notebook").exception("mcp_notebook: a watch listener failed")
        self.changed.set()

    # -- the user's side ---------------------------------------------------------------------------

    def on_change(self, fn: Callable[[ResourceResult], None]) -> None:
        """Call ``fn(result)`` with each new version (on the loop thread: keep it quick)."""
        with self._lock:
            self._listeners.append(fn)

    def stop(self) -> None:
        """End the subscription (the last version stays shown)."""
        if self.active:
            self.active = False
            self.server.unwatch(self.uri, self._on_server_change)

    def _ipython_display_(self) -> None:
        import ipywidgets as w
        from IPython.display import display

        view = w.VBox([w.HTML(), w.Output()])
        view.add_class("mcpnb-watch")
        with self._lock:
            self._views.append(view)
        _render(view, self)
        display(view)  # type: ignore[no-untyped-call]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        head = f"{self.server.name}: {self.uri} ({'watching' if self.active else 'stopped'}, {self.updates} updates)"
        bundle = {"text/plain": head}
        if self.latest is not None:
            bundle = {**self.latest._repr_mimebundle_(), "text/plain": head}
        return mimebundle(bundle, include, exclude)


def _render(view: Any, watch: Watch) -> None:
    header, output = view.children
    state = "👁 watching" if watch.active else "stopped"
    header.value = (
        f"<span style='{MUTED}'>{esc(state)} {esc(watch.server.name)}: {esc(watch.uri)} · "
        f"{watch.updates} update{'s' if watch.updates != 1 else ''}</span>"
    )
    output.outputs = ()
    if watch.latest is not None:
        output.append_display_data(watch.latest)
