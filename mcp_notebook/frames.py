"""Pure conversions to DataFrames: structured content, JSON, CSV/TSV, NDJSON → a DataFrame.

``table_shapes`` finds the rows of a value without pandas (display uses it); ``to_frame`` and
``table_choice.text_to_frame`` build DataFrames and import pandas only when called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UsageProblem
from .table_shapes import SAMPLE, Table, has_list, media_blocks, rows_path, shape_words, tables, tabular, value_at

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Table",
    "flat_frame",
    "kind_of_text",
    "media_blocks",
    "nests",
    "record_columns",
    "rows_path",
    "tables",
    "tabular",
    "to_frame",
    "value_at",
]


def to_frame(value: Any, what: str = "this value") -> pd.DataFrame:
    """A DataFrame from structured data; nested records are flattened (``a.b`` columns)."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, list) and not value:
        return pd.DataFrame()
    table = tabular(value)
    if table is None and isinstance(value, Mapping) and value and not any(isinstance(v, list) for v in value.values()):
        if not has_list(value):
            # One nested record ({"source": {...}, "target": {...}, "difference": "+9h"}): one row,
            # flattened to dotted columns.
            return flat_frame([dict(value)])
    if table is None:
        raise UsageProblem(f"{what} is not table-shaped ({shape_words(value)}); use .data to see it as it is")
    return table_frame(table)


def table_frame(table: Table) -> pd.DataFrame:
    """The DataFrame of a ``Table``; a grid's type names become dtypes."""
    import pandas as pd

    if table.shape == "records":
        records = table.data
        if nests(records):
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
        from .type_names import apply_types, kinds_of

        frame = apply_types(frame, kinds_of(table.types))
    return frame


def nests(records: Sequence[Mapping[str, Any]]) -> bool:
    """Whether records hold mappings, so their frame is flattened (judged from the first ``SAMPLE``)."""
    return any(isinstance(v, Mapping) for r in records[:SAMPLE] for v in r.values())


def flat_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``pd.json_normalize(records)``, the same frame, built column by column.

    json_normalize first makes a flattened copy of every record (a new dict per row, a new key
    string per cell), then a frame from those: its peak is about 3.3× the frame (benchmarks, the
    dataframe figure). Here each cell goes straight into its column's list (``record_columns``);
    a cell a record lacks is NaN, as pandas makes it.
    """
    import math

    import pandas as pd

    total = len(records)
    columns = record_columns(records, missing=math.nan)
    if not columns:  # records with nothing in them: rows without columns, as pandas gives
        return pd.DataFrame(index=pd.RangeIndex(total), columns=pd.Index([], dtype=object))
    return pd.DataFrame(columns, index=pd.RangeIndex(total))


def record_columns(
    records: Sequence[Mapping[str, Any]], *, missing: Any = None, flat: bool = True
) -> dict[str, list[Any]]:
    """The columns of a list of records, each a list of its cells; no frame library needed.

    ``flat``: the rules are pandas' ``json_normalize``: a record's plain keys first, then its
    nested mappings flattened depth-first with dotted names; an empty mapping gives no column.
    Not ``flat``: the keys as they are (``pd.DataFrame(records)``). Either way columns come in the
    order first met, and a cell a record lacks is ``missing``.
    """
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
            if not (flat and isinstance(value, dict)):
                put(str(key), value, row)
        if flat:
            for key, value in record.items():
                if isinstance(value, dict):
                    nested(str(key), value, row)
    total = len(records)
    for column in columns.values():
        if len(column) < total:
            column.extend([missing] * (total - len(column)))
    return columns


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
