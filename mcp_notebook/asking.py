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

The user always sees what the server asked before anything is sent back.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import mcp_types as types

from ._runtime import Inbox

__all__ = [
    "Ask",
    "Asker",
    "CURRENT_ASKER",
    "InputAsker",
    "NoStdin",
    "Policy",
    "apply_defaults",
    "ask_form",
    "ask_sample",
    "ask_url",
]

MAX_TRIES = 5
T = TypeVar("T")


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


def _choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]]:
    if isinstance(spec.get("enum"), list):
        names = spec.get("enumNames") if isinstance(spec.get("enumNames"), list) else None
        return [(v, str(names[i]) if names and i < len(names) else str(v)) for i, v in enumerate(spec["enum"])]
    for key in ("oneOf", "anyOf"):
        branches = spec.get(key)
        if isinstance(branches, list) and branches and all(isinstance(b, Mapping) and "const" in b for b in branches):
            return [(b["const"], str(b.get("title") or b["const"])) for b in branches]
    return []


def _prompt_for(name: str, spec: Mapping[str, Any], required: bool) -> str:
    title = spec.get("title") or name
    kind = spec.get("type", "string")
    bits = [f"{kind}" + (f", {spec['format']}" if spec.get("format") else "")]
    if spec.get("description"):
        bits.append(str(spec["description"]))
    choices = _choices(spec) or (_choices(spec["items"]) if isinstance(spec.get("items"), Mapping) else [])
    text = f"{title}{' *' if required else ''} ({'; '.join(bits)})"
    if choices:
        text += " — " + ", ".join(f"{i}) {label}" for i, (_v, label) in enumerate(choices, 1))
        if kind == "array":
            text += " (several: 1,3)"
    if "default" in spec:
        text += f" [default: {json.dumps(spec['default'])}]"
    return text + ": "


def _read_value(text: str, spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type", "string")
    choices = _choices(spec)
    if choices:
        return _pick(text, choices)
    if kind == "array":
        item_choices = _choices(spec.get("items") or {})
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [_pick(p, item_choices) if item_choices else p for p in parts]
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("y", "yes", "true", "1"):
            return True
        if lowered in ("n", "no", "false", "0"):
            return False
        raise ValueError("answer yes or no")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("a whole number, please") from None
    if kind == "number":
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise ValueError("a number, please") from None
    return text


def _pick(text: str, choices: list[tuple[Any, str]]) -> Any:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1][0]
    for value, label in choices:
        if text == str(value) or text.lower() == label.lower():
            return value
    raise ValueError(f"pick one of: {', '.join(label for _v, label in choices)}")


def _check(value: Any, spec: Mapping[str, Any]) -> None:
    import jsonschema

    try:
        jsonschema.validate(value, dict(spec), format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as e:
        raise ValueError(e.message) from None


ReadFn = Callable[[str], str]
WriteFn = Callable[[str], None]


def _io(read: ReadFn | None, write: WriteFn | None) -> tuple[ReadFn, WriteFn]:
    # Looked up at call time, so a kernel's (or a test's) replacement of input() is the one used.
    return (read if read is not None else input), (write if write is not None else print)


def ask_form(ask: Ask, read: ReadFn | None = None, write: WriteFn | None = None) -> types.ElicitResult:
    """Put a form request to the user one field at a time; defaults fill what they leave empty."""
    read, write = _io(read, write)
    write(f"\n🔸 {ask.server} asks: {ask.message}")
    action = _choose(read, write)
    if action != "accept":
        return types.ElicitResult(action=action)
    props = ask.schema.get("properties") or {}
    required = set(ask.schema.get("required") or [])
    content: dict[str, Any] = {}
    for name, spec in props.items():
        spec = spec if isinstance(spec, Mapping) else {}
        for _attempt in range(MAX_TRIES):
            text = read(_prompt_for(name, spec, name in required)).strip()
            if not text:
                if "default" in spec or name not in required:
                    break
                write("  this one is required")
                continue
            try:
                value = _read_value(text, spec)
                _check(value, spec)
            except ValueError as e:
                write(f"  {e}")
                continue
            content[name] = value
            break
        else:
            write("  too many tries; cancelling")
            return types.ElicitResult(action="cancel")
    return types.ElicitResult(action="accept", content=apply_defaults(ask.schema, content))


Action = Literal["accept", "decline", "cancel"]
_CHOICES: dict[str, Action] = {"": "accept", "y": "accept", "yes": "accept", "n": "decline", "no": "decline"}
_CHOICES |= {"d": "decline", "decline": "decline", "c": "cancel", "cancel": "cancel"}


def _choose(read: ReadFn, write: WriteFn) -> Action:
    """Whether to answer the form: ``accept``, ``decline`` or ``cancel``. Anything else is asked
    again: an answer meant for a field (a name typed too soon) must not be taken as yes, or every
    later answer would land in the wrong field."""
    for _attempt in range(MAX_TRIES):
        choice = read("Answer it? [Y]es / [n]o, decline / [c]ancel: ").strip().lower()
        if choice in _CHOICES:
            return _CHOICES[choice]
        write(f"  {choice[:40]!r} is not a choice: y (fill in the form), n (decline) or c (cancel)")
    write("  too many tries; cancelling")
    return "cancel"


def ask_url(ask: Ask, read: ReadFn | None = None, write: WriteFn | None = None) -> types.ElicitResult:
    """Show where a URL leads, ask for consent; only then show (and try to open) the link."""
    read, write = _io(read, write)
    write(f"\n🔸 {ask.server} asks you to visit a page on  >>> {ask.domain} <<<")
    write(f"   why: {ask.message}")
    choice = read(f"Open the link to {ask.domain}? [y]es / [N]o: ").strip().lower()
    if choice not in ("y", "yes"):
        return types.ElicitResult(action="decline")
    write(f"   {ask.url}")
    try:
        import webbrowser

        webbrowser.open(ask.url or "", new=2)
    except Exception:  # a kernel without a browser: the printed link is the way
        pass
    return types.ElicitResult(action="accept")


def ask_sample(
    server: str, params: types.CreateMessageRequestParams, read: ReadFn | None = None, write: WriteFn | None = None
) -> types.CreateMessageResult | None:
    """Show the conversation a server wants a reply to; the user types the reply (or declines)."""
    read, write = _io(read, write)
    write(f"\n🔸 {server} asks for an LLM reply (up to {params.max_tokens} tokens) to:")
    if params.system_prompt:
        write(f"   [system] {params.system_prompt}")
    for message in params.messages:
        content = message.content
        text = getattr(content, "text", None) or f"[{getattr(content, 'type', 'content')}]"
        write(f"   [{message.role}] {text}")
    reply = read("Your reply (empty to decline): ")
    if not reply.strip():
        return None
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text=reply), model="human", stop_reason="endTurn"
    )


