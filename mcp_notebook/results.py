"""What calls return: ``ToolResult``, ``ResourceResult``, ``PromptResult``.

Each keeps the SDK object (``.raw``) and offers the data in the forms a notebook wants: ``.data``
(structured content or parsed JSON), ``.text``, ``.to_dataframe()``, and a rich display through
``_repr_mimebundle_``. Display is pure and bounded (render.py); the full data stays here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as types

from . import frames, render, schema_frames
from .errors import ToolFailed, UsageProblem
from .render import MUTED, Limits, esc

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PromptResult", "ResourceResult", "ToolResult", "mimebundle"]


def mimebundle(
    data: dict[str, Any], include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> dict[str, Any]:
    """Apply IPython's ``include``/``exclude`` to a bundle."""
    if include is not None:
        keep = set(include)
        data = {k: v for k, v in data.items() if k in keep}
    if exclude is not None:
        drop = set(exclude)
        data = {k: v for k, v in data.items() if k not in drop}
    return data


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _head(title: str, *notes: str) -> str:
    extra = " · ".join(esc(n) for n in notes if n)
    return f'<div style="{MUTED}">{esc(title)}{" · " + extra if extra else ""}</div>'


_PARSE_LIMIT = 65_536


def _json_like(text: str) -> bool:
    """Whether a text block is JSON (so, beside structured content, its duplicate).

    A long text is judged by its first character only: parsing megabytes to decide whether to
    hide them would make a bounded display slow (100k rows of JSON took ~0.3 s to parse).
    """
    if len(text) > _PARSE_LIMIT:
        return text.lstrip()[:1] in ("[", "{")
    return frames.parse_json_texts([text])[0]


