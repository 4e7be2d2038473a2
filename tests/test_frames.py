"""frames.py: finding tables in values, building DataFrames, reading CSV/TSV/JSON/NDJSON text."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_notebook.errors import UsageProblem
from mcp_notebook.frames import kind_of_text, parse_json_texts, tabular, text_to_frame, to_frame

RECORDS = [{"species": "Adelie", "mass": 3750}, {"species": "Gentoo", "mass": 5000, "sex": "female"}]


# -- tabular ----------------------------------------------------------------------------------------


def test_records():
    table = tabular(RECORDS)
    assert table.shape == "records" and len(table) == 2
    assert table.columns() == ["species", "mass", "sex"]  # union, in order of first appearance
    assert table.rows(10) == [["Adelie", 3750, None], ["Gentoo", 5000, "female"]]


def test_columns():
    table = tabular({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    assert table.shape == "columns" and len(table) == 3
    assert table.columns() == ["a", "b"]
    assert table.rows(2) == [[1, "x"], [2, "y"]]


def test_values():
    table = tabular([1, "two", None])
    assert table.shape == "values" and len(table) == 3
    assert table.columns() == ["value"]
    assert table.rows(2) == [[1], ["two"]]


def test_flat_mapping_is_one_row():
    table = tabular({"count": 3, "mean": 2.5})
    assert table.shape == "row" and len(table) == 1
    assert table.rows(5) == [[3, 2.5]]


@pytest.mark.parametrize("key", ["result", "items", "rows"])
def test_single_key_wrapper_is_seen_through(key):
    table = tabular({key: RECORDS})
    assert table.shape == "records" and table.data is RECORDS


def test_wrapper_of_columns_and_of_values():
    assert tabular({"result": {"a": [1], "b": [2]}}).shape == "columns"
    assert tabular({"result": [1, 2]}).shape == "values"


def test_records_beside_scalar_metadata():
    groups = [{"species": "Adelie", "mean": 3700.0}, {"species": "Gentoo", "mean": 5076.0}]
    table = tabular({"column": "body_mass_g", "by": "species", "groups": groups})
    assert table.shape == "records" and table.data is groups


@pytest.mark.parametrize(
    "value",
    [
        {"by": "x", "groups": [1, 2]},  # the list is not records
        {"a": [{"x": 1}], "b": [{"y": 2}, {"y": 3}]},  # two lists of different lengths
        {"meta": {"k": 1}, "groups": [{"x": 1}]},  # metadata that is not scalar
        [{"a": 1}, [1, 2]],  # mixed list
        [],
        {},
        "text",
        42,
        None,
        {"a": [1, 2], "b": [3]},  # unequal columns
    ],
)
def test_not_tables(value):
    assert tabular(value) is None


def test_rows_reads_only_what_it_shows():
    big = [{"i": i} for i in range(100_000)]
    table = tabular({"result": big})
    assert len(table) == 100_000
    assert table.rows(3) == [[0], [1], [2]]


def test_empty_wrapped_list_is_a_table_with_no_rows():
    # {"result": []} is what MCPServer makes of a tool that found nothing this time.
    for value in ({"result": []}, {"total": 0, "items": []}):
        table = tabular(value)
        assert table is not None and len(table) == 0 and table.columns() == []


# -- to_frame ----------------------------------------------------------------------------------------


def test_to_frame_records_and_wrapper():
    df = to_frame({"result": RECORDS})
    assert list(df.columns) == ["species", "mass", "sex"]
    assert df["mass"].tolist() == [3750, 5000]
    assert pd.isna(df.loc[0, "sex"])


def test_to_frame_nested_records_are_flattened():
    df = to_frame([{"id": 1, "bill": {"length": 39.1, "depth": 18.7}}, {"id": 2, "bill": {"length": 40.0}}])
    assert set(df.columns) == {"id", "bill.length", "bill.depth"}
    assert df["bill.length"].tolist() == [39.1, 40.0]


def test_to_frame_columns_values_and_row():
    assert to_frame({"a": [1, 2], "b": [3, 4]}).to_dict("list") == {"a": [1, 2], "b": [3, 4]}
    assert to_frame([3, 1, 2]).to_dict("list") == {"value": [3, 1, 2]}
    row = to_frame({"n": 3, "stats": None})
    assert len(row) == 1 and row.loc[0, "n"] == 3


def test_to_frame_keeps_every_row():
    df = to_frame({"result": [{"i": i} for i in range(100_000)]})
    assert len(df) == 100_000 and df["i"].iloc[-1] == 99_999


def test_to_frame_passes_a_dataframe_through():
    df = pd.DataFrame({"a": [1]})
    assert to_frame(df) is df


def test_to_frame_of_nothing_found_is_empty():
    assert to_frame([]).empty
    empty = to_frame({"result": []})
    assert empty.empty and list(empty.columns) == []
    assert to_frame({"count": 0, "items": []}).empty


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("just text", "a single str"),
        ({"a": {"b": 1}, "c": [1]}, "a mapping with keys a, c"),
        ([1, [2]], "a list of 2 mixed items"),
    ],
)
def test_to_frame_explains_what_is_not_a_table(value, words):
    with pytest.raises(UsageProblem) as info:
        to_frame(value, "the result of demo.x")
    message = str(info.value)
    assert message.startswith("the result of demo.x is not table-shaped")
    assert words in message and ".data" in message


# -- text_to_frame -----------------------------------------------------------------------------------


def test_csv_and_tsv():
    assert text_to_frame("a,b\n1,x\n2,y\n", "csv").to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    assert text_to_frame("a\tb\n1\tx, y\n", "tsv").to_dict("list") == {"a": [1], "b": ["x, y"]}


def test_json_text():
    df = text_to_frame('{"result": [{"a": 1}, {"a": 2}]}', "json")
    assert df["a"].tolist() == [1, 2]
    assert text_to_frame('[{"a": 1}]', None)["a"].tolist() == [1]  # no kind: JSON is tried


def test_ndjson_skips_blank_lines():
    df = text_to_frame('{"a": 1}\n\n{"a": 2, "b": "x"}\n', "ndjson")
    assert df["a"].tolist() == [1, 2] and df["b"].tolist()[1] == "x"


def test_ndjson_error_names_the_bad_line():
    with pytest.raises(UsageProblem, match=r"x://log\.ndjson is not NDJSON: line 3: "):
        text_to_frame('{"a": 1}\n{"a": 2}\n{"a": \n', "ndjson", "x://log.ndjson")


def test_bad_json_says_where():
    with pytest.raises(UsageProblem, match=r"is not JSON \(line 2, column 6: ") as info:
        text_to_frame('{"a":\n  1, }', "json")
    assert "CSV" not in str(info.value)
    # With no type, the text says what it is: CSV is read as CSV, prose is refused in one line.
    assert text_to_frame("a,b\n1,2", None).to_dict("list") == {"a": [1], "b": [2]}
    with pytest.raises(UsageProblem, match=r"is plain text \(2 lines\), not a table"):
        text_to_frame("Dear reader,\nthis is not a table.", None)


def test_unreadable_csv_is_a_usage_problem():
    with pytest.raises(UsageProblem, match="is not readable CSV"):
        text_to_frame("", "csv")


def test_json_that_is_not_a_table():
    with pytest.raises(UsageProblem, match=r"is JSON \(a single str\), not a table"):
        text_to_frame('"hello"', "json")


# -- kind_of_text, parse_json_texts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mime", "uri", "kind"),
    [
        ("text/csv", "", "csv"),
        ("Text/CSV; charset=utf-8", "", "csv"),
        ("text/tab-separated-values", "", "tsv"),
        ("application/json", "x://a.csv", "json"),  # the type wins over the name
        ("application/vnd.api+json", "", "json"),
        ("application/x-ndjson", "", "ndjson"),
        ("application/jsonl", "", "ndjson"),
        (None, "demo://data/penguins.csv", "csv"),
        ("text/plain", "file:///a/b.TSV", "tsv"),
        (None, "x://a.jsonl?page=2#top", "ndjson"),
        (None, "x://a.ndjson", "ndjson"),
        (None, "x://a.json", "json"),
        (None, "x://a.csv.txt", None),
        ("text/plain", "x://notes", None),
        (None, "", None),
    ],
)
def test_kind_of_text(mime, uri, kind):
    assert kind_of_text(mime, uri) == kind


def test_parse_json_texts():
    assert parse_json_texts(['{"a": 1}']) == (True, {"a": 1})
    assert parse_json_texts(["  [1, 2]\n"]) == (True, [1, 2])
    assert parse_json_texts(["1", '"x"', "null"]) == (True, [1, "x", None])
    assert parse_json_texts(["true story"]) == (False, None)
    assert parse_json_texts(['{"a": 1}', "not json"]) == (False, None)
    assert parse_json_texts(["Hello, world"]) == (False, None)
    assert parse_json_texts([""]) == (False, None)
    assert parse_json_texts([]) == (False, None)


# -- nested records: the same frame as pandas.json_normalize, built column by column ----------------

_KEYS = st.sampled_from(["a", "b", "c", "a.b", "x y", "ü"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=32), st.text(max_size=3)
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.dictionaries(_KEYS, inner, max_size=3) | st.lists(_SCALARS, max_size=2), max_leaves=6
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), min_size=1, max_size=6))
def test_nested_records_make_the_frame_json_normalize_makes(records):
    """Columns, their order, dtypes, missing cells (NaN) and collisions ("a.b" beside a → b): as pandas."""
    from mcp_notebook.frames import flat_frame

    pd.testing.assert_frame_equal(flat_frame(records), pd.json_normalize(records))


def test_nested_records_through_to_frame():
    frame = to_frame([{"id": 1, "where": {"island": "Dream", "year": 2008}}, {"id": 2, "where": {"island": "Biscoe"}}])
    assert list(frame.columns) == ["id", "where.island", "where.year"]
    assert frame["where.island"].tolist() == ["Dream", "Biscoe"]
    assert frame["where.year"].isna().tolist() == [False, True]
