"""JSON Schema helpers: check arguments before sending, describe parameters for tables.

Validation is a courtesy to the user (a clear message naming the field, before a round trip), not
a gate: a server whose schema is itself broken is still callable, its schema just goes unchecked.

Argument names are checked more strictly than JSON Schema reads them. A schema that lists its
``properties`` and says nothing about others admits any name by the letter of JSON Schema, but the
servers that write such schemas (zod's and pydantic's defaults: server-everything, mcp-server-time,
-git, -fetch) drop a name they did not declare without a word: ``haed=2`` reads the whole file.
So a name outside ``properties`` is refused unless the schema explicitly lets other names in
(``additionalProperties`` or ``unevaluatedProperties`` other than false, ``patternProperties``) or
declares no ``properties`` at all (then it says nothing about names).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from .errors import ArgumentsInvalid

__all__ = ["SchemaChecker", "coerce_loose", "deref", "describe_params", "type_names", "unknown_names"]


def deref(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/X``) followed once, its sibling keywords kept
    over the target's (as JSON Schema 2019-09 reads them); ``{}`` for what is not a schema object.
    A pointer that leads nowhere leaves the siblings alone."""
    if not isinstance(schema, Mapping):
        return {}
    ref = schema.get("$ref")
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return dict(schema)
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")  # JSON Pointer escapes
        target = target.get(part) if isinstance(target, Mapping) else None
    siblings = {k: v for k, v in schema.items() if k != "$ref"}
    return {**target, **siblings} if isinstance(target, Mapping) else siblings


class SchemaChecker:
    """Compiles each schema once; ``check`` raises ``ArgumentsInvalid`` with a one-line message."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}
        self._by_identity: dict[int, tuple[Mapping[str, Any], Any]] = {}

    def _validator(self, schema: Mapping[str, Any]) -> Any | None:
        # Hot path: a tool's schema is the same object call after call (the cached listing's), so
        # look it up by identity before paying for a canonical JSON key.
        hit = self._by_identity.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
        validator = self._compile(schema)
        if len(self._by_identity) > 4096:
            self._by_identity.clear()
        self._by_identity[id(schema)] = (schema, validator)
        return validator

    def _compile(self, schema: Mapping[str, Any]) -> Any | None:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in self._compiled:
            import jsonschema

            try:
                cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
                cls.check_schema(schema)
                self._compiled[key] = cls(schema)
            except Exception:  # a broken server schema: skip checking rather than block the call
                self._compiled[key] = None
        return self._compiled[key]

    def check(self, what: str, schema: Mapping[str, Any] | None, args: Mapping[str, Any], hint: str = "") -> None:
        """Raise ``ArgumentsInvalid`` if ``args`` break ``schema``; ``what`` names the callee."""
        if not schema:
            return
        validator = self._validator(schema)
        if validator is None:
            return
        unknown = unknown_names(schema, args)
        try:
            if not unknown and validator.is_valid(args):
                return
            errors = list(validator.iter_errors(dict(args)))
        except Exception:  # e.g. an unresolvable $ref in the server's schema
            errors = []
        if not errors and not unknown:
            return
        raise ArgumentsInvalid(f"{what}: {_first_problem(errors, schema, unknown, args)}{hint}")

    def field_errors(
        self, schema: Mapping[str, Any] | None, args: Mapping[str, Any]
    ) -> list[tuple[tuple[str, ...], str]]:
        """Every problem as (path of the field, short message), for showing next to form fields.

        A missing required property is reported at its own path, so the message lands under it.
        """
        validator = self._validator(schema) if schema else None
        if validator is None:
            return []
        try:
            errors = list(validator.iter_errors(dict(args)))
        except Exception:
            return []
        out: list[tuple[tuple[str, ...], str]] = []
        for error in errors:
            path = tuple(str(p) for p in error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, Mapping):
                wanted = error.validator_value if isinstance(error.validator_value, list) else []
                out += [((*path, str(n)), "required") for n in wanted if n not in error.instance]
            elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
                out.append((path, _short(error.message)))
            else:
                out.append((path, f"{_short(error.message)} (rule: {error.validator})"))
        return out


def unknown_names(schema: Mapping[str, Any], args: Mapping[str, Any]) -> list[str]:
    """The argument names ``schema`` does not admit (see the module docstring), sorted."""
    extra = set(args) - set(schema.get("properties") or {})
    if not extra:
        return []  # the hot path: every name is a listed property
    names, opened, declared = _admitted(schema, schema, 0)
    if opened or not declared:
        return []
    return sorted(extra - names)


def _admitted(schema: Any, root: Mapping[str, Any], depth: int) -> tuple[set[str], bool, bool]:
    """(the property names ``schema`` and its allOf/anyOf/oneOf branches list, whether any of them
    explicitly lets other names in, whether any of them lists properties at all)."""
    spec = deref(schema, root)
    if depth > 16:
        return set(), True, True  # a cycle of $refs: do not guess
    opened = "patternProperties" in spec or any(
        key in spec and spec[key] is not False for key in ("additionalProperties", "unevaluatedProperties")
    )
    props = spec.get("properties")
    declared = isinstance(props, Mapping)
    names = set(props) if isinstance(props, Mapping) else set()
    for key in ("allOf", "anyOf", "oneOf"):
        branches = spec.get(key)
        for branch in branches if isinstance(branches, list) else []:
            more, branch_opened, branch_declared = _admitted(branch, root, depth + 1)
            names |= more
            opened = opened or branch_opened
            declared = declared or branch_declared
    return names, opened, declared


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every listed property (branches included), for naming kinds and descriptions."""
    found: dict[str, Any] = {}
    for key in ("allOf", "anyOf", "oneOf"):
        branches = schema.get(key)
        for branch in branches if isinstance(branches, list) else []:
            props = deref(branch, schema).get("properties")
            found.update(props if isinstance(props, Mapping) else {})
    found.update(schema.get("properties") or {})
    return found


