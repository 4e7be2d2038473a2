"""The notebooks in notebooks/ run top to bottom in a real kernel and show what they promise."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.kernel

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def outputs_of(nb: nbformat.NotebookNode, starts: str) -> str:
    """Everything the first code cell starting with ``starts`` showed, as one text."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(starts):
            parts = []
            for out in cell.outputs:
                parts.append(out.get("text", ""))
                parts.extend(str(v) for v in out.get("data", {}).values())
            return "\n".join(parts)
    raise AssertionError(f"no cell starts with {starts!r}")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: stale outputs"


def test_quickstart():
    nb = execute("quickstart.ipynb")
    assert "ready" in outputs_of(nb, "%mcp connect demo")
    assert "query" in outputs_of(nb, "%mcp tools demo")
    dream = outputs_of(nb, "%mcp call demo.query species=Adelie island=Dream")
    assert dream.count("Dream") >= 5 and "Torgersen" not in dream
    assert "female" in outputs_of(nb, "%%mcp call demo.query")
    assert "bill_length_mm" in outputs_of(nb, 'wanted = "Chinstrap"')
    assert "Gentoo" in outputs_of(nb, "summary.to_dataframe()")
    assert "data:image/svg+xml;base64," in outputs_of(nb, "%mcp call demo.plot")
    assert "<audio controls" in outputs_of(nb, "%mcp call demo.tone")
    assert "CC0" in outputs_of(nb, "%mcp read demo demo://about.md")
    assert "344" in outputs_of(nb, "penguins = %mcp read")
    density = [o for c in nb.cells if c.source.endswith("bill-density.png") for o in c.outputs]
    assert "image/png" in density[0]["data"]
    assert "assistant" in outputs_of(nb, "%mcp prompt demo.compare")
    assert "counted to 8" in outputs_of(nb, "%mcp call demo.slow_count")
    slow_cell = next(c for c in nb.cells if c.source.startswith("%mcp call demo.slow_count"))
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in slow_cell.outputs)
    assert "failed" in outputs_of(nb, "%mcp call demo.fail") and "no penguins on Mars" in outputs_of(
        nb, "%mcp call demo.fail"
    )
    assert "Torgersen" in outputs_of(nb, "import mcp_notebook as mn")
    assert "connected" in outputs_of(nb, "%mcp log demo")
    assert "disconnected 1 server" in outputs_of(nb, "%mcp disconnect --all")


def test_explorer_notebook():
    nb = execute("explorer.ipynb")
    explore_cell = next(c for c in nb.cells if c.source == "%mcp explore demo")
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in explore_cell.outputs)
    assert "Gentoo" in outputs_of(nb, "%mcp call demo.query species=Gentoo")
    frame = outputs_of(nb, "ex.tools.last_result.to_dataframe()")
    assert "Biscoe" in frame and "Dream" in frame and "Torgersen" in frame
