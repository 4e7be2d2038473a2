"""How a tool result goes out: pictures as outputs of their own, Markdown as Markdown.

A front end takes one MIME type per output, so a picture inside HTML is lost to GitHub's viewer
and nbconvert, and Markdown inside HTML is not rendered. Results built in memory, displayed
through IPython's own display machinery; the real servers and a real kernel are in
test_peers_data.py and test_kernel_outputs.py.
"""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as w
import mcp_types as types
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from mcp_notebook.results import ToolResult
from mcp_notebook.widgets._common import show_in

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
GIF = base64.b64encode(b"GIF89a" + bytes(range(32))).decode()
SVG = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def image(data: str = PNG, mime: str = "image/png") -> types.ImageContent:
    return types.ImageContent(type="image", data=data, mime_type=mime)


def result(*blocks: Any, structured: Any = None, arguments: dict[str, Any] | None = None) -> ToolResult:
    raw = types.CallToolResult(content=list(blocks), structured_content=structured)
    return ToolResult(raw, server="ev", tool="get-tiny-image", arguments=arguments)


def shown(obj: Any) -> list[dict[str, Any]]:
    """The outputs IPython's ``display`` produces for ``obj``, as a cell would get them."""
    InteractiveShell.instance()
    from IPython.display import display

    with capture_output() as captured:
        display(obj)
    return [dict(out.data) for out in captured.outputs]


def test_text_image_text_is_three_outputs_with_the_picture_as_png():
    outputs = shown(result(text("Here's the image:"), image(), text("The image above is the logo.")))
    assert len(outputs) == 3
    first, picture, last = outputs
    assert "ev.get-tiny-image" in first["text/html"] and "Here&#x27;s the image:" in first["text/html"]
    assert "<img" not in first["text/html"]
    assert picture["image/png"] == PNG and "text/html" not in picture and "image/png" in picture["text/plain"]
    assert "The image above is the logo." in last["text/html"] and "ev.get-tiny-image" not in last["text/html"]


def test_a_result_without_pictures_or_markdown_stays_one_output():
    plain = result(text("just text"))
    assert plain._ipython_display_ is None  # IPython falls back to _repr_mimebundle_: one execute_result
    assert [set(o) for o in shown(plain)] == [{"text/plain", "text/html"}]


def test_gif_goes_out_as_itself_and_svg_stays_inside_html():
    outputs = shown(result(text("a"), image(GIF, "image/gif")))
    assert outputs[1]["image/gif"] == GIF
    # SVG can carry script; as an <img> inside HTML it cannot run, as an output of its own it might.
    svg = shown(result(text("a"), image(SVG, "image/svg+xml")))
    assert len(svg) == 1 and f"data:image/svg+xml;base64,{SVG}" in svg[0]["text/html"]


def test_bad_image_data_is_never_its_own_output():
    outputs = shown(result(text("a"), image('"><script>alert(1)</script>')))
    assert (
        len(outputs) == 1
        and "not valid base64" in outputs[0]["text/html"]
        and "<script>" not in outputs[0]["text/html"]
    )


def test_the_single_bundle_keeps_everything_for_lists_and_widgets():
    both = result(text("caption"), image())
    bundle = both._repr_mimebundle_()
    assert f'<img src="data:image/png;base64,{PNG}"' in bundle["text/html"] and "caption" in bundle["text/html"]
    output = w.Output()
    show_in(output, both)
    assert [set(o["data"]) for o in output.outputs] == [{"text/plain", "text/html"}, {"text/plain", "image/png"}]


# -- Markdown ----------------------------------------------------------------------------------------------

PAGE = (
    "Contents of http://127.0.0.1/penguins.html:\n## Penguins\n\n"
    "From [palmerpenguins](https://allisonhorst.github.io/palmerpenguins/).\n\n"
    "| species | mass\\_g |\n| --- | --- |\n| Adelie | 3750 |\n"
)


def test_markdown_text_renders_as_markdown():
    outputs = shown(result(text(PAGE)))
    assert len(outputs) == 1 and outputs[0]["text/markdown"].startswith("Contents of http://127.0.0.1/penguins.html")
    assert "| species | mass\\_g |" in outputs[0]["text/markdown"] and outputs[0]["text/plain"] == PAGE


@pytest.mark.parametrize(
    "hostile",
    ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "<script>alert(1)</script>"],
)
def test_markdown_from_a_server_is_made_inert(hostile):
    markdown = shown(result(text(PAGE + "\n" + hostile + "\n")))[0]["text/markdown"]
    assert "<img" not in markdown and "<script" not in markdown and "javascript:" not in markdown


def test_markdown_beside_a_picture_is_its_own_output():
    outputs = shown(result(text(PAGE), image()))
    assert [sorted(o) for o in outputs] == [
        ["text/html", "text/plain"],  # the title
        ["text/markdown", "text/plain"],
        ["image/png", "text/plain"],
    ]


def test_a_fenced_diff_stays_a_diff_and_a_raw_diff_becomes_one():
    fenced = "```diff\nIndex: /d/a.txt\n===\n--- /d/a.txt\toriginal\n+++ /d/a.txt\tmodified\n@@ -1 +1 @@\n-hello\n+hi\n```\n\n"
    edit = shown(result(text(fenced), structured={"content": fenced}, arguments={"path": "/d/a.txt"}))
    assert (
        edit[0]["text/markdown"].startswith("```diff\nIndex: /d/a.txt") and edit[0]["text/markdown"].count("```") == 2
    )
    raw = (
        "diff --git a/x.md b/x.md\n--- a/x.md\n+++ b/x.md\n@@ -1 +1 @@\n-See [a](https://a)\n+See ``[b](https://b)``\n"
    )
    markdown = shown(result(text(raw)))[0]["text/markdown"]
    assert markdown.startswith("```diff\ndiff --git") and markdown.rstrip().endswith("```")
    assert "+See ``[b](https://b)``" in markdown  # the body as written: the fence is longer than any run in it


def test_a_path_argument_says_whether_a_file_is_markdown():
    notes = "# Notes\n\n- one\n- two\n\nThis is **bold** and `code`.\n"
    assert "text/markdown" in shown(result(text(notes), arguments={"path": "/d/notes.md"}))[0]
    assert "text/markdown" not in shown(result(text(notes), arguments={"path": "/d/notes.txt"}))[0]
    assert "text/markdown" in shown(result(text("just words"), arguments={"path": "/d/readme.md"}))[0]
    assert "text/markdown" in shown(result(text(notes)))[0]  # no path: judged by the text itself


def test_prose_and_csv_stay_as_typed():
    for body in ("All done.\nNothing to report, really.\n", "a,b\n1,2\n3,4\n"):
        outputs = shown(result(text(body)))
        assert len(outputs) == 1 and "text/markdown" not in outputs[0] and "text/html" in outputs[0]
