"""``ToolResult``: what a tool call returns.

It keeps the SDK object (``.raw``) and offers the data in the forms a notebook wants: ``.data``
(structured content or parsed JSON), ``.text``, ``.images``, ``.to_dataframe()`` / ``.frames()``
(and ``.to_polars()``, ``.to_arrow()``), and a rich display: one bundle, or several outputs when
pictures or Markdown go out on their own.
Display is pure and bounded (render.py); the full data stays here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import mcp_types as types

from . import frames, other_frames, render, table_choice, tool_tables, tool_views
from ._bundles import duration, head, json_like, mimebundle, with_note
from .errors import ToolFailed
from .other_frames import OtherFrames
from .render import MUTED, Limits, esc

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ToolResult"]


class ToolResult(OtherFrames):
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
        self.app: Any = None
        """The tool's MCP App, when it has one: its live view (``apps.AppView``, what the result
        displays as, the result folded below it), or the one line saying why it cannot show here."""

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
        ``UsageProblem`` that says what there is. ``.to_polars()`` and ``.to_arrow()`` give the
        same table as polars and Arrow frames.
        """
        found, chosen = self._chosen(key, format, table_choice.PANDAS)
        return found.builders[chosen]()

    def frames(self, *, format: str | None = None, to: str = "pandas") -> dict[str, Any]:
        """Every table in the result, by key (see ``to_dataframe``); empty when there is none.

        ``to``: ``"pandas"``, ``"polars"`` or ``"arrow"``, the library the frames are of.
        """
        return other_frames.every_table(self._tables(format), to)

    def _tables(self, fmt: str | None) -> table_choice.Found:
        return tool_tables.tables(
            self.raw, self.name, tool_tables.options(self.raw, self.arguments, self.output_schema, fmt)
        )

    def _chosen(self, key: str | None, fmt: str | None, caller: table_choice.Caller) -> tuple[table_choice.Found, str]:
        """The table to give (see ``to_dataframe``): the tables it is among, and its key there."""
        found = self._tables(fmt)
        if key is not None:
            how = tool_tables.options(self.raw, self.arguments, self.output_schema, fmt)
            return table_choice.locate(found, key, caller, **how)
        return found, found.chosen(*tool_tables.instead_hint(self.raw, caller), caller=caller)

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
            if isinstance(block, types.TextContent) and json_like(block.text):
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
        if self.app is not None and not isinstance(self.app, str):
            return None  # the App's view is one output: _repr_mimebundle_
        parts = self.display_parts()
        if len(parts) < 2:
            return None
        if isinstance(self.app, str):
            parts = [*parts[:-1], with_note(parts[-1], self.app)]

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
        shown = self.app
        if shown is not None and not isinstance(shown, str):
            bundle: dict[str, Any] = shown._repr_mimebundle_(include, exclude)
            return bundle
        parts = self.display_parts()
        if len(parts) == 1:
            one = dict(parts[0])
        else:
            # Where one bundle is all there can be (a list of results, a widget's output): everything
            # in one HTML, pictures inline, Markdown as typed.
            one = self._one_bundle(self._visible_blocks(), self.display_limits)
        return mimebundle(with_note(one, shown) if shown else one, include, exclude)

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
        parts = [head(self.name, duration(self.duration))]
        if self.schema_problem:
            parts.append(
                f'<div style="color:#b26a00">⚠ invalid: {esc(self.schema_problem)} (shown as the server sent it)</div>'
            )
        structured = self._structured_view()
        if structured is not None:
            parts.append(tool_views.structured_html(structured, limits))
        return "".join(parts)

    def _text_head(self, limits: Limits) -> str:
        lines = [f"{self.name} ({duration(self.duration)})".replace(" ()", "")]
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
