"""Config files users already have: Claude Desktop, Claude Code, VS Code, Cursor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError

import mcp_notebook.errors as errors
from mcp_notebook.hostconfig import read_config, resolve_entry

DEMO = {"command": sys.executable, "args": ["-m", "mcp_notebook.demo"]}


def write(path: Path, data: object | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_claude_desktop_shape_connects_and_keeps_secrets_out(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("MCPNB_TEST_SECRET", "s3cr3t-from-env-42")
    path = write(
        tmp_path / "claude_desktop_config.json",
        {"mcpServers": {"penguins": {**DEMO, "env": {"API_KEY": "${MCPNB_TEST_SECRET}"}}}},
    )
    listing = hub.config(path)
    assert listing["penguins"]["transport"] == "stdio" and listing["penguins"]["env"] == "API_KEY"
    [server] = hub.connect_config(path)
    assert server.name == "penguins" and server.call("echo", text="hi").text == "hi"
    shown = str(hub.servers()._repr_mimebundle_()) + repr(server) + str(listing._repr_mimebundle_())
    assert "s3cr3t-from-env-42" not in shown
    assert server.connection.spec.env == {"API_KEY": "s3cr3t-from-env-42"}


def test_claude_code_variables_and_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("MCPNB_UNSET", raising=False)
    path = write(
        tmp_path / ".mcp.json",
        {
            "mcpServers": {
                "api": {
                    "type": "http",
                    "url": "${MCPNB_UNSET:-http://127.0.0.1:9}/mcp",
                    "headers": {"Authorization": "Bearer ${MCPNB_UNSET:-dev-token}"},
                }
            }
        },
    )
    [entry], _ = read_config(path)
    spec = resolve_entry(entry)
    assert spec.transport == "http" and spec.url == "http://127.0.0.1:9/mcp"
    assert spec.headers == {"Authorization": "Bearer dev-token"}
    bad = write(tmp_path / "bad.json", {"mcpServers": {"x": {"command": "${MCPNB_UNSET}"}}})
    with pytest.raises(errors.UsageProblem, match=r"\$\{MCPNB_UNSET\} is not set"):
        resolve_entry(read_config(bad)[0][0])


def test_vscode_shape_with_comments_inputs_and_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("MCPNB_HOME_THING", "abc")
    path = write(
        tmp_path / "proj" / ".vscode" / "mcp.json",
        """{
          // VS Code allows comments and trailing commas
          "inputs": [{"type": "promptString", "id": "token", "description": "API token", "password": true}],
          "servers": {
            "local": {"type": "stdio", "command": "srv", "args": ["${workspaceFolder}/data", "${env:MCPNB_HOME_THING}"],
                      "env": {"TOKEN": "${input:token}"}},
            "remote": {"type": "sse", "url": "http://127.0.0.1:9/sse", "headers": {"X-Key": "${input:token}"}},
          },
        }""",
    )
    entries, inputs = read_config(path)
    asked = []

    def ask(spec):
        asked.append(spec["id"])
        return "typed-secret"

    answers: dict[str, str] = {}
    local = resolve_entry(entries[0], inputs, ask=ask, answers=answers)
    remote = resolve_entry(entries[1], inputs, ask=ask, answers=answers)
    assert local.command == ("srv", f"{tmp_path / 'proj'}/data", "abc") and local.env == {"TOKEN": "typed-secret"}
    assert remote.transport == "sse" and remote.headers == {"X-Key": "typed-secret"}
    assert asked == ["token"]  # asked once, used twice
    assert "typed-secret" not in local.describe() + remote.describe()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", ["not valid JSON", "line 1"]),
        ('{"other": {}}', ["no 'mcpServers'", "it has: other"]),
        ('{"mcpServers": {"x": {"type": "grpc", "url": "u"}}}', ["type 'grpc'"]),
        ('{"mcpServers": {"x": {"args": []}}}', ["neither 'command'"]),
        ('{"mcpServers": {"x": {"type": "stdio", "args": []}}}', ["has no 'command'"]),
        ('{"servers": {"x": {"type": "http"}}}', ["has no 'url'"]),
    ],
)
def test_malformed_files_say_what_is_wrong(tmp_path, content, words):
    path = write(tmp_path / "mcp.json", content)
    with pytest.raises(errors.UsageProblem) as info:
        read_config(path)
    for word in words:
        assert word in str(info.value)


def test_magics(ip, tmp_path):
    path = write(tmp_path / "mcp.json", {"mcpServers": {"a": DEMO, "b": {"command": "no-such-mcp-server-here"}}})
    listing = ip.run_line_magic("mcp", f"config {path}")
    assert listing.names() == ["a", "b"]
    table = ip.run_line_magic("mcp", f"connect --config {path} a")
    assert table.names() == ["a"] and table["a"]["state"] == "ready"
    assert ip.run_line_magic("mcp", "call a.echo text='from a config'").text == "from a config"
    with pytest.raises(UsageError, match="connected none; failed 1: b: .*no-such-mcp-server-here"):
        ip.run_line_magic("mcp", f"connect --config {path} b")
    with pytest.raises(UsageError, match="no server 'c'"):
        ip.run_line_magic("mcp", f"connect --config {path} c")
    with pytest.raises(UsageError, match="no config file"):
        ip.run_line_magic("mcp", f"config {tmp_path / 'missing.json'}")
