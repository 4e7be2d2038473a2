"""Serving a recording (``recording.py``) back, with no server at all.

``hub.connect(name, replay=path)`` / ``%mcp connect NAME --replay PATH`` builds an in-process
low-level MCP ``Server`` from the file: it lists the recorded tools (and prompts, and the resources
that were read) and answers each request by matching (tool, canonical JSON of the redacted
arguments). A request answered several times answers in the recorded order, then repeats the
last answer. A request that was never recorded ends as a clear error that names it.

Which recorded server a connection serves: the one ``replay_from=`` (``--replay-from``) names;
else the one named like the connection; else the only one with calls, whatever the connection is
called (so ``%mcp connect demo2 --replay calls.jsonl`` works beside a live ``demo``). Servers
with no calls (older recordings listed every connected server) are never picked by default.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from .errors import UsageProblem, did_you_mean
from .recording import FORMAT, VERSION, canonical

__all__ = ["Recorded", "ReplayServer", "load", "pick", "replay_server"]


@dataclass
class Recorded:
    """What one server did in a recording."""

    name: str
    server_name: str = ""
    version: str = ""
    instructions: str | None = None
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    reads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    got: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def used(self) -> bool:
        """Whether anything of this server was called, read or got (not just listed)."""
        return bool(self.calls or self.reads or self.got)


def load(path: str | os.PathLike[str], text: str | None = None) -> dict[str, Recorded]:
    """The recording at ``path``, by server name (``text``: its content, read elsewhere: a Dask
    worker gets the kernel's recording this way)."""
    file = Path(path)
    try:
        content = file.read_text(encoding="utf-8") if text is None else text
    except OSError as e:
        raise UsageProblem(
            f"cannot read the recording {file}: {e.strerror or e}; record one with %mcp record PATH"
        ) from e
    lines: Iterator[str] = iter(content.splitlines())
    header = _parse(next(lines, ""), file, 1)
    if header.get("format") != FORMAT:
        raise UsageProblem(f"{file} is not an mcp_notebook recording (its first line names no {FORMAT!r} format)")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise UsageProblem(
            f"{file} is a recording of format version {header.get('version')!r}; this mcp_notebook reads "
            f"version {VERSION} and older: upgrade mcp_notebook"
        )
    servers: dict[str, Recorded] = {}
    for number, line in enumerate(lines, 2):
        if not line.strip():
            continue
        entry = _parse(line, file, number)
        name = str(entry.get("server", ""))
        rec = servers.setdefault(name, Recorded(name))
        kind = entry.get("kind")
        if kind == "server":
            rec.server_name = str(entry.get("name") or name)
            rec.version = str(entry.get("version") or "")
            rec.instructions = entry.get("instructions")
        elif kind == "tools":
            rec.tools.update({t["name"]: t for t in entry.get("tools", [])})
        elif kind == "prompts":
            rec.prompts.update({p["name"]: p for p in entry.get("prompts", [])})
        elif kind == "call":
            key = (str(entry["tool"]), canonical(entry.get("arguments")))
            rec.calls.setdefault(key, []).append(entry["result"])
        elif kind == "read":
            rec.reads.setdefault(str(entry["uri"]), []).append(entry["result"])
        elif kind == "prompt":
            key = (str(entry["prompt"]), canonical(entry.get("arguments")))
            rec.got.setdefault(key, []).append(entry["result"])
    return servers


def _parse(line: str, file: Path, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        raise UsageProblem(f"{file}, line {number}: not JSON ({e.msg}); is it an mcp_notebook recording?") from e
    if not isinstance(value, dict):
        raise UsageProblem(f"{file}, line {number}: expected a JSON object; is it an mcp_notebook recording?")
    return value


class ReplayServer(Server[Any]):
    """A low-level MCP server that answers from a recording (``replay_server`` builds one)."""

    recording: Path
    recorded: Recorded


def pick(servers: dict[str, Recorded], file: Path, name: str, replay_from: str | None = None) -> Recorded:
    """The recorded server the connection ``name`` serves (see the module docstring)."""
    used = sorted(s for s, rec in servers.items() if rec.used)
    if replay_from is not None:
        if replay_from in servers:
            return servers[replay_from]
        recorded = f"it recorded {', '.join(used)}" if used else "it recorded no calls"
        raise UsageProblem(f"no server {replay_from!r} in {file}; {recorded}{did_you_mean(replay_from, used)}")
    if name in used:
        return servers[name]
    if len(used) == 1:
        return servers[used[0]]
    if not used:
        raise UsageProblem(f"{file} recorded no calls; record some with %mcp record PATH first")
    where = shlex.quote(str(file))
    raise UsageProblem(
        f"{file} recorded several servers ({', '.join(used)}); pick one: "
        f"%mcp connect {name} --replay {where} --replay-from {used[0]}"
    )


def replay_server(
    path: str | os.PathLike[str], name: str, replay_from: str | None = None, *, text: str | None = None
) -> ReplayServer:
    """A server that replays one server of the recording at ``path`` for the connection ``name``:
    ``replay_from`` if given, else as the module docstring says (``text``: the recording's content)."""
    file = Path(path)
    rec = pick(load(path, text), file, name, replay_from)
    served: dict[Any, int] = {}  # how many times each request was answered

    def answer(store: dict[Any, list[dict[str, Any]]], key: Any) -> dict[str, Any] | None:
        answers = store.get(key)
        if not answers:
            return None
        n = served.get(key, 0)
        served[key] = n + 1
        return answers[min(n, len(answers) - 1)]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult.model_validate({"tools": list(rec.tools.values())})

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = canonical(params.arguments)
        found = answer(rec.calls, (params.name, arguments))
        if found is None:
            recorded = [a for (t, a) in rec.calls if t == params.name]
            known = f"; recorded calls of {params.name}: {', '.join(recorded[:3])}" if recorded else ""
            raise MCPError(
                types.INVALID_PARAMS,
                f"{params.name} with arguments {arguments} was not recorded in {file.name}, so the replay has "
                f"no answer{known}; record it live first (%mcp record PATH)",
            )
        return types.CallToolResult.model_validate(found)

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        resources = []
        for uri, results in rec.reads.items():
            contents = results[0].get("contents") or [{}]
            mime = contents[0].get("mimeType")
            resources.append({"uri": uri, "name": uri.rstrip("/").rsplit("/", 1)[-1] or uri, "mimeType": mime})
        return types.ListResourcesResult.model_validate({"resources": resources})

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        found = answer(rec.reads, str(params.uri))
        if found is None:
            raise MCPError(
                types.INVALID_PARAMS,
                f"{params.uri} was not read while recording {file.name}, so the replay has no answer; "
                "record it live first (%mcp record PATH)",
            )
        return types.ReadResourceResult.model_validate(found)

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult.model_validate({"prompts": list(rec.prompts.values())})

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        arguments = canonical(params.arguments)
        found = answer(rec.got, (params.name, arguments))
        if found is None:
            raise MCPError(
                types.INVALID_PARAMS,
                f"prompt {params.name} with arguments {arguments} was not recorded in {file.name}; "
                "record it live first (%mcp record PATH)",
            )
        return types.GetPromptResult.model_validate(found)

    server = ReplayServer(
        f"{rec.server_name or rec.name} (replay)",
        version=rec.version,
        instructions=rec.instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
    server.recording = file.resolve()
    server.recorded = rec
    return server


def replay_server_for(existing: Any, name: str, path: str | os.PathLike[str], replay_from: str | None) -> Any:
    """The replay server for ``path``: ``existing`` (the live one under ``name``) when it replays the same file
    (and the same recorded server, if ``replay_from`` names one), so connecting again is a no-op
    as for any target; else a new one."""
    same_file = getattr(existing, "recording", None) == Path(path).resolve()
    if same_file and replay_from in (None, existing.recorded.name):
        return existing
    return replay_server(path, name, replay_from)
