"""``TaskList``: the tasks a notebook started, as a table (``%mcp tasks``, ``hub.tasks()``)."""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any, ClassVar

from ..listings import Listing
from ._store import TaskRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TaskList"]


def _created(record: TaskRecord) -> _dt.datetime:
    """When the task was created: the server's own time when it said, else when this notebook asked."""
    if record.created_at:
        try:
            when = _dt.datetime.fromisoformat(record.created_at.replace("Z", "+00:00"))
            return when.astimezone().replace(tzinfo=None)
        except ValueError:
            pass
    return _dt.datetime.fromtimestamp(record.started)


class TaskList(Listing[TaskRecord]):
    """One row per task: server, tool, arguments, status, created, ttl (and the id and message)."""

    columns: ClassVar[tuple[str, ...]] = (
        "server",
        "tool",
        "arguments",
        "status",
        "created",
        "ttl",
        "task_id",
        "message",
    )
    noun = "tasks"
    key = "task_id"

    def row(self, item: TaskRecord) -> dict[str, Any]:
        return {
            "server": item.server,
            "tool": item.tool,
            "arguments": json.dumps(item.arguments, ensure_ascii=False, default=str) if item.arguments else "",
            "status": item.status,
            "created": _created(item).isoformat(sep=" ", timespec="seconds"),
            "ttl": _ttl_words(item.ttl_ms),
            "task_id": item.task_id,
            "message": item.message or "",
        }

    def to_dataframe(self) -> pd.DataFrame:
        """The tasks as a DataFrame: ``created`` a timestamp, ``ttl`` a timedelta (NaT: none given)."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "server": pd.array([r.server for r in self.items], dtype="string"),
                "tool": pd.array([r.tool for r in self.items], dtype="string"),
                "arguments": pd.Series([r.arguments for r in self.items], dtype=object),
                "status": pd.array([r.status for r in self.items], dtype="string"),
                "created": pd.to_datetime([_created(r) for r in self.items]),
                "ttl": pd.to_timedelta([r.ttl_ms for r in self.items], unit="ms"),
                "task_id": pd.array([r.task_id for r in self.items], dtype="string"),
                "message": pd.array([r.message for r in self.items], dtype="string"),
            },
            columns=list(self.columns),
        )
        return frame


def _ttl_words(ttl_ms: int | None) -> str:
    if ttl_ms is None:
        return ""
    seconds = ttl_ms / 1000
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
