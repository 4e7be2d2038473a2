"""The ``%mcp`` subcommands: one parser and one short function each.

Each function parses its words, calls the Python API (``api.Hub`` / ``api.Server``) and returns
what the cell should show. No function here talks to a session or the runtime directly, so the
magics and the explorer cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import config, text_tables
from .._schema import coerce_loose
from ..errors import NotConnected, UsageProblem
from ._parse import CommandParser, Word, evaluate, parse_body, parse_pairs, text_word

if TYPE_CHECKING:
    from ..api import Hub, Server

__all__ = ["COMMANDS", "Context", "manual"]


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


def _output_options(parser: CommandParser, df: bool = False, pick: bool = False) -> None:
    """``-o NAME``; ``--df`` (a DataFrame); with ``pick``, ``--df KEY|FORMAT`` to choose the table."""
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
        if word == "--df":
            following = words[i + 1] if i + 1 < len(words) else None
            if following is not None and _TABLE_KEY.match(following):
                out.append(f"--df={following}")
                i += 2
                continue
            out.append("--df=")
        else:
            out.append(word)
        i += 1
    return out


def _timeout_option(parser: CommandParser, what: str = "the request") -> None:
    parser.add_argument("--timeout", type=float, metavar="S", help=f"seconds {what} may take")


def _wants_df(args: Any) -> bool:
    return getattr(args, "df", None) not in (None, False)


def _frame(result: Any, choice: Any) -> Any:
    """``--df``: the result's DataFrame; ``--df FORMAT`` reads its text so; ``--df KEY`` picks a table."""
    if not isinstance(choice, str) or not choice:
        return result.to_dataframe()
    if choice in text_tables.FORMATS:
        return result.to_dataframe(format=choice)
    return result.to_dataframe(choice)


def _frames(results: Any, choice: Any) -> Any:
    """``--df`` over several reads: ``{uri: DataFrame}``, each read (or picked) the same way."""
    if not choice:
        return results.to_dataframes()
    if choice in text_tables.FORMATS:
        return results.to_dataframes(format=choice)
    return results.to_dataframes(choice)


def _finish(ctx: Context, result: Any, args: Any) -> Any:
    """Apply --df and -o: return what the cell shows (None when stored)."""
    # a DataFrame (history) has no to_dataframe: it is one already
    value = _frame(result, args.df) if _wants_df(args) and hasattr(result, "to_dataframe") else result
    if getattr(args, "out", None):
        name = args.out
        if not name.isidentifier():
            raise UsageProblem(f"-o takes a variable name, not {name!r}")
        ctx.store(name, value)
        return None
    return value


def _pick_server(ctx: Context, name: str | None) -> Server:
    if name:
        return _server(ctx, name)
    names = ctx.hub.registry.names()
    if len(names) == 1:
        return ctx.hub.get(names[0])
    if not names:
        raise NotConnected("nothing is connected yet; try `%mcp connect demo`")
    raise UsageProblem(f"which server? name one of: {', '.join(names)}")


def _text(word: str, ctx: Context, what: str) -> str:
    """A word that is text (a name, SERVER.TOOL, a URI, a path, a connect word), read by the one
    rule for ``$`` and ``{}`` (``_parse.DOLLAR_RULE``)."""
    return text_word(word, ctx.namespace, what)


def _server(ctx: Context, word: str) -> Server:
    """The connected server a SERVER word names (``$name`` and ``{expr}`` read as text)."""
    return ctx.hub.get(_text(word, ctx, "SERVER"))


# -- connect ----------------------------------------------------------------------------------------


def _answer_policies(ctx: Context, args: Any) -> dict[str, Any]:
    """``on_elicit=`` / ``on_sample=`` from ``--on-elicit`` / ``--on-sample``: a word, or ``{fn}``."""
    found: dict[str, Any] = {}
    for option, key, words in (
        ("--on-elicit", "on_elicit", ("ask", "accept-defaults", "decline", "cancel")),
        ("--on-sample", "on_sample", ("ask", "decline")),
    ):
        word = getattr(args, key)
        if word is None:
            continue
        if isinstance(word, Word) and word.startswith("{") and word.endswith("}"):
            value = evaluate(word[1:-1], ctx.namespace, option)
            if not callable(value):
                raise UsageProblem(f"{option} {word}: {type(value).__name__} is not a function")
            found[key] = value
        elif str(word) in words:
            found[key] = str(word)
        else:
            raise UsageProblem(f"{option} is one of {', '.join(words)} or {{a_function}}, not {str(word)!r}")
    return found


