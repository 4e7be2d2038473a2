"""Recording calls and their results as JSON Lines, to replay them later with no server at all.

``with hub.record("calls.jsonl"): ...`` / ``%mcp record calls.jsonl`` … ``%mcp record --stop``.
The first line names the format and its version; then, per server used, a ``server`` line (its
name, version and instructions) and a ``tools`` line (its tool listing, so a replay can list and
check tools), then one line per tool call, resource read or prompt, with its result. Only servers
used while recording (a tool called, a resource read, a prompt got) are in the file: a listing
alone is not a use, because listings happen without the user asking (the explorer, tab
completion and argument checks all list), and a replay of a listing alone could answer nothing.
When it stops, the recording says how to replay each server it holds. Secrets are
left out: values of secret-looking argument keys become ``***``, and so does any text equal to a
connection's credentials (header values, secrets in its URL, secret-looking environment values).
Calls that failed (no result) are not recorded; a tool that ran as a task is recorded with its
result (and the task's id) once the result is in, which a replay serves as the call's answer.

``replay.py`` reads the file back.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import shlex
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .call_history import looks_secret, redact, task_of
from .config import REDACTED, ServerSpec, url_secrets
from .errors import UsageProblem
from .events import Events
from .render import MUTED, esc
from .results import mimebundle

__all__ = ["FORMAT", "VERSION", "Recording", "base_name", "canonical", "dump_model"]

FORMAT = "mcp-notebook-recording"
VERSION = 1
_MIN_SECRET = 6  # shorter values would scrub ordinary words, and are not credentials anyway
_DROP = {"meta", "result_type", "ttl_ms", "cache_scope"}  # transport details, not the answer


def base_name(server: str) -> str:
    """The connection's name without a map worker's ``~N`` suffix."""
    return server.split("~", 1)[0]


def canonical(arguments: Any) -> str:
    """Arguments as the replay matches them: redacted, keys sorted, compact JSON."""
    return json.dumps(redact(arguments or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def dump_model(model: Any) -> Any:
    """An SDK model as JSON-ready data, without transport metadata."""
    return model.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=_DROP & set(type(model).model_fields)
    )


@dataclasses.dataclass
class ServerFacts:
    """What a recording writes about a server the first time it is used (and the secrets to keep out)."""

    name: str
    version: str
    instructions: str | None
    tools: Mapping[str, Any]
    """The cached tool listing, by name (a server lists its tools before each call it checks)."""
    prompts: Mapping[str, Any]
    secrets: list[str]

    @classmethod
    def of(cls, conn: Any) -> ServerFacts:
        """The facts of a live connection: what it said at the handshake and its cached listings."""
        info, catalog = conn.server_info, conn.catalog
        return cls(info.name if info else "", info.version if info else "", conn.instructions,
                   catalog.cached_tools(), catalog.cached_prompts(), credentials(conn.spec))  # fmt: skip


class Recording:
    """An open recording: every call of a hub goes to ``path`` until ``stop()`` (or the ``with`` ends).

    ``events`` are the hub's; ``describe(server)`` gives the facts of a connected server (None
    once it is gone); ``on_stop`` is told when the recording stops.
    """

    def __init__(
        self,
        events: Events,
        path: str | os.PathLike[str],
        describe: Callable[[str], ServerFacts | None],
        on_stop: Callable[[Recording], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._describe = describe
        self._on_stop = on_stop
        self.calls = 0
        self.skipped = 0
        """Calls that failed without a result, so were not recorded."""
        self._lock = threading.Lock()
        self._notes_lock = threading.Lock()  # listeners run on the loop thread, the first notes here
        self._seen_servers: set[str] = set()
        self._listed: dict[tuple[str, str], frozenset[str]] = {}
        self.used: dict[str, int] = {}
        """Calls, reads and prompts recorded, by server (a map worker's ``demo~1`` counts as ``demo``)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = self.path.open("w", encoding="utf-8")
        except OSError as e:
            raise UsageProblem(f"cannot record to {self.path}: {e.strerror or e}; pick a writable path") from e
        from ._version import __version__

        self._write(
            {
                "format": FORMAT,
                "version": VERSION,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "client": f"mcp_notebook {__version__}",
            }
        )
        self._offs: list[Callable[[], None]] = [
            events.on("tool_called", self._on_tool),
            events.on("resource_read", self._on_read),
            events.on("prompt_got", self._on_prompt),
        ]

    @property
    def active(self) -> bool:
        return bool(self._offs)

    def stop(self) -> Recording:
        """Stop recording and close the file (safe to call twice)."""
        for off in self._offs:
            off()
        self._offs = []
        with self._lock:
            if not self._file.closed:
                self._file.close()
        if self._on_stop is not None:
            self._on_stop(self)
        return self

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Recording {self.path}: {self.calls} calls{'' if self.active else ', stopped'}>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        state = "recording to" if self.active else "recorded to"
        text = f"{state} {self.path}: {_count(self.calls, 'call')}"
        if self.skipped:
            text += f" ({_count(self.skipped, 'failed call')} left out)"
        if self.active:
            text += " · stop with %mcp record --stop"
        elif self.used:
            where = shlex.quote(str(self.path))
            text += " · replay with " + " or ".join(f"%mcp connect {s} --replay {where}" for s in self.used)
        return mimebundle(
            {"text/plain": text, "text/html": f'<div style="{MUTED}">{esc(text)}</div>'}, include, exclude
        )

    # -- writing --------------------------------------------------------------------------------------

    def _write(self, entry: Mapping[str, Any], secrets: list[str] | None = None) -> None:
        data = _scrub(entry, secrets) if secrets else entry
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            self._file.flush()  # a crash loses nothing recorded so far

    def _used(self, server: str) -> None:
        name = base_name(server)
        self.used[name] = self.used.get(name, 0) + 1
        self.calls += 1

    def _secrets(self, server: str) -> list[str] | None:
        facts = self._describe(server)
        return facts.secrets if facts is not None else None

    def _note_server(self, server: str) -> None:
        """Write the server's description and tool listing the first time it is met (or when it changed)."""
        facts = self._describe(server)
        if facts is None:
            return
        with self._notes_lock:
            self._note(facts, base_name(server))

    def _note(self, facts: ServerFacts, name: str) -> None:
        secrets = facts.secrets
        if name not in self._seen_servers:
            self._seen_servers.add(name)
            self._write(
                {
                    "kind": "server",
                    "server": name,
                    "name": facts.name or name,
                    "version": facts.version,
                    "instructions": facts.instructions,
                },
                secrets,
            )
        for kind, cached in (("tools", facts.tools), ("prompts", facts.prompts)):
            if not cached:
                continue
            names = frozenset(cached)
            if self._listed.get((name, kind)) == names:
                continue
            self._listed[(name, kind)] = names
            self._write({"kind": kind, "server": name, kind: [dump_model(t) for t in cached.values()]}, secrets)

    def _on_tool(
        self, *, server: str, tool: str, arguments: Any, status: str, seconds: float | None = None, **details: Any
    ) -> None:
        result = details.get("result")
        if result is None:
            if status not in ("started", "detached"):  # a task left running is recorded when its result comes
                self.skipped += 1
            return
        self._note_server(server)
        entry = {
            "kind": "call",
            "server": base_name(server),
            "tool": tool,
            "arguments": redact(arguments),
            "status": status,
            "seconds": round(seconds, 6) if seconds is not None else None,
            "result": dump_model(result),
        }
        task = details.get("task") or task_of(result)
        if task:
            entry["task"] = task  # for the reader; a replay answers the call with the result, task or not
        self._write(entry, self._secrets(server))
        self._used(server)

    def _on_read(self, *, server: str, uri: str, seconds: float | None = None, result: Any = None, **_: Any) -> None:
        if result is None:
            return
        self._note_server(server)
        entry = {"kind": "read", "server": base_name(server), "uri": uri, "result": dump_model(result)}
        self._write(entry, self._secrets(server))
        self._used(server)

    def _on_prompt(
        self, *, server: str, prompt: str, arguments: Any, result: Any = None, status: str = "ok", **_: Any
    ) -> None:
        if result is None:
            return
        self._note_server(server)
        entry = {
            "kind": "prompt",
            "server": base_name(server),
            "prompt": prompt,
            "arguments": redact(arguments),
            "result": dump_model(result),
        }
        self._write(entry, self._secrets(server))
        self._used(server)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def credentials(spec: ServerSpec) -> list[str]:
    """A target's credentials as they could appear in a result: header values (whole and their
    last word), secrets in its URL, and environment values whose names look secret."""
    found: list[str] = []
    for value in spec.headers.values():
        found += [value, *value.split()[-1:]]
    found += url_secrets(spec.url)
    found += [v for k, v in spec.env.items() if looks_secret(k)]
    return sorted({s for s in found if len(s) >= _MIN_SECRET}, key=len, reverse=True)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value
