"""Pure: tables that arrive as text (what a text is when it holds none: ``text_kinds``).

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS",
    "Read",
    "format_of",
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
        line = text[start:end].rstrip()
        # A label reads as words: a letter first, a space inside ('{"a":' is JSON, 'time:' a header).
        if end < 0 or end - start > 300 or not line.endswith(":") or not line[:1].isalpha() or " " not in line:
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
