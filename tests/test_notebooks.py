"""The notebooks in notebooks/ run top to bottom in a real kernel and show what they promise."""

from __future__ import annotations

import json
import re
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
    assert "151 penguins (Adelie)" in outputs_of(nb, "explorer = %mcp call demo.explore")  # the result under its App
    assert "CC0" in outputs_of(nb, "%mcp read demo demo://about.md")
    assert "344" in outputs_of(nb, "penguins = %mcp read")
    density = [o for c in nb.cells if c.source.endswith("bill-density.png") for o in c.outputs]
    assert "image/png" in density[0]["data"]
    assert "assistant" in outputs_of(nb, "%mcp prompt demo.compare")
    assert "counted to 8" in outputs_of(nb, "%mcp call demo.slow_count")
    slow_cell = next(c for c in nb.cells if c.source.startswith("%mcp call demo.slow_count"))
    # the progress bar, saved as where it ended (a saved notebook holds no widget state)
    assert any(o.get("data", {}).get("text/plain", "").startswith("demo.slow_count: 100%") for o in slow_cell.outputs)
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


def shown(nb: nbformat.NotebookNode, snippet: str) -> str:
    """Everything the first code cell whose source contains ``snippet`` showed, as one text."""
    for cell in nb.cells:
        if cell.cell_type == "code" and snippet in cell.source:
            parts = []
            for out in cell.outputs:
                assert out.output_type != "error", f"{snippet!r}: {out.get('ename')}: {out.get('evalue')}"
                parts.append(out.get("text", ""))
                parts.extend(str(v) for v in out.get("data", {}).values())
            return "\n".join(parts)
    raise AssertionError(f"no code cell contains {snippet!r}")


def has_widget(nb: nbformat.NotebookNode, snippet: str) -> bool:
    cell = next(c for c in nb.cells if c.cell_type == "code" and snippet in c.source)
    return any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs)


SKIPPED = "skipped: this cell needs Node.js and server-everything"


@pytest.mark.peers
def test_real_servers_notebook(monkeypatch):
    """Both registries' servers, both protocol eras, a config file, and the servers that ask."""
    from tests.peers import everything_js

    js = everything_js()  # skips without node; fails when node is there but the package is not
    monkeypatch.setenv("MCP_EVERYTHING_JS", str(js))
    nb = execute("real-servers.ipynb")
    assert f"server-everything: {js.resolve()}" in shown(nb, "def find_everything")
    written = shown(nb, "config_file.write_text")
    assert '"mcpServers"' in written and '"time"' in written and '"everything"' in written
    listed = shown(nb, "%mcp config $MCP_CONFIG")
    assert "time" in listed and "everything" in listed and "stdio" in listed
    connected = shown(nb, "%mcp connect --config $MCP_CONFIG time")
    assert "1 server" in connected and re.search(r"time\s+ready\s+stdio\s+2026-07-28", connected)
    tools = shown(nb, "%mcp tools time")
    assert "get_current_time" in tools and "convert_time" in tools
    tokyo = shown(nb, "%mcp call time.get_current_time timezone=Asia/Tokyo")
    assert "Asia/Tokyo" in tokyo and "+09:00" in tokyo
    assert re.search(r"America/New_York.*T1[01]:30:00-0[45]:00", shown(nb, "meeting = "), re.S)
    assert "ready · stdio · 2025-11-25 · mcp-servers/everything" in shown(nb, "mn.connect_config(")
    eras = shown(nb, "%mcp servers")
    assert "2026-07-28" in eras and "2025-11-25" in eras and "mcp-time" in eras
    progress = shown(nb, "trigger-long-running-operation")
    assert "Long running operation completed. Duration: 2 seconds, Steps: 4." in progress
    assert "everything.trigger-long-running-operation: 100%" in progress  # the bar, saved as it ended
    elicited = shown(nb, 'everything.call("trigger-elicitation-request")')
    assert "required: ['name']" in elicited and "Name: Ada Lovelace" in elicited and '"action": "accept"' in elicited
    sampled = shown(nb, "trigger-sampling-request")
    assert "(a canned reply; no LLM here) You asked:" in sampled and "Name a penguin species" in sampled
    assert has_widget(nb, "everything.watch(")
    assert re.search(r"[1-9]\d* update\(s\); the resource now says: 'Resource 1: ", shown(nb, "watch.changed.wait"))
    assert "Stopped simulated resource updates" in shown(nb, "watch.stop()")
    history = shown(nb, "mn.history()")
    assert "trigger-sampling-request" in history and "get_current_time" in history and "failed" not in history
    assert "disconnected 2 servers" in shown(nb, "%mcp disconnect --all")
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%needs_everything"):
            assert cell.outputs and SKIPPED not in json.dumps(cell.outputs), cell.source


