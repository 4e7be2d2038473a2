"""Pure rendering: MCP content blocks and tables → HTML, plain text and Markdown.

Everything a server sends is untrusted. Every string is HTML-escaped; binary data is embedded only
as base64 that has been checked to be base64, with a MIME type that has been checked to be one;
Markdown has its raw HTML and script links defused before a front end renders it. Every output is
bounded, and says so when it was cut. Nothing here does I/O or talks to a session.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mcp_types as types

__all__ = [
    "Limits",
    "block_html",
    "block_text",
    "code_markdown",
    "esc",
    "json_html",
    "safe_markdown",
    "table_html",
    "table_text",
]


@dataclass(frozen=True)
class Limits:
    """Display bounds. The full data always stays on the result object."""

    text_chars: int = 20_000
    """Characters shown of one text block."""
    rows: int = 25
    """Rows shown of a table."""
    cell_chars: int = 200
    """Characters shown of one table cell."""
    blocks: int = 50
    """Content blocks shown of one result."""
    binary_bytes: int = 8 * 1024 * 1024
    """Largest image or audio (decoded size) embedded in the output."""


DEFAULT_LIMITS = Limits()

_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*\Z", re.I)
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")
RAW_IMAGES = ("image/png", "image/jpeg", "image/gif")
"""Picture types that go out as an output of their own (every front end shows them; none runs code)."""
IMAGE_MIMES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/bmp"}
BOX = "font-family:var(--jp-code-font-family,monospace);font-size:var(--jp-code-font-size,0.9em)"
MUTED = "opacity:0.65;font-size:0.85em"


def esc(value: Any) -> str:
    """HTML-escape anything (quotes included, so the result is safe inside attributes)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def clip(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters, and how many were cut."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def cut_note(cut: int, unit: str = "characters", where: str = "") -> str:
    where = f"; {where}" if where else ""
    return f"… {cut:,} more {unit} not shown{where}"


def pre_html(text: str, limits: Limits = DEFAULT_LIMITS, where: str = "") -> str:
    shown, cut = clip(text, limits.text_chars)
    note = f'<div style="{MUTED}">{esc(cut_note(cut, where=where))}</div>' if cut else ""
    return f'<pre style="white-space:pre-wrap;margin:0.2em 0;{BOX}">{esc(shown)}</pre>{note}'


def json_html(value: Any, limits: Limits = DEFAULT_LIMITS, where: str = "") -> str:
    text, more = pretty_json(value, limits.text_chars)
    if not more:
        return pre_html(text, limits)
    where = f"; {where}" if where else ""
    return pre_html(text, limits) + f'<div style="{MUTED}">{esc("… the rest is not shown" + where)}</div>'


def pretty_json(value: Any, budget: int) -> tuple[str, bool]:
    """Indented JSON of at most about ``budget`` characters, and whether it was cut.

    Encodes lazily, so showing the start of a huge value costs only the start.
    """
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=str)
    chunks: list[str] = []
    size = 0
    for chunk in encoder.iterencode(value):
        chunks.append(chunk)
        size += len(chunk)
        if size > budget:
            return "".join(chunks)[:budget], True
    return "".join(chunks), False


def base64_size(data: str) -> int:
    # Each "=" of padding stands for a byte that is not there: "AAFiaW5hcnk=" is 8 bytes, not 9.
    tail = data[-4:].rstrip()
    return len(data) * 3 // 4 - (len(tail) - len(tail.rstrip("=")))


def _checked_binary(mime: str | None, data: str, limits: Limits) -> str | None:
    """Why this binary cannot be embedded, or None when it can."""
    if not mime or not _MIME.match(mime):
        return f"unrecognised MIME type {mime!r}"
    if base64_size(data) > limits.binary_bytes:
        return f"{base64_size(data):,} bytes, above the display limit of {limits.binary_bytes:,}"
    if not _BASE64.match(data):
        return "its data is not valid base64"
    return None


def image_html(mime: str | None, data: str, limits: Limits = DEFAULT_LIMITS, alt: str = "image") -> str:
    problem = _checked_binary(mime, data, limits)
    if problem is None and mime not in IMAGE_MIMES:
        problem = f"{mime} is not an image type a browser shows"
    if problem:
        return f'<div style="{MUTED}">[{esc(alt)} not shown: {esc(problem)}]</div>'
    compact = "".join(data.split())
    return f'<img src="data:{esc(mime)};base64,{compact}" alt="{esc(alt)}" style="max-width:100%"/>'


def audio_html(mime: str | None, data: str, limits: Limits = DEFAULT_LIMITS) -> str:
    problem = _checked_binary(mime, data, limits)
    if problem is None and not (mime or "").startswith("audio/"):
        problem = f"{mime} is not an audio type"
    if problem:
        return f'<div style="{MUTED}">[audio not shown: {esc(problem)}]</div>'
    compact = "".join(data.split())
    return f'<audio controls src="data:{esc(mime)};base64,{compact}"></audio>'


