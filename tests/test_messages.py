"""The one-line messages users meet first, against the reference servers: a server that offers no
resources (or prompts) says so, the server's error code appears once, a suggestion reads as one
sentence, and a positional argument says how to pass arguments."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ServerError, UsageProblem, did_you_mean
from tests.peers import everything_js, filesystem_bin, time_server_bin

SERVERS = Path(__file__).parent / "servers"


@pytest.fixture
def fs(hub: Hub, tmp_path: Path) -> Server:
    # The folder is named as a root too, so what the server may read does not hang on the default roots.
    (tmp_path / "x.txt").write_text("one\ntwo\n")
    return hub.connect("fs", command=[str(filesystem_bin()), str(tmp_path)], roots=[str(tmp_path)])


def test_did_you_mean_reads_as_one_sentence():
    assert (
        did_you_mean("cal", ["call", "read"], "`%mcp help` lists them")
        == "; did you mean 'call'? `%mcp help` lists them"
    )
    assert did_you_mean("zzz", ["call", "read"], "`%mcp help` lists them") == "; `%mcp help` lists them"
    assert did_you_mean("cal", ["call"]) == "; did you mean 'call'?"
    assert did_you_mean("zzz", ["call"]) == ""


def test_a_mistyped_subcommand(ip):
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "cal demo.query")
    assert str(e.value) == "no subcommand 'cal'; did you mean 'call'? `%mcp help` lists them"
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "help cal")
    assert str(e.value) == "no subcommand 'cal'; did you mean 'call'? `%mcp help` lists them"


def test_no_such_event(hub):
    with pytest.raises(UsageProblem) as e:
        hub.on("tool_caled", lambda **kw: None)
    assert "?;" not in str(e.value) and "did you mean 'tool_called'?" in str(e.value)


@pytest.mark.peers
def test_a_mistyped_tool_on_the_filesystem_server(ip, fs):
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "call fs.read_txt_file path=/x")
    assert str(e.value) == (
        "no tool 'read_txt_file' on 'fs'; did you mean 'read_text_file'? `%mcp tools fs` lists its 14 tools"
    )
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "call fs.nothing_like_it")
    assert str(e.value) == "no tool 'nothing_like_it' on 'fs'; `%mcp tools fs` lists its 14 tools"


@pytest.mark.peers
def test_the_filesystem_server_offers_no_resources_or_prompts(ip, fs):
    for command, noun in (("resources", "resources"), ("templates", "resource templates"), ("prompts", "prompts")):
        listing = ip.run_line_magic("mcp", f"{command} fs")
        text = listing._repr_mimebundle_()["text/plain"]
        assert text == f"fs offers no {noun}", text
        assert len(listing) == 0 and list(listing.to_dataframe().columns) == list(listing.columns)
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "read fs file:///etc/hosts")
    assert str(e.value) == "fs offers no resources, so it cannot read file:///etc/hosts"
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "prompt fs.summarize")
    assert str(e.value) == "fs offers no prompts, so it has no 'summarize'"


@pytest.mark.peers
def test_the_explorer_resources_tab_says_so_too(hub, fs):
    from mcp_notebook.widgets import Explorer

    ex = Explorer(hub, "fs")
    assert ex.wait_idle() and ex.resources.wait_idle()
    assert "32601" not in ex.resources.error.value and ex.resources.error.layout.display == "none"
    assert "fs offers no resources" in ex.resources.status.value


@pytest.mark.peers
def test_the_time_server_has_resources_but_none_to_list(hub):
    # It declares the capability and lists nothing: an empty listing, said as such.
    clock = hub.connect("time", command=[str(time_server_bin())])
    assert clock.resources()._repr_mimebundle_()["text/plain"] == "0 resources on time"


def test_a_server_that_claims_what_it_does_not_do(hub):
    # chaos declares resources and prompts (CHAOS_CLAIM) but answers "method not found" to both.
    server = hub.connect(
        "chaos", command=[sys.executable, str(SERVERS / "chaos.py")], env={"CHAOS_CLAIM": "resources,prompts"}
    )
    assert server.resources()._repr_mimebundle_()["text/plain"] == "chaos offers no resources"
    assert server.prompts()._repr_mimebundle_()["text/plain"] == "chaos offers no prompts"


@pytest.mark.peers
def test_the_error_code_appears_once(hub):
    # everything answers an unknown URI with {"code": -32602, "message": "MCP error -32602: ..."}.
    ev = hub.connect("ev", command=["node", str(everything_js()), "stdio"])
    with pytest.raises(ServerError) as e:
        ev.read("demo://nope")
    message = str(e.value)
    assert len(re.findall("32602", message)) == 1, message
    assert "MCP error" not in message and "Resource demo://nope not found" in message


@pytest.mark.peers
def test_a_positional_argument_says_how_to_pass_arguments(fs, tmp_path):
    path = str(tmp_path / "x.txt")
    with pytest.raises(UsageProblem) as e:
        fs.call("read_text_file", path)
    message = str(e.value)
    assert "not a mapping" not in message
    assert message.startswith(
        "fs.read_text_file: pass the arguments by name — call('read_text_file', path=...) — "
        "or as one mapping — call('read_text_file', {'path': ...}) — not as a positional str ('/"
    )
    assert len(message) < 250  # the value is shown shortened
    with pytest.raises(UsageProblem, match="by name"):
        fs.submit("read_text_file", path).result()
    assert fs.call("read_text_file", {"path": path}).text == "one\ntwo\n"  # the mapping form works
