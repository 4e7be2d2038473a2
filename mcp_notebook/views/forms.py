"""``SchemaForm``: a form for a tool's ``inputSchema`` (or any object schema), built from its fields
(``views.fields``), with a raw-JSON mode, the required fields still empty (``missing()``), and each
validation message under its field (``show_errors``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from .._schema import type_names
from ..render import esc
from .fields import UNSET, Field, Invalid, ObjectField, default_of, fields

__all__ = ["UNSET", "SchemaForm", "expressible"]


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
        self.top = fields(self.schema, self.schema) if self.form_ok else []
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
            except Invalid as e:
                self._blame(f, str(e))
                bad = True
                continue
            # A value left at the schema's default need not be sent (the server applies it), which
            # keeps the copied code down to what the user chose.
            if value is not UNSET and (f.required or value != default_of(f.schema)):
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
                except Invalid:
                    continue  # filled in, just unreadable: its own error says so
                if isinstance(f, ObjectField):
                    if f.required or value is not UNSET:  # only an object that is sent needs its parts
                        walk(f.children)
                elif f.required and value is UNSET:
                    out.append(f.path)

        walk(self.top)
        return out

    def _blame(self, top: Field, message: str) -> None:
        # An Invalid from inside a sub-form: find the deepest field that cannot be read.
        for f in reversed(top.fields()):
            if not isinstance(f, ObjectField):
                try:
                    f.value()
                except Invalid as e:
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
