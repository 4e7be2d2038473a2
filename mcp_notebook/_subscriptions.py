"""Resources that change, and lists that change, in both protocol eras.

- 2025-11-25 and older: ``resources/subscribe``; updates and ``*/list_changed`` arrive as
  notifications through the client's message handler (``on_notification``).
- 2026-07-28: nothing arrives unasked; a ``listen`` stream per subscribed resource, and one for
  list changes, opened for the session's lifetime.

Either way a watcher's callback runs (on the loop) when the server says the resource changed,
and a list change drops the connection's cached listing.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from ._failures import describe_exception, leaf
from ._link import Link
from .errors import UsageProblem

__all__ = ["Subscriptions"]

_LIST_CHANGES = "*list changes*"  # the key of the list-change stream among the listen tasks


class Subscriptions:
    """A connection's resource subscriptions and list-change stream."""

    def __init__(self, link: Link, on_list_changed: Callable[[str], None]) -> None:
        self._link = link
        self._on_list_changed = on_list_changed
        self.watchers: dict[str, list[Callable[[], None]]] = {}
        """Callbacks per subscribed resource URI (carried over by a reconnect)."""
        self._listeners: dict[str, asyncio.Task[None]] = {}  # 2026-era listen streams, per URI

    async def subscribe(self, uri: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the loop) whenever the server says ``uri`` changed."""
        link = self._link
        client = link.require_client()
        caps = link.capabilities.resources if link.capabilities else None
        if caps is None or not caps.subscribe:
            raise UsageProblem(
                f"{link.name!r} does not offer resource subscriptions; read it again instead (%mcp read ...)"
            )
        first = uri not in self.watchers
        self.watchers.setdefault(uri, []).append(callback)
        if not first:
            return
        try:
            if link.modern:
                started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                task = asyncio.get_running_loop().create_task(self._listen(client, uri, started))
                self._listeners[uri] = task
                await link.request(f"subscribe to {uri}", lambda c: asyncio.shield(started), 30)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)  # resources/subscribe is 2025-era
                    await link.request(f"subscribe to {uri}", lambda c: c.subscribe_resource(uri), 30)
        except BaseException:
            self.watchers.pop(uri, None)
            listener = self._listeners.pop(uri, None)
            if listener is not None:
                listener.cancel()
            raise
        link.log.add("client", f"subscribed to {uri}")

    async def _listen(self, client: Client, uri: str, started: asyncio.Future[None]) -> None:
        from mcp.client.subscriptions import ResourceUpdated

        try:
            async with client.listen(resource_subscriptions=[uri]) as stream:
                started.set_result(None)
                async for event in stream:
                    if isinstance(event, ResourceUpdated) and event.uri == uri:
                        self.fire(uri)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # the stream broke: say so once, where the user looks
            if not started.done():
                started.set_exception(e)
            else:
                self._link.log.add(
                    "client", f"the subscription to {uri} ended: {describe_exception(leaf(e))}", "warning"
                )

    def fire(self, uri: str) -> None:
        """Tell every watcher of ``uri`` that it changed."""
        log = self._link.log
        log.add("client", f"resource updated: {uri}", "debug")
        for callback in list(self.watchers.get(uri, ())):
            try:
                callback()
            except Exception as e:  # one watcher's failure must not stop the others
                log.add("client", f"a watcher of {uri} failed: {e!r}", "warning")

    async def unsubscribe(self, uri: str, callback: Callable[[], None] | None = None) -> None:
        """Stop calling ``callback`` (or every callback) for ``uri``; the last one ends the subscription."""
        link = self._link
        callbacks = self.watchers.get(uri)
        if callbacks is None:
            raise UsageProblem(f"{link.name!r} has no subscription to {uri}")
        if callback is not None and callback in callbacks:
            callbacks.remove(callback)
        if callback is None or not callbacks:
            del self.watchers[uri]
            listener = self._listeners.pop(uri, None)
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            elif link.ready:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)
                    await link.request(f"unsubscribe from {uri}", lambda c: c.unsubscribe_resource(uri), 30)
            link.log.add("client", f"unsubscribed from {uri}")

    def listen_for_changes(self, client: Client) -> None:
        """On 2026-07-28 servers, list changes arrive only on a listen stream: open one."""
        link = self._link
        caps = link.capabilities
        if caps is None or not link.modern:
            return
        tools = bool(caps.tools and caps.tools.list_changed)
        prompts = bool(caps.prompts and caps.prompts.list_changed)
        resources = bool(caps.resources and caps.resources.list_changed)
        if not (tools or prompts or resources):
            return

        async def listen() -> None:
            from mcp.client.subscriptions import PromptsListChanged, ResourcesListChanged, ToolsListChanged

            kinds = {ToolsListChanged: "tools", PromptsListChanged: "prompts", ResourcesListChanged: "resources"}
            try:
                async with client.listen(
                    tools_list_changed=tools, prompts_list_changed=prompts, resources_list_changed=resources
                ) as stream:
                    async for event in stream:
                        kind = kinds.get(type(event))
                        if kind is not None:
                            self._on_list_changed(kind)
            except asyncio.CancelledError:
                raise
            except BaseException as e:  # a server that cannot stream changes: listings just are not refreshed
                link.log.add("client", f"no change notifications: {describe_exception(leaf(e))}", "debug")

        self._listeners[_LIST_CHANGES] = asyncio.get_running_loop().create_task(listen())

    def on_notification(self, method: str, params: Any) -> None:
        """A 2025-era notification from the message handler: list changes and resource updates
        (a 2026-era listen stream fires on its own, so those are left to it)."""
        if method.endswith("/list_changed") and _LIST_CHANGES not in self._listeners:
            self._on_list_changed(method.split("/")[1])
        elif method == "notifications/resources/updated" and str(params.uri) not in self._listeners:
            self.fire(str(params.uri))

    def stop(self) -> None:
        """Cancel every listen stream (the connection is closing)."""
        for listener in self._listeners.values():
            listener.cancel()
        self._listeners.clear()