class ToolResult:
    """The result of one tool call.

    ``is_error`` results (the tool reported a failure) display as failures; call
    ``raise_for_error()`` to turn them into a ``ToolFailed`` exception.
    """

    display_limits: Limits = render.DEFAULT_LIMITS

    def __init__(
        self,
        raw: types.CallToolResult,
        *,
        server: str = "",
        tool: str = "",
        arguments: Mapping[str, Any] | None = None,
        duration: float | None = None,
        output_schema: Mapping[str, Any] | None = None,
        schema_problem: str | None = None,
    ) -> None:
        self.raw = raw
        self.schema_problem = schema_problem
        """Why the structured content breaks the tool's output schema (None when it does not)."""
        self.server = server
        self.tool = tool
        self.arguments = dict(arguments or {})
        self.duration = duration
        """Seconds from sending the request to receiving the result."""
        self.output_schema = output_schema
        """The tool's ``outputSchema`` when it has one: ``to_dataframe()`` takes dtypes from it."""

    @property
    def name(self) -> str:
        return f"{self.server}.{self.tool}" if self.server else self.tool

    @property
    def task_id(self) -> str | None:
        """The id of the task the tool ran as, when it ran as one (``related-task`` in ``_meta``)."""
        related = (self.raw.meta or {}).get("io.modelcontextprotocol/related-task")
        task_id = related.get("taskId") if isinstance(related, Mapping) else None
        return task_id if isinstance(task_id, str) else None

    @property
    def is_error(self) -> bool:
        return bool(self.raw.is_error)

    @property
    def content(self) -> list[Any]:
        """The content blocks (text, image, audio, resource links, embedded resources)."""
        return list(self.raw.content)

    @property
    def structured(self) -> Any:
        """``structuredContent`` exactly as sent, or None."""
        return self.raw.structured_content

    @property
    def text(self) -> str:
        """All text blocks joined by newlines."""
        return "\n".join(b.text for b in self.raw.content if isinstance(b, types.TextContent))

    @property
    def data(self) -> Any:
        """The structured content if any; else the text content parsed as JSON; else None."""
        if self.raw.structured_content is not None:
            return self.raw.structured_content
        texts = [b.text for b in self.raw.content if isinstance(b, types.TextContent)]
        ok, value = frames.parse_json_texts(texts)
        return value if ok else None

    @property
    def images(self) -> list[bytes]:
        """The decoded bytes of every image block."""
        return [base64.b64decode(b.data) for b in self.raw.content if isinstance(b, types.ImageContent)]

    def raise_for_error(self) -> ToolResult:
        """Raise ``ToolFailed`` if the tool reported an error; return self otherwise."""
        if self.is_error:
            raise ToolFailed(f"{self.name} failed: {self.text or '(no message)'}", self)
        return self

    def to_dataframe(self) -> pd.DataFrame:
        """A DataFrame of the structured content (records, columns, ``{"result": [...]}``), JSON text, or
        an embedded Parquet resource; typed by the tool's ``outputSchema`` where it has one."""
        if self.is_error:
            raise UsageProblem(f"{self.name} failed, so there is no table: {self.text[:200]}")
        data = self.data
        if data is None:
            parquet = _parquet_blob(b.resource for b in self.raw.content if isinstance(b, types.EmbeddedResource))
            if parquet is not None:
                return schema_frames.read_parquet(parquet, f"the result of {self.name}")
            raise UsageProblem(
                f"{self.name} returned no structured content and its text is not JSON; use .text or .content"
            )
        if self.output_schema and self.raw.structured_content is not None:
            return schema_frames.typed_frame(data, self.output_schema, f"the result of {self.name}")
        return frames.to_frame(data, f"the result of {self.name}")

    def __repr__(self) -> str:
        state = "error" if self.is_error else "ok"
        return f"<ToolResult {self.name} {state}: {len(self.raw.content)} blocks>"

    # -- display ---------------------------------------------------------------------------------

    def _visible_blocks(self) -> list[Any]:
        """Content blocks worth showing: with structured content, JSON text is its duplicate."""
        blocks = list(self.raw.content)
        if self.raw.structured_content is None or self.is_error or self._scalar_wrapper():
            return blocks
        kept = []
        for block in blocks:
            if isinstance(block, types.TextContent) and _json_like(block.text):
                continue
            kept.append(block)
        return kept

    def _scalar_wrapper(self) -> bool:
        """``{"result": "text"}`` beside the same text: the text alone says it all."""
        structured = self.raw.structured_content
        if not isinstance(structured, dict) or len(structured) != 1:
            return False
        value = next(iter(structured.values()))
        if isinstance(value, (dict, list)):
            return False
        shown = {b.text for b in self.raw.content if isinstance(b, types.TextContent)}
        return str(value) in shown or json.dumps(value) in shown

    def _structured_view(self) -> Any:
        """The structured content to draw as a table or JSON, or None when the text covers it."""
        if self.is_error or self._scalar_wrapper():
            return None
        return self.raw.structured_content

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        limits = self.display_limits
        blocks = self._visible_blocks()
        structured = self.raw.structured_content
        bundle: dict[str, Any] = {"text/plain": self._text_view(blocks, limits)}
        if not self.is_error and structured is None and len(blocks) == 1:
            only = blocks[0]
            if isinstance(only, types.ImageContent) and only.mime_type in ("image/png", "image/jpeg"):
                # A lone image goes out as itself, so every front end (VS Code, nbconvert) shows it.
                if render._checked_binary(only.mime_type, only.data, limits) is None:
                    bundle[only.mime_type] = "".join(only.data.split())
                    return mimebundle(bundle, include, exclude)
        bundle["text/html"] = self._html_view(blocks, limits)
        return mimebundle(bundle, include, exclude)

    def _html_view(self, blocks: list[Any], limits: Limits) -> str:
        parts = []
        if self.is_error:
            parts.append(
                f'<div style="border-left:4px solid #d9534f;padding:0.2em 0.6em">'
                f'<div style="color:#d9534f;font-weight:bold">✗ {esc(self.name)} failed</div>'
            )
        else:
            parts.append(_head(self.name, _duration(self.duration)))
        if self.schema_problem:
            parts.append(
                f'<div style="color:#b26a00">⚠ invalid: {esc(self.schema_problem)} (shown as the server sent it)</div>'
            )
        structured = self._structured_view()
        if structured is not None:
            table = frames.tabular(structured)
            if table is not None:
                parts.append(
                    render.table_html(
                        table.columns(),
                        table.rows(limits.rows),
                        len(table),
                        limits,
                        footer=".to_dataframe() has it all",
                    )
                )
            else:
                parts.append(render.json_html(structured, limits, where=".data has it all"))
        for block in blocks[: limits.blocks]:
            parts.append(render.block_html(block, limits))
        if len(blocks) > limits.blocks:
            parts.append(f'<div style="{MUTED}">… {len(blocks) - limits.blocks:,} more blocks; .content has them</div>')
        if not blocks and structured is None:
            parts.append(f'<div style="{MUTED}">(no content)</div>')
        if self.is_error:
            parts.append("</div>")
        return f'<div class="mcpnb-result">{"".join(parts)}</div>'

    def _text_view(self, blocks: list[Any], limits: Limits) -> str:
        lines = [
            f"{self.name} failed:" if self.is_error else f"{self.name} ({_duration(self.duration)})".replace(" ()", "")
        ]
        if self.schema_problem:
            lines.append(f"⚠ invalid: {self.schema_problem} (shown as the server sent it)")
        structured = self._structured_view()
        if structured is not None:
            table = frames.tabular(structured)
            if table is not None:
                lines.append(render.table_text(table.columns(), table.rows(10), len(table)))
            else:
                text, more = render.pretty_json(structured, limits.text_chars)
                lines.append(text + ("\n…" if more else ""))
        lines += [render.block_text(b, limits) for b in blocks[: limits.blocks]]
        if len(blocks) > limits.blocks:
            lines.append(f"… {len(blocks) - limits.blocks:,} more blocks")
        return "\n".join(lines)


