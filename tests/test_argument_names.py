"""Argument names and quoted numbers, checked before anything is sent.

Real servers declare their arguments in three ways (seen on the reference servers):
filesystem and memory say ``additionalProperties: false``; everything (zod) and the PyPI servers
time, git and fetch (pydantic) say nothing about other names, and drop them silently. Neither
kind *uses* a name it did not declare, so a name outside ``properties`` is refused unless the schema
explicitly lets others in (``additionalProperties`` true or a schema, ``patternProperties``,
``unevaluatedProperties`` not false) or declares no ``properties`` at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError

from mcp_notebook._schema import SchemaChecker
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ArgumentsInvalid
from tests.peers import everything_js, filesystem_bin, time_server_bin


def refused(schema, args) -> str:
    with pytest.raises(ArgumentsInvalid) as info:
        SchemaChecker().check("t", schema, args)
    return str(info.value)


def accepted(schema, args) -> None:
    SchemaChecker().check("t", schema, args)


PROPS = {"path": {"type": "string"}, "head": {"type": "number"}}


def test_names_a_schema_does_not_declare_are_refused_when_it_is_silent_about_others():
    message = refused({"type": "object", "properties": PROPS}, {"path": "/x", "haed": 2})
    assert message == "t: unknown argument 'haed'; did you mean 'head'? (it takes: path, head)"


def test_a_tool_with_no_arguments_takes_none():
    assert refused({"type": "object", "properties": {}}, {"x": 1}) == "t: unknown argument 'x' (it takes no arguments)"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": PROPS, "additionalProperties": True},
        {"type": "object", "properties": PROPS, "additionalProperties": {"type": "integer"}},
        {"type": "object", "properties": PROPS, "patternProperties": {"^x-": {}}},
        {"type": "object", "properties": PROPS, "unevaluatedProperties": True},
        {"type": "object"},  # no properties at all: it says nothing about names
        {"type": "object", "allOf": [{"properties": PROPS}, {"additionalProperties": True}]},
    ],
)
def test_schemas_that_let_other_names_in(schema):
    accepted(schema, {"path": "/x", "x-extra": 2})


def test_names_from_every_branch_count():
    schema = {
        "type": "object",
        "anyOf": [{"properties": {"a": {}}}, {"$ref": "#/$defs/B"}],
        "$defs": {"B": {"properties": {"b": {}}}},
    }
    accepted(schema, {"a": 1, "b": 2})
    assert "unknown argument 'c'" in refused(schema, {"a": 1, "c": 3})


def test_a_missing_argument_next_to_a_near_miss():
    schema = {"type": "object", "properties": PROPS, "required": ["path"]}
    assert (
        refused(schema, {"pth": "/x"}) == "t: missing required argument 'path' (string); did you mean 'path' for 'pth'?"
    )


@pytest.mark.parametrize(
    ("kind", "text", "typed"),
    [("number", "3", "3"), ("integer", "10", "10"), ("boolean", "true", "true"), ("array", "[1, 2]", "[1, 2]")],
)
def test_a_quoted_value_of_the_right_kind_says_drop_the_quotes(kind, text, typed):
    message = refused({"type": "object", "properties": {"n": {"type": kind}}}, {"n": text})
    assert message.endswith(f"; drop the quotes: n={typed}"), message


def test_text_that_is_not_the_kind_gets_no_quote_hint():
    assert "drop the quotes" not in refused({"type": "object", "properties": {"n": {"type": "number"}}}, {"n": "three"})


# -- against the real servers ------------------------------------------------------------------------


@pytest.fixture
def fs(hub: Hub, tmp_path: Path) -> Server:
    # The folder is named as a root too, so what the server may read does not hang on the default roots.
    (tmp_path / "notes.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    return hub.connect("fs", command=[str(filesystem_bin()), str(tmp_path)], roots=[str(tmp_path)])


@pytest.mark.peers
def test_filesystem_read_text_file(fs, tmp_path):
    path = str(tmp_path / "notes.txt")
    with pytest.raises(ArgumentsInvalid) as e:
        fs.call("read_text_file", path=path, haed=2)
    assert str(e.value).startswith("fs.read_text_file: unknown argument 'haed'; did you mean 'head'?")
    with pytest.raises(ArgumentsInvalid) as e:
        fs.call("read_text_file", pth=path)
    assert str(e.value).startswith(
        "fs.read_text_file: missing required argument 'path' (string); did you mean 'path' for 'pth'?"
    )
    assert fs.call("read_text_file", path=path, head=2).text == "line 0\nline 1"


@pytest.mark.peers
def test_filesystem_quoted_number_in_the_magic(ip, fs, tmp_path):
    ip.user_ns["p"] = str(tmp_path / "notes.txt")
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "call fs.read_text_file path=$p head='3'")
    assert "'3' is not of type 'number'" in str(e.value) and "drop the quotes: head=3" in str(e.value)
    assert ip.run_line_magic("mcp", "call fs.read_text_file path=$p head=3").text == "line 0\nline 1\nline 2"


@pytest.mark.peers
def test_time_server_declares_nothing_about_other_names(hub):
    # pydantic would drop `zone` silently and answer for UTC: refused before sending instead.
    clock = hub.connect("time", command=[str(time_server_bin())])
    with pytest.raises(ArgumentsInvalid) as e:
        clock.call("get_current_time", timezone="UTC", zone="Europe/Paris")
    assert "unknown argument 'zone'; did you mean 'timezone'?" in str(e.value)


@pytest.mark.peers
def test_everything_near_miss_and_no_arguments(hub):
    ev = hub.connect("ev", command=["node", str(everything_js()), "stdio"])
    with pytest.raises(ArgumentsInvalid) as e:
        ev.call("echo", mesage="hi")
    assert "missing required argument 'message' (string); did you mean 'message' for 'mesage'?" in str(e.value)
    with pytest.raises(ArgumentsInvalid) as e:
        ev.call("get-env", verbose=True)
    assert "unknown argument 'verbose' (it takes no arguments)" in str(e.value)
    with pytest.raises(ArgumentsInvalid, match="drop the quotes: a=3"):
        ev.call("get-sum", a="3", b=2)