def _first_problem(errors: list[Any], schema: Mapping[str, Any], unknown: list[str], args: Mapping[str, Any]) -> str:
    """The one problem to report: a missing argument whose name was misspelt, else unknown names,
    else jsonschema's best match."""
    props = _properties(schema)
    missing = [name for name in schema.get("required") or [] if isinstance(name, str) and name not in args]
    for name in missing:
        near = difflib.get_close_matches(name, unknown, n=1, cutoff=0.6)
        if near:
            return f"{_missing(name, props, describe=False)}; did you mean {name!r} for {near[0]!r}?"
    if unknown:
        return _unknown(unknown, props)
    import jsonschema

    return explain(jsonschema.exceptions.best_match(errors), schema)


def _missing(name: str, props: Mapping[str, Any], describe: bool = True) -> str:
    spec = props.get(name, {})
    kind = "/".join(type_names(spec)) or "value"
    desc = f" — {spec['description']}" if describe and isinstance(spec, Mapping) and spec.get("description") else ""
    return f"missing required argument {name!r} ({kind}){desc}"


def _unknown(extra: list[str], props: Mapping[str, Any]) -> str:
    from .errors import did_you_mean

    names = ", ".join(repr(x) for x in extra)
    if not props:
        return f"unknown argument {names} (it takes no arguments)"
    guess = did_you_mean(extra[0], props) if len(extra) == 1 else ""
    return f"unknown argument {names}{guess} (it takes: {', '.join(props)})"


def explain(error: Any, schema: Mapping[str, Any]) -> str:
    """One readable sentence for a jsonschema ``ValidationError``."""
    path = ".".join(str(p) for p in error.absolute_path)
    props = _properties(schema)
    if error.validator == "required" and not path:
        # From the data, not the message: a name holding a quote is repr'd with double quotes there.
        wanted = error.validator_value if isinstance(error.validator_value, list) else []
        gone = [name for name in wanted if isinstance(error.instance, Mapping) and name not in error.instance]
        return _missing(gone[0] if gone else error.message, props)
    if error.validator == "additionalProperties" and not path:
        return _unknown(sorted(set(error.instance) - set(props)), props)
    where = f"argument {path!r}" if path else "the arguments"
    return f"{where}: {_short(error.message)} (rule: {error.validator}){_quote_hint(error, path)}"


def _quote_hint(error: Any, path: str) -> str:
    """``'3' is not of type 'number'``: text that reads as the wanted kind was quoted by mistake."""
    if error.validator not in ("type", "anyOf", "oneOf") or not isinstance(error.instance, str):
        return ""
    try:
        value = json.loads(error.instance)
    except ValueError:
        return ""
    wanted = type_names(error.schema)
    kind = _json_type(value)
    if kind in wanted or (kind == "integer" and "number" in wanted):
        return f"; drop the quotes: {path}={error.instance}" if path else "; drop the quotes"
    return ""


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_names(spec: Any) -> list[str]:
    """The JSON types a property schema admits (``anyOf``/``oneOf`` branches included)."""
    if not isinstance(spec, Mapping):
        return []
    kind = spec.get("type")
    if isinstance(kind, str):
        names = [kind]
    elif isinstance(kind, list):
        names = [str(k) for k in kind]
    else:
        names = []
        for key in ("anyOf", "oneOf"):
            for branch in spec.get(key) or []:
                names += [n for n in type_names(branch) if n not in names]
        if not names and "enum" in spec:
            names = ["enum"]
    return names


def describe_params(schema: Mapping[str, Any] | None) -> str:
    """``"species: string, limit: integer = 5"``; required parameters are marked ``*``."""
    if not schema:
        return ""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    parts = []
    for name, spec in props.items():
        kind = "|".join(t for t in type_names(spec) if t != "null") or "any"
        text = f"{name}{'*' if name in required else ''}: {kind}"
        # A null default only says "optional", which the missing * already does.
        if isinstance(spec, Mapping) and spec.get("default") is not None:
            text += f" = {json.dumps(spec['default'], default=str)}"
        parts.append(text)
    return ", ".join(parts)


def coerce_loose(schema: Mapping[str, Any] | None, args: dict[str, Any], raw: Mapping[str, str]) -> dict[str, Any]:
    """Undo JSON parsing of unquoted ``key=value`` text where the schema wants a string.

    ``%mcp call demo.lookup code=007`` should send ``"007"`` when ``code`` is a string, although
    ``007``… parses as a number elsewhere; ``raw`` holds the text as typed for such values.
    """
    props = (schema or {}).get("properties") or {}
    out = dict(args)
    for key, text in raw.items():
        kinds = type_names(props.get(key))
        if kinds and "string" in kinds and not isinstance(out.get(key), str):
            value = out.get(key)
            # An integer is a number too; a boolean is not (although bool subclasses int).
            is_int = isinstance(value, int) and not isinstance(value, bool)
            admits_parsed = _json_type(value) in kinds or ("number" in kinds and is_int)
            if not admits_parsed:
                out[key] = text
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"
