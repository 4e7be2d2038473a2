"""``.to_polars()`` / ``.to_arrow()`` / ``--pl``: the table ``.to_dataframe()`` gives, as polars and
Arrow frames, chosen and typed the same way; and a one-line hint when the extra is not installed."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import UsageProblem
from mcp_notebook.listings import ToolList
from mcp_notebook.other_frames import ARROW_EXTRA, POLARS_EXTRA
from mcp_notebook.results import ResourceResult, ToolResult

UTC = dt.timezone.utc


def tool_result(structured: Any = None, *texts: str, schema: dict[str, Any] | None = None, **kw: Any) -> ToolResult:
    blocks = [types.TextContent(type="text", text=t) for t in texts]
    raw = types.CallToolResult(content=blocks, structured_content=structured)
    return ToolResult(raw, server="s", tool="t", output_schema=schema, **kw)


def records_schema(properties: dict[str, Any], wrapper: str = "result") -> dict[str, Any]:
    rows = {"type": "array", "items": {"type": "object", "properties": properties}}
    return {"type": "object", "properties": {wrapper: rows}}


def plain(value: Any) -> Any:
    """A cell as plain Python, missing as None, so pandas' and polars' cells compare."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        return plain(value.item())  # numpy scalars
    return value


# pandas dtype → the polars dtypes that hold the same cells (ints with a null are float64 in pandas).
SAME_KIND = {
    "Int64": {pl.Int64},
    "int64": {pl.Int64},
    "float64": {pl.Float64, pl.Int64, pl.Null},
    "boolean": {pl.Boolean},
    "bool": {pl.Boolean},
    "string": {pl.String},
    "str": {pl.String, pl.Null},
}


def assert_agree(result: Any, key: str | None = None, **kw: Any) -> pl.DataFrame:
    """``to_polars()`` and ``to_arrow()`` hold what ``to_dataframe()`` holds: names, order, cells, kinds."""
    frame = result.to_dataframe(key, **kw)
    polars = result.to_polars(key, **kw)
    assert polars.columns == [str(c) for c in frame.columns]
    assert polars.height == len(frame)
    for name in polars.columns:
        theirs = [plain(v) for v in frame[name].tolist()]
        assert [plain(v) for v in polars[name].to_list()] == theirs, name
        pandas_kind = str(frame[name].dtype)
        if pandas_kind.startswith("datetime64"):
            assert isinstance(polars.schema[name], pl.Datetime), name
        elif pandas_kind in SAME_KIND:
            assert polars.schema[name] in SAME_KIND[pandas_kind], (name, pandas_kind, polars.schema[name])
    if not any(dtype == pl.Object for dtype in polars.dtypes):  # objects have no Arrow type (tested below)
        arrow = result.to_arrow(key, **kw)
        assert arrow.column_names == polars.columns
        assert pl.from_arrow(arrow).equals(polars)
    return polars


# -- types from the output schema ------------------------------------------------------------------------

TYPED = {
    "n": {"type": "integer"},
    "x": {"type": "number"},
    "ok": {"type": "boolean"},
    "name": {"type": "string"},
    "seen": {"type": "string", "format": "date-time"},
    "day": {"type": "string", "format": "date"},
    "where": {"type": "object", "properties": {"lat": {"type": "number"}, "place": {"type": "string"}}},
}
ROWS = [
    {"n": 1, "x": 1, "ok": True, "name": "a", "seen": "2024-01-01T10:00:00", "day": "2024-01-01", "where": {"lat": 1}},
    {"n": None, "x": 2.5, "ok": None, "name": None, "seen": "2024-01-02T00:00:00.5", "day": "2024-02-29"},
    {"x": None, "ok": False, "name": "c", "where": {"lat": 3.25, "place": "Dream"}},
]