@command(
    "connect",
    "Connect to an MCP server and give it a name.",
    usage="%(prog)s NAME [--env K=V]... [--cwd DIR] [--root DIR]... [--timeout S] -- COMMAND [ARGS...]\n"
    "       %(prog)s NAME URL [--header 'K: V']... [--sse] [--root DIR]... [--timeout S]\n"
    "       %(prog)s --config PATH [NAME ...]\n"
    "       %(prog)s demo",
    epilog="Every word may use $name (or ${name}): the notebook's variable, else the kernel's environment "
    "variable; $$ is a literal $; {expr} alone is Python (the $ rule at the top of %mcp?). Keep secrets in "
    "the environment: header and environment values never appear in tables, logs or errors. "
    "No folder is offered to the server as a root unless named with --root (a server such as "
    "server-filesystem then reads those folders instead of the ones on its command line). "
    "Connecting again to the same target applies the --on-elicit, --on-sample and --root given now. "
    "Examples: %mcp connect demo | %mcp connect time -- mcp-server-time | "
    "%mcp connect web http://127.0.0.1:8000/mcp --header 'Authorization: Bearer $TOKEN' | "
    "%mcp connect --config ~/.cursor/mcp.json (Claude Desktop, Claude Code .mcp.json, VS Code mcp.json, Cursor)",
)
def _connect(parser: CommandParser) -> Handler:
    parser.add_argument(
        "words",
        nargs="*",
        metavar="NAME [URL]",
        help="the name to call the server by, and an http(s) URL for a remote server "
        "(with --config: the names of the file's servers to connect; default all)",
    )
    parser.add_argument("--config", metavar="PATH", help="connect servers declared in a host config file")
    parser.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="environment variable for a stdio server"
    )
    parser.add_argument("--cwd", metavar="DIR", help="working directory of a stdio server")
    parser.add_argument("--header", action="append", default=[], metavar="'K: V'", help="HTTP header (repeatable)")
    parser.add_argument("--sse", action="store_true", help="use the legacy HTTP+SSE transport")
    parser.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="offer this folder to the server as a root (repeatable; default: none)",
    )
    _timeout_option(parser, "starting the server and the handshake")
    answers = parser.add_argument_group(
        "Unattended answers",
        "What to answer when the server asks (elicitation, sampling) with nobody to ask — or always, "
        "instead of asking: for scripts, CI and recorded runs. Default: ask in the cell.",
    )
    answers.add_argument(
        "--on-elicit",
        metavar="POLICY",
        help="ask | accept-defaults | decline | cancel | {fn} (a function of the request: a dict accepts, None "
        "declines); without it, %%config MCPMagics.on_elicit (default: ask)",
    )
    answers.add_argument(
        "--on-sample",
        metavar="POLICY",
        help="ask | decline | {fn} (a function of the messages and parameters: the reply); without it, "
        "%%config MCPMagics.on_sample (default: ask)",
    )

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        timeout: dict[str, Any] = {"timeout": args.timeout} if args.timeout is not None else {}
        timeout.update(_answer_policies(ctx, args))
        if args.root:
            timeout["roots"] = [_text(w, ctx, "--root") for w in args.root]
        if args.config:
            if command_words is not None or args.env or args.cwd or args.header or args.sse:
                raise UsageProblem("--config takes server names only; the file says how to start each one")
            path = _text(args.config, ctx, "--config")
            connected = ctx.hub.connect_config(path, [_text(w, ctx, "NAME") for w in args.words] or None, **timeout)
            return ctx.hub.servers([s.name for s in connected])
        if not args.words:
            raise UsageProblem("name the server: %mcp connect NAME ... (or %mcp connect demo)")
        if len(args.words) > 2:
            extra = " ".join(str(w) for w in args.words[2:])
            raise UsageProblem(f"unexpected {extra!r}: a stdio server's command goes after `--`")
        name = _text(args.words[0], ctx, "NAME")
        args.url = args.words[1] if len(args.words) == 2 else None
        if command_words is not None:
            if args.url:
                raise UsageProblem(f"give {name!r} either a URL or `-- COMMAND`, not both")
            if args.header or args.sse:
                raise UsageProblem("--header and --sse are for URLs; a stdio server takes --env and --cwd")
            if not command_words:
                raise UsageProblem(f"nothing after `--`: %mcp connect {name} -- COMMAND [ARGS...]")
            env = dict(config.parse_env_pair(_text(w, ctx, "--env")) for w in args.env)
            cwd = _text(args.cwd, ctx, "--cwd") if args.cwd else None
            words = [_text(w, ctx, "the command") for w in command_words]
            return ctx.hub.connect(name, command=words, env=env, cwd=cwd, **timeout)
        if args.env or args.cwd:
            raise UsageProblem("--env and --cwd are for stdio servers (`-- COMMAND`), not URLs")
        if args.url:
            headers = dict(config.parse_header(_text(h, ctx, "--header")) for h in args.header)
            url = _text(args.url, ctx, "the URL")
            return ctx.hub.connect(name, url=url, headers=headers, sse=args.sse, **timeout)
        if args.header or args.sse:
            raise UsageProblem(f"--header and --sse need a URL: %mcp connect {name} URL --header 'K: V'")
        if name != config.DEMO_NAME:
            raise UsageProblem(
                f"say what {name!r} is: `%mcp connect {name} -- COMMAND [ARGS...]` for a local program, "
                f"`%mcp connect {name} URL` for a remote one, or `%mcp connect demo` for the demo server"
            )
        return ctx.hub.connect(name, **timeout)

    return run


