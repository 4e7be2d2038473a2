"""'Insert as next cell' in a real JupyterLab: where the copied code lands."""

from __future__ import annotations

import pytest

from .lab import Lab
from .test_explorer_browser import _expect, open_explorer, pick_tool

pytestmark = pytest.mark.browser


def test_copy_as_code_then_insert(lab: Lab) -> None:
    expect = _expect()
    explorer = open_explorer(
        lab, "insert.ipynb", "%load_ext mcp_notebook\n%mcp connect demo", "%mcp explore demo", "1 + 1"
    )
    pick_tool(explorer, "echo")
    text = explorer.locator(".mcpnb-field-text input")
    text.fill("inserted")
    text.press("Tab")
    explorer.locator(".mcpnb-copy").click()
    code = explorer.locator(".mcpnb-code:visible textarea, textarea.mcpnb-code:visible").first
    expect(code).to_have_value(
        "%mcp call demo.echo text=inserted\n\n# or, in Python:\n"
        "import mcp_notebook as mn\n\nresult = mn.get('demo').call('echo', text='inserted')\n"
        "result"
    )
    explorer.locator(".mcpnb-insert:visible").first.click()
    expect(explorer).to_contain_text("it appears below the next cell you run")
    lab.run_cell(2)  # Jupyter adds the cell when the kernel next replies to an execution
    cells = lab.page.locator(".jp-Notebook .jp-Cell .cm-content")
    expect(cells.nth(3)).to_have_text("%mcp call demo.echo text=inserted")
    lab.screenshot("insert-cell.png")
