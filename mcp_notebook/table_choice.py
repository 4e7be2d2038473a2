"""Pure: the tables a result holds, by key, and the choice of one — ``to_dataframe(key, format=)``,
``frames()`` and ``--df KEY|FORMAT`` all come here.

A key is a dotted path into the result's data (``"entities"``, ``"data.items"``); a table that
is the whole of the data has the key ``""``, and one read from a tool's text content the key
``"text"``. Several Markdown tables in one text are ``"text[0]"``, ``"text[1]"`` …

The rules, in order (never a row the server did not send):
- structured data that is one table (``frames.tabular``) is that table;
- a string that holds a document (``{"content": "<CSV>"}``, ``{"result": "{\\"columns\\": …}"}``)
  is read as text (``text_tables``), its format from the caller, else a MIME type or path suffix,
  else sniffed;
- otherwise every table inside is its own (``frames.tables``): two sibling lists are two tables,
  and ``to_dataframe()`` without a key refuses to choose between them, naming the keys;
- no table at all is one line saying what there is instead, never a frame of one text cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from . import frames, schema_frames, table_shapes, text_kinds, text_tables
from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ARROW",
    "PANDAS",
    "POLARS",
    "Caller",
    "Found",
    "Parquet",
    "Rows",
    "in_text",
    "in_value",
    "locate",
    "pick",
    "text_to_frame",
]

Builder = Callable[[], "pd.DataFrame"]


@dataclass(frozen=True)
class Rows:
    """The structured data a table is made of, and the schema that types it: what ``.to_polars()``
    and ``.to_arrow()`` build from without pandas (``typed_columns``)."""

    value: Any
    schema: Mapping[str, Any] | None
    what: str


@dataclass(frozen=True)
class Parquet:
    """A table sent as Parquet bytes (read by pyarrow, for every frame library)."""

    data: bytes
    what: str


Source = Rows | Parquet | None
"""Where a table comes from; None for one read from text by pandas (CSV, TSV, Markdown)."""


class Caller(NamedTuple):
    """How the user asks for a table, so a refusal names the way they used: method, magic flag, all."""

    method: str
    flag: str
    every: str


PANDAS = Caller("to_dataframe", "--df", ".frames()")
POLARS = Caller("to_polars", "--pl", ".frames(to='polars')")
ARROW = Caller("to_arrow", "", ".frames(to='arrow')")


class Found:
    """Tables found, by key, each built only when asked for; and what was there if none was."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.builders: dict[str, Builder] = {}
        self.sources: dict[str, Source] = {}
        self.sizes: dict[str, int] = {}
        self.instead = ""
        """What the data is when it holds no table: a noun phrase ("plain text (3 lines)")."""
        self.how = ""
        """Where to find it instead, when that is not what the caller would say."""
        self.text = False
        """Whether what was looked at is text (so the message points at ``.text``)."""
        self.value: Any = None
        """The data looked into (parsed, for text that held JSON): a key is a path into it."""

    def add(self, key: str, build: Builder, size: int, source: Source = None) -> None:
        self.builders[key] = build
        self.sources[key] = source
        self.sizes[key] = size

    def merge(self, other: Found) -> None:
        self.builders.update(other.builders)
        self.sources.update(other.sources)
        self.sizes.update(other.sizes)
        self.instead = self.instead or other.instead
        self.how = self.how or other.how
        self.text = self.text or other.text

    def frames(self) -> dict[str, pd.DataFrame]:
        return {key: build() for key, build in self.builders.items()}

    def one(self, how: str, text_how: str | None = None) -> pd.DataFrame:
        """The only table; several or none is a ``UsageProblem`` naming the keys or what there is.

        ``how`` says where the data is instead (``text_how`` when what was looked at is text).
        """
        return self.builders[self.chosen(how, text_how)]()

    def chosen(self, how: str, text_how: str | None = None, caller: Caller = PANDAS) -> str:
        """The key of the only table (see ``one``); ``caller`` is the way the refusal suggests."""
        if len(self.builders) == 1:
            return next(iter(self.builders))
        if not self.builders:
            how = self.how or (text_how if self.text and text_how else how)
            raise UsageProblem(f"{self.what} is {self.instead or 'empty'}, not a table; {how}")
        listed = ", ".join(f"{_shown(k)} ({_rows(n)})" for k, n in self.sizes.items())
        first = next(iter(self.builders))
        flag = f" or {caller.flag} {first}" if caller.flag else ""
        raise UsageProblem(
            f"{self.what} holds {len(self.builders)} tables: {listed}; pick one with "
            f".{caller.method}({first!r}){flag}; {caller.every} has them all"
        )


