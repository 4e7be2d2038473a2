"""results.py and listings.py: rich displays of results and listings, built from SDK objects directly."""

from __future__ import annotations

import base64
import json
import re

import mcp_types as types
import pytest

from mcp_notebook._log import LogEntry
from mcp_notebook.errors import ToolFailed, UsageProblem
from mcp_notebook.listings import LogView, PromptList, ResourceList, ServerList, TemplateList, ToolList
from mcp_notebook.render import Limits, esc
from mcp_notebook.results import PromptResult, ResourceResult, ToolResult

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="alert(1)']


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def tool_result(*blocks, structured=None, is_error=False, **kwargs) -> ToolResult:
    raw = types.CallToolResult(content=list(blocks), structured_content=structured, is_error=is_error)
    return ToolResult(raw, **kwargs)


def resource(uri: str, body: str, mime: str | None = None, **kwargs) -> ResourceResult:
    raw = types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=body)])
    return ResourceResult(raw, uri=uri, **kwargs)


def assert_escaped(html: str, hostile: str) -> None:
    assert hostile not in html, f"raw {hostile!r} in the HTML"
    assert esc(hostile) in html


def live_tags(html: str) -> list[str]:
    return re.findall(r"<(?:script|iframe|svg)\b|<[^>]*\son\w+\s*=", html)


# -- ToolResult ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_tool_text_and_names_are_escaped(hostile):
    result = tool_result(text(hostile), server=hostile, tool=hostile)
    html = result._repr_mimebundle_()["text/html"]
    assert html.count(esc(hostile)) >= 3  # name (server.tool) and text
    assert hostile not in html and not live_tags(html)
    assert hostile in result._repr_mimebundle_()["text/plain"]  # plain text is not HTML: as sent


@pytest.mark.parametrize("hostile", HOSTILE)
def test_tool_error_is_escaped_and_looks_like_a_failure(hostile):
    result = tool_result(text(hostile), is_error=True, server="demo", tool="fail")
    bundle = result._repr_mimebundle_()
    assert "demo.fail failed" in bundle["text/html"] and "demo.fail failed:" in bundle["text/plain"]
    assert_escaped(bundle["text/html"], hostile)
    ok = tool_result(text(hostile), server="demo", tool="fail")._repr_mimebundle_()
    assert "failed" not in ok["text/html"] and ok["text/html"] != bundle["text/html"]


def test_structured_content_strings_are_escaped():
    rows = [{"<b>name</b>": "<img src=x onerror=alert(1)>"}]
    html = tool_result(structured={"result": rows})._repr_mimebundle_()["text/html"]
    assert_escaped(html, "<img src=x onerror=alert(1)>")
    assert "<b>name</b>" not in html and not live_tags(html)
    html = tool_result(structured={"nested": {"x": "<script>alert(1)</script>"}})._repr_mimebundle_()["text/html"]
    assert "<script>" not in html and not live_tags(html)


def test_resource_link_in_a_tool_result_is_not_clickable():
    link = types.ResourceLink(type="resource_link", name="n", uri='javascript:alert(1)" x="')
    html = tool_result(link)._repr_mimebundle_()["text/html"]
    assert "href" not in html and 'x="' not in html


