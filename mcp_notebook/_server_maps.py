"""A server's ``map``: a tool over the rows of a table (see ``Server.map``).

The rows may be a pandas DataFrame or a list of dicts (mapped here, on this kernel's loop:
``mapping``), a polars DataFrame (the same, and a polars frame back), or a Dask DataFrame (a lazy
Dask frame back, mapped on the cluster when computed: ``dask_map``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, cast

from . import _calling, dask_map, mapping
from ._map_plan import is_polars_frame
from ._server_extensions import ServerExtensions
from .connection import Connection
from .errors import McpNotebookError, UsageProblem

__all__ = ["MapOperations"]


class MapOperations(ServerExtensions):
    """``map`` and ``amap`` (see ``Server``)."""

    def _map_options(self, tool: str, options: dict[str, Any]) -> bool:
        """Check a map's options in the caller's thread; whether to show its progress bar."""
        mapping.check_options(options["concurrency"], options["rate"], options["retries"], options["workers"])
        if not isinstance(tool, str) or not tool:
            raise UsageProblem(f"tool must be a name (a non-empty string), not {tool!r}")
        if options["meta"] is not None and not dask_map.is_dask_frame(options["data"]):
            raise UsageProblem("meta= gives the columns of a map over a Dask DataFrame; other rows need none")
        return self._engine.settings.progress if options["progress"] is None else bool(options["progress"])

    async def _map_run(self, run: mapping.MapRun, concurrency: int, note: str | None, options: dict[str, Any]) -> None:
        if note:
            _calling.say(self.connection, note)  # once, as the rows start
        await run.run(concurrency=concurrency, rate=options["rate"], retries=options["retries"],
                      workers=options["workers"], timeout=options["timeout"], validate=options["validate"],
                      progress=options["show"])  # fmt: skip

    def _check_retries(self, what: str, found: Any, options: dict[str, Any]) -> None:
        ann = found.annotations
        if options["retries"] and not options["retry_unsafe"]:
            if not (ann is not None and (ann.idempotent_hint or ann.read_only_hint)):
                raise UsageProblem(
                    f"retries re-send rows after transport failures, but {what} is not marked idempotent or "
                    "read-only, so a row could run twice; pass retry_unsafe=True (--retry-unsafe) to retry anyway"
                )

    def _map_plan(
        self, tool: str, found: Any, data: Any, args: Any, options: dict[str, Any]
    ) -> tuple[Any, list[dict[str, Any]], int, str | None]:
        """(the result's index, the rows' arguments, the concurrency, the one line that explains it)."""
        what = f"{self.name}.{tool}"
        ann = found.annotations
        index, rows = mapping.plan_arguments(data, args, found.input_schema, what)
        read_only = bool(ann is not None and ann.read_only_hint)
        concurrency, note = mapping.choose_concurrency(
            options["concurrency"], options["workers"], len(rows), read_only, what
        )
        return index, rows, concurrency, note

    async def _workers(self, count: int) -> tuple[list[mapping.Mappable], Callable[[], Coroutine[Any, Any, None]]]:
        """``count`` more connections to this server (``NAME~1`` …), for servers that work one
        request at a time; and what closes them again."""
        registry = self._engine.registry
        base = self.connection
        options = dataclasses.replace(
            base.options, policy=base.policy, roots=tuple(base.roots), log_level=self._engine.settings.log_level
        )
        names = [f"{self.name}{mapping.WORKER_SEPARATOR}{i}" for i in range(1, count + 1)]

        async def close() -> None:
            async def one(name: str) -> None:
                with contextlib.suppress(McpNotebookError):
                    await registry.disconnect(name)

            live = [n for n in names if n in registry.names()]
            await asyncio.shield(asyncio.gather(*(one(n) for n in live), return_exceptions=True))

        specs = [dataclasses.replace(base.spec, name=name) for name in names]
        try:
            opened = await asyncio.gather(*(registry.connect(s, options) for s in specs), return_exceptions=True)
        except BaseException:  # interrupted while starting them: none may outlive the map
            await close()
            raise
        failures = [o for o in opened if isinstance(o, BaseException)]
        if failures:
            await close()
            raise failures[0]
        servers = [type(self)(self._engine, c) for c in opened if isinstance(c, Connection)]
        return [cast(mapping.Mappable, s) for s in servers], close

    def _finish(self, run: mapping.MapRun, found: Any, index: Any, data: Any, keep: bool) -> Any:
        """The result table: pandas, or polars for polars rows."""
        frame = run.to_frame(index, found.output_schema)
        if is_polars_frame(data):
            from .other_frames import polars_map_result

            return polars_map_result(frame, data, keep)
        return mapping.with_input(frame, data) if keep else frame

    def map(
        self,
        tool: str,
        data: Any,
        args: Mapping[str, Any] | Sequence[str] | None = None,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        retries: int = 0,
        retry_unsafe: bool = False,
        workers: int = 1,
        timeout: float | None = None,
        validate: bool = True,
        progress: bool | None = None,
        keep: bool = False,
        meta: Any = None,
    ) -> Any:
        """Call ``tool`` once per row of ``data`` (a DataFrame or a list of dicts); a DataFrame back.

        ``args`` maps arguments to ``"@column"`` (that row's value) or a constant (``"@@x"`` for
        the text ``"@x"``), and every argument it does not set comes from the column of the same
        name, if any; a list of names takes each from the column of the same name (and nothing
        else); None takes every column named like an argument. Missing values are left out (the
        tool's default applies); a required argument that nothing gives is refused before any call.

        At most ``concurrency`` calls run at once, at most ``rate`` a second. Left out,
        ``concurrency`` is 16 for a tool marked read-only (``readOnlyHint``) and 1 for any other,
        saying so once: servers that rewrite a file per write lose overlapping writes while
        answering success. Give it to overlap the calls of a tool you know is safe.

        The result is aligned with ``data``'s index: the result's fields as columns (typed by the
        tool's output schema; a plain result is the ``result`` column), then ``status`` (``ok``,
        ``tool error``, ``failed``, ``cancelled``), ``error`` and ``duration_ms``; ``keep=True``
        puts the input's columns first (one named like a result column becomes ``input.NAME``). ``retries``
        re-sends a row after a transport failure or timeout (a dead server is reconnected first),
        never after a tool error; like ``call``, only for tools marked idempotent or read-only
        unless ``retry_unsafe``. ``workers=N`` spreads the rows over N connections to the same
        server (``NAME~1`` … are opened and closed again), for servers that work one request at a
        time. An interrupt keeps the finished rows (the rest are ``cancelled``) and puts a
        one-line note in ``frame.attrs["note"]``.

        A polars DataFrame gives a polars DataFrame back. A Dask DataFrame gives a lazy Dask
        DataFrame back (``pip install 'mcp-notebook[dask]'``): nothing is called until it is
        computed, on the cluster of the active ``distributed.Client`` (or Dask's default
        scheduler), each worker on its own connection to this server; ``concurrency`` counts per
        worker (a tool not marked read-only must give it), ``rate`` for the whole cluster, and
        ``meta`` (Dask's own) gives the result's columns where the tool has no output schema.
        """
        options = dict(
            concurrency=concurrency, rate=rate, retries=retries, retry_unsafe=retry_unsafe, workers=workers,
            timeout=timeout, validate=validate, progress=progress, keep=keep, meta=meta, data=data,
        )  # fmt: skip
        options["show"] = self._map_options(tool, options)
        what = f"{self.name}.{tool}"
        found = self._block(self.connection.catalog.tool(tool, timeout=self._timeout(None)), what)
        self._check_retries(what, found, options)
        if dask_map.is_dask_frame(data):
            return dask_map.map_dask(self.connection, found, tool, data, args, options, meta)
        index, rows, concurrency, note = self._map_plan(tool, found, data, args, options)
        run = mapping.MapRun(cast(mapping.Mappable, self), tool, rows, self._workers)
        try:
            self._block(self._map_run(run, concurrency, note, options), f"{what} over {len(rows)} rows")
        except KeyboardInterrupt:
            if not run.started:
                raise
            run.close_bar()  # the bar lives in this thread; its own close may not have come yet
        return self._finish(run, found, index, data, keep)

    async def amap(
        self,
        tool: str,
        data: Any,
        args: Mapping[str, Any] | Sequence[str] | None = None,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        retries: int = 0,
        retry_unsafe: bool = False,
        workers: int = 1,
        timeout: float | None = None,
        validate: bool = True,
        progress: bool | None = None,
        keep: bool = False,
        meta: Any = None,
    ) -> Any:
        """``map``, awaitable (cancelling the awaiting task cancels the calls still running)."""
        options = dict(
            concurrency=concurrency, rate=rate, retries=retries, retry_unsafe=retry_unsafe, workers=workers,
            timeout=timeout, validate=validate, progress=progress, keep=keep, meta=meta, data=data,
        )  # fmt: skip
        options["show"] = self._map_options(tool, options)
        what = f"{self.name}.{tool}"
        found = await self._hop(self.connection.catalog.tool(tool, timeout=self._timeout(None)))
        self._check_retries(what, found, options)
        if dask_map.is_dask_frame(data):
            return dask_map.map_dask(self.connection, found, tool, data, args, options, meta)
        index, rows, concurrency, note = self._map_plan(tool, found, data, args, options)
        run = mapping.MapRun(cast(mapping.Mappable, self), tool, rows, self._workers)
        await self._hop(self._map_run(run, concurrency, note, options))
        return self._finish(run, found, index, data, keep)
