"""The claim that makes ``io.modelcontextprotocol/tasks`` work: ``TasksExtension``, the SDK
``ClientExtension`` whose result claim takes a ``resultType: "task"`` answer and follows the task
(``_runner``) to its result, or hands it over (``HANDOVER``) to the caller that shows it."""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim

from ._extension import HANDOVER, IDENTIFIER, CreatedTask, TaskCreated
from ._runner import follow_quietly

__all__ = ["TasksExtension"]


async def _resolve(task: CreatedTask, ctx: ClaimContext) -> types.CallToolResult:
    if HANDOVER.get():
        raise TaskCreated(task)
    return await follow_quietly(ctx.session, task.state(), ctx.tool_name)


class TasksExtension(ClientExtension):
    """The client side of ``io.modelcontextprotocol/tasks``: declares it and claims ``resultType: "task"``."""

    identifier = IDENTIFIER

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=_resolve)]
