"""Choosing the table in a result: sibling lists are separate tables, never zipped into one frame.

``to_dataframe(key)``, ``frames()`` and the refusal to choose, on results built in memory; the
property test checks, for any structured result, that every row of every frame is one record of
one list the server sent. The real servers are in test_peers_data.py.
"""

from __future__ import annotations

import json
import math
from typing import Any

import mcp_types as types
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_notebook.errors import UsageProblem
from mcp_notebook.results import ResourceResult, ToolResult

GRAPH = {
    "entities": [
        {"name": "Ada", "entityType": "person", "observations": ["math"]},
        {"name": "Lin", "entityType": "person", "observations": []},
    ],
    "relations": [
        {"from": "Ada", "to": "Lin", "relationType": "knows"},
        {"from": "Lin", "to": "Ada", "relationType": "knows"},
    ],
}


def tool_result(structured: Any = None, *texts: str, **kwargs: Any) -> ToolResult:
    raw = types.CallToolResult(
        content=[types.TextContent(type="text", text=t) for t in texts], structured_content=structured
    )
    return ToolResult(raw, server="mem", tool="read_graph", **kwargs)


def json_resource(value: Any, uri: str = "memory://knowledge-graph") -> ResourceResult:
    contents = types.TextResourceContents(uri=uri, mime_type="application/json", text=json.dumps(value))
    return ResourceResult(types.ReadResourceResult(contents=[contents]), uri=uri)


def test_sibling_lists_of_the_same_length_are_never_zipped():
    result = tool_result(GRAPH, json.dumps(GRAPH))
    with pytest.raises(UsageProblem) as info:
        result.to_dataframe()
    message = str(info.value)
    assert "\n" not in message
    assert "holds 2 tables: entities (2 rows), relations (2 rows)" in message
    assert ".to_dataframe('entities')" in message and "--df entities" in message
    entities = result.to_dataframe("entities")
    assert list(entities.columns) == ["name", "entityType", "observations"] and entities["name"].tolist() == [
        "Ada",
        "Lin",
    ]
    relations = result.to_dataframe("relations")
    assert relations[["from", "to"]].values.tolist() == [["Ada", "Lin"], ["Lin", "Ada"]]
    frames = result.frames()
    assert list(frames) == ["entities", "relations"]
    assert frames["relations"].equals(relations)


def test_the_display_shows_each_list_as_its_own_titled_table():
    bundle = tool_result(GRAPH, json.dumps(GRAPH))._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.count("<table>") == 2
    assert "<b>entities</b>" in html and "<b>relations</b>" in html
    assert ".to_dataframe(&#x27;relations&#x27;) has it all" in html
    assert "entities (2 rows):" in bundle["text/plain"] and "relations (2 rows):" in bundle["text/plain"]


def test_a_dotted_key_reaches_into_nested_data_and_metadata_is_shown_beside_it():
    structured = {"data": {"items": [{"a": 1}, {"a": 2}], "total": 2}, "meta": {"page": 1}}
    result = tool_result(structured)
    assert result.to_dataframe("data.items")["a"].tolist() == [1, 2]
    assert result.to_dataframe()["a"].tolist() == [1, 2]  # the only list: no choice to make
    html = result._repr_mimebundle_()["text/html"]
    assert "<b>data.items</b>" in html and "&quot;page&quot;: 1" in html and "&quot;total&quot;: 2" in html


def test_unknown_key_names_the_tables_there_are():
    with pytest.raises(UsageProblem, match=r"has no table 'entitys' \(tables: 'entities', 'relations'"):
        tool_result(GRAPH).to_dataframe("entitys")


def test_unknown_key_beside_a_whole_table_names_it_in_words():
    with pytest.raises(UsageProblem, match=r"has no table 'c' \(tables: \(the whole\); its keys: 'a', 'b'\)"):
        tool_result({"a": [1, 2], "b": ["x", "y"]}).to_dataframe("c")


def test_a_key_that_is_not_a_table_says_what_it_is():
    with pytest.raises(UsageProblem, match=r"the result of mem.read_graph, note is plain text \(1 line\), not a table"):
        tool_result({"note": "all of them", "rows": [{"a": 1}]}).to_dataframe("note")


