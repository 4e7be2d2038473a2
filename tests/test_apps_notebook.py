"""notebooks/apps.ipynb runs top to bottom in a real kernel (nbclient: no browser, so the Apps are
shown but never started) and saves what a viewer without widgets needs: the result and one line.

"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.peers import budget_allocator_bin, cohort_heatmap_bin

pytestmark = [pytest.mark.kernel, pytest.mark.peers]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"


def cell(nb: nbformat.NotebookNode, starts: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starts))


def text(c: nbformat.NotebookNode) -> str:
    parts = []
    for out in c.outputs:
        assert out.output_type != "error", f"{c.source[:40]!r}: {out.get('ename')}: {out.get('evalue')}"
        parts.append(out.get("text", ""))
        parts.extend(str(v) for k, v in out.get("data", {}).items() if k != WIDGET)
    return "\n".join(parts)


def shows_an_app(c: nbformat.NotebookNode) -> bool:
    return any(WIDGET in o.get("data", {}) for o in c.outputs)


def test_apps_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    heatmap, budget = cohort_heatmap_bin(), budget_allocator_bin()  # fail (not skip) when not installed
    monkeypatch.setenv("MCP_PEERS_DIR", str(heatmap.parent.parent.parent))
    nb = nbformat.read(NOTEBOOKS / "apps.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()

    found = text(cell(nb, "%load_ext"))
    assert f"cohort heatmap: {heatmap.resolve()}" in found and f"budget allocator: {budget.resolve()}" in found
    assert "explore" in text(cell(nb, "%mcp connect demo"))
    explorer = cell(nb, "explorer = %mcp call demo.explore")
    assert shows_an_app(explorer)
    saved = text(explorer)  # what GitHub and nbconvert show: the result, then the line
    assert "151 penguins (Adelie)" in saved and "demo.explore has an interactive view (an MCP App)" in saved
    assert "('waiting', None)" in text(cell(nb, "explorer.app.state"))  # no browser here: never started
    assert shows_an_app(cell(nb, "demo = mn.get"))
    heat = cell(nb, '%%needs_node\nmn.connect("heat"')
    assert shows_an_app(heat) and "Cohort Analysis: 12 cohorts, 12 periods" in text(heat)
    assert shows_an_app(cell(nb, '%%needs_node\nmn.connect("budget"'))
    history = text(cell(nb, "mn.history()"))
    for name in ("get-cohort-data", "get-budget-data", "ui://get-cohort-data/mcp-app.html", "explore"):
        assert name in history, name
    closed = text(cell(nb, "%mcp disconnect --all"))
    assert "'closed'" in closed  # closing the connection closed its App
