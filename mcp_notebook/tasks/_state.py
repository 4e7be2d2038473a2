"""A task as the server last described it, in one shape for both protocol forms.

The 2025-11-25 form says ``ttl`` and ``pollInterval``; the 2026-07-28 extension says ``ttlMs`` and
``pollIntervalMs`` and inlines the final ``result``, the ``error`` of a failed task and the
``inputRequests`` of one that waits for input. ``TaskState.from_wire`` reads either, and refuses
what is not a task (a server's reply is checked, never trusted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidResult

__all__ = ["STATUSES", "TERMINAL", "TaskState"]

STATUSES = ("working", "input_required", "completed", "failed", "cancelled")
TERMINAL = frozenset({"completed", "failed", "cancelled"})
MAX_MESSAGE = 500  # a status message is one line for a person, not a payload
MAX_ID = 256  # task ids are handles (UUIDs, hashes), kept in files and shown in lines


@dataclass(frozen=True)
class TaskState:
    """One snapshot of a task: its id, status, the server's message, and its timing hints."""

    task_id: str
    status: str
    message: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    ttl_ms: int | None = None
    poll_ms: int | None = None
    result: Mapping[str, Any] | None = None
    """The final result, inlined by the 2026-07-28 extension once ``completed``."""
    error: Mapping[str, Any] | None = None
    """The JSON-RPC error of a ``failed`` task (2026-07-28 extension)."""
    input_requests: Mapping[str, Any] | None = None
    """What the server asks while ``input_required`` (2026-07-28 extension), by key."""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def from_wire(cls, data: Any, what: str) -> TaskState:
        """Read a task object (either form); ``what`` names the request in the error."""
        if not isinstance(data, Mapping):
            raise InvalidResult(f"{what}: the server's reply is not a task (a {type(data).__name__})")
        task_id = data.get("taskId")
        status = data.get("status")
        if not isinstance(task_id, str) or not task_id:
            raise InvalidResult(f"{what}: the server's task has no taskId")
        if len(task_id) > MAX_ID or not task_id.isprintable():
            raise InvalidResult(f"{what}: the server's taskId is not a usable id ({len(task_id)} characters)")
        if status not in STATUSES:
            raise InvalidResult(
                f"{what}: the server gave task {task_id[:40]} the status {str(status)[:40]!r}, "
                f"which is none of {', '.join(STATUSES)}"
            )
        message = data.get("statusMessage")
        return cls(
            task_id=task_id,
            status=str(status),
            message=message[:MAX_MESSAGE] if isinstance(message, str) and message else None,
            created_at=_text(data.get("createdAt")),
            updated_at=_text(data.get("lastUpdatedAt")),
            ttl_ms=_millis(data.get("ttlMs", data.get("ttl"))),
            poll_ms=_millis(data.get("pollIntervalMs", data.get("pollInterval"))),
            result=_mapping(data.get("result")),
            error=_mapping(data.get("error")),
            input_requests=_mapping(data.get("inputRequests")),
        )


def _text(value: Any) -> str | None:
    return value[:64] if isinstance(value, str) and value else None


def _millis(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return int(value)


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
