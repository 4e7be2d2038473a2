"""magics/_parse.py: splitting a %mcp line, key=value rules, cell bodies, argparse errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_notebook.errors import UsageProblem
from mcp_notebook.magics._parse import (
    CommandParser,
    HelpShown,
    Word,
    parse_body,
    parse_pairs,
    split_command,
    tokenize,
)


def words(line: str) -> list[str]:
    return [str(w) for w in tokenize(line)]


def pairs(line: str, namespace: dict | None = None) -> dict:
    return parse_pairs(tokenize(line), namespace or {}, "%mcp call t")[0]


# -- tokenize ---------------------------------------------------------------------------------------


def test_splits_on_whitespace():
    assert words("  call\tdemo.query   limit=5 ") == ["call", "demo.query", "limit=5"]
    assert tokenize("") == [] and tokenize("   ") == []


def test_quotes_group_and_are_removed():
    assert words("""a "two words" 'single "inner"' x="y z"w""") == ["a", "two words", 'single "inner"', "x=y zw"]


def test_double_quote_escapes():
    assert words(r'"say \"hi\" \\ ok"') == [r'say "hi" \ ok']
    assert words(r"'a\b'") == [r"a\b"]  # single quotes keep backslashes as typed


def test_backslash_outside_quotes():
    assert words(r"a\ b c\"d") == ["a b", 'c"d']
    assert words("end\\") == ["end\\"]


def test_brackets_keep_json_together_with_quotes():
    line = """filter={"island": "Dream", "note": "a } b"} tags=["a", "b c"] t=(1, 2)"""
    assert words(line) == ['filter={"island": "Dream", "note": "a } b"}', 'tags=["a", "b c"]', "t=(1, 2)"]


def test_nested_brackets():
    assert words('x={"a": [1, {"b": (2)}]} y') == ['x={"a": [1, {"b": (2)}]}', "y"]


def test_word_remembers_how_it_was_written_and_where():
    word = tokenize('one k="v w"{x}')[1]
    assert word.parts == (("k=", "plain"), ("v w", "quoted"), ("{x}", "bracket"))
    assert word.column == 4


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('a "open', 'unclosed " at column 3'),
        ("a 'open", "unclosed ' at column 3"),
        ("x={1, 2", "'{' opened at column 3 is never closed"),
        ("x=[1, 2}", "'}' at column 8 does not match '[' opened at column 3"),
        ('x={"a: 1}', 'unclosed " at column 4'),
    ],
)
def test_unbalanced_input_is_a_usage_problem(line, message):
    with pytest.raises(UsageProblem, match=message.replace("[", r"\[").replace("{", r"\{")):
        tokenize(line)


def test_split_pair():
    key, value = tokenize('key="a=b c"')[0].split_pair()
    assert key == "key" and str(value) == "a=b c" and value.parts == (("a=b c", "quoted"),)
    key, value = tokenize("a=b=c")[0].split_pair()
    assert (key, str(value)) == ("a", "b=c")
    assert tokenize('"k"=v')[0].split_pair() is None  # a quoted key is not a key
    assert tokenize("novalue")[0].split_pair() is None


def test_split_command_at_first_bare_separator():
    opts, command = split_command(tokenize("conn --env A=1 -- npx server -- --flag"))
    assert [str(w) for w in opts] == ["conn", "--env", "A=1"]
    assert [str(w) for w in command] == ["npx", "server", "--", "--flag"]
    opts, command = split_command(tokenize('conn "--" x'))
    assert command is None and [str(w) for w in opts] == ["conn", "--", "x"]  # quoted: an argument


# -- key=value values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("x=5", 5),
        ("x=2.5", 2.5),
        ("x=-3", -3),
        ("x=true", True),
        ("x=null", None),
        ("x=Adelie", "Adelie"),
        ("x=007", "007"),  # not JSON: the text as typed
        ("x=1.2.3", "1.2.3"),
        ("x=NaN", "NaN"),  # Python's json reads NaN, JSON does not
        ("x=Infinity", "Infinity"),
        ('x="5"', "5"),
        ("x='true'", "true"),
        ('x=""', ""),
        ("x=", ""),
        ('x=a"b c"', "ab c"),
        ("x=[1, 2]", [1, 2]),
        ('x={"a": [1, null]}', {"a": [1, None]}),
        ("x=[1, 'two', (3,)]", [1, "two", (3,)]),  # not JSON: a Python literal
        ("x={}", {}),
        ("x={ }", {}),
        ("x={1 + 2}", 3),
        ("x=a{b}", "a{b}"),
        ("x=$1", "$1"),
        ("x=$", "$"),
        ('x="$rows"', "$rows"),
        ("x=é日本", "é日本"),
    ],
)
def test_value_rules(line, value):
    assert pairs(line) == {"x": value}


def test_namespace_values():
    ns = {"rows": [1, 2], "n": 4}
    assert pairs("a=$rows b={n * 2} c={len(rows)}", ns) == {"a": [1, 2], "b": 8, "c": 2}
    assert pairs("a=$rows", ns)["a"] is ns["rows"]  # the object itself, not a copy


def test_expression_cannot_change_the_namespace():
    ns = {"rows": [1]}
    pairs("a={globals().update(rows=2)}", ns)
    assert ns == {"rows": [1]}


def test_raw_text_kept_only_for_loose_values():
    args, raw = parse_pairs(tokenize('a=7 b="7" c=[7] d=x e=true'), {}, "w")
    assert args == {"a": 7, "b": "7", "c": [7], "d": "x", "e": True}
    assert raw == {"a": "7", "e": "true"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("x=$missing", r"\$missing is neither a notebook variable nor set in the kernel's environment"),
        ("x={1 +}", r"\{1 \+\} is not a Python expression"),
        ("x={1/0}", "evaluating .* failed: ZeroDivisionError"),
        ("x=[a b]", "is neither JSON nor a Python literal"),
        ("x=1 x=2", "'x' is given twice"),
        ("x=1 loose", "expected key=value, got 'loose' at column 5"),
        ("=1", "expected key=value, got '=1'"),
        ("x= 1", "expected key=value, got '1' at column 4"),
    ],
)
def test_value_errors(line, message):
    with pytest.raises(UsageProblem, match=message) as info:
        pairs(line)
    assert str(info.value).startswith("%mcp call t")


def test_deep_nesting_is_a_usage_problem():
    with pytest.raises(UsageProblem):
        pairs("x=" + "[" * 5000 + "]" * 5000)


# -- cell bodies ------------------------------------------------------------------------------------------


def test_empty_body():
    assert parse_body("", "w") == {} and parse_body("  \n ", "w") == {} and parse_body("# just a comment\n", "w") == {}


def test_json_body():
    assert parse_body('\n  {"species": "Adelie", "limit": 5, "on": true}\n', "w") == {
        "species": "Adelie",
        "limit": 5,
        "on": True,
    }


def test_json_error_gives_line_and_column_in_the_cell():
    body = '\n\n{\n  "a": 1,\n  "b" 2\n}'
    with pytest.raises(UsageProblem) as info:
        parse_body(body, "%%mcp call t")
    # The fault is the 2 after "b": line 5 of the cell, column 7.
    assert "not valid JSON: Expecting ':' delimiter at line 5, column 7" in str(info.value)
    assert body.split("\n")[4][6] == "2"


def test_yaml_body_reads_values_as_json_would():
    body = """
