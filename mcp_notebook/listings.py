"""Listings — tools, resources, templates, prompts, servers, log lines — as table objects.

A listing is a sequence of the SDK's items (``listing["query"]`` or ``listing[0]``) that displays
as a table and becomes a DataFrame with ``.to_dataframe()`` (``.to_polars()``, ``.to_arrow()``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from . import render
from ._schema import describe_params
from .apps import marker
from .errors import UsageProblem, did_you_mean
from .other_frames import need_arrow, need_polars, rows_table
from .render import esc
from .results import mimebundle

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "ConfigList",
    "Listing",
    "LogView",
    "PromptList",
    "ResourceList",
    "ServerList",
    "TemplateList",
    "ToolList",
]

ItemT = TypeVar("ItemT")


class Listing(Generic[ItemT]):
    """Base of the listings: ``columns`` names the table; ``row`` turns an item into cells."""

    columns: ClassVar[tuple[str, ...]] = ()
    noun: ClassVar[str] = "items"
    key: ClassVar[str] = "name"
    display_limits: render.Limits = render.Limits(rows=200, cell_chars=160)

    def __init__(self, items: Iterable[ItemT], server: str = "", *, offered: bool = True) -> None:
        self.items: list[ItemT] = list(items)
        self.server = server
        self.offered = offered
        """False when the server does not offer these at all (as opposed to offering none now)."""

    def row(self, item: ItemT) -> dict[str, Any]:
        raise NotImplementedError

    def rows(self) -> list[dict[str, Any]]:
        return [self.row(item) for item in self.items]

    def names(self) -> list[str]:
        return [str(getattr(i, self.key, "")) for i in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ItemT]:
        return iter(self.items)

    def __getitem__(self, index: int | str) -> ItemT:
        if isinstance(index, str):
            for item in self.items:
                if getattr(item, self.key, None) == index:
                    return item
            raise KeyError(f"no {self.noun[:-1]} {index!r}{did_you_mean(index, self.names())}")
        return self.items[index]

    def frame_columns(self) -> list[str]:
        """The columns of ``to_dataframe()`` (and of ``to_polars()``, ``to_arrow()``), in order."""
        return list(self.columns)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=self.frame_columns())

    def to_polars(self) -> pl.DataFrame:
        """The table of ``to_dataframe()`` as a polars DataFrame (needs ``pip install 'mcp-notebook[polars]'``)."""
        need_polars(".to_polars()")
        return rows_table(self.rows(), self.frame_columns(), "polars", self._title())

    def to_arrow(self) -> pa.Table:
        """The table of ``to_dataframe()`` as a pyarrow Table (needs ``pip install 'mcp-notebook[arrow]'``)."""
        need_arrow(".to_arrow()")
        return rows_table(self.rows(), self.frame_columns(), "arrow", self._title())

    def _title(self) -> str:
        if not self.offered and not self.items:
            return f"{self.server or 'the server'} offers no {self.noun}"
        where = f" on {self.server}" if self.server else ""
        return f"{_count(len(self.items), self.noun)}{where}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._title()}>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        rows = self.rows()
        cells = [[r.get(c) for c in self.columns] for r in rows]
        limits = self.display_limits
        html = (
            f'<div class="mcpnb-listing"><div style="{render.MUTED}">{esc(self._title())}</div>'
            + (render.table_html(self.columns, cells, len(cells), limits) if cells else "")
            + "</div>"
        )
        text = self._title() + ("\n" + render.table_text(self.columns, cells, len(cells), max_rows=50) if cells else "")
        return mimebundle({"text/plain": text, "text/html": html}, include, exclude)


NEEDS_TASKS = "needs MCP tasks"


def needs_tasks(tool: Any) -> bool:
    """A tool that must be called as an MCP task (``execution.taskSupport: "required"``)."""
    execution = getattr(tool, "execution", None)
    return getattr(execution, "task_support", None) == "required"


def _annotations(tool: Any) -> str:
    notes = [NEEDS_TASKS] if needs_tasks(tool) else []
    ann = getattr(tool, "annotations", None)
    if ann is not None:
        if ann.read_only_hint:
            notes.append("read-only")
        if ann.destructive_hint:
            notes.append("destructive")
        if ann.idempotent_hint:
            notes.append("idempotent")
        if ann.open_world_hint:
            notes.append("open-world")
    return ", ".join(notes)


class ToolList(Listing[Any]):
    """The tools of one server, or of every server (then with a ``server`` column)."""

    columns = ("name", "title", "description", "arguments")
    noun = "tools"

    def __init__(
        self,
        items: Iterable[Any],
        server: str = "",
        servers: Sequence[str] | None = None,
        *,
        offered: bool = True,
        hidden: int = 0,
    ) -> None:
        super().__init__(items, server, offered=offered)
        self.servers = list(servers) if servers is not None else None
        self.hidden = hidden
        """Tools left out because only an MCP App may call them (``all=True`` / ``--all`` shows them)."""
        columns: tuple[str, ...] = type(self).columns
        if self.servers is not None:
            columns = ("server", *columns)
        if any(marker(t) for t in self.items):  # a column for the tools with an MCP App, when there are any
            columns = (*columns, "app")
        self.columns = columns  # type: ignore[misc,assignment]

    def row(self, item: Any) -> dict[str, Any]:
        index = self.items.index(item)
        return self._row(item, index)

    def _row(self, tool: Any, index: int) -> dict[str, Any]:
        out = {
            "name": tool.name,
            "title": tool.title or (tool.annotations.title if tool.annotations else None) or "",
            "description": (tool.description or "").strip(),
            "arguments": describe_params(tool.input_schema),
            "annotations": _annotations(tool),
            "app": marker(tool),
        }
        if self.servers is not None:
            out["server"] = self.servers[index]
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [self._row(t, i) for i, t in enumerate(self.items)]

    def frame_columns(self) -> list[str]:
        return [*self.columns, "annotations"]

    def _title(self) -> str:
        title = super()._title()
        # A call of these runs as a task (it may outlive the cell): the header says which they are.
        waiting = [t.name for t in self.items if needs_tasks(t)]
        if waiting:
            names = ", ".join(waiting[:5]) + (", …" if len(waiting) > 5 else "")
            title += f" · {names} {NEEDS_TASKS} (a call runs as one)"
        if self.hidden:
            title += f" · {self.hidden} more only its Apps may call (--all, all=True shows them)"
        return title


class ResourceList(Listing[Any]):
    columns = ("uri", "name", "mime_type", "description", "size")
    noun = "resources"
    key = "uri"

    def row(self, item: Any) -> dict[str, Any]:
        return {
            "uri": str(item.uri),
            "name": item.title or item.name,
            "mime_type": item.mime_type or "",
            "description": (item.description or "").strip(),
            "size": item.size,
        }


class TemplateList(Listing[Any]):
    columns = ("uri_template", "name", "mime_type", "description")
    noun = "resource templates"
    key = "uri_template"

    def row(self, item: Any) -> dict[str, Any]:
        return {
            "uri_template": item.uri_template,
            "name": item.title or item.name,
            "mime_type": item.mime_type or "",
            "description": (item.description or "").strip(),
        }


class PromptList(Listing[Any]):
    columns = ("name", "title", "description", "arguments")
    noun = "prompts"

    def row(self, item: Any) -> dict[str, Any]:
        args = ", ".join(f"{a.name}{'*' if a.required else ''}" for a in item.arguments or [])
        return {
            "name": item.name,
            "title": item.title or "",
            "description": (item.description or "").strip(),
            "arguments": args,
        }


class ServerList(Listing[dict[str, Any]]):
    """One row per connection: the snapshot taken when it was made."""

    columns: ClassVar[tuple[str, ...]] = (
        "name",
        "state",
        "transport",
        "protocol",
        "server",
        "version",
        "target",
        "roots",
    )
    noun = "servers"

    def row(self, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def names(self) -> list[str]:
        return [str(i["name"]) for i in self.items]

    def __getitem__(self, index: int | str) -> dict[str, Any]:
        if isinstance(index, str):
            for item in self.items:
                if item["name"] == index:
                    return item
            raise KeyError(f"no server {index!r}{did_you_mean(index, self.names())}")
        return self.items[index]

    def _title(self) -> str:
        if not self.items:
            return "no servers connected; try `%mcp connect demo`"
        return _count(len(self.items), "servers")


class ConfigList(ServerList):
    """The servers a config file declares (nothing resolved: no secrets in it)."""

    columns = ("name", "transport", "target", "env", "headers", "sign-in", "file")
    noun = "servers declared"

    def _title(self) -> str:
        return f"{_count(len(self.items), 'servers')} declared; connect with %mcp connect --config PATH [NAME ...]"


class LogView(Listing[Any]):
    """A connection's log: server stderr, log notifications and this package's own notes."""

    columns = ("time", "source", "level", "text")
    noun = "log lines"

    def __init__(self, items: Iterable[Any], server: str = "", dropped: int = 0) -> None:
        super().__init__(items, server)
        self.dropped = dropped

    def row(self, item: Any) -> dict[str, Any]:
        when = _dt.datetime.fromtimestamp(item.time).strftime("%H:%M:%S.%f")[:-3]
        return {"time": when, "source": item.source, "level": item.level, "text": item.text}

    def _title(self) -> str:
        base = f"log of {self.server}: {len(self.items)} lines"
        return base + (f" (the {self.dropped:,} oldest were dropped)" if self.dropped else "")

    @property
    def text(self) -> str:
        return "\n".join(f"{r['time']} {r['source']:<6} {r['text']}" for r in self.rows())

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        rows = self.rows()[-self.display_limits.rows :]
        lines = "\n".join(f"{r['time']} {r['source']:<6} {r['level']:<7} {r['text']}" for r in rows)
        skipped = len(self.items) - len(rows)
        note = f"(showing the last {len(rows)}; .to_dataframe() has all {len(self.items)})\n" if skipped else ""
        html = (
            f'<div class="mcpnb-log"><div style="{render.MUTED}">{esc(self._title())}</div>'
            + render.pre_html(note + lines if rows else "(empty)")
            + "</div>"
        )
        return mimebundle({"text/plain": f"{self._title()}\n{note}{lines}", "text/html": html}, include, exclude)


def no_such(kind: str, name: str, names: Sequence[str], hint: str) -> UsageProblem:
    return UsageProblem(f"no {kind} {name!r}{did_you_mean(name, names, hint)}")


def _count(n: int, plural: str) -> str:
    """``3 tools``, ``1 tool``, ``1 resource template``."""
    return f"{n} {plural}" if n != 1 or not plural.endswith("s") else f"{n} {plural[:-1]}"
