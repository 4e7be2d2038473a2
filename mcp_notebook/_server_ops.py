"""A server's operations: list, call, read, get a prompt, complete an argument.

Each operation is one coroutine (``_tools``, ``_call``, ``_read``, …) that runs on the loop; the
public method and its awaitable twin are two lines each around it, so the magics, the explorer,
scripts and ``await`` all take the same path.
"""

from __future__ import annotations

import asyncio
import reprlib
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import mcp_types as types

from . import _calling
from ._input_asker import InputAsker
from ._jsonable import jsonable
from ._runtime import Inbox, caller_inbox
from ._server_base import ServerBase
from .apps import visible_to_model
from .background import CallHandle
from .errors import UsageProblem
from .events import CANCELLED, ended_status
from .listings import PromptList, ResourceList, TemplateList, ToolList
from .results import PromptResult, ResourceResult, ToolResult

__all__ = ["ServerOperations", "not_by_name"]

T = TypeVar("T")
_LISTINGS = {"resources": ResourceList, "templates": TemplateList, "prompts": PromptList}


class ServerOperations(ServerBase):
    """List, call, read, prompt (see ``Server``)."""

    # -- listings ---------------------------------------------------------------------------------

    async def _tools(self, refresh: bool, timeout: float | None, every: bool) -> ToolList:
        conn = self.connection
        found = await conn.catalog.tools(refresh=refresh, timeout=self._timeout(timeout))
        shown = [t for t in found.values() if every or visible_to_model(t)]
        return ToolList(shown, server=self.name, offered=conn.offers("tools"), hidden=len(found) - len(shown))

    def tools(self, refresh: bool = False, *, timeout: float | None = None, all: bool = False) -> ToolList:
        """The server's tools (cached; ``refresh=True`` asks again). Tools only the server's MCP Apps
        may call are left out, saying how many, unless ``all``."""
        return self._block(self._tools(refresh, timeout, all), f"listing the tools of {self.name}")

    async def atools(self, refresh: bool = False, *, timeout: float | None = None, all: bool = False) -> ToolList:
        return await self._hop(self._tools(refresh, timeout, all))

    def cached_tools(self) -> dict[str, types.Tool]:
        """The tools as last listed, by name, without a request (empty before the first listing)."""
        return self.connection.catalog.cached_tools()

    def tool_schema(self, tool: str) -> dict[str, Any]:
        """The tool's ``inputSchema`` (from the cached listing when there is one)."""
        cached = self.connection.catalog.cached_tool(tool)
        if cached is None:
            cached = self._block(self.connection.catalog.tool(tool, timeout=self._timeout(None)), f"looking up {tool}")
        return dict(cached.input_schema)

    async def _listing(self, kind: str, refresh: bool, timeout: float | None) -> Any:
        conn, limit = self.connection, self._timeout(timeout)
        if kind == "resources":
            items: Any = await conn.catalog.resources(refresh=refresh, timeout=limit)
        elif kind == "templates":
            items = await conn.catalog.templates(refresh=refresh, timeout=limit)
        else:
            items = (await conn.catalog.prompts(refresh=refresh, timeout=limit)).values()
        return _LISTINGS[kind](items, server=self.name, offered=conn.offers(kind))

    def resources(self, refresh: bool = False, *, timeout: float | None = None) -> ResourceList:
        """The server's resources (``refresh=True`` bypasses the response cache)."""
        listing: ResourceList = self._block(self._listing("resources", refresh, timeout), f"listing {self.name}")
        return listing

    async def aresources(self, refresh: bool = False, *, timeout: float | None = None) -> ResourceList:
        listing: ResourceList = await self._hop(self._listing("resources", refresh, timeout))
        return listing

    def templates(self, refresh: bool = False, *, timeout: float | None = None) -> TemplateList:
        """The server's resource templates."""
        listing: TemplateList = self._block(self._listing("templates", refresh, timeout), f"listing {self.name}")
        return listing

    async def atemplates(self, refresh: bool = False, *, timeout: float | None = None) -> TemplateList:
        listing: TemplateList = await self._hop(self._listing("templates", refresh, timeout))
        return listing

    def prompts(self, refresh: bool = False, *, timeout: float | None = None) -> PromptList:
        """The server's prompts."""
        listing: PromptList = self._block(self._listing("prompts", refresh, timeout), f"listing {self.name}")
        return listing

    async def aprompts(self, refresh: bool = False, *, timeout: float | None = None) -> PromptList:
        listing: PromptList = await self._hop(self._listing("prompts", refresh, timeout))
        return listing

    # -- calling a tool -------------------------------------------------------------------------------

    def _call(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        *,
        timeout: float | None,
        progress: bool | None,
        validate: bool,
        retries: int = 0,
        retry_unsafe: bool = False,
        handle: CallHandle | None = None,
        as_task: bool | None = None,
    ) -> Coroutine[Any, Any, ToolResult]:
        """The call's coroutine; the arguments are checked here, in the caller's thread."""
        # A value in the arguments' place (call("read_text_file", "/tmp/x")) is refused on the loop,
        # where the tool's listing can name the argument it was probably meant for.
        positional = arguments if arguments is not None and not isinstance(arguments, Mapping) else None
        args = jsonable({**(arguments if isinstance(arguments, Mapping) else {}), **kwargs})
        if not isinstance(tool, str) or not tool:
            raise UsageProblem(f"tool must be a name (a non-empty string), not {tool!r}")
        if not isinstance(retries, int) or retries < 0:
            raise UsageProblem(f"retries is a count (0, 1, 2, …), not {retries!r}")
        show = self._engine.settings.progress if progress is None else progress

        async def go() -> ToolResult:
            if positional is not None:
                listed = await self.connection.catalog.tool(tool, timeout=self._timeout(timeout))
                params = _param_names(listed.input_schema)
                raise UsageProblem(not_by_name(f"{self.name}.{tool}", "call", tool, positional, params))
            return await _calling.call_tool(
                self._engine,
                lambda: self.connection,
                tool,
                args,
                timeout=timeout,
                show_progress=show and handle is None,
                validate=validate,
                listener=handle._report if handle is not None else None,
                asker=handle,
                retries=retries,
                retry_unsafe=retry_unsafe,
                as_task=as_task,
            )

        return go()

    def call(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
        retries: int = 0,
        retry_unsafe: bool = False,
        as_task: bool | None = None,
        app: bool = True,
        **kwargs: Any,
    ) -> ToolResult:
        """Call ``tool`` with ``arguments`` (a mapping) and/or keyword arguments.

        Arguments are checked against the tool's input schema before sending (``validate=False``
        skips that). A tool error is a result with ``is_error`` set, not an exception. ``retries``
        re-sends after a transport failure or timeout (with backoff) — only for tools marked
        idempotent or read-only, unless ``retry_unsafe``. A tool that requires a task runs as one
        (``as_task=True`` asks for one where tasks are optional) and is waited for like a call; an
        interrupt then detaches (``Detached``: the task keeps running, ``server.task(id)`` gets it
        back). A tool whose own arguments are called ``timeout``, ``progress``, ``validate``,
        ``retries``, ``retry_unsafe`` or ``as_task`` takes them through the mapping. A tool with an MCP
        App shows it live (``result.app``; ``app=False`` does not).
        """
        __tracebackhide__ = True
        work = self._call(tool, arguments, kwargs, timeout=timeout, progress=progress, validate=validate,
                          retries=retries, retry_unsafe=retry_unsafe, as_task=as_task)  # fmt: skip
        result = self._block(work, f"{self.name}.{tool}")
        return self._present(result) if app else result

    async def acall(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        validate: bool = True,
        retries: int = 0,
        retry_unsafe: bool = False,
        as_task: bool | None = None,
        app: bool = True,
        **kwargs: Any,
    ) -> ToolResult:
        work = self._call(tool, arguments, kwargs, timeout=timeout, progress=progress, validate=validate,
                          retries=retries, retry_unsafe=retry_unsafe, as_task=as_task)  # fmt: skip
        result = await self._hop(work)
        return await self._apresent(result) if app else result

    def _present(self, result: ToolResult) -> ToolResult:
        return result  # Apps (``_server_extensions``) show a tool's App here

    async def _apresent(self, result: ToolResult) -> ToolResult:
        return result

    def submit(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        timeout: float | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> CallHandle:
        """Start a tool call in the background and return its handle at once.

        The kernel stays free; ``handle.result()`` waits, ``await handle`` awaits,
        ``handle.cancel()`` cancels on the server, ``handle.on_progress(fn)`` follows progress.
        A value that cannot be sent as JSON raises here; every other failure (a bad argument, a
        dead server) ends the handle with that error.
        """
        handle = CallHandle(f"{self.name}.{tool}", {})
        work = self._call(tool, arguments, kwargs, timeout=timeout, progress=False, validate=validate, handle=handle)
        handle.arguments = jsonable({**(arguments if isinstance(arguments, Mapping) else {}), **kwargs})
        # Nobody waits on a background call's inbox: its notes go to the log, never to a cell.
        handle._attach(self._engine.runtime.submit(work, caller=Inbox()))
        return handle

    # -- reading, prompts, completions ---------------------------------------------------------------------

    def _read(self, uri: str, timeout: float | None) -> Coroutine[Any, Any, ResourceResult]:
        if not isinstance(uri, str) or not uri:
            raise UsageProblem(
                f"a resource URI is a non-empty string, not {uri!r}; `%mcp resources {self.name}` lists them"
            )

        async def go() -> ResourceResult:
            started = time.perf_counter()
            conn = self.connection
            events = self._engine.events
            try:
                with conn.asking(InputAsker(caller_inbox())):
                    raw = await conn.catalog.read(uri, timeout=self._timeout(timeout))
            except (Exception, asyncio.CancelledError) as e:
                status = ended_status(e)
                if status != CANCELLED:
                    events.emit("error", server=self.name, what=f"read {uri}", error=e)
                seconds = time.perf_counter() - started
                events.emit("resource_read", server=self.name, uri=uri, status=status, seconds=seconds)
                raise
            seconds = time.perf_counter() - started
            events.emit("resource_read", server=self.name, uri=uri, status="ok", seconds=seconds, result=raw)
            return ResourceResult(raw, server=self.name, uri=uri, duration=seconds)

        return go()

    def read(self, uri: str, *, timeout: float | None = None) -> ResourceResult:
        """Read the resource at ``uri``."""
        __tracebackhide__ = True
        return self._block(self._read(uri, timeout), f"reading {uri} from {self.name}")

    async def aread(self, uri: str, *, timeout: float | None = None) -> ResourceResult:
        return await self._hop(self._read(uri, timeout))

    def _prompt(
        self, name: str, arguments: Mapping[str, Any] | None, kwargs: Mapping[str, Any], timeout: float | None
    ) -> Coroutine[Any, Any, PromptResult]:
        if arguments is not None and not isinstance(arguments, Mapping):
            cached = self.connection.catalog.cached_prompt(name)
            params = [a.name for a in cached.arguments or []] if cached is not None else []
            raise UsageProblem(not_by_name(f"{self.name}.{name}", "prompt", name, arguments, params))
        # Prompt arguments are strings on the wire; numbers typed in a magic are sent as text.
        args = {k: v if isinstance(v, str) else _to_text(v) for k, v in {**(arguments or {}), **kwargs}.items()}

        async def go() -> PromptResult:
            conn = self.connection
            started = time.perf_counter()
            details = {"server": self.name, "prompt": name, "arguments": args}
            try:
                with conn.asking(InputAsker(caller_inbox())):
                    raw = await conn.catalog.get_prompt(name, args, timeout=self._timeout(timeout))
            except (Exception, asyncio.CancelledError) as e:
                seconds = time.perf_counter() - started
                self._engine.events.emit("prompt_got", **details, status=ended_status(e), seconds=seconds)
                raise
            seconds = time.perf_counter() - started
            self._engine.events.emit("prompt_got", **details, status="ok", seconds=seconds, result=raw)
            return PromptResult(raw, server=self.name, prompt=name, arguments=args)

        return go()

    def prompt(
        self, name: str, arguments: Mapping[str, Any] | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> PromptResult:
        """Get the prompt ``name`` filled in with ``arguments``."""
        __tracebackhide__ = True
        work = self._prompt(name, arguments, kwargs, timeout)
        return self._block(work, f"the prompt {self.name}.{name}")

    async def aprompt(
        self, name: str, arguments: Mapping[str, Any] | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> PromptResult:
        return await self._hop(self._prompt(name, arguments, kwargs, timeout))

    async def _complete(
        self, argument: str, value: str, prompt: str | None, template: str | None, context: Mapping[str, str] | None
    ) -> list[str]:
        conn = self.connection
        caps = conn.capabilities
        if caps is None or not caps.completions:
            return []
        if prompt is not None:
            ref: Any = types.PromptReference(type="ref/prompt", name=prompt)
        else:
            ref = types.ResourceTemplateReference(type="ref/resource", uri=template or "")
        result = await conn.request(
            f"complete {argument} of {prompt or template}",
            lambda c: c.complete(ref, {"name": argument, "value": value}, dict(context) if context else None),
            self._timeout(None),
        )
        return [str(v) for v in result.completion.values]

    def complete(
        self,
        argument: str,
        value: str = "",
        *,
        prompt: str | None = None,
        template: str | None = None,
        context: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> list[str]:
        """The server's suggestions for ``argument`` of a prompt (or of a resource template's URI)
        starting from ``value``; ``context`` holds the other arguments already chosen. Empty when
        the server does not offer completions."""
        if (prompt is None) == (template is None):
            raise UsageProblem("complete() takes one of prompt= or template=")
        work = self._complete(argument, value, prompt, template, context)
        return self._block(asyncio.wait_for(work, timeout) if timeout else work, f"completing {argument}")


def _param_names(schema: Mapping[str, Any] | None) -> list[str]:
    """A tool's argument names, the required ones first."""
    props = list((schema or {}).get("properties") or {})
    required = set((schema or {}).get("required") or [])
    return sorted(props, key=lambda name: name not in required)


def not_by_name(what: str, method: str, name: str, value: Any, params: Sequence[str]) -> str:
    """Why a positional value in the arguments' place is refused, and the two ways that work."""
    key = params[0] if params else "name"
    short = reprlib.Repr()
    short.maxstring = short.maxother = 60
    shown = short.repr(value)
    return (
        f"{what}: pass the arguments by name — {method}({name!r}, {key}=...) — or as one mapping — "
        f"{method}({name!r}, {{{key!r}: ...}}) — not as a positional {type(value).__name__} ({shown})"
    )


def _to_text(value: Any) -> str:
    import json

    return json.dumps(jsonable(value), ensure_ascii=False)
