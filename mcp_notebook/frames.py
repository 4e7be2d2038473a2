"""Pure conversions to tables: structured content, JSON, CSV/TSV, NDJSON → rows or a DataFrame.

``tabular`` finds the rows of a value without pandas (display uses it); ``to_frame`` and
``text_to_frame`` build DataFrames and import pandas only when called.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Table", "flat_frame", "kind_of_text", "tabular", "text_to_frame", "to_frame"]

_SAMPLE = 100  # rows inspected to decide the shape of a table (nesting, columns)


class Table:
    """Rows found in a value: records (list of mappings), columns (mapping of lists) or scalars."""

    __slots__ = ("data", "shape")

    def __init__(self, data: Any, shape: str) -> None:
        self.data = data
        self.shape = shape  # "records" | "columns" | "values" | "row"

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
        if self.shape in ("columns", "row"):
            return [str(k) for k in self.data]
        return ["value"]

    def rows(self, limit: int) -> list[list[Any]]:
        """The first ``limit`` rows as lists, in ``columns()`` order (cheap: only those rows)."""
        cols = self.columns()
        if self.shape == "records":
            return [[r.get(c) for c in cols] for r in self.data[:limit]]
        if self.shape == "columns":
            values = list(self.data.values())
            return [[v[i] for v in values] for i in range(min(limit, len(self)))]
        if self.shape == "row":
            return [list(self.data.values())]
        return [[v] for v in self.data[:limit]]


def tabular(value: Any) -> Table | None:
    """The table inside ``value``, or None when it is not table-shaped.

    Understood: a list of records; a mapping of equal-length lists (columns); a list of scalars;
    a flat mapping (one row); any of those wrapped in a single-key mapping such as
    ``{"result": [...]}`` (what MCPServer makes of a tool returning a list); and a mapping whose
    only list is a list of records, beside scalar metadata (``{"by": "species", "groups": [...]}``).
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
        if all(isinstance(v, Mapping) for v in sample):
            return Table(value, "records")
        if all(not isinstance(v, (Mapping, list)) for v in sample):
            return Table(value, "values")
        return None
    if isinstance(value, Mapping) and value:
        values = list(value.values())
        if all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
            return Table(value, "columns")
        if all(not isinstance(v, (list, Mapping)) for v in values):
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


def to_frame(value: Any, what: str = "this value") -> pd.DataFrame:
    """A DataFrame from structured data; nested records are flattened (``a.b`` columns)."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, list) and not value:
        return pd.DataFrame()
    table = tabular(value)
    if table is None and isinstance(value, Mapping) and value and not any(isinstance(v, list) for v in value.values()):
        # One nested record ({"source": {...}, "target": {...}, "difference": "+9h"}): one row,
        # flattened to dotted columns.
        return flat_frame([dict(value)])
    if table is None:
        raise UsageProblem(f"{what} is not table-shaped ({_shape_words(value)}); use .data to see it as it is")
    if table.shape == "records":
        records = table.data
        if any(isinstance(v, Mapping) for r in records[:_SAMPLE] for v in r.values()):
            return flat_frame(records)
        return pd.DataFrame(records)
    if table.shape == "columns":
        return pd.DataFrame(dict(table.data))
    if table.shape == "row":
        return flat_frame([dict(table.data)])
    return pd.DataFrame({"value": table.data})


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
    """A DataFrame from CSV, TSV, JSON or NDJSON text; with no ``kind``, JSON is tried."""
    import pandas as pd

    if kind in ("csv", "tsv"):
        try:
            return pd.read_csv(io.StringIO(text), sep="," if kind == "csv" else "\t")
        except Exception as e:
            raise UsageProblem(f"{what} is not readable {kind.upper()}: {e}") from e
    if kind == "ndjson":
        records = []
        # Each line is decoded alone, so the error's own line number is always 1: count lines here.
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise UsageProblem(f"{what} is not NDJSON: line {number}: {e.msg}") from e
        return to_frame(records, what)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        hint = "" if kind == "json" else " and its type says nothing of CSV or TSV"
        raise UsageProblem(f"{what} is not JSON (line {e.lineno}, column {e.colno}: {e.msg}){hint}") from e
    return to_frame(value, what)


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
