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
    "[--client-credentials [--private-key PATH]] [--workload-token PATH|$VAR] "
    "[--id-token $VAR --idp-token-endpoint URL --idp-client-id ID [--idp-client-secret $VAR]] "
    "[--issuer URL] [--dpop]"
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
    group.add_argument(
        "--workload-token",
        metavar="PATH|$VAR",
        help="workload identity federation, no user: the platform's JWT for this workload (a file, read "
        "afresh for each token, or $VAR), presented as --client-id",
    )
    group.add_argument(
        "--id-token",
        metavar="$VAR",
        help="enterprise-managed authorization, no browser: the user's ID token from the enterprise IdP, "
        "exchanged there for an ID-JAG (needs --idp-token-endpoint, --idp-client-id, --client-id, --client-secret)",
    )
    group.add_argument("--idp-token-endpoint", metavar="URL", help="with --id-token: the IdP's token endpoint")
    group.add_argument("--idp-client-id", metavar="ID", help="with --id-token: this client's ID at the IdP")
    group.add_argument("--idp-client-secret", metavar="$VAR", help="with --id-token: its secret at the IdP, if any")
    group.add_argument(
        "--issuer",
        metavar="URL",
        help="the authorization server the credentials or tokens belong to: they are sent nowhere else",
    )
    group.add_argument(
        "--dpop",
        action="store_true",
        help="bind tokens to a key this connection makes (DPoP, RFC 9449); kept in memory only",
    )
    parser.usage = (parser.usage or "").rstrip() + _OAUTH_USAGE
    original = connect.run

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        oauth = _oauth(ctx, args)
        if oauth is None:
            return original(ctx, args, command_words)
        if args.config or command_words is not None or args.env or args.cwd or len(args.words) != 2:
            raise UsageProblem("OAuth signs in to an HTTP server: %mcp connect NAME URL --oauth [...]")
        name = _text(args.words[0], ctx, "NAME")
        headers = dict(config.parse_header(_text(h, ctx, "--header")) for h in args.header)
        url = _text(args.words[1], ctx, "the URL")
        timeout = {"timeout": args.timeout} if args.timeout is not None else {}
        timeout.update(_answer_policies(ctx, args))
        return ctx.hub.connect(name, url=url, headers=headers, sse=args.sse, auth=oauth, **timeout)

    COMMANDS["connect"] = dataclasses.replace(connect, run=run)


def _oauth(ctx: Context, args: Any) -> Any:
    """The ``OAuth`` the options ask for, or None when none was given."""
    texts = (
        "client_id",
        "client_secret",
        "private_key",
        "workload_token",
        "id_token",
        "idp_token_endpoint",
        "idp_client_id",
        "idp_client_secret",
        "issuer",
    )
    given: dict[str, Any] = {name: getattr(args, name) for name in texts if getattr(args, name)}
    if not (args.oauth or args.scope or args.client_credentials or args.dpop or given):
        return None
    from ..auth import OAuth

    return OAuth(
        scopes=[_text(s, ctx, "--scope") for s in args.scope] or None,
        client_credentials=args.client_credentials,
        dpop=args.dpop,
        **{name: _flag_text(value, ctx, name) for name, value in given.items()},
    )


def _flag_text(value: Any, ctx: Context, name: str) -> Any:
    return _text(value, ctx, "--" + name.replace("_", "-"))


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
        target = _text(args.target, ctx, "SERVER | URL")
        if "://" in target:
            url = target
            forgot = ctx.hub.logout(url)
            shown = config.redact_url(url)
        else:
            forgot = ctx.hub.get(target).logout()
            shown = target
        print(f"forgot the OAuth tokens of {shown}" if forgot else f"no OAuth tokens were kept for {shown}")
        return None

    return run


_with_oauth()
