"""A hub's tasks: where they are kept, and which one an interrupt just detached.

The interrupt of a blocking call arrives in the waiting thread; the task it detaches is known on
the loop thread. The follower posts a note to the caller's inbox, which the runtime runs in the
waiting thread while the cancelled call winds down, before it raises ``Interrupted``. So the note
is kept per thread, and ``Server._run`` trades the ``Interrupted`` for ``Detached`` when there is
one.
"""

from __future__ import annotations

import threading

from ..errors import Interrupted
from ._store import TaskRecord, TaskStore

__all__ = ["Detached", "TaskBook"]


class Detached(Interrupted):
    """An interrupt while waiting for a task: the cell stops, the task keeps running on the server.

    Still a ``KeyboardInterrupt`` (the rest of the cell does not run); shown as one line that
    names the task and how to pick it up again.
    """

    def __init__(self, server: str, tool: str, task_id: str, seconds: float) -> None:
        super().__init__(f"{server}.{tool}", seconds)
        self.server = server
        self.tool = tool
        self.task_id = task_id

    def __str__(self) -> str:
        return (
            f"detached from {self.server}.{self.tool} after {self.seconds:.1f} s; task {self.task_id} keeps "
            f"running on {self.server}: `%mcp task {self.server} {self.task_id} --wait` picks it up "
            f"(server.task({self.task_id!r}).result())"
        )


class TaskBook:
    """The durable records (``store``), the ttl asked for new tasks, and the detach notes."""

    def __init__(self, store: TaskStore | None = None) -> None:
        self._store = store
        self.ttl_ms: int | None = None
        """The ``ttl`` (milliseconds) asked for tasks this hub starts; None: the server decides."""
        self._local = threading.local()

    @property
    def store(self) -> TaskStore:
        """Where this notebook's task records live (made on first use: the file is only read then)."""
        if self._store is None:
            self._store = TaskStore()
        return self._store

    @store.setter
    def store(self, store: TaskStore) -> None:
        self._store = store

    # -- detach notes (each in the thread that waited) -------------------------------------------------

    def note_detached(self, record: TaskRecord, seconds: float) -> None:
        """Called in the waiting thread (through its inbox) when its wait for a task was interrupted."""
        self._local.detached = Detached(record.server, record.tool, record.task_id, seconds)

    def forget_detached(self) -> None:
        self._local.detached = None

    def take_detached(self) -> Detached | None:
        """The ``Detached`` of this thread's last interrupted wait, once."""
        found: Detached | None = getattr(self._local, "detached", None)
        self._local.detached = None
        return found
