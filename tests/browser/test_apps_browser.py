"""MCP Apps live in the cell, in a real JupyterLab 4 and Voilà in Chromium.

``%mcp call`` on the MCP project's App servers (npm ``server-cohort-heatmap`` and
``server-budget-allocator`` 2.0.3, over stdio) renders the App: its drawing is there (screenshots
in tests/browser/artifacts/), a click inside it makes a tool call the server answers and that
shows in ``%mcp history``, the output grows to the App's size, clearing the output tears the App
down and so does closing its connection. A hostile App (tests/servers/hostile_app.py) tries to
escape, in the double-iframe sandbox and in the srcdoc one: nothing it tries succeeds, checked
from the page and from the kernel.

The demo server is started from this checkout (PYTHONPATH).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.peers import budget_allocator_bin, cohort_heatmap_bin

from .lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Lab, free_port
from .test_voila import voila

pytestmark = [pytest.mark.browser, pytest.mark.peers]

ROOT = Path(__file__).resolve().parent.parent.parent
SERVERS = ROOT / "tests" / "servers"
TALL = {"width": 1280, "height": 1800}
SETUP = f"""\
import json, os, sys, time
sys.path.insert(0, {str(ROOT)!r})
%load_ext mcp_notebook
import mcp_notebook as mn
from mcp_notebook import apps
from mcp_notebook.api import default_hub
seen = []
mn.on("app", lambda **d: seen.append(f"{{d['server']}}.{{d['tool']}}:{{d['kind']}}"))
# this checkout's demo server (a stdio server gets no PYTHONPATH unless it is given)
here = {{"PYTHONPATH": os.environ["PYTHONPATH"]}} if os.environ.get("PYTHONPATH") else {{}}
mn.connect("demo", command=[sys.executable, "-m", "mcp_notebook.demo"], env=here)
"""
START_HEIGHT = 160  # px, the frame's height before the App reports its size (host.js)


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def app_in(scope: Any) -> Any:
    """The App's document in ``scope`` (a cell's output, or the ``.mcpnb-app`` element itself),
    through the proxy frame when there is one."""
    root = scope if "mcpnb-app" in (scope.get_attribute("class") or "").split() else scope.locator(".mcpnb-app").first
    _expect()(root).to_have_attribute("data-sandbox", re.compile("proxy|srcdoc"), timeout=30_000)
    frame = root.frame_locator(".mcpnb-app-frame iframe")
    return frame.frame_locator("iframe") if root.get_attribute("data-sandbox") == "proxy" else frame


def frame_height(output: Any) -> float:
    return float(output.locator(".mcpnb-app-frame iframe").first.evaluate("f => f.getBoundingClientRect().height"))


def painted_pixels(canvas: Any, wait: float = 15.0) -> int:
    """How many pixels of ``canvas`` are drawn, once there are any (charts animate in)."""
    count = "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
    deadline = time.monotonic() + wait
    while True:
        n = int(canvas.evaluate(count))
        if n or time.monotonic() > deadline:
            return n
        time.sleep(0.2)


def wait_in_kernel(condition: str) -> str:
    """A cell that waits (bounded) until ``condition`` holds in the kernel; the App's requests are
    answered from threads, so they complete while a cell runs."""
    return f"for _ in range(400):\n    if {condition}: break\n    time.sleep(0.05)\nprint('held:', {condition})"


def test_cohort_heatmap_and_budget_allocator_live_in_jupyterlab(lab: Lab) -> None:
    expect = _expect()
    cells = [
        SETUP,
        f"%mcp connect heat -- {cohort_heatmap_bin()} --stdio",
        "heat = %mcp call heat.get-cohort-data\nheat",
        wait_in_kernel("'revenue' in str(list(mn.history()['arguments']))"),
        "%mcp history",
        f"%mcp connect budget -- {budget_allocator_bin()} --stdio",
        "budget = %mcp call budget.get-budget-data\nbudget",
        "print(heat.app.state, '|', heat.app.session.closed_because, '|', heat.app.session.size, '|', seen)",
        "%mcp disconnect budget",
    ]
    lab.write_notebook("apps.ipynb", cells)
    lab.open("apps.ipynb", viewport=TALL)
    for i in range(3):
        expect(lab.run_cell(i)).not_to_contain_text("Error")

    # The heatmap is drawn in the cell: twelve cohorts of cells with retention figures.
    out = lab.outputs(2)
    heatmap = app_in(out)
    expect(heatmap.get_by_text("Cohort Retention Analysis")).to_be_visible(timeout=30_000)
    expect(heatmap.get_by_text("Jan 2026")).to_be_visible()
    figures = [t for t in heatmap.locator("main").inner_text().split() if re.fullmatch(r"\d{1,3}", t)]
    assert len(figures) >= 60, figures  # 78 cells for 12 cohorts; the period headers are M0..M11
    expect(out.locator(".mcpnb-app")).to_have_attribute("data-state", "open")
    # The output grew from the frame's starting height to the App's own.
    lab.page.wait_for_function(
        "([el, h]) => el.getBoundingClientRect().height > h",
        arg=[out.locator(".mcpnb-app-frame iframe").first.element_handle(), START_HEIGHT + 150],
    )
    assert frame_height(out) > START_HEIGHT + 150
    lab.screenshot("apps-cohort-heatmap.png")

    # A click inside the App: another metric makes the App call its server again.
    heatmap.locator("select").first.select_option(label="Revenue Retention")
    expect(lab.run_cell(3)).to_contain_text("held: True")
    history = lab.run_cell(4).inner_text()
    assert re.search(r"heat\s+tool\s+get-cohort-data\s+\{'metric': 'revenue'", history), history

    # The budget allocator: a chart drawn on a canvas, sliders that move its figures.
    expect(lab.run_cell(5)).not_to_contain_text("Error")
    out_b = lab.run_cell(6)
    out_b.scroll_into_view_if_needed()  # JupyterLab does not lay out cells out of view: nor their Apps
    budget = app_in(out_b)
    expect(budget.get_by_text("Budget Allocator")).to_be_visible(timeout=30_000)
    canvas = budget.locator("canvas").first
    expect(canvas).to_be_visible()
    assert painted_pixels(canvas) > 1000
    status = budget.locator("#status-bar")
    before = status.inner_text()
    slider = budget.locator("input[type=range]").first
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    expect(status).not_to_have_text(before)
    lab.screenshot("apps-budget-allocator.png")

    # Clearing the heatmap's output tears it down: the frame goes, the kernel is told.
    lab.cell(2).locator(".jp-InputArea").first.click()
    lab.page.get_by_role("menuitem", name="Edit").click()
    lab.page.locator(".lm-Menu-item", has_text="Clear Cell Output").first.click()
    expect(out.locator("iframe")).to_have_count(0)
    said = lab.run_cell(7).inner_text()
    assert said.startswith("closed | its output was cleared |"), said
    assert "heat.get-cohort-data:opened" in said and "heat.get-cohort-data:closed" in said
    assert re.search(r"\| \(\d+\.?\d*, (\d{3,})\.?\d* ?\) \|", said), said  # the size the App reported

    # Closing a connection tears its Apps down: ui/resource-teardown, answered, then the frame goes.
    lab.run_cell(8)
    closed = out_b.locator(".mcpnb-app")
    expect(closed).to_have_attribute("data-state", "closed")
    # (the budget App does not handle teardown: it answers "Method not found", an answer all the same)
    expect(closed).to_have_attribute("data-teardown", re.compile(r"^answered"))
    expect(out_b.locator(".mcpnb-app-closed")).to_have_text("App closed: the connection to budget closed")
    expect(out_b.locator("iframe")).to_have_count(0)


def test_the_demo_app_theme_consent_and_a_busy_kernel(lab: Lab) -> None:
    """The demo's App: it follows JupyterLab's theme; a download and a link wait for the user's
    yes in the host's bar; a click while a cell runs is answered when the cell ends (no deadlock)."""
    expect = _expect()
    cells = [
        SETUP,
        "explorer = %mcp call demo.explore species=Adelie\nexplorer",
        "time.sleep(4)",
        "print(json.dumps(explorer.app.context['structuredContent']), [p.name for p in explorer.app.saved])",
        # a proxy the browser cannot reach (a remote kernel, a port nobody serves): srcdoc instead
        f"dream = %mcp call demo.explore island=Dream\ndream.app.frame.proxy_port = {free_port()}\ndream",
    ]
    lab.write_notebook("demo-app.ipynb", cells)
    page = lab.open("demo-app.ipynb", viewport=TALL)
    for i in range(2):
        expect(lab.run_cell(i)).not_to_contain_text("Error")
    out = lab.outputs(1)
    app = app_in(out)
    status = app.locator("#status")
    expect(status).to_have_text("151 penguins · Adelie · all islands", timeout=30_000)
    expect(app.locator("html")).to_have_attribute("data-theme", "light")

    # A click while a cell runs: the App's request waits for the kernel, then is answered.
    lab.cell(2).locator(".cm-content").first.click()
    page.keyboard.press("Control+Enter")
    expect(lab.cell(2).locator(".jp-InputPrompt")).to_have_text("[*]:")
    app.locator("button[data-species=Gentoo]").click()
    expect(status).to_have_text("asking the server…")
    page.wait_for_timeout(1000)
    expect(status).to_have_text("asking the server…")  # the kernel is busy: nothing answered yet
    expect(status).to_have_text("123 penguins · Gentoo · all islands", timeout=30_000)
    assert re.fullmatch(r"\[\d+\]:", lab.prompt(2)), lab.prompt(2)  # answered once the cell had ended

    # A download: asked in the host's bar (outside the App's frame), saved only after "Save".
    saved = lab.notebooks / "penguins-selection.csv"
    app.locator("#download").click()
    ask = out.locator(".mcpnb-app-ask")
    expect(ask).to_contain_text("The App asks to save penguins-selection.csv")
    assert not saved.exists()
    ask.get_by_role("button", name="Save").click()
    expect(status).to_have_text("saved penguins-selection.csv in the notebook's folder")
    lines = saved.read_text().splitlines()
    assert lines[0] == "species,island,bill_length_mm,bill_depth_mm" and len(lines) == 124
    assert {line.split(",")[0] for line in lines[1:]} == {"Gentoo"}

    # A link: the App cannot open windows; the host opens it when the user says so.
    app.locator("#source").click()
    expect(ask).to_contain_text("The App asks to open https://doi.org/10.1371/journal.pone.0090081")
    # (the tab gets a stand-in page: this test reaches nothing outside the machine)
    page.context.route("https://doi.org/**", lambda route: route.fulfill(status=200, body="the paper"))
    with page.context.expect_page() as opened:
        ask.get_by_role("button", name="Open").click()
    opened.value.wait_for_load_state()
    assert opened.value.url == "https://doi.org/10.1371/journal.pone.0090081"
    assert opened.value.evaluate("() => window.opener") is None  # noopener: the tab cannot reach the notebook
    opened.value.close()

    # What the user picked, in the next cell.
    app.locator("#keep").click()
    expect(status).to_contain_text("sent to the notebook")
    printed = lab.run_cell(3).inner_text()
    assert '"species": "Gentoo"' in printed and '"count": 123' in printed, printed
    assert printed.rstrip().endswith("['penguins-selection.csv']"), printed

    # An unreachable sandbox proxy: after a few seconds the App runs in the srcdoc sandbox instead.
    fallback = lab.run_cell(4)
    expect(fallback.locator(".mcpnb-app")).to_have_attribute("data-sandbox", "srcdoc", timeout=30_000)
    expect(app_in(fallback).locator("#status")).to_have_text(re.compile(r"^\d+ penguins · all species · Dream$"))

    # The theme: JupyterLab Dark reaches the App (host-context-changed with JupyterLab's colours).
    page.get_by_role("menuitem", name="Settings").click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.locator(".lm-Menu-item", has_text="JupyterLab Dark").first.click()
    expect(app.locator("html")).to_have_attribute("data-theme", "dark", timeout=30_000)
    background = app.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert max(channels) < 80, background  # dark, from JupyterLab's --jp-layout-color0
    out.scroll_into_view_if_needed()
    lab.screenshot("apps-demo-dark.png")