def test_include_and_exclude():
    result = tool_result(text("hi"))
    assert set(result._repr_mimebundle_()) == {"text/plain", "text/html"}
    assert set(result._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(result._repr_mimebundle_(exclude=["text/html"])) == {"text/plain"}
    assert result._repr_mimebundle_(include=["image/png"]) == {}


def test_lone_png_goes_out_as_itself():
    image = types.ImageContent(type="image", data=PNG[:20] + "\n" + PNG[20:], mime_type="image/png")
    result = tool_result(image)
    bundle = result._repr_mimebundle_()
    assert bundle["image/png"] == PNG and "text/html" not in bundle
    assert "image image/png" in bundle["text/plain"]
    assert result.images == [base64.b64decode(PNG)]


def test_lone_image_with_bad_data_falls_back_to_a_note():
    image = types.ImageContent(type="image", data='"><script>alert(1)</script>', mime_type="image/png")
    bundle = tool_result(image)._repr_mimebundle_()
    assert "image/png" not in bundle
    assert "not valid base64" in bundle["text/html"] and not live_tags(bundle["text/html"])


def test_image_beside_text_is_embedded_in_html():
    image = types.ImageContent(type="image", data=PNG, mime_type="image/png")
    html = tool_result(text("caption"), image)._repr_mimebundle_()["text/html"]
    assert f'<img src="data:image/png;base64,{PNG}"' in html and "caption" in html


def test_huge_text_is_bounded_in_display_but_whole_in_text():
    body = "<b>" + "x" * (50 * 1024 * 1024)
    result = tool_result(text(body))
    bundle = result._repr_mimebundle_()
    assert len(bundle["text/html"]) < 100_000 and len(bundle["text/plain"]) < 100_000
    assert "more characters not shown" in bundle["text/html"]
    assert "more characters not shown" in bundle["text/plain"]
    assert result.text == body


def test_huge_structured_result_is_bounded_in_display_but_whole_in_the_frame():
    rows = [{"i": i, "name": f"row {i}"} for i in range(100_000)]
    result = tool_result(text(json.dumps(rows[:3])), structured={"result": rows}, server="demo", tool="q")
    bundle = result._repr_mimebundle_()
    assert len(bundle["text/html"]) < 20_000 and len(bundle["text/plain"]) < 5_000
    assert "showing 25 of 100,000 rows" in bundle["text/html"]
    assert "99,990 more rows" in bundle["text/plain"]
    df = result.to_dataframe()
    assert len(df) == 100_000 and df["name"].iloc[-1] == "row 99999"


def test_huge_untabular_structured_result_is_bounded():
    structured = {"a": 1, "b": {"deep": [{"k": "x" * 100}, ["y"]] * 50_000}}  # a mixed list: shown as JSON
    bundle = tool_result(structured=structured)._repr_mimebundle_()
    assert len(bundle["text/html"]) < 30_000 and "the rest is not shown; .data has it all" in bundle["text/html"]
    assert len(bundle["text/plain"]) < 30_000 and bundle["text/plain"].endswith("…")


def test_json_text_duplicating_structured_content_is_shown_once():
    rows = [{"a": 1}]
    bundle = tool_result(text(json.dumps(rows)), structured={"result": rows})._repr_mimebundle_()
    assert bundle["text/html"].count("<table>") == 1 and "[{" not in bundle["text/html"]


def test_many_blocks_are_bounded():
    result = tool_result(*[text(f"block {i}") for i in range(500)])
    bundle = result._repr_mimebundle_()
    assert "block 49" in bundle["text/html"] and "block 50" not in bundle["text/html"]
    assert "450 more blocks" in bundle["text/html"] and "450 more blocks" in bundle["text/plain"]


def test_empty_result_says_so():
    assert "(no content)" in tool_result()._repr_mimebundle_()["text/html"]


@pytest.mark.parametrize(
    ("structured", "columns", "values"),
    [
        ({"result": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}, ["a", "b"], [1, 2]),
        ({"a": [1, 2], "b": ["x", "y"]}, ["a", "b"], [1, 2]),
        ({"by": "species", "groups": [{"a": 1}, {"a": 2}]}, ["a"], [1, 2]),
    ],
)
def test_to_dataframe_of_structured_content(structured, columns, values):
    df = tool_result(structured=structured).to_dataframe()
    assert list(df.columns) == columns and df["a"].tolist() == values


def test_to_dataframe_flattens_nested_records():
    structured = {"result": [{"id": 1, "bill": {"length": 39.1, "depth": 18.7}}]}
    df = tool_result(structured=structured).to_dataframe()
    assert df.loc[0, "bill.length"] == 39.1 and df.loc[0, "bill.depth"] == 18.7


def test_to_dataframe_of_json_text():
    result = tool_result(text('[{"a": 1}, {"a": 2}]'))
    assert result.data == [{"a": 1}, {"a": 2}]
    assert result.to_dataframe()["a"].tolist() == [1, 2]


def test_to_dataframe_of_nothing_found():
    df = tool_result(text("[]"), structured={"result": []}).to_dataframe()
    assert df.empty and list(df.columns) == []
    assert "no rows" in tool_result(structured={"result": []})._repr_mimebundle_()["text/html"]


def test_to_dataframe_refuses_plain_text_and_errors():
    with pytest.raises(
        UsageProblem, match=r"the result of demo.echo is plain text \(1 line\), not a table; .text has it"
    ):
        tool_result(text("hello"), server="demo", tool="echo").to_dataframe()
    with pytest.raises(UsageProblem, match="demo.fail failed, so there is no table: boom"):
        tool_result(text("boom"), is_error=True, server="demo", tool="fail").to_dataframe()


def test_raise_for_error():
    ok = tool_result(text("fine"))
    assert ok.raise_for_error() is ok
    failed = tool_result(text("boom"), is_error=True, server="demo", tool="fail")
    with pytest.raises(ToolFailed, match="demo.fail failed: boom") as info:
        failed.raise_for_error()
    assert info.value.result is failed


def test_data_prefers_structured_content():
    assert tool_result(text('{"a": 1}'), structured={"b": 2}).data == {"b": 2}
    assert tool_result(text("not json")).data is None
    assert tool_result(text("1"), text("2")).data == [1, 2]


# -- ResourceResult ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_resource_text_and_uri_are_escaped(hostile):
    result = resource(f"x://{hostile}", hostile, "text/plain", server=hostile)
    html = result._repr_mimebundle_()["text/html"]
    assert_escaped(html, hostile)
    assert not live_tags(html)


def test_markdown_resource_is_inert():
    body = (
        "# Notes\n\n<img src=x onerror=alert(1)>\n\n<script>alert(1)</script>\n\n"
        "[click](javascript:alert(1)) and `<b>code</b>`\n\n```html\n<b>kept as code</b>\n```\n"
    )
    bundle = resource("x://notes.md", body, "text/markdown")._repr_mimebundle_()
    markdown = bundle["text/markdown"]
    assert "text/html" not in bundle
    prose = markdown.split("```html")[0]
    assert "<img" not in prose and "<script" not in prose
    assert not re.search(r"(?i)javascript\s*:", markdown)
    assert "```html\n<b>kept as code</b>\n```" in markdown
    assert markdown.startswith("# Notes")


def test_huge_markdown_resource_is_bounded():
    body = "```\n" + "<b>\n" * 1_000_000
    result = resource("x://big.md", body, "text/markdown")
    markdown = result._repr_mimebundle_()["text/markdown"]
    assert len(markdown) < 30_000 and "more characters not shown" in markdown
    assert result.text == body


def test_csv_resource_shows_a_bounded_escaped_table():
    body = "name,note\n" + "".join(f"row{i},<b>{i}</b>\n" for i in range(10_000))
    result = resource("x://a.csv", body, "text/csv")
    html = result._repr_mimebundle_()["text/html"]
    assert "<table>" in html and "showing 25 of 10,000 rows" in html
    assert "<b>" not in html and "&lt;b&gt;0&lt;/b&gt;" in html
    assert len(result.to_dataframe()) == 10_000


def test_csv_resource_honours_the_display_limits():
    body = "n\n" + "".join(f"{i}\n" for i in range(500))
    result = resource("x://a.csv", body, "text/csv")
    result.display_limits = Limits(rows=100)
    html = result._repr_mimebundle_()["text/html"]
    assert html.count("<tr>") == 101 and "showing 100 of 500 rows" in html


@pytest.mark.parametrize(
    ("uri", "mime", "body"),
    [
        ("x://a", "text/csv", "a,b\n1,x\n2,y\n"),
        ("x://a.csv", None, "a,b\n1,x\n2,y\n"),
        ("x://a", "text/tab-separated-values", "a\tb\n1\tx\n2\ty\n"),
        ("x://a.tsv", "text/plain", "a\tb\n1\tx\n2\ty\n"),
        ("x://a", "application/json", '[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]'),
        ("x://a.json", None, '{"result": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}'),
        ("x://a", "application/x-ndjson", '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n'),
        ("x://a.jsonl", None, '{"a": 1, "b": "x"}\n\n{"a": 2, "b": "y"}'),
    ],
)
def test_resource_to_dataframe_by_type_and_by_name(uri, mime, body):
    df = resource(uri, body, mime).to_dataframe()
    assert df.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_resource_data():
    assert resource("x://a.json", '{"k": [1]}').data == {"k": [1]}
    assert resource("x://a.ndjson", '{"k": 1}\n{"k": 2}').data == [{"k": 1}, {"k": 2}]
    assert resource("x://a.ndjson", '{"k": 1}\nnot json').data is None
    assert resource("x://a.csv", "1,2").data is None
    assert resource("x://notes", "plain words").data is None


def test_binary_resource():
    blob = base64.b64encode(b"\x00\x01binary").decode()
    raw = types.ReadResourceResult(
        contents=[types.BlobResourceContents(uri="x://f.bin", mime_type="application/octet-stream", blob=blob)]
    )
    result = ResourceResult(raw, uri="x://f.bin")
    assert result.bytes == b"\x00\x01binary"
    with pytest.raises(UsageProblem, match="x://f.bin is binary .*; use .bytes"):
        result.to_dataframe()
    assert "8 bytes" in result._repr_mimebundle_()["text/plain"]


def test_png_resource_goes_out_as_itself():
    raw = types.ReadResourceResult(
        contents=[types.BlobResourceContents(uri="x://p.png", mime_type="image/png", blob=PNG)]
    )
    bundle = ResourceResult(raw, uri="x://p.png")._repr_mimebundle_()
    assert bundle["image/png"] == PNG and "text/html" not in bundle


def test_empty_resource():
    result = ResourceResult(types.ReadResourceResult(contents=[]), uri="x://none")
    assert "(empty)" in result._repr_mimebundle_()["text/html"] and result.mime_type is None


# -- PromptResult ---------------------------------------------------------------------------------------------


def prompt_result() -> PromptResult:
    raw = types.GetPromptResult(
        description="<b>Compare</b>",
        messages=[
            types.PromptMessage(role="user", content=text("Compare <script>alert(1)</script>")),
            types.PromptMessage(role="assistant", content=text("Sure.")),
            types.PromptMessage(role="user", content=types.ImageContent(type="image", data=PNG, mime_type="image/png")),
        ],
    )
    return PromptResult(raw, server="demo", prompt="compare")


def test_prompt_to_messages():
    messages = prompt_result().to_messages()
    assert messages[:2] == [
        {"role": "user", "content": "Compare <script>alert(1)</script>"},
        {"role": "assistant", "content": "Sure."},
    ]
    assert messages[2] == {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}}


