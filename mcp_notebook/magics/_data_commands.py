"""The ``%mcp`` subcommands for data work: ``map``, ``history``, ``record``, ``find``.
(``connect NAME --replay PATH`` is one of connect's forms, in ``_connect``.)
"""

from __future__ import annotations

from typing import Any

from .._schema import coerce_loose
from ..errors import UsageProblem
from ._command import Context, Handler, command, finish, output_options, resolve_tool, word_text
from ._parse import CommandParser, Word
from ._values import lookup, parse_pairs

__all__: list[str] = []


@command(
    "map",
    "Call a tool once per row of a DataFrame (or list of dicts); the results come back as a DataFrame.",
    usage="%(prog)s SERVER.TOOL --over VAR [--arg KEY=@COLUMN | --arg KEY=VALUE]... [--keep] [--concurrency N] "
    "[--rate R] [--retries N] [--retry-unsafe] [--workers N] [--timeout S] [-o NAME]",
    epilog="KEY=@COLUMN takes each row's value from a column (missing values are left out, so the tool's "
    "default applies); KEY=VALUE is the same for every row (the values of %%mcp call; @@x is the text @x). "
    "Every argument no --arg sets comes from the column of the same name, if any; a required argument "
    "that nothing gives is refused before the first call. The result has the input's index: "
    "the result's fields as columns, then status (ok, tool error, failed, cancelled), error and duration_ms; "
    "--keep puts the input's columns first (one named like a result column becomes input.NAME). "
    "Only tools marked read-only run several rows at once by default (16); any other runs one row at a "
    "time, as servers that rewrite a file per write lose overlapping writes: --concurrency N overlaps them. "
    "Interrupting keeps the finished rows. --retries re-sends rows after transport failures, never after "
    "tool errors. --workers N opens N-1 more connections to the server (NAME~1, ...) and closes them after. "
    "A polars DataFrame gives a polars DataFrame back; a Dask DataFrame a lazy Dask DataFrame, computed on "
    "the active distributed.Client's cluster (or Dask's default scheduler), each worker on its own connection: "
    "there --concurrency counts per worker and --rate for the whole cluster. "
    "Example: %mcp map demo.measure --over groups --arg species=@species --arg delay=0.1 -o measured",
)
def _map(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER.TOOL", help="the tool, e.g. demo.measure")
    parser.add_argument(
        "--over",
        required=True,
        metavar="VAR",
        help="a DataFrame (pandas, polars or Dask) or list of dicts of the notebook",
    )
    parser.add_argument("--arg", action="append", default=[], metavar="KEY=@COLUMN", help="an argument (repeatable)")
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="calls at once (default: 16 for a tool marked read-only, else 1)",
    )
    parser.add_argument("--keep", action="store_true", help="put the input's columns beside the result's")
    parser.add_argument("--rate", type=float, metavar="R", help="at most R calls a second")
    parser.add_argument("--retries", type=int, default=0, metavar="N", help="re-send a row after a transport failure")
    parser.add_argument(
        "--retry-unsafe", action="store_true", help="with --retries: even for a tool not marked idempotent or read-only"
    )
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="connections sharing the rows (default 1)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds each call may take")
    output_options(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        what = f"%mcp map {args.target}"
        server, tool = resolve_tool(ctx, word_text(args.target, ctx, what))
        name = str(args.over).removeprefix("$")
        if not name.isidentifier():
            raise UsageProblem(f"{what}: --over takes the name of a variable (a DataFrame or list of dicts)")
        data = lookup(name, ctx.namespace, what)
        arguments: dict[str, Any] | None = None
        if args.arg:
            arguments, raw = parse_pairs(args.arg, ctx.namespace, what)
            loose = {k: v for k, v in raw.items() if not v.startswith("@")}
            if loose:
                arguments = coerce_loose(server.tool_schema(tool), arguments, loose)
        frame = server.map(
            tool,
            data,
            arguments,
            concurrency=args.concurrency,
            rate=args.rate,
            retries=args.retries,
            retry_unsafe=args.retry_unsafe,
            workers=args.workers,
            timeout=args.timeout,
            keep=args.keep,
        )
        # A pandas frame may carry a note (an interrupt's); a lazy Dask frame or a polars one has none.
        note = frame.attrs.get("note") if type(frame).__module__.startswith("pandas") else None
        if note:
            print(note)
        return finish(ctx, frame, args)

    return run


@command(
    "history",
    "Show the calls made so far (tools, reads, prompts): when, what, arguments (secrets hidden), status, time, size.",
    usage="%(prog)s [--last N] [--clear] [-o NAME] [--df]",
    epilog="It keeps the last MCPMagics.history_limit calls (default 1000). Secret-looking argument values "
    "(token, key, password, ...) show as ***. It is a DataFrame already; --df is accepted for symmetry.",
)
def _history(parser: CommandParser) -> Handler:
    parser.add_argument("--last", type=int, metavar="N", help="only the last N calls")
    parser.add_argument("--clear", action="store_true", help="forget every call so far")
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        if args.clear:
            ctx.hub.history(clear=True)
            return None
        frame = ctx.hub.history()
        if args.last is not None:
            if args.last < 1:
                raise UsageProblem(f"--last takes a number of calls (1 or more), not {args.last}")
            frame = frame.tail(args.last)
        return finish(ctx, frame, args)

    return run


@command(
    "record",
    "Record every call and its result to a JSON Lines file, for replaying without the server.",
    usage="%(prog)s PATH | --stop",
    epilog="Only the servers used while recording (a tool called, a resource read, a prompt got) go in the "
    "file, each with its listings; listing alone is not a use. Replay with %mcp connect NAME --replay PATH, "
    "under any NAME (beside the live server too); --replay-from SERVER picks one when the file holds several. "
    "Secret-looking argument values and the connection's credentials are left out of the file. "
    "Example: %mcp record calls.jsonl ... %mcp record --stop",
)
def _record(parser: CommandParser) -> Handler:
    parser.add_argument("path", nargs="?", help="the file to write (replaced if it exists)")
    parser.add_argument("--stop", action="store_true", help="stop recording and close the file")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        current = ctx.hub.recording
        if args.stop:
            if args.path:
                raise UsageProblem("%mcp record --stop takes no path; it stops the recording running now")
            if current is None or not current.active:
                raise UsageProblem("nothing is being recorded; start with %mcp record PATH")
            return current.stop()
        if not args.path:
            if current is not None and current.active:
                return current
            raise UsageProblem("say where to record: %mcp record PATH (and %mcp record --stop to end)")
        return ctx.hub.record(word_text(args.path, ctx, "PATH"))

    return run


@command(
    "find",
    "Find tools across every connected server by words in their names, titles and descriptions.",
    usage="%(prog)s WORDS... [-o NAME] [--df]",
    epilog="Best matches first. Example: %mcp find species mass",
)
def _find(parser: CommandParser) -> Handler:
    parser.add_argument("words", nargs="+", metavar="WORDS", help="words to look for")
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return finish(ctx, ctx.hub.find([str(w) for w in args.words]), args)

    return run
