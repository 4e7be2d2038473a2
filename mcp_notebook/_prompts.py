"""Asking in the cell with ``input()``: a form field by field, consent before a link is shown, and
the conversation a server wants an LLM reply to. Each reads and writes through functions it is
given (``input`` and ``print`` by default), so tests can answer for the user.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Literal

import mcp_types as types

from ._schema import choices
from .asking import MAX_TRIES, Ask, apply_defaults

__all__ = ["ReadFn", "WriteFn", "ask_form", "ask_sample", "ask_url"]


def _choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]]:
    return [(value, title or str(value)) for value, title in choices(spec)]


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
