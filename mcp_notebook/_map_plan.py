"""Planning a ``map`` in the caller's thread, before anything is sent: which column feeds which
argument, the rows' arguments, how many calls may overlap, and the checks that refuse a map that
cannot work (once, with one line, rather than once per row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._jsonable import jsonable
from .errors import UsageProblem, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_options", "choose_concurrency", "is_polars_frame", "plan_arguments", "with_input"]

READ_ONLY_CONCURRENCY = 16  # calls at once by default, for tools marked read-only
INPUT_PREFIX = "input."  # an input column kept beside a result column of the same name


def plan_arguments(
    data: Any, args: Any, input_schema: Mapping[str, Any] | None, what: str
) -> tuple[Any, list[dict[str, Any]]]:
    """(the index of the result, one argument mapping per row).

    ``args`` maps argument names to ``"@column"`` (a column) or a constant (``"@@x"`` is the text
    ``"@x"``), and every other argument of the tool is taken from the column of the same name,
    if there is one; a list of names takes each from the column of that name (and nothing else);
    None takes every column named like one of the tool's arguments. Missing values (None, NaN,
    NA) are left out, so the tool's default applies. A required argument that nothing gives is
    refused here, once, before any call.
    """
    import pandas as pd

    if is_polars_frame(data):  # read column by column, never converted to pandas
        index, columns = pd.RangeIndex(data.height), [str(c) for c in data.columns]
        table = data

        def column(name: str) -> list[Any]:
            return list(table.get_column(name).to_list())

    elif isinstance(data, pd.DataFrame):
        index, columns = data.index, [str(c) for c in data.columns]
        frame = data

        def column(name: str) -> list[Any]:
            return list(frame[name].tolist())

    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        records = list(data)
        bad = next((r for r in records if not isinstance(r, Mapping)), None)
        if bad is not None:
            raise UsageProblem(
                f"{what}: map over a DataFrame or a list of dicts, not a list holding {type(bad).__name__}"
            )
        index = pd.RangeIndex(len(records))
        seen: dict[str, None] = {}
        for record in records:
            seen.update(dict.fromkeys(str(k) for k in record))
        columns = list(seen)

        def column(name: str) -> list[Any]:
            return [r.get(name) for r in records]

    else:
        raise UsageProblem(
            f"{what}: map over a DataFrame or a list of dicts (pandas, polars or Dask frames), "
            f"not a {type(data).__name__}"
        )

    properties = list((input_schema or {}).get("properties") or {})
    from_columns, constants = _split_args(args, columns, properties, what)
    for name in from_columns.values():
        if name not in columns:
            raise UsageProblem(
                f"{what}: the rows have no column {name!r}{did_you_mean(name, columns)} "
                f"(their columns: {_names(columns)})"
            )
    _check_required(input_schema, from_columns, constants, columns, what)
    fixed = jsonable(constants)
    values = {arg: column(col) for arg, col in from_columns.items()}
    rows: list[dict[str, Any]] = []
    for i in range(len(index)):
        row = dict(fixed)
        for arg, col_values in values.items():
            value = col_values[i]
            if not _missing(value):
                row[arg] = jsonable(value)
        rows.append(row)
    return index, rows


def is_polars_frame(data: Any) -> bool:
    """Whether ``data`` is a polars DataFrame (without importing polars)."""
    return (type(data).__module__ or "").split(".")[0] == "polars" and hasattr(data, "get_column")


def _split_args(
    args: Any, columns: list[str], properties: list[str], what: str
) -> tuple[dict[str, str], dict[str, Any]]:
    if args is None:
        names = [c for c in columns if c in properties] if properties else columns
        if not names:
            if not properties:
                raise UsageProblem(f"{what} takes no arguments, so the rows have nothing to give it; call it once")
            first = properties[0]
            raise UsageProblem(
                f"{what}: no column is named like an argument of the tool (it takes: {', '.join(properties)}); "
                f"say which column feeds which argument: --arg {first}=@COLUMN (args={{{first!r}: '@COLUMN'}})"
            )
        return {n: n for n in names}, {}
    if isinstance(args, (list, tuple)):
        return {str(n): str(n) for n in args}, {}
    if not isinstance(args, Mapping):
        raise UsageProblem(f"{what}: args is a mapping of argument to '@column' or constant, not {type(args).__name__}")
    from_columns: dict[str, str] = {}
    constants: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("@@"):
            constants[str(key)] = value[1:]
        elif isinstance(value, str) and value.startswith("@"):
            if not value[1:]:
                raise UsageProblem(f"{what}: {key}=@ names no column; write {key}=@COLUMN")
            from_columns[str(key)] = value[1:]
        else:
            constants[str(key)] = value
    # Setting one argument says nothing about the others: those still come from their columns.
    for name in properties:
        if name in columns and name not in from_columns and name not in constants:
            from_columns[name] = name
    return from_columns, constants


def _check_required(
    schema: Mapping[str, Any] | None,
    from_columns: Mapping[str, str],
    constants: Mapping[str, Any],
    columns: list[str],
    what: str,
) -> None:
    """Refuse, once and before any call, a required argument that neither a column nor a constant gives."""
    required = [str(r) for r in (schema or {}).get("required") or []]
    missing = [r for r in required if r not in from_columns and r not in constants]
    if not missing:
        return
    name = missing[0]
    properties = (schema or {}).get("properties") or {}
    takes = ", ".join(f"{p}{'*' if p in required else ''}" for p in properties)
    raise UsageProblem(
        f"{what}: nothing gives the required argument {name!r} (no column has that name and no argument "
        f"sets it){did_you_mean(name, columns) or ';'} name its column: --arg {name}=@COLUMN "
        f"(args={{{name!r}: '@COLUMN'}}); it takes {takes} (* required); the rows have {_names(columns)}"
    )


def _names(columns: list[str]) -> str:
    return f"{', '.join(columns[:20])}{', …' if len(columns) > 20 else ''}"


def with_input(result: pd.DataFrame, data: Any) -> pd.DataFrame:
    """The input's columns, then the result's (``keep=True``), on the result's index.

    The result's columns keep their names whatever the input holds; an input column named like
    one of them is kept as ``input.NAME``.
    """
    import pandas as pd

    inputs = data if isinstance(data, pd.DataFrame) else pd.DataFrame.from_records(list(data))
    taken = {str(c) for c in result.columns}
    renamed = inputs.rename(columns=lambda c: f"{INPUT_PREFIX}{c}" if str(c) in taken else c)
    # Side by side by position: the result is on the input's index already, which may repeat labels.
    both = pd.concat([renamed.reset_index(drop=True), result.reset_index(drop=True)], axis=1)
    both.index = result.index
    both.attrs.update(result.attrs)
    return both


def choose_concurrency(
    concurrency: int | None, workers: int, rows: int, read_only: bool, what: str
) -> tuple[int, str | None]:
    """(how many calls may run at once, the one line that says why only one, or None).

    Given explicitly, ``concurrency`` is taken at its word. Otherwise only a tool marked
    read-only runs several rows at once: a tool that writes may read-modify-write a file and lose
    overlapping writes while answering success (server-memory does).
    """
    if concurrency is not None:
        return concurrency, None
    if read_only:
        return max(READ_ONLY_CONCURRENCY, workers), None
    if workers > 1:
        raise UsageProblem(
            f"workers={workers} overlaps calls, but {what} is not marked read-only, so map runs it one row "
            f"at a time; if its calls are safe to overlap, say so: --concurrency {workers} (concurrency={workers})"
        )
    note = None
    if rows > 1:
        note = f"one row at a time: {what} is not marked read-only; --concurrency N (or concurrency=N) to overlap calls"
    return 1, note


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    kind = type(value).__name__
    return kind in ("NAType", "NaTType")


def check_options(concurrency: Any, rate: Any, retries: Any, workers: Any) -> None:
    """Raise a one-line ``UsageProblem`` for a setting that cannot work (``concurrency`` None: the default)."""

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if concurrency is not None and (not whole(concurrency) or concurrency < 1):
        raise UsageProblem(f"concurrency is how many calls may run at once (1 or more), not {concurrency!r}")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
        raise UsageProblem(f"rate is calls per second (a positive number) or None, not {rate!r}")
    if not whole(retries) or retries < 0:
        raise UsageProblem(
            f"retries is how often a row is tried again after a transport failure (0 or more), not {retries!r}"
        )
    if not whole(workers) or workers < 1:
        raise UsageProblem(f"workers is how many connections share the rows (1 or more), not {workers!r}")
    if concurrency is not None and workers > concurrency:
        raise UsageProblem(
            f"workers={workers} needs concurrency of at least {workers} (each connection needs a call in flight)"
        )
