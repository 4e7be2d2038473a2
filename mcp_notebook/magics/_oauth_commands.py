"""OAuth in the ``%mcp`` magic: ``connect NAME URL --oauth ...`` and ``logout``.
Registered by importing this module (``_commands`` does, last).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import config
from ..errors import UsageProblem
from ._commands import COMMANDS, Context, Handler, _answer_policies, _text, command
from ._parse import CommandParser, Word

__all__: list[str] = []

_OAUTH_USAGE = (
    "\n       %(prog)s NAME URL --oauth [--scope S]... [--client-id ID] [--client-secret $VAR] "
    "[--client-credentials [--private-key PATH]]"
)


def _with_oauth() -> None:
    """Teach ``%mcp connect`` to sign in to an HTTP server with OAuth 2.1."""
    connect = COMMANDS["connect"]
    parser = connect.parser
    group = parser.add_argument_group(
        "OAuth",
        "Sign in to an HTTP server with OAuth 2.1: the cell shows a link to open, then asks for the "
        "address the browser lands on (or just Enter, when the browser reached the kernel). Each option below implies --oauth. Tokens are kept per server, "
        "owner-only, under the Jupyter data dir; %mcp logout NAME forgets them.",
    )
    group.add_argument("--oauth", action="store_true", help="sign in with OAuth 2.1 (as the server says)")
    group.add_argument(
        "--scope", action="append", default=[], metavar="S", help="a scope to ask for besides the server's"
    )
    group.add_argument("--client-id", metavar="ID", help="a client registered with the authorization server")
    group.add_argument("--client-secret", metavar="$VAR", help="its secret (give it as $VAR, not typed in)")
    group.add_argument(
        "--client-credentials", action="store_true", help="no user: the client's own credentials (machine to machine)"
    )
    group.add_argument("--private-key", metavar="PATH", help="with --client-credentials: a PEM key (private_key_jwt)")
    parser.usage = (parser.usage or "").rstrip() + _OAUTH_USAGE
    original = connect.run

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        oauth = _oauth(ctx, args)
        if oauth is None:
            return original(ctx, args, command_words)
        if args.config or command_words is not None or args.env or args.cwd or len(args.words) != 2:
            raise UsageProblem("OAuth signs in to an HTTP server: %mcp connect NAME URL --oauth [...]")
        name = str(args.words[0])
        headers = dict(config.parse_header(_text(h, ctx, "--header")) for h in args.header)
        url = _text(args.words[1], ctx, "the URL")
        timeout = {"timeout": args.timeout} if args.timeout is not None else {}
        timeout.update(_answer_policies(ctx, args))
        return ctx.hub.connect(name, url=url, headers=headers, sse=args.sse, auth=oauth, **timeout)

    COMMANDS["connect"] = dataclasses.replace(connect, run=run)


def _oauth(ctx: Context, args: Any) -> Any:
    """The ``OAuth`` the options ask for, or None when none was given."""
    wanted = (
        args.oauth or args.scope or args.client_id or args.client_secret or args.client_credentials or args.private_key
    )
    if not wanted:
        return None
    from ..auth import OAuth

    return OAuth(
        scopes=[_text(s, ctx, "--scope") for s in args.scope] or None,
        client_id=_text(args.client_id, ctx, "--client-id") if args.client_id else None,
        client_secret=_text(args.client_secret, ctx, "--client-secret") if args.client_secret else None,
        client_credentials=args.client_credentials,
        private_key=_text(args.private_key, ctx, "--private-key") if args.private_key else None,
    )


@command(
    "logout",
    "Forget a server's stored OAuth tokens; its next request signs in again (the connection stays).",
    usage="%(prog)s SERVER | URL",
    epilog="Disconnecting keeps the tokens (the next connect needs no sign-in); logout forgets them, on disk "
    "and in memory. Examples: %mcp logout web | %mcp logout https://example.com/mcp",
)
def _logout(parser: CommandParser) -> Handler:
    parser.add_argument("target", metavar="SERVER | URL", help="a connected server's name, or a server URL")

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        target = str(args.target)
        if "://" in target:
            url = config.expand_vars(target)
            forgot = ctx.hub.logout(url)
            shown = config.redact_url(url)
        else:
            forgot = ctx.hub.get(target).logout()
            shown = target
        print(f"forgot the OAuth tokens of {shown}" if forgot else f"no OAuth tokens were kept for {shown}")
        return None

    return run


_with_oauth()
