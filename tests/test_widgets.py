"""The explorer, driven the way a user drives it: set values, click, read what is shown."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any, Literal

import ipywidgets as w
import pytest
from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel, Field

from mcp_notebook.views.forms import UNSET
from mcp_notebook.widgets import Explorer, SchemaForm
from mcp_notebook.widgets._browse import expand_template
from mcp_notebook.widgets._codegen import magic_code, magic_value, python_code

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


# -- forms from schemas ------------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": f"who {HOSTILE}"},
        "species": {"type": "string", "enum": ["Adelie", "Gentoo"]},
        "colour": {"oneOf": [{"const": "r", "title": "Red"}, {"const": "g", "title": "Green"}]},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean", "default": True},
        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
        "values": {"type": "array", "items": {"type": "number"}},
        "where": {"$ref": "#/$defs/Where"},
        "anything": {"type": "object"},
    },
    "required": ["name", "where"],
    "$defs": {
        "Where": {
            "type": "object",
            "properties": {"island": {"type": "string"}, "year": {"type": "integer"}},
            "required": ["island"],
        }
    },
}


def kinds(form: SchemaForm) -> dict[tuple[str, ...], str]:
    return {f.path: type(f).__name__ for f in form._all()}


def test_a_form_for_every_kind_of_property():
    form = SchemaForm(SCHEMA)
    assert kinds(form) == {
        ("name",): "TextField",
        ("species",): "ChoiceField",
        ("colour",): "ChoiceField",
        ("limit",): "NumberField",
        ("ratio",): "NumberField",
        ("flag",): "BoolField",
        ("maybe",): "NumberField",
        ("tags",): "MultiChoiceField",
        ("values",): "ListField",
        ("where",): "ObjectField",
        ("where", "island"): "TextField",
        ("where", "year"): "NumberField",
        ("anything",): "JsonField",
    }
    assert form.field("name").control.description == "name *"  # required is marked
    assert form.field("limit").control.value == 10  # defaults are filled in
    assert isinstance(form.field("limit").control, w.BoundedIntText)
    assert form.field("limit").control.max == 50
    assert [label for label, _ in form.field("colour").control.options] == ["(not set)", "Red", "Green"]
    hint = form.field("name").widget.children[1].value
    assert "&lt;script&gt;" in hint and "<script" not in hint and "<img" not in hint


def test_values_leave_out_what_was_not_given():
    form = SchemaForm(SCHEMA)
    form.field("name").control.value = "Ada"
    form.field("where", "island").control.value = "Dream"
    assert form.values() == {"name": "Ada", "where": {"island": "Dream"}}
    form.field("limit").control.value = 3
    form.field("flag").control.value = False
    form.field("tags").control.value = ("a", "c")
    form.field("values").control.value = "1.5\n2\n"
    form.field("colour").control.value = "g"
    form.field("maybe").control.value = "7"
    form.field("anything").control.value = '{"k": [1, 2]}'
    assert form.values() == {
        "name": "Ada",
        "colour": "g",
        "limit": 3,
        "flag": False,
        "maybe": 7,
        "tags": ["a", "c"],
        "values": [1.5, 2],
        "where": {"island": "Dream"},
        "anything": {"k": [1, 2]},
    }


def test_unreadable_fields_say_why_under_themselves():
    form = SchemaForm(SCHEMA)
    form.field("ratio").control.value = "a lot"
    form.field("anything").control.value = "{oops"
    with pytest.raises(ValueError):
        form.values()
    assert "is not a number" in form.field("ratio").error.value
    assert "not JSON" in form.field("anything").error.value
    assert form.field("ratio").error.layout.display == ""
    assert form.field("name").error.layout.display == "none"


def test_json_mode_round_trip_and_errors_placed_by_path():
    form = SchemaForm(SCHEMA)
    form.field("name").control.value = "Ada"
    form.mode.value = "JSON"
    assert '"name": "Ada"' in form.json.value
    form.json.value = '{"name": "Bo", "limit": 4, "where": {"island": "Biscoe"}}'
    form.mode.value = "Form"
    assert form.field("name").control.value == "Bo" and form.field("limit").control.value == 4
    assert form.field("where", "island").control.value == "Biscoe"
    form.show_errors([(("where", "island"), "required"), (("nowhere",), "odd")])
    assert "required" in form.field("where", "island").error.value
    form.mode.value = "JSON"
    form.json.value = "[1, 2]"
    with pytest.raises(ValueError):
        form.values()
    assert "must be a JSON object" in form.json_error.value


def test_schemas_a_form_cannot_express_fall_back_to_json():
    form = SchemaForm({"anyOf": [{"type": "object"}, {"type": "array"}]})
    assert form.mode.value == "JSON" and form.mode.disabled
    form.json.value = '{"x": 1}'
    assert form.values() == {"x": 1}
    assert SchemaForm(None).values() == {}


# -- code that reproduces a call ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Adelie", "Adelie"),
        ("two words", "'two words'"),
        ("5", "'5'"),
        ("true", "'true'"),
        ("$HOME", "'$HOME'"),
        ("it's", '"it\'s"'),
        (5, "5"),
        (True, "true"),
        (None, "null"),
        (["a", "b c"], '["a","b c"]'),
    ],
)
def test_values_are_written_so_the_magic_reads_them_back(value, written):
    from mcp_notebook.magics._parse import tokenize
    from mcp_notebook.magics._values import parse_pairs

    assert magic_value(value) == written
    args, _raw = parse_pairs(tokenize(f"k={written}"), {}, "test")
    assert args == {"k": value}


def test_long_or_multiline_calls_become_a_cell():
    code = magic_code("call", "demo.echo", {"text": "line one\nline two"})
    assert code.startswith("%%mcp call demo.echo\n{")
    python = python_code("demo", "call", "echo", {"timeout": 3, "class": 1})
    assert "mn.get('demo').call('echo', {'timeout': 3, 'class': 1})" in python


def test_template_expansion():
    assert expand_template("demo://x/{species}.csv", {"species": "Gentoo Penguin"}) == "demo://x/Gentoo%20Penguin.csv"
    assert expand_template("file:///{+path}", {"path": "a/b c"}) == "file:///a/b%20c"


# -- the explorer on real servers --------------------------------------------------------------------


class Person(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    age: int = Field(ge=0)


def form_server() -> MCPServer:
    mcp = MCPServer("forms", instructions=f"Try the tools. {HOSTILE}")

    @mcp.tool(title=f"Register {HOSTILE}", description=f"Adds a person. {HOSTILE} <b>bold?</b>")
    def register(person: Person, note: str = "") -> str:
        return f"registered {person.email} {HOSTILE}"

    @mcp.tool()
    async def wait(seconds: Annotated[float, Field(ge=0)], ctx: Context) -> str:
        for i in range(int(seconds * 10)):
            await ctx.report_progress(i + 1, int(seconds * 10))
            import anyio

            await anyio.sleep(0.1)
        return "waited"

    @mcp.tool()
    def pick(kind: Literal["x", "y"] = "x") -> dict[str, Any]:
        return {"rows": [{"kind": kind, "n": 1}, {"kind": kind, "n": 2}]}

    return mcp


@pytest.fixture
def explorer(hub):
    hub.connect("demo")
    hub.connect("forms", server=form_server())
    ex = Explorer(hub, "demo")
    assert ex.wait_idle()
    return ex


def run_tool(ex: Explorer, name: str, **values: Any) -> None:
    ex.tools.list.value = name
    for key, value in values.items():
        ex.tools.form.field(*key.split("__")).control.value = value
    ex.tools.run.click()
    assert ex.tools.wait_idle(30)


def shown(output: w.Output, mime: str | None = None) -> str:
    return "\n".join(str(v) for o in output.outputs for k, v in o.get("data", {}).items() if mime is None or k == mime)


def test_pick_fill_run_and_copy(explorer, ip):
    ex = explorer
    assert ex.tabs.selected_index == 1 and ex.pick.value == "demo"
    assert "15 of 15 tools" in ex.tools.count.value
    run_tool(ex, "query", species="Gentoo", limit=3)
    html = shown(ex.tools.result)
    assert html.count("Gentoo") >= 3 and "mcpnb-result" in html
    assert "✓ ok" in ex.tools.status.value
    assert ex.tools.as_frame.layout.display == ""
    ex.tools.as_frame.click()
    assert "<table" in shown(ex.tools.result)
    magic = ex.tools.code.magic
    assert magic == "%mcp call demo.query species=Gentoo limit=3"
    # The copied code, run in a shell on the same hub, gives the same rows.
    again = ip.run_line_magic("mcp", magic.removeprefix("%mcp ") + " --df")
    assert again.equals(ex.tools.last_result.to_dataframe())
    namespace: dict[str, Any] = {}
    import mcp_notebook.api as api

    saved = api._default_hub
    api._default_hub = ex.hub
    try:
        exec(ex.tools.code.python.rsplit("\n", 1)[0], namespace)
    finally:
        api._default_hub = saved
    assert namespace["result"].to_dataframe().equals(again)


def test_no_insert_button_in_a_voila_dashboard(monkeypatch):
    from mcp_notebook.widgets._common import CodeBox

    assert CodeBox().insert.layout.display != "none"
    monkeypatch.setenv("VOILA_KERNEL_ID", "4f0c")  # what Voilà sets in the kernels it starts
    assert CodeBox().insert.layout.display == "none"


def test_search_filters_the_list(explorer):
    ex = explorer
    ex.tools.search.value = "penguins"
    names = [v for _, v in ex.tools.list.options]
    assert "query" in names and "echo" not in names
    ex.tools.search.value = "no such words here"
    assert ex.tools.list.options == () or list(ex.tools.list.options) == []


def test_validation_shows_next_to_the_field_and_sends_nothing(explorer):
    ex = explorer
    ex.choose("forms")
    assert ex.wait_idle()
    ex.tools.list.value = "register"
    form = ex.tools.form
    form.field("person", "email").control.value = "not an email"
    form.field("person", "age").control.value = "-3"  # required, no default: a text box
    ex.tools.run.click()
    assert "does not match" in form.field("person", "email").error.value
    assert "minimum" in form.field("person", "age").error.value
    assert "2 arguments to fix" in ex.tools.error.value
    assert ex.tools.handle is None  # nothing was sent
    form.field("person", "email").control.value = "ada@example.org"
    form.field("person", "age").control.value = "36"
    ex.tools.run.click()
    assert ex.tools.wait_idle()
    assert "registered ada@example.org" in shown(ex.tools.result)


def test_server_text_is_escaped_everywhere(explorer):
    ex = explorer
    ex.choose("forms")
    assert ex.wait_idle()
    ex.tools.list.value = "register"
    labels = [label for label, _ in ex.tools.list.options]
    assert any(label.startswith("register — Register <script>") for label in labels)  # option text is plain text
    for html in (ex.tools.details.value, ex.servers.instructions.value):
        assert "<script" not in html and "<img" not in html and "<b>bold?</b>" not in html
        assert "&lt;script&gt;" in html
    ex.tools.form.field("person", "email").control.value = "a@b"
    ex.tools.form.field("person", "age").control.value = "1"
    ex.tools.run.click()
    assert ex.tools.wait_idle()
    result_html = shown(ex.tools.result, "text/html")
    assert "registered a@b" in result_html and "<script" not in result_html and "&lt;script&gt;" in result_html


def test_progress_and_cancel(explorer):
    ex = explorer
    ex.choose("forms")
    assert ex.wait_idle()
    ex.tools.list.value = "wait"
    ex.tools.form.field("seconds").control.value = "30"
    ex.tools.run.click()
    deadline = time.monotonic() + 10
    while ex.tools.progress.value < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ex.tools.progress.value >= 2 and ex.tools.progress.max == 300
    assert ex.tools.run.disabled and not ex.tools.cancel.disabled
    ex.tools.cancel.click()
    assert ex.tools.wait_idle(5)
    assert "cancelled after" in ex.tools.status.value
    assert not ex.tools.run.disabled
    ex.logs.show()
    assert "forms.wait" in ex.logs.history.value and "cancelled" in ex.logs.history.value


def test_mistakes_in_callbacks_show_in_the_explorer(explorer):
    ex = explorer
    ex.tools.list.value = None
    ex.tools.run.click()
    assert "pick a tool first" in ex.tools.error.value
    ex.servers.name.value = "bad name!"
    ex.servers.target.value = "whatever"
    ex.servers.connect.click()
    assert ex.servers.wait_idle()
    assert "cannot name a server" in ex.servers.error.value


def test_resources_templates_prompts(explorer):
    ex = explorer
    ex.resources.list.value = "demo://datasets/penguins.csv"
    ex.resources.read.click()
    assert ex.resources.wait_idle()
    assert "344" in shown(ex.resources.preview) and ex.resources.as_frame.layout.display == ""
    assert ex.resources.code.magic == "%mcp read demo demo://datasets/penguins.csv"
    ex.resources.template_list.value = "demo://datasets/penguins/{species}.csv"
    ex.resources.variables.children[0].value = "Chinstrap"
    ex.resources.read_template.click()
    assert ex.resources.wait_idle()
    assert "Chinstrap" in shown(ex.resources.preview)
    ex.prompts.list.value = "compare"
    ex.prompts.fields.children[0].value = "Adelie"
    ex.prompts.fields.children[1].value = "Gentoo"
    ex.prompts.get.click()
    assert ex.prompts.wait_idle()
    assert "assistant" in shown(ex.prompts.preview)
    assert ex.prompts.code.magic == "%mcp prompt demo.compare species_a=Adelie species_b=Gentoo"


def test_connect_and_disconnect_from_the_servers_tab(explorer):
    ex = explorer
    ex.servers.name.value = "second"
    ex.servers.target.value = f"{sys.executable} -m mcp_notebook.demo"
    ex.servers.connect.click()
    assert ex.servers.wait_idle()
    assert ex.pick.value == "second" and "second" in ex.pick.options
    assert "second" in ex.servers.table.value
    assert ex.wait_idle() and "15 of 15 tools" in ex.tools.count.value
    ex.servers.disconnect.click()
    assert ex.servers.wait_idle()
    assert "second" not in ex.pick.options and ex.pick.value == "demo"


def test_a_thousand_tools(hub):
    big = MCPServer("big")
    for i in range(1000):
        big.add_tool(lambda x: x, name=f"tool_{i:04d}", description=f"tool number {i}")
    hub.connect("big", server=big)
    ex = Explorer(hub, "big")
    assert ex.wait_idle()
    assert "1000 of 1000 tools" in ex.tools.count.value
    ex.tools.search.value = "number 999"
    assert [v for _, v in ex.tools.list.options] == ["tool_0999"]
    ex.tools.list.value = "tool_0999"
    assert ex.tools.form.field("x") is not None


def test_magic_opens_it(ip):
    ip.run_line_magic("mcp", "connect demo")
    ex = ip.run_line_magic("mcp", "explore demo")
    assert isinstance(ex, Explorer) and "mcpnb-explorer" in ex._dom_classes
    assert ex.wait_idle()
    assert [ex.tabs.get_title(i) for i in range(5)] == ["Servers", "Tools", "Resources", "Prompts", "Log"]


def test_unset_marker_is_not_sent():
    form = SchemaForm({"type": "object", "properties": {"b": {"type": "boolean"}}})
    assert form.field("b").value() is UNSET and form.values() == {}


def test_server_questions_become_forms_in_the_explorer(explorer):
    ex = explorer
    ex.tools.list.value = "adopt"
    ex.tools.form.field("penguin").control.value = "Flipper"
    ex.tools.run.click()
    deadline = time.monotonic() + 10
    while not ex.tools.questions.children and time.monotonic() < deadline:
        time.sleep(0.02)
    box = ex.tools.questions.children[0]
    assert "mcpnb-ask" in box._dom_classes and "You are adopting Flipper" in box.children[0].value
    accept = box.children[2].children[0]
    accept.click()  # name is required and empty: the form says so and nothing is sent
    assert "fill in name; fix the fields" in box.children[3].value
    form_fields = box.children[1].children[1].children
    name_box = next(f for f in form_fields if "mcpnb-field-name" in f.children[0]._dom_classes)
    name_box.children[0].value = "Fran"
    accept.click()
    assert ex.tools.wait_idle(10)
    assert "Fran now keeps Flipper, a Gentoo." in shown(ex.tools.result, "text/plain")
    assert ex.tools.questions.children == ()
