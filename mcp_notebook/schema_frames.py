"""Pure: DataFrames typed by a tool's ``outputSchema``, and Parquet bytes read as a frame.

JSON carries no dtypes: a column of integers with one null comes back as floats, booleans with a
null as objects, timestamps as text. A tool that declares an ``outputSchema`` says what each field
is, so its columns are cast accordingly: ``integer`` → ``Int64``, ``number`` → ``float64``,
``boolean`` → ``boolean``, ``string`` → ``string``, ``format: date-time`` / ``date`` → datetime.
Nested objects are flattened into dotted columns (``a.b``), arrays stay lists in their cells.
A column whose values do not fit its declared type is left as it came (the data win over the
schema). Every step is one vectorised pass per column, so 100k rows cost what pandas costs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import frames
from ._schema import deref
from .errors import UsageProblem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PARQUET_TYPES",
    "apply_types",
    "column_types",
    "flatten",
    "has_nested_objects",
    "is_parquet",
    "read_parquet",
    "resolve",
    "rows_schema",
    "schema_at",
    "typed_frame",
]

PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/parquet")
_MAX_DEPTH = 20  # nesting followed through $ref and properties; deeper is left untyped


def resolve(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with a local ``$ref`` followed and a nullable ``anyOf``/``oneOf`` unwrapped."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(schema, Mapping):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            schema = deref(schema, root)
            continue
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list):
                real = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
                if len(real) == 1:
                    schema = real[0]
                    break
        else:
            return dict(schema)
    return {}


def _type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        real = [k for k in kind if k != "null"]
        kind = real[0] if len(real) == 1 else None
    return kind if isinstance(kind, str) else None


def _prop(schema: Mapping[str, Any], key: str, root: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return resolve(props.get(key), root) if isinstance(props, Mapping) else {}


def _items(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    return resolve(schema.get("items"), root)


def rows_schema(value: Any, schema: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The object schema of the rows ``frames.tabular(value)`` finds in ``value``, or None.

    It follows the same shapes as ``tabular``: a list of records (its ``items``), a single-key
    wrapper such as ``{"result": [...]}``, one list of records beside scalar metadata, a mapping
    of columns (each property's ``items``), and a flat mapping (one row, the schema itself).
    """
    if not schema:
        return None
    root = schema
    return _rows_schema(value, resolve(schema, root), root, 0)


def _rows_schema(value: Any, schema: dict[str, Any], root: Mapping[str, Any], depth: int) -> dict[str, Any] | None:
    if depth > _MAX_DEPTH or not schema:
        return None
    if isinstance(value, Mapping) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if isinstance(inner, list) and not inner:
            return _records(_items(_prop(schema, str(key), root), root))
        if isinstance(inner, (list, Mapping)):
            found = frames.tabular(inner)
            if found is not None and found.shape != "row":
                return _rows_schema(inner, _prop(schema, str(key), root), root, depth + 1)
    if isinstance(value, list):
        items = _items(schema, root)
        table = frames.tabular(value)
        if table is not None and table.shape == "values":
            return {"type": "object", "properties": {"value": items}}
        return _records(items)
    if isinstance(value, Mapping) and value:
        values = list(value.values())
        if frames._columns(values):
            return {
                "type": "object",
                "properties": {str(k): _items(_prop(schema, str(k), root), root) for k in value},
            }
        if all(not isinstance(v, (list, Mapping)) for v in values):
            return schema
        lists = [k for k, v in value.items() if isinstance(v, list)]
        if len(lists) == 1:
            return _records(_items(_prop(schema, str(lists[0]), root), root))
    return None


def schema_at(schema: Mapping[str, Any] | None, path: str) -> dict[str, Any] | None:
    """The schema of the value at a dotted path (``"data.items"``) of a value ``schema`` describes.

    ``$ref``s are followed against the whole schema, so the result is self-contained only for
    local properties; where the path leaves the schema's properties, None (the frame is untyped).
    """
    if not schema:
        return None
    if not path:
        return dict(schema)
    current = resolve(schema, schema)
    for part in path.split("."):
        current = _prop(current, part, schema)
        if not current:
            return None
    # Keep the root's definitions reachable for $refs inside the sub-schema.
    defs = {k: schema[k] for k in ("$defs", "definitions") if k in schema}
    return {**defs, **current}


