"""What calls return: ``ToolResult``, ``ResourceResult``, ``PromptResult``.

Each keeps the SDK object (``.raw``) and offers the data in the forms a notebook wants: ``.data``
(structured content or parsed JSON), ``.text``, ``.to_dataframe()``, and a rich display through
``_repr_mimebundle_``. Display is pure and bounded (render.py); the full data stays here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as types

from . import frames, render, schema_frames, table_choice, text_tables, tool_views
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
        self._parts: tuple[Limits, list[dict[str, Any]]] | None = None

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

    def to_dataframe(self, key: str | None = None, *, format: str | None = None) -> pd.DataFrame:
        """The table in the result as a DataFrame.

        From the structured content (records, columns, ``{"columns", "rows"}`` with types, a
        wrapper such as ``{"result": [...]}``), else the text (CSV, TSV, JSON, NDJSON, a Markdown
        table, a Python literal), else an embedded Parquet resource; typed by the tool's
        ``outputSchema`` where it has one, or by the column types the server names.

        ``key`` picks one table where there are several (``{"entities": [...], "relations":
        [...]}``): a dotted path into the data (``"data.items"``); ``.frames()`` lists them.
        ``format`` says how to read text (``"csv"``, ``"tsv"``, ``"json"``, ``"ndjson"``,
        ``"markdown"``, ``"python"``) when the format is not known from a MIME type, the suffix
        of a path argument, or the text itself. No table, or several and no key, raises a
        ``UsageProblem`` that says what there is.
        """
        found = self._tables(format)
        if key is not None:
            return table_choice.pick(found, key, **self._options(format))
        return found.one(*self._instead_hint())

    def frames(self, *, format: str | None = None) -> dict[str, pd.DataFrame]:
        """Every table in the result, by key (see ``to_dataframe``); empty when there is none."""
        return self._tables(format).frames()

    def _options(self, fmt: str | None) -> dict[str, Any]:
        structured = self.raw.structured_content is not None
        return {
            "schema": self.output_schema if structured else None,
            "hint": _path_format(self.arguments),
            "fmt": fmt,
        }

    def _tables(self, fmt: str | None) -> table_choice.Found:
        what = f"the result of {self.name}"
        if fmt is not None and fmt not in text_tables.FORMATS:
            raise UsageProblem(f"unknown format {fmt!r} for {self.name}; say one of {', '.join(text_tables.FORMATS)}")
        if self.is_error:
            raise UsageProblem(f"{self.name} failed, so there is no table: {self.text[:200]}")
        options = self._options(fmt)
        structured = self.raw.structured_content
        if structured is not None:
            return table_choice.in_value(structured, what, **options)
        texts = [b.text for b in self.raw.content if isinstance(b, types.TextContent)]
        found = table_choice.Found(what)
        if texts:
            if len(texts) > 1 and fmt in (None, "json"):
                ok, value = frames.parse_json_texts(texts)  # one JSON text per block: a list of them
                if ok:
                    return table_choice.in_value(value, what, hint=options["hint"])
            found = table_choice.in_text("\n".join(texts), what, hint=options["hint"], fmt=fmt)
            if found.builders:
                return found
        # Embedded resources: a Parquet blob, or text whose MIME type or URI names its format.
        embedded = [b.resource for b in self.raw.content if isinstance(b, types.EmbeddedResource)]
        parquet = _parquet_blob(embedded)
        inside = table_choice.Found(what)
        if parquet is not None:
            inside.add("", lambda: schema_frames.read_parquet(parquet, what), -1)
        for res in embedded:
            if isinstance(res, types.TextResourceContents):
                hint = text_tables.format_of(res.mime_type, str(res.uri))
                inside.merge(table_choice.in_text(res.text, what, fmt=fmt, hint=hint, root=str(res.uri)))
        if inside.builders:
            return inside
        if not texts:
            found.instead = _content_words(self.raw.content)
        return found

    def _instead_hint(self) -> tuple[str, str]:
        """Where the data is instead of a table: for structured data, and for text."""
        text = (
            ".text has it; to read it as a table all the same, state its format: "
            f".to_dataframe(format='csv') or --df csv ({', '.join(text_tables.FORMATS)})"
        )
        if self.raw.structured_content is not None:
            return ".data has it as it is", text
        if not any(isinstance(b, types.TextContent) for b in self.raw.content):
            return ".content has it", text
        return text, text

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
        """The structured content to draw as tables or JSON, or None when the blocks show it all."""
        if self.is_error or self._scalar_wrapper():
            return None
        structured = self.raw.structured_content
        inner = next(iter(structured.values())) if isinstance(structured, Mapping) and len(structured) == 1 else None
        if frames.media_blocks(structured) or frames.media_blocks(inner):
            return None  # content blocks echoed as data (read_media_file): the blocks show them as media
        return structured

    # Front ends take one MIME type from each output: a picture inside HTML is lost to GitHub's
    # viewer, nbconvert to PDF and the like, and Markdown inside HTML is not rendered. So a result
    # whose blocks include a picture or Markdown goes out as several outputs, in order: HTML for the
    # rest, image/png (jpeg, gif) for each picture, text/markdown for each Markdown text. IPython
    # emits them through ``_ipython_display_``, which exists only for such results, so every other
    # result stays one ``execute_result``. ``display_parts()`` gives the same list (widgets use it).

    @property
    def _ipython_display_(self) -> Callable[[], None] | None:
        parts = self.display_parts()
        if len(parts) < 2:
            return None

        def show() -> None:
            import IPython.display

            display: Callable[..., Any] = IPython.display.display  # untyped in IPython
            for bundle in parts:
                display(bundle, raw=True)

        return show

    def display_parts(self) -> list[dict[str, Any]]:
        """The MIME bundles this result displays as, one per output (usually one)."""
        limits = self.display_limits
        cached = self._parts
        if cached is not None and cached[0] == limits:
            return cached[1]
        parts = self._make_parts(limits)
        self._parts = (limits, parts)
        return parts

    def _make_parts(self, limits: Limits) -> list[dict[str, Any]]:
        blocks = self._visible_blocks()
        shown = blocks[: limits.blocks]
        own = [None if self.is_error else self._own_output(b, limits) for b in shown]
        if not any(own):
            return [self._one_bundle(blocks, limits)]
        structured = self._structured_view()
        if len(blocks) == 1 and structured is None and not self.schema_problem and own[0] is not None:
            return [own[0]]  # a lone picture or Markdown text goes out as itself
        parts: list[dict[str, Any]] = []
        pending: list[Any] = []

        def flush(last: bool = False) -> None:
            first = not parts
            if not (pending or first or (last and len(blocks) > limits.blocks)):
                return
            html = [self._html_head(limits)] if first else []
            text = [self._text_head(limits)] if first else []
            html += [render.block_html(b, limits) for b in pending]
            text += [render.block_text(b, limits) for b in pending]
            if last and len(blocks) > limits.blocks:
                more = len(blocks) - limits.blocks
                html.append(f'<div style="{MUTED}">… {more:,} more blocks; .content has them</div>')
                text.append(f"… {more:,} more blocks")
            parts.append(
                {"text/plain": "\n".join(text), "text/html": f'<div class="mcpnb-result">{"".join(html)}</div>'}
            )
            pending.clear()

        for block, bundle in zip(shown, own, strict=True):
            if bundle is None:
                pending.append(block)
            else:
                flush()
                parts.append(bundle)
        flush(last=True)
        return parts

    def _own_output(self, block: Any, limits: Limits) -> dict[str, Any] | None:
        """The output a block takes by itself (a picture, Markdown), or None when it goes in the HTML."""
        if isinstance(block, types.ImageContent) and block.mime_type in render.RAW_IMAGES:
            if render._checked_binary(block.mime_type, block.data, limits) is None:
                return {"text/plain": render.block_text(block, limits), block.mime_type: "".join(block.data.split())}
        if isinstance(block, types.TextContent):
            markdown = tool_views.markdown_of(block.text, self.arguments, limits)
            if markdown is not None:
                return {"text/plain": render.block_text(block, limits), "text/markdown": markdown}
        return None

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        parts = self.display_parts()
        if len(parts) == 1:
            return mimebundle(dict(parts[0]), include, exclude)
        # Where one bundle is all there can be (a list of results, a widget's output): everything in
        # one HTML, pictures inline, Markdown as typed.
        return mimebundle(self._one_bundle(self._visible_blocks(), self.display_limits), include, exclude)

    def _one_bundle(self, blocks: list[Any], limits: Limits) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self._text_view(blocks, limits)}
        structured = self.raw.structured_content
        if not self.is_error and structured is None and len(blocks) == 1:
            only = blocks[0]
            if isinstance(only, types.ImageContent) and only.mime_type in ("image/png", "image/jpeg"):
                # A lone image goes out as itself, so every front end (VS Code, nbconvert) shows it.
                if render._checked_binary(only.mime_type, only.data, limits) is None:
                    bundle[only.mime_type] = "".join(only.data.split())
                    return bundle
        bundle["text/html"] = self._html_view(blocks, limits)
        return bundle

    def _html_head(self, limits: Limits) -> str:
        """The title, the schema warning and the structured content, as HTML."""
        parts = [_head(self.name, _duration(self.duration))]
        if self.schema_problem:
            parts.append(
                f'<div style="color:#b26a00">⚠ invalid: {esc(self.schema_problem)} (shown as the server sent it)</div>'
            )
        structured = self._structured_view()
        if structured is not None:
            parts.append(tool_views.structured_html(structured, limits))
        return "".join(parts)

    def _text_head(self, limits: Limits) -> str:
        lines = [f"{self.name} ({_duration(self.duration)})".replace(" ()", "")]
        if self.schema_problem:
            lines.append(f"⚠ invalid: {self.schema_problem} (shown as the server sent it)")
        structured = self._structured_view()
        if structured is not None:
            lines.append(tool_views.structured_text(structured, limits))
        return "\n".join(lines)

    def _html_view(self, blocks: list[Any], limits: Limits) -> str:
        parts = []
        if self.is_error:
            parts.append(
                f'<div style="border-left:4px solid #d9534f;padding:0.2em 0.6em">'
                f'<div style="color:#d9534f;font-weight:bold">✗ {esc(self.name)} failed</div>'
            )
        else:
            parts.append(self._html_head(limits))
        for block in blocks[: limits.blocks]:
            parts.append(render.block_html(block, limits))
        if len(blocks) > limits.blocks:
            parts.append(f'<div style="{MUTED}">… {len(blocks) - limits.blocks:,} more blocks; .content has them</div>')
        if not blocks and self._structured_view() is None:
            parts.append(f'<div style="{MUTED}">(no content)</div>')
        if self.is_error:
            parts.append("</div>")
        return f'<div class="mcpnb-result">{"".join(parts)}</div>'

    def _text_view(self, blocks: list[Any], limits: Limits) -> str:
        lines = [f"{self.name} failed:"] if self.is_error else [self._text_head(limits)]
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

    def to_dataframe(self, key: str | None = None, *, format: str | None = None) -> pd.DataFrame:
        """A DataFrame from CSV, TSV, JSON, NDJSON, a Markdown table or a Python literal (by
        ``format``, else the MIME type, else the URI's suffix, else the text itself), or from
        Parquet (``application/vnd.apache.parquet``, with pyarrow installed).

        ``key`` picks one table of several (a JSON document with two lists), as in
        ``ToolResult.to_dataframe``; ``.frames()`` has them all.
        """
        parquet = _parquet_blob(self.raw.contents, self.uri)
        if parquet is not None and key is None:
            return schema_frames.read_parquet(parquet, self.uri or "this resource")
        found = self._tables(format)
        if key is not None:
            return table_choice.pick(found, key, hint=self._format(), fmt=format)
        return found.one(
            ".text has it; to read it as a table all the same, state its format: "
            f".to_dataframe(format='csv') ({', '.join(text_tables.FORMATS)})"
        )

    def frames(self, *, format: str | None = None) -> dict[str, pd.DataFrame]:
        """Every table in the contents, by key (see ``to_dataframe``); empty when there is none."""
        parquet = _parquet_blob(self.raw.contents, self.uri)
        if parquet is not None:
            return {"": schema_frames.read_parquet(parquet, self.uri or "this resource")}
        return self._tables(format).frames()

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


_PATH_WORDS = ("path", "file", "uri", "url")


def _is_path_key(key: Any) -> bool:
    return any(word in str(key).lower() for word in _PATH_WORDS)


def _path_format(arguments: Mapping[str, Any]) -> str | None:
    """The table format the suffix of a path argument names (``data.csv`` → ``"csv"``), if one does."""
    kinds = {
        text_tables.format_of(None, value)
        for key, value in arguments.items()
        if isinstance(value, str) and _is_path_key(key)
    }
    kinds.discard(None)
    return kinds.pop() if len(kinds) == 1 else None


def _content_words(blocks: Iterable[Any]) -> str:
    kinds = [f"{b.type} ({b.mime_type})" if hasattr(b, "mime_type") and b.mime_type else str(b.type) for b in blocks]
    return ", ".join(dict.fromkeys(kinds)) + " content" if kinds else "empty"


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
