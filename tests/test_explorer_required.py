"""The explorer never sends a value the user did not choose, and its status tells the latest action.

Required arguments with no default start empty, whatever their type; Run with any of them empty
names them in one line and sends nothing. An invalid value after a good run leaves no "✓ ok"
beside the new error. Against real servers: server-everything (``get-sum`` needs numbers ``a``
and ``b``) and server-filesystem (``write_file`` needs ``path`` and ``content``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest

from mcp_notebook.api import Hub
from mcp_notebook.views.forms import UNSET
from mcp_notebook.widgets import Explorer, SchemaForm

from .peers import everything_js, filesystem_bin

# -- every kind of field the forms build ------------------------------------------------------------

REQUIRED_NO_DEFAULTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "n": {"type": "number"},
        "i": {"type": "integer"},
        "bounded": {"type": "integer", "minimum": 1, "maximum": 9},
        "s": {"type": "string"},
        "choice": {"type": "string", "enum": ["x", "y"]},
        "flag": {"type": "boolean"},
        "names": {"type": "array", "items": {"type": "string"}},
        "picks": {"type": "array", "items": {"enum": ["a", "b"]}},
        "edits": {"type": "array", "items": {"type": "object"}},
        "where": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]},
    },
    "required": ["n", "i", "bounded", "s", "choice", "flag", "names", "picks", "edits", "where"],
}
LEAVES = ["n", "i", "bounded", "s", "choice", "flag", "names", "picks", "edits", "where.x"]


def test_required_fields_without_a_default_start_empty_for_every_kind():
    form = SchemaForm(REQUIRED_NO_DEFAULTS)
    leaves = [f for f in form._all() if f.path != ("where",)]
    assert [".".join(f.path) for f in leaves] == LEAVES
    for field in leaves:
        assert field.value() is UNSET, f"{field.path} starts as {field.value()!r}, not empty"
    # A required flag is a choice to make: not an unticked box that reads as false.
    flag = form.field("flag").control
    assert isinstance(flag, w.Dropdown) and flag.value is UNSET
    assert [label for label, _ in flag.options] == ["(not set)", "true", "false"]
    assert form.values() == {"where": {}}  # nothing invented; the object is there to hold x
    assert [".".join(path) for path in form.missing()] == LEAVES


def test_defaults_are_still_filled_in_and_sent_when_required():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "number", "default": 2.5},
            "flag": {"type": "boolean", "default": False},
            "names": {"type": "array", "items": {"type": "string"}, "default": []},
        },
        "required": ["n", "flag", "names"],
    }
    form = SchemaForm(schema)
    assert form.values() == {"n": 2.5, "flag": False, "names": []}
    assert form.missing() == []
    assert isinstance(form.field("flag").control, w.Checkbox)


# -- against real servers ---------------------------------------------------------------------------


@pytest.fixture
def everything(hub: Hub) -> Iterator[Explorer]:
    hub.connect("ev", command=["node", str(everything_js()), "stdio"])
    ex = Explorer(hub, "ev")
    assert ex.wait_idle()
    yield ex


@pytest.fixture
def files(hub: Hub, tmp_path: Path) -> Iterator[Explorer]:
    hub.connect("fs", command=[str(filesystem_bin()), str(tmp_path)], roots=[tmp_path])
    ex = Explorer(hub, "fs")
    assert ex.wait_idle()
    yield ex


def one_line_error(ex: Explorer) -> str:
    text = ex.tools.error.value
    assert ex.tools.error.layout.display == "" and "\n" not in text
    return text


@pytest.mark.peers
def test_get_sum_starts_empty_and_run_names_what_is_missing(everything: Explorer):
    tools = everything.tools
    tools.list.value = "get-sum"
    a, b = tools.form.field("a").control, tools.form.field("b").control
    assert a.value == "" and b.value == ""  # not 0.0
    tools.run.click()
    assert tools.handle is None and len(everything.history) == 0
    error = one_line_error(everything)
    assert "missing required arguments a, b" in error and "nothing was sent" in error
    assert "required" in tools.form.field("a").error.value and "required" in tools.form.field("b").error.value
    tools.copy.click()  # no code for a call that could not be made either
    assert "missing required arguments a, b" in one_line_error(everything) and tools.code.magic == ""
    a.value = "2"
    tools.run.click()
    error = one_line_error(everything)
    assert "missing required argument b" in error and " a" not in error.split("argument")[1]
    assert tools.handle is None
    b.value = "40"
    tools.run.click()
    assert tools.wait_idle(30)
    assert tools.last_result.text == "The sum of 2 and 40 is 42."
    assert tools.error.layout.display == "none"


@pytest.mark.peers
def test_an_invalid_value_after_a_run_clears_the_old_ok(everything: Explorer):
    tools = everything.tools
    tools.list.value = "get-sum"
    tools.form.field("a").control.value = "1"
    tools.form.field("b").control.value = "2"
    tools.run.click()
    assert tools.wait_idle(30)
    assert "✓ ok" in tools.status.value
    tools.form.field("a").control.value = "one"
    tools.run.click()
    assert "is not a number" in tools.form.field("a").error.value
    assert tools.error.layout.display == ""
    assert "ok" not in tools.status.value, "the status still shows the previous run"
    # A value the schema refuses (not just one the form cannot read) clears it too.
    tools.list.value = "get-structured-content"
    tools.run.click()
    assert "missing required argument location" in one_line_error(everything)
    assert "ok" not in tools.status.value


@pytest.mark.peers
def test_a_write_with_a_field_left_empty_is_not_sent(files: Explorer, tmp_path: Path):
    tools = files.tools
    tools.list.value = "write_file"
    target = tmp_path / "notes.txt"
    tools.form.field("path").control.value = str(target)
    tools.run.click()
    assert "missing required argument content" in one_line_error(files)
    assert tools.handle is None and not target.exists()
    tools.form.field("content").control.value = "hello"
    tools.run.click()
    assert tools.wait_idle(30) and "✓ ok" in tools.status.value
    assert target.read_text() == "hello"
    tools.list.value = "read_multiple_files"
    tools.run.click()
    assert "missing required argument paths" in one_line_error(files)
    assert "ok" not in tools.status.value


@pytest.mark.peers
def test_an_unreadable_number_after_a_read_clears_the_old_ok(files: Explorer, tmp_path: Path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3,4\n")
    tools = files.tools
    tools.list.value = "read_text_file"
    tools.form.field("path").control.value = str(tmp_path / "a.csv")
    tools.run.click()
    assert tools.wait_idle(30) and "✓ ok" in tools.status.value
    tools.form.field("head").control.value = "two"
    tools.run.click()
    assert "is not a number" in tools.form.field("head").error.value
    assert tools.status.value == ""
    tools.form.field("head").control.value = "1"
    tools.run.click()
    assert tools.wait_idle(30) and "✓ ok" in tools.status.value
    assert tools.error.layout.display == "none"
