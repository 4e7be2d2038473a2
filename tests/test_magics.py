"""The %mcp grammar in a real IPython shell, against the demo server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError

FAULTY = Path(__file__).parent / "servers" / "faulty.py"


def mcp(ip, line, cell=None):
    if cell is None:
        return ip.run_line_magic("mcp", line)
    return ip.run_cell_magic("mcp", line, cell)


@pytest.fixture
def with_demo(ip):
    mcp(ip, "connect demo")
    return ip


@pytest.fixture(scope="module")
def shared_shell(shared_hub, demo):
    """A shell on the session's shared hub, where the demo server is already connected."""
    from IPython.testing.globalipapp import get_ipython

    from mcp_notebook.magics import MCPMagics

    shell = get_ipython()
    shell.register_magics(MCPMagics(shell, hub=shared_hub))
    return shell


def test_connect_and_listings(with_demo):
    ip = with_demo
    servers = mcp(ip, "servers")
    row = servers["demo"]
    assert (row["state"], row["transport"], row["server"]) == ("ready", "stdio", "mcp-notebook-demo")
    assert row["protocol"] in ("2026-07-28", "2025-11-25")
    assert "query" in mcp(ip, "tools demo").names()
    all_tools = mcp(ip, "tools").to_dataframe()
    assert set(all_tools["server"]) == {"demo"}
    assert len(mcp(ip, "resources demo")) == 6  # with the explore App's ui:// page
    assert len(mcp(ip, "templates")) == 1
    assert "compare" in mcp(ip, "prompts demo").names()


def test_call_key_value_forms(with_demo):
    ip = with_demo
    ip.user_ns["wanted"] = "Chinstrap"
    ip.user_ns["n"] = 2
    frame = mcp(ip, "call demo.query species={wanted} limit=$n --df")
    assert list(frame["species"]) == ["Chinstrap", "Chinstrap"]
    picked = mcp(ip, 'call demo.query columns=["island", "sex"] limit=1 --df')
    assert list(picked.columns) == ["island", "sex"]
    py_list = mcp(ip, "call demo.query columns=['year'] limit=1 --df")
    assert list(py_list.columns) == ["year"]
    assert mcp(ip, "call demo.echo text=007").text == "007"  # a string argument keeps the text as typed
    assert mcp(ip, "call demo.echo text='two words'").text == "two words"
    assert mcp(ip, 'call demo.echo text="{not an expression}"').text == "{not an expression}"
    assert mcp(ip, "call demo.echo text={'ab' * 2}").text == "abab"


def test_cell_body_yaml_and_json(with_demo):
    ip = with_demo
    frame = mcp(ip, "call demo.query --df", "species: Adelie\nsex: female\nlimit: 3\n")
    assert list(frame["sex"]) == ["female"] * 3
    frame = mcp(ip, "call demo.query --df limit=1", '{"species": "Gentoo", "limit": 5}')
    assert len(frame) == 1  # the line overrides the body
    # YAML 1.1 would turn `no` into False; here it stays text, so the schema error names it.
    with pytest.raises(UsageError, match="'no'"):
        mcp(ip, "call demo.query", "sex: no\n")


def test_results_returned_stored_and_as_frames(with_demo):
    ip = with_demo
    result = mcp(ip, "call demo.summarize")
    assert result.to_dataframe().shape[0] == 3
    assert mcp(ip, "call demo.summarize -o summary") is None
    assert ip.user_ns["summary"].data["by"] == "species"
    assert mcp(ip, "read demo demo://datasets/penguins.csv --df -o penguins") is None
    assert ip.user_ns["penguins"].shape == (344, 8)
    assert "Which" in mcp(ip, "prompt demo.analyze question='Which species is heaviest?'").text
    # A tool name that only one server has needs no server prefix.
    assert mcp(ip, "call echo text=hi").text == "hi"