def test_prompt_display_is_escaped():
    result = prompt_result()
    bundle = result._repr_mimebundle_()
    assert_escaped(bundle["text/html"], "<script>alert(1)</script>")
    assert_escaped(bundle["text/html"], "<b>Compare</b>")
    assert "user: Compare <script>" in bundle["text/plain"] and "assistant: Sure." in bundle["text/plain"]
    assert result.to_dataframe()["role"].tolist() == ["user", "assistant", "user"]


# -- listings ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_tool_list_escapes_everything(hostile):
    tool = types.Tool(
        name=hostile,
        title=hostile,
        description=hostile,
        input_schema={"type": "object", "properties": {hostile: {"type": "string", "default": hostile}}},
    )
    listing = ToolList([tool], server=hostile)
    html = listing._repr_mimebundle_()["text/html"]
    assert hostile not in html and not live_tags(html)
    assert html.count(esc(hostile)) >= 4  # server, name, title, description (and the argument)


def test_tool_list_rows_and_lookup():
    tools = [
        types.Tool(
            name="query",
            description="  Rows of penguins  ",
            input_schema={"type": "object", "properties": {"limit": {"type": "integer"}}, "required": ["limit"]},
            annotations=types.ToolAnnotations(title="Query", read_only_hint=True, idempotent_hint=True),
        ),
        types.Tool(name="plot", input_schema={"type": "object"}),
    ]
    listing = ToolList(tools, servers=["demo", "other"])
    df = listing.to_dataframe()
    assert list(df.columns) == ["server", "name", "title", "description", "arguments", "annotations"]
    assert df.loc[0].tolist() == [
        "demo",
        "query",
        "Query",
        "Rows of penguins",
        "limit*: integer",
        "read-only, idempotent",
    ]
    assert df.loc[1, "server"] == "other"
    assert listing["plot"] is tools[1] and listing[0] is tools[0] and len(listing) == 2
    with pytest.raises(KeyError, match="no tool 'qeury'; did you mean 'query'"):
        listing["qeury"]


