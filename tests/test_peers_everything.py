"""The reference server ``@modelcontextprotocol/server-everything`` (npm, 2025-11-25 era).

Over stdio, Streamable HTTP and legacy SSE, through the Python API and the magics, as a user
would meet it. ``scripts/install-peers`` installs it; without ``node`` these tests skip.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import re
import signal
import time
from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError

from mcp_notebook._runtime import Runtime
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import (
    ArgumentsInvalid,
    CallTimeout,
    ConnectFailed,
    NotConnected,
    ServerDied,
    ServerError,
    UsageProblem,
)
from tests.conftest import pids_alive
from tests.peers import HttpPeer, everything_http, everything_js, free_port, time_server_bin

pytestmark = pytest.mark.peers

ERA = "2025-11-25"
TOKEN = "s3cr3t-token-value"
ENV_SECRET = "s3cr3t-env-value"


def stdio_command() -> list[str]:
    return ["node", str(everything_js()), "stdio"]


def private_hub(name: str) -> tuple[Hub, Runtime]:
    """A hub like conftest's ``hub`` fixture, for tests that check what its teardown leaves."""
    runtime = Runtime(name=name)
    return Hub(runtime, timeout=30.0, progress=False), runtime


@pytest.fixture(scope="module")
def ev() -> Iterator[Server]:
    """One everything server over stdio, shared by the tests that only read from it."""
    hub, runtime = private_hub("mcp-notebook-peers-everything")
    try:
        yield hub.connect("ev", command=stdio_command())
    finally:
        hub.close_all()
        runtime.stop()


@pytest.fixture(scope="module")
def http_peer() -> Iterator[HttpPeer]:
    with everything_http("streamableHttp") as peer:
        yield peer


@pytest.fixture(scope="module")
def sse_peer() -> Iterator[HttpPeer]:
    with everything_http("sse") as peer:
        yield peer


def bundle_text(obj: object) -> str:
    """Everything a front end could show of ``obj``: each entry of its mimebundle, joined."""
    return "\n".join(str(v) for v in obj._repr_mimebundle_().values())  # type: ignore[attr-defined]


# -- stdio: what the server offers ------------------------------------------------------------------


def test_stdio_speaks_the_2025_11_25_era(ev: Server) -> None:
    assert ev.state == "ready"
    assert ev.protocol_version == ERA
    assert ev.server_info.name == "mcp-servers/everything"
    assert (ev.instructions or "").startswith("# Everything Server")
    assert "Everything Server – Server Instructions" in ev._repr_mimebundle_()["text/html"]
    assert f"ready · stdio · {ERA} · mcp-servers/everything" in ev._repr_mimebundle_()["text/plain"]


def test_stdio_lists_its_tools(ev: Server) -> None:
    tools = ev.tools()
    names = tools.names()
    for expected in ("echo", "get-sum", "get-tiny-image", "get-structured-content", "get-resource-links"):
        assert expected in names
    # The client offers sampling and elicitation, so the server registers the tools that use them;
    # roots only when the user names some (tests/test_roots.py), so not get-roots-list.
    # It also offers tasks.requests.sampling/elicitation (issue 14), so the server adds their async twins.
    for capability_tool in (
        "trigger-sampling-request",
        "trigger-elicitation-request",
        "trigger-sampling-request-async",
        "trigger-elicitation-request-async",
    ):
        assert capability_tool in names
    assert "get-roots-list" not in names
    frame = tools.to_dataframe()
    assert frame.loc[frame["name"] == "get-sum", "arguments"].item() == "a*: number, b*: number"
    assert "18 tools on ev" in tools._repr_mimebundle_()["text/plain"]


def test_echo_returns_its_message(ev: Server) -> None:
    result = ev.call("echo", message="hello from the notebook")
    assert not result.is_error
    assert result.text == "Echo: hello from the notebook"
    assert "Echo: hello from the notebook" in result._repr_mimebundle_()["text/html"]


