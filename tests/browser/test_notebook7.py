"""The explorer (``%mcp explore``) in Jupyter Notebook 7 + Chromium: it renders and runs a query.

Notebook 7 is built from JupyterLab's components but is a different application (its own pages,
no status bar, its own set of plugins), so the widget manager, the explorer's Lumino tab bar and
its CSS are checked there too, the way a user of ``jupyter notebook`` would see them.
"""

from __future__ import annotations

import re

import pytest

from .lab import Lab
from .test_explorer_browser import TABS, _expect, fill_query, open_explorer, pick_tool, tab_titles

pytestmark = pytest.mark.browser

# Notebook 7.6 itself throws this while loading (JupyterLab's keyboard-shortcuts settings hook, in
# notebook_core.js), on a notebook without mcp_notebook too; JupyterLab 4.6 does not. Any other
# uncaught page error fails the test.
STARTUP_ERROR = "pageerror: Cannot read properties of undefined (reading 'schema')"


def test_explorer_runs_a_query_in_notebook7(notebook7: Lab) -> None:
    expect = _expect()
    explorer = open_explorer(
        notebook7, "explore_nb7.ipynb", "%load_ext mcp_notebook\n%mcp connect demo", "%mcp explore demo"
    )
    page_url = notebook7.page.url
    assert "/notebooks/explore_nb7.ipynb" in page_url and "/lab/" not in page_url, page_url

    # The tab bar renders with every tab, Tools in front.
    assert tab_titles(explorer) == TABS
    for title in TABS:
        expect(explorer.locator(".lm-TabBar-tab", has_text=title)).to_be_visible()
    expect(explorer.locator(".lm-TabBar-tab.lm-mod-current")).to_have_text("Tools")
    expect(explorer.locator(".mcpnb-tool-search input")).to_be_visible()

    pick_tool(explorer, "query")
    expect(explorer.locator(".mcpnb-tool-details")).to_contain_text("Query penguins")

    fill_query(explorer, "Adelie", 2)

    run = explorer.locator("button.mcpnb-run")
    expect(run).to_be_visible()
    expect(run).to_have_text("Run")
    run.click()

    rows = explorer.locator(".mcpnb-result-area .mcpnb-result table tbody tr")
    expect(rows).to_have_count(2, timeout=30_000)
    for row in rows.all():
        expect(row).to_be_visible()
        expect(row).to_contain_text("Adelie")
    expect(explorer.locator(".mcpnb-error:visible")).to_have_count(0)
    code = explorer.locator(".mcpnb-code textarea:visible")
    expect(code).to_have_value(re.compile(r"%mcp call demo\.query .*species=Adelie"))
    expect(code).to_have_value(re.compile(r"limit=2\b"))
    notebook7.screenshot("notebook7-explorer-query.png")
    assert not notebook7.dialogs, notebook7.dialogs
    errors = [line for line in notebook7.console if line.startswith("pageerror") and line != STARTUP_ERROR]
    assert not errors, errors
