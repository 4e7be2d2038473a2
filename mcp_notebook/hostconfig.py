"""Server lists from the config files people already have: Claude Desktop, Claude Code, VS Code, Cursor.

Shapes understood (one reader for all; the file's own keys say which):

- ``{"mcpServers": {NAME: {"command", "args", "env", "cwd"} | {"url", "headers", "type"}}}`` —
  Claude Desktop, Cursor, Claude Code's ``.mcp.json`` (``"type": "stdio" | "http" | "sse"``);
- ``{"servers": {NAME: {...}}, "inputs": [...]}`` — VS Code's ``.vscode/mcp.json``.

Variables: ``${VAR}`` and ``${VAR:-default}`` (Claude Code), ``${env:VAR}``, ``${workspaceFolder}``,
``${userHome}`` and ``${input:ID}`` (VS Code: a ``promptString`` input, asked once with ``getpass``
when its ``password`` is true, else ``input``). Values are resolved when connecting and live only in
the spec: secrets never reach the notebook's outputs (``describe()`` redacts env and header values).

OAuth: as the hosts do, an HTTP server with no ``Authorization`` header signs in with OAuth 2.1 when
it answers 401 (a server that does not ask costs nothing: the provider acts on 401 only). Claude
Code's ``"oauth": {"clientId", "callbackPort", "scopes"}`` block is read; a client secret is never
in the file (``connect_config(..., auth=OAuth(...))`` gives one).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import config
from .errors import UsageProblem

__all__ = ["ConfigEntry", "entry_oauth", "read_config", "resolve_entry"]

_VAR = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class ConfigEntry:
    """One server as a file describes it, before variables are resolved."""

    name: str
    transport: str  # stdio | http | sse
    raw: Mapping[str, Any]
    source: Path

    def summary(self) -> dict[str, Any]:
        """What it is, for listing, without resolving (so without secrets)."""
        if self.transport == "stdio":
            words = [str(self.raw.get("command", "")), *map(str, self.raw.get("args") or [])]
            target = " ".join(config.redact_args(words))
        else:
            target = config.redact_url(str(self.raw.get("url", "")))
        return {
            "name": self.name,
            "transport": self.transport,
            "target": target,
            "env": ", ".join(sorted(self.raw.get("env") or {})),
            "headers": ", ".join(sorted(self.raw.get("headers") or {})),
            "sign-in": "OAuth, if it asks" if self.signs_in else "",
            "file": str(self.source),
        }

    @property
    def signs_in(self) -> bool:
        """An HTTP server with no ``Authorization`` header: OAuth if it asks for it."""
        headers = self.raw.get("headers") or {}
        return self.transport != "stdio" and not any(str(k).lower() == "authorization" for k in headers)


def read_config(path: str | os.PathLike[str]) -> tuple[list[ConfigEntry], list[Mapping[str, Any]]]:
    """The servers (and VS Code ``inputs``) a config file declares; errors name the file and the fix."""
    source = Path(path).expanduser()
    try:
        text = source.read_text()
    except FileNotFoundError:
        raise UsageProblem(f"no config file at {source}") from None
    except OSError as e:
        raise UsageProblem(f"cannot read {source}: {e.strerror}") from None
    try:
        data = json.loads(_strip_jsonc(text))
    except json.JSONDecodeError as e:
        raise UsageProblem(f"{source} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    if not isinstance(data, Mapping):
        raise UsageProblem(f"{source} must hold a JSON object with 'mcpServers' or 'servers'")
    servers = data.get("mcpServers", data.get("servers"))
    if not isinstance(servers, Mapping):
        found = ", ".join(list(data)[:6]) or "nothing"
        raise UsageProblem(f"{source} has no 'mcpServers' (Claude, Cursor) or 'servers' (VS Code) map; it has: {found}")
    entries = []
    for name, raw in servers.items():
        if not isinstance(raw, Mapping):
            raise UsageProblem(f"{source}: server {name!r} must be an object with 'command' or 'url'")
        if not raw.get("type") and not raw.get("command") and not raw.get("url"):
            raise UsageProblem(
                f"{source}: server {name!r} has neither 'command' (a local program) nor 'url' (a remote server)"
            )
        kind = str(raw.get("type") or ("stdio" if "command" in raw else "http"))
        kind = {"streamable-http": "http", "streamableHttp": "http", "local": "stdio", "remote": "http"}.get(kind, kind)
        if kind not in ("stdio", "http", "sse"):
            raise UsageProblem(f"{source}: server {name!r} has type {kind!r}; expected stdio, http or sse")
        if kind == "stdio" and not raw.get("command"):
            raise UsageProblem(f"{source}: server {name!r} has no 'command'")
        if kind != "stdio" and not raw.get("url"):
            raise UsageProblem(f"{source}: server {name!r} has no 'url'")
        entries.append(ConfigEntry(str(name), kind, raw, source))
    inputs = data.get("inputs") or []
    if not isinstance(inputs, list):
        raise UsageProblem(f"{source}: 'inputs' must be a list")
    return entries, [i for i in inputs if isinstance(i, Mapping)]


def _strip_jsonc(text: str) -> str:
    """VS Code's mcp.json may carry // and /* */ comments and trailing commas."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
        else:
            out.append(ch)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


