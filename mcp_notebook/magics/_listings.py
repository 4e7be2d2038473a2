"""The listing subcommands: ``servers``, ``tools``, ``resources``, ``templates``, ``prompts``, and
``config`` (what a host config file declares). Each returns a table the cell displays, or a
DataFrame with ``--df``."""

from __future__ import annotations

from typing import Any

from ..errors import NotConnected
from ._command import Context, Handler, command, finish, output_options, pick_server, server_named, word_text
from ._parse import CommandParser, Word

__all__: list[str] = []


@command(
    "servers",
    "List the connections: name, state, transport, protocol, server name and version, target, roots.",
    usage="%(prog)s [-o NAME] [--df]",
)
def _servers(parser: CommandParser) -> Handler:
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return finish(ctx, ctx.hub.servers(), args)

    return run


@command(
    "tools",
    "List a server's tools (every server's, with no SERVER).",
    usage="%(prog)s [SERVER] [--refresh] [--all] [-o NAME] [--df]",
    epilog="The app column marks tools whose results show an MCP App (app) and tools only an App may call "
    "(app-only); those are left out unless --all.",
)
def _tools(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="the server's name (default: all servers)")
    parser.add_argument("--refresh", action="store_true", help="ask the server again instead of using the cached list")
    parser.add_argument("--all", action="store_true", help="also the tools only the server's MCP Apps may call")
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        if args.server:
            return finish(ctx, server_named(ctx, args.server).tools(refresh=args.refresh, all=args.all), args)
        if not ctx.hub.names():
            raise NotConnected("nothing is connected yet; try `%mcp connect demo`")
        return finish(ctx, ctx.hub.all_tools(all=args.all), args)

    return run


def _listing_command(name: str, summary: str, method: str) -> None:
    @command(name, summary, usage="%(prog)s [SERVER] [--refresh] [-o NAME] [--df]")
    def _build(parser: CommandParser) -> Handler:
        parser.add_argument("server", nargs="?", help="the server's name (default: the only one connected)")
        parser.add_argument("--refresh", action="store_true", help="ask the server again, bypassing the cache")
        output_options(parser, df=True)

        def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
            server = pick_server(ctx, args.server)
            return finish(ctx, getattr(server, method)(refresh=args.refresh), args)

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
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        return finish(ctx, ctx.hub.config(word_text(args.path, ctx, "PATH")), args)

    return run
