"""Tools that need MCP tasks (``execution.taskSupport: "required"``): marked in ``%mcp tools``, and
a call runs them as tasks (issue 14; tests/test_tasks_*.py have the rest).
Against server-everything's ``simulate-research-query``."""

from __future__ import annotations

import pytest

from tests.peers import everything_js

pytestmark = pytest.mark.peers

NEEDS = "needs MCP tasks"


@pytest.fixture
def ev(hub):
    return hub.connect("ev", command=["node", str(everything_js()), "stdio"])


def test_marked_in_the_tool_list(ip, ev):
    listing = ip.run_line_magic("mcp", "tools ev")
    text = listing._repr_mimebundle_()["text/plain"]
    html = listing._repr_mimebundle_()["text/html"]
    assert f"simulate-research-query {NEEDS}" in text.splitlines()[0], text.splitlines()[0]
    assert f"simulate-research-query {NEEDS}" in html
    frame = listing.to_dataframe().set_index("name")
    assert NEEDS in frame.loc["simulate-research-query", "annotations"]
    assert NEEDS not in frame.loc["echo", "annotations"]
    every = ip.run_line_magic("mcp", "tools")  # every server's tools: marked there too
    assert NEEDS in every._repr_mimebundle_()["text/plain"].splitlines()[0]


def test_a_call_runs_it_as_a_task(ip, ev):
    # Issue 14: once refused before sending ("this client does not run task-augmented calls yet").
    result = ip.run_line_magic("mcp", "call ev.simulate-research-query topic=penguins")
    assert result.task_id and result.text.startswith("# Research Report: penguins")
    assert ev.submit("simulate-research-query", topic="penguins").result().task_id
    assert ev.call("echo", message="still here").text == "Echo: still here"
