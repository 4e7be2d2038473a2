"""Pure: Markdown tables in a text (a fetched page, a README, a server's report) → DataFrames.

A table is a header row, its delimiter row (``| --- | :-: |``) and the rows after it, outside
fenced code; pipes escaped with ``\\|`` stay in their cell. Each table becomes TSV in two
regular-expression passes, then ``pd.read_csv``, so a big table reads at pandas' own speed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FENCE_OPEN", "markdown_frames", "table_blocks"]

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
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


def table_blocks(text: str) -> Iterator[tuple[str, str, bool]]:
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
    return [_markdown_frame(header, block, piped) for header, block, piped in table_blocks(text)]


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
