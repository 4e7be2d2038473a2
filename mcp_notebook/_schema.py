"""JSON Schema helpers: check arguments before sending, describe parameters for tables.

Validation is a courtesy to the user (a clear message naming the field, before a round trip), not
a gate: a server whose schema is itself broken is still callable, its schema just goes unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import ArgumentsInvalid

__all__ = ["SchemaChecker", "coerce_loose", "deref", "describe_params", "type_names"]


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
        try:
            if validator.is_valid(args):
                return
            errors = list(validator.iter_errors(dict(args)))
        except Exception:  # e.g. an unresolvable $ref in the server's schema
            return
        if not errors:
            return
        import jsonschema

        error = jsonschema.exceptions.best_match(errors)
        raise ArgumentsInvalid(f"{what}: {explain(error, schema)}{hint}")

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


def explain(error: Any, schema: Mapping[str, Any]) -> str:
    """One readable sentence for a jsonschema ``ValidationError``."""
    path = ".".join(str(p) for p in error.absolute_path)
    props = schema.get("properties") or {}
    if error.validator == "required" and not path:
        # From the data, not the message: a name holding a quote is repr'd with double quotes there.
        wanted = error.validator_value if isinstance(error.validator_value, list) else []
        gone = [name for name in wanted if isinstance(error.instance, Mapping) and name not in error.instance]
        missing = gone[0] if gone else error.message
        spec = props.get(missing, {})
        kind = "/".join(type_names(spec)) or "value"
        desc = f" — {spec['description']}" if isinstance(spec, Mapping) and spec.get("description") else ""
        return f"missing required argument {missing!r} ({kind}){desc}"
    if error.validator == "additionalProperties" and not path:
        extra = sorted(set(error.instance) - set(props))
        known = ", ".join(props) or "no arguments"
        from .errors import did_you_mean

        names = ", ".join(repr(x) for x in extra)
        guess = did_you_mean(extra[0], props) if len(extra) == 1 else ""
        return f"unknown argument {names}{guess} (it takes: {known})"
    where = f"argument {path!r}" if path else "the arguments"
    return f"{where}: {_short(error.message)} (rule: {error.validator})"


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
