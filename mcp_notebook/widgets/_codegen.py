"""Code that reproduces a call: the ``%mcp`` line (or ``%%mcp`` cell) and the Python call.

Pure. Every value is written so that the magic's parser reads it back as the same JSON value:
strings that would parse as something else (``"5"``, ``"true"``, ``"$x"``, ``"{y}"``) are quoted,
other values are compact JSON (brackets keep it together on the line).
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["magic_code", "python_code", "magic_value"]

_BARE = re.compile(r"[A-Za-z_./:@%+-][A-Za-z0-9_./:@%+=-]*\Z")
_RESERVED_KW = {"timeout", "progress", "validate"}  # Server.call's own keywords
LINE_LIMIT = 100


def magic_value(value: Any) -> str:
    """How ``value`` is written after ``key=`` on a ``%mcp`` line."""
    if isinstance(value, str):
        if _BARE.match(value) and not _parses_as_other_json(value):
            return value
        if "'" not in value:
            return f"'{value}'"
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": ") if isinstance(value, dict) else (",", ":"))


def _parses_as_other_json(text: str) -> bool:
    try:
        return not isinstance(json.loads(text), str)
    except ValueError:
        return False


def _needs_cell(args: Mapping[str, Any]) -> bool:
    for value in args.values():
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            return True
        if isinstance(value, (dict, list)) and len(json.dumps(value)) > 60:
            return True
    return False


def magic_code(kind: str, target: str, args: Mapping[str, Any], extra: str = "") -> str:
    """``%mcp call demo.query species=Gentoo limit=3`` — or a ``%%mcp`` cell with a JSON body
    when a value would not read well on one line. ``kind`` is ``call`` or ``prompt``."""
    head = f"{kind} {target}{' ' + extra if extra else ''}"
    words = [f"{key}={magic_value(value)}" for key, value in args.items()]
    line = " ".join([f"%mcp {head}", *words])
    if all(_simple_key(k) for k in args) and not _needs_cell(args) and len(line) <= LINE_LIMIT:
        return line
    return f"%%mcp {head}\n" + json.dumps(dict(args), indent=2, ensure_ascii=False)


def _simple_key(key: str) -> bool:
    return bool(key) and not any(c.isspace() or c in "='\"{}[]()$\\" for c in key)


def python_code(server: str, method: str, name: str, args: Mapping[str, Any]) -> str:
    """``mn.get("demo").call("query", species="Gentoo", limit=3)``, runnable after ``import mcp_notebook as mn``."""
    call = f"mn.get({server!r}).{method}({name!r}"
    if args:
        if all(k.isidentifier() and not keyword.iskeyword(k) and k not in _RESERVED_KW for k in args):
            call += ", " + ", ".join(f"{k}={_py(v)}" for k, v in args.items())
        else:
            call += ", " + _py(dict(args))
    call += ")"
    return f"import mcp_notebook as mn\n\nresult = {call}\nresult"


def _py(value: Any) -> str:
    """A Python literal for a JSON value."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float, str)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(str(k))}: {_py(v)}" for k, v in value.items()) + "}"
    return repr(value)
