"""Every ``%mcp`` subcommand, in the order ``%mcp help`` lists them.

Importing the subcommand modules registers their subcommands in ``COMMANDS``; this module imports
them all and puts them in the order users read them, so nothing depends on import order.
"""

from __future__ import annotations

from . import _calls, _connect, _data_commands, _help, _listings, _session, _task_commands  # noqa: F401  (registering)
from ._command import COMMANDS, Command, Context

__all__ = ["COMMANDS", "Command", "Context", "ORDER", "manual", "summary"]

ORDER = (
    "connect",
    "call",
    "app",
    "read",
    "prompt",
    "servers",
    "tools",
    "resources",
    "templates",
    "prompts",
    "config",
    "subscribe",
    "unsubscribe",
    "roots",
    "loglevel",
    "log",
    "explore",
    "reconnect",
    "disconnect",
    "help",
    "map",
    "history",
    "record",
    "find",
    "tasks",
    "task",
    "logout",
)
_rank = {name: i for i, name in enumerate(ORDER)}
for _name in sorted(COMMANDS, key=lambda name: _rank.get(name, len(ORDER))):  # one left out of ORDER: last
    COMMANDS[_name] = COMMANDS.pop(_name)

manual = _help.manual
summary = _help.summary