# -- askers ------------------------------------------------------------------------------------------------


class NoStdin(LookupError):
    """Nobody can be asked: the cell runs without stdin (jupyter execute, nbclient, papermill, Voilà)."""


def stdin_available() -> bool:
    """Whether ``input()`` can reach a person in this cell (False in a kernel run without stdin)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: input() reads the terminal or a pipe
        return True
    kernel = getattr(get_ipython(), "kernel", None)
    # ipykernel records, per execute request, whether the front end takes input requests.
    return getattr(kernel, "_allow_stdin", True) is not False


def _no_stdin(error: BaseException) -> bool:
    """Whether ``error`` is ``input()`` saying there is no one to ask (no stdin, or it is closed)."""
    return isinstance(error, (NoStdin, EOFError)) or type(error).__name__ == "StdinNotImplementedError"


_HOW = {
    "elicit": ("input", "--on-elicit (on_elicit=)", "on_elicit"),
    "url": ("you to open a link", "--on-elicit (on_elicit=)", "on_elicit"),
    "sample": ("an LLM reply", "--on-sample (on_sample=)", "on_sample"),
}


def no_stdin_note(server: str, kind: str) -> str:
    """The one line a cell shows when a server's question is declined for want of stdin."""
    what, option, trait = _HOW[kind]
    return (
        f"declined {server}'s request for {what}: this run has no stdin to ask you (jupyter execute, "
        f"papermill, Voilà); to answer unattended, connect with {option} or set %config MCPMagics.{trait}"
    )


class InputAsker:
    """Asks through ``input()`` in the thread that waits on the call (via its inbox)."""

    MAX_NOTES = 20  # server warnings shown in one call's cell; a flood goes to the log only

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._notes = 0
        self._no_stdin = False  # learnt on the first question; later ones are declined at once

    async def _in_caller(self, fn: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()

        def run() -> None:
            try:
                value = fn()
            except BaseException as e:
                loop.call_soon_threadsafe(_settle, answer, None, e)
                if isinstance(e, KeyboardInterrupt):
                    raise  # the waiting call is interrupted: it cancels the request
                return
            loop.call_soon_threadsafe(_settle, answer, value, None)

        self.inbox.post(run)
        return await answer

    async def in_caller(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (it may print and call ``input()``) in the waiting thread; its value."""
        result: T = await self._in_caller(fn)
        return result

    async def _ask(self, server: str, kind: str, fn: Callable[[], T]) -> T:
        """``fn()`` in the waiting thread, unless nobody can answer there: then ``NoStdin``, and
        the cell says so (once a call)."""
        note = no_stdin_note(server, kind)

        def put() -> T:
            if not stdin_available():
                raise NoStdin(note)
            return fn()

        if not self._no_stdin:
            try:
                result: T = await self._in_caller(put)
                return result
            except Exception as e:
                if not _no_stdin(e):
                    raise
                self._no_stdin = True
                self.notify(note)
        raise NoStdin(note)

    async def elicit(self, ask: Ask) -> types.ElicitResult:
        if ask.mode == "url":
            return await self._ask(ask.server, "url", lambda: ask_url(ask))
        return await self._ask(ask.server, "elicit", lambda: ask_form(ask))

    async def sample(self, server: str, params: types.CreateMessageRequestParams) -> types.CreateMessageResult | None:
        return await self._ask(server, "sample", lambda: ask_sample(server, params))

    def notify(self, text: str) -> None:
        """Show a line (a server warning) in the waiting caller's cell, at most ``MAX_NOTES`` a call."""
        import sys

        self._notes += 1
        if self._notes > self.MAX_NOTES:
            if self._notes == self.MAX_NOTES + 1:
                server = text[1:].split(" ", 1)[0]
                self.inbox.post(lambda: print(f"… more warnings from {server}: `%mcp log {server}`", file=sys.stderr))
            return
        self.inbox.post(lambda: print(text, file=sys.stderr))


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error if isinstance(error, Exception) else asyncio.CancelledError())
    else:
        future.set_result(value)


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
    if isinstance(nobody, NoStdin):
        return str(nobody)
    return (
        f"declined a {kind} request: no call was waiting to ask the user; pass on_elicit=/on_sample= to "
        "connect(), or run the call without --background"
    )
