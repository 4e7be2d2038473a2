"""What calls return: ``ToolResult`` (``tool_result``), ``ResourceResult``, ``PromptResult``.

Each keeps the SDK object (``.raw``) and offers the data in the forms a notebook wants: ``.data``,
``.text``, ``.to_dataframe()`` (and ``.to_polars()``, ``.to_arrow()``), and a rich display through
``_repr_mimebundle_``. Display is pure and bounded (render.py); the full data stays here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as types

from . import frames, other_frames, render, schema_frames, table_choice, text_tables
from ._bundles import duration, head, mimebundle, parquet_blob, text_table
from .errors import UsageProblem
from .other_frames import OtherFrames
from .render import MUTED, Limits, esc
from .tool_result import ToolResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PromptResult", "ResourceResult", "ToolResult", "mimebundle"]


class ResourceResult(OtherFrames):
    """The contents of one resource read (usually one item; templates may return several)."""

    display_limits: Limits = render.DEFAULT_LIMITS

    def __init__(
        self, raw: types.ReadResourceResult, *, server: str = "", uri: str = "", duration: float | None = None
    ) -> None:
        self.raw = raw
        self.server = server
        self.uri = uri
        self.duration = duration

    @property
    def contents(self) -> list[Any]:
        return list(self.raw.contents)

    @property
    def mime_type(self) -> str | None:
        return self.raw.contents[0].mime_type if self.raw.contents else None

    @property
    def text(self) -> str:
        """All text contents joined by newlines."""
        return "\n".join(c.text for c in self.raw.contents if isinstance(c, types.TextResourceContents))

    @property
    def bytes(self) -> bytes:
        """The first binary content decoded (or the text encoded as UTF-8)."""
        for c in self.raw.contents:
            if isinstance(c, types.BlobResourceContents):
                return base64.b64decode(c.blob)
        return self.text.encode()

    @property
    def data(self) -> Any:
        """Parsed JSON (JSON/NDJSON resources, or text that is JSON); None otherwise."""
        kind = frames.kind_of_text(self.mime_type, self.uri)
        if kind == "ndjson":
            try:
                return [json.loads(line) for line in self.text.splitlines() if line.strip()]
            except json.JSONDecodeError:  # None, as for JSON that does not parse; to_dataframe() says why
                return None
        ok, value = frames.parse_json_texts([self.text]) if kind in ("json", None) else (False, None)
        return value if ok else None

    def to_dataframe(self, key: str | None = None, *, format: str | None = None) -> pd.DataFrame:
        """A DataFrame from CSV, TSV, JSON, NDJSON, a Markdown table or a Python literal (by
        ``format``, else the MIME type, else the URI's suffix, else the text itself), or from
        Parquet (``application/vnd.apache.parquet``, with pyarrow installed).

        ``key`` picks one table of several (a JSON document with two lists), as in
        ``ToolResult.to_dataframe``; ``.frames()`` has them all. ``.to_polars()`` and
        ``.to_arrow()`` give the same table as polars and Arrow frames.
        """
        found, chosen = self._chosen(key, format, table_choice.PANDAS)
        return found.builders[chosen]()

    def frames(self, *, format: str | None = None, to: str = "pandas") -> dict[str, Any]:
        """Every table in the contents, by key (see ``to_dataframe``); empty when there is none.

        ``to``: ``"pandas"``, ``"polars"`` or ``"arrow"``, the library the frames are of.
        """
        parquet = self._parquet()
        return other_frames.every_table(parquet if parquet is not None else self._tables(format), to)

    def _parquet(self) -> table_choice.Found | None:
        data = parquet_blob(self.raw.contents, self.uri)
        if data is None:
            return None
        what = self.uri or "this resource"
        found = table_choice.Found(what)
        found.add("", lambda: schema_frames.read_parquet(data, what), -1, table_choice.Parquet(data, what))
        return found

    def _chosen(self, key: str | None, fmt: str | None, caller: table_choice.Caller) -> tuple[table_choice.Found, str]:
        """The table to give (see ``to_dataframe``): the tables it is among, and its key there."""
        parquet = self._parquet()
        if parquet is not None and key is None:
            return parquet, ""
        found = self._tables(fmt)
        if key is not None:
            return table_choice.locate(found, key, caller, hint=self._format(), fmt=fmt)
        flag = f" or {caller.flag} csv" if caller.flag else ""
        return found, found.chosen(
            ".text has it; to read it as a table all the same, state its format: "
            f".{caller.method}(format='csv'){flag} ({', '.join(text_tables.FORMATS)})",
            caller=caller,
        )

    def _format(self) -> str | None:
        return text_tables.format_of(self.mime_type, self.uri)

    def _tables(self, fmt: str | None) -> table_choice.Found:
        what = self.uri or "this resource"
        if fmt is not None and fmt not in text_tables.FORMATS:
            raise UsageProblem(f"unknown format {fmt!r} for {what}; say one of {', '.join(text_tables.FORMATS)}")
        if not any(isinstance(c, types.TextResourceContents) for c in self.raw.contents):
            raise UsageProblem(f"{self.uri} is binary ({self.mime_type}); use .bytes")
        return table_choice.in_text(self.text, what, fmt=fmt, hint=self._format())

    def __repr__(self) -> str:
        return f"<ResourceResult {self.uri} {self.mime_type or ''} {len(self.raw.contents)} items>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        limits = self.display_limits
        contents = self.raw.contents
        plain = [f"{self.uri} ({self.mime_type or 'no type'})"]
        for c in contents[: limits.blocks]:
            if isinstance(c, types.TextResourceContents):
                shown, cut = render.clip(c.text, limits.text_chars)
                plain.append(shown + (f"\n{render.cut_note(cut)}" if cut else ""))
            else:
                plain.append(f"[{c.mime_type or 'binary'}, {render.base64_size(c.blob):,} bytes]")
        bundle: dict[str, Any] = {"text/plain": "\n".join(plain)}
        if len(contents) == 1:
            only = contents[0]
            mime = (only.mime_type or "").lower()
            if isinstance(only, types.TextResourceContents) and mime == "text/markdown":
                bundle["text/markdown"] = render.safe_markdown(only.text, limits.text_chars)
                return mimebundle(bundle, include, exclude)
            if isinstance(only, types.BlobResourceContents) and mime in ("image/png", "image/jpeg"):
                if render._checked_binary(mime, only.blob, limits) is None:
                    bundle[mime] = "".join(only.blob.split())
                    return mimebundle(bundle, include, exclude)
        bundle["text/html"] = self._html(limits)
        return mimebundle(bundle, include, exclude)

    def _html(self, limits: Limits) -> str:
        parts = [head(f"{self.server}: {self.uri}" if self.server else self.uri, duration(self.duration))]
        contents = self.raw.contents
        if len(contents) == 1 and isinstance(contents[0], types.TextResourceContents):
            kind = frames.kind_of_text(contents[0].mime_type, self.uri)
            # limits.rows, not the default: the display limits set on the result hold for CSV too.
            table = text_table(contents[0].text, kind, limits.rows) if kind in ("csv", "tsv") else None
            if table is not None:
                columns, rows, total = table
                parts.append(render.table_html(columns, rows, total, limits, footer=".to_dataframe() has it all"))
                return f'<div class="mcpnb-result">{"".join(parts)}</div>'
        for c in contents[: limits.blocks]:
            parts.append(render.resource_contents_html(c, limits))
        if len(contents) > limits.blocks:
            parts.append(
                f'<div style="{MUTED}">… {len(contents) - limits.blocks:,} more items; .contents has them</div>'
            )
        if not contents:
            parts.append(f'<div style="{MUTED}">(empty)</div>')
        return f'<div class="mcpnb-result">{"".join(parts)}</div>'


class PromptResult:
    """A prompt's messages, shown as a conversation."""

    display_limits: Limits = render.DEFAULT_LIMITS

    def __init__(
        self,
        raw: types.GetPromptResult,
        *,
        server: str = "",
        prompt: str = "",
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.raw = raw
        self.server = server
        self.prompt = prompt
        self.arguments = dict(arguments or {})

    @property
    def name(self) -> str:
        return f"{self.server}.{self.prompt}" if self.server else self.prompt

    @property
    def description(self) -> str | None:
        return self.raw.description

    @property
    def messages(self) -> list[types.PromptMessage]:
        return list(self.raw.messages)

    @property
    def text(self) -> str:
        """The text of every message, each line prefixed with its role."""
        return "\n\n".join(f"{m.role}: {render.block_text(m.content)}" for m in self.raw.messages)

    def to_messages(self) -> list[dict[str, Any]]:
        """``[{"role": ..., "content": ...}]`` — the shape most LLM client libraries take."""
        out = []
        for m in self.raw.messages:
            content = (
                m.content.text
                if isinstance(m.content, types.TextContent)
                else m.content.model_dump(by_alias=True, exclude_none=True, mode="json")
            )
            out.append({"role": m.role, "content": content})
        return out

    def to_dataframe(self) -> pd.DataFrame:
        """One row per message: role, content type, text."""
        import pandas as pd

        return pd.DataFrame(
            [{"role": m.role, "type": m.content.type, "text": render.block_text(m.content)} for m in self.raw.messages]
        )

    def __repr__(self) -> str:
        return f"<PromptResult {self.name}: {len(self.raw.messages)} messages>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        limits = self.display_limits
        parts = [head(self.name, self.raw.description or "")]
        for m in self.raw.messages[: limits.blocks]:
            who = "🧑 user" if m.role == "user" else "🤖 assistant"
            parts.append(
                f'<div style="margin:0.4em 0;padding:0.2em 0.6em;border-left:3px solid '
                f'{"#4a90d9" if m.role == "user" else "#7cb342"}"><div style="{MUTED}">{esc(who)}</div>'
                f"{render.block_html(m.content, limits)}</div>"
            )
        if len(self.raw.messages) > limits.blocks:
            parts.append(f'<div style="{MUTED}">… more messages; .messages has them</div>')
        bundle = {
            "text/plain": f"{self.name}\n\n{self.text}",
            "text/html": f'<div class="mcpnb-result">{"".join(parts)}</div>',
        }
        return mimebundle(bundle, include, exclude)