def test_listing_is_bounded():
    tools = [types.Tool(name=f"t{i}", input_schema={"type": "object"}) for i in range(1000)]
    bundle = ToolList(tools, server="big")._repr_mimebundle_()
    assert "showing 200 of 1,000 rows" in bundle["text/html"] and "950 more rows" in bundle["text/plain"]
    assert bundle["text/plain"].startswith("1000 tools on big")


def test_resource_template_and_prompt_lists_escape():
    hostile = "<img src=x onerror=alert(1)>"
    listings = [
        ResourceList([types.Resource(name=hostile, uri=f"x://{hostile}", description=hostile, mime_type="text/csv")]),
        TemplateList([types.ResourceTemplate(name=hostile, uri_template=f"x://{{id}}/{hostile}", description=hostile)]),
        PromptList(
            [
                types.Prompt(
                    name=hostile,
                    description=hostile,
                    arguments=[types.PromptArgument(name="a", required=True), types.PromptArgument(name="b")],
                )
            ]
        ),
    ]
    for listing in listings:
        html = listing._repr_mimebundle_()["text/html"]
        assert hostile not in html and esc(hostile) in html and not live_tags(html)
    assert listings[2].rows()[0]["arguments"] == "a*, b"
    assert listings[0][f"x://{hostile}"].name == hostile


def test_server_list_and_log_view():
    empty = ServerList([])
    assert "try `%mcp connect demo`" in empty._repr_mimebundle_()["text/plain"]
    servers = ServerList([{"name": "<b>s</b>", "state": "ready", "target": "x"}])
    html = servers._repr_mimebundle_()["text/html"]
    assert "<b>s</b>" not in html and servers["<b>s</b>"]["state"] == "ready"

    entries = [LogEntry(0.0, "stderr", "info", f"<script>line {i}</script>") for i in range(300)]
    view = LogView(entries, server="demo", dropped=7)
    bundle = view._repr_mimebundle_()
    assert "<script>" not in bundle["text/html"] and not live_tags(bundle["text/html"])
    assert "the 7 oldest were dropped" in bundle["text/html"]
    assert "showing the last 200; .to_dataframe() has all 300" in bundle["text/plain"]
    assert len(view.to_dataframe()) == 300
