"""Pure conversions to tables: structured content, JSON, CSV/TSV, NDJSON → rows or a DataFrame.

``tabular`` finds the rows of a value without pandas (display uses it); ``to_frame`` and
``text_to_frame`` build DataFrames and import pandas only when called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Table",
    "flat_frame",
    "kind_of_text",
    "media_blocks",
    "rows_path",
    "tables",
    "tabular",
    "text_to_frame",
    "to_frame",
    "value_at",
]

_SAMPLE = 100  # rows inspected to decide the shape of a table (nesting, columns)
_MAX_DEPTH = 8  # mappings walked into when looking for every table in a value

# Column-oriented tables: a list of column names (or of {"name", "type"} descriptions) beside a
# list of rows, as SQL servers and pandas' "split" orient send them.
_COLUMN_KEYS = ("columns", "column_names", "fields", "headers", "header", "cols")
_ROW_KEYS = ("rows", "data", "values", "records", "results")
_TYPE_KEYS = ("types", "column_types", "dtypes", "data_types")
_NAME_FIELDS = ("name", "column_name", "column", "field", "label", "title")
_TYPE_FIELDS = ("type", "data_type", "dtype", "sql_type", "column_type", "type_name", "datatype")


class Table:
    """Rows found in a value.

    ``shape`` is ``"records"`` (a list of mappings), ``"columns"`` (a mapping of equal-length
    lists of values), ``"values"`` (a list of scalars), ``"row"`` (one flat mapping) or ``"grid"``
    (column names beside a list of row lists; ``names`` are the columns and ``types`` the type
    names the server gave for them, if any).
    """

    __slots__ = ("data", "index", "names", "shape", "types")

    def __init__(
        self,
        data: Any,
        shape: str,
        names: Sequence[str] = (),
        types: Mapping[str, str] | None = None,
        index: Sequence[Any] | None = None,
    ) -> None:
        self.data = data
        self.shape = shape
        self.names = list(names)
        self.types = dict(types or {})
        self.index = index

    def __len__(self) -> int:
        if self.shape == "columns":
            return len(next(iter(self.data.values()), []))
        if self.shape == "row":
            return 1
        return len(self.data)

    def columns(self) -> list[str]:
        if self.shape == "records":
            seen: dict[str, None] = {}
            for record in self.data[:_SAMPLE]:
                seen.update(dict.fromkeys(str(k) for k in record))
            return list(seen)
        if self.shape == "grid":
            return self.names
        if self.shape in ("columns", "row"):
            return [str(k) for k in self.data]
        return ["value"]

    def rows(self, limit: int) -> list[list[Any]]:
        """The first ``limit`` rows as lists, in ``columns()`` order (cheap: only those rows)."""
        cols = self.columns()
        if self.shape == "records":
            return [[r.get(c) for c in cols] for r in self.data[:limit]]
        if self.shape == "grid":
            return [list(r) for r in self.data[:limit]]
        if self.shape == "columns":
            values = list(self.data.values())
            return [[v[i] for v in values] for i in range(min(limit, len(self)))]
        if self.shape == "row":
            return [list(self.data.values())]
        return [[v] for v in self.data[:limit]]


def _scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list))


def tabular(value: Any) -> Table | None:
    """The one table ``value`` is, or None when it is not one table.

    Understood: a list of records; a mapping of equal-length lists of values (columns); column
    names beside a list of rows (``{"columns": [...], "rows": [[...], ...]}``, types optional); a
    list of scalars; a flat mapping (one row); any of those wrapped in a single-key mapping such
    as ``{"result": [...]}`` (what MCPServer makes of a tool returning a list); and a mapping whose
    only list is a list of records, beside scalar metadata (``{"by": "species", "groups": [...]}``).

    Never a table: two lists of records side by side (``{"entities": [...], "relations": [...]}``)
    are two tables, whatever their lengths; ``tables`` finds each of them.
    """
    if isinstance(value, Mapping) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, list) and not inner:
            # {"result": []}: no rows, not a column named "result" (which a non-empty list never gives).
            return Table([], "records")
        if isinstance(inner, (list, Mapping)):
            found = tabular(inner)
            if found is not None and found.shape != "row":
                return found
    if isinstance(value, list) and value:
        sample = value[:_SAMPLE]
        if media_blocks(value):
            return None  # pictures and sounds, shown as such: not a table of base64
        if all(isinstance(v, Mapping) for v in sample):
            return Table(value, "records")
        if all(_scalar(v) for v in sample):
            return Table(value, "values")
        return None
    if isinstance(value, Mapping) and value:
        grid = _grid(value)
        if grid is not None:
            return grid
        values = list(value.values())
        if _columns(values):
            return Table(value, "columns")
        if all(_scalar(v) for v in values):
            return Table(value, "row")
        # One list of records beside scalar metadata ({"column": ..., "groups": [...]}): the list.
        lists = [v for v in values if isinstance(v, list)]
        if len(lists) == 1 and all(not isinstance(v, Mapping) for v in values):
            if not lists[0]:
                return Table([], "records")  # a list of records that is empty this time
            found = tabular(lists[0])
            if found is not None and found.shape == "records":
                return found
    return None


def _columns(values: Sequence[Any]) -> bool:
    """Equal-length lists whose items are values (not records): one table sent column by column.

    Lists of records are never columns: row *i* of one has nothing to do with row *i* of another.
    """
    if not values or not all(isinstance(v, list) for v in values) or len({len(v) for v in values}) != 1:
        return False
    return all(not isinstance(item, Mapping) for v in values for item in v[:_SAMPLE])


def _grid(value: Mapping[str, Any]) -> Table | None:
    """``{"columns": [...], "rows": [[...], ...]}`` and its kin (see the keys above), or None."""
    columns = next((value[k] for k in _COLUMN_KEYS if isinstance(value.get(k), list) and value[k]), None)
    schema = value.get("schema")
    if columns is None and isinstance(schema, Mapping) and isinstance(schema.get("fields"), list):
        columns = schema["fields"]  # pandas' "table" orient: {"schema": {"fields": [...]}, "data": [...]}
    if columns is None:
        return None
    names: list[str] = []
    types: dict[str, str] = {}
    for column in columns:
        if isinstance(column, str):
            names.append(column)
        elif isinstance(column, Mapping):
            name = next((column[f] for f in _NAME_FIELDS if isinstance(column.get(f), str)), None)
            if name is None:
                return None
            names.append(name)
            kind = next((column[f] for f in _TYPE_FIELDS if isinstance(column.get(f), str)), None)
            if kind is not None:
                types[name] = kind
        else:
            return None
    for key in _TYPE_KEYS:
        listed = value.get(key)
        if isinstance(listed, list) and len(listed) == len(names) and all(isinstance(t, str) for t in listed):
            types.update(zip(names, listed, strict=True))
            break
    rows = next((value[k] for k in _ROW_KEYS if isinstance(value.get(k), list)), None)
    if rows is None:
        return None
    index = value.get("index")
    index = index if isinstance(index, list) and len(index) == len(rows) else None
    # map(type, …) and map(len, …) run in C: checking 100k rows costs a few milliseconds.
    if not rows or (set(map(type, rows)) == {list} and set(map(len, rows)) == {len(names)}):
        return Table(rows, "grid", names, types, index)
    if all(isinstance(r, Mapping) for r in rows):
        return Table(rows, "records", types=types)
    return None


def tables(value: Any, path: str = "") -> dict[str, Table]:
    """Every table in ``value``, by its dotted path (``"entities"``, ``"data.items"``).

    ``value`` itself, when it is one table (``tabular``), is the only one, under ``path``.
    Otherwise mappings are walked (lists are not: a list inside a record is that record's cell):
    each list of records or of values, each column mapping and each columns-and-rows table is a
    table of its own. A flat mapping inside is metadata, not a table.
    """
    found: dict[str, Table] = {}
    _walk(value, path, found, 0, root=True)
    return found


def _walk(value: Any, path: str, found: dict[str, Table], depth: int, *, root: bool = False) -> None:
    table = tabular(value)
    if table is not None and (root or table.shape != "row"):
        found[_join(path, rows_path(value))] = table
        return
    if not isinstance(value, Mapping) or depth >= _MAX_DEPTH:
        return
    for key, inner in value.items():
        where = f"{path}.{key}" if path else str(key)
        if isinstance(inner, list):
            listed = Table([], "records") if not inner else tabular(inner)
            if listed is not None and not media_blocks(inner):
                found[where] = listed
        elif isinstance(inner, Mapping):
            _walk(inner, where, found, depth + 1)


def _join(path: str, rest: str) -> str:
    return f"{path}.{rest}" if path and rest else path or rest


def rows_path(value: Any) -> str:
    """Where inside ``value`` the rows ``tabular`` finds are: ``"result"`` for ``{"result": [...]}``,
    ``"groups"`` for ``{"by": "species", "groups": [...]}``, ``""`` when ``value`` is the table."""
    path = ""
    while isinstance(value, Mapping) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if isinstance(inner, list) and not inner:
            return _join(path, str(key))  # {"result": []}: no rows this time, under "result"
        found = tabular(inner) if isinstance(inner, (list, Mapping)) else None
        if found is None or found.shape == "row":
            break
        path, value = _join(path, str(key)), inner
    if isinstance(value, Mapping) and _grid(value) is None and not _columns(list(value.values())):
        lists = [k for k, v in value.items() if isinstance(v, list)]
        table = tabular(value) if len(lists) == 1 else None
        if table is not None and table.shape == "records":
            path = _join(path, str(lists[0]))  # records beside scalar metadata: the list's own key
    return path


def value_at(value: Any, path: str) -> tuple[bool, Any]:
    """``(True, value)`` at a dotted path (``"data.items"``), or ``(False, None)`` where there is none.

    A key that itself holds dots (``{"a.b": [...]}``) is found too: the longest key that matches
    is taken first.
    """
    if not path:
        return True, value
    if not isinstance(value, Mapping):
        return False, None
    if path in value:
        return True, value[path]
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in value:
            return value_at(value[head], ".".join(parts[cut:]))
    return False, None


_CONTENT_FIELDS = {"image": "data", "audio": "data", "text": "text", "resource": "resource", "resource_link": "uri"}


def media_blocks(value: Any) -> bool:
    """Whether ``value`` is a list of MCP content blocks with media among them
    (``[{"type": "image", "data": ..., "mimeType": ...}]``).

    Servers echo their content blocks as structured content (filesystem's ``read_media_file``);
    those are pictures and sounds to show, not rows of a table with base64 in a cell.
    """
    if not isinstance(value, list) or not value:
        return False
    sample = value[:_SAMPLE]
    blocks = all(isinstance(v, Mapping) and _CONTENT_FIELDS.get(str(v.get("type")), "") in v for v in sample)
    return blocks and any(v["type"] != "text" for v in sample)


def to_frame(value: Any, what: str = "this value") -> pd.DataFrame:
    """A DataFrame from structured data; nested records are flattened (``a.b`` columns)."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, list) and not value:
        return pd.DataFrame()
    table = tabular(value)
    if table is None and isinstance(value, Mapping) and value and not any(isinstance(v, list) for v in value.values()):
        if not _has_list(value):
            # One nested record ({"source": {...}, "target": {...}, "difference": "+9h"}): one row,
            # flattened to dotted columns.
            return flat_frame([dict(value)])
    if table is None:
        raise UsageProblem(f"{what} is not table-shaped ({_shape_words(value)}); use .data to see it as it is")
    return table_frame(table)


def _has_list(value: Mapping[str, Any], depth: int = 0) -> bool:
    """Whether a list of records or values sits anywhere inside nested mappings (then it is not one row)."""
    if depth >= _MAX_DEPTH:
        return False
    return any(
        (isinstance(v, list) and bool(v) and not media_blocks(v))
        or (isinstance(v, Mapping) and _has_list(v, depth + 1))
        for v in value.values()
    )


def table_frame(table: Table) -> pd.DataFrame:
    """The DataFrame of a ``Table``; a grid's type names become dtypes."""
    import pandas as pd

    if table.shape == "records":
        records = table.data
        if any(isinstance(v, Mapping) for r in records[:_SAMPLE] for v in r.values()):
            frame = flat_frame(records)
        else:
            frame = pd.DataFrame(records)
    elif table.shape == "grid":
        frame = pd.DataFrame(table.data, columns=pd.Index(table.names, dtype=object))
        if frame.empty and not len(frame.columns):
            frame = pd.DataFrame(columns=pd.Index(table.names, dtype=object))
        if table.index is not None:
            frame.index = pd.Index(table.index)
    elif table.shape == "columns":
        frame = pd.DataFrame(dict(table.data))
    elif table.shape == "row":
        frame = flat_frame([dict(table.data)])
    else:
        frame = pd.DataFrame({"value": table.data})
    if table.types:
        from .schema_frames import apply_types
        from .type_names import kinds_of

        frame = apply_types(frame, kinds_of(table.types))
    return frame


def flat_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``pd.json_normalize(records)``, the same frame, built column by column.

    json_normalize first makes a flattened copy of every record (a new dict per row, a new key
    string per cell), then a frame from those: its peak is about 3.3× the frame (benchmarks, the
    dataframe figure). Here each cell goes straight into its column's list. The rules are pandas'
    own: a record's plain keys first, then its nested mappings flattened depth-first with dotted
    names; an empty mapping gives no column; columns in the order first met; a cell a record
    lacks is NaN, as pandas makes it.
    """
    import math

    import pandas as pd

    missing = math.nan
    columns: dict[str, list[Any]] = {}

    def put(key: str, value: Any, row: int) -> None:
        column = columns.get(key)
        if column is None:
            column = columns[key] = [missing] * row
        elif len(column) > row:  # "a.b" beside {"a": {"b": …}}: the nested one wins, as in pandas
            column[row] = value
            return
        elif len(column) < row:
            column.extend([missing] * (row - len(column)))
        column.append(value)

    def nested(prefix: str, value: Mapping[str, Any], row: int) -> None:
        for key, inner in value.items():
            name = f"{prefix}.{key}"
            if isinstance(inner, dict):
                nested(name, inner, row)
            else:
                put(name, inner, row)

    for row, record in enumerate(records):
        for key, value in record.items():
            if not isinstance(value, dict):
                put(str(key), value, row)
        for key, value in record.items():
            if isinstance(value, dict):
                nested(str(key), value, row)
    total = len(records)
    for column in columns.values():
        if len(column) < total:
            column.extend([missing] * (total - len(column)))
    if not columns:  # records with nothing in them: rows without columns, as pandas gives
        return pd.DataFrame(index=pd.RangeIndex(total), columns=pd.Index([], dtype=object))
    return pd.DataFrame(columns, index=pd.RangeIndex(total))


def kind_of_text(mime: str | None, uri: str = "") -> str | None:
    """``"csv"``, ``"tsv"``, ``"json"``, ``"ndjson"`` or None, from a MIME type or the URI's suffix."""
    mime = (mime or "").split(";")[0].strip().lower()
    by_mime = {
        "text/csv": "csv",
        "application/csv": "csv",
        "text/tab-separated-values": "tsv",
        "application/json": "json",
        "application/x-ndjson": "ndjson",
        "application/ndjson": "ndjson",
        "application/jsonl": "ndjson",
        "application/x-jsonlines": "ndjson",
        "application/jsonlines": "ndjson",
    }
    if mime in by_mime:
        return by_mime[mime]
    if mime.endswith("+json"):
        return "json"
    path = uri.split("?")[0].split("#")[0].lower()
    for suffix, kind in (
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
        (".json", "json"),
    ):
        if path.endswith(suffix):
            return kind
    return None


def text_to_frame(text: str, kind: str | None, what: str = "this text") -> pd.DataFrame:
    """A DataFrame from text in ``kind`` (``"csv"``, ``"tsv"``, ``"json"``, ``"ndjson"``,
    ``"markdown"``, ``"python"``); with no ``kind``, the format is sniffed (``text_tables``)."""
    from .table_choice import in_text

    return in_text(text, what, hint=kind).one("say its format (csv, tsv, json, ndjson, markdown, python)")


def parse_json_texts(texts: Sequence[str]) -> tuple[bool, Any]:
    """(True, value) when every text parses as JSON: one text → its value, several → a list."""
    values = []
    for text in texts:
        stripped = text.strip()
        if not stripped or stripped[0] not in '[{"-0123456789tfn':
            return False, None
        try:
            values.append(json.loads(stripped))
        except json.JSONDecodeError:
            return False, None
    if not values:
        return False, None
    return True, values[0] if len(values) == 1 else values


def _shape_words(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(list(map(str, value))[:5])
        return f"a mapping with keys {keys}" if keys else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} mixed items"
    return f"a single {type(value).__name__}"
