"""Roots and map as a data scientist meets them: a real kernel in a notebook folder, real servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kernel import kernel
from tests.peers import filesystem_bin, memory_bin

pytestmark = [pytest.mark.kernel, pytest.mark.peers]


def test_a_notebook_folder_is_not_granted_and_writes_are_kept(tmp_path: Path) -> None:
    notebook, data = tmp_path / "nb", tmp_path / "data"
    notebook.mkdir()
    data.mkdir()
    (notebook / "private.txt").write_text("not for the server\n")
    (data / "penguins.csv").write_text("species,mass\nAdelie,3700\n")
    with kernel(cwd=str(notebook)) as k:
        k.ok("%load_ext mcp_notebook")
        k.ok(f"%mcp connect fs -- {filesystem_bin()} {data}")
        assert str(data) in k.ok("%mcp call fs.list_allowed_directories").text()
        assert "Adelie,3700" in k.ok(f"%mcp call fs.read_text_file path={data / 'penguins.csv'}").text()
        refused = k.ok(f"%mcp call fs.read_text_file path={notebook / 'private.txt'}").text()
        assert "Access denied" in refused and "not for the server" not in refused

        k.ok(f"%mcp connect mem --env MEMORY_FILE_PATH={tmp_path / 'memory.jsonl'} -- {memory_bin()}")
        k.ok(
            "import pandas as pd\n"
            "people = pd.DataFrame({'entities': [[{'name': f'p{i}', 'entityType': 'person', 'observations': []}]"
            " for i in range(6)]})"
        )
        mapped = k.ok("out = %mcp map mem.create_entities --over people\nprint(list(out['status']))")
        assert "['ok', 'ok', 'ok', 'ok', 'ok', 'ok']" in mapped.text()
        assert mapped.text().count("one row at a time: mem.create_entities is not marked read-only") == 1
        graph = k.ok("g = %mcp call mem.read_graph\nprint(len(g.data['entities']))")
        assert graph.text().strip().splitlines()[-1] == "6"
