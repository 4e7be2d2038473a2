"""Progress bars in a notebook saved by nbclient (as jupyter execute, papermill, nbconvert save it).

The live bar is a widget; a saved notebook keeps the text beside it, which used to be the bar's
first state (``0%``, ``0/3.0``). It must be where the bar ended, in whole numbers.
"""

from __future__ import annotations

import re

import pytest

from tests.peers import everything_js

pytestmark = [pytest.mark.kernel, pytest.mark.peers]


def test_a_saved_notebook_holds_each_bars_final_state_in_whole_numbers():
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "%load_ext mcp_notebook",
        f"%mcp connect ev -- node {everything_js()} stdio",
        "%mcp call ev.trigger-long-running-operation duration=1.5 steps=3",
        "rows = [{'a': i, 'b': 1} for i in range(3)]\n%mcp map ev.get-sum --over rows",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    saved = nbformat.reads(nbformat.writes(nb), as_version=4)  # what lands on disk

    def bars(cell: int) -> list[str]:
        texts = [o.get("data", {}).get("text/plain", "") for o in saved.cells[cell].outputs]
        return [t for t in texts if "|" in t and "%" in t]

    call_bars, map_bars = bars(2), bars(3)
    assert len(call_bars) == 1 and len(map_bars) == 1, (call_bars, map_bars)
    assert re.match(r"ev\.trigger-long-running-operation: 100%\|.*\| 3/3 \[", call_bars[0]), call_bars
    assert re.match(r"ev\.get-sum: 100%\|.*\| 3/3 \[", map_bars[0]), map_bars
    for cell in saved.cells:
        for output in cell.outputs:
            text = str(output.get("data", {}).get("text/plain", ""))
            assert not re.search(r"\d\.0\b", text.split("\n")[0] if "|" in text else ""), text
            # no widget left whose state the saved file does not hold
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
