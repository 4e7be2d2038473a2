"""Pure: tables as polars DataFrames and Arrow tables, beside pandas (``.to_polars()``, ``.to_arrow()``)."""

from __future__ import annotations

from typing import Any

from .errors import UsageProblem

__all__ = ["POLARS_EXTRA", "polars_map_result", "need_polars"]

POLARS_EXTRA = "pip install 'mcp-notebook[polars]'"
ARROW_EXTRA = "pip install 'mcp-notebook[arrow]'"


def need_polars(what: str) -> Any:
    try:
        import polars
    except ImportError as e:
        raise UsageProblem(f"{what} needs polars: {POLARS_EXTRA}") from e
    return polars


def polars_map_result(frame: Any, data: Any, keep: bool) -> Any:
    """A map's pandas result as a polars DataFrame (rows in the input's order; ``keep``: its columns first)."""
    pl = need_polars("a map over a polars DataFrame")
    result = pl.from_pandas(frame.reset_index(drop=True))
    if not keep:
        return result
    taken = set(result.columns)
    inputs = data.rename({c: f"input.{c}" for c in data.columns if c in taken})
    return pl.concat([inputs, result], how="horizontal")
