"""Pure: tables that arrive as text, and what a text is when it holds none.

Many servers send their data as text: a file's CSV inside ``{"content": "..."}``, a JSON document
in a string field, NDJSON, a Markdown table in a fetched page, or ``str(rows)`` (a Python literal:
single quotes, ``None``, ``True``). The format is taken from what is known, in this order: the
format the caller states (``format="csv"``, ``--df csv``); a MIME type or a path's suffix; the text
itself, sniffed from its start. Sniffing is conservative, because a wrong guess makes a table the
server never sent: JSON must parse; NDJSON is several lines that each parse; a Python literal is
read with ``ast.literal_eval`` (never ``eval``); a Markdown table needs its delimiter row
(``| --- |``); CSV and TSV need at least two columns, the same number on every line looked at, a
header of distinct short names, and lines that do not read as sentences.

Reading costs what pandas' own reader costs (``benchmarks/figures/text_tables.py``): CSV and TSV
go straight to ``pd.read_csv``; NDJSON is decoded in one ``json.loads`` (as ``pd.read_json(lines=
True)`` does); a Markdown table becomes TSV in two regular-expression passes, then ``read_csv``.
"""

from __future__ import annotations

import ast
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS",
    "Read",
    "describe",
    "format_of",
    "is_fenced_block",
    "is_unified_diff",
    "looks_like_markdown",
    "markdown_frames",
    "preface_end",
    "read",
    "sniff",
]

FORMATS = ("csv", "tsv", "json", "ndjson", "markdown", "python")
"""The formats a caller may state; ``python`` is a Python literal (``str(rows)``)."""

_SNIFF_CHARS = 64 * 1024  # how much of a text is looked at to tell its format
_SNIFF_LINES = 50

_BY_MIME = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
    "application/jsonlines": "ndjson",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
_BY_SUFFIX = (
    (".csv", "csv"),
    (".tsv", "tsv"),
    (".tab", "tsv"),
    (".ndjson", "ndjson"),
    (".jsonl", "ndjson"),
    (".json", "json"),
    (".geojson", "json"),
    (".md", "markdown"),
    (".markdown", "markdown"),
)
# Suffixes of files whose text is known not to be Markdown (so never rendered as such).
PLAIN_SUFFIXES = frozenset(
    ".txt .log .py .sh .bash .zsh .js .ts .tsx .jsx .c .h .cpp .hpp .rs .go .java .kt .rb .php .pl .r .sql "
    ".yaml .yml .toml .ini .cfg .conf .env .xml .html .htm .css .scss .csv .tsv .json .jsonl .ndjson .ipynb "
    ".diff .patch .tex .rst .lock .gitignore .dockerfile .makefile .mk .bat .ps1".split()
)


def format_of(mime: str | None = None, path: str = "") -> str | None:
    """The format a MIME type or a path's suffix names (``"csv"`` … ``"markdown"``), or None.

    The MIME type wins over the name; ``+json`` types are JSON.
    """
    mime = (mime or "").split(";")[0].strip().lower()
    if mime in _BY_MIME:
        return _BY_MIME[mime]
    if mime.endswith("+json"):
        return "json"
    name = path.split("?")[0].split("#")[0].lower()
    for suffix, kind in _BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return None