def test_output_schema_types_become_polars_and_arrow_types():
    result = tool_result({"result": ROWS}, schema=records_schema(TYPED))
    polars = assert_agree(result)
    assert polars.schema == pl.Schema(
        {
            "n": pl.Int64,
            "x": pl.Float64,
            "ok": pl.Boolean,
            "name": pl.String,
            "seen": pl.Datetime("us"),
            "day": pl.Datetime("us"),
            "where.lat": pl.Float64,
            "where.place": pl.String,
        }
    )
    assert polars["seen"].to_list() == [dt.datetime(2024, 1, 1, 10), dt.datetime(2024, 1, 2, 0, 0, 0, 500000), None]
    assert polars["n"].to_list() == [1, None, None]  # a missing key is a null, not a 0
    arrow = result.to_arrow()
    assert arrow.schema.field("n").type == pa.int64() and arrow.schema.field("ok").type == pa.bool_()
    assert arrow.schema.field("seen").type == pa.timestamp("us") and arrow.schema.field("name").type == pa.string()


def test_date_times_with_offsets_are_utc_instants():
    schema = records_schema({"at": {"type": "string", "format": "date-time"}})
    sent = ["2024-01-01T10:00:00Z", "2024-01-01T12:00:00+02:00", "2024-01-01T10:00:00", None]
    result = tool_result({"result": [{"at": v} for v in sent]}, schema=schema)
    polars = assert_agree(result)
    assert polars.schema["at"] == pl.Datetime("us", "UTC")
    # Text without an offset beside text with one is read as UTC, as pandas reads it (utc=True).
    assert polars["at"].to_list() == [dt.datetime(2024, 1, 1, 10, tzinfo=UTC)] * 3 + [None]
    assert result.to_arrow().schema.field("at").type == pa.timestamp("us", tz="UTC")


def test_date_times_that_do_not_parse_stay_text_as_in_pandas():
    schema = records_schema({"at": {"type": "string", "format": "date-time"}})
    sent = ["2024-01-01T10:00:00", "next Tuesday", None]
    result = tool_result({"result": [{"at": v} for v in sent]}, schema=schema)
    polars = assert_agree(result)
    assert polars.schema["at"] == pl.String and polars["at"].to_list() == sent
    assert result.to_dataframe()["at"].tolist()[:2] == sent[:2]


def test_values_that_break_the_schema_are_kept_as_sent():
    schema = records_schema({"n": {"type": "integer"}, "flag": {"type": "boolean"}})
    result = tool_result({"result": [{"n": 1, "flag": "yes"}, {"n": 2.5, "flag": True}]}, schema=schema)
    polars = assert_agree(result)
    assert polars["n"].to_list() == [1.0, 2.5] and polars.schema["n"] == pl.Float64  # not truncated to 2
    assert polars["flag"].to_list() == ["yes", True]  # several types: polars objects, as pandas keeps them
    with pytest.raises(UsageProblem, match=r"column 'flag' holds values of several types \(bool, str\)"):
        result.to_arrow()


def test_columns_and_rows_with_sql_types():
    sent = {
        "columns": [{"name": "id", "type": "BIGINT"}, {"name": "price", "type": "DECIMAL(10,2)"}, "label"],
        "rows": [[1, "2.50", "a"], [2, None, "b"]],
    }
    polars = assert_agree(tool_result(sent))
    assert polars.schema == pl.Schema({"id": pl.Int64, "price": pl.Float64, "label": pl.String})
    assert polars["price"].to_list() == [2.5, None]


# -- which table ---------------------------------------------------------------------------------------------

GRAPH = {
    "entities": [{"name": "Ada", "entityType": "person"}, {"name": "Lovelace", "entityType": "family"}],
    "relations": [{"from": "Ada", "to": "Lovelace", "relationType": "of"}],
}


def test_two_lists_are_two_tables_and_no_key_names_them():
    result = tool_result(GRAPH)
    with pytest.raises(UsageProblem) as polars_refusal:
        result.to_polars()
    message = str(polars_refusal.value)
    assert "holds 2 tables: entities (2 rows), relations (1 row)" in message
    assert ".to_polars('entities') or --pl entities; .frames(to='polars') has them all" in message
    with pytest.raises(UsageProblem, match=r"\.to_arrow\('entities'\); \.frames\(to='arrow'\) has them all"):
        result.to_arrow()
    assert assert_agree(result, "relations").to_dicts() == GRAPH["relations"]
    frames = result.frames(to="polars")
    assert list(frames) == ["entities", "relations"] and all(isinstance(f, pl.DataFrame) for f in frames.values())
    assert list(result.frames(to="arrow")["entities"].column_names) == ["name", "entityType"]
    with pytest.raises(UsageProblem, match="frames\\(to='spark'\\): say one of 'pandas', 'polars', 'arrow'"):
        result.frames(to="spark")