# -- calling ------------------------------------------------------------------------------------------


@command(
    "call",
    "Call a tool. Arguments are key=value words, or a JSON/YAML mapping in the cell body of %%mcp call.",
    takes_body=True,
    usage="%(prog)s SERVER.TOOL [key=value ...] [--df [KEY|FORMAT]] [-o NAME] [--timeout S] [--background] [--task]\n"
    "       %%%%mcp call SERVER.TOOL [--df [KEY|FORMAT]] [-o NAME] [--timeout S]   (cell body: JSON or YAML mapping)",
    epilog="Values: key='text' (quoted) is a string, as typed; key={expr} is a Python expression and key=$name "
    "a variable of the notebook (else of the environment), sent as itself; $name inside other text puts its "
    "text in; anything else is JSON where it parses (5, 2.5, true, null, [1, 2], "
    '{"a": 1}), else text; a tool argument typed as a string keeps the text as typed (code=007). '
    "SERVER may be left out when one connected server has the tool. "
    "A tool that must run as a task (MCP tasks) runs as one, and the call waits for it with a live line; "
    "--task asks for a task where tasks are optional. Interrupting a task's wait detaches: the task keeps "
    "running (`%mcp tasks`, `%mcp task SERVER ID --wait`); --background returns its handle at once. "
    "Examples: %mcp call demo.query species=Adelie limit=5 | rows = %mcp call demo.query --df | "
    "people = %mcp call mem.read_graph --df entities | sales = %mcp call fs.read_text_file path=sales.txt --df csv",
)
def _call(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER.TOOL", help="the tool, e.g. demo.query")
    parser.add_argument("pairs", nargs="*", metavar="key=value", help="tool arguments")
    _output_options(parser, pick=True)
    _timeout_option(parser)
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

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        what = f"%mcp call {args.target}"
        if args.background and _wants_df(args):
            raise UsageProblem("--df needs the result, which --background does not wait for; use handle.result()")
        server, tool = _resolve_tool(ctx, _text(args.target, ctx, what))
        arguments = parse_body(ctx.cell, what) if ctx.cell is not None else {}
        pairs, raw = parse_pairs(args.pairs, ctx.namespace, what)
        arguments.update(pairs)
        if raw:
            arguments = coerce_loose(server.tool_schema(tool), arguments, raw)
        as_task = True if args.task else None
        if args.background:
            if server.runs_as_task(tool, as_task):  # the task handle: the task outlives the cell, the kernel
                return _finish(ctx, server.start_task(tool, arguments, timeout=args.timeout), args)
            return _finish(ctx, server.submit(tool, arguments, timeout=args.timeout), args)
        result = server.call(
            tool,
            arguments,
            timeout=args.timeout,
            retries=args.retries,
            retry_unsafe=args.retry_unsafe,
            as_task=as_task,
        )
        return _finish(ctx, result, args)

    return run


def _resolve_tool(ctx: Context, target: str) -> tuple[Server, str]:
    registry = ctx.hub.registry
    # "server.tool" needs no trip to the loop; only a bare tool name means asking every server.
    found = registry.resolve_known(target) or ctx.hub.run(lambda inbox: registry.resolve_tool(target))
    conn, tool = found
    return ctx.hub.get(conn.name), tool


@command(
    "read",
    "Read a resource (several at once, with several URIs).",
    usage="%(prog)s SERVER URI [URI ...] [--df [KEY|FORMAT]] [-o NAME] [--timeout S]",
    epilog="One URI gives its result (a DataFrame with --df); several are read concurrently and give a "
    "list of results (with --df, a dict of URI to DataFrame). "
    "Example: %mcp read demo demo://datasets/penguins.csv --df",
)
def _read(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", nargs="+", help="the resource URIs (`%%mcp resources SERVER` lists them)")
    _output_options(parser, pick=True)
    _timeout_option(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server = _server(ctx, args.server)
        uris = [_text(u, ctx, "URI") for u in args.uri]
        if len(uris) == 1:
            return _finish(ctx, server.read(uris[0], timeout=args.timeout), args)
        results = server.read_many(uris, timeout=args.timeout)
        value = _frames(results, args.df) if _wants_df(args) else results
        args.df = None
        return _finish(ctx, value, args)

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
    _output_options(parser)
    _timeout_option(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        target = _text(args.target, ctx, f"%mcp prompt {args.target}")
        what = f"%mcp prompt {target}"
        name, dot, prompt = target.partition(".")
        server = _pick_server(ctx, name) if dot else _pick_server(ctx, None)
        prompt = prompt if dot else target
        if not prompt:
            raise UsageProblem(f"{what}: write SERVER.PROMPT, e.g. demo.analyze")
        arguments = parse_body(ctx.cell, what) if ctx.cell is not None else {}
        arguments.update(parse_pairs(args.pairs, ctx.namespace, what)[0])
        return _finish(ctx, server.prompt(prompt, arguments, timeout=args.timeout), args)

    return run


# -- listings -------------------------------------------------------------------------------------------


@command(
    "servers",
    "List the connections: name, state, transport, protocol, server name and version, target, roots.",
    usage="%(prog)s [-o NAME] [--df]",
)
def _servers(parser: CommandParser) -> Handler:
    _output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return _finish(ctx, ctx.hub.servers(), args)

    return run


@command(
    "tools",
    "List a server's tools (every server's, with no SERVER).",
    usage="%(prog)s [SERVER] [--refresh] [-o NAME] [--df]",
)
def _tools(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server's name (default: all servers)")
    parser.add_argument("--refresh", action="store_true", help="ask the server again instead of using the cached list")
    _output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        if args.server:
            return _finish(ctx, _server(ctx, args.server).tools(refresh=args.refresh), args)
        if not ctx.hub.registry.names():
            raise NotConnected("nothing is connected yet; try `%mcp connect demo`")
        return _finish(ctx, ctx.hub.all_tools(), args)

    return run


def _listing_command(name: str, summary: str, method: str) -> None:
    @command(name, summary, usage="%(prog)s [SERVER] [--refresh] [-o NAME] [--df]")
    def _build(parser: CommandParser) -> Handler:
        parser.add_argument("server", nargs="?", help="the server's name (default: the only one connected)")
        parser.add_argument("--refresh", action="store_true", help="ask the server again, bypassing the cache")
        _output_options(parser, df=True)

        def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
            server = _pick_server(ctx, args.server)
            return _finish(ctx, getattr(server, method)(refresh=args.refresh), args)

        return run


_listing_command("resources", "List a server's resources.", "resources")
_listing_command("templates", "List a server's resource templates.", "templates")
_listing_command("prompts", "List a server's prompts.", "prompts")


@command(
    "config",
    "List the servers a host config file declares (Claude Desktop, Claude Code, VS Code, Cursor), without connecting.",
    usage="%(prog)s PATH [-o NAME] [--df]",
    epilog="Connect them with %mcp connect --config PATH [NAME ...].",
)
def _config(parser: CommandParser) -> Handler:
    parser.add_argument("path", help="the config file (e.g. ~/.cursor/mcp.json, .vscode/mcp.json, .mcp.json)")
    _output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return _finish(ctx, ctx.hub.config(_text(args.path, ctx, "PATH")), args)

    return run


@command(
    "subscribe",
    "Show a resource that updates in place whenever the server says it changed.",
    usage="%(prog)s SERVER URI [-o NAME]",
    epilog="The server must offer subscriptions. Stop with %mcp unsubscribe SERVER URI (or watch.stop()).",
)
def _subscribe(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", help="the resource URI")
    _output_options(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return _finish(ctx, _server(ctx, args.server).watch(_text(args.uri, ctx, "URI")), args)

    return run


@command("unsubscribe", "End the subscriptions to a resource.", usage="%(prog)s SERVER URI")
def _unsubscribe(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", help="the resource URI")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> None:
        _server(ctx, args.server).unwatch(_text(args.uri, ctx, "URI"))

    return run


@command(
    "roots",
    "Show or change the folders offered to a server as roots (none unless named with connect --root).",
    usage="%(prog)s [SERVER] [add PATH | remove PATH]",
    epilog="Only a server connected with --root can change its roots: whether a session offers roots is "
    "fixed when it starts, so the first root or the removal of the last needs a new connection.",
)
def _roots(parser: CommandParser) -> Handler:
    parser.add_argument("words", nargs="*", metavar="[SERVER] [add|remove PATH]")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        words = [_text(w, ctx, "%mcp roots") for w in args.words]
        name = words.pop(0) if words and words[0] not in ("add", "remove") else None
        server = ctx.hub.get(name) if name else _pick_server(ctx, None)  # the words are read already
        if not words:
            return server.roots()
        if len(words) != 2 or words[0] not in ("add", "remove"):
            raise UsageProblem("%mcp roots [SERVER] add PATH, or %mcp roots [SERVER] remove PATH")
        path = words[1]
        return server.add_root(path) if words[0] == "add" else server.remove_root(path)

    return run


@command(
    "loglevel",
    "Set the lowest server log level to receive (shown in %mcp log; warnings and worse also in the cell).",
    usage="%(prog)s SERVER LEVEL",
)
def _loglevel(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("level", help="debug, info, notice, warning, error, critical, alert or emergency")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> None:
        _server(ctx, args.server).set_log_level(str(args.level))

    return run


@command(
    "log",
    "Show a server's log: its stderr, its log messages, and this client's notes.",
    usage="%(prog)s SERVER [--clear] [-o NAME] [--df]",
)
def _log(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server's name (default: the only one connected)")
    parser.add_argument("--clear", action="store_true", help="empty the log")
    _output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server = _pick_server(ctx, args.server)
        if args.clear:
            server.connection.log.clear()
            return None
        return _finish(ctx, server.log(), args)

    return run


@command(
    "explore",
    "Open the explorer: browse servers, fill tool forms built from their schemas, run, copy as code.",
    usage="%(prog)s [SERVER]",
    epilog="It never blocks the kernel: runs happen in the background and can be cancelled. Example: %mcp explore demo",
)
def _explore(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server to show first (default: the first connected)")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        from ..widgets import explore

        return explore(_text(args.server, ctx, "SERVER") if args.server else None, hub=ctx.hub)

    return run


# -- lifecycle --------------------------------------------------------------------------------------------


@command("reconnect", "Start a server again (a new process or session) under the same name.", usage="%(prog)s SERVER")
def _reconnect(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return _server(ctx, args.server).reconnect()

    return run


@command("disconnect", "Close a connection (stopping a stdio server), or all of them.", usage="%(prog)s SERVER | --all")
def _disconnect(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server's name")
    parser.add_argument("--all", action="store_true", help="close every connection")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> None:
        if args.all == bool(args.server):
            raise UsageProblem("say which: %mcp disconnect SERVER, or %mcp disconnect --all")
        if args.all:
            count = ctx.hub.disconnect_all()
            print(f"disconnected {count} server{'s' if count != 1 else ''}")
        else:
            name = _text(args.server, ctx, "SERVER")
            ctx.hub.disconnect(name)
            print(f"disconnected {name}")

    return run


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
            from ..errors import did_you_mean

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
from . import _data_commands, _oauth_commands, _task_commands  # noqa: E402, F401