def test_real_servers_notebook_without_node_skips_those_cells(monkeypatch, tmp_path):
    """No server-everything: a note, the node cells say they were skipped, the time server still runs."""
    monkeypatch.setenv("MCP_EVERYTHING_JS", str(tmp_path / "not-installed" / "index.js"))
    nb = execute("real-servers.ipynb")
    setup = shown(nb, "def find_everything")
    assert "server-everything is not installed" in setup and "will be skipped" in setup
    needing = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%%needs_everything")]
    assert len(needing) >= 6
    for cell in needing:
        assert [o.get("text") for o in cell.outputs] == [SKIPPED + "\n"], cell.source
    assert '"everything"' not in shown(nb, "config_file.write_text")
    assert "Asia/Tokyo" in shown(nb, "%mcp call time.get_current_time timezone=Asia/Tokyo")
    eras = shown(nb, "%mcp servers")
    assert "2026-07-28" in eras and "2025-11-25" not in eras
    assert "disconnected 1 server" in shown(nb, "%mcp disconnect --all")


def test_python_api_notebook():
    nb = execute("python-api.ipynb")
    assert "demo: ready · stdio · 2026-07-28" in shown(nb, 'demo = mn.connect("demo")')
    tools = shown(nb, "tools = demo.tools()")
    assert "query" in tools and "slow_count" in tools
    assert "Adelie" in shown(nb, 'demo.tool_schema("query")')
    dream = shown(nb, 'result = demo.call("query"')
    assert dream.count("Dream") >= 5 and "Torgersen" not in dream
    heaviest = shown(nb, "heaviest = demo.call(")
    assert "Gentoo" in heaviest and "5200" in heaviest and "Adelie" not in heaviest
    summary = shown(nb, 'summary = demo.call("summarize"')
    assert "dict · False ·" in summary and "Chinstrap" in summary
    assert "data:image/svg+xml;base64," in shown(nb, 'demo.call("plot"')
    assert "Torgersen" in shown(nb, "penguins = demo.read(")
    assert "# The Palmer penguins · 124 Gentoo rows" in shown(nb, "demo.read_many(")
    assert "'role': 'assistant'" in shown(nb, 'demo.prompt("compare"')
    failures = shown(nb, 'failed = demo.call("fail"')
    assert "ToolFailed: demo.fail failed: Error executing tool fail: no penguins on Mars" in failures
    assert "UsageProblem: no tool 'qeury' on 'demo'; did you mean 'query'?" in failures
    assert "Biscoe" in shown(nb, "by_island = await demo.acall(")
    assert "{'Adelie': 152, 'Chinstrap': 68, 'Gentoo': 124}" in shown(nb, "await asyncio.gather(")
    assert has_widget(nb, 'handle = demo.submit("slow_count"')
    waited = shown(nb, "done = handle.result(")
    assert "meanwhile the kernel is free:" in waited
    assert re.search(r"counted to 8 · done · [1-8] progress reports", waited)
    assert "'cancelled'" in shown(nb, "too_long.cancel()")
    assert "[('echo', 'ok'), ('fail', 'tool error')]" in shown(nb, 'off = mn.on("tool_called"')
    private = shown(nb, "hub = mn.Hub(")
    assert "from a private hub" in private and "['connected demo', 'demo.echo: ok']" in private
    assert "1 call in the private hub's history" in private
    assert "slow_count" in shown(nb, "calls = mn.history()")
    assert "tool error" in shown(nb, 'calls.groupby(["kind", "status"])')
    assert "connected: protocol 2026-07-28" in shown(nb, "demo.log()")
    assert "'closed'" in shown(nb, "demo.close()")


@pytest.mark.timeout(300)
def test_dask_notebook():
    """A tool mapped over a Dask frame on a LocalCluster of two worker processes: lazy with the
    result's columns, computed on the workers, equal to the pandas map, reduced where the data is."""
    nb = execute("dask.ipynb")
    assert "2 workers; dashboard: http://127.0.0.1:" in shown(nb, "cluster = LocalCluster(")
    dtypes = shown(nb, "%mcp map demo.classify --over frame")
    assert re.search(r"species\s+string\s+distance\s+float64", dtypes), dtypes
    counts = shown(nb, "result = guesses.compute()")
    assert re.search(r"ok\s+6840", counts) and re.search(r"tool error\s+40", counts), counts
    assert "the cluster's rows equal the pandas map: True" in shown(nb, 'here = demo.map("classify"')
    accuracy = shown(nb, "joined = frame[")
    assert re.search(r"Gentoo\s+1\.0", accuracy) and "Chinstrap" in accuracy, accuracy
    pl = shown(nb, "import polars as pl")
    assert "<class 'polars.dataframe.frame.DataFrame'> (28, 6)" in pl and "Gentoo" in pl, pl
    schema = shown(nb, "summary.to_arrow().schema")
    assert "count: int64" in schema and "mean: double" in schema, schema
    assert "disconnected 1 server" in shown(nb, "client.close()")
