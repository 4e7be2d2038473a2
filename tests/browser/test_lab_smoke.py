"""The harness itself: JupyterLab in Chromium, this venv's kernel, an ipywidgets round trip."""

from __future__ import annotations

import sys

import pytest

from .lab import Lab

pytestmark = pytest.mark.browser

WIDGET = """\
import ipywidgets as widgets

clicks = {"n": 0}
label = widgets.Label("clicks: 0")
button = widgets.Button(description="Click me")

def on_click(_):
    clicks["n"] += 1
    label.value = f"clicks: {clicks['n']}"

button.on_click(on_click)
widgets.VBox([button, label])
"""


def test_widget_button_updates_label(lab: Lab) -> None:
    from playwright.sync_api import expect

    lab.write_notebook("smoke.ipynb", ["import sys; print(sys.executable)", WIDGET])
    page = lab.open("smoke.ipynb")
    assert lab.api("/api/kernelspecs")["default"] == "python3"

    # The kernel is this venv's interpreter (JupyterLab's python3 kernelspec resolves to it).
    expect(lab.run_cell(0)).to_contain_text(sys.executable)

    out = lab.run_cell(1)
    button = out.locator("button.jupyter-button", has_text="Click me")
    label = out.locator(".widget-label")
    expect(label).to_have_text("clicks: 0")
    lab.screenshot("smoke-before.png")
    button.click()
    expect(label).to_have_text("clicks: 1")
    button.click()
    expect(label).to_have_text("clicks: 2")
    lab.screenshot("smoke-after.png")
    assert not lab.dialogs
    assert page.url.startswith("http://127.0.0.1:")