def test_get_sum_adds(ev: Server) -> None:
    assert ev.call("get-sum", a=2, b=40).text == "The sum of 2 and 40 is 42."
    assert ev.call("get-sum", {"a": 1.5, "b": -0.5}).text == "The sum of 1.5 and -0.5 is 1."


def test_tiny_image_is_a_png_shown_inline(ev: Server) -> None:
    result = ev.call("get-tiny-image")
    assert len(result.images) == 1
    png = result.images[0]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) == 4033
    html = result._repr_mimebundle_()["text/html"]
    b64 = base64.b64encode(png).decode()
    assert f'src="data:image/png;base64,{b64}"' in html
    # The text blocks around the image are shown too.
    assert "the image you requested" in html


def test_annotated_message_with_image(ev: Server) -> None:
    result = ev.call("get-annotated-message", messageType="error", includeImage=True)
    assert not result.is_error
    assert result.text == "Error: Operation failed"
    assert len(result.images) == 1
    assert "data:image/png;base64," in result._repr_mimebundle_()["text/html"]


def test_structured_content_is_data_and_one_row_frame(ev: Server) -> None:
    result = ev.call("get-structured-content", location="New York")
    assert result.data == result.structured
    assert set(result.data) == {"temperature", "conditions", "humidity"}
    frame = result.to_dataframe()
    assert len(frame) == 1
    assert list(frame.columns) == ["temperature", "conditions", "humidity"]
    assert frame["conditions"].item() == result.data["conditions"]
    html = result._repr_mimebundle_()["text/html"]
    assert "<table" in html and "humidity" in html


def test_resource_links_render_as_links(ev: Server) -> None:
    result = ev.call("get-resource-links", count=4)
    links = [b for b in result.content if b.type == "resource_link"]
    assert [str(link.uri) for link in links] == [
        "demo://resource/dynamic/blob/1",
        "demo://resource/dynamic/text/2",
        "demo://resource/dynamic/blob/3",
        "demo://resource/dynamic/text/4",
    ]
    html = result._repr_mimebundle_()["text/html"]
    for link in links:
        assert f"<code>{link.uri}</code>" in html
    assert "Here are 4 resource links" in html
    plain = result._repr_mimebundle_()["text/plain"]
    assert "demo://resource/dynamic/text/2" in plain


def test_resource_reference_embeds_the_text(ev: Server) -> None:
    result = ev.call("get-resource-reference", resourceType="Text", resourceId=3)
    assert not result.is_error
    embedded = [b for b in result.content if b.type == "resource"]
    assert len(embedded) == 1
    assert str(embedded[0].resource.uri) == "demo://resource/dynamic/text/3"
    html = result._repr_mimebundle_()["text/html"]
    assert "demo://resource/dynamic/text/3" in html
    assert "Resource 3: This is a plaintext resource created at" in html


def test_resource_reference_embeds_a_blob(ev: Server) -> None:
    result = ev.call("get-resource-reference", resourceType="Blob", resourceId=2)
    html = result._repr_mimebundle_()["text/html"]
    assert "demo://resource/dynamic/blob/2" in html
    assert "bytes of binary data" in html


def test_lower_case_resource_type_is_caught_before_sending(ev: Server) -> None:
    # The server's docs say text/blob; its schema says Text/Blob: the schema wins, with a clear message.
    with pytest.raises(ArgumentsInvalid, match=r"resourceType.*'Text', 'Blob'"):
        ev.call("get-resource-reference", resourceType="text", resourceId=1)


def test_static_resources_and_a_markdown_read(ev: Server) -> None:
    resources = ev.resources()
    uris = resources.names()
    assert len(uris) == 7
    assert "demo://resource/static/document/features.md" in uris
    assert {r.mime_type for r in resources} == {"text/markdown"}
    doc = ev.read("demo://resource/static/document/features.md")
    assert doc.mime_type == "text/markdown"
    bundle = doc._repr_mimebundle_()
    assert "text/markdown" in bundle
    assert doc.text.lstrip().startswith("#")
    assert doc.text.splitlines()[0] in bundle["text/markdown"]