species: Adelie
sex: no
island: on
answer: yes
flag: true
off_flag: False
date: 2024-01-01
time: 12:30
zip: 02134
code: 007
hex: 0x1F
big: 1_000
limit: 5
neg: -2
ratio: 0.5
sci: 1e3
nothing: null
tilde: ~
list: [1, two, "3"]
nested: {a: 1}
"""
    assert parse_body(body, "w") == {
        "species": "Adelie",
        "sex": "no",
        "island": "on",
        "answer": "yes",
        "flag": True,
        "off_flag": False,
        "date": "2024-01-01",
        "time": "12:30",
        "zip": "02134",
        "code": "007",
        "hex": "0x1F",
        "big": "1_000",
        "limit": 5,
        "neg": -2,
        "ratio": 0.5,
        "sci": 1000.0,
        "nothing": None,
        "tilde": None,
        "list": [1, "two", "3"],
        "nested": {"a": 1},
    }


def test_yaml_keys_become_strings():
    assert parse_body("1: a\n", "w") == {"1": "a"}


def test_yaml_error_gives_line_and_column():
    with pytest.raises(UsageProblem) as info:
        parse_body("a: 1\nb: 2\n  c: 3\n", "%%mcp call t")
    # The colon of the wrongly indented "c:" is line 3, column 4.
    assert str(info.value) == (
        "%%mcp call t: the cell body is not valid YAML: mapping values are not allowed here at line 3, column 4"
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [("- a\n- b\n", "list"), ("just text", "str"), ("[1, 2]", "list"), ("42", "int")],
)
def test_body_must_be_a_mapping(body, kind):
    with pytest.raises(UsageProblem, match=f"must be a mapping of arguments .* not a {kind}"):
        parse_body(body, "w")


def test_yaml_python_tags_are_refused():
    with pytest.raises(UsageProblem, match="not valid YAML"):
        parse_body("a: !!python/object/apply:os.system ['true']\n", "w")


@pytest.mark.parametrize("body", ['{"a": ' + "[" * 1100 + "]" * 1100 + "}", "a: " + "[" * 1100 + "]" * 1100])
def test_deeply_nested_body_is_a_usage_problem(body):
    with pytest.raises(UsageProblem):
        parse_body(body, "w")


# -- CommandParser ------------------------------------------------------------------------------------------


def make_parser() -> CommandParser:
    parser = CommandParser("call")
    parser.add_argument("target")
    parser.add_argument("pairs", nargs="*")
    parser.add_argument("--timeout", type=float)
    return parser


def test_parser_reads_intermixed_options():
    args = make_parser().parse(["demo.q", "a=1", "--timeout", "2", "b=2"])
    assert args.target == "demo.q" and args.pairs == ["a=1", "b=2"] and args.timeout == 2.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo.q", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "the following arguments are required: target"),
        (["demo.q", "--timeout", "soon"], "invalid float value: 'soon'"),
        (["demo.q", "--timeout"], "expected one argument"),
    ],
)
def test_parser_errors_are_one_line_usage_problems(argv, message):
    with pytest.raises(UsageProblem) as info:
        make_parser().parse(argv)
    text = str(info.value)
    assert text.startswith("%mcp call: ") and message in text
    assert text.endswith("`%mcp help call` shows the usage") and "\n" not in text


def test_parser_help_is_shown_not_an_error(capsys):
    with pytest.raises(HelpShown):
        make_parser().parse(["-h"])  # no usage= given: argparse builds one from "%mcp call"
    assert "usage: %mcp call [-h] [--timeout TIMEOUT] target [pairs ...]" in capsys.readouterr().out
    parser = CommandParser("read", usage="%(prog)s SERVER URI")
    with pytest.raises(HelpShown):
        parser.parse(["--help"])
    assert "usage: %mcp read SERVER URI" in capsys.readouterr().out


# -- fuzzing ----------------------------------------------------------------------------------------------

# Few letters (no `*`, no `<`): an expression made of them can fail, but never runs long.
_LINE_CHARS = list("ab xy01=$'\"\\{}[](),:-.é日\t ")
_LINE_PIECES = st.sampled_from(_LINE_CHARS + ["key=", "$a", "{a}", "--", "null", "NaN", "x" * 300, "é" * 200])
_LINES = st.one_of(
    st.text(alphabet=_LINE_CHARS, max_size=40),  # cheap to generate: most of the examples
    st.lists(_LINE_PIECES, max_size=20).map("".join),  # words, and long values
)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES)
def test_fuzz_line_gives_values_or_usage_problems(line):
    try:
        found = tokenize(line)
    except UsageProblem:
        return
    assert all(isinstance(w, Word) and w.parts for w in found)
    try:
        args, raw = parse_pairs(found, {"a": 1, "b": [2]}, "w")
    except UsageProblem:
        return
    assert set(raw) <= set(args)


_SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=200, deadline=None)
@given(_SAFE_TEXT)
def test_double_quoted_value_round_trips(text):
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert pairs(f"k={quoted}") == {"k": text}


@settings(max_examples=150, deadline=None)
@given(_SAFE_TEXT.filter(lambda t: "'" not in t))
def test_single_quoted_value_round_trips(text):
    assert pairs(f"k='{text}'") == {"k": text}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _SAFE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_SAFE_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.lists(_JSON, max_size=4), st.dictionaries(_SAFE_TEXT, _JSON, min_size=1, max_size=4)))
def test_json_value_round_trips(value):
    assert pairs(f"k={json.dumps(value, ensure_ascii=False)}") == {"k": value}


_BODY_CHARS = list("ab: -\n{}[]\"'#&*!|>%@`,?\t 01.é")
_BODY_PIECES = st.sampled_from(
    _BODY_CHARS
    + ["key: ", "\n- ", "  ", "!!str ", "!!python/name:os.system", "&a ", "*a", "---\n", "...\n", "null", "12:30"]
)
_BODIES = st.one_of(st.text(alphabet=_BODY_CHARS, max_size=40), st.lists(_BODY_PIECES, max_size=30).map("".join))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BODIES)
def test_fuzz_body_gives_a_mapping_or_a_usage_problem(body):
    try:
        value = parse_body(body, "w")
    except UsageProblem as e:
        assert str(e).startswith("w: ")
        return
    assert isinstance(value, dict) and all(isinstance(k, str) for k in value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_SAFE_TEXT, _JSON, max_size=5))
def test_json_body_round_trips(value):
    assert parse_body(json.dumps(value), "w") == value
