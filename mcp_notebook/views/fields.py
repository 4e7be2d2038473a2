"""The fields of a form built from JSON Schema: one stock ipywidgets control per argument.

``fields(schema)`` makes a field per property: text, number and integer inputs (bounded
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

from .._schema import choices, deref, type_names
from ..render import esc

__all__ = ["UNSET", "Field", "Invalid", "ObjectField", "default_of", "fields"]

UNSET = object()
"""The value of a field left empty: the argument is not sent."""

_LABEL = {"description_width": "initial"}
_EMPTY_PLACEHOLDER = {True: "(required)", False: "(not set)"}
_HINT = "font-size:0.85em;opacity:0.7;line-height:1.3"


class Invalid(Exception):
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
    """The values ``schema`` lists, as (label, value) pairs for a dropdown; None when it lists none."""
    found = [(title or (v if isinstance(v, str) else json.dumps(v)), v) for v, title in choices(schema)]
    return found or None


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


def default_of(schema: Mapping[str, Any]) -> Any:
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
        default = default_of(self.schema)
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
        default = default_of(self.schema)
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
            raise Invalid(f"{text!r} is not {'an integer' if self.integer else 'a number'}") from None

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
        default = default_of(self.schema)
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
        default = default_of(self.schema)
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
        default = default_of(self.schema)
        if isinstance(default, list):
            self.control.value = tuple(v for v in default if v in [c for _, c in choices])
        self.widget = self.box(self.control)

    def value(self) -> Any:
        chosen = list(self.control.value)
        # Nothing chosen is empty, unless the schema's default (shown, and required) is [] itself.
        return chosen if chosen or (self.required and default_of(self.schema) == []) else UNSET

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
        self.set_value(default_of(self.schema))
        self.widget = self.box(self.control)

    def value(self) -> Any:
        lines = [line.strip() for line in self.control.value.splitlines() if line.strip()]
        if not lines:
            return [] if self.required and default_of(self.schema) == [] else UNSET
        return [self._item(line, n) for n, line in enumerate(lines, 1)]

    def _item(self, text: str, n: int) -> Any:
        if "string" in self.item_kinds:
            return text
        try:
            value = json.loads(text)
        except ValueError:
            raise Invalid(f"line {n}: {text!r} is not {' or '.join(self.item_kinds)}") from None
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
        self.set_value(default_of(self.schema))
        self.widget = self.box(self.control)

    def value(self) -> Any:
        text = self.control.value.strip()
        if not text:
            return UNSET
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise Invalid(f"not JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None

    def set_value(self, value: Any) -> None:
        self.control.value = "" if value is UNSET else json.dumps(value, indent=2, ensure_ascii=False)


class ObjectField(Field):
    """A nested object: a sub-form, framed."""

    def __init__(
        self, name: str, path: tuple[str, ...], schema: dict[str, Any], required: bool, root: Mapping[str, Any]
    ) -> None:
        super().__init__(name, path, schema, required)
        self.children = fields(schema, root, path)
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


def fields(schema: Mapping[str, Any], root: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[Field]:
    """A field per property of the object ``schema`` (``root`` resolves its ``$ref``s)."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return [_field(str(name), spec, name in required, root, path) for name, spec in props.items()]