def suffix_of(path: str) -> str:
    """The lower-case suffix of a path or URI (``".csv"``), or ``""``."""
    name = path.split("?")[0].split("#")[0].rsplit("/", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name.lstrip(".") else ""


# -- sniffing -------------------------------------------------------------------------------------------

# A GFM delimiter row: cells of hyphens with optional colons, separated by pipes.
_DELIMITER_ROW = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_PROSE_END = re.compile(r"[.!?:;][\"')\]]?$")


def sniff(text: str) -> str | None:
    """The table format ``text`` seems to hold, judged from its start, or None when it holds none.

    ``"json"`` here means "starts like JSON": reading a sniffed ``json`` falls back to a Python
    literal (``read(..., sniffed=True)``), so a big text is decoded once, not once to sniff and
    again to read. Never ``"markdown"`` for prose without a table: this answers "is there a table".
    """
    head = text[:_SNIFF_CHARS].lstrip("\ufeff")
    stripped = head.lstrip()
    if not stripped:
        return None
    if stripped[0] in "[{(":
        first, _, rest = stripped.partition("\n")
        if first.strip().startswith("{") and rest.strip() and _json_line(first):
            return "ndjson"  # a whole object on the first line and more after it: not one document
        return "python" if stripped[0] == "(" else "json"
    if "|" in head and next(_table_blocks(head), None) is not None:
        return "markdown"
    return _delimited(head)


_PREFACE_LINES = 3


def preface_end(text: str) -> int:
    """Where the data starts after a preface of label lines ending in ``:`` (0 when there is none).

    fetch sends a CSV or JSON file as "Content type text/csv cannot be simplified to markdown, but
    here is the raw content:" and "Contents of http://…:" above the file's own text.
    """
    start = 0
    for _ in range(_PREFACE_LINES):
        end = text.find("\n", start)
        if end < 0 or end - start > 300 or not text[start:end].rstrip().endswith(":"):
            break
        start = end + 1
    return start


def _json_line(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _json_whole(text: str) -> bool:
    # Decoding is the only sure test; for texts too big to decode just to judge them, the last
    # character (a closing bracket) stands in.
    if len(text) > 4 * _SNIFF_CHARS:
        return text.rstrip()[-1:] in ("]", "}")
    return _json_line(text)


def _delimited(head: str) -> str | None:
    """``"tsv"`` or ``"csv"`` when the start of ``head`` reads as a delimited table, else None."""
    if len(head) >= _SNIFF_CHARS and "\n" in head:
        head = head[: head.rindex("\n")]  # the last line may be cut mid-way
    for sep, kind in (("\t", "tsv"), (",", "csv"), (";", "csv")):
        if sep in head.split("\n", 1)[0] and _consistent(head, sep):
            return kind
    return None


def _consistent(head: str, sep: str) -> bool:
    try:
        rows = [row for row in itertools.islice(csv.reader(io.StringIO(head), delimiter=sep), _SNIFF_LINES) if row]
    except csv.Error:
        return False
    if len(rows) < 2 or len(rows[0]) < 2 or any(len(r) != len(rows[0]) for r in rows):
        return False
    header = [cell.strip() for cell in rows[0]]
    named = [c for c in header if c]
    if len(named) < len(header) - 1 or len(set(named)) != len(named) or any(len(c) > 100 for c in named):
        return False
    # Sentences with commas in the same places are prose, not a table.
    lines = [ln.strip() for ln in head.splitlines()[: len(rows)] if ln.strip()]
    return sum(bool(_PROSE_END.search(ln)) for ln in lines) * 2 < len(lines)


def delimiter(text: str, kind: str) -> str:
    """The separator of a CSV (``,`` or ``;``, whichever the header holds consistently) or TSV text."""
    if kind == "tsv":
        return "\t"
    head = text[:_SNIFF_CHARS]
    if ";" in head.split("\n", 1)[0] and "," not in head.split("\n", 1)[0] and _consistent(head, ";"):
        return ";"
    return ","


# -- reading -------------------------------------------------------------------------------------------


@dataclass
class Read:
    """What reading a text gave: a parsed value (JSON, NDJSON, a literal), or frames (CSV, Markdown)."""

    kind: str
    value: Any = None
    frames: list[pd.DataFrame] = field(default_factory=list)


def read(text: str, kind: str, what: str = "this text", *, sniffed: bool = False) -> Read:
    """Read ``text`` as ``kind`` (one of ``FORMATS``); a text that is not that format is a ``UsageProblem``.

    ``sniffed``: the kind is ``sniff``'s guess, so JSON that does not decode is tried as a Python
    literal (``[{'a': None}]`` starts like JSON).
    """
    if kind in ("csv", "tsv"):
        return Read(kind, frames=[read_csv(text, kind, what)])
    if kind == "json":
        try:
            return Read(kind, json.loads(text))
        except json.JSONDecodeError as e:
            if sniffed:
                return Read("python", read_literal(text, what))
            raise UsageProblem(f"{what} is not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
    if kind == "ndjson":
        return Read(kind, read_ndjson(text, what))
    if kind == "python":
        return Read(kind, read_literal(text, what))
    if kind == "markdown":
        frames = markdown_frames(text)
        if not frames:
            raise UsageProblem(f"{what} has no Markdown table in it (a header row, then a | --- | row)")
        return Read(kind, frames=frames)
    raise UsageProblem(f"unknown format {kind!r}; say one of {', '.join(FORMATS)}")


def read_csv(text: str, kind: str, what: str = "this text") -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter(text, kind))
    except Exception as e:
        raise UsageProblem(f"{what} is not readable {kind.upper()}: {e}") from e


def read_ndjson(text: str, what: str = "this text") -> list[Any]:
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        # One decode of the lines joined into an array, as pandas' read_json(lines=True) does: about
        # twice as fast as a json.loads per line. The count check catches lines that only make JSON
        # together (an object broken over two lines).
        records = json.loads("[" + ",".join(lines) + "]")
        if isinstance(records, list) and len(records) == len(lines):
            return records
    except json.JSONDecodeError:
        pass
    # Each line alone, so the error names the line that breaks.
    number = 0
    for number, line in enumerate(text.splitlines(), 1):  # noqa: B007 - the number is the message
        if line.strip():
            try:
                json.loads(line)
            except json.JSONDecodeError as e:
                raise UsageProblem(f"{what} is not NDJSON: line {number}: {e.msg}") from e
    raise UsageProblem(f"{what} is not NDJSON: its lines only make JSON together")


def read_literal(text: str, what: str = "this text") -> Any:
    """A Python literal (``str(rows)``), by ``ast.literal_eval``: constants and containers only, never code."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise UsageProblem(f"{what} is not a Python literal of lists, dicts and values: {e}") from e
    return _lists(value)


def _lists(value: Any) -> Any:
    """Tuples as lists, as JSON would have them: ``str(cursor.fetchall())`` is a list of tuples.

    Only the value and its items: deeper tuples stay cells, and a list of dicts (the usual
    ``str(rows)``) is passed through without a copy.
    """
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    if isinstance(value, list) and any(isinstance(v, tuple) for v in value[:100]):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    return value


# -- Markdown tables ---------------------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})([^\n]*)$", re.M)
_DELIMITER_LINE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t\r]*$", re.M)
_NO_PIPE_LINE = re.compile(r"^[^|\n]*$", re.M)
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _cells(line: str) -> list[str]:
    cells = _UNESCAPED_PIPE.split(line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip() and line.rstrip().endswith("|"):
        cells = cells[:-1]
    return [c.strip() for c in cells]


class _Fences:
    """Whether a position of a text is inside fenced code, scanning the fence lines only once and
    only as far as asked (a table near the top of a long text costs nothing for the rest)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.scanned = 0
        self.fence = ""
        self.start = 0
        self.spans: list[tuple[int, int]] = []

    def inside(self, pos: int) -> bool:
        for line in _FENCE_LINE.finditer(self.text, self.scanned, pos):
            marker, rest = line.group(1), line.group(2)
            if not self.fence:
                if marker[0] == "`" and "`" in rest:
                    continue  # ```x``` on one line is a code span, not a fence
                self.fence, self.start = marker, line.start()
            elif marker[0] == self.fence[0] and len(marker) >= len(self.fence) and not rest.strip():
                self.spans.append((self.start, line.end()))
                self.fence = ""
        self.scanned = max(self.scanned, pos)
        return bool(self.fence) or any(start <= pos < end for start, end in self.spans)


def _table_blocks(text: str) -> Iterator[tuple[str, str, bool]]:
    """Each GFM table in ``text``: its header line, the block of its body rows, and whether every
    row starts with a pipe (``| a | b |``, the common way, which ``read_csv`` reads directly).

    Found with regular expressions rather than a Python loop over lines: a delimiter row, the line
    above it as the header, the rows down to the first line without a pipe. The search for the
    next delimiter row resumes after each table, so a table's own rows are scanned once.
    """
    fences = _Fences(text)
    pos = 0
    while True:
        row = _DELIMITER_LINE.search(text, pos)
        if row is None:
            return
        pos = row.end()
        if "|" not in row.group(0) or row.start() == 0 or fences.inside(row.start()):
            continue
        header_start = text.rfind("\n", 0, row.start() - 1) + 1
        header = text[header_start : row.start() - 1]
        cells = _cells(header)
        if "|" not in header or len(cells) != len(_cells(row.group(0))) or not any(cells):
            continue
        body = min(row.end() + 1, len(text))
        pos, piped = _body_end(text, body)
        yield header, text[body:pos], piped


_UNPIPED_ROW = re.compile(r"\n(?!\|)")


def _body_end(text: str, body: int) -> tuple[int, bool]:
    """Where the rows starting at ``body`` end (the first line without a pipe, a blank one
    included), and whether every row starts with a pipe."""
    if text.startswith("|", body):
        # One pass: the first line end not followed by a pipe ends the rows written | a | b |.
        found = _UNPIPED_ROW.search(text, body)
        end = found.start() if found is not None else len(text)
        after = text.find("\n", end + 1)
        following = text[end + 1 : after if after >= 0 else len(text)]
        if "|" not in following or not following.strip():
            return end, True
        # The next line holds a pipe without starting with one: a row all the same, the careful way.
    found = _NO_PIPE_LINE.search(text, body)
    end = found.start() if found is not None else len(text)
    while end > body and text[end - 1] in "\r\n":
        end -= 1
    return end, False


def markdown_frames(text: str) -> list[pd.DataFrame]:
    """Every GFM table in ``text``, in order, as DataFrames (numbers typed as ``read_csv`` types them).

    Cells keep their inline Markdown (links, emphasis) as written; backslash escapes (``mass\\_g``)
    are undone, as a renderer shows them; a short row gets empty cells, extra cells are dropped.
    """
    return [_markdown_frame(header, block, piped) for header, block, piped in _table_blocks(text)]


def _markdown_frame(header_line: str, block: str, piped: bool) -> pd.DataFrame:
    import pandas as pd
    from pandas.api.types import is_object_dtype, is_string_dtype

    header = [_ESCAPE.sub(r"\1", c) for c in _cells(header_line)]
    width = len(header)
    escapes = "\\" in block
    frame = None
    if block and piped and not (escapes and "\\|" in block):
        # Fast path, rows written | a | b |: read_csv splits at the pipes (the empty first field
        # and the last are dropped; every line is a row, as no line is blank and nothing is quoted).
        try:
            frame = pd.read_csv(
                io.StringIO(block),
                sep="|",
                header=None,
                names=range(width + 2),
                usecols=range(1, width + 1),
                quoting=csv.QUOTE_NONE,
                skipinitialspace=True,
                index_col=False,  # extra cells are dropped (as GFM says), never made the index
            )
        except Exception:  # noqa: BLE001 - a row pandas cannot read goes the careful way
            frame = None
    if frame is None:
        rows = [(_cells(line) + [""] * width)[:width] for line in block.splitlines() if line.strip()]
        tsv = "\n".join("\t".join(r) for r in rows)
        frame = (
            pd.read_csv(io.StringIO(tsv), sep="\t", header=None, names=range(width), quoting=csv.QUOTE_NONE)
            if rows
            else pd.DataFrame(columns=range(width))
        )
    frame.columns = pd.Index(header, dtype=object)
    for name in frame.columns:
        column = frame[name]
        if is_string_dtype(column) or is_object_dtype(column):
            column = column.str.rstrip()
            if escapes and column.str.contains("\\", regex=False).any():
                column = column.str.replace(_ESCAPE, r"\1", regex=True)
            frame[name] = column
    return frame


# -- what a text is ---------------------------------------------------------------------------------------

_LINK = re.compile(r"(?<![\w\])])!?\[[^\[\]\n]+\]\((?:https?://|mailto:|/|\./|\.\./|#)[^\s()]*(?:\s+\"[^\"\n]*\")?\)")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.M)
# (Each pattern is linear on long lines: no two unbounded runs that can trade characters.)
_SETEXT = re.compile(r"^(?=[^\n]*\w)[^\n]+\n {0,3}=+[ \t]*$", re.M)
_BULLETS = re.compile(r"^ {0,3}[-*+][ \t]+\S[^\n]*\n {0,3}[-*+][ \t]+\S", re.M)
_ORDERED = re.compile(r"^ {0,3}\d{1,9}[.)][ \t]+\S[^\n]*\n {0,3}\d{1,9}[.)][ \t]+\S", re.M)
# Two patterns, each led by its literal, so the engine skips ahead to it (one alternation took 30 ms on 64 kB).
_BOLD_STARS = re.compile(r"\*\*[^\s*][^*\n]*\*\*(?![\w*])")
_BOLD_UNDERSCORES = re.compile(r"__[^\s_][^_\n]*__(?!\w)")
_QUOTE = re.compile(r"^ {0,3}> ?\S", re.M)
_CODE_SPAN = re.compile(r"(?<![`\w])`[^`\n]+`(?![`\w])")
_CODE_END = re.compile(r"[;{}()\[\],:=\\]$|^\s*(def|class|import|from|return|if|for|while|function|var|let|const)\b")
_DIFF_HEADER = re.compile(r"^(diff --git |--- \S.*\n\+\+\+ \S)", re.M)
_HUNK = re.compile(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", re.M)


def _bold(prose: str) -> bool:
    """``**bold**`` or ``__bold__`` not glued to a word before it (``x**2`` is arithmetic)."""
    for pattern in (_BOLD_STARS, _BOLD_UNDERSCORES):
        for found in pattern.finditer(prose):
            before = prose[found.start() - 1] if found.start() else " "
            if not (before.isalnum() or before in "_*"):
                return True
    return False


def is_unified_diff(text: str) -> bool:
    """A unified diff (git's or ``diff -u``'s): file headers and at least one hunk header, outside
    fenced code (a fenced diff is Markdown already)."""
    head = _outside_code(text[:_SNIFF_CHARS])
    return bool(_DIFF_HEADER.search(head)) and bool(_HUNK.search(head))


def looks_like_markdown(text: str) -> bool:
    """Whether plain text content is Markdown, to be rendered as Markdown rather than shown as typed.

    A wrong yes is worse than a wrong no (a log or a script rendered as Markdown loses its line
    breaks and turns comments into headings), so: JSON, diffs and delimited tables are never
    Markdown; then one construct only Markdown has is enough (a table with its delimiter row, a
    closed fenced code block, a link or image ``[text](url)``); otherwise at least three kinds of
    the constructs prose shares with code and config files (ATX or setext headings, bullet or
    numbered lists, ``**bold**``, block quotes, `code spans`), in a text that does not read as
    code (most lines ending in ``;``, ``{``, ``)``, ``:`` …).
    """
    head = text[:_SNIFF_CHARS]
    stripped = head.strip()
    if not stripped or "\n" not in stripped and len(stripped) < 3:
        return False
    if stripped[0] in "[{" and _json_whole(text):
        return False
    if is_unified_diff(head) or _delimited(head) is not None:
        return False
    lines = head.splitlines()
    if next(_table_blocks(head), None) is not None or _closed_fence(lines) or _LINK.search(_outside_code(head)):
        return True
    prose = _outside_code(head)
    kinds = _bold(prose) + sum(
        bool(pattern.search(prose)) for pattern in (_ATX, _SETEXT, _BULLETS, _ORDERED, _QUOTE, _CODE_SPAN)
    )
    if kinds < 3:
        return False
    body = [ln for ln in prose.splitlines() if ln.strip()]
    code_like = sum(bool(_CODE_END.search(ln.rstrip())) for ln in body)
    return code_like * 3 < len(body)


def is_fenced_block(text: str) -> bool:
    """The text starts with a fence and ends with its closer: a tool's answer in code (filesystem's
    ``edit_file`` sends a fenced diff). Looks at the first and last lines only, so it is cheap."""
    head, tail = text[:_SNIFF_CHARS].lstrip(), text[-_SNIFF_CHARS:].rstrip()
    if "\n" not in head or "\n" not in tail:
        return False
    first, last = head[: head.find("\n")], tail[tail.rfind("\n") + 1 :]
    opened, closed = _FENCE_OPEN.match(first), _FENCE_OPEN.match(last)
    return bool(
        opened
        and closed
        and closed.group(1)[0] == opened.group(1)[0]
        and len(closed.group(1)) >= len(opened.group(1))
        and not last[closed.end() :].strip()
    )


def _closed_fence(lines: Sequence[str]) -> bool:
    fence = ""
    for line in lines:
        opened = _FENCE_OPEN.match(line)
        if not opened:
            continue
        marker = opened.group(1)
        if not fence:
            if marker[0] == "`" and "`" in line[opened.end() :]:
                continue  # ```x``` on one line is a code span, not a fence
            fence = marker
        elif marker[0] == fence[0] and len(marker) >= len(fence) and not line[opened.end() :].strip():
            return True
    return False


def _outside_code(text: str) -> str:
    """``text`` without its fenced code blocks (a link inside code is not Markdown's)."""
    out, fence = [], ""
    for line in text.splitlines():
        opened = _FENCE_OPEN.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        out.append(line)
    return "\n".join(out)


def describe(text: str) -> str:
    """What ``text`` is, in a few words, for a message that says there is no table in it."""
    stripped = text.strip()
    if not stripped:
        return "empty text"
    lines = stripped.count("\n") + 1
    size = f"{lines:,} line{'s' if lines != 1 else ''}"
    if stripped[0] in "[{" and _json_whole(stripped):
        return "JSON that holds no table"
    if is_unified_diff(stripped):
        return f"a diff ({size})"
    if looks_like_markdown(stripped):
        return f"Markdown with no table ({size})"
    return f"plain text ({size})"