@pytest.mark.parametrize(
    ("line", "cell", "words"),
    [
        ("frobnicate", None, ["no subcommand 'frobnicate'"]),
        ("cal demo.query", None, ["did you mean 'call'"]),
        ("call demo.qeury", None, ["did you mean 'query'", "%mcp tools demo"]),
        ("call nowhere.query", None, ["no server named 'nowhere'", "connected: demo"]),
        ("call demo.query limit=ten", None, ["'limit'", "integer"]),
        ("call demo.query limit", None, ["expected key=value", "column 17"]),
        ("call demo.query text='unclosed", None, ["unclosed '"]),
        ("call demo.query x={1 +}", None, ["not a Python expression"]),
        ("call demo.query x=$undefined_thing", None, ["$undefined_thing is neither a notebook variable nor set"]),
        ("call demo.query", '{\n  "limit": ,\n}', ["not valid JSON", "line 2"]),
        ("call demo.query", "- a\n- b\n", ["must be a mapping"]),
        ("call demo.query", "limit: [1,\n", ["not valid YAML", "line 2"]),
        ("call demo.query --timeout", None, ["--timeout: expected one argument", "%mcp help call"]),
        ("call demo.query -o 1x", None, ["-o takes a variable name"]),
        ("read demo demo://missing", None, ["demo://missing", "%mcp resources demo"]),
        ("prompt demo.compare species_a=Adelie", None, ["missing required argument 'species_b'"]),
        ("connect demo -- python -V", None, ["name 'demo' is in use"]),
        ("connect bad.name -- x", None, ["cannot name a server"]),
        ("connect x", None, ["say what 'x' is"]),
        ("connect x -- no-such-program-here", None, ["'no-such-program-here' was not found"]),
        ("connect x http://127.0.0.1:9/mcp --timeout 5", None, ["nothing answered at http://127.0.0.1:9/mcp"]),
        ("connect x ftp://example/", None, ["not an http(s) URL"]),
        ("connect x http://127.0.0.1:9/mcp --env A=1", None, ["--env and --cwd are for stdio"]),
        ("connect x --header 'A: b' -- cmd", None, ["--header and --sse are for URLs"]),
        ("connect x -- cmd --token $MCP_NOTEBOOK_UNSET_VAR", None, ["$MCP_NOTEBOOK_UNSET_VAR is neither"]),
        ("tools -- x", None, ["only `%mcp connect` takes"]),
        ("servers", "body", ["takes no cell body"]),
        ("disconnect", None, ["%mcp disconnect SERVER, or %mcp disconnect --all"]),
        ("help nope", None, ["no subcommand 'nope'"]),
    ],
)
def test_mistakes_end_as_one_line(shared_shell, line, cell, words):
    ip = shared_shell
    with pytest.raises(UsageError) as info:
        mcp(ip, line, cell)
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, message
    assert mcp(ip, "call demo.echo text=ok").text == "ok"  # nothing was lost


def test_only_call_app_and_prompt_take_a_cell_body(shared_shell):
    from mcp_notebook.magics._commands import COMMANDS

    takes = sorted(name for name, cmd in COMMANDS.items() if cmd.takes_body)
    assert takes == ["app", "call", "prompt"]
    for name in sorted(set(COMMANDS) - set(takes)):
        with pytest.raises(UsageError, match=f"%%mcp {name} takes no cell body"):
            mcp(shared_shell, name, "limit: 5")  # refused before anything runs, whatever the command


def test_help(ip, capsys):
    assert mcp(ip, "help call") is None
    text = capsys.readouterr().out
    assert "usage: %mcp call SERVER.TOOL [key=value ...]" in text
    assert "%%mcp call SERVER.TOOL" in text
    doc = ip.find_line_magic("mcp").__doc__
    for sub in ("connect", "call", "read", "prompt", "servers", "tools", "log", "disconnect"):
        assert f"usage: %mcp {sub}" in doc
    assert mcp(ip, "call -h") is None


def test_stdio_options_log_reconnect_disconnect(ip, monkeypatch, tmp_path):
    monkeypatch.setenv("MCP_NOTEBOOK_TEST_SECRET", "s3cr3t-value-123")
    mcp(ip, f"connect f --env TOKEN=$MCP_NOTEBOOK_TEST_SECRET --cwd {tmp_path} -- {sys.executable} {FAULTY}")
    assert mcp(ip, "call f.shout text=hello").text == "ok"
    log = mcp(ip, "log f")
    assert "faulty stderr: hello" in log.text
    assert "s3cr3t-value-123" not in str(mcp(ip, "servers")._repr_mimebundle_())
    with pytest.raises(UsageError, match="exited with code 5"):
        mcp(ip, "call f.die code=5")
    assert mcp(ip, "servers")["f"]["state"] == "dead"
    mcp(ip, "reconnect f")
    assert mcp(ip, "call f.echo text=back").text == "back"
    mcp(ip, "log f --clear")
    assert len(mcp(ip, "log f")) == 0
    mcp(ip, "disconnect f")
    assert len(mcp(ip, "servers")) == 0


def test_settings_are_traits(ip):
    ip.run_line_magic("config", "MCPMagics.timeout = 0.5")
    try:
        mcp(ip, f"connect f -- {sys.executable} {FAULTY}")
        with pytest.raises(UsageError, match="within 0.5 s"):
            mcp(ip, "call f.hang")
        with pytest.raises(UsageError, match="within 0.2 s"):
            mcp(ip, "call f.hang --timeout 0.2")
        ip.run_line_magic("config", "MCPMagics.timeout = -1")  # refused (IPython logs why)
        assert ip.magics_manager.registry["MCPMagics"].timeout == 0.5
    finally:
        ip.run_line_magic("config", "MCPMagics.timeout = 120.0")
    assert mcp(ip, "call f.echo text=fine").text == "fine"
