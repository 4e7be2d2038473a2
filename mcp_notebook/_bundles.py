"""What every result's display shares: IPython's include/exclude, the grey head line, durations,
and how a result's text and arguments hint at a table's format. Pure."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import mcp_types as types

from . import frames, schema_frames, text_tables
from .render import MUTED, esc

__all__ = [
    "NOTE_STYLE",
    "content_words",
    "duration",
    "head",
    "json_like",
    "mimebundle",
    "parquet_blob",
    "path_format",
    "text_table",
    "with_note",
]


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


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def head(title: str, *notes: str) -> str:
    extra = " · ".join(esc(n) for n in notes if n)
    return f'<div style="{MUTED}">{esc(title)}{" · " + extra if extra else ""}</div>'


_PARSE_LIMIT = 65_536


def json_like(text: str) -> bool:
    """Whether a text block is JSON (so, beside structured content, its duplicate).

    A long text is judged by its first character only: parsing megabytes to decide whether to
    hide them would make a bounded display slow (100k rows of JSON took ~0.3 s to parse).
    """
    if len(text) > _PARSE_LIMIT:
        return text.lstrip()[:1] in ("[", "{")
    return frames.parse_json_texts([text])[0]


_PATH_WORDS = ("path", "file", "uri", "url")


def _is_path_key(key: Any) -> bool:
    return any(word in str(key).lower() for word in _PATH_WORDS)


def path_format(arguments: Mapping[str, Any]) -> str | None:
    """The table format the suffix of a path argument names (``data.csv`` → ``"csv"``), if one does."""
    kinds = {
        text_tables.format_of(None, value)
        for key, value in arguments.items()
        if isinstance(value, str) and _is_path_key(key)
    }
    kinds.discard(None)
    return kinds.pop() if len(kinds) == 1 else None


def content_words(blocks: Iterable[Any]) -> str:
    kinds = [f"{b.type} ({b.mime_type})" if hasattr(b, "mime_type") and b.mime_type else str(b.type) for b in blocks]
    return ", ".join(dict.fromkeys(kinds)) + " content" if kinds else "empty"


def parquet_blob(contents: Iterable[Any], uri: str = "") -> bytes | None:
    """The decoded bytes of the first Parquet blob among resource contents, or None."""
    for c in contents:
        if isinstance(c, types.BlobResourceContents) and schema_frames.is_parquet(c.mime_type, str(c.uri) or uri):
            return base64.b64decode(c.blob)
    return None


def text_table(text: str, kind: str | None, limit: int) -> tuple[list[str], list[list[str]], int] | None:
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


NOTE_STYLE = "color:#777;font-size:90%;margin-top:4px"


def with_note(bundle: dict[str, Any], note: str) -> dict[str, Any]:
    """A result's display ``bundle`` with ``note`` (one line) added to its text and HTML forms."""
    out = dict(bundle)
    if "text/plain" in out:
        out["text/plain"] = f"{out['text/plain']}\n{note}"
    if "text/html" in out:
        line = esc(note)
        out["text/html"] = f'{out["text/html"]}<div class="mcpnb-app-note" style="{NOTE_STYLE}">{line}</div>'
    return out