def test_a_hostile_app_reaches_nothing_in_either_sandbox(lab: Lab, tmp_path: Path) -> None:
    expect = _expect()
    marker = tmp_path / "secret-ran"
    cells = [
        SETUP,
        f"%mcp connect hostile -- {sys.executable} {SERVERS / 'hostile_app.py'} {marker}",
        "proxied = %mcp call hostile.show\nproxied",
        "default_hub().apps.sandbox = 'srcdoc'\ndirect = %mcp call hostile.show\ndirect",
        "print(json.dumps({'proxied': [proxied.app.sandbox, proxied.app.context], 'direct': [direct.app.sandbox, direct.app.context]}))",
        "%mcp history",
    ]
    lab.write_notebook("hostile.ipynb", cells)
    page = lab.open("hostile.ipynb", viewport=TALL)
    for i in range(4):
        expect(lab.run_cell(i)).not_to_contain_text("Error")
    for i in (2, 3):
        expect(app_in(lab.outputs(i)).locator("#title")).to_have_text("Hostile App: done", timeout=30_000)
    printed = lab.run_cell(4).inner_text()
    said = json.loads(printed[printed.index("{") :])
    assert said["proxied"][0] == "proxy" and said["direct"][0] == "srcdoc"
    for mode, (_, context) in said.items():
        results = context["structuredContent"]["results"]
        attempts = {k: v for k, v in results.items() if k not in ("ancestors", "allowed: report")}
        assert len(attempts) == 17, attempts
        leaks = {k: v for k, v in attempts.items() if not v.startswith("blocked")}
        assert leaks == {}, f"{mode}: {leaks}"
        assert results["allowed: report"] == "ok: reported still talking"  # the App itself works
        assert "may not be called from an App" in results["forbidden: secret"]
        assert "only the tools of its own server" in results["other server: demo.query"]

    # From the page: no global, no node, no navigation, no new window, no file on the server.
    assert page.evaluate("() => [window.__pwned, document.body.dataset.pwned, !!document.getElementById('pwned')]") == [
        None,
        None,
        False,
    ]
    assert page.url.split("?")[0].endswith("/lab/tree/hostile.ipynb") and len(page.context.pages) == 1
    assert "pwned.txt" not in [item["name"] for item in lab.api("/api/contents")["content"]]
    assert not marker.exists()  # secret never ran on the server
    history = lab.run_cell(5).inner_text()
    assert "secret" not in history and "query" not in history
    lab.screenshot("apps-hostile.png")


