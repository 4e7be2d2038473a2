"""What a server asks of the client, and how one connection answers: elicitation, sampling, roots,
and the log messages it sends.

A ``ServerRequests`` belongs to one connection and holds what those answers depend on: the
answer policy the user chose, the roots offered, the log level asked for, and the askers of the
calls in flight. Its ``on_*`` methods are the callbacks handed to ``mcp.Client``; they run on the
loop, in the SDK's tasks.

Who answers a question (``asking``): 2026-07-28 servers ask inside the call's own task, so a
context variable finds the call's asker; older servers send their request on the connection's
own task, so the newest call in flight that has an asker takes it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from ._failures import SAMPLING_DECLINED, SAMPLING_DECLINED_TEXT, compact_json
from ._log import LOUD_LEVELS, ConnectionLog, level_rank
from ._schema import SchemaChecker
from .asking import CURRENT_ASKER, Ask, Asker, Policy, describe_decline
from .errors import UsageProblem
from .events import Events

__all__ = ["ServerRequests", "policy_words"]


class ServerRequests:
    """One connection's answers to what its server asks, and its handling of server log messages."""

    def __init__(
        self,
        name: str,
        log: ConnectionLog,
        events: Events,
        *,
        policy: Policy | None,
        roots: list[str] | None,
        log_level: str | None,
    ) -> None:
        self.name = name
        self.log = log
        self.events = events
        self.policy = policy or Policy()
        self.roots: list[str] = list(roots or ())
        """Folders offered to the server as roots (absolute paths or URIs); none unless the user named some."""
        self.offers_roots = bool(self.roots)
        """Whether the session declares the roots capability: fixed when it starts."""
        self.log_level = log_level
        """The server log level asked for now; messages below it are dropped."""
        self.checker = SchemaChecker()
        self._askers: list[Asker] = []  # askers of the calls in flight, newest last

    # -- who answers --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def asking(self, asker: Asker | None) -> Iterator[None]:
        """Within this block (a call's coroutine), server questions go to ``asker``."""
        if asker is None:
            yield
            return
        token = CURRENT_ASKER.set(asker)
        self._askers.append(asker)
        try:
            yield
        finally:
            self._askers.remove(asker)
            CURRENT_ASKER.reset(token)

    def asker(self) -> Asker | None:
        """The asker of the call this question belongs to (see the module's docstring)."""
        return CURRENT_ASKER.get() or (self._askers[-1] if self._askers else None)

    def _notify(self, text: str) -> None:
        notify = getattr(self.asker(), "notify", None)
        if notify is not None:
            notify(text)

    # -- the callbacks ------------------------------------------------------------------------------

    async def on_elicit(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult | types.ErrorData:
        if isinstance(params, types.ElicitRequestURLParams):
            ask = Ask(self.name, "url", params.message, url=params.url)
            self.log.add("client", f"asks to open a link on {ask.domain}: {params.message}")
        else:
            ask = Ask(self.name, "form", params.message, schema=dict(params.requested_schema or {}))
            self.log.add("client", f"asks for input: {params.message}")
        answer = await self.policy.elicit(ask)
        rule = self.policy.on_elicit if answer is not None else None
        if answer is None:
            asker = self.asker()
            try:
                if asker is None:
                    raise LookupError("no asker")
                answer = await asker.elicit(ask)
            except LookupError as nobody:
                why = describe_decline("form" if ask.mode == "form" else "link", nobody)
                self.log.add("client", why, "warning")
                return types.ElicitResult(action="decline")
        if answer.action == "accept" and ask.mode == "form":
            problems = self.checker.field_errors(ask.schema, answer.content or {})
            if problems:
                why = _unfit_answer(self.name, ask.schema, problems, rule)
                self.log.add("client", why, "warning")
                self._notify(why)  # the server will only say "cancelled": the cell says why
                return types.ElicitResult(action="cancel")
        self.log.add("client", f"answered: {answer.action}")
        return answer

    async def on_sample(
        self, context: Any, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | types.ErrorData:
        self.log.add("client", f"asks for an LLM reply ({len(params.messages)} messages)")
        decided, answer = await self.policy.sample(self.name, params)
        if not decided:
            asker = self.asker()
            try:
                if asker is None:
                    raise LookupError("no asker")
                answer = await asker.sample(self.name, params)
            except LookupError as nobody:
                self.log.add("client", describe_decline("sampling", nobody), "warning")
        if answer is None:
            self.log.add("client", "sampling declined")
            return types.ErrorData(code=SAMPLING_DECLINED, message=SAMPLING_DECLINED_TEXT)
        self.log.add("client", "sampling answered")
        return answer

    async def on_list_roots(self, context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[_root(r) for r in self.roots])

    async def on_list_roots_undeclared(self, context: Any) -> types.ListRootsResult:
        # A session that did not declare roots offers none, even to a server that asks anyway.
        self.log.add("client", "the server asked for roots, which this connection does not offer: sent none")
        return types.ListRootsResult(roots=[])

    async def on_log_message(self, params: types.LoggingMessageNotificationParams) -> None:
        if level_rank(params.level) < level_rank(self.log_level):
            return  # below the chosen level (servers without logging/setLevel send everything)
        data = params.data if isinstance(params.data, str) else compact_json(params.data)
        who = f"[{params.logger}] " if params.logger else ""
        self.log.add("server", f"{who}{data}", params.level)
        self.events.emit("log", server=self.name, level=params.level, text=self.log.scrub(f"{who}{data}"))
        if params.level in LOUD_LEVELS:
            self._notify(self.log.scrub(f"[{self.name} {params.level}] {who}{data}"))

    # -- what a repeated connect may change ----------------------------------------------------------

    async def set_roots(self, roots: list[str], client: Client | None) -> None:
        """Offer these folders from now on; ``client``, if given, tells its (2025-era) server.

        Whether a session offers roots at all is declared when it starts, so a connection made
        without roots cannot gain them, and one made with roots cannot drop the last: servers may
        keep the last roots they were given (server-filesystem does). Both are refused with the fix.
        """
        self.check_roots(roots)
        if roots == self.roots:
            return
        self.roots = roots
        self.log.add("client", f"roots: {', '.join(roots)}")
        if client is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # the spec deprecates roots in 2026-07-28
                await client.send_roots_list_changed()

    def check_roots(self, roots: list[str]) -> None:
        """Refuse a roots change the session cannot make (see ``set_roots``)."""
        if roots and not self.offers_roots:
            raise UsageProblem(
                f"{self.name!r} was connected without roots, so it keeps to its own folders and cannot be "
                f"offered any mid-session; `%mcp disconnect {self.name}` and connect again with --root DIR "
                "(roots=[...]) to offer some"
            )
        if not roots and self.offers_roots:
            raise UsageProblem(
                f"that would take {self.name!r}'s last root away, but a server may keep the last roots it was "
                f"given (server-filesystem does); offer another first, or `%mcp disconnect {self.name}` and "
                "connect again without --root"
            )

    def changes(self, policy: Policy, roots: list[str]) -> list[str]:
        """What a repeated connect with ``policy`` and ``roots`` changes, in words (refusing what it cannot)."""
        changes: list[str] = []
        if roots != self.roots:
            if bool(roots) != self.offers_roots:
                had = "with" if self.offers_roots else "without"
                raise UsageProblem(
                    f"{self.name!r} is connected {had} roots, and whether a session offers roots is fixed when it "
                    f"starts; `%mcp disconnect {self.name}` first, then connect again"
                )
            changes.append(f"--root {' '.join(roots)} (was {' '.join(self.roots)})")
        for option, new, old in (
            ("--on-elicit", policy.on_elicit, self.policy.on_elicit),
            ("--on-sample", policy.on_sample, self.policy.on_sample),
        ):
            if new != old:
                changes.append(f"{option} {policy_words(new)} (was {policy_words(old)})")
        return changes


def _unfit_answer(
    server: str, schema: Mapping[str, Any], problems: list[tuple[tuple[str, ...], str]], rule: Any
) -> str:
    """One line: why an answer to a form was cancelled instead of sent."""
    if rule == "accept-defaults":
        props = schema.get("properties") or {}
        missing = [path[0] for path, why in problems if why == "required" and len(path) == 1]
        bare = [name for name in missing if not (isinstance(props.get(name), Mapping) and "default" in props[name])]
        if bare:
            fields = ", ".join(repr(name) for name in bare)
            return (
                f"cancelled the answer to {server}'s form: accept-defaults has no value for {fields} (required, "
                "no default); to answer it yourself connect with --on-elicit ask (on_elicit='ask'), or give "
                "--on-elicit a function that fills it"
            )
    path, why = problems[0]
    return f"cancelled the answer to {server}'s form: it does not fit the form ({'.'.join(path)}: {why})"


def _root(path_or_uri: str) -> types.Root:
    if "://" in path_or_uri:
        return types.Root.model_validate({"uri": path_or_uri})
    path = Path(path_or_uri).expanduser().resolve()
    return types.Root.model_validate({"uri": path.as_uri(), "name": path.name or str(path)})


def policy_words(rule: Any) -> str:
    """An answer policy as the user gave it: ``ask``, a word, or ``{function}``."""
    if rule is None:
        return "ask"
    if isinstance(rule, str):
        return rule
    return "{" + str(getattr(rule, "__name__", "function")) + "}"
