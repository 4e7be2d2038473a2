"""Call history: every tool call, resource read and prompt, kept in memory from the hub's events.

``hub.history()`` / ``mn.history()`` / ``%mcp history`` give it as a DataFrame: when, which
server, what (tool, URI or prompt), the arguments with secret-looking values redacted, the
status (``ok``, ``tool error``, ``failed``, and for calls ended early ``cancelled`` or
``timeout``; ``started`` and ``detached`` for tasks left running), how long it took, how big the
result was (bytes of its JSON), and the task id of a tool that ran as a task. It is bounded: the
oldest entries fall off past ``limit`` (the hub's ``history_limit``, 1000 by default).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .events import Events

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_LIMIT", "Entry", "History", "looks_secret", "redact", "result_size"]

DEFAULT_LIMIT = 1000
REDACTED = "***"
# Words that make a key's value a secret. Matched against the words of the key (api_key, apiKey,
# X-Auth-Token → api/key, api/key, x/auth/token), so "author" or "monkey" are left alone.
_SECRET_WORDS = frozenset(
    {
        "token",
        "key",
        "apikey",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "bearer",
        "cookie",
        "session",
        "signature",
        "otp",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
COLUMNS = ("time", "server", "kind", "name", "arguments", "status", "duration_ms", "result_bytes", "task")
RELATED_TASK = "io.modelcontextprotocol/related-task"


def looks_secret(key: str) -> bool:
    """Whether a key names a secret (``token``, ``api_key``, ``X-Auth-Token``, ``password``, …)."""
    lowered = key.lower()
    if lowered in _SECRET_WORDS or lowered.replace("_", "").replace("-", "") in _SECRET_WORDS:
        return True
    return any(w.lower() in _SECRET_WORDS for w in _WORD.findall(key))


def redact(value: Any) -> Any:
    """``value`` with the values of secret-looking keys replaced by ``***``, at any depth."""
    if isinstance(value, Mapping):
        return {k: REDACTED if looks_secret(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def result_size(result: Any) -> int | None:
    """Bytes of a result's JSON (an SDK model), or None when there is none."""
    if result is None:
        return None
    serializer = getattr(result, "__pydantic_serializer__", None)
    if serializer is None:
        return None
    try:
        return len(serializer.to_json(result, by_alias=True, exclude_none=True))
    except Exception:  # a result that cannot be serialised has no size worth reporting
        return None


@dataclass(frozen=True)
class Entry:
    """One call: ``kind`` is ``tool``, ``resource`` or ``prompt``; ``name`` the tool, URI or prompt."""

    time: float
    server: str
    kind: str
    name: str
    arguments: Any
    status: str
    seconds: float | None
    result_bytes: int | None
    task: str | None = None
    """The id of the task the tool ran as, if it ran as one."""


def task_of(result: Any) -> str | None:
    """The task id a tool result names (``related-task`` in its ``_meta``), if any."""
    related = (getattr(result, "meta", None) or {}).get(RELATED_TASK)
    task = related.get("taskId") if isinstance(related, Mapping) else None
    return task if isinstance(task, str) else None


class History:
    """The last ``limit`` calls, oldest first. Listens to a hub's events (``attach``)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=_check_limit(limit))
        self.dropped = 0
        """How many entries fell off the front since the last ``clear``."""

    @property
    def limit(self) -> int:
        return self._entries.maxlen or 0

    @limit.setter
    def limit(self, value: int) -> None:
        if value == self.limit:
            return
        with self._lock:
            kept = list(self._entries)[-_check_limit(value) :]
            self.dropped += len(self._entries) - len(kept)
            self._entries = deque(kept, maxlen=value)

    def attach(self, events: Events) -> Callable[[], None]:
        """Start recording ``events``; returns a function that stops it."""
        offs = [
            events.on("tool_called", self._on_tool),
            events.on("resource_read", self._on_read),
            events.on("prompt_got", self._on_prompt),
        ]

        def detach() -> None:
            for off in offs:
                off()

        return detach

    def add(self, entry: Entry) -> None:
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def to_dataframe(self) -> pd.DataFrame:
        """The calls as a table, oldest first (``time`` is when each started)."""
        import pandas as pd

        entries = self.entries()
        frame = pd.DataFrame(
            {
                "time": pd.to_datetime([e.time for e in entries], unit="s", utc=True).tz_convert(None),
                "server": pd.array([e.server for e in entries], dtype="string"),
                "kind": pd.array([e.kind for e in entries], dtype="string"),
                "name": pd.array([e.name for e in entries], dtype="string"),
                "arguments": pd.Series([e.arguments for e in entries], dtype=object),
                "status": pd.array([e.status for e in entries], dtype="string"),
                "duration_ms": pd.array(
                    [None if e.seconds is None else round(e.seconds * 1000, 3) for e in entries], dtype="Float64"
                ),
                "result_bytes": pd.array([e.result_bytes for e in entries], dtype="Int64"),
                "task": pd.array([e.task for e in entries], dtype="string"),
            },
            columns=list(COLUMNS),
        )
        frame.attrs["dropped"] = self.dropped
        return frame

    # -- event listeners (they run on the loop thread: quick, and never raising) -------------------

    def _on_tool(
        self,
        *,
        server: str,
        tool: str,
        arguments: Any,
        status: str,
        seconds: float | None = None,
        result: Any = None,
        task: str | None = None,
        **_: Any,
    ) -> None:
        entry = _entry(server, "tool", tool, redact(arguments), status, seconds, result)
        self.add(dataclasses.replace(entry, task=task or task_of(result)))

    def _on_read(
        self,
        *,
        server: str,
        uri: str,
        status: str = "ok",
        seconds: float | None = None,
        result: Any = None,
        **_: Any,
    ) -> None:
        self.add(_entry(server, "resource", uri, None, status, seconds, result))

    def _on_prompt(
        self,
        *,
        server: str,
        prompt: str,
        arguments: Any,
        status: str = "ok",
        seconds: float | None = None,
        result: Any = None,
        **_: Any,
    ) -> None:
        self.add(_entry(server, "prompt", prompt, redact(arguments), status, seconds, result))


def _entry(server: str, kind: str, name: str, arguments: Any, status: str, seconds: float | None, result: Any) -> Entry:
    now = time.time()
    started = now - seconds if seconds is not None else now
    return Entry(started, server, kind, name, arguments, status, seconds, result_size(result))


def _check_limit(value: int) -> int:
    from .errors import UsageProblem

    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageProblem(f"the history limit is a number of calls of at least 1, not {value!r}")
    return value