def test_a_dotted_key_reaches_a_table_inside_and_keeps_its_schema():
    schema = {
        "type": "object",
        "properties": {
            "data": {"type": "object", "properties": {"items": records_schema(TYPED)["properties"]["result"]}}
        },
    }
    result = tool_result({"data": {"items": ROWS[:2], "total": 2}, "note": "x"}, schema=schema)
    polars = assert_agree(result, "data.items")
    assert polars.schema["n"] == pl.Int64 and polars.schema["seen"] == pl.Datetime("us")
    with pytest.raises(UsageProblem, match="has no table 'data.nope'"):
        result.to_polars("data.nope")


def test_text_without_a_table_says_so_in_the_words_of_polars():
    result = tool_result(None, "Just a sentence, nothing more.")
    with pytest.raises(UsageProblem, match=r"not a table; .*\.to_polars\(format='csv'\) or --pl csv"):
        result.to_polars()


def test_tables_in_text_csv_json_and_markdown():
    assert_agree(tool_result(None, "a,b\n1,x\n2,\nNA,z\n"))  # read by pandas, converted: the same NA rules
    assert assert_agree(tool_result(None, json.dumps([{"a": 1, "b": {"c": "x"}}, {"a": None}]))).columns == [
        "a",
        "b.c",
    ]
    assert_agree(tool_result(None, "| k | v |\n|---|---|\n| a | 1 |\n| b | 2 |\n"))
    assert_agree(tool_result(None, "a;b\n1;2\n3;4\n"), format="csv")


def test_parquet_is_read_by_arrow_directly():
    data = io.BytesIO()
    pd.DataFrame({"a": [1, 2, None], "b": ["x", "y", "z"]}).to_parquet(data)
    blob = types.BlobResourceContents(
        uri="x://t.parquet", mime_type="application/vnd.apache.parquet", blob=base64.b64encode(data.getvalue()).decode()
    )
    resource = ResourceResult(types.ReadResourceResult(contents=[blob]), uri="x://t.parquet")
    polars = assert_agree(resource)
    assert polars["a"].to_list() == [1.0, 2.0, None] and resource.to_arrow().num_rows == 3
    bad = types.BlobResourceContents(uri="x://bad.parquet", mime_type="application/vnd.apache.parquet", blob="AAAA")
    with pytest.raises(UsageProblem, match="x://bad.parquet is not readable Parquet"):
        ResourceResult(types.ReadResourceResult(contents=[bad]), uri="x://bad.parquet").to_polars()


# -- agreement over many shapes of records -----------------------------------------------------------------

KINDS = ("integer", "number", "boolean", "string", "date-time", "date", "object")


def _value(kind: str) -> st.SearchStrategy[Any]:
    big = 10**12  # ints a float64 holds exactly (pandas makes floats of ints beside a null)
    if kind == "integer":
        return st.integers(-big, big)
    if kind == "number":
        return st.one_of(st.integers(-big, big), st.floats(-1e12, 1e12, allow_nan=False))
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=5)
    if kind == "date-time":
        when = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
        return st.one_of(
            when.map(lambda d: d.isoformat()), when.map(lambda d: d.replace(tzinfo=UTC).isoformat()), st.just("soon")
        )
    if kind == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)).map(lambda d: d.isoformat())
    return st.fixed_dictionaries({}, optional={"lat": st.floats(-90, 90), "place": st.text(max_size=3)})


