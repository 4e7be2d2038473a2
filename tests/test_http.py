"""The demo server over real HTTP on 127.0.0.1: Streamable HTTP and legacy HTTP+SSE."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from IPython.core.error import UsageError

import mcp_notebook.errors as errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_over_http(flag: str, port: int | None = None) -> Iterator[int]:
    """``python -m mcp_notebook.demo --http/--sse PORT``, stopped by its pid afterwards."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_notebook.demo", flag, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the demo server did not listen on {port}") from None
                time.sleep(0.05)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


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
