"""Tables that arrive as text (text_tables.py, type_names.py), and telling Markdown from other text.

Built in memory; the real servers (filesystem's read_text_file, fetch's Markdown) are in
test_peers_data.py.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import pandas as pd
import pytest

from mcp_notebook.errors import UsageProblem
from mcp_notebook.results import ResourceResult, ToolResult
from mcp_notebook.text_kinds import describe, is_unified_diff, looks_like_markdown
from mcp_notebook.text_tables import sniff
from mcp_notebook.type_names import kind_of

CSV = "name,age,city\nAda,36,London\nLin,41,Taipei\n"


def tool_result(*texts: str, structured: Any = None, arguments: dict[str, Any] | None = None) -> ToolResult:
    raw = types.CallToolResult(
        content=[types.TextContent(type="text", text=t) for t in texts], structured_content=structured
    )
    return ToolResult(raw, server="s", tool="t", arguments=arguments)


# -- sniffing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (CSV, "csv"),
        ("a;b\n1;2\n3;4\n", "csv"),
        ("a\tb\n1\tx, y\n", "tsv"),
        ('[{"a": 1}]', "json"),
        ('{\n  "columns": ["a"],\n  "rows": [[1]]\n}', "json"),
        ('{"a": 1}\n{"a": 2}\n', "ndjson"),
        ("[{'a': 1, 'b': None}]", "json"),  # starts like JSON; read() falls back to a Python literal
        ("[(1, 'x'), (2, 'y')]", "json"),
        ("Intro\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n", "markdown"),
        ("Hello, world.\nThis is prose, with commas.\n", None),
        ("one line", None),
        ("```\n| a | b |\n|---|---|\n```\n", None),  # a table inside fenced code is code
        ("", None),
    ],
)
def test_sniff(text, kind):
    assert sniff(text) == kind


# -- reading: the table the user sees in the text ------------------------------------------------------------


def test_csv_in_a_content_field_is_read_as_csv():
    # filesystem's read_text_file: {"content": "<the file>"} beside the same text.
    result = tool_result(CSV, structured={"content": CSV}, arguments={"path": "/data/people.csv"})
    frame = result.to_dataframe()
    assert frame.to_dict("list") == {"name": ["Ada", "Lin"], "age": [36, 41], "city": ["London", "Taipei"]}
    assert result.frames()["content"].equals(frame)


def test_the_suffix_of_a_path_argument_says_the_format():
    tsv = "a\tb\n1\t2\n"
    assert tool_result(tsv, arguments={"path": "x.tsv"}).to_dataframe().to_dict("list") == {"a": [1], "b": [2]}
    # Said outright it wins over the sniffing: a one-column CSV is no table to sniff, but is CSV.
    one = tool_result("n\n1\n2\n", arguments={"file_path": "/d/n.csv"}).to_dataframe()
    assert one["n"].tolist() == [1, 2]


def test_a_stated_format_wins_and_fails_clearly():
    assert tool_result("n\n1\n2\n").to_dataframe(format="csv")["n"].tolist() == [1, 2]
    with pytest.raises(UsageProblem, match=r"is not JSON \(line 1, column 1"):
        tool_result("n\n1\n").to_dataframe(format="json")
    with pytest.raises(UsageProblem, match=r"unknown format 'xlsx'.*csv, tsv, json, ndjson, markdown, python"):
        tool_result(CSV).to_dataframe(format="xlsx")


def test_json_document_inside_a_string_field():
    inner = {"columns": ["a", "b"], "rows": [[1, "x"], [2, "y"]]}
    result = tool_result(structured={"result": json.dumps(inner)})
    assert result.to_dataframe().to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    # Beside scalar metadata too: the document holds the data, the scalars describe it.
    beside = tool_result(structured={"query": "select a, b", "result": json.dumps(inner), "ms": 3})
    assert beside.to_dataframe()["b"].tolist() == ["x", "y"]


@pytest.mark.parametrize(
    "table",
    [
        {
            "columns": [
                {"name": "id", "type": "BIGINT"},
                {"name": "price", "type": "DECIMAL(10,2)"},
                {"name": "day", "type": "DATE"},
                {"name": "at", "type": "TIMESTAMP WITH TIME ZONE"},
                {"name": "ok", "type": "BOOLEAN"},
                {"name": "label", "type": "VARCHAR(20)"},
            ],
            "rows": [
                [1, "1.50", "2024-01-02", "2024-01-02T10:00:00Z", True, "a"],
                [2, 2.25, None, None, None, None],
            ],
        },
        {  # names and types in two lists, rows under "data"
            "columns": ["id", "price", "day", "at", "ok", "label"],
            "column_types": ["INTEGER", "DOUBLE", "date", "timestamp", "bool", "TEXT"],
            "data": [
                [1, "1.50", "2024-01-02", "2024-01-02T10:00:00Z", True, "a"],
                [2, 2.25, None, None, None, None],
            ],
            "row_count": 2,
        },
    ],
)
def test_column_types_become_dtypes(table):
    frame = tool_result(json.dumps(table)).to_dataframe()
    assert list(frame.columns) == ["id", "price", "day", "at", "ok", "label"]
    dtypes = {c: str(t) for c, t in frame.dtypes.items()}
    assert dtypes["id"] == "Int64" and dtypes["price"] == "float64" and dtypes["ok"] == "boolean"
    assert dtypes["day"].startswith("datetime64") and dtypes["at"].startswith("datetime64")
    assert dtypes["label"] in ("string", "str")
    assert frame["price"].tolist() == [1.5, 2.25] and frame["id"].tolist() == [1, 2]
    assert frame["ok"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("BIGINT", "integer"),
        ("int8", "integer"),
        ("UInteger", "integer"),
        ("Nullable(Int32)", "integer"),
        ("INT UNSIGNED", "integer"),
        ("DOUBLE PRECISION", "number"),
        ("NUMERIC(18, 4)", "number"),
        ("boolean", "boolean"),
        ("character varying(255)", "string"),
        ("DATE", "datetime"),
        ("timestamp[us]", "datetime"),
        ("TIMESTAMP WITHOUT TIME ZONE", "datetime"),
        ("datetime64[ns, UTC]", "datetime"),
        ("INTERVAL", None),
        ("STRUCT(a INT)", None),
        ("TIME", None),
    ],
)
def test_type_names(name, kind):
    assert kind_of(name) == kind


def test_ndjson_and_python_literals():
    assert tool_result('{"a": 1}\n\n{"a": 2, "b": "x"}\n').to_dataframe()["a"].tolist() == [1, 2]
    rows = str([{"id": 1, "name": "Ada", "ok": True, "note": None}, {"id": 2, "name": "Lin", "ok": False, "note": "x"}])
    frame = tool_result(rows).to_dataframe()
    assert frame["name"].tolist() == ["Ada", "Lin"] and frame["ok"].tolist() == [True, False]


def test_python_literals_are_never_evaluated(tmp_path):
    marker = tmp_path / "ran"
    code = f"[{{'a': __import__('pathlib').Path({str(marker)!r}).touch()}}]"
    with pytest.raises(UsageProblem, match="is plain text"):
        tool_result(code).to_dataframe()
    assert not marker.exists()


def test_markdown_tables_are_read_with_escapes_undone():
    page = (
        "Contents of http://x/:\n## Penguins\n\nFrom [p](https://x.org).\n\n"
        "| species | island | mass\\_g |\n| --- | --- | --- |\n"
        "| Adelie | Torgersen | 3750 |\n| Gentoo \\| big | Biscoe | 5000 |\n\nThe end.\n"
    )
    frame = tool_result(page).to_dataframe()
    assert list(frame.columns) == ["species", "island", "mass_g"]
    assert frame["species"].tolist() == ["Adelie", "Gentoo | big"] and frame["mass_g"].tolist() == [3750, 5000]
    two = page + "\n| a | b |\n|---|---|\n| 1 |\n"
    with pytest.raises(UsageProblem, match=r"holds 2 tables: text\[0\] \(2 rows\), text\[1\] \(1 row\)"):
        tool_result(two).to_dataframe()
    short = tool_result(two).to_dataframe("text[1]")  # a short row gets empty cells, as GFM says
    assert short["a"].tolist() == [1] and short["b"].isna().all()
    windows = tool_result("| a | b |\r\n|---|---|\r\n| 1 | x |\r\n| 2 | y |\r\n").to_dataframe()
    assert windows.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    ragged = "| a | b |\n|---|---|\n| 1 | x |\n2 | y\n  | 3 | z |\n\nafter\n"  # rows need no edge pipes
    assert tool_result(ragged).to_dataframe().to_dict("list") == {"a": [1, 2, 3], "b": ["x", "y", "z"]}


def test_no_table_is_one_line_saying_what_the_text_is():
    for text, words in [
        ("Hello there.\nNothing tabular here.", "plain text (2 lines)"),
        ("# Notes\n\nSee [the docs](https://x.org/docs).\n", "Markdown with no table (3 lines)"),
        ('{"status": "ok"}', "JSON (a mapping with keys status)"),
    ]:
        with pytest.raises(UsageProblem) as info:
            tool_result(text).to_dataframe()
        message = str(info.value)
        assert "\n" not in message and f"is {words}, not a table; .text has it" in message, message
    # A single text field is text, never a 1x1 frame holding it.
    with pytest.raises(UsageProblem, match=r"is plain text \(1 line\), not a table; .text has it"):
        tool_result("done", structured={"result": "done"}).to_dataframe()


def test_a_preface_above_the_data_is_no_part_of_it():
    # fetch sends a CSV or JSON file below two label lines.
    preface = "Content type text/csv cannot be simplified to markdown, but here is the raw content:\nContents of http://x/p.csv:\n"
    assert tool_result(preface + CSV).to_dataframe()["city"].tolist() == ["London", "Taipei"]
    assert tool_result(preface + '[{"a": 1}]', arguments={"url": "http://x/a.json"}).to_dataframe()["a"].tolist() == [1]


def test_an_embedded_resource_says_its_format_by_its_mime_type():
    raw = types.CallToolResult(
        content=[
            types.TextContent(type="text", text="Here is the export."),
            types.EmbeddedResource(
                type="resource",
                resource=types.TextResourceContents(uri="x://export", mime_type="text/csv", text="n\n1\n2\n"),
            ),
        ]
    )
    frame = ToolResult(raw, tool="export").to_dataframe()  # one column: only the MIME type says CSV
    assert frame["n"].tolist() == [1, 2]


def test_pandas_table_orient_and_split_orient():
    table = {
        "schema": {"fields": [{"name": "n", "type": "integer"}, {"name": "t", "type": "datetime"}]},
        "data": [{"n": 1, "t": "2024-01-01T00:00:00"}, {"n": None, "t": None}],
    }
    frame = tool_result(json.dumps(table)).to_dataframe()
    assert str(frame["n"].dtype) == "Int64" and str(frame["t"].dtype).startswith("datetime64")
    split = {"columns": ["a", "b"], "index": ["x", "y"], "data": [[1, 2], [3, 4]]}
    frame = tool_result(json.dumps(split)).to_dataframe()
    assert frame.index.tolist() == ["x", "y"] and frame["b"].tolist() == [2, 4]


def test_resources_read_text_tables_too():
    def resource(text: str, uri: str, mime: str | None = None) -> ResourceResult:
        contents = types.TextResourceContents(uri=uri, mime_type=mime, text=text)
        return ResourceResult(types.ReadResourceResult(contents=[contents]), uri=uri)

    assert resource(CSV, "x://people").to_dataframe()["age"].tolist() == [36, 41]  # sniffed: no type, no suffix
    page = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert resource(page, "x://t.md").to_dataframe().to_dict("list") == {"a": [1], "b": [2]}
    assert resource(CSV, "x://people").to_dataframe(format="csv").shape == (2, 3)


# -- Markdown or not: rendering plain text as Markdown must never mangle it ------------------------------

MARKDOWN = [
    "## Title\n\nSome text with a [link](https://example.org).\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "Here is code:\n\n```python\nprint('hi')\n```\n",
    "```diff\n--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n```\n",
    "# Report\n\n- first point\n- second point\n\nThis is **important** to know.\n",
    "Intro\n=====\n\n> quoted words\n\n1. one\n2. two\n",
]
NOT_MARKDOWN = [
    "Hello, world.",
    "The server is up.\nAll checks passed.\n",
    CSV,
    "a\tb\n1\t2\n",
    '{"entities": [], "relations": []}',
    "# comment\nname: demo\nitems:\n  - a\n  - b\n",  # YAML
    "#!/bin/sh\n# install\nset -e\n# run it\nmake test\n",  # a shell script
    "def f(x):\n    # add one\n    return x + 1  # `x` is an int\n\n- not a list\n- really\n**kwargs**\n",  # code
    "2024-01-01 INFO started\n2024-01-01 WARN slow [x](y)\n",  # a log, a bracket that is no link
    "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-See [x](https://a)\n+See [y](https://b)\n",
]


@pytest.mark.parametrize("text", MARKDOWN)
def test_markdown_is_recognised(text):
    assert looks_like_markdown(text)


@pytest.mark.parametrize("text", NOT_MARKDOWN)
def test_plain_text_is_not_taken_for_markdown(text):
    assert not looks_like_markdown(text)


def test_unified_diffs():
    assert is_unified_diff(NOT_MARKDOWN[-1])
    assert not is_unified_diff("--- a dash line\nplain\n")
    assert describe(NOT_MARKDOWN[-1]).startswith("a diff")


def test_a_big_csv_reads_whole_and_matches_pandas():
    rows = "\n".join(f"{i},{i * 0.5},name {i}" for i in range(20_000))
    text = "i,x,label\n" + rows + "\n"
    frame = tool_result(text, structured={"content": text}, arguments={"path": "big.csv"}).to_dataframe()
    import io

    pd.testing.assert_frame_equal(frame, pd.read_csv(io.StringIO(text)))
