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


def test_data_analysis_notebook_live_and_from_its_recording(tmp_path):
    """Live (recording as it goes), then from the committed recording with no server: the same analysis."""

    def results_of(nb: nbformat.NotebookNode, starts: str) -> str:
        """What the cell printed and its value (not the progress bars, whose timings differ)."""
        cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starts))
        shown = [o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
        shown += [o.data.get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result"]
        return "\n".join(shown).strip()

    def run(mode: str, recording: Path) -> nbformat.NotebookNode:
        nb = nbformat.read(NOTEBOOKS / "data-analysis.ipynb", as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        params.source = f"MODE = {mode!r}\nRECORDING = {str(recording)!r}"
        client = NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        client.execute()
        return nb

    live = run("record", tmp_path / "analysis.jsonl")
    replayed = run("replay", NOTEBOOKS / "data" / "analysis.jsonl")
    assert "stdio" in outputs_of(live, "%load_ext") and "(replay)" in outputs_of(replayed, "%load_ext")
    accuracy = outputs_of(live, "joined = ")
    assert "accuracy: 97.1% of 342 penguins; 2 could not be guessed" in accuracy
    assert "Chinstrap" in accuracy and "Gentoo" in accuracy
    for cell in ("joined = ", "wrong = ", "pairs = ", "observed.pivot", 'penguins[["species", "island"]]'):
        assert results_of(replayed, cell) == results_of(live, cell) != "", cell
    measured = results_of(live, "pairs = ")
    assert measured.count("tool error") == 4 and "124" in measured
    assert "data:image/svg+xml;base64," in outputs_of(replayed, "%mcp call demo.plot")
    assert "<table" in outputs_of(live, "observed = ")  # the styled table with bars
    calls = outputs_of(live, "calls = mn.history()")
    assert "classify" in calls and "342" in calls

    # The live run recorded what the committed recording holds (timings aside; calls finish in any order).
    def entries(path: Path) -> list[str]:
        import json

        rows = [json.loads(line) for line in path.read_text().splitlines()[1:]]
        return sorted(json.dumps({k: v for k, v in r.items() if k != "seconds"}, sort_keys=True) for r in rows)

    assert entries(tmp_path / "analysis.jsonl") == entries(NOTEBOOKS / "data" / "analysis.jsonl"), (
        "the demo server changed: record notebooks/data/analysis.jsonl again (run the notebook with MODE = 'record')"
    )
