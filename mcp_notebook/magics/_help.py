"""``%mcp help``, the summary of every subcommand, and the magic's whole manual (``%mcp?``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import UsageProblem, did_you_mean
from ._command import COMMANDS, Context, Handler, command
from ._parse import CommandParser, Word

__all__ = ["manual", "summary"]


@command("help", "Show the help of one subcommand, or a summary of all.", usage="%(prog)s [SUBCOMMAND]")
def _help(parser: CommandParser) -> Handler:
    parser.add_argument("subcommand", nargs="?", help="a subcommand, e.g. call")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> None:
        name = args.subcommand
        if name is None:
            print(summary())
        elif name in COMMANDS:
            print(COMMANDS[name].parser.format_help())
        else:
            raise UsageProblem(f"no subcommand {name!r}{did_you_mean(name, COMMANDS, '`%mcp help` lists them')}")

    return run


def summary() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["%mcp SUBCOMMAND ...   (`%mcp help SUBCOMMAND` for details, `%mcp?` for the whole manual)", ""]
    lines += [f"  {name.ljust(width)}  {cmd.summary}" for name, cmd in COMMANDS.items()]
    return "\n".join(lines)


def manual(intro: str) -> str:
    """The magic's docstring: the intro, then every subcommand's generated help."""
    sections: Sequence[str] = [cmd.parser.format_help().strip() for cmd in COMMANDS.values()]
    return intro.rstrip() + "\n\n" + summary() + "\n\n" + "\n\n".join(sections) + "\n"


# The data-work subcommands (map, history, record, find, connect --replay) and OAuth (connect --oauth,
# logout) live in their own modules; importing them registers them.
