"""What a notebook's cells get, executed in a real kernel (nbclient), and what nbconvert keeps.

The data scientist's path for issue 11: memory's graph read as a notebook shows it (two titled
tables, ``--df entities``, a one-line refusal to zip), and everything's ``get-tiny-image`` saved
in the notebook as an ``image/png`` output that nbconvert exports as a picture.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.peers import everything_js, memory_bin

pytestmark = [pytest.mark.kernel, pytest.mark.peers]

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(cells: list[str], cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def test_memory_graph_in_a_notebook(tmp_path: Path):
    store = tmp_path / "memory.jsonl"
    nb = run_notebook(
        [
            "%load_ext mcp_notebook",
            f"%mcp connect mem --env MEMORY_FILE_PATH={store} -- {memory_bin()}",
            "import mcp_notebook as mn\n"
            "mem = mn.get('mem')\n"
            "mem.call('create_entities', entities=[{'name': 'Ada', 'entityType': 'person', 'observations': ['math']},"
            " {'name': 'Lin', 'entityType': 'person', 'observations': []}]).raise_for_error()\n"
            "mem.call('create_relations', relations=[{'from': 'Ada', 'to': 'Lin', 'relationType': 'knows'},"
            " {'from': 'Lin', 'to': 'Ada', 'relationType': 'admires'}]).raise_for_error();",
            "%mcp call mem.read_graph",
            "people = %mcp call mem.read_graph --df entities\nprint(people.shape, list(people.columns))",
            "%mcp call mem.read_graph --df",
        ],
        tmp_path,
    )
    cells = nb.cells
    graph = cells[3].outputs
    assert len(graph) == 1 and graph[0].output_type == "execute_result"
    html = graph[0].data["text/html"]
    assert html.count("<table>") == 2 and "<b>entities</b>" in html and "<b>relations</b>" in html
    assert "(2, 3) ['name', 'entityType', 'observations']" in cells[4].outputs[0].text
    (refusal,) = cells[5].outputs  # IPython shows a UsageError as one line on stderr, no traceback
    assert refusal.output_type == "stream" and refusal.name == "stderr"
    assert refusal.text.startswith("UsageError: the result of mem.read_graph holds 2 tables: entities (2 rows)")
    assert refusal.text.count("\n") == 1


def test_a_picture_saved_in_a_notebook_survives_export(tmp_path: Path):
    nb = run_notebook(
        ["%load_ext mcp_notebook", f"%mcp connect ev -- node {everything_js()} stdio", "%mcp call ev.get-tiny-image"],
        tmp_path,
    )
    image = nb.cells[2].outputs
    assert [o.output_type for o in image] == ["display_data"] * 3
    assert [sorted(o.data) for o in image] == [
        ["text/html", "text/plain"],
        ["image/png", "text/plain"],
        ["text/html", "text/plain"],
    ]
    assert base64.b64decode(image[1].data["image/png"]).startswith(b"\x89PNG")

    # Saved and exported as a reader without JavaScript would get it: the picture survives.
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    from nbconvert import MarkdownExporter

    body, resources = MarkdownExporter().from_notebook_node(nbformat.read(path, as_version=4))
    pictures = [name for name in resources["outputs"] if name.endswith(".png")]
    assert len(pictures) == 1 and f"![png]({pictures[0]})" in body
    assert resources["outputs"][pictures[0]].startswith(b"\x89PNG")
