"""The SDK's ``Client``, with the two adjustments this package needs, and nothing else.

- A result without ``resultType`` is a complete one. The 2026-07-28 spec (basic/index,
  "ResultType"): clients MUST treat an absent ``resultType`` as ``"complete"``; the SDK refuses
  such a result on a 2026-07-28 session (``Field required``), and the server's answer would be
  lost. Servers of that era have shipped without it.
- A result that breaks its tool's output schema is kept, marked, instead of lost: the SDK checks
  structured content against ``outputSchema`` and raises, which would throw the server's answer
  away; ``keep_invalid_results`` records the problem and lets the result through, and the result
  is shown as invalid with everything the server sent.
"""

from __future__ import annotations

import contextlib
from typing import Any

import mcp_types as types
from mcp import Client
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from . import tasks

__all__ = ["SessionClient", "keep_invalid_results"]


class SessionClient(Client):
    """``mcp.Client`` reading a result without ``resultType`` as a complete one."""

    async def _build_session(self, exit_stack: contextlib.AsyncExitStack) -> Any:
        session = await super()._build_session(exit_stack)
        dispatcher: Any = session._dispatcher  # its send_raw_request is replaced on this instance only
        send = dispatcher.send_raw_request

        async def send_raw_request(method: str, params: Any, opts: Any = None) -> dict[str, Any]:
            raw: dict[str, Any] = await send(method, params, opts)
            if (
                isinstance(raw, dict)
                and "resultType" not in raw
                and session.protocol_version in MODERN_PROTOCOL_VERSIONS
            ):
                raw = {**raw, "resultType": "complete"}
            return raw

        dispatcher.send_raw_request = send_raw_request
        tasks.install(session)  # 2025-11-25 tasks: the client capability, the reverse direction, task progress
        return session


def keep_invalid_results(client: Client, problems: dict[int, str]) -> None:
    """Let results that break their output schema through; ``problems[id(result)]`` says why."""
    session: Any = client.session  # validate_tool_result is replaced on this instance only
    check = session.validate_tool_result

    async def record(name: str, result: types.CallToolResult) -> None:
        try:
            await check(name, result)
        except RuntimeError as e:
            problems[id(result)] = str(e)

    session.validate_tool_result = record