def test_columns_of_values_are_still_one_table():
    # A mapping of equal-length lists of values is one table sent column by column.
    frame = tool_result({"a": [1, 2], "b": ["x", "y"]}).to_dataframe()
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_a_json_resource_with_two_lists_is_two_tables():
    resource = json_resource(GRAPH)
    with pytest.raises(UsageProblem, match="memory://knowledge-graph holds 2 tables: entities"):
        resource.to_dataframe()
    assert resource.to_dataframe("relations")["relationType"].tolist() == ["knows", "knows"]
    assert list(resource.frames()) == ["entities", "relations"]


def test_picked_tables_keep_their_output_schema_types():
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            "other": {"type": "array", "items": {"type": "object"}},
        },
    }
    result = tool_result({"items": [{"n": 1}, {"n": None}], "other": [{"x": 1}]}, output_schema=schema)
    assert str(result.to_dataframe("items")["n"].dtype) == "Int64"


def test_media_echoed_as_structured_content_is_media_not_a_table():
    image = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    raw = types.CallToolResult(
        content=[types.ImageContent(type="image", data=image, mime_type="image/png")],
        structured_content={"content": [{"type": "image", "data": image, "mimeType": "image/png"}]},
    )
    result = ToolResult(raw, server="fs", tool="read_media_file")
    bundle = result._repr_mimebundle_()
    assert bundle["image/png"] == image and "text/html" not in bundle  # the picture, not a table of base64
    with pytest.raises(UsageProblem, match=r"is media \(image/png\), not a table; .content has it"):
        result.to_dataframe()


# -- the property: every row of every frame is one record of one list ------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text("ab", max_size=2))
_FIELDS = st.sampled_from(["a", "b", "c"])
_RECORD = st.dictionaries(
    _FIELDS, _SCALARS | st.lists(_SCALARS, max_size=2) | st.dictionaries(_FIELDS, _SCALARS, max_size=2), max_size=3
)
_LISTS = st.lists(_RECORD, max_size=4) | st.lists(_SCALARS, min_size=1, max_size=4)
_KEYS = st.sampled_from(["entities", "relations", "items", "data", "n"])
_VALUES = st.recursive(
    st.dictionaries(_KEYS, _LISTS | _SCALARS, max_size=3),
    lambda inner: st.dictionaries(_KEYS, inner | _LISTS | _SCALARS, max_size=3),
    max_leaves=6,
)


def _number(value: Any, counter: list[int]) -> list[list[Any]]:
    """Give every record (a mapping inside a list) a unique ``_id``; return every list of the value."""
    lists: list[list[Any]] = []
    if isinstance(value, dict):
        for inner in value.values():
            lists += _number(inner, counter)
    elif isinstance(value, list):
        lists.append(value)
        for item in value:
            if isinstance(item, dict):
                counter[0] += 1
                item["_id"] = counter[0]
    return lists


def _cells(frame: pd.DataFrame) -> list[Any]:
    return [v for column in frame.columns for v in frame[column].tolist()]


def _same_values(column: list[Any], values: list[Any]) -> bool:
    def norm(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v

    return [norm(v) for v in column] == [norm(v) for v in values]


def _check_frame(frame: pd.DataFrame, value: Any, lists: list[list[Any]]) -> None:
    # No record ever sits in a cell: that is how zipped lists looked (entity i beside relation i).
    assert not any(isinstance(v, dict) and "_id" in v for v in _cells(frame)), frame
    if "_id" in frame.columns:
        ids = frame["_id"].tolist()
        sources = [lst for lst in lists if [r.get("_id") for r in lst if isinstance(r, dict)] == ids]
        assert len(sources) == 1, f"rows {ids} are not exactly one list's records"
        return
    if not len(frame):
        return
    if list(frame.columns) == ["value"]:
        assert any(_same_values(frame["value"].tolist(), lst) for lst in lists), frame
        return
    # A mapping of equal-length lists of values, or one flat mapping: each column is one of the lists
    # of one mapping, or each cell one of its values.
    for column in frame.columns:
        cells = frame[column].tolist()
        assert any(_same_values(cells, lst) for lst in lists) or len(frame) == 1, (column, frame)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_VALUES)
def test_every_row_of_every_frame_is_one_record_of_one_list(value):
    lists = _number(value, [0])
    result = tool_result(value, json.dumps(value))
    frames = result.frames()
    for frame in frames.values():
        _check_frame(frame, value, lists)
    try:
        whole = result.to_dataframe()
    except UsageProblem as e:
        assert "\n" not in str(e)
        if len(frames) > 1:
            assert f"holds {len(frames)} tables" in str(e)
        return
    _check_frame(whole, value, lists)
    assert len(frames) <= 1
