"""``%mcp call``, ``%mcp read`` and ``%mcp prompt``: the subcommands that run something on a server
and show its result (or return it as a DataFrame with ``--df``, a polars one with ``--pl``)."""

from __future__ import annotations

from typing import Any

from .._schema import coerce_loose
from ..errors import UsageProblem
from ._command import (
    Context,
    Handler,
    command,
    finish,
    frames_of,
    output_options,
    pick_server,
    resolve_tool,
    server_named,
    timeout_option,
    wants_df,
    word_text,
)
from ._parse import CommandParser, Word
from ._values import parse_body, parse_pairs

__all__: list[str] = []


@command(
    "call",
    "Call a tool. Arguments are key=value words, or a JSON/YAML mapping in the cell body of %%mcp call.",
    takes_body=True,
    usage="%(prog)s SERVER.TOOL [key=value ...] [--df [KEY|FORMAT] | --pl [KEY|FORMAT]] [-o NAME] [--timeout S] "
    "[--background] [--task] [--no-app]\n"
    "       %%%%mcp call SERVER.TOOL [--df [KEY|FORMAT] | --pl [KEY|FORMAT]] [-o NAME] [--timeout S]   "
    "(cell body: JSON or YAML mapping)",
    epilog="Values: key='text' (quoted) is a string, as typed; key={expr} is a Python expression and key=$name "
    "a variable of the notebook (else of the environment), sent as itself; $name inside other text puts its "
    "text in; anything else is JSON where it parses (5, 2.5, true, null, [1, 2], "
    '{"a": 1}), else text; a tool argument typed as a string keeps the text as typed (code=007). '
    "SERVER may be left out when one connected server has the tool. "
    "A tool that must run as a task (MCP tasks) runs as one, and the call waits for it with a live line; "
    "--task asks for a task where tasks are optional. Interrupting a task's wait detaches: the task keeps "
    "running (`%mcp tasks`, `%mcp task SERVER ID --wait`); --background returns its handle at once. "
    "Examples: %mcp call demo.query species=Adelie limit=5 | rows = %mcp call demo.query --df | "
    "people = %mcp call mem.read_graph --df entities | sales = %mcp call fs.read_text_file path=sales.txt --df csv | "
    "stats = %mcp call demo.summarize --pl groups (a polars DataFrame)",
)
def _call(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER.TOOL", help="the tool, e.g. demo.query")
    parser.add_argument("pairs", nargs="*", metavar="key=value", help="tool arguments")
    output_options(parser, pick=True)
    timeout_option(parser)
    parser.add_argument("--retries", type=int, default=0, metavar="N", help="re-send after a transport failure")
    parser.add_argument(
        "--retry-unsafe",
        action="store_true",
        help="with --retries: re-send even a tool not marked idempotent or read-only (it may run twice)",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="return at once with a live handle (progress, Cancel, then the result in place); "
        "for a task, its task handle",
    )
    parser.add_argument(
        "--task", action="store_true", help="run the tool as a task (where the server offers tasks for it)"
    )
    parser.add_argument(
        "--no-app", action="store_true", help="show the result only, not the tool's MCP App (where it has one)"
    )

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        what = f"%mcp call {args.target}"
        if args.background and wants_df(args):
            flag = "--pl" if args.pl is not None else "--df"
            raise UsageProblem(f"{flag} needs the result, which --background does not wait for; use handle.result()")
        server, tool, arguments = _tool_and_arguments(ctx, args, what)
        as_task = True if args.task else None
        if args.background:
            if server.runs_as_task(tool, as_task):  # the task handle: the task outlives the cell, the kernel
                return finish(ctx, server.start_task(tool, arguments, timeout=args.timeout), args)
            return finish(ctx, server.submit(tool, arguments, timeout=args.timeout), args)
        result = server.call(
            tool,
            arguments,
            timeout=args.timeout,
            retries=args.retries,
            retry_unsafe=args.retry_unsafe,
            as_task=as_task,
            app=not args.no_app,
        )
        return finish(ctx, result, args)

    return run


def _tool_and_arguments(ctx: Context, args: Any, what: str) -> tuple[Any, str, dict[str, Any]]:
    """The server, the tool and its arguments (the cell body, then ``key=value`` words)."""
    server, tool = resolve_tool(ctx, word_text(args.target, ctx, what))
    arguments = parse_body(ctx.cell, what) if ctx.cell is not None else {}
    pairs, raw = parse_pairs(args.pairs, ctx.namespace, what)
    arguments.update(pairs)
    if raw:
        arguments = coerce_loose(server.tool_schema(tool), arguments, raw)
    return server, tool, arguments


@command(
    "app",
    "Show a tool's MCP App at once; the call that feeds it runs in the background.",
    takes_body=True,
    usage="%(prog)s SERVER.TOOL [key=value ...] [-o NAME]",
    epilog="Arguments as for %mcp call. The App's view keeps what the user did in it: view.context (what it "
    "last put in the model context), view.messages; close() tears it down. `%mcp call` on such a tool shows "
    "the App too, with the result below it (--no-app: the result only). Example: app = %mcp app demo.explore",
)
def _app(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER.TOOL", help="the tool, e.g. demo.explore")
    parser.add_argument("pairs", nargs="*", metavar="key=value", help="tool arguments")
    output_options(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server, tool, arguments = _tool_and_arguments(ctx, args, f"%mcp app {args.target}")
        return finish(ctx, server.app(tool, arguments), args)

    return run


@command(
    "read",
    "Read a resource (several at once, with several URIs).",
    usage="%(prog)s SERVER URI [URI ...] [--df [KEY|FORMAT] | --pl [KEY|FORMAT]] [-o NAME] [--timeout S]",
    epilog="One URI gives its result (a DataFrame with --df, a polars DataFrame with --pl); several are read "
    "concurrently and give a list of results (with --df or --pl, a dict of URI to DataFrame). "
    "Example: %mcp read demo demo://datasets/penguins.csv --df",
)
def _read(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", nargs="+", help="the resource URIs (`%%mcp resources SERVER` lists them)")
    output_options(parser, pick=True)
    timeout_option(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server = server_named(ctx, args.server)
        uris = [word_text(u, ctx, "URI") for u in args.uri]
        if len(uris) == 1:
            return finish(ctx, server.read(uris[0], timeout=args.timeout), args)
        results = server.read_many(uris, timeout=args.timeout)
        value = frames_of(results, args) if wants_df(args) else results
        args.df = args.pl = None
        return finish(ctx, value, args)

    return run


@command(
    "prompt",
    "Get a prompt filled in with its arguments.",
    takes_body=True,
    usage="%(prog)s SERVER.PROMPT [key=value ...] [-o NAME] [--timeout S]",
    epilog="Example: %mcp prompt demo.analyze dataset=penguins",
)
def _prompt(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER.PROMPT", help="the prompt, e.g. demo.analyze")
    parser.add_argument("pairs", nargs="*", metavar="key=value", help="prompt arguments")
    output_options(parser)
    timeout_option(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        target = word_text(args.target, ctx, f"%mcp prompt {args.target}")
        what = f"%mcp prompt {target}"
        name, dot, prompt = target.partition(".")
        server = pick_server(ctx, name) if dot else pick_server(ctx, None)
        prompt = prompt if dot else target
        if not prompt:
            raise UsageProblem(f"{what}: write SERVER.PROMPT, e.g. demo.analyze")
        arguments = parse_body(ctx.cell, what) if ctx.cell is not None else {}
        arguments.update(parse_pairs(args.pairs, ctx.namespace, what)[0])
        return finish(ctx, server.prompt(prompt, arguments, timeout=args.timeout), args)

    return run
