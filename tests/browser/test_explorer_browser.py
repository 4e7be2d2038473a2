"""The explorer (``%mcp explore``) in a real JupyterLab + Chromium: a run, and a hostile server."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from .lab import Lab

pytestmark = pytest.mark.browser

HOSTILE = Path(__file__).resolve().parent.parent / "servers" / "hostile.py"
TABS = ["Servers", "Tools", "Resources", "Prompts", "Log"]
TALL = {"width": 1280, "height": 1800}  # the whole explorer fits, so screenshots show it all


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def open_explorer(lab: Lab, notebook: str, setup: str, explore: str, *more: str) -> Any:
    """Write and open a notebook (setup, explore, more cells), run the first two; return the
    explorer's root."""
    expect = _expect()
    lab.write_notebook(notebook, [setup, explore, *more])
    lab.open(notebook, viewport=TALL)
    expect(lab.run_cell(0)).not_to_contain_text("Error")
    explorer = lab.run_cell(1).locator(".mcpnb-explorer")
    expect(explorer).to_have_count(1)
    expect(explorer).to_be_visible()
    return explorer


def tab_titles(explorer: Any) -> list[str]:
    return [t.strip() for t in explorer.locator(".lm-TabBar-tab .lm-TabBar-tabLabel").all_inner_texts()]


def pick_tool(explorer: Any, name: str) -> None:
    """Select the tool whose option text starts with ``name`` in the tool list."""
    expect = _expect()
    select = explorer.locator(".mcpnb-tool-list select")
    option = select.locator("option").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\b"))
    expect(option).to_have_count(1, timeout=30_000)  # the listing arrives in the background
    texts = [t.strip() for t in select.locator("option").all_text_contents()]
    index = next(i for i, t in enumerate(texts) if re.match(rf"{re.escape(name)}\b", t))
    select.select_option(index=index)
    expect(explorer.locator(".mcpnb-tool-details")).to_contain_text(name)


def fill_query(explorer: Any, species: str, limit: int) -> None:
    """Fill the demo's ``query`` form: ``species`` (a select, or a text box) and ``limit``."""
    expect = _expect()
    field = explorer.locator(".mcpnb-field-species")
    expect(field.locator("label")).to_have_text("species")  # optional: no " *"
    if field.locator("select").count():
        field.locator("select").select_option(label=species)
    else:
        field.locator("input").fill(species)
        field.locator("input").press("Tab")
    box = explorer.locator(".mcpnb-field-limit")
    expect(box.locator("label")).to_have_text("limit")
    box.locator("input").fill(str(limit))
    box.locator("input").press("Tab")  # number fields sync on blur/Enter


def test_explorer_runs_a_query(lab: Lab) -> None:
    expect = _expect()
    explorer = open_explorer(
        lab, "explore_demo.ipynb", "%load_ext mcp_notebook\n%mcp connect demo", "%mcp explore demo"
    )
    assert tab_titles(explorer) == TABS
    expect(explorer.locator(".lm-TabBar-tab.lm-mod-current")).to_have_text("Tools")
    expect(explorer.locator(".mcpnb-tool-search input")).to_be_visible()

    pick_tool(explorer, "query")
    details = explorer.locator(".mcpnb-tool-details")
    expect(details).to_contain_text("Query penguins")

    fill_query(explorer, "Gentoo", 3)

    run = explorer.locator("button.mcpnb-run")
    expect(run).to_have_text("Run")
    expect(explorer.locator("button.mcpnb-cancel")).to_have_text("Cancel")
    expect(explorer.locator(".mcpnb-progress")).to_have_count(1)
    for button in ("run", "cancel", "copy"):  # whole labels, not cut to "Can…" by the row
        fits = explorer.locator(f"button.mcpnb-{button}").evaluate("b => b.scrollWidth <= b.clientWidth")
        assert fits, f"the {button} button's label is cut off"
    run.click()

    rows = explorer.locator(".mcpnb-result-area .mcpnb-result table tbody tr")
    expect(rows).to_have_count(3, timeout=30_000)
    for text in rows.all_inner_texts():
        assert "Gentoo" in text, text
    expect(explorer.locator(".mcpnb-error:visible")).to_have_count(0)
    code = explorer.locator(".mcpnb-code textarea:visible")  # one code box per tab; the Tools one
    expect(code).to_have_value(re.compile(r"%mcp call demo\.query .*species=Gentoo"))
    expect(code).to_have_value(re.compile(r"limit=3\b"))
    lab.screenshot("explorer-query.png")
    assert not lab.dialogs