AskFn = Callable[[Mapping[str, Any]], str]


def _ask_input(spec: Mapping[str, Any]) -> str:
    prompt = f"{spec.get('description') or spec.get('id')}: "
    if spec.get("password"):
        import getpass

        return getpass.getpass(prompt)
    return input(prompt)


def resolve_entry(
    entry: ConfigEntry,
    inputs: list[Mapping[str, Any]] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    ask: AskFn = _ask_input,
    answers: dict[str, str] | None = None,
) -> config.ServerSpec:
    """The ``ServerSpec`` for ``entry``, with every variable resolved (asking for ``${input:…}``)."""
    env = os.environ if environ is None else environ
    inputs_by_id = {str(i.get("id")): i for i in inputs or []}
    answered = answers if answers is not None else {}
    workspace = str(entry.source.parent.parent if entry.source.parent.name == ".vscode" else entry.source.parent)

    def one(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("env:"):
            name = token[4:]
            if name not in env:
                raise UsageProblem(f"{entry.source}: ${{env:{name}}} is not set in the kernel's environment")
            return env[name]
        if token.startswith("input:"):
            key = token[6:]
            if key not in answered:
                spec = inputs_by_id.get(key)
                if spec is None:
                    raise UsageProblem(f"{entry.source}: ${{input:{key}}} has no matching entry in 'inputs'")
                answered[key] = ask(spec) or str(spec.get("default", ""))
            return answered[key]
        if token == "workspaceFolder":
            return workspace
        if token == "userHome":
            return str(Path.home())
        name, sep, default = token.partition(":-")
        if name in env:
            return env[name]
        if sep:
            return default
        raise UsageProblem(
            f"{entry.source}: ${{{name}}} is not set in the kernel's environment (nor given a :-default)"
        )

    def expand(value: Any) -> str:
        return _VAR.sub(one, str(value))

    raw = entry.raw
    if entry.transport == "stdio":
        command = [expand(raw["command"]), *(expand(a) for a in raw.get("args") or [])]
        env_values = {str(k): expand(v) for k, v in (raw.get("env") or {}).items()}
        cwd = expand(raw["cwd"]) if raw.get("cwd") else None
        return config.stdio_spec(entry.name, command, env=env_values, cwd=cwd)
    headers = {str(k): expand(v) for k, v in (raw.get("headers") or {}).items()}
    return config.url_spec(entry.name, expand(raw["url"]), headers=headers, sse=entry.transport == "sse")


def entry_oauth(entry: ConfigEntry) -> dict[str, Any]:
    """``OAuth(...)`` keyword arguments from the entry's Claude Code ``oauth`` block (may be empty)."""
    block = entry.raw.get("oauth")
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise UsageProblem(f"{entry.source}: server {entry.name!r}: 'oauth' must be an object")
    found: dict[str, Any] = {}
    if block.get("clientId"):
        found["client_id"] = str(block["clientId"])
    if block.get("scopes"):
        found["scopes"] = str(block["scopes"])
    port = block.get("callbackPort")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise UsageProblem(f"{entry.source}: server {entry.name!r}: oauth.callbackPort must be a port number")
        found["redirect_uri"] = f"http://localhost:{port}/callback"
    return found
