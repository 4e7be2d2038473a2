"""Data from the MCP project's reference servers, as a data scientist meets it (issue 11, items 3, 4, 13, 14).

- memory: ``{"entities": [...], "relations": [...]}`` is two tables, never one zipped frame;
- filesystem: a CSV file's text (``{"content": "..."}``) is read as the CSV table; a picture from
  ``read_media_file`` is a picture; ``edit_file``'s fenced diff renders as a diff;
- everything: ``get-tiny-image`` (text, image, text) gives the picture as an image/png output;
- fetch: a page comes back as Markdown and renders as Markdown; its table is the DataFrame.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError

from mcp_notebook._runtime import Runtime
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import UsageProblem
from tests.peers import everything_js, fetch_server_bin, filesystem_bin, free_port, listening, memory_bin

pytestmark = pytest.mark.peers


def png(width: int, height: int) -> bytes:
    """A small red PNG, made here so the test owns its bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    runtime = Runtime(name="mcp-notebook-peers-data")
    h = Hub(runtime, timeout=60.0, progress=False)
    try:
        yield h
    finally:
        h.close_all()
        runtime.stop()


@pytest.fixture(scope="module")
def ip(hub: Hub) -> Any:
    from IPython.testing.globalipapp import get_ipython

    from mcp_notebook.magics import MCPMagics

    shell = get_ipython()
    shell.register_magics(MCPMagics(shell, hub=hub))
    return shell


def mcp(ip: Any, line: str) -> Any:
    return ip.run_line_magic("mcp", line)


def shown(obj: Any) -> list[dict[str, Any]]:
    """The outputs a cell gets when it shows ``obj`` (IPython's own display machinery)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        display(obj)
    return [dict(out.data) for out in captured.outputs]


@pytest.fixture(scope="module")
def mem(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Server:
    store = tmp_path_factory.mktemp("memory") / "memory.jsonl"
    server = hub.connect("mem", command=[str(memory_bin())], env={"MEMORY_FILE_PATH": str(store)})
    people = [
        {"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]},
        {"name": "Lin", "entityType": "person", "observations": []},
    ]
    server.call("create_entities", entities=people).raise_for_error()
    knows = [
        {"from": "Ada", "to": "Lin", "relationType": "knows"},
        {"from": "Lin", "to": "Ada", "relationType": "admires"},
    ]
    server.call("create_relations", relations=knows).raise_for_error()
    return server


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("files")
    (root / "people.csv").write_text("name,age,city\nAda,36,London\nLin,41,Taipei\nSam,29,Lagos\n")
    (root / "scores.txt").write_text("player\tscore\nAda\t12\nLin\t9\n")
    (root / "letter.txt").write_text("Dear Ada,\nthe numbers are in, and they look good.\nLin\n")
    (root / "query.json").write_text(
        json.dumps(
            {
                "columns": [{"name": "id", "type": "BIGINT"}, {"name": "day", "type": "DATE"}],
                "rows": [[1, "2024-05-01"], [2, None]],
            }
        )
    )
    (root / "red.png").write_bytes(png(4, 4))
    (root / "notes.txt").write_text("hello\nworld\n")
    return root


@pytest.fixture(scope="module")
def fs(hub: Hub, folder: Path) -> Server:
    # roots=[folder]: the filesystem server replaces its command-line folders with the client's roots.
    return hub.connect("fs", command=[str(filesystem_bin()), str(folder)], roots=[str(folder)])


# -- item 3: memory's two lists are two tables ------------------------------------------------------------


def test_memory_graph_is_two_titled_tables_never_one_zipped_frame(mem: Server):
    graph = mem.call("read_graph")
    assert len(graph.structured["entities"]) == len(graph.structured["relations"]) == 2  # the zipping case
    with pytest.raises(UsageProblem) as info:
        graph.to_dataframe()
    assert "holds 2 tables: entities (2 rows), relations (2 rows)" in str(info.value)
    entities = graph.to_dataframe("entities")
    assert entities["name"].tolist() == ["Ada", "Lin"] and "from" not in entities.columns
    relations = graph.frames()["relations"]
    assert relations[["from", "to", "relationType"]].values.tolist() == [
        ["Ada", "Lin", "knows"],
        ["Lin", "Ada", "admires"],
    ]
    html = graph._repr_mimebundle_()["text/html"]
    assert html.count("<table>") == 2 and "<b>entities</b>" in html and "<b>relations</b>" in html


def test_memory_through_the_magics_and_its_resource(mem: Server, ip: Any):
    found = mcp(ip, "call mem.search_nodes query=Ada --df relations")
    assert set(found["relationType"]) <= {"knows", "admires"} and len(found) >= 1
    entities = mcp(ip, "call mem.search_nodes --df entities query=Ada")
    assert "Ada" in entities["name"].tolist()
    with pytest.raises(UsageError, match=r"holds 2 tables: entities .*--df entities"):
        mcp(ip, "call mem.read_graph --df")
    # The same graph as a JSON resource: the same two tables.
    assert mcp(ip, "read mem memory://knowledge-graph --df relations")["to"].tolist() == ["Lin", "Ada"]


def test_a_fresh_memory_graph_gives_empty_tables_by_name(hub: Hub, ip: Any, tmp_path: Path):
    """A new user's first read of an empty graph: the list asked for is a table of no rows, not a refusal."""
    store = tmp_path / "memory.jsonl"
    hub.connect("fresh", command=[str(memory_bin())], env={"MEMORY_FILE_PATH": str(store)})
    try:
        entities = mcp(ip, "call fresh.read_graph --df entities")
        assert isinstance(entities, pd.DataFrame) and len(entities) == 0
        graph = hub.get("fresh").call("read_graph")
        assert graph.structured == {"entities": [], "relations": []}
        assert len(graph.to_dataframe("relations")) == 0
        assert graph.to_polars("entities").height == 0 and graph.to_arrow("relations").num_rows == 0
    finally:
        hub.disconnect("fresh")


