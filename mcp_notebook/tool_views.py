"""Pure: parts of a tool result's display — structured content as titled tables, Markdown text.

``results.ToolResult`` composes its outputs from these; nothing here keeps state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import frames, render, text_kinds, text_tables
from .render import MUTED, Limits, esc

__all__ = ["markdown_of", "structured_html", "structured_text", "without"]


def structured_html(structured: Any, limits: Limits) -> str:
    """Structured content as one table, several titled tables (and what else there is), or JSON."""
    table = frames.tabular(structured)
    if table is not None:
        return render.table_html(
            table.columns(), table.rows(limits.rows), len(table), limits, footer=".to_dataframe() has it all"
        )
    found = frames.tables(structured)
    if not found:
        return render.json_html(structured, limits, where=".data has it all")
    parts = []
    for key, inner in list(found.items())[: limits.blocks]:
        rows = f"{len(inner):,} row{'s' if len(inner) != 1 else ''}"
        parts.append(f'<div style="margin-top:0.4em"><b>{esc(key)}</b> <span style="{MUTED}">· {rows}</span></div>')
        parts.append(
            render.table_html(
                inner.columns(),
                inner.rows(limits.rows),
                len(inner),
                limits,
                footer=f".to_dataframe({key!r}) has it all",
            )
        )
    rest = without(structured, list(found))
    if rest:
        parts.append(render.json_html(rest, limits, where=".data has it all"))
    return "".join(parts)


def structured_text(structured: Any, limits: Limits) -> str:
    table = frames.tabular(structured)
    if table is not None:
        return render.table_text(table.columns(), table.rows(10), len(table))
    found = frames.tables(structured)
    if not found:
        text, more = render.pretty_json(structured, limits.text_chars)
        return text + ("\n…" if more else "")
    lines = []
    for key, inner in list(found.items())[: limits.blocks]:
        lines.append(f"{key} ({len(inner):,} row{'s' if len(inner) != 1 else ''}):")
        lines.append(render.table_text(inner.columns(), inner.rows(10), len(inner)))
    rest = without(structured, list(found))
    if rest:
        text, more = render.pretty_json(rest, limits.text_chars)
        lines.append(text + ("\n…" if more else ""))
    return "\n".join(lines)


def without(value: Any, paths: list[str]) -> Any:
    """``value`` with the tables at ``paths`` taken out (what is left is shown beside them)."""
    if not isinstance(value, Mapping):
        return value
    out = dict(value)
    for path in paths:
        if path in out:
            del out[path]
            continue
        head, _, rest = path.partition(".")
        if rest and isinstance(out.get(head), Mapping):
            inner = without(out[head], [rest])
            if inner:
                out[head] = inner
            else:
                del out[head]
    return out


def markdown_of(text: str, arguments: Mapping[str, Any], limits: Limits) -> str | None:
    """Text content as safe Markdown when it is Markdown (or a diff, shown as a diff), else None.

    A unified diff is shown as a ``diff`` code block, and a text that is one whole fenced block
    as that block. Otherwise a file path argument says what a file's text is: ``.md`` is Markdown
    whatever it holds, and a known non-Markdown suffix (``.txt``, ``.py``, ``.yaml`` …) never is;
    with no path, the text is judged by ``text_kinds.looks_like_markdown``.
    """
    # File paths only: a URL's page comes back converted (fetch turns .html into Markdown).
    suffixes = {
        text_tables.suffix_of(v)
        for k, v in arguments.items()
        if isinstance(v, str) and any(word in str(k).lower() for word in ("path", "file"))
    }
    suffixes.discard("")
    if text_kinds.is_unified_diff(text):
        return render.code_markdown(text, "diff", limits.text_chars)
    if text_kinds.is_fenced_block(text) or (suffixes and suffixes <= {".md", ".markdown"}):
        return render.safe_markdown(text, limits.text_chars)
    if suffixes & text_kinds.PLAIN_SUFFIXES:
        return None
    return render.safe_markdown(text, limits.text_chars) if text_kinds.looks_like_markdown(text) else None
