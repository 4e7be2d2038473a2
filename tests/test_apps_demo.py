"""The demo server's App (``explore``): the quickstart shows MCP Apps with nothing installed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mcp_notebook import apps
from mcp_notebook.api import Hub
from mcp_notebook.demo.server import build_server

from .test_apps_bridge import FakeFrontEnd


@pytest.fixture
def demo(hub: Hub) -> Any:
    return hub.connect("demo", server=build_server())


def test_explore_names_its_app_and_answers_with_the_points(demo: Any) -> None:
    listed = {t.name: t for t in demo.tools()}
    assert apps.marker(listed["explore"]) == "app" and apps.marker(listed["query"]) == ""
    result = demo.call("explore", species="Chinstrap", island="Dream")
    assert result.text == "68 penguins (Chinstrap on Dream): bill_depth_mm against bill_length_mm."
    assert result.structured["count"] == 68 == len(result.structured["points"])
    assert {(p["species"], p["island"]) for p in result.structured["points"]} == {("Chinstrap", "Dream")}


def test_the_explorer_page_is_an_app_that_speaks_the_protocol(demo: Any) -> None:
    uri = apps.ui_resource_uri(next(t for t in demo.tools() if t.name == "explore"))
    read = demo.read(uri)
    resource = apps.AppResource.from_contents(uri, read.raw.contents)
    assert resource.prefers_border is False and resource.csp == {}  # it loads and connects nowhere
    page = resource.html
    for method in ("ui/initialize", "ui/notifications/initialized", "ui/notifications/size-changed", "tools/call"):
        assert f'"{method}"' in page, method
    assert re.search(r'name: "query"', page)  # filtering asks the server again
    # self-contained: it loads nothing; its one web address is a link the host opens if the user agrees
    assert "<script src" not in page and "<link" not in page and "fetch(" not in page
    found = set(re.findall(r"https?://[^\"' )]+", page.split("<script>")[1]))
    assert found == {
        "https://doi.org/10.1371/journal.pone.0090081",
        "http://www.w3.org/2000/svg",
    }  # a link, an XML namespace


def test_the_apps_filter_is_a_query_call_of_the_demo(demo: Any, hub: Hub) -> None:
    view = apps.AppHost(hub).view(demo, "explore", {}, demo.call("explore"))
    fake = FakeFrontEnd(view.session)
    view.frame.send = lambda content, buffers=None: fake.deliver(content)
    fake.open()
    answer = fake.request(
        "tools/call",
        {"name": "query", "arguments": {"species": "Gentoo", "columns": ["bill_length_mm", "species"], "limit": 1000}},
    )
    rows = answer["result"]["structuredContent"]["result"]
    assert len(rows) == 124 and {r["species"] for r in rows} == {"Gentoo"}
    frame = hub.history()
    assert list(frame["name"])[-1] == "query" and list(frame["status"])[-1] == "ok"
