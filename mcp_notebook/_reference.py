"""docs/reference.md, generated from the code itself so it cannot go stale.

``python -m mcp_notebook._reference > docs/reference.md`` rewrites it; a test fails when the file
and the code disagree. Sources: every ``%mcp`` subcommand's argparse help, the ``MCPMagics``
traits (``%config``), the events, and the docstrings and signatures of the Python API.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["render"]


def _first_paragraph(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _signature(fn: Callable[..., Any]) -> str:
    try:
        sig = str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"
    # Postponed annotations come back as strings; the quotes are noise in a reference.
    return sig.replace("self, ", "").replace("(self)", "()").replace("'", "")


def _members(cls: type, names: Iterable[str]) -> list[str]:
    lines = []
    for name in names:
        member = inspect.getattr_static(cls, name)
        if isinstance(member, property):
            lines.append(f"- `.{name}` — {_first_paragraph(member) or 'property'}")
        else:
            fn = getattr(cls, name)
            lines.append(f"- `.{name}{_signature(fn)}` — {_first_paragraph(fn)}")
    return lines


def _attributes(cls: type) -> dict[str, object]:
    """The class's own attributes and those it inherits from the package's classes, base first
    (``Server`` is one class written in three files)."""
    found: dict[str, object] = {}
    for klass in reversed(cls.__mro__[:-1]):
        found.update(vars(klass))
    return found


def _public(cls: type) -> list[str]:
    """Public methods and properties; an ``aname`` twin of ``name`` is folded into it."""
    members = _attributes(cls)
    names = []
    for name, member in members.items():
        if name.startswith("_") or not (callable(member) or isinstance(member, property)):
            continue
        if name.startswith("a") and name[1:] in members:
            continue
        names.append(name)
    return names


def render() -> str:
    from . import api, events
    from .background import CallHandle
    from .magics import INTRO, MCPMagics
    from .magics._commands import COMMANDS, summary
    from .results import PromptResult, ResourceResult, ToolResult
    from .tasks import TaskHandle
    from .watch import Watch

    out = [
        "# mcp_notebook reference",
        "",
        "Generated from the code (`python -m mcp_notebook._reference > docs/reference.md`); a test keeps it true.",
        "",
        "## The `%mcp` magic",
        "",
        INTRO.strip(),
        "",
        "```",
        summary(),
        "```",
        "",
    ]
    for name, command in COMMANDS.items():
        out += [f"### `%mcp {name}`", "", "```", command.parser.format_help().strip(), "```", ""]
    out += ["## Settings (`%config MCPMagics.NAME = value`)", ""]
    for name, trait in sorted(MCPMagics.class_traits(config=True).items()):
        default = trait.default_value
        out.append(f"- `{name}` (default `{default!r}`) — {trait.help}")
    out += ["", "## Python API", "", "`import mcp_notebook as mn`", ""]
    for name in (
        "connect",
        "aconnect",
        "connect_config",
        "get",
        "servers",
        "disconnect",
        "disconnect_all",
        "on",
        "history",
        "record",
        "find",
        "logout",
    ):
        fn = getattr(api, name, None)
        if fn is not None:
            out.append(f"- `mn.{name}{_signature(fn)}` — {_first_paragraph(fn)}")
    out.append("- `mn.explore(server=None)` — an explorer widget over the connections (see `%mcp explore`).")
    from .auth import OAuth

    out.append(f"- `mn.OAuth{_signature(OAuth)}` — {_first_paragraph(OAuth)}")
    for cls, title in (
        (api.Server, "`Server` — what `connect` returns"),
        (api.Hub, "`Hub` — the connections, the loop thread and the defaults"),
        (CallHandle, "`CallHandle` — a background call (`server.submit`, `%mcp call --background`)"),
        (Watch, "`Watch` — a subscribed resource (`server.watch`, `%mcp subscribe`)"),
        (TaskHandle, "`TaskHandle` — a task (`server.task`, `server.start_task`, `%mcp task`)"),
        (ToolResult, "`ToolResult`"),
        (ResourceResult, "`ResourceResult`"),
        (PromptResult, "`PromptResult`"),
    ):
        members = _attributes(cls)
        twins = [n for n in members if n.startswith("a") and n[1:] in members and not n.startswith("_")]
        note = [f"Awaitable twins: {', '.join(f'`.{t}()`' for t in twins)}.", ""] if twins else []
        out += ["", f"### {title}", "", _first_paragraph(cls), "", *note, *_members(cls, _public(cls))]
    out += ["", "## Events (`hub.on(event, fn)` / `mn.on`)", "", textwrap.dedent(events.__doc__ or "").strip(), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