def test_templates_listed_and_readable(ev: Server) -> None:
    templates = ev.templates()
    assert templates.names() == [
        "demo://resource/dynamic/text/{resourceId}",
        "demo://resource/dynamic/blob/{resourceId}",
    ]
    text = ev.read("demo://resource/dynamic/text/5")
    assert text.text.startswith("Resource 5: This is a plaintext resource")
    blob = ev.read("demo://resource/dynamic/blob/6")
    assert blob.bytes.startswith(b"Resource 6: This is a base64 blob")


def test_unknown_resource_is_a_server_error_with_a_hint(ev: Server) -> None:
    with pytest.raises(ServerError, match=r"demo://nope not found.*%mcp resources ev") as info:
        ev.read("demo://nope")
    assert info.value.code == -32602


def test_args_prompt_with_city(ev: Server) -> None:
    assert ev.prompts().names() == ["simple-prompt", "args-prompt", "completable-prompt", "resource-prompt"]
    prompt = ev.prompt("args-prompt", city="Paris", state="TX")
    assert prompt.to_messages() == [{"role": "user", "content": "What's weather in Paris, TX?"}]
    assert "Paris, TX" in prompt._repr_mimebundle_()["text/html"]
    with pytest.raises(UsageProblem, match="missing required argument 'city'"):
        ev.prompt("args-prompt", state="TX")


def test_resource_prompt_embeds_a_resource(ev: Server) -> None:
    prompt = ev.prompt("resource-prompt", resourceType="Text", resourceId=3)  # a number is sent as text
    assert [m.content.type for m in prompt.messages] == ["text", "resource"]
    assert "demo://resource/dynamic/text/3" in prompt._repr_mimebundle_()["text/html"]


def test_unknown_tool_says_did_you_mean(ev: Server) -> None:
    with pytest.raises(UsageProblem, match=r"no tool 'get-summ' on 'ev'; did you mean 'get-sum'\?"):
        ev.call("get-summ", a=1, b=2)


def test_missing_argument_is_caught_before_sending(ev: Server) -> None:
    with pytest.raises(ArgumentsInvalid, match="missing required argument 'message'"):
        ev.call("echo", {})


def test_tool_error_is_an_error_result(ev: Server) -> None:
    result = ev.call("echo", {}, validate=False)
    assert result.is_error
    assert "Input validation error" in result.text
    assert "failed" in result._repr_mimebundle_()["text/html"]
    with pytest.raises(UsageProblem, match="failed, so there is no table"):
        result.to_dataframe()


def test_task_only_tool_runs_as_a_task(ev: Server) -> None:
    # Issue 14: once an error result, then refused before sending; tests/test_tasks_everything.py has the rest.
    result = ev.call("simulate-research-query", topic="otters")
    assert not result.is_error and result.task_id
    assert result.text.startswith("# Research Report: otters")