def test_required_numbers_start_empty_and_run_names_the_missing(lab: Lab) -> None:
    """server-everything's get-sum needs numbers a and b: the boxes start empty (not 0), Run names
    both and sends nothing, and a later invalid value leaves no old "✓ ok" beside its error."""
    from ..peers import everything_js

    expect = _expect()
    setup = f"%load_ext mcp_notebook\n%mcp connect ev -- node {everything_js()} stdio"
    explorer = open_explorer(lab, "explore_sum.ipynb", setup, "%mcp explore ev")
    pick_tool(explorer, "get-sum")
    a = explorer.locator(".mcpnb-field-a input")
    b = explorer.locator(".mcpnb-field-b input")
    expect(a).to_have_value("")
    expect(b).to_have_value("")
    run, status = explorer.locator("button.mcpnb-run"), explorer.locator(".mcpnb-status")
    run.click()
    problem = explorer.locator(".mcpnb-error:visible", has_text="nothing was sent")
    expect(problem).to_contain_text("missing required arguments a, b")
    result = explorer.locator(".mcpnb-result-area .mcpnb-result")
    expect(result).to_have_count(0)

    for box, value in ((a, "2"), (b, "40")):
        box.fill(value)
        box.press("Tab")
    run.click()
    expect(result).to_contain_text("The sum of 2 and 40 is 42.", timeout=30_000)
    expect(status).to_contain_text("✓ ok")
    expect(problem).to_have_count(0)

    a.fill("one")
    a.press("Tab")
    run.click()
    expect(explorer.locator(".mcpnb-error:visible", has_text="'one' is not a number")).to_have_count(1)
    expect(status).not_to_contain_text("ok")
    lab.screenshot("explorer-required.png")


PWNED = "typeof window.__pwned"
# Elements that could only come from server text rendered as HTML, inside the explorer.
INJECTED = """(root) => {
  const found = [];
  for (const el of root.querySelectorAll('img[src="x"], script, [onerror], [onload], iframe, object, embed'))
    found.push(el.outerHTML.slice(0, 120));
  for (const el of root.querySelectorAll('a[href]'))
    if (/^\\s*javascript:/i.test(el.getAttribute('href'))) found.push(el.outerHTML.slice(0, 120));
  // <b>bold?</b> rendered makes a b whose whole text is "bold?"; escaped, it stays text (the
  // explorer's own <b> around an escaped title reads "... <b>bold?</b> ...").
  for (const el of root.querySelectorAll('b, strong'))
    if (el.textContent.trim() === 'bold?') found.push(el.outerHTML.slice(0, 120));
  return found;
}"""


def assert_clean(lab: Lab, explorer: Any, where: str) -> None:
    lab.page.wait_for_timeout(300)  # let any onerror/onload handler fire
    assert lab.page.evaluate(PWNED) == "undefined", f"{where}: window.__pwned was set"
    assert explorer.evaluate(INJECTED) == [], f"{where}: server text rendered as HTML"
    assert not lab.dialogs, f"{where}: dialogs {lab.dialogs}"


def test_hostile_server_text_is_escaped(lab: Lab) -> None:
    expect = _expect()
    setup = f"%load_ext mcp_notebook\n%mcp connect evil -- {sys.executable} {HOSTILE}"
    explorer = open_explorer(lab, "explore_evil.ipynb", setup, "%mcp explore evil", CANARY)
    expect(explorer.locator(".lm-TabBar-tab.lm-mod-current")).to_have_text("Tools")

    pick_tool(explorer, "report")
    details = explorer.locator(".mcpnb-tool-details")
    expect(details).to_contain_text("<b>bold?</b>")
    expect(details).to_contain_text("<script>window.__pwned=1</script>")
    expect(explorer.locator(".mcpnb-field-note label")).to_have_text("note")
    expect(explorer.locator(".mcpnb-field-count")).to_have_count(1)
    expect(explorer.locator(".mcpnb-field-options-flavour")).to_have_count(1)
    assert_clean(lab, explorer, "tool details and form")

    explorer.locator("button.mcpnb-run").click()
    result = explorer.locator(".mcpnb-result-area .mcpnb-result")
    expect(result).to_contain_text("Report for hi", timeout=30_000)
    expect(result.locator("table tbody tr")).to_have_count(2)
    expect(result.get_by_text("<b>bold?</b>").first).to_be_visible()
    lab.screenshot("explorer-hostile-result.png")
    assert_clean(lab, explorer, "tool result")

    # The other tabs show the server's instructions, resources, prompts and log.
    for title in ("Servers", "Resources", "Prompts", "Log"):
        explorer.locator(".lm-TabBar-tab", has_text=title).click()
        expect(explorer.locator(".lm-TabBar-tab.lm-mod-current")).to_have_text(title)
        assert_clean(lab, explorer, f"{title} tab")
    explorer.locator(".lm-TabBar-tab", has_text="Servers").click()
    expect(explorer.get_by_text("<b>bold?</b>").first).to_be_visible()
    lab.screenshot("explorer-hostile-servers.png")
    assert_clean(lab, explorer, "end")

    # The checks above can fail: the same payloads, unescaped in a plain HTML widget, do run here.
    canary = lab.run_cell(2).locator(".mcpnb-canary")
    expect(canary).to_have_count(1)
    lab.page.wait_for_function("window.__pwned === 1", timeout=5_000)
    assert len(canary.evaluate(INJECTED)) == 2  # its <img src="x"> and its <b>bold?</b>


CANARY = """\
import ipywidgets as widgets
canary = widgets.HTML('<b>bold?</b> <img src=x onerror="window.__pwned=1">')
canary.add_class("mcpnb-canary")
canary
"""
