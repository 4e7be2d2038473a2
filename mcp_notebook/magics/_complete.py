"""Tab completion for ``%mcp`` lines: subcommands, servers, ``server.tool`` names, argument names,
enum values, resource URIs, and prompt / template argument values from the server's
``completion/complete``.

Completion runs while the user types, so it uses cached listings where it can and never waits
long for a server (a short timeout; on any trouble it offers nothing rather than an error).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._commands import COMMANDS

if TYPE_CHECKING:
    from ..api import Hub

__all__ = ["Completer"]

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
    """IPython ``complete_command`` hook for ``%mcp`` and ``%%mcp``."""

    def __init__(self, hub: Hub | Callable[[], Hub]) -> None:
        self._hub = hub

    @property
    def hub(self) -> Hub:
        # A callable is asked on first use, so registering the completer imports nothing heavy.
        from ..api import Hub

        return self._hub if isinstance(self._hub, Hub) else self._hub()

    def __call__(self, shell: Any, event: Any) -> list[str]:
        """IPython calls a ``complete_command`` hook bound to the shell: ``hook(shell, event)``."""
        try:
            line, symbol = event.text_until_cursor, event.symbol
            found = self.complete(line, symbol)
        except Exception:  # completion must never raise into the user's typing
            return []
        # IPython replaces only the symbol (the text after its last delimiter, such as ':' or
        # '='), so each match is trimmed to what follows the part of the word already typed.
        word = "" if not line.strip() or line.endswith((" ", "\t")) else line.split()[-1]
        typed = word[: len(word) - len(symbol)] if symbol and word.endswith(symbol) else word
        return [m[len(typed) :] for m in found if m.startswith(typed)]

    def complete(self, line: str, symbol: str) -> list[str]:
        body = line.lstrip().lstrip("%")
        body = body[3:] if body.startswith("mcp") else body
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
            return self._arguments(sub, positional[0], current, symbol, before)
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
            found = self._run(conn.prompts(timeout=QUICK)) if prompts else self._run(conn.tools(timeout=QUICK))
            out += [f"{conn.name}.{name}" for name in found]
        return sorted(t for t in out if t.startswith(current))

    def _arguments(self, sub: str, target: str, current: str, symbol: str, before: Sequence[str]) -> list[str]:
        server, _, name = target.partition(".")
        try:
            conn = self.hub.registry.get(server)
        except Exception:
            return []
        given = {w.split("=", 1)[0] for w in before if "=" in w}
        params: dict[str, Any]
        if sub == "prompt":
            prompt = self._run(conn.prompts(timeout=QUICK)).get(name)
            params = {a.name: {} for a in (prompt.arguments or [])} if prompt else {}
        else:
            tool = self._run(conn.tools(timeout=QUICK)).get(name)
            params = dict((tool.input_schema or {}).get("properties") or {}) if tool else {}
        if "=" in current:
            key, _, typed = current.partition("=")
            values = _choices(params.get(key) or {})
            if not values and sub == "prompt":
                values = self._server_values(
                    conn, name, key, typed, {w.split("=", 1)[0]: w.split("=", 1)[1] for w in before if "=" in w}
                )
            return [f"{key}={v}" for v in values if v.startswith(typed)]
        return [f"{k}=" for k in params if k not in given and k.startswith(current)]

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