def link_html(uri: str, label: str | None = None) -> str:
    # A link from a server is shown, never made clickable: javascript: and look-alike schemes stay
    # inert, and the user copies it deliberately (resource URIs are read with %mcp read anyway).
    label_text = f"{esc(label)} " if label and label != uri else ""
    return f"{label_text}<code>{esc(uri)}</code>"


def block_html(block: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """One content block (text, image, audio, resource link, embedded resource) as HTML."""
    if isinstance(block, types.TextContent):
        return pre_html(block.text, limits, where=".text has it all")
    if isinstance(block, types.ImageContent):
        return image_html(block.mime_type, block.data, limits)
    if isinstance(block, types.AudioContent):
        return audio_html(block.mime_type, block.data, limits)
    if isinstance(block, types.ResourceLink):
        extra = " · ".join(esc(x) for x in (block.mime_type, block.description) if x)
        extra = f' <span style="{MUTED}">{extra}</span>' if extra else ""
        return f"<div>🔗 {link_html(block.uri, block.title or block.name)}{extra}</div>"
    if isinstance(block, types.EmbeddedResource):
        return resource_contents_html(block.resource, limits)
    return f'<div style="{MUTED}">[{esc(getattr(block, "type", type(block).__name__))} content]</div>'


def resource_contents_html(contents: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    mime = contents.mime_type or ""
    head = f'<div style="{MUTED}">📄 {esc(contents.uri)}{" · " + esc(mime) if mime else ""}</div>'
    if isinstance(contents, types.TextResourceContents):
        return head + pre_html(contents.text, limits)
    if mime.startswith("image/"):
        return head + image_html(mime, contents.blob, limits, alt=str(contents.uri))
    if mime.startswith("audio/"):
        return head + audio_html(mime, contents.blob, limits)
    size = base64_size(contents.blob)
    return head + f'<div style="{MUTED}">[{size:,} bytes of binary data; .bytes has them]</div>'


def block_text(block: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """One content block as plain text (for terminals and text/plain)."""
    if isinstance(block, types.TextContent):
        shown, cut = clip(block.text, limits.text_chars)
        return shown + (f"\n{cut_note(cut)}" if cut else "")
    if isinstance(block, (types.ImageContent, types.AudioContent)):
        return f"[{block.type} {block.mime_type}, {base64_size(block.data):,} bytes]"
    if isinstance(block, types.ResourceLink):
        return f"[link {block.uri}]"
    if isinstance(block, types.EmbeddedResource):
        res = block.resource
        if isinstance(res, types.TextResourceContents):
            shown, cut = clip(res.text, limits.text_chars)
            return f"[resource {res.uri}]\n{shown}" + (f"\n{cut_note(cut)}" if cut else "")
        return f"[resource {res.uri}, {res.mime_type or 'binary'}, {base64_size(res.blob):,} bytes]"
    return f"[{getattr(block, 'type', type(block).__name__)} content]"


def cell_text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table_html(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    total: int,
    limits: Limits = DEFAULT_LIMITS,
    footer: str = "",
) -> str:
    """An HTML table of at most ``limits.rows`` rows; ``total`` is how many rows exist."""
    head = "".join(f'<th style="text-align:left">{esc(c)}</th>' for c in columns)
    body = []
    for row in _take(rows, limits.rows):
        cells = "".join(
            f'<td style="text-align:left;vertical-align:top">{esc(cell_text(v, limits.cell_chars))}</td>' for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    shown = len(body)
    notes = []
    if total > shown:
        notes.append(f"showing {shown:,} of {total:,} rows")
    if not total:
        notes.append("no rows")  # an empty table would otherwise show nothing at all
    if footer:
        notes.append(footer)
    foot = f'<div style="{MUTED}">{esc(" · ".join(notes))}</div>' if notes else ""
    # Wide tables scroll sideways within the output rather than overflow the page.
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f"<div style='overflow-x:auto'>{table}</div>{foot}"


def table_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], total: int, max_rows: int = 10) -> str:
    """A fixed-width text table of at most ``max_rows`` rows."""
    shown = [[cell_text(v, 40) for v in row] for row in _take(rows, max_rows)]
    widths = [len(c) for c in columns]
    for row in shown:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=False)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=False)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip() for row in shown]
    if total > len(shown):
        lines.append(f"… {total - len(shown):,} more rows")
    if not total:
        lines.append("(no rows)")
    return "\n".join(lines).strip("\n")


def _take(rows: Iterable[Sequence[Any]], n: int) -> list[Sequence[Any]]:
    out: list[Sequence[Any]] = []
    for row in rows:
        if len(out) >= n:
            break
        out.append(row)
    return out


