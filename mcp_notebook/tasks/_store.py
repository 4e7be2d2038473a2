"""The tasks a notebook started, kept on disk so a restarted kernel can pick them up again.

One file per notebook, ``<Jupyter data dir>/mcp_notebook/tasks/<notebook>-<hash>.json``, owner-only
like the OAuth tokens (folder ``0700``, file ``0600``, written whole and renamed into place). The
notebook is the one Jupyter names in ``JPY_SESSION_NAME`` (the kernel's notebook path); a kernel
started without one (a console, nbclient) uses its working folder instead.

Each record holds what reattaching needs and nothing secret: the server's name and its target as
``ServerSpec.describe()`` shows it (secrets already ``***``), the tool, its arguments with
secret-looking values redacted (for display: they are never sent again), the task id, the
protocol form, and the status last seen. Results are not kept: the server keeps them (its ttl).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._private_files import write_private_json
from ..call_history import redact

__all__ = ["TaskRecord", "TaskStore", "notebook_name", "tasks_dir"]

FORMAT = "mcp-notebook-tasks"
VERSION = 1
MAX_RECORDS = 500
MAX_ARGUMENTS = 4000  # characters of JSON kept per record's arguments (display only)


def tasks_dir() -> Path:
    """``<Jupyter data dir>/mcp_notebook/tasks``."""
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:  # pragma: no cover - jupyter_core comes with any kernel
        base = Path.home() / ".local" / "share" / "jupyter"
    return base / "mcp_notebook" / "tasks"


def notebook_name() -> str:
    """The notebook this kernel runs (Jupyter's ``JPY_SESSION_NAME``), else its working folder."""
    name = os.environ.get("JPY_SESSION_NAME")
    return name if name else os.path.join(os.getcwd(), "(kernel without a notebook name)")


def _file_name(notebook: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(notebook).stem or "notebook").strip("_")[:60] or "notebook"
    return f"{stem}-{hashlib.sha256(notebook.encode()).hexdigest()[:16]}.json"


@dataclasses.dataclass
class TaskRecord:
    """One task as kept on disk."""

    server: str
    task_id: str
    tool: str
    form: str
    target: str = ""
    arguments: Any = None
    status: str = "working"
    message: str | None = None
    created_at: str | None = None
    """When the server created it (its own ISO time), if it said."""
    started: float = dataclasses.field(default_factory=time.time)
    """When this notebook asked for it (epoch seconds)."""
    ttl_ms: int | None = None
    poll_ms: int | None = None
    updated: float = dataclasses.field(default_factory=time.time)
    http_session: str | None = None
    """The MCP session (Streamable HTTP) a 2025-11-25 task was started in: such servers may keep
    tasks per session, so a restarted kernel goes back to that session for it."""
    picked_up: bool = False
    """Whether its result was fetched (then its session need not be kept for it)."""

    @classmethod
    def from_json(cls, data: Any) -> TaskRecord | None:
        if not isinstance(data, Mapping):
            return None
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        if not all(isinstance(values.get(k), str) and values[k] for k in ("server", "task_id", "tool", "form")):
            return None
        try:
            return cls(**values)
        except TypeError:
            return None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def safe_arguments(arguments: Any) -> Any:
    """Arguments as a record keeps them: secret-looking values redacted, and bounded."""
    redacted = redact(arguments or {})
    text = json.dumps(redacted, ensure_ascii=False, default=str)
    if len(text) > MAX_ARGUMENTS:
        return {"(truncated)": text[:MAX_ARGUMENTS]}
    return json.loads(text)


class TaskStore:
    """The task records of one notebook. ``path`` defaults to this notebook's file under ``tasks_dir()``."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(path) if path is not None else None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = tasks_dir() / _file_name(notebook_name())
        return self._path

    def records(self) -> list[TaskRecord]:
        """Every record, oldest first."""
        with self._lock:
            return self._load()

    def get(self, server: str, task_id: str) -> TaskRecord | None:
        for record in self.records():
            if record.server == server and record.task_id == task_id:
                return record
        return None

    def save(self, record: TaskRecord) -> None:
        """Add the record, or replace the one for the same server and task."""
        record.updated = time.time()
        with self._lock:
            kept = [r for r in self._load() if (r.server, r.task_id) != (record.server, record.task_id)]
            kept.append(record)
            self._write(_bounded(kept))

    def forget(self, server: str, task_id: str) -> bool:
        with self._lock:
            records = self._load()
            kept = [r for r in records if (r.server, r.task_id) != (server, task_id)]
            if len(kept) == len(records):
                return False
            self._write(kept)
            return True

    def _load(self) -> list[TaskRecord]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError:
            return []
        try:
            data = json.loads(text)
        except ValueError:
            return []  # a damaged file is as good as none: the tasks are still on their servers
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            return []
        found = [TaskRecord.from_json(item) for item in data.get("tasks") or []]
        return [r for r in found if r is not None]

    def _write(self, records: list[TaskRecord]) -> None:
        body = {
            "format": FORMAT,
            "version": VERSION,
            "notebook": notebook_name(),
            "tasks": [r.to_json() for r in records],
        }
        write_private_json(self.path, body)

    def __repr__(self) -> str:
        return f"<TaskStore {self.path}>"


def _bounded(records: list[TaskRecord]) -> list[TaskRecord]:
    """At most ``MAX_RECORDS``: the oldest finished tasks go first, then the oldest of any."""
    if len(records) <= MAX_RECORDS:
        return records
    extra = len(records) - MAX_RECORDS
    finished = [r for r in records if r.status in ("completed", "failed", "cancelled")][:extra]
    gone = {id(r) for r in finished}
    kept = [r for r in records if id(r) not in gone]
    return kept[len(kept) - MAX_RECORDS :]