# -- item 4: data that arrives as text -------------------------------------------------------------------


def test_a_csv_file_read_as_text_is_its_table(fs: Server, folder: Path, ip: Any):
    result = fs.call("read_text_file", path=str(folder / "people.csv"))
    assert result.structured == {"content": (folder / "people.csv").read_text()}  # text, as the server sends it
    frame = result.to_dataframe()
    assert frame.shape == (3, 3) and frame["age"].tolist() == [36, 41, 29]
    magic = mcp(ip, f"call fs.read_text_file path={folder / 'people.csv'} --df")
    assert magic.equals(frame)
    tsv = mcp(ip, f"call fs.read_text_file path={folder / 'scores.txt'} --df")  # no telling suffix: sniffed
    assert tsv.to_dict("list") == {"player": ["Ada", "Lin"], "score": [12, 9]}
    head = mcp(ip, f"call fs.read_text_file path={folder / 'people.csv'} head=2 --df csv")
    assert head["name"].tolist() == ["Ada"]


def test_typed_columns_from_a_json_file(fs: Server, folder: Path):
    frame = fs.call("read_text_file", path=str(folder / "query.json")).to_dataframe()
    assert str(frame["id"].dtype) == "Int64" and str(frame["day"].dtype).startswith("datetime64")


def test_text_that_holds_no_table_says_so_in_one_line(fs: Server, folder: Path, ip: Any):
    with pytest.raises(UsageError) as info:
        mcp(ip, f"call fs.read_text_file path={folder / 'letter.txt'} --df")
    message = str(info.value)
    assert "\n" not in message and "is plain text (3 lines), not a table; .text has it" in message
    assert "--df csv" in message


# -- item 13: pictures are pictures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ev(hub: Hub) -> Server:
    return hub.connect("ev", command=["node", str(everything_js()), "stdio"])


