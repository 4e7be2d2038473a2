"""Tab completion for ``%mcp`` lines: subcommands, servers, ``server.tool`` names, argument names,
enum values, resource URIs, and prompt / template argument values from the server's
``completion/complete``.

It is an IPython matcher (API v2) that answers only on ``%mcp`` / ``%%mcp`` lines (also
``x = %mcp ...``) and, when it has something to offer, suppresses IPython's other matchers there:
Jedi and the Python matchers would otherwise put 200 builtins ahead of two enum values, and
complete only the text after ``-`` or ``=`` (``ev.get-s`` → ``ev.get-setattr``). It replaces the
whole word being typed, in its own order (required arguments first, enum values as the schema
lists them). Where it has nothing (a free-text value, the command after ``--``), IPython's own
matchers (file names) answer as usual.

Completion runs while the user types, so it uses cached listings where it can and never waits
long for a server (a short timeout; on any trouble it offers nothing rather than an error).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._commands import COMMANDS

if TYPE_CHECKING:
    from ..api import Hub

__all__ = ["MATCHER_ID", "Completer", "install", "uninstall"]

MATCHER_ID = "mcp_notebook.magics"
# An %mcp line as IPython runs it: at the start of a line (indented in a block), or assigned.
_MAGIC_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.\[\]'\", ]*=\s*)?%{1,2}mcp(?=\s)")

SERVER_FIRST = {
    "tools",
    "resources",
    "templates",
    "prompts",
    "log",
    "reconnect",
    "disconnect",
    "explore",
    "loglevel",
    "subscribe",
    "unsubscribe",
    "read",
    "roots",
}
QUICK = 2.0  # seconds a completion may wait on a server


class Completer:
    """Completes ``%mcp`` and ``%%mcp`` lines; ``install`` puts it among a shell's matchers."""

    def __init__(self, hub: Hub | Callable[[], Hub]) -> None:
        self._hub = hub

    @property
    def hub(self) -> Hub:
        # A callable is asked on first use, so registering the completer imports nothing heavy.
        from ..api import Hub

        return self._hub if isinstance(self._hub, Hub) else self._hub()

    def __call__(self, context: Any) -> dict[str, Any]:
        """IPython's matcher API v2: ``context`` is a ``CompletionContext``."""
        from IPython.core.completer import SimpleCompletion

        line = context.text_until_cursor
        if context.cursor_line != 0 and context.full_text.split("\n", 1)[0].lstrip().startswith("%%mcp"):
            return {"completions": []}  # the body of a %%mcp cell is JSON or YAML, not a command line
        match = _MAGIC_LINE.match(line)
        if match is None:
            return {"completions": []}
        try:
            found = self.complete(line[match.end() :])
        except Exception:  # completion must never raise into the user's typing
            found = []
        if not found:
            return {"completions": []}  # IPython's own matchers (file names) may still help
        fragment = re.search(r"\S*\Z", line)
        return {
            "completions": [SimpleCompletion(text, type="mcp") for text in found],
            "matched_fragment": fragment.group() if fragment else "",
            "suppress": True,
            "ordered": True,
        }

    def complete(self, body: str) -> list[str]:
        """Whole-word completions of the last word of ``body`` (the line after ``%mcp``)."""
        try:
            words = shlex.split(body)
        except ValueError:
            words = body.split()
        if body.endswith((" ", "\t")) or not words:
            words.append("")
        current = words[-1]
        before = words[:-1]
        if not before:
            return sorted(c for c in COMMANDS if c.startswith(current))
        sub = before[0]
        if current.startswith("-"):
            parser = COMMANDS[sub].parser if sub in COMMANDS else None
            options = [o for a in (parser._actions if parser else []) for o in a.option_strings]
            return sorted(o for o in options if o.startswith(current))
        positional = [w for w in before[1:] if not w.startswith("-") and "=" not in w]
        if sub in ("call", "prompt", "map"):
            if not positional:
                return self._targets(current, prompts=sub == "prompt")
            return self._arguments(sub, positional[0], current, before)
        if sub in SERVER_FIRST and not positional:
            return sorted(n for n in self.hub.registry.names() if n.startswith(current))
        if sub in ("read", "subscribe", "unsubscribe") and len(positional) == 1:
            return self._uris(positional[0], current)
        if sub == "loglevel" and len(positional) == 1:
            from ..api import LOG_LEVELS

            return [level for level in LOG_LEVELS if level.startswith(current)]
        if sub == "help" and not positional:
            return sorted(c for c in COMMANDS if c.startswith(current))
        return []

    # -- pieces -----------------------------------------------------------------------------------------

    def _run(self, coro: Any) -> Any:
        return self.hub.runtime.run(coro, timeout=QUICK)

    def _targets(self, current: str, prompts: bool) -> list[str]:
        out = []
        for conn in self.hub.registry.all():
            if conn.state.value != "ready":
                continue
            try:
                found = self._run(conn.prompts(timeout=QUICK)) if prompts else self._run(conn.tools(timeout=QUICK))
            except Exception:  # one slow or broken server does not hide the others' names
                continue
            out += [f"{conn.name}.{name}" for name in found]
        return sorted(t for t in out if t.startswith(current))

    def _arguments(self, sub: str, target: str, current: str, before: Sequence[str]) -> list[str]:
        server, _, name = target.partition(".")
        try:
            conn = self.hub.registry.get(server)
        except Exception:
            return []
        given = {w.split("=", 1)[0] for w in before if "=" in w}
        params: dict[str, Any]
        required: set[str]
        if sub == "prompt":
            prompt = self._run(conn.prompts(timeout=QUICK)).get(name)
            params = {a.name: {} for a in (prompt.arguments or [])} if prompt else {}
            required = {a.name for a in (prompt.arguments or []) if a.required} if prompt else set()
        else:
            tool = self._run(conn.tools(timeout=QUICK)).get(name)
            schema = (tool.input_schema or {}) if tool else {}
            params = dict(schema.get("properties") or {})
            required = set(schema.get("required") or [])
        if "=" in current:
            key, _, typed = current.partition("=")
            values = _choices(params.get(key) or {})
            if not values and sub == "prompt":
                values = self._server_values(
                    conn, name, key, typed, {w.split("=", 1)[0]: w.split("=", 1)[1] for w in before if "=" in w}
                )
            return [f"{key}={v}" for v in values if v.startswith(typed)]
        # The required arguments first, each group in the schema's order.
        names = sorted(params, key=lambda k: k not in required)
        return [f"{k}=" for k in names if k not in given and k.startswith(current)]

    def _server_values(self, conn: Any, prompt: str, key: str, typed: str, context: dict[str, str]) -> list[str]:
        import mcp_types as types

        client = conn.client
        caps = conn.capabilities
        if client is None or caps is None or not caps.completions:
            return []
        ref = types.PromptReference(type="ref/prompt", name=prompt)
        result = self._run(client.complete(ref, {"name": key, "value": typed}, context or None))
        return [str(v) for v in result.completion.values]

    def _uris(self, server: str, current: str) -> list[str]:
        try:
            conn = self.hub.registry.get(server)
        except Exception:
            return []
        resources = self._run(conn.resources(timeout=QUICK))
        uris = [str(r.uri) for r in resources]
        return sorted(u for u in uris if u.startswith(current))


def _choices(spec: Any) -> list[str]:
    """Enum values of a property schema, looking inside anyOf/oneOf branches (Optional[Literal])."""
    if not isinstance(spec, dict):
        return []
    values = [str(v) for v in spec.get("enum") or []]
    values += [str(spec["const"])] if "const" in spec else []
    for key in ("anyOf", "oneOf"):
        for branch in spec.get(key) or []:
            values += _choices(branch)
    items = spec.get("items")
    if isinstance(items, dict):
        values += _choices(items)
    return list(dict.fromkeys(values))


def install(shell: Any, completer: Completer) -> None:
    """Put ``completer`` first among the shell's matchers (once; a second load replaces it)."""
    from IPython.core.completer import context_matcher

    uninstall(shell)

    def mcp_lines(context: Any) -> Any:
        return completer(context)

    # Highest priority, so it runs first and its suppression of the other matchers takes effect.
    matcher = context_matcher(identifier=MATCHER_ID, priority=100)(mcp_lines)
    shell.Completer.custom_matchers.insert(0, matcher)


def uninstall(shell: Any) -> None:
    """Take this package's matcher out of the shell's completer."""
    matchers = shell.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID]