# A fence opener (CommonMark: at most 3 spaces, 3+ backticks whose info has no backtick, or 3+ tildes).
_FENCE = re.compile(r"( {0,3})(`{3,}(?=[^`]*\Z)|~{3,})(.*)")
# A line that could open a fence inside a list item or quote (or as indented text): anything but letters
# before the run. Such lines are given a backslash, so only the fences re-emitted here exist.
_FENCE_LIKE = re.compile(r"^([ \t>*+\-.)0-9]*)(?=`{3,}[^`\n]*$|~~~)", re.M)
# A code span: an unescaped backtick run, closed by a run of the same length, within one paragraph.
_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)
# "javascript\:" is "javascript:" once Markdown drops the backslash escape.
_BAD_SCHEME = re.compile(r"(?i)\b(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|data)(\s*)\\?:")


def safe_markdown(text: str, limit: int = DEFAULT_LIMITS.text_chars) -> str:
    """Markdown from a server, made inert: no raw HTML, no script links; code left as written.

    Front ends render trusted Markdown output without sanitising it, so ``<img onerror=…>`` or a
    ``javascript:`` link in a server's text would run. Outside code, ``<`` and ``&`` become
    entities (no tag can open) and dangerous schemes lose their colon's meaning.

    Code is kept raw only where no renderer can read it as prose: each fenced block is re-emitted
    at column 0 (so no list or quote can end it early) with a fence longer than any run inside it,
    and every other fence-like line is escaped. An inline code span holding ``<`` or a script
    scheme becomes ``<code>`` with every character an entity, which shows the same in any context.
    """
    shown, cut = clip(text, limit)
    # Markdown also ends lines at a lone \r; splitting as renderers do keeps fences in step with them.
    lines = shown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        opener = _FENCE.fullmatch(lines[i])
        i += 1
        if opener is None:
            prose.append(lines[i - 1])
            continue
        indent, marker, info = opener.groups()
        closer = re.compile(rf" {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*")
        body: list[str] = []
        while i < len(lines) and not closer.fullmatch(lines[i]):
            # The renderer strips the opener's indentation from the content; so does moving it to column 0.
            line = lines[i]
            body.append(line[min(len(indent), len(line) - len(line.lstrip(" "))) :])
            i += 1
        i += 1  # the closer (or the end: an unclosed fence, often from the cut, is closed here)
        runs = re.findall(rf"{re.escape(marker[0])}+", "\n".join(body))
        fence = marker[0] * max([len(marker)] + [len(r) + 1 for r in runs])
        if prose:
            out.append(_defuse_prose("\n".join(prose)))
            prose = []
        out.append("\n".join([fence + _defuse_plain(info), *body, fence]))
    if prose or not out:
        out.append(_defuse_prose("\n".join(prose)))
    result = out[0]
    for segment in out[1:]:
        # A blank line on each side of a fence: JupyterLab pairs math delimiters ($, \begin … \end)
        # across single line ends before rendering, and one pair spanning an opener or closer would
        # take the fence apart; math never spans a blank line.
        blank = result.endswith("\n") or segment.startswith("\n") or not segment
        result += ("\n" if blank else "\n\n") + segment
    if cut:
        result += f"\n\n*{cut_note(cut)}*"
    return result


def code_markdown(text: str, language: str = "", limit: int = DEFAULT_LIMITS.text_chars) -> str:
    """``text`` as a fenced code block of ``language`` (``diff`` is highlighted), made safe as above."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return safe_markdown(f"{fence}{language}\n{text}\n{fence}", limit)


def _defuse_prose(text: str) -> str:
    text = _FENCE_LIKE.sub(r"\1\\", text)
    out: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_defuse_plain(text[pos : span.start()]))
        out.append(_inert_code(span.group(0), span.group(2)))
        pos = span.end()
    out.append(_defuse_plain(text[pos:]))
    # Again: a line whose closing backticks went into a <code> may have become fence-like.
    return _FENCE_LIKE.sub(r"\1\\", "".join(out))


def _inert_code(written: str, code: str) -> str:
    if "<" not in code and not _BAD_SCHEME.search(code):
        return written
    # As a renderer shows a span: line ends as spaces, one space stripped from each padded end.
    code = code.replace("\n", " ")
    if code.startswith(" ") and code.endswith(" ") and code.strip(" "):
        code = code[1:-1]
    # Entities for all ASCII punctuation: the text shows as written and nothing in it is markup.
    return (
        "<code>"
        + "".join(f"&#{ord(c)};" if c.isascii() and not c.isalnum() and c != " " else c for c in code)
        + "</code>"
    )


def _defuse_plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    # A zero-width space between scheme and colon leaves a harmless relative link.
    return _BAD_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}\u200b:", text)


def mapping_rows(items: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[item.get(c) for c in columns] for item in items]