def _shown(key: str) -> str:
    return key if key else "(the whole)"


def _rows(n: int) -> str:
    return "rows not counted" if n < 0 else f"{n:,} row{'s' if n != 1 else ''}"


def _typed(value: Any, schema: Mapping[str, Any] | None, what: str) -> pd.DataFrame:
    if schema:
        return schema_frames.typed_frame(value, schema, what)
    return frames.to_frame(value, what)


def in_value(
    value: Any,
    what: str,
    *,
    schema: Mapping[str, Any] | None = None,
    hint: str | None = None,
    fmt: str | None = None,
    base: str = "",
    root: str = "",
    strings: bool = True,
) -> Found:
    """The tables in structured data (or parsed JSON); ``schema`` types them (a tool's ``outputSchema``).

    ``hint`` is the format a path or MIME type names, for strings that hold documents; ``fmt`` the
    format the caller stated. ``base`` prefixes the keys of tables inside; ``root`` is the key of
    the whole value when it is one table. ``strings``: read strings that hold documents (only at
    the top level of a result: a document inside a document stays text).
    """
    found = Found(what)
    found.value = value
    if isinstance(value, str):
        if not strings:
            found.instead = "text inside text"
            return found
        return in_text(value, what, fmt=fmt, hint=hint, base=base, root=root or "text", strings=False)
    if frames.media_blocks(value) or (
        isinstance(value, Mapping) and len(value) == 1 and frames.media_blocks(next(iter(value.values())))
    ):
        found.instead = _media_words(value)
        found.how = ".content has it, and .images the pictures"
        return found
    if isinstance(value, Mapping) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if isinstance(inner, str):
            # {"content": "<the file>"}: the text is the data; a frame of its one cell is not.
            where = f"{base}.{key}" if base else str(key)
            if not strings:
                found.instead = "text inside text"
                return found
            return in_text(inner, what, fmt=fmt, hint=hint, base=where, root=where, strings=False)
    if fmt is not None and fmt != "json":
        # A text format stated for structured data: the strings in it are the text meant.
        documents = _documents(value, what, hint, fmt, base) if strings else Found(what)
        documents.instead = documents.instead or f"structured data with no {fmt.upper()} text in it"
        return documents
    table = frames.tabular(value)
    if table is not None and table.shape != "row":
        rows = frames.rows_path(value)
        key = (f"{base}.{rows}" if base and rows else base or rows) or root
        found.add(key, lambda: _typed(value, schema, what), len(table), Rows(value, schema, what))
        return found
    documents = _documents(value, what, hint, fmt, base) if strings else Found(what)
    if documents.builders:
        return documents  # the text fields hold the data; the scalars beside them describe it
    if table is not None:  # a flat mapping: one row
        found.add(root, lambda: _typed(value, schema, what), 1, Rows(value, schema, what))
        return found
    for path, inner in frames.tables(value).items():
        key = f"{base}.{path}" if base and path else (path or root)
        found.add(key, _picker(value, path, schema, what), len(inner), _rows_at(value, path, schema, what))
    if not found.builders and isinstance(value, Mapping) and value and not _lists_inside(value):
        # One nested record ({"source": {...}, "target": {...}}): one row, flattened.
        found.add(root, lambda: frames.to_frame(value, what), 1, Rows(value, None, what))
    if not found.builders:
        found.instead = table_shapes.shape_words(value)
    return found


def _lists_inside(value: Mapping[str, Any], depth: int = 0) -> bool:
    return depth < 8 and any(
        isinstance(v, list) or (isinstance(v, Mapping) and _lists_inside(v, depth + 1)) for v in value.values()
    )


def _picker(value: Any, path: str, schema: Mapping[str, Any] | None, what: str) -> Builder:
    def build() -> pd.DataFrame:
        _, inner = frames.value_at(value, path)
        return _typed(inner, schema_frames.schema_at(schema, path), f"{what}, {path}")

    return build


def _rows_at(value: Any, path: str, schema: Mapping[str, Any] | None, what: str) -> Rows:
    _, inner = frames.value_at(value, path)
    return Rows(inner, schema_frames.schema_at(schema, path), f"{what}, {path}")


def _documents(value: Any, what: str, hint: str | None, fmt: str | None, base: str) -> Found:
    """Tables read from the top-level string fields that hold documents (JSON, lines of CSV …)."""
    found = Found(what)
    found.value = value
    if not isinstance(value, Mapping):
        return found
    for key, inner in value.items():
        if isinstance(inner, str) and ("\n" in inner.strip() or inner.lstrip()[:1] in ("[", "{")):
            where = f"{base}.{key}" if base else str(key)
            found.merge(in_text(inner, what, fmt=fmt, hint=hint, base=where, root=where, strings=False))
            found.value = value
    found.instead = ""
    return found