def _records(items: dict[str, Any]) -> dict[str, Any] | None:
    return items if items and isinstance(items.get("properties"), Mapping) else None


def column_types(schema: Mapping[str, Any] | None, root: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``{column: kind}`` for an object schema; nested objects give dotted names (``a.b``).

    Kinds: ``integer``, ``number``, ``boolean``, ``string``, ``datetime``. Arrays, free-form
    objects and unions are left out (their columns stay as they are).
    """
    out: dict[str, str] = {}
    if schema:
        _collect(resolve(schema, root or schema), root or schema, "", out, 0)
    return out


def _collect(schema: Mapping[str, Any], root: Mapping[str, Any], prefix: str, out: dict[str, str], depth: int) -> None:
    props = schema.get("properties")
    if not isinstance(props, Mapping) or depth > _MAX_DEPTH:
        return
    for key, raw in props.items():
        spec = resolve(raw, root)
        kind = _type(spec)
        name = f"{prefix}{key}"
        if kind == "object" and isinstance(spec.get("properties"), Mapping):
            _collect(spec, root, f"{name}.", out, depth + 1)
        elif kind == "string" and spec.get("format") in ("date-time", "date"):
            out[name] = "datetime"
        elif kind in ("integer", "number", "boolean", "string"):
            out[name] = kind


def has_nested_objects(schema: Mapping[str, Any] | None) -> bool:
    return any("." in name for name in column_types(schema))


def apply_types(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Cast the columns of ``frame`` named in ``kinds``; a column that does not fit is kept as is."""
    import pandas as pd

    casts = {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "string"}
    for name, kind in kinds.items():
        if name not in frame.columns:
            continue
        column = frame[name]
        try:
            if kind == "datetime":
                try:
                    converted = pd.to_datetime(column, format="ISO8601")
                except (ValueError, TypeError):  # mixed UTC offsets: one instant scale
                    converted = pd.to_datetime(column, format="ISO8601", utc=True)
            elif (
                kind == "string" and column.dtype == object and column.map(lambda v: isinstance(v, (list, dict))).any()
            ):
                continue  # a schema that says string for structured values: keep the values
            else:
                converted = column.astype(casts[kind])
        except (ValueError, TypeError, OverflowError):
            continue
        frame[name] = converted
    return frame


def typed_frame(value: Any, schema: Mapping[str, Any] | None, what: str = "this value") -> pd.DataFrame:
    """``frames.to_frame(value)``, with dtypes from ``schema`` (the tool's ``outputSchema``)."""
    rows = rows_schema(value, schema)
    table = frames.tabular(value)
    if rows is not None and table is not None and table.shape == "records" and has_nested_objects(rows):
        frame = frames.flat_frame(table.data)  # nesting may start after the rows to_frame samples
    else:
        frame = frames.to_frame(value, what)
    if rows is None:
        return frame
    return apply_types(frame, column_types(rows, schema))


def flatten(record: Mapping[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record with nested mappings flattened into dotted keys; lists stay values."""
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flatten(value, f"{name}.", out)
        else:
            out[name] = value
    return out


def read_parquet(data: bytes, what: str = "this data") -> pd.DataFrame:
    """A DataFrame from Parquet bytes (needs pyarrow or fastparquet)."""
    import pandas as pd

    try:
        return pd.read_parquet(io.BytesIO(data))
    except ImportError as e:
        raise UsageProblem(f"{what} is Parquet; reading it needs pyarrow: pip install pyarrow") from e
    except Exception as e:
        raise UsageProblem(f"{what} is not readable Parquet: {e}") from e


def is_parquet(mime: str | None, uri: str = "") -> bool:
    mime = (mime or "").split(";")[0].strip().lower()
    return mime in PARQUET_TYPES or uri.split("?")[0].lower().endswith(".parquet")