@st.composite
def typed_records(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    names = [f"c{i}" for i in range(len(kinds))]
    properties: dict[str, Any] = {}
    for name, kind in zip(names, kinds, strict=True):
        if kind in ("date-time", "date"):
            properties[name] = {"type": "string", "format": kind}
        elif kind == "object":
            properties[name] = {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "place": {"type": "string"}},
            }
        else:
            properties[name] = {"type": kind}
    cell = {name: st.one_of(st.none(), _value(kind)) for name, kind in zip(names, kinds, strict=True)}
    rows = draw(st.lists(st.fixed_dictionaries({}, optional=cell), min_size=1, max_size=8))
    typed = draw(st.booleans())  # with and without the output schema
    return rows, records_schema(properties) if typed else {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_records())
def test_polars_and_arrow_agree_with_pandas_on_records(case):
    rows, schema = case
    result = tool_result({"result": rows}, schema=schema or None)
    if not len(result.to_dataframe().columns):
        # Records with nothing in them ([{}], [{"a": {}}]): pandas has rows without columns; a
        # polars frame without columns has no rows.
        assert result.to_polars().shape == (0, 0)
        return
    assert_agree(result)


# -- the demo server, listings, map ---------------------------------------------------------------------------


def test_demo_results_resources_and_listings(demo: Server):
    stats = assert_agree(demo.call("summarize", column="body_mass_g", by="island"))
    assert stats.schema["count"] == pl.Int64 and stats.schema["mean"] == pl.Float64
    assert stats.schema["group"] == pl.String and stats["group"].to_list() == ["Biscoe", "Dream", "Torgersen"]
    assert_agree(demo.call("query", species="Gentoo", limit=20))
    penguins = demo.read("demo://datasets/penguins.csv")
    table = assert_agree(penguins)
    assert table.height == 344 and table.schema["body_mass_g"] in (pl.Int64, pl.Float64)
    assert assert_agree(demo.read("demo://datasets/penguins.json")).height == 344
    for listing in (demo.tools(), demo.resources(), demo.templates(), demo.prompts()):
        frame = listing.to_dataframe()
        polars = listing.to_polars()
        assert polars.columns == list(frame.columns) and polars.height == len(frame) > 0
        assert polars.to_dicts() == frame.astype(object).where(frame.notna(), None).to_dict("records")
        assert listing.to_arrow().column_names == polars.columns
    assert demo.tools().to_polars().columns[-1] == "annotations"


def test_map_over_a_polars_frame_gives_a_polars_frame(demo: Server):
    rows = pl.DataFrame({"species": ["Adelie", "Gentoo"], "label": ["first", "second"]})
    out = demo.map("measure", rows, {"delay": 0}, keep=True)
    assert isinstance(out, pl.DataFrame)
    assert out.columns[:3] == ["input.species", "label", "species"]  # the input first, renamed where taken
    assert out["label"].to_list() == ["first", "second"] and out["count"].to_list() == [152, 124]
    bare = demo.map("measure", rows, {"delay": 0})
    assert isinstance(bare, pl.DataFrame) and "label" not in bare.columns and bare.height == 2


# -- the magics ------------------------------------------------------------------------------------------------


def mcp(ip: Any, line: str, cell: str | None = None) -> Any:
    return ip.run_line_magic("mcp", line) if cell is None else ip.run_cell_magic("mcp", line, cell)


@pytest.fixture
def with_demo(ip: Any) -> Any:
    mcp(ip, "connect demo")
    return ip


