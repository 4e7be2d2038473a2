"""What every ``%mcp`` subcommand is made of: a parser, a short function, the ``Context`` it runs in,
and the few helpers they share (``-o``/``--df``/``--pl``, naming a server, reading a word by the ``$`` rule).

A subcommand module declares each subcommand with ``@command(name, summary, ...)``; the function
it decorates fills in the parser and returns the handler. Handlers call the Python API (``Hub``,
``Server``) and nothing below it, so the magics and the explorer cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import text_tables
from ..errors import NotConnected, UsageProblem
from ..other_frames import POLARS_EXTRA
from ._parse import CommandParser, Word
from ._values import text_word

if TYPE_CHECKING:
    from ..hub import Hub
    from ..server import Server

__all__ = [
    "COMMANDS",
    "Command",
    "Context",
    "Handler",
    "command",
    "finish",
    "frame_of",
    "frames_of",
    "output_options",
    "pick_server",
    "resolve_tool",
    "server_named",
    "timeout_option",
    "wants_df",
    "word_text",
]


@dataclass
class Context:
    """What a subcommand may use: the hub, the notebook's namespace, and the cell body."""

    hub: Hub
    namespace: Mapping[str, Any]
    store: Callable[[str, Any], None]
    cell: str | None = None


Handler = Callable[[Context, Any, list[Word] | None], Any]


@dataclass(frozen=True)
class Command:
    parser: CommandParser
    run: Handler
    summary: str
    takes_body: bool = False


COMMANDS: dict[str, Command] = {}


def command(name: str, summary: str, *, takes_body: bool = False, **parser_kwargs: Any) -> Callable[..., Any]:
    """Register a subcommand; the decorated function receives the parser to fill in first."""

    def register(build: Callable[[CommandParser], Handler]) -> Handler:
        parser = CommandParser(name, description=summary, **parser_kwargs)
        handler = build(parser)
        COMMANDS[name] = Command(parser, handler, summary, takes_body)
        return handler

    return register


def output_options(parser: CommandParser, df: bool = False, pick: bool = False) -> None:
    """``-o NAME``; ``--df`` (a DataFrame); with ``pick``, ``--df KEY|FORMAT`` to choose the table,
    and ``--pl KEY|FORMAT`` for the same table as a polars DataFrame."""
    parser.add_argument(
        "-o", "--out", metavar="NAME", help="store the result in the variable NAME instead of showing it"
    )
    if pick:
        parser.add_argument(
            "--df",
            nargs="?",
            const="",
            default=None,
            metavar="KEY|FORMAT",
            help="return a pandas DataFrame instead of the result object. KEY picks one table where there "
            "are several (a dotted path: --df entities, --df data.items); FORMAT says how to read text: "
            f"{', '.join(text_tables.FORMATS)}",
        )
        parser.add_argument(
            "--pl",
            nargs="?",
            const="",
            default=None,
            metavar="KEY|FORMAT",
            help="return a polars DataFrame instead of the result object: the table --df gives, chosen "
            f"the same way (needs {POLARS_EXTRA})",
        )
        parser.rewrite = _df_words
    elif df:
        parser.add_argument("--df", action="store_true", help="return a pandas DataFrame instead of the result object")


# A word after --df is its KEY or FORMAT only when it reads as one: key=value pairs and URIs
# (`%mcp call t --df a=1`, `%mcp read s --df x://y`) stay the command's own words.
_TABLE_KEY = re.compile(r"[A-Za-z_][\w-]*(\.[\w-]+)*(\[\d+\])?\Z")


def _df_words(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--df", "--pl"):
            following = words[i + 1] if i + 1 < len(words) else None
            if following is not None and _TABLE_KEY.match(following):
                out.append(f"{word}={following}")
                i += 2
                continue
            out.append(f"{word}=")
        else:
            out.append(word)
        i += 1
    return out


def timeout_option(parser: CommandParser, what: str = "the request") -> None:
    parser.add_argument("--timeout", type=float, metavar="S", help=f"seconds {what} may take")


def wants_df(args: Any) -> bool:
    """Whether ``--df`` or ``--pl`` asks for a frame instead of the result (both at once is a mistake)."""
    df, pl = getattr(args, "df", None) not in (None, False), getattr(args, "pl", None) is not None
    if df and pl:
        raise UsageProblem("--df gives a pandas DataFrame and --pl a polars one; give one of them")
    return df or pl


def _table_choice(args: Any) -> tuple[str, Any]:
    """(the method that makes the frame, the KEY or FORMAT word) of ``--df`` or ``--pl``."""
    if getattr(args, "pl", None) is not None:
        return "to_polars", args.pl
    return "to_dataframe", args.df


def frame_of(result: Any, args: Any) -> Any:
    """``--df``/``--pl``: the result's frame; ``--df FORMAT`` reads its text so; ``--df KEY`` picks a table."""
    method, choice = _table_choice(args)
    make = getattr(result, method)
    if not isinstance(choice, str) or not choice:
        return make()
    if choice in text_tables.FORMATS:
        return make(format=choice)
    return make(choice)


def frames_of(results: Any, args: Any) -> Any:
    """``--df``/``--pl`` over several reads: ``{uri: frame}``, each read (or picked) the same way."""
    method, choice = _table_choice(args)
    to = "polars" if method == "to_polars" else "pandas"
    if not choice:
        return results.to_dataframes(to=to)
    if choice in text_tables.FORMATS:
        return results.to_dataframes(format=choice, to=to)
    return results.to_dataframes(choice, to=to)


def finish(ctx: Context, result: Any, args: Any) -> Any:
    """Apply --df/--pl and -o: return what the cell shows (None when stored)."""
    # a DataFrame (history) has no to_dataframe: it is one already
    value = frame_of(result, args) if wants_df(args) and hasattr(result, "to_dataframe") else result
    if getattr(args, "out", None):
        name = args.out
        if not name.isidentifier():
            raise UsageProblem(f"-o takes a variable name, not {name!r}")
        ctx.store(name, value)
        return None
    return value


def pick_server(ctx: Context, name: str | None) -> Server:
    if name:
        return server_named(ctx, name)
    names = ctx.hub.names()
    if len(names) == 1:
        return ctx.hub.get(names[0])
    if not names:
        raise NotConnected("nothing is connected yet; try `%mcp connect demo`")
    raise UsageProblem(f"which server? name one of: {', '.join(names)}")


def word_text(word: str, ctx: Context, what: str) -> str:
    """A word that is text (a name, SERVER.TOOL, a URI, a path, a connect word), read by the one
    rule for ``$`` and ``{}`` (``_values.DOLLAR_RULE``)."""
    return text_word(word, ctx.namespace, what)


def server_named(ctx: Context, word: str) -> Server:
    """The connected server a SERVER word names (``$name`` and ``{expr}`` read as text)."""
    return ctx.hub.get(word_text(word, ctx, "SERVER"))


def resolve_tool(ctx: Context, target: str) -> tuple[Server, str]:
    """The server and tool a ``SERVER.TOOL`` word names (a bare tool name when one server has it)."""
    return ctx.hub.resolve_tool(target)
