"""Subcommands about a connection rather than a call: ``subscribe`` / ``unsubscribe``, ``roots``,
``loglevel``, ``log``, ``explore``, ``reconnect``, ``disconnect``."""

from __future__ import annotations

from typing import Any

from ..errors import UsageProblem
from ._command import Context, Handler, command, finish, output_options, pick_server, server_named, word_text
from ._parse import CommandParser, Word

__all__: list[str] = []


@command(
    "subscribe",
    "Show a resource that updates in place whenever the server says it changed.",
    usage="%(prog)s SERVER URI [-o NAME]",
    epilog="The server must offer subscriptions. Stop with %mcp unsubscribe SERVER URI (or watch.stop()).",
)
def _subscribe(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", help="the resource URI")
    output_options(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return finish(ctx, server_named(ctx, args.server).watch(word_text(args.uri, ctx, "URI")), args)

    return run


@command("unsubscribe", "End the subscriptions to a resource.", usage="%(prog)s SERVER URI")
def _unsubscribe(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("uri", help="the resource URI")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> None:
        server_named(ctx, args.server).unwatch(word_text(args.uri, ctx, "URI"))

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
        words = [word_text(w, ctx, "%mcp roots") for w in args.words]
        name = words.pop(0) if words and words[0] not in ("add", "remove") else None
        server = ctx.hub.get(name) if name else pick_server(ctx, None)  # the words are read already
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
        server_named(ctx, args.server).set_log_level(str(args.level))

    return run


@command(
    "log",
    "Show a server's log: its stderr, its log messages, and this client's notes.",
    usage="%(prog)s SERVER [--clear] [-o NAME] [--df]",
)
def _log(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server's name (default: the only one connected)")
    parser.add_argument("--clear", action="store_true", help="empty the log")
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server = pick_server(ctx, args.server)
        if args.clear:
            server.clear_log()
            return None
        return finish(ctx, server.log(), args)

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

        return explore(word_text(args.server, ctx, "SERVER") if args.server else None, hub=ctx.hub)

    return run


# -- lifecycle --------------------------------------------------------------------------------------------


@command("reconnect", "Start a server again (a new process or session) under the same name.", usage="%(prog)s SERVER")
def _reconnect(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return server_named(ctx, args.server).reconnect()

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
            name = word_text(args.server, ctx, "SERVER")
            ctx.hub.disconnect(name)
            print(f"disconnected {name}")

    return run
