"""Pure: the tables in a tool's result — its structured content, else its text, else the resources
embedded in it — and where its data is when it holds none. ``ToolResult.to_dataframe()``,
``.to_polars()``, ``.to_arrow()`` and ``.frames()`` all start here (``table_choice`` picks one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mcp_types as types

from . import frames, schema_frames, table_choice, text_tables
from ._bundles import content_words, parquet_blob, path_format
from .errors import UsageProblem

__all__ = ["instead_hint", "options", "tables"]


def options(
    raw: types.CallToolResult, arguments: Mapping[str, Any], output_schema: Mapping[str, Any] | None, fmt: str | None
) -> dict[str, Any]:
    """How to read the tables: the schema that types structured content, the format a path hints, ``fmt``."""
    structured = raw.structured_content is not None
    return {"schema": output_schema if structured else None, "hint": path_format(arguments), "fmt": fmt}


def tables(raw: types.CallToolResult, name: str, how: dict[str, Any]) -> table_choice.Found:
    """Every table in the result of the tool ``name``; ``how`` comes from ``options``."""
    what = f"the result of {name}"
    fmt = how["fmt"]
    if fmt is not None and fmt not in text_tables.FORMATS:
        raise UsageProblem(f"unknown format {fmt!r} for {name}; say one of {', '.join(text_tables.FORMATS)}")
    if raw.is_error:
        text = "\n".join(b.text for b in raw.content if isinstance(b, types.TextContent))
        raise UsageProblem(f"{name} failed, so there is no table: {text[:200]}")
    structured = raw.structured_content
    if structured is not None:
        return table_choice.in_value(structured, what, **how)
    texts = [b.text for b in raw.content if isinstance(b, types.TextContent)]
    found = table_choice.Found(what)
    if texts:
        if len(texts) > 1 and fmt in (None, "json"):
            ok, value = frames.parse_json_texts(texts)  # one JSON text per block: a list of them
            if ok:
                return table_choice.in_value(value, what, hint=how["hint"])
        found = table_choice.in_text("\n".join(texts), what, hint=how["hint"], fmt=fmt)
        if found.builders:
            return found
    # Embedded resources: a Parquet blob, or text whose MIME type or URI names its format.
    embedded = [b.resource for b in raw.content if isinstance(b, types.EmbeddedResource)]
    parquet = parquet_blob(embedded)
    inside = table_choice.Found(what)
    if parquet is not None:
        read = table_choice.Parquet(parquet, what)
        inside.add("", lambda: schema_frames.read_parquet(parquet, what), -1, read)
    for res in embedded:
        if isinstance(res, types.TextResourceContents):
            hint = text_tables.format_of(res.mime_type, str(res.uri))
            inside.merge(table_choice.in_text(res.text, what, fmt=fmt, hint=hint, root=str(res.uri)))
    if inside.builders:
        return inside
    if not texts:
        found.instead = content_words(raw.content)
    return found


def instead_hint(raw: types.CallToolResult, caller: table_choice.Caller) -> tuple[str, str]:
    """Where the data is instead of a table: for structured data, and for text."""
    flag = f" or {caller.flag} csv" if caller.flag else ""
    text = (
        ".text has it; to read it as a table all the same, state its format: "
        f".{caller.method}(format='csv'){flag} ({', '.join(text_tables.FORMATS)})"
    )
    if raw.structured_content is not None:
        return ".data has it as it is", text
    if not any(isinstance(b, types.TextContent) for b in raw.content):
        return ".content has it", text
    return text, text
