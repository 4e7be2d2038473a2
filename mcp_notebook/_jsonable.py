"""Values from a notebook, made sendable as JSON tool arguments."""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from .errors import UsageProblem

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with everything JSON cannot carry turned into what it can.

    numpy and pandas scalars become Python numbers, NaN becomes null, dates become ISO text,
    DataFrames become lists of records and Series lists, so values taken from a notebook's
    variables can be sent as tool arguments.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))
    if isinstance(value, PurePath):
        return str(value)
    module = type(value).__module__
    if module.startswith("pandas"):
        if hasattr(value, "to_dict") and hasattr(value, "columns"):
            return jsonable(value.to_dict(orient="records"))
        if hasattr(value, "tolist"):
            return jsonable(value.tolist())
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if str(value) in ("NaT", "<NA>", "nan"):
            return None
    if hasattr(value, "item") and module.startswith("numpy"):
        return jsonable(value.item())
    if hasattr(value, "tolist") and module.startswith("numpy"):
        return jsonable(value.tolist())
    raise UsageProblem(f"cannot send a {type(value).__name__} as JSON; convert it to a str, number, list or dict")