def test_pl_on_call_and_read(with_demo: Any, capsys: pytest.CaptureFixture[str]):
    ip = with_demo
    stats = mcp(ip, "call demo.summarize by=sex --pl")
    assert isinstance(stats, pl.DataFrame) and stats["group"].to_list() == ["female", "male"]
    assert mcp(ip, "call demo.summarize --pl groups").equals(mcp(ip, "call demo.summarize --pl"))
    body = mcp(ip, "call demo.query --pl", "species: Chinstrap\nlimit: 3\n")
    assert body.height == 3 and set(body["species"].to_list()) == {"Chinstrap"}
    assert mcp(ip, "call demo.query limit=2 --pl -o rows") is None and ip.user_ns["rows"].height == 2
    one = mcp(ip, "read demo demo://datasets/penguins.csv --pl")
    assert isinstance(one, pl.DataFrame) and one.height == 344
    many = mcp(ip, "read demo demo://datasets/penguins.json demo://datasets/penguins/Adelie.csv --pl")
    assert list(many) == ["demo://datasets/penguins.json", "demo://datasets/penguins/Adelie.csv"]
    assert (
        all(isinstance(f, pl.DataFrame) for f in many.values())
        and many["demo://datasets/penguins/Adelie.csv"].height == 152
    )
    with pytest.raises(UsageError, match="--df gives a pandas DataFrame and --pl a polars one; give one of them"):
        mcp(ip, "call demo.query --df --pl")
    with pytest.raises(UsageError, match="--pl needs the result, which --background does not wait for"):
        mcp(ip, "call demo.query --pl --background")
    mcp(ip, "help call")
    assert "--pl [KEY|FORMAT]" in capsys.readouterr().out
    mcp(ip, "help read")
    assert "a polars DataFrame with --pl" in " ".join(capsys.readouterr().out.split())


# -- without the extras ------------------------------------------------------------------------------------------


@pytest.fixture
def no_polars(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "polars", None)  # `import polars` now fails, as when it is not installed
    yield


def test_without_polars_one_line_names_the_extra(no_polars: None, with_demo: Any):
    result = tool_result({"result": [{"a": 1}]})
    with pytest.raises(UsageProblem, match=r"^\.to_polars\(\) needs polars: " + _escaped(POLARS_EXTRA) + "$"):
        result.to_polars()
    with pytest.raises(UsageProblem, match=_escaped(POLARS_EXTRA)):
        ToolList([]).to_polars()
    with pytest.raises(UsageError, match=_escaped(POLARS_EXTRA)):
        mcp(with_demo, "call demo.query limit=1 --pl")
    assert isinstance(result.to_arrow(), pa.Table)  # Arrow alone still works


def test_without_pyarrow_to_arrow_names_its_extra(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(UsageProblem, match=r"^\.to_arrow\(\) needs pyarrow: " + _escaped(ARROW_EXTRA) + "$"):
        tool_result({"result": [{"a": 1}]}).to_arrow()


def _escaped(text: str) -> str:
    return re.escape(text)


# -- real reference servers ----------------------------------------------------------------------------------


@pytest.fixture
def mem(hub: Hub, tmp_path: Path) -> Server:
    from tests.peers import memory_bin

    return hub.connect("mem", command=[str(memory_bin())], env={"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")})


@pytest.mark.peers
def test_memory_graph_is_two_tables(mem: Server):
    mem.call(
        "create_entities",
        entities=[
            {"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]},
            {"name": "Analytical Engine", "entityType": "machine", "observations": []},
        ],
    )
    mem.call("create_relations", relations=[{"from": "Ada", "to": "Analytical Engine", "relationType": "programmed"}])
    graph = mem.call("read_graph")
    with pytest.raises(
        UsageProblem,
        match=r"holds 2 tables: entities \(2 rows\), relations \(1 row\); pick one with \.to_polars\('entities'\) or --pl entities",
    ):
        graph.to_polars()
    entities = assert_agree(graph, "entities")
    assert entities["name"].to_list() == ["Ada", "Analytical Engine"]
    assert entities.schema["observations"] == pl.List(pl.String)
    assert graph.to_arrow("relations").to_pylist() == [
        {"from": "Ada", "to": "Analytical Engine", "relationType": "programmed"}
    ]


@pytest.mark.peers
def test_everything_structured_content_is_typed_by_its_schema(hub: Hub):
    from tests.peers import everything_js

    ev = hub.connect("ev", command=["node", str(everything_js()), "stdio"])
    result = ev.call("get-structured-content", location="New York")
    polars = assert_agree(result)
    assert polars.columns == ["temperature", "conditions", "humidity"] and polars.height == 1
    assert polars.schema["temperature"] == pl.Float64 and polars.schema["conditions"] == pl.String
    assert result.to_arrow().schema.field("humidity").type == pa.float64()
