"""The demo server over real HTTP on 127.0.0.1: Streamable HTTP and legacy HTTP+SSE."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from IPython.core.error import UsageError

import mcp_notebook.errors as errors
from tests.peers import free_port, listening


@contextmanager
def demo_over_http(flag: str, port: int | None = None) -> Iterator[int]:
    """``python -m mcp_notebook.demo --http/--sse PORT``, stopped by its pid afterwards."""
    port = port or free_port()
    with listening([sys.executable, "-m", "mcp_notebook.demo", flag, str(port)], port, "the demo server") as port:
        yield port


def test_streamable_http(hub):
    with demo_over_http("--http") as port:
        web = hub.connect("web", url=f"http://127.0.0.1:{port}/mcp")
        row = hub.servers()["web"]
        assert (row["transport"], row["state"], row["server"]) == ("http", "ready", "mcp-notebook-demo")
        assert len(web.call("query", species="Adelie", limit=3).to_dataframe()) == 3
        assert web.read("demo://datasets/penguins.json").to_dataframe().shape == (344, 8)
        assert web.call("slow_count", n=3, delay=0.05).text == "counted to 3"
        hub.progress_extends_timeout = False  # slow_count reports progress, which would restart the clock
        with pytest.raises(errors.CallTimeout):
            web.call("slow_count", n=100, delay=0.1, timeout=0.5)
        assert web.call("echo", text="after the timeout").text == "after the timeout"


def test_legacy_sse(hub):
    with demo_over_http("--sse") as port:
        old = hub.connect("old", url=f"http://127.0.0.1:{port}/sse", sse=True)
        assert hub.servers()["old"]["transport"] == "sse"
        assert old.call("echo", text="over sse").text == "over sse"
        assert "Gentoo" in old.prompt("compare", species_a="Adelie", species_b="Gentoo").text


def test_magic_with_a_header_from_the_environment(ip, monkeypatch):
    monkeypatch.setenv("MCP_NOTEBOOK_TEST_TOKEN", "tok-0123456789abcdef")
    with demo_over_http("--http") as port:
        url = f"http://127.0.0.1:{port}/mcp"
        ip.run_line_magic("mcp", f'connect web {url} --header "Authorization: Bearer $MCP_NOTEBOOK_TEST_TOKEN"')
        frame = ip.run_line_magic("mcp", "call web.query island=Biscoe limit=2 --df")
        assert list(frame["island"]) == ["Biscoe", "Biscoe"]
        shown = str(ip.run_line_magic("mcp", "servers")._repr_mimebundle_())
        assert "tok-0123456789abcdef" not in shown and "Authorization: ***" in shown


def test_server_going_away_then_coming_back(hub):
    port = free_port()
    with demo_over_http("--http", port):
        web = hub.connect("web", url=f"http://127.0.0.1:{port}/mcp")
        assert web.call("echo", text="1").text == "1"
    with pytest.raises(errors.TransportFailed, match="web"):
        web.call("echo", text="2")
    with demo_over_http("--http", port):
        web.reconnect()
        assert web.call("echo", text="3").text == "3"


def test_wrong_path_says_what_to_check(ip):
    with demo_over_http("--http") as port:
        with pytest.raises(UsageError, match="404.*no MCP endpoint at that path"):
            ip.run_line_magic("mcp", f"connect web http://127.0.0.1:{port}/nope --timeout 10")