def test_apps_in_a_voila_dashboard(tmp_path: Path) -> None:
    """Voilà runs the notebook and keeps its kernel: the Apps render and talk to their servers."""
    import nbformat
    from playwright.sync_api import sync_playwright

    expect = _expect()
    notebook = tmp_path / "apps-dashboard.ipynb"
    calls = "from ipywidgets import HTML\ncalls = HTML()\nmn.on('tool_called', lambda **d: setattr(calls, 'value', calls.value + f\"<div class='called'>{d['server']}.{d['tool']} {json.dumps(d['arguments'])}</div>\"))\ncalls"
    cells = [
        SETUP + calls,
        "%mcp call demo.explore",
        f"%mcp connect heat -- {cohort_heatmap_bin()} --stdio\n%mcp call heat.get-cohort-data",
        f"%mcp connect budget -- {budget_allocator_bin()} --stdio\n%mcp call budget.get-budget-data",
    ]
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(notebook))
    console: list[str] = []
    with voila(notebook, tmp_path) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=TALL)
            page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.set_default_timeout(60_000)
            page.goto(server.url)
            views = page.locator(".mcpnb-app")
            expect(views).to_have_count(3, timeout=120_000)
            server.remember()
            explorer, heat, budget = (app_in(views.nth(i)) for i in range(3))
            expect(explorer.locator("#status")).to_contain_text("342 penguins", timeout=30_000)
            expect(heat.get_by_text("Cohort Retention Analysis")).to_be_visible(timeout=30_000)
            expect(budget.get_by_text("Budget Allocator")).to_be_visible(timeout=30_000)
            # A click in the demo's App: it asks the demo server (query) and draws what came back.
            explorer.locator("button[data-species=Gentoo]").click()
            expect(explorer.locator("#status")).to_have_text("123 penguins · Gentoo · all islands")
            expect(page.locator(".called").filter(has_text='demo.query {"columns"')).to_have_count(1)
            # And one in the heatmap: its server answers the new metric.
            heat.locator("select").first.select_option(label="Active Users")
            expect(page.locator(".called").filter(has_text='"metric": "active"')).to_have_count(1)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "apps-voila.png"), full_page=True)
            assert not [line for line in console if line.startswith("pageerror")], console
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "apps-voila-failure.log").write_text(
                "\n".join(console) + "\n" + server.log.read_text(errors="replace")
            )
            try:
                page.screenshot(path=str(ARTIFACTS / "apps-voila-failure.png"), full_page=True)
            except Exception:
                pass
            raise
        finally:
            server.remember()
            browser.close()
