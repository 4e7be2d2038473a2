"""What a server offers — tools, prompts, resources, templates — and reading and getting them.

Tool and prompt listings are cached on the connection (a list change drops them); resource
listings and reads go through the SDK's response cache, which honours the server's ``ttlMs``
(``refresh`` asks again and replaces the cached entry). A server that declares a kind but answers
its listing with "method not found" is remembered as not offering it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import mcp_types as types

from ._link import Link
from .errors import ServerError, UsageProblem, did_you_mean

__all__ = ["Catalog"]

T = TypeVar("T")
_PAGE_CAP = 100  # a paginator that never ends must not hang a listing


class Catalog:
    """One connection's view of what its server offers."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._tools: dict[str, types.Tool] | None = None
        self._prompts: dict[str, types.Prompt] | None = None
        self._not_offered: set[str] = set()  # listings the server answered with "method not found"

    def forget(self, kind: str) -> None:
        """The server said its ``kind`` list changed: ask again next time."""
        if kind == "tools":
            self._tools = None
        elif kind == "prompts":
            self._prompts = None

    def offers(self, kind: str) -> bool:
        """Whether the server offers ``kind`` (tools, resources, templates, prompts): it declared the
        capability, and did not answer the listing with "method not found" (some declare more than
        they serve). Before the handshake, True: the request itself will say what is wrong."""
        if kind in self._not_offered:
            return False
        caps = self._link.capabilities
        if caps is None:
            return True
        declared = {"tools": caps.tools, "prompts": caps.prompts}.get(kind, caps.resources)
        return declared is not None

    async def _offered(self, kind: str, fetch: Callable[[], Awaitable[list[T]]]) -> list[T]:
        """``fetch()``, or an empty list when the server does not offer ``kind``."""
        if not self.offers(kind):
            return []
        try:
            return await fetch()
        except ServerError as e:
            if e.code != types.METHOD_NOT_FOUND:
                raise
            self._not_offered.add(kind)
            self._link.log.add(
                "client", f"the server declares {kind} but does not serve them (method not found)", "warning"
            )
            return []

    async def _list(self, kind: str, what: str, method: str, field: str, refresh: bool, timeout: float | None) -> Any:
        mode: Any = "refresh" if refresh else "use"
        return await self._offered(
            kind,
            lambda: self._link.request(
                f"list {what} of {self._link.name}",
                lambda c: _all_pages(lambda cursor: getattr(c, method)(cursor=cursor, cache_mode=mode), field),
                timeout,
            ),
        )

    # -- tools ------------------------------------------------------------------------------------

    async def tools(self, *, refresh: bool = False, timeout: float | None = None) -> dict[str, types.Tool]:
        if self._tools is None or refresh:
            pages = await self._list("tools", "tools", "list_tools", "tools", refresh, timeout)
            self._tools = {t.name: t for t in pages}
        return self._tools

    def cached_tool(self, name: str) -> types.Tool | None:
        """The tool's listing if it is cached (no request; safe from any thread)."""
        tools = self._tools
        return tools.get(name) if tools is not None else None

    def cached_tools(self) -> dict[str, types.Tool]:
        """The cached tool listing (empty before the first); no request, safe from any thread."""
        return dict(self._tools or {})

    async def tool(self, name: str, *, timeout: float | None = None) -> types.Tool:
        """The tool's listing, with a did-you-mean error when the server has no such tool."""
        tools = await self.tools(timeout=timeout)
        if name not in tools and self.offers("tools"):
            tools = await self.tools(refresh=True, timeout=timeout)  # it may have just appeared
        server = self._link.name
        if not self.offers("tools"):
            raise UsageProblem(f"{server} offers no tools, so it has no {name!r}")
        if name not in tools:
            hint = f"`%mcp tools {server}` lists its {len(tools)} tools"
            raise UsageProblem(f"no tool {name!r} on {server!r}{did_you_mean(name, tools, hint)}")
        return tools[name]

    # -- resources ----------------------------------------------------------------------------------

    async def resources(self, *, refresh: bool = False, timeout: float | None = None) -> list[types.Resource]:
        return list(await self._list("resources", "resources", "list_resources", "resources", refresh, timeout))

    async def templates(self, *, refresh: bool = False, timeout: float | None = None) -> list[types.ResourceTemplate]:
        return list(
            await self._list(
                "templates", "resource templates", "list_resource_templates", "resource_templates", refresh, timeout
            )
        )

    async def read(self, uri: str, *, refresh: bool = False, timeout: float | None = None) -> types.ReadResourceResult:
        server = self._link.name
        mode: Any = "refresh" if refresh else "use"
        no_resources = f"{server} offers no resources, so it cannot read {uri}"
        if not self.offers("resources"):
            raise UsageProblem(no_resources)
        try:
            return await self._link.request(
                f"read {uri} from {server}", lambda c: c.read_resource(uri, cache_mode=mode), timeout
            )
        except ServerError as e:
            if e.code == types.METHOD_NOT_FOUND:
                raise ServerError(no_resources, e.code) from e
            if e.code in (types.INVALID_PARAMS, -32002):  # -32002: "resource not found" before 2025-11
                raise ServerError(
                    f"{e}; `%mcp resources {server}` and `%mcp templates {server}` list what it has", e.code
                ) from e
            raise

    # -- prompts --------------------------------------------------------------------------------------

    async def prompts(self, *, refresh: bool = False, timeout: float | None = None) -> dict[str, types.Prompt]:
        if self._prompts is None or refresh:
            pages = await self._list("prompts", "prompts", "list_prompts", "prompts", refresh, timeout)
            self._prompts = {p.name: p for p in pages}
        return self._prompts

    def cached_prompt(self, name: str) -> types.Prompt | None:
        """The prompt's listing if it is cached (no request; safe from any thread)."""
        prompts = self._prompts
        return prompts.get(name) if prompts is not None else None

    def cached_prompts(self) -> dict[str, types.Prompt]:
        """The cached prompt listing (empty before the first); no request, safe from any thread."""
        return dict(self._prompts or {})

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str], *, timeout: float | None = None
    ) -> types.GetPromptResult:
        server = self._link.name
        what = f"{server}.{name}"
        prompts = await self.prompts(timeout=timeout)
        if name not in prompts and self.offers("prompts"):
            prompts = await self.prompts(refresh=True, timeout=timeout)
        if not self.offers("prompts"):
            raise UsageProblem(f"{server} offers no prompts, so it has no {name!r}")
        if name not in prompts:
            hint = f"`%mcp prompts {server}` lists its {len(prompts)} prompts"
            raise UsageProblem(f"no prompt {name!r} on {server!r}{did_you_mean(name, prompts, hint)}")
        declared = {a.name: a for a in prompts[name].arguments or []}
        missing = [a for a, spec in declared.items() if spec.required and a not in arguments]
        if missing:
            description = declared[missing[0]].description
            hint = f" — {description}" if description else ""
            raise UsageProblem(f"{what}: missing required argument {missing[0]!r}{hint}")
        unknown = [a for a in arguments if a not in declared]
        if unknown and declared:
            raise UsageProblem(
                f"{what}: unknown argument {unknown[0]!r}{did_you_mean(unknown[0], declared)} "
                f"(it takes: {', '.join(declared)})"
            )
        return await self._link.request(what, lambda c: c.get_prompt(name, dict(arguments)), timeout)


async def _all_pages(fetch: Callable[[str | None], Awaitable[Any]], field: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(_PAGE_CAP):
        page = await fetch(cursor)
        items.extend(getattr(page, field))
        cursor = page.next_cursor
        if not cursor:
            break
    return items