def in_text(
    text: str,
    what: str,
    *,
    fmt: str | None = None,
    hint: str | None = None,
    base: str = "",
    root: str = "text",
    strings: bool = True,
) -> Found:
    """The tables in a text: read as ``fmt`` (stated), else ``hint`` (a MIME type's or suffix's), else sniffed.

    A stated or hinted format that does not read is a ``UsageProblem`` saying why; a sniffed one
    that does not read means no table (``Found.instead`` says what the text is). ``strings``:
    whether strings inside a parsed document are documents to read in turn (one level only).
    """
    found = Found(what)
    found.text = True
    whole = text
    start = text_tables.preface_end(text)
    if start and (fmt or hint or text_tables.sniff(text[start:])) not in (None, "markdown"):
        text = text[start:]  # "Contents of …:" above a file's own text is no part of its table
    kind = fmt or hint
    sniffed = kind is None
    if kind == "markdown" and fmt is None and not text_tables.markdown_frames(text):
        kind, sniffed = None, True  # a Markdown file without a table: say what it is, below
    if kind is None:
        kind = text_tables.sniff(text)
    if kind is None:
        found.instead = text_kinds.describe(whole)
        return found
    try:
        read = text_tables.read(text, kind, what, sniffed=sniffed)
    except UsageProblem:
        if not sniffed:
            raise
        found.instead = text_kinds.describe(whole)
        return found
    if read.frames:
        if len(read.frames) == 1:
            found.add(root, _given(read.frames[0]), len(read.frames[0]))
        else:
            for i, frame in enumerate(read.frames):
                found.add(f"{root}[{i}]", _given(frame), len(frame))
        return found
    inner = in_value(read.value, what, base=base, root=root, strings=strings)
    inner.text = True
    if not inner.builders and not inner.how:
        inner.instead = f"{_format_words(read.kind)} ({table_shapes.shape_words(read.value)})"
    return inner


def _given(frame: pd.DataFrame) -> Builder:
    return lambda: frame


def _format_words(kind: str) -> str:
    return {"python": "a Python literal", "ndjson": "NDJSON"}.get(kind, kind.upper())


def _media_words(value: Any) -> str:
    blocks = next(iter(value.values())) if isinstance(value, Mapping) else value
    kinds = sorted({str(b.get("mimeType") or b.get("type")) for b in blocks if isinstance(b, Mapping)})
    return f"media ({', '.join(kinds)})"


def pick(found: Found, key: str, **options: Any) -> pd.DataFrame:
    """The table under ``key``: one found, or the one table at that dotted path of the data."""
    where, chosen = locate(found, key, PANDAS, **options)
    return where.builders[chosen]()


def locate(found: Found, key: str, caller: Caller = PANDAS, **options: Any) -> tuple[Found, str]:
    """Where the table under ``key`` is (see ``pick``): the tables it is among, and its key there."""
    what, value = found.what, found.value
    if key in found.builders:
        return found, key
    ok, inner = frames.value_at(value, key) if value is not None else (False, None)
    if ok and inner == []:
        # Asked for by name, an empty list is a table with no rows (a fresh server's first answer),
        # with the columns its schema names, if it names them.
        sub = Found(f"{what}, {key}")
        item_schema = schema_frames.schema_at(options.get("schema"), key)
        sub.add(key, lambda: _typed([], item_schema, what), 0, Rows([], item_schema, what))
        return sub, key
    if ok:
        schema = options.pop("schema", None)
        sub = in_value(
            inner, f"{what}, {key}", schema=schema_frames.schema_at(schema, key), base=key, root=key, **options
        )
        return sub, sub.chosen(f"`.data` has it as it is (at {key!r})", caller=caller)
    known = ", ".join(repr(k) if k else _shown(k) for k in found.builders) or "none"
    keys = f"; its keys: {', '.join(map(repr, list(value)[:10]))}" if isinstance(value, Mapping) else ""
    raise UsageProblem(f"{what} has no table {key!r} (tables: {known}{keys})")


def text_to_frame(text: str, kind: str | None, what: str = "this text") -> pd.DataFrame:
    """A DataFrame from text in ``kind`` (``"csv"``, ``"tsv"``, ``"json"``, ``"ndjson"``,
    ``"markdown"``, ``"python"``); with no ``kind``, the format is sniffed (``text_tables``)."""
    return in_text(text, what, hint=kind).one("say its format (csv, tsv, json, ndjson, markdown, python)")
