"""The two Dask plugins a map over a Dask DataFrame registers on the active ``distributed.Client``.

Imported only when Dask is in use (``distributed`` is an optional extra). Neither carries a secret.

- ``CloseLinks`` (on each worker): when the worker stops, the connections it opened for maps are
  closed, so no stdio server outlives its worker.
- ``Pacer`` (on the scheduler): the one place that spaces the calls of a map with a rate, for
  the whole cluster; each call asks it for a slot (``_dask_worker.pace_slot``).
"""

from __future__ import annotations

import time
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

from ._dask_worker import PACE_HANDLER, close_links, pace_slot

__all__ = ["CloseLinks", "Pacer"]


class CloseLinks(WorkerPlugin):
    """On each worker: close its MCP connections when it stops."""

    name = "mcp-notebook-close-links"
    idempotent = True

    def teardown(self, worker: Any) -> None:
        close_links()


class Pacer(SchedulerPlugin):
    """On the scheduler: hands out each map's call slots, ``1/rate`` seconds apart."""

    name = "mcp-notebook-pacer"
    idempotent = True

    def __init__(self) -> None:
        self.slots: dict[str, float] = {}

    async def start(self, scheduler: Any) -> None:
        scheduler.handlers[PACE_HANDLER] = self.pace

    def pace(self, map_id: str, gap: float) -> float:
        return pace_slot(self.slots, map_id, gap, time.monotonic())
