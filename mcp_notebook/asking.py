"""When a server asks the user: elicitation (a form, or a URL to visit) and sampling (an LLM reply).

Who answers, in this order:

1. the connection's policy, if the user set one: ``on_elicit=`` / ``on_sample=`` callables (sync
   or async), or ``on_elicit="accept-defaults" | "decline" | "cancel"`` (``"ask"``: no policy);
   a connect that says nothing takes the hub's default (``%config MCPMagics.on_elicit``);
2. the call that is waiting for the server: a blocking call asks through ``input()`` in the
   waiting thread (Jupyter shows input boxes, terminals a prompt — widget clicks would never
   arrive while a cell blocks, design.md §3); a background call asks through its widget, if shown;
3. nobody: the request is declined, and the log says why. A run without stdin (``jupyter
   execute``, nbclient, papermill, Voilà) has nobody to ask: the calling cell says so in one line.

The user always sees what the server asked before anything is sent back. This module holds the
question (``Ask``), the policies and the decline words; ``_prompts`` asks in the cell with
``input()``, and ``_input_asker.InputAsker`` is the asker of a blocking call.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import mcp_types as types

__all__ = [
    "CURRENT_ASKER",
    "MAX_TRIES",
    "Ask",
    "Asker",
    "ElicitPolicy",
    "NoStdin",
    "Policy",
    "SamplePolicy",
    "apply_defaults",
    "describe_decline",
]

MAX_TRIES = 5
T = TypeVar("T")


class NoStdin(LookupError):
    """Nobody can be asked: the cell runs without stdin (jupyter execute, nbclient, papermill, Voilà)."""


@dataclass(frozen=True)
class Ask:
    """What a server asked for, as given to ``on_elicit``."""

    server: str
    mode: str
    """``"form"`` (fill ``schema``) or ``"url"`` (consent to visit ``url``)."""
    message: str
    schema: dict[str, Any] = field(default_factory=dict)
    url: str | None = None

    @property
    def domain(self) -> str:
        return urlsplit(self.url or "").hostname or "(no host)"


class Asker(Protocol):
    """Something that can put a server's question to the user."""

    async def elicit(self, ask: Ask) -> types.ElicitResult: ...

    async def sample(
        self, server: str, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | None: ...


CURRENT_ASKER: contextvars.ContextVar[Asker | None] = contextvars.ContextVar("mcp_notebook_asker", default=None)
"""The asker of the call running in this task (2026-07-28 servers ask inside the call's task)."""


# -- pure pieces -----------------------------------------------------------------------------------------


def apply_defaults(schema: Mapping[str, Any], content: Mapping[str, Any]) -> dict[str, Any]:
    """``content`` with the schema's defaults filled in where nothing was given (SEP-1034)."""
    out = dict(content)
    for name, spec in (schema.get("properties") or {}).items():
        if name not in out and isinstance(spec, Mapping) and "default" in spec:
            out[name] = spec["default"]
    return out


ElicitPolicy = Callable[[Ask], Any] | str | None
SamplePolicy = Callable[[list[dict[str, Any]], types.CreateMessageRequestParams], Any] | str | None


class Policy:
    """The user's standing answer: ``on_elicit`` / ``on_sample`` from ``connect(...)``."""

    def __init__(self, on_elicit: ElicitPolicy = None, on_sample: SamplePolicy = None) -> None:
        if isinstance(on_elicit, str) and on_elicit not in ("ask", "accept-defaults", "decline", "cancel"):
            from .errors import UsageProblem

            raise UsageProblem(
                f"on_elicit is a function, or one of 'ask', 'accept-defaults', 'decline', 'cancel' — not {on_elicit!r}"
            )
        if isinstance(on_sample, str) and on_sample not in ("ask", "decline"):
            from .errors import UsageProblem

            raise UsageProblem(f"on_sample is a function, or 'ask' or 'decline' — not {on_sample!r}")
        # "ask" says outright what None leaves to the hub's default: put the question to the user.
        self.on_elicit = None if on_elicit == "ask" else on_elicit
        self.on_sample = None if on_sample == "ask" else on_sample

    async def elicit(self, ask: Ask) -> types.ElicitResult | None:
        """The policy's answer, or None when the policy has nothing to say."""
        rule = self.on_elicit
        if rule is None:
            return None
        if rule == "decline":
            return types.ElicitResult(action="decline")
        if rule == "cancel":
            return types.ElicitResult(action="cancel")
        if rule == "accept-defaults":
            if ask.mode == "url":
                return types.ElicitResult(action="decline")  # never consent to a link unattended
            return types.ElicitResult(action="accept", content=apply_defaults(ask.schema, {}))
        assert callable(rule)
        answer = await _call_user(rule, ask)
        if isinstance(answer, types.ElicitResult):
            return answer
        if answer is None or answer is False or answer == "decline":
            return types.ElicitResult(action="decline")
        if answer == "cancel":
            return types.ElicitResult(action="cancel")
        if answer is True:
            return types.ElicitResult(
                action="accept", content=None if ask.mode == "url" else apply_defaults(ask.schema, {})
            )
        if isinstance(answer, Mapping):
            return types.ElicitResult(action="accept", content=apply_defaults(ask.schema, answer))
        raise TypeError(
            f"on_elicit returned {type(answer).__name__}; return a dict (accept), None (decline) or 'cancel'"
        )

    async def sample(
        self, server: str, params: types.CreateMessageRequestParams
    ) -> tuple[bool, types.CreateMessageResult | None]:
        """(whether the policy decides, its answer: a result, or None to decline)."""
        if self.on_sample is None:
            return False, None
        if isinstance(self.on_sample, str):  # "decline", the one word allowed
            return True, None
        messages = [{"role": m.role, "content": _content_of(m.content)} for m in params.messages]
        answer = await _call_user(self.on_sample, messages, params)
        if answer is None or isinstance(answer, types.CreateMessageResult):
            return True, answer
        if isinstance(answer, str):
            return True, types.CreateMessageResult(
                role="assistant",
                content=types.TextContent(type="text", text=answer),
                model="on_sample",
                stop_reason="endTurn",
            )
        raise TypeError(
            f"on_sample returned {type(answer).__name__}; return the reply text, a CreateMessageResult or None"
        )


def _content_of(content: Any) -> Any:
    """A sampling message's content as a user callback wants it: text as a str, else JSON."""
    if isinstance(content, list):
        return [_content_of(c) for c in content]
    text = getattr(content, "text", None)
    return text if isinstance(text, str) else content.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _call_user(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a user callback: awaited if async, in a worker thread if not (it may call an LLM)."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    if inspect.isawaitable(result):
        return await result
    return result


def describe_decline(kind: str, nobody: LookupError | None = None) -> str:
    """Why a request was declined, for the connection's log."""
    if isinstance(nobody, NoStdin):  # the note the calling cell showed says it all
        return str(nobody)
    return (
        f"declined a {kind} request: no call was waiting to ask the user; pass on_elicit=/on_sample= to "
        "connect(), or run the call without --background"
    )