def test_long_running_operation_reports_progress(ev: Server, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    result = ev.call("trigger-long-running-operation", duration=1, steps=3, progress=True)
    elapsed = time.perf_counter() - started
    assert result.text == "Long running operation completed. Duration: 1 seconds, Steps: 3."
    assert 0.9 < elapsed < 5
    # Outside Jupyter the bar is tqdm's text bar on stderr; it reached 3 of 3.
    err = capsys.readouterr().err
    assert "ev.trigger-long-running-operation" in err
    assert "3/3" in err and "3.0" not in err  # whole numbers, as the server counted


def test_async_twins(ev: Server) -> None:
    async def go() -> tuple[str, list[str], str]:
        echoed = await ev.acall("echo", message="awaited")
        tools = await ev.atools()
        doc = await ev.aread("demo://resource/dynamic/text/1")
        return echoed.text, tools.names(), doc.text

    echoed, names, text = asyncio.run(go())
    assert echoed == "Echo: awaited"
    assert "get-sum" in names
    assert text.startswith("Resource 1:")


def test_server_stderr_goes_to_the_log_not_the_output(ev: Server, capfd: pytest.CaptureFixture[str]) -> None:
    ev.call("echo", message="x")
    out, err = capfd.readouterr()
    assert "Starting default (STDIO) server" not in out + err
    log = ev.log()
    assert "Starting default (STDIO) server..." in log.text
    assert f"connected: protocol {ERA}" in log.text


# -- stdio: a session that changes the server ---------------------------------------------------------


def test_server_log_messages_show_in_the_log(hub: Hub) -> None:
    hub.log_level = "debug"  # the server picks one of the eight levels at random; let all through
    server = hub.connect("ev", command=stdio_command())
    started = server.call("toggle-simulated-logging")
    assert started.text.startswith("Started simulated, random-leveled logging")
    deadline = time.monotonic() + 5  # it sends one at once, then one every 5 s
    while time.monotonic() < deadline:
        messages = [e for e in server.log() if e.source == "server"]
        if messages:
            break
        time.sleep(0.05)
    assert messages, server.log().text
    assert re.fullmatch(r"\w+[- ]level[- ]message", messages[0].text, re.I)
    assert messages[0].level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
    assert messages[0].text in server.log()._repr_mimebundle_()["text/html"]
    assert server.call("toggle-simulated-logging").text.startswith("Stopped simulated")


def test_gzip_resource_appears_and_reads_back(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command())
    payload = b"hello gzip " * 20
    data = "data:text/plain;base64," + base64.b64encode(payload).decode()
    result = server.call("gzip-file-as-resource", name="hello.txt.gz", data=data, outputType="resourceLink")
    [link] = [b for b in result.content if b.type == "resource_link"]
    assert str(link.uri) == "demo://resource/session/hello.txt.gz"
    assert "demo://resource/session/hello.txt.gz" in server.resources().names()
    read = server.read("demo://resource/session/hello.txt.gz")
    assert read.mime_type == "application/gzip"
    assert gzip.decompress(read.bytes) == payload


def test_timeout_cancels_and_the_server_stays_usable(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command())
    pid = server.connection.pid
    started = time.perf_counter()
    with pytest.raises(CallTimeout, match="within 0.5 s"):
        server.call("trigger-long-running-operation", duration=5, steps=5, timeout=0.5)
    assert time.perf_counter() - started < 2
    assert server.call("echo", message="still here").text == "Echo: still here"
    # Node keeps running its timers after stdin closes; close still ends it, quickly.
    started = time.perf_counter()
    server.close()
    assert time.perf_counter() - started < 3
    assert pids_alive([pid]) == []


# -- process hygiene ----------------------------------------------------------------------------------


def test_close_stops_the_server_process(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command())
    pid = server.connection.pid
    assert pid is not None and pids_alive([pid]) == [pid]
    server.close()
    assert pids_alive([pid]) == []
    assert server.state == "closed"
    assert "ev" not in hub.servers().names()
    with pytest.raises(NotConnected, match="closed"):
        server.call("echo", message="x")
    server.close()  # twice is fine


def test_hub_teardown_leaves_no_server_behind() -> None:
    hub, runtime = private_hub("mcp-notebook-peers-teardown")
    try:
        ev = hub.connect("ev", command=stdio_command())
        tm = hub.connect("time", command=[str(time_server_bin())])
        pids = [ev.connection.pid, tm.connection.pid]
        assert all(pids) and pids_alive(pids) == pids
    finally:
        hub.close_all()  # what the hub fixture's teardown and the kernel's atexit hook do
        runtime.stop()
    assert pids_alive(pids) == []


def test_reconnect_starts_a_new_process(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command())
    old = server.connection.pid
    server.reconnect()
    new = server.connection.pid
    assert new != old
    assert pids_alive([old]) == []
    assert server.call("echo", message="again").text == "Echo: again"


def test_killed_server_is_reported_dead_and_can_come_back(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command())
    pid = server.connection.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while server.state != "dead" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.state == "dead"
    with pytest.raises(ServerDied, match=r"killed by SIGKILL.*reconnect ev"):
        server.call("echo", message="x")
    server.reconnect()
    assert server.call("echo", message="back").text == "Echo: back"


# -- Streamable HTTP and legacy SSE -------------------------------------------------------------------


def test_streamable_http_connects_lists_and_calls(hub: Hub, http_peer: HttpPeer) -> None:
    server = hub.connect("web", url=http_peer.url)
    assert server.protocol_version == ERA
    assert server.connection.pid is None  # nothing of ours to stop: the server is not our child
    assert hub.servers()["web"]["transport"] == "http"
    assert {"echo", "get-sum"} <= set(server.tools().names())
    assert server.call("echo", message="over http").text == "Echo: over http"
    server.close()
    assert pids_alive([http_peer.pid]) == [http_peer.pid]  # closing a URL session leaves the server up


def test_streamable_http_progress(hub: Hub, http_peer: HttpPeer, capsys: pytest.CaptureFixture[str]) -> None:
    server = hub.connect("web", url=http_peer.url)
    result = server.call("trigger-long-running-operation", duration=1, steps=2, progress=True)
    assert result.text.startswith("Long running operation completed")
    assert "2/2" in capsys.readouterr().err


def test_legacy_sse_connects_lists_and_calls(hub: Hub, sse_peer: HttpPeer) -> None:
    server = hub.connect("old", url=sse_peer.url, sse=True)
    assert server.protocol_version == ERA
    assert hub.servers()["old"]["transport"] == "sse"
    assert "echo" in server.tools().names()
    assert server.call("echo", message="over sse").text == "Echo: over sse"
    assert server.read("demo://resource/dynamic/text/2").text.startswith("Resource 2:")


def test_http_magics(ip, http_peer: HttpPeer) -> None:
    server = ip.run_line_magic("mcp", f"connect web {http_peer.url}")
    assert isinstance(server, Server)
    result = ip.run_line_magic("mcp", "call web.echo message='hi there'")
    assert result.text == "Echo: hi there"
    assert ip.run_line_magic("mcp", "call web.get-sum a=2 b=40").text == "The sum of 2 and 40 is 42."


def test_http_server_going_away_is_reported(hub: Hub) -> None:
    with everything_http("streamableHttp") as peer:
        server = hub.connect("web", url=peer.url)
        assert server.call("echo", message="x").text == "Echo: x"
    started = time.perf_counter()
    with pytest.raises((ServerDied, NotConnected)) as info:
        server.call("echo", message="x")
    assert time.perf_counter() - started < 5
    assert "reconnect web" in str(info.value)


def test_nothing_listening_is_a_clear_connect_error(hub: Hub) -> None:
    port = free_port()
    with pytest.raises(ConnectFailed, match=r"nothing answered at http://127\.0\.0\.1:\d+/mcp"):
        hub.connect("web", url=f"http://127.0.0.1:{port}/mcp", timeout=10)
    assert "web" not in hub.servers().names()


def test_sse_url_without_sse_flag_says_what_to_do(hub: Hub, sse_peer: HttpPeer) -> None:
    # A legacy SSE endpoint reached with Streamable HTTP answers 404. With sse=True on a wrong
    # path the message says "answered HTTP 404: no MCP endpoint at that path (often /mcp, or /sse
    # with --sse)"; without sse=True the same 404 should say as much.
    with pytest.raises(ConnectFailed) as info:
        hub.connect("web", url=sse_peer.url, timeout=10)
    message = str(info.value)
    assert "404" in message
    assert re.search(r"--sse|sse=True", message), message


# -- secrets never show -------------------------------------------------------------------------------


def test_header_secret_never_shows(hub: Hub, http_peer: HttpPeer) -> None:
    server = hub.connect("web", url=http_peer.url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert server.call("echo", message="authorized").text == "Echo: authorized"
    shown = {
        "servers()": bundle_text(hub.servers()),
        "servers() frame": hub.servers().to_dataframe().to_string(),
        "repr(server)": repr(server),
        "server bundle": bundle_text(server),
        "log text": server.log().text,
        "log bundle": bundle_text(server.log()),
    }
    for where, text in shown.items():
        assert TOKEN not in text, where
    assert "Authorization: ***" in shown["repr(server)"]  # the header is there, its value is not


def test_header_secret_not_in_connect_errors(hub: Hub, http_peer: HttpPeer) -> None:
    for url in (f"http://127.0.0.1:{http_peer.port}/nope", f"http://127.0.0.1:{free_port()}/mcp"):
        with pytest.raises(ConnectFailed) as info:
            hub.connect("web", url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert TOKEN not in str(info.value)


def test_env_secret_reaches_the_server_but_never_shows(hub: Hub) -> None:
    server = hub.connect("ev", command=stdio_command(), env={"API_KEY": ENV_SECRET})
    received = json.loads(server.call("get-env").text)
    assert received["API_KEY"] == ENV_SECRET  # the server did get it
    shown = {
        "servers()": bundle_text(hub.servers()),
        "servers() frame": hub.servers().to_dataframe().to_string(),
        "repr(server)": repr(server),
        "server bundle": bundle_text(server),
        "log text": server.log().text,
        "log bundle": bundle_text(server.log()),
    }
    for where, text in shown.items():
        assert ENV_SECRET not in text, where
    assert "API_KEY=***" in shown["repr(server)"]


def test_env_secret_not_in_magic_output(ip) -> None:
    ip.run_line_magic("mcp", f"connect ev --env API_KEY={ENV_SECRET} -- node {everything_js()} stdio")
    listing = ip.run_line_magic("mcp", "servers")
    log = ip.run_line_magic("mcp", "log ev")
    for obj in (listing, log):
        assert ENV_SECRET not in bundle_text(obj)
    assert "API_KEY=***" in bundle_text(listing)


# -- the magics on stdio ----------------------------------------------------------------------------


def test_stdio_magics(ip) -> None:
    server = ip.run_line_magic("mcp", f"connect ev -- node {everything_js()} stdio")
    assert server.protocol_version == ERA
    assert ip.run_line_magic("mcp", "call ev.echo message=hi").text == "Echo: hi"
    assert ip.run_line_magic("mcp", "call ev.get-sum a=2 b=40").text == "The sum of 2 and 40 is 42."
    frame = ip.run_line_magic("mcp", "call ev.get-structured-content location=Chicago --df")
    assert len(frame) == 1 and "temperature" in frame.columns
    doc = ip.run_line_magic("mcp", "read ev demo://resource/static/document/features.md")
    assert "text/markdown" in doc._repr_mimebundle_()
    prompt = ip.run_line_magic("mcp", "prompt ev.args-prompt city=Paris")
    assert prompt.to_messages()[0]["content"] == "What's weather in Paris?"
    assert "18 tools" in ip.run_line_magic("mcp", "tools ev")._repr_mimebundle_()["text/plain"]
    with pytest.raises(UsageError, match="did you mean 'echo'"):
        ip.run_line_magic("mcp", "call ev.ecko message=hi")
    with pytest.raises(UsageError, match="missing required argument 'message'"):
        ip.run_line_magic("mcp", "call ev.echo")


def test_two_servers_in_one_kernel(ip) -> None:
    ip.run_line_magic("mcp", f"connect ev -- node {everything_js()} stdio")
    ip.run_line_magic("mcp", f"connect time -- {time_server_bin()}")
    everything = ip.run_line_magic("mcp", "tools")
    frame = everything.to_dataframe()
    assert set(frame["server"]) == {"ev", "time"}
    assert set(frame.loc[frame["server"] == "time", "name"]) == {"get_current_time", "convert_time"}
    # A bare tool name finds the one server that has it.
    assert ip.run_line_magic("mcp", "call echo message=bare").text == "Echo: bare"
    assert ip.run_line_magic("mcp", "call get_current_time timezone=UTC").data["timezone"] == "UTC"
    rows = ip.run_line_magic("mcp", "servers").to_dataframe()
    assert dict(zip(rows["name"], rows["protocol"], strict=True)) == {"ev": ERA, "time": "2026-07-28"}