def test_tiny_image_goes_out_as_its_own_png_output(ev: Server):
    result = ev.call("get-tiny-image")
    assert [b.type for b in result.content] == ["text", "image", "text"]
    parts = shown(result)
    assert [sorted(p) for p in parts] == [
        ["text/html", "text/plain"],
        ["image/png", "text/plain"],
        ["text/html", "text/plain"],
    ]
    assert base64.b64decode(parts[1]["image/png"]) == result.images[0]
    assert "The image above is the MCP logo." in parts[2]["text/html"]


def test_read_media_file_is_a_picture_not_base64_in_a_table(fs: Server, folder: Path):
    result = fs.call("read_media_file", path=str(folder / "red.png"))
    (bundle,) = shown(result)
    assert base64.b64decode(bundle["image/png"]) == (folder / "red.png").read_bytes()
    assert "text/html" not in bundle and "<table>" not in str(bundle)
    with pytest.raises(UsageProblem, match=r"is media \(image/png\), not a table; .content has it"):
        result.to_dataframe()


# -- item 14: Markdown renders as Markdown ----------------------------------------------------------------


def test_edit_files_fenced_diff_renders_as_a_diff(fs: Server, folder: Path):
    result = fs.call(
        "edit_file", path=str(folder / "notes.txt"), edits=[{"oldText": "hello", "newText": "hi"}], dryRun=True
    )
    parts = shown(result)
    assert len(parts) == 1 and parts[0]["text/markdown"].startswith("```diff\n")
    assert "-hello\n+hi" in parts[0]["text/markdown"]


PAGE = """<html><head><title>Penguins</title></head><body><main><article>
<h1>Penguin measurements</h1>
<p>Data from <a href="https://allisonhorst.github.io/palmerpenguins/">palmerpenguins</a>, collected at Palmer Station.</p>
<h2>Species</h2>
<table><thead><tr><th>species</th><th>island</th><th>body_mass_g</th></tr></thead>
<tbody><tr><td>Adelie</td><td>Torgersen</td><td>3750</td></tr><tr><td>Gentoo</td><td>Biscoe</td><td>5000</td></tr>
<tr><td>Chinstrap</td><td>Dream</td><td>3800</td></tr></tbody></table>
<p>Some <strong>bold</strong> words and <img src="x" onerror="alert(1)"> a list:</p><ul><li>one</li><li>two</li></ul>
</article></main></body></html>"""


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    www = tmp_path_factory.mktemp("www")
    (www / "penguins.html").write_text(PAGE)
    (www / "people.csv").write_text("name,age,city\nAda,36,London\nLin,41,Taipei\n")
    port = free_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(www)]
    with listening(server, port, "http.server"):
        yield f"http://127.0.0.1:{port}/penguins.html"


def test_a_fetched_page_renders_as_markdown_and_its_table_is_the_frame(hub: Hub, page_url: str, ip: Any):
    fetch = hub.connect("fetch", command=[str(fetch_server_bin()), "--allow-private-ips"])
    result = fetch.call("fetch", url=page_url)
    parts = shown(result)
    assert len(parts) == 1 and "text/html" not in parts[0]
    markdown = parts[0]["text/markdown"]
    assert "[palmerpenguins](https://allisonhorst.github.io/palmerpenguins/)" in markdown
    assert "| species | island |" in markdown and "onerror" not in markdown.replace("onerror=", "")
    frame = mcp(ip, f"call fetch.fetch url={page_url} --df")
    assert list(frame.columns) == ["species", "island", "body_mass_g"]
    assert frame["body_mass_g"].tolist() == [3750, 5000, 3800]
    # A CSV file comes back raw, below two lines of preface: the table is the file's.
    people = mcp(ip, f"call fetch.fetch url={page_url.replace('penguins.html', 'people.csv')} --df")
    assert people.to_dict("list") == {"name": ["Ada", "Lin"], "age": [36, 41], "city": ["London", "Taipei"]}
