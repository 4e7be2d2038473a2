"""Forms built from JSON Schema: one stock ipywidgets control per argument.

``SchemaForm(schema)`` lays out a field per property: text, number and integer inputs (bounded
where the schema bounds them), checkboxes, dropdowns for ``enum`` and titled ``oneOf``, a
multi-select for arrays of choices, a one-value-per-line editor for arrays of scalars, sub-forms
for nested objects, and a JSON editor for anything else. Required fields are marked ``*``,
defaults are filled in, and a field with no default starts empty whatever its type (a number is
not 0, a flag is not false: nothing is sent that the user did not choose; ``missing()`` lists the
required ones still empty). Descriptions are shown (escaped) as hints, and ``show_errors`` puts
each validation message under its field. The whole form can switch to raw JSON and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from .._schema import deref, type_names
from ..render import esc

__all__ = ["SchemaForm", "UNSET"]

UNSET = object()
"""The value of a field left empty: the argument is not sent."""

_LABEL = {"description_width": "initial"}
_EMPTY_PLACEHOLDER = {True: "(required)", False: "(not set)"}
_HINT = "font-size:0.85em;opacity:0.7;line-height:1.3"


class _Invalid(Exception):
    """A field's text cannot be read as its type (e.g. "abc" in a number field)."""


def _optional_branch(schema: dict[str, Any], root: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``anyOf: [X, {type: null}]`` → (X, True); the null branch makes the field optional."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and len(branches) == 2:
            kinds = [type_names(deref(b, root)) for b in branches]
            if ["null"] in kinds:
                other = deref(branches[kinds.index(["null"]) ^ 1], root)
                merged = {**{k: v for k, v in schema.items() if k != key}, **other}
                return merged, True
    return schema, False


def _choices(schema: Mapping[str, Any]) -> list[tuple[str, Any]] | None:
    """``enum`` values, or a ``oneOf``/``anyOf`` of titled constants, as (label, value) pairs."""
    if isinstance(schema.get("enum"), list):
        return [(str(v) if isinstance(v, str) else json.dumps(v), v) for v in schema["enum"]]
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches and all(isinstance(b, Mapping) and "const" in b for b in branches):
            return [(str(b.get("title") or b["const"]), b["const"]) for b in branches]
    return None


class Field:
    """One argument's control, its hint and its error line."""

    def __init__(self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool) -> None:
        self.name = name
        self.path = path
        self.schema = schema
        self.required = required
        self.error = w.HTML(layout=w.Layout(display="none"))
        self.error.add_class("mcpnb-error")
        self.label = f"{name} *" if required else name

    @property
    def css(self) -> str:
        return "mcpnb-field-" + "-".join(self.path)

    def _hint(self) -> w.HTML | None:
        parts = []
        title = self.schema.get("title")
        if isinstance(title, str) and title.lower().replace(" ", "_") != self.name.lower():
            parts.append(f"<b>{esc(title)}</b>")
        if isinstance(self.schema.get("description"), str):
            parts.append(esc(self.schema["description"]))
        kinds = [t for t in type_names(self.schema) if t != "null"]
        facts = [" | ".join(kinds)] if kinds else []
        for key, word in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
            if key in self.schema:
                facts.append(f"{word} {self.schema[key]}")
        if "format" in self.schema:
            facts.append(f"format {self.schema['format']}")
        if facts:
            parts.append(f"<span style='opacity:0.8'>({esc(', '.join(str(f) for f in facts))})</span>")
        if not parts:
            return None
        return w.HTML(f"<div style='{_HINT}'>{' '.join(parts)}</div>", layout=w.Layout(margin="-2px 0 6px 4px"))

    def box(self, control: w.Widget) -> w.VBox:
        control.add_class(self.css)
        hint = self._hint()
        return w.VBox([control, *([hint] if hint else []), self.error])

    # overridden below
    widget: w.Widget

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def show_error(self, message: str | None) -> None:
        self.error.value = f"<span style='color:#d9534f'>⚠ {esc(message)}</span>" if message else ""
        self.error.layout.display = "" if message else "none"

    def fields(self) -> list[Field]:
        return [self]


def _default(schema: Mapping[str, Any]) -> Any:
    # A null default (``x: int | None = None``) means "not given", which an empty field says.
    default = schema.get("default", UNSET)
    return UNSET if default is None else default


class TextField(Field):
    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        fmt = self.schema.get("format")
        placeholder = {
            "date": "YYYY-MM-DD",
            "date-time": "YYYY-MM-DDTHH:MM:SSZ",
            "email": "name@example.org",
            "uri": "https://…",
            "time": "HH:MM:SS",
        }.get(str(fmt), "")
        long = int(self.schema.get("maxLength") or 0) > 200
        cls = w.Textarea if long else w.Text
        default = _default(self.schema)
        self.control = cls(
            value=default if isinstance(default, str) else "",
            description=self.label,
            placeholder=placeholder,
            style=_LABEL,
            layout=w.Layout(width="95%"),
        )
        self.widget = self.box(self.control)

    def value(self) -> Any:
        text = self.control.value
        return UNSET if text == "" else text

    def set_value(self, value: Any) -> None:
        self.control.value = "" if value is UNSET or value is None else str(value)


class NumberField(Field):
    """Integer or number. Those without a default are free text, so they start empty: a numeric
    box always holds a number, and a 0 the user never typed would be sent as their choice."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.integer = "integer" in type_names(self.schema) and "number" not in type_names(self.schema)
        default = _default(self.schema)
        self.free = default is UNSET
        lo, hi = self.schema.get("minimum"), self.schema.get("maximum")
        common = {"description": self.label, "style": _LABEL}
        if self.free:
            self.control: w.Widget = w.Text(placeholder=_EMPTY_PLACEHOLDER[self.required], **common)
        elif lo is not None and hi is not None:
            cls = w.BoundedIntText if self.integer else w.BoundedFloatText
            self.control = cls(min=lo, max=hi, value=default if default is not UNSET else lo, **common)
        else:
            cls = w.IntText if self.integer else w.FloatText
            self.control = cls(value=default if default is not UNSET else 0, **common)
        self.widget = self.box(self.control)

    def value(self) -> Any:
        if not self.free:
            value = self.control.value
            return int(value) if self.integer else value
        text = self.control.value.strip()
        if not text:
            return UNSET
        try:
            if self.integer or re.fullmatch(r"[+-]?\d+", text):
                return int(text)
            return float(text)
        except ValueError:
            raise _Invalid(f"{text!r} is not {'an integer' if self.integer else 'a number'}") from None

    def set_value(self, value: Any) -> None:
        if self.free:
            self.control.value = "" if value is UNSET or value is None else json.dumps(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.control.value = value


class BoolField(Field):
    """A checkbox where the schema gives a default; otherwise not set / true / false.

    A checkbox has no empty state: unticked reads as false. For a required flag with no default
    that false would be sent as the user's answer without their ever choosing it (as a 0 would
    for a number), so such a flag starts "(not set)" and Run asks for it like any missing field.
    """

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        default = _default(self.schema)
        self.tristate = default is UNSET
        if self.tristate:
            self.control: w.Widget = w.Dropdown(
                options=[("(not set)", UNSET), ("true", True), ("false", False)], description=self.label, style=_LABEL
            )
        else:
            self.control = w.Checkbox(
                value=bool(default) if default is not UNSET else False, description=self.label, indent=False
            )
        self.widget = self.box(self.control)

    def value(self) -> Any:
        return self.control.value

    def set_value(self, value: Any) -> None:
        if self.tristate:
            self.control.value = value if isinstance(value, bool) else UNSET
        else:
            self.control.value = bool(value) if value is not UNSET else False


class ChoiceField(Field):
    def __init__(
        self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool, choices: list[tuple[str, Any]]
    ) -> None:
        super().__init__(name, path, schema, required)
        default = _default(self.schema)
        options: list[tuple[str, Any]] = list(choices)
        if not self.required or default is UNSET:
            options = [("(not set)", UNSET), *options]
        self.control = w.Dropdown(options=options, description=self.label, style=_LABEL)
        values = [v for _, v in choices]
        if default is not UNSET and default in values:
            self.control.value = default
        self.widget = self.box(self.control)

    def value(self) -> Any:
        return self.control.value

    def set_value(self, value: Any) -> None:
        if any(value == v and type(value) is type(v) for _, v in self.control.options):
            self.control.value = value


class MultiChoiceField(Field):
    def __init__(
        self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool, choices: list[tuple[str, Any]]
    ) -> None:
        super().__init__(name, path, schema, required)
        self.control = w.SelectMultiple(
            options=choices, description=self.label, style=_LABEL, rows=min(6, max(2, len(choices)))
        )
        default = _default(self.schema)
        if isinstance(default, list):
            self.control.value = tuple(v for v in default if v in [c for _, c in choices])
        self.widget = self.box(self.control)

    def value(self) -> Any:
        chosen = list(self.control.value)
        # Nothing chosen is empty, unless the schema's default (shown, and required) is [] itself.
        return chosen if chosen or (self.required and _default(self.schema) == []) else UNSET

    def set_value(self, value: Any) -> None:
        if isinstance(value, list):
            allowed = [v for _, v in self.control.options]
            self.control.value = tuple(v for v in value if v in allowed)


class ListField(Field):
    """An array of scalars: one value per line."""

    def __init__(
        self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool, item_kinds: list[str]
    ) -> None:
        super().__init__(name, path, schema, required)
        self.item_kinds = item_kinds
        self.control = w.Textarea(
            description=self.label,
            placeholder="one value per line",
            style=_LABEL,
            layout=w.Layout(width="95%", height="5em"),
        )
        self.set_value(_default(self.schema))
        self.widget = self.box(self.control)

    def value(self) -> Any:
        lines = [line.strip() for line in self.control.value.splitlines() if line.strip()]
        if not lines:
            return [] if self.required and _default(self.schema) == [] else UNSET
        return [self._item(line, n) for n, line in enumerate(lines, 1)]

    def _item(self, text: str, n: int) -> Any:
        if "string" in self.item_kinds:
            return text
        try:
            value = json.loads(text)
        except ValueError:
            raise _Invalid(f"line {n}: {text!r} is not {' or '.join(self.item_kinds)}") from None
        return value

    def set_value(self, value: Any) -> None:
        if isinstance(value, list):
            self.control.value = "\n".join(v if isinstance(v, str) else json.dumps(v) for v in value)
        else:
            self.control.value = ""


class JsonField(Field):
    """Anything the form cannot express: edited as JSON."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.control = w.Textarea(
            description=self.label, placeholder="JSON", style=_LABEL, layout=w.Layout(width="95%", height="6em")
        )
        self.set_value(_default(self.schema))
        self.widget = self.box(self.control)

    def value(self) -> Any:
        text = self.control.value.strip()
        if not text:
            return UNSET
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise _Invalid(f"not JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None

    def set_value(self, value: Any) -> None:
        self.control.value = "" if value is UNSET else json.dumps(value, indent=2, ensure_ascii=False)


class ObjectField(Field):
    """A nested object: a sub-form, framed."""

    def __init__(
        self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool, root: Mapping[str, Any]
    ) -> None:
        super().__init__(name, path, schema, required)
        self.children = _fields(schema, root, path)
        inner = w.VBox(
            [c.widget for c in self.children],
            layout=w.Layout(border="1px solid rgba(128,128,128,0.35)", padding="4px 8px", margin="2px 0"),
        )
        header = w.HTML(f"<b>{esc(self.label)}</b>")
        hint = self._hint()
        self.widget = w.VBox([header, *([hint] if hint else []), inner, self.error])
        self.widget.add_class(self.css)

    def value(self) -> Any:
        out = {c.name: v for c in self.children if (v := c.value()) is not UNSET}
        return out if out or self.required else UNSET

    def set_value(self, value: Any) -> None:
        source = value if isinstance(value, Mapping) else {}
        for child in self.children:
            child.set_value(source.get(child.name, UNSET))

    def fields(self) -> list[Field]:
        return [self, *(f for c in self.children for f in c.fields())]


def _field(name: str, schema: Any, required: bool, root: Mapping[str, Any], path: tuple[str, ...]) -> Field:
    spec, optional = _optional_branch(deref(schema, root), root)
    required = required and not optional
    path = (*path, name)
    choices = _choices(spec)
    if choices is not None:
        return ChoiceField(name, path, spec, required, choices)
    kinds = [t for t in type_names(spec) if t != "null"]
    if kinds == ["string"]:
        return TextField(name, path, spec, required)
    if kinds in (["integer"], ["number"], ["integer", "number"], ["number", "integer"]):
        return NumberField(name, path, spec, required)
    if kinds == ["boolean"]:
        return BoolField(name, path, spec, required)
    if kinds == ["array"]:
        items = deref(spec.get("items"), root)
        item_choices = _choices(items)
        if item_choices is not None:
            return MultiChoiceField(name, path, spec, required, item_choices)
        item_kinds = [t for t in type_names(items) if t != "null"]
        if item_kinds and all(k in ("string", "number", "integer", "boolean") for k in item_kinds):
            return ListField(name, path, spec, required, item_kinds)
    if kinds == ["object"] and isinstance(spec.get("properties"), Mapping) and spec["properties"]:
        return ObjectField(name, path, spec, required, root)
    return JsonField(name, path, spec, required)


def _fields(schema: Mapping[str, Any], root: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[Field]:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return [_field(str(name), spec, name in required, root, path) for name, spec in props.items()]


def expressible(schema: Mapping[str, Any] | None) -> bool:
    """Whether a form can stand for the schema (an object with properties, nothing exotic on top)."""
    if not isinstance(schema, Mapping):
        return False
    if any(k in schema for k in ("oneOf", "anyOf", "allOf", "not", "if", "patternProperties")):
        return False
    return "object" in (type_names(schema) or ["object"])


class SchemaForm:
    """A form for a tool's ``inputSchema`` (or any object schema), with a raw-JSON mode.

    ``values()`` returns the arguments to send (fields left empty are left out) or raises
    ``ValueError`` after showing, under each field, why it could not be read.
    """

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        self.schema: dict[str, Any] = dict(schema or {"type": "object"})
        self.form_ok = expressible(self.schema)
        self.top = _fields(self.schema, self.schema) if self.form_ok else []
        self.json = w.Textarea(placeholder="arguments as a JSON object", layout=w.Layout(width="95%", height="10em"))
        self.json.add_class("mcpnb-json")
        self.json_error = w.HTML(layout=w.Layout(display="none"))
        self.json_error.add_class("mcpnb-error")
        self.mode = w.ToggleButtons(
            options=["Form", "JSON"], value="Form" if self.form_ok else "JSON", style={"button_width": "5em"}
        )
        self.mode.add_class("mcpnb-form-mode")
        if not self.form_ok:
            self.mode.disabled = True
        self.body = w.VBox()
        self.widget = w.VBox([self.mode, self.body])
        self.widget.add_class("mcpnb-form")
        self.mode.observe(self._on_mode, names="value")
        self._show_mode()

    def _all(self) -> list[Field]:
        return [f for top in self.top for f in top.fields()]

    def field(self, *path: str) -> Field:
        """The field at ``path`` (``form.field("filters", "island")``)."""
        for f in self._all():
            if f.path == path:
                return f
        raise KeyError("/".join(path))

    def _show_mode(self) -> None:
        if self.mode.value == "JSON":
            self.body.children = (self.json, self.json_error)
        elif not self.top:
            self.body.children = (w.HTML("<i style='opacity:0.7'>no arguments</i>"),)
        else:
            self.body.children = tuple(f.widget for f in self.top)

    def _on_mode(self, change: Mapping[str, Any]) -> None:
        if change["new"] == "JSON":
            try:
                current = self._form_values()
            except ValueError:
                current = {}
            self.json.value = json.dumps(current, indent=2, ensure_ascii=False)
        else:
            try:
                parsed = json.loads(self.json.value or "{}")
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                self.set_values(parsed)
        self._show_mode()

    def set_values(self, values: Mapping[str, Any]) -> None:
        for f in self.top:
            f.set_value(values.get(f.name, UNSET))
        self.json.value = json.dumps(dict(values), indent=2, ensure_ascii=False)

    def clear_errors(self) -> None:
        for f in self._all():
            f.show_error(None)
        self._json_error(None)

    def _json_error(self, message: str | None) -> None:
        self.json_error.value = f"<span style='color:#d9534f'>⚠ {esc(message)}</span>" if message else ""
        self.json_error.layout.display = "" if message else "none"

    def _form_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        bad = False
        for f in self._all():
            f.show_error(None)
        for f in self.top:
            try:
                value = f.value()
            except _Invalid as e:
                self._blame(f, str(e))
                bad = True
                continue
            # A value left at the schema's default need not be sent (the server applies it), which
            # keeps the copied code down to what the user chose.
            if value is not UNSET and (f.required or value != _default(f.schema)):
                out[f.name] = value
        if bad:
            raise ValueError("some fields could not be read")
        return out

    def missing(self) -> list[tuple[str, ...]]:
        """The paths of required fields left empty, in form order (the JSON mode has no fields:
        the schema check finds what its text leaves out)."""
        if self.mode.value == "JSON":
            return []
        out: list[tuple[str, ...]] = []

        def walk(fields: list[Field]) -> None:
            for f in fields:
                try:
                    value = f.value()
                except _Invalid:
                    continue  # filled in, just unreadable: its own error says so
                if isinstance(f, ObjectField):
                    if f.required or value is not UNSET:  # only an object that is sent needs its parts
                        walk(f.children)
                elif f.required and value is UNSET:
                    out.append(f.path)

        walk(self.top)
        return out

    def _blame(self, top: Field, message: str) -> None:
        # An _Invalid from inside a sub-form: find the deepest field that cannot be read.
        for f in reversed(top.fields()):
            if not isinstance(f, ObjectField):
                try:
                    f.value()
                except _Invalid as e:
                    f.show_error(str(e))
                    return
        top.show_error(message)

    def values(self) -> dict[str, Any]:
        """The arguments as they stand (raises ``ValueError`` when a field cannot be read)."""
        self.clear_errors()
        if self.mode.value == "JSON":
            text = self.json.value.strip() or "{}"
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as e:
                self._json_error(f"not JSON: {e.msg} at line {e.lineno}, column {e.colno}")
                raise ValueError("the JSON does not parse") from None
            if not isinstance(parsed, dict):
                self._json_error("the arguments must be a JSON object")
                raise ValueError("not an object")
            return parsed
        return self._form_values()

    def show_errors(self, errors: list[tuple[tuple[str, ...], str]]) -> None:
        """Put each (path, message) under its field (or the nearest enclosing one, or the JSON box)."""
        for path, message in errors:
            if self.mode.value == "JSON":
                where = "/".join(path)
                self._json_error(f"{where}: {message}" if where else message)
                continue
            target: Field | None = None
            for depth in range(len(path), 0, -1):
                try:
                    target = self.field(*path[:depth])
                    break
                except KeyError:
                    continue
            if target is None:
                self._json_error(message)
                self.json_error.layout.display = ""
                self.body.children = (
                    (*self.body.children, self.json_error)
                    if self.json_error not in self.body.children
                    else self.body.children
                )
            else:
                target.show_error(message)