class ResourceResult:
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

    def to_dataframe(self) -> pd.DataFrame:
        """A DataFrame from CSV, TSV, JSON or NDJSON contents (by MIME type, else by the URI's suffix),
        or from Parquet (``application/vnd.apache.parquet``, with pyarrow installed)."""
        parquet = _parquet_blob(self.raw.contents, self.uri)
        if parquet is not None:
            return schema_frames.read_parquet(parquet, self.uri or "this resource")
        if not any(isinstance(c, types.TextResourceContents) for c in self.raw.contents):
            raise UsageProblem(f"{self.uri} is binary ({self.mime_type}); use .bytes")
        return frames.text_to_frame(self.text, frames.kind_of_text(self.mime_type, self.uri), self.uri)

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
        parts = [_head(f"{self.server}: {self.uri}" if self.server else self.uri, _duration(self.duration))]
        contents = self.raw.contents
        if len(contents) == 1 and isinstance(contents[0], types.TextResourceContents):
            kind = frames.kind_of_text(contents[0].mime_type, self.uri)
            # limits.rows, not the default: the display limits set on the result hold for CSV too.
            table = _text_table(contents[0].text, kind, limits.rows) if kind in ("csv", "tsv") else None
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


def _parquet_blob(contents: Iterable[Any], uri: str = "") -> bytes | None:
    """The decoded bytes of the first Parquet blob among resource contents, or None."""
    for c in contents:
        if isinstance(c, types.BlobResourceContents) and schema_frames.is_parquet(c.mime_type, str(c.uri) or uri):
            return base64.b64decode(c.blob)
    return None


def _text_table(text: str, kind: str | None, limit: int) -> tuple[list[str], list[list[str]], int] | None:
    """Header and first rows of CSV/TSV text, without pandas; None if it does not parse."""
    import csv

    sep = "\t" if kind == "tsv" else ","
    head = text[:200_000]  # enough for the rows shown; the count below is over the whole text
    try:
        reader = csv.reader(head.splitlines()[: limit + 1], delimiter=sep)
        rows = list(reader)
    except csv.Error:
        return None
    if not rows:
        return None
    total = max(text.count("\n") - (0 if text.endswith("\n") else -1) - 1, len(rows) - 1)
    return rows[0], rows[1:], total


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
        parts = [_head(self.name, self.raw.description or "")]
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
