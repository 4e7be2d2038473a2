"""_schema.py: checking arguments against a tool's JSON Schema, describing and coercing them."""

from __future__ import annotations

import pytest

from mcp_notebook._schema import SchemaChecker, coerce_loose, describe_params, type_names
from mcp_notebook.errors import ArgumentsInvalid, UsageProblem

QUERY = {
    "type": "object",
    "properties": {
        "species": {"type": "string", "enum": ["Adelie", "Gentoo", "Chinstrap"], "description": "Which species"},
        "limit": {"type": "integer", "minimum": 0, "default": 10},
        "columns": {"type": "array", "items": {"type": "string"}},
        "filter": {
            "type": "object",
            "properties": {"island": {"type": "string"}},
            "required": ["island"],
        },
    },
    "required": ["species"],
    "additionalProperties": False,
}


def problem(args, schema=QUERY, hint="") -> str:
    with pytest.raises(ArgumentsInvalid) as info:
        SchemaChecker().check("demo.query", schema, args, hint)
    message = str(info.value)
    assert "\n" not in message and message.startswith("demo.query: ")
    return message


def test_valid_arguments_pass():
    SchemaChecker().check("demo.query", QUERY, {"species": "Adelie", "limit": 3, "filter": {"island": "Dream"}})


def test_no_schema_checks_nothing():
    checker = SchemaChecker()
    checker.check("t", None, {"anything": object()})
    checker.check("t", {}, {"anything": 1})


def test_missing_required_names_it_with_type_and_description():
    assert problem({"limit": 1}) == "demo.query: missing required argument 'species' (string) — Which species"


def test_missing_required_name_with_a_quote():
    schema = {"type": "object", "properties": {"it's": {"type": "integer"}}, "required": ["it's"]}
    assert problem({}, schema) == 'demo.query: missing required argument "it\'s" (integer)'


def test_wrong_type_names_field_and_rule():
    message = problem({"species": "Adelie", "limit": "five"})
    assert message == "demo.query: argument 'limit': 'five' is not of type 'integer' (rule: type)"


def test_enum_and_minimum():
    assert "argument 'species'" in problem({"species": "Emperor"}) and "(rule: enum)" in problem({"species": "Emperor"})
    assert "(rule: minimum)" in problem({"species": "Adelie", "limit": -1})


def test_nested_fields_are_named_by_path():
    message = problem({"species": "Adelie", "columns": ["a", 2]})
    assert message.startswith("demo.query: argument 'columns.1': 2 is not of type 'string'")
    assert "argument 'filter'" in problem({"species": "Adelie", "filter": {}})


def test_unknown_argument_suggests_the_close_one():
    message = problem({"species": "Adelie", "limt": 5})
    assert message == (
        "demo.query: unknown argument 'limt'; did you mean 'limit'? (it takes: species, limit, columns, filter)"
    )


def test_several_unknown_arguments_are_listed():
    message = problem({"species": "Adelie", "zz": 1, "yy": 2})
    assert "unknown argument 'yy', 'zz' (it takes:" in message and "did you mean" not in message


def test_hint_is_appended():
    assert problem({}, hint="; see %mcp tools demo").endswith("(string) — Which species; see %mcp tools demo")


def test_arguments_invalid_is_a_usage_problem():
    assert issubclass(ArgumentsInvalid, UsageProblem)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "bogus"}}},  # not a valid schema
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},  # unresolvable reference
        {"type": "object", "properties": {"a": {"$ref": "https://example.invalid/x.json"}}},  # remote: no fetch
        {"type": "object", "required": "a"},
    ],
)
def test_a_broken_schema_never_blocks_the_call(schema):
    SchemaChecker().check("t", schema, {"a": 1})


def test_schema_is_compiled_once():
    checker = SchemaChecker()
    checker.check("t", QUERY, {"species": "Adelie"})
    checker.check("t", dict(QUERY), {"species": "Gentoo"})
    assert len(checker._compiled) == 1


def test_draft_07_schema_is_honoured():
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["x"]}
    with pytest.raises(ArgumentsInvalid, match="missing required argument 'x' \\(value\\)"):
        SchemaChecker().check("t", schema, {})


# -- type_names, describe_params ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ({"type": "string"}, ["string"]),
        ({"type": ["integer", "null"]}, ["integer", "null"]),
        ({"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "string"}]}, ["string", "null"]),
        ({"oneOf": [{"type": "integer"}, {"anyOf": [{"type": "number"}]}]}, ["integer", "number"]),
        ({"enum": ["a", "b"]}, ["enum"]),
        ({"description": "anything"}, []),
        (None, []),
        ("string", []),
    ],
)
def test_type_names(spec, names):
    assert type_names(spec) == names


def test_describe_params():
    assert describe_params(QUERY) == ("species*: string, limit: integer = 10, columns: array, filter: object")
    optional = {"properties": {"q": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}, "x": {}}}
    assert describe_params(optional) == "q: string, x: any"
    assert describe_params(None) == "" and describe_params({}) == ""


# -- coerce_loose ---------------------------------------------------------------------------------------------

LOOKUP = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "n": {"type": "number"},
        "either": {"type": ["string", "integer"]},
        "text_or_number": {"type": ["string", "number"]},
        "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "free": {},
    },
}


@pytest.mark.parametrize(
    ("key", "parsed", "typed", "sent"),
    [
        ("code", 7, "7", "7"),  # the schema wants text: send what was typed
        ("code", 1.50, "1.50", "1.50"),  # not 1.5
        ("code", True, "true", "true"),
        ("code", None, "null", "null"),
        ("n", 7, "7", 7),
        ("either", 7, "7", 7),
        ("text_or_number", 7, "7", 7),  # an integer is a number
        ("text_or_number", True, "true", "true"),  # a boolean is not
        ("maybe", None, "null", None),
        ("free", 7, "7", 7),
        ("unknown", 7, "7", 7),
    ],
)
def test_coerce_loose(key, parsed, typed, sent):
    out = coerce_loose(LOOKUP, {key: parsed}, {key: typed})
    assert out == {key: sent} and type(out[key]) is type(sent)


def test_coerce_loose_leaves_other_arguments_and_the_input_alone():
    args = {"code": 7, "other": 7}
    out = coerce_loose(LOOKUP, args, {"code": "7"})
    assert out == {"code": "7", "other": 7} and args == {"code": 7, "other": 7}
    assert coerce_loose(None, {"code": 7}, {"code": "7"}) == {"code": 7}


def test_deref_follows_a_local_pointer_once_keeping_siblings():
    from mcp_notebook._schema import deref

    root = {"$defs": {"Kind": {"type": "string", "enum": ["a"]}, "a/b": {"type": "integer"}}}
    assert deref({"$ref": "#/$defs/Kind", "description": "which"}, root) == {
        "type": "string",
        "enum": ["a"],
        "description": "which",
    }
    assert deref({"$ref": "#/$defs/a~1b"}, root) == {"type": "integer"}  # JSON Pointer escape
    assert deref({"$ref": "#/$defs/Missing", "title": "t"}, root) == {"title": "t"}
    assert deref({"$ref": "https://example.com/s.json"}, root) == {"$ref": "https://example.com/s.json"}
    assert deref(None, root) == {} and deref(True, root) == {}
