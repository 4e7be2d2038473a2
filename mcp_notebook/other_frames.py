"""Pure: tables as polars DataFrames and Arrow tables, beside pandas (``.to_polars()``, ``.to_arrow()``).

The table is chosen as ``.to_dataframe()`` chooses it (``table_choice``: the same keys, dotted
paths, and the same refusal naming them when there are several), then built without pandas
where the data allows:

- structured data (records, columns, ``columns`` + ``rows``, parsed JSON or NDJSON text): from its
  typed columns (``typed_columns``), so ``outputSchema`` types, date-times and flattened nested
  records are the ones pandas gets;
- Parquet: read by pyarrow, which is what pandas reads it with too;
- CSV, TSV and Markdown tables in text go through the pandas frame (see ``_via_pandas``).

polars and pyarrow are optional: without them, one line names the extra to install.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import table_choice
from .errors import UsageProblem
from .typed_columns import Column, columns_of, typed

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

__all__ = [
    "ARROW_EXTRA",
    "LIBRARIES",
    "POLARS_EXTRA",
    "OtherFrames",
    "every_table",
    "need_arrow",
    "need_polars",
    "polars_map_result",
    "rows_table",
    "table",
]

POLARS_EXTRA = "pip install 'mcp-notebook[polars]'"
ARROW_EXTRA = "pip install 'mcp-notebook[arrow]'"
LIBRARIES = ("pandas", "polars", "arrow")
"""What ``frames(to=...)`` takes."""


def need_polars(what: str) -> Any:
    try:
        import polars
    except ImportError as e:
        raise UsageProblem(f"{what} needs polars: {POLARS_EXTRA}") from e
    return polars


def need_arrow(what: str) -> Any:
    try:
        import pyarrow
    except ImportError as e:
        raise UsageProblem(f"{what} needs pyarrow: {ARROW_EXTRA}") from e
    return pyarrow


class OtherFrames:
    """``.to_polars()`` and ``.to_arrow()`` for a result whose ``_chosen`` finds its table."""

    def _chosen(self, key: str | None, fmt: str | None, caller: table_choice.Caller) -> tuple[table_choice.Found, str]:
        raise NotImplementedError

    def to_polars(self, key: str | None = None, *, format: str | None = None) -> pl.DataFrame:
        """The table ``.to_dataframe(key, format=format)`` gives, as a polars DataFrame.

        Chosen the same way (``key`` a dotted path where there are several) and typed the same
        way (the tool's ``outputSchema``, date-times parsed), built from the data itself, not
        through pandas, where the data is structured. Needs polars: ``pip install 'mcp-notebook[polars]'``.
        """
        need_polars(".to_polars()")
        found, chosen = self._chosen(key, format, table_choice.POLARS)
        return table(found, chosen, "polars")

    def to_arrow(self, key: str | None = None, *, format: str | None = None) -> pa.Table:
        """The table ``.to_dataframe(key, format=format)`` gives, as a pyarrow Table (see ``to_polars``).

        Needs pyarrow: ``pip install 'mcp-notebook[arrow]'``.
        """
        need_arrow(".to_arrow()")
        found, chosen = self._chosen(key, format, table_choice.ARROW)
        return table(found, chosen, "arrow")


def every_table(found: table_choice.Found, to: str) -> dict[str, Any]:
    """``frames(to=...)``: every table found, by key, as frames of the library ``to``."""
    if to not in LIBRARIES:
        raise UsageProblem(f"frames(to={to!r}): say one of {', '.join(map(repr, LIBRARIES))}")
    return {key: table(found, key, to) for key in found.builders}


def table(found: table_choice.Found, key: str, to: str) -> Any:
    """The table under ``key`` as a pandas DataFrame, a polars DataFrame or a pyarrow Table."""
    if to == "pandas":
        return found.builders[key]()
    source = found.sources.get(key)
    if isinstance(source, table_choice.Rows):
        columns = columns_of(source.value, source.schema, source.what)
        return _polars(columns) if to == "polars" else _arrow(columns, source.what)
    if isinstance(source, table_choice.Parquet):
        return _parquet(source, to)
    return _via_pandas(found.builders[key](), to, found.what)


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], to: str, what: str) -> Any:
    """A listing's rows (dicts) as a polars DataFrame or Arrow table, ``columns`` in that order."""
    typed_columns = [typed(name, [row.get(name) for row in rows]) for name in columns]
    return _polars(typed_columns) if to == "polars" else _arrow(typed_columns, what)


def _polars(columns: list[Column]) -> pl.DataFrame:
    import polars as pl

    kinds = {
        "integer": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "string": pl.String,
        "null": pl.Null,
    }
    series = []
    for column in columns:
        if column.kind == "datetime":
            naive = pl.Series(column.name, column.values, dtype=pl.Datetime("us"))
            series.append(naive.dt.replace_time_zone(column.zone) if column.zone else naive)
        elif column.kind is not None:
            series.append(pl.Series(column.name, column.values, dtype=kinds[column.kind], strict=True))
        else:
            try:  # lists and records: polars finds their type (List, Struct)
                series.append(pl.Series(column.name, column.values, strict=True))
            except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
                # Values of several types: kept as they are (pandas keeps them as objects too).
                series.append(pl.Series(column.name, column.values, dtype=pl.Object))
    return pl.DataFrame(series)


def _arrow(columns: list[Column], what: str) -> pa.Table:
    import pyarrow as pa

    kinds = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "string": pa.string()}
    arrays: dict[str, pa.Array] = {}
    for column in columns:
        if column.kind == "datetime":
            arrays[column.name] = pa.array(column.values, pa.timestamp("us", tz=column.zone))
        elif column.kind == "null":
            arrays[column.name] = pa.nulls(len(column.values))
        elif column.kind is not None:
            arrays[column.name] = pa.array(column.values, kinds[column.kind])
        else:
            try:
                arrays[column.name] = pa.array(column.values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
                shown = ", ".join(sorted({type(v).__name__ for v in column.values if v is not None}))
                raise UsageProblem(
                    f"{what}: column {column.name!r} holds values of several types ({shown}), and an Arrow "
                    "column has one; .to_polars() or .to_dataframe() keep them as objects"
                ) from e
    return pa.table(arrays)


def _parquet(source: table_choice.Parquet, to: str) -> Any:
    pa = need_arrow(f"{source.what} (Parquet)")
    import pyarrow.parquet as pq

    try:
        read = pq.read_table(pa.BufferReader(source.data))
    except Exception as e:  # pyarrow raises several kinds for bytes that are not Parquet
        raise UsageProblem(f"{source.what} is not readable Parquet: {e}") from e
    if to == "arrow":
        return read
    import polars as pl

    return pl.from_arrow(read)


def _via_pandas(frame: Any, to: str, what: str) -> Any:
    # CSV, TSV and Markdown text are read by pandas (text_tables). Another reader would read the
    # same text differently (which cells are missing: "NA", "n/a", ""; what is a number; ";" as the
    # separator), and .to_polars() would then disagree with .to_dataframe(); so the frame is converted.
    try:
        if to == "polars":
            import polars as pl

            return pl.from_pandas(frame)
        import pyarrow as pa

        return pa.Table.from_pandas(frame, preserve_index=False)
    except ImportError as e:
        raise UsageProblem(f"{what}: converting its table needs pyarrow: {POLARS_EXTRA}") from e


def polars_map_result(frame: Any, data: Any, keep: bool) -> Any:
    """A map's pandas result as a polars DataFrame (rows in the input's order; ``keep``: its columns first)."""
    pl = need_polars("a map over a polars DataFrame")
    result = pl.from_pandas(frame.reset_index(drop=True))
    if not keep:
        return result
    taken = set(result.columns)
    inputs = data.rename({c: f"input.{c}" for c in data.columns if c in taken})
    return pl.concat([inputs, result], how="horizontal")
