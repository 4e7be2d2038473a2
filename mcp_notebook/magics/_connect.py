"""``%mcp connect`` — every form in one parser: a stdio command, a URL (with OAuth), a recording,
a host config file, the demo — and ``%mcp logout``.

The forms are told apart in one place (``_connect``'s handler): a flag that belongs to another
form is refused with the line that shows the right one.
"""

from __future__ import annotations

from typing import Any

from .. import config
from ..errors import UsageProblem
from ._command import Context, Handler, command, timeout_option, word_text
from ._parse import CommandParser, Word
from ._values import evaluate

__all__: list[str] = []

_OAUTH_TEXTS = (
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


def _answer_options(parser: CommandParser) -> None:
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


def _oauth_options(parser: CommandParser) -> None:
    group = parser.add_argument_group(
        "OAuth",
        "Sign in to an HTTP server with OAuth 2.1: the cell shows a link to open, then asks for the address the "
        "browser lands on (or just Enter, when the browser reached the kernel). Each option below implies "
        "--oauth. Tokens are kept per server, owner-only, under the Jupyter data dir; %mcp logout NAME forgets "
        "them.",
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


def _connect_options(ctx: Context, args: Any) -> dict[str, Any]:
    """The keyword arguments every form of connect shares: timeout, answer policies, roots."""
    options: dict[str, Any] = {"timeout": args.timeout} if args.timeout is not None else {}
    options.update(_answer_policies(ctx, args))
    if args.root:
        options["roots"] = [word_text(w, ctx, "--root") for w in args.root]
    return options


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


def _replay(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
    others = args.env or args.cwd or args.header or args.sse or args.config or args.root
    others = others or command_words is not None
    if others or len(args.words) != 1:
        raise UsageProblem("--replay serves a recording in place of a server: %mcp connect NAME --replay PATH")
    replay_from = word_text(args.replay_from, ctx, "--replay-from") if args.replay_from is not None else None
    name = word_text(args.words[0], ctx, "NAME")
    return ctx.hub.connect(name, replay=word_text(args.replay, ctx, "--replay"), replay_from=replay_from)


def _oauth(ctx: Context, args: Any) -> Any:
    """The ``OAuth`` the options ask for, or None when none was given."""
    given: dict[str, Any] = {name: getattr(args, name) for name in _OAUTH_TEXTS if getattr(args, name)}
    if not (args.oauth or args.scope or args.client_credentials or args.dpop or given):
        return None
    from ..auth import OAuth

    texts: dict[str, Any] = {
        name: word_text(value, ctx, "--" + name.replace("_", "-")) for name, value in given.items()
    }
    return OAuth(
        scopes=[word_text(s, ctx, "--scope") for s in args.scope] or None,
        client_credentials=args.client_credentials,
        dpop=args.dpop,
        **texts,
    )


@command(
    "connect",
    "Connect to an MCP server and give it a name.",
    usage="%(prog)s NAME [--env K=V]... [--cwd DIR] [--root DIR]... [--timeout S] -- COMMAND [ARGS...]\n"
    "       %(prog)s NAME URL [--header 'K: V']... [--sse] [--root DIR]... [--timeout S]\n"
    "       %(prog)s --config PATH [NAME ...]\n"
    "       %(prog)s demo\n"
    "       %(prog)s NAME --replay PATH [--replay-from SERVER]\n"
    "       %(prog)s NAME URL --oauth [--scope S]... [--client-id ID] [--client-secret $VAR] "
    "[--client-credentials [--private-key PATH]] [--workload-token PATH|$VAR] "
    "[--id-token $VAR --idp-token-endpoint URL --idp-client-id ID [--idp-client-secret $VAR]] "
    "[--issuer URL] [--dpop]",
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
    timeout_option(parser, "starting the server and the handshake")
    _answer_options(parser)
    parser.add_argument("--replay", metavar="PATH", help="serve a recording (%%mcp record) instead of a server")
    parser.add_argument(
        "--replay-from",
        metavar="SERVER",
        help="with --replay: the recorded server to serve, when the recording holds several "
        "(default: the one named NAME, or the only one)",
    )
    _oauth_options(parser)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        options = _connect_options(ctx, args)
        if args.replay is not None:
            return _replay(ctx, args, command_words)
        if args.replay_from is not None:
            raise UsageProblem(
                "--replay-from picks a server of a recording; give --replay PATH with it: "
                "%mcp connect NAME --replay PATH --replay-from SERVER"
            )
        oauth = _oauth(ctx, args)
        if args.config:
            if command_words is not None or args.env or args.cwd or args.header or args.sse or oauth is not None:
                raise UsageProblem("--config takes server names only; the file says how to start each one")
            path = word_text(args.config, ctx, "--config")
            names = [word_text(w, ctx, "NAME") for w in args.words] or None
            connected = ctx.hub.connect_config(path, names, **options)
            return ctx.hub.servers([s.name for s in connected])
        if not args.words:
            raise UsageProblem("name the server: %mcp connect NAME ... (or %mcp connect demo)")
        if len(args.words) > 2:
            extra = " ".join(str(w) for w in args.words[2:])
            raise UsageProblem(f"unexpected {extra!r}: a stdio server's command goes after `--`")
        name = word_text(args.words[0], ctx, "NAME")
        url = args.words[1] if len(args.words) == 2 else None
        if oauth is not None and (command_words is not None or args.env or args.cwd or url is None):
            raise UsageProblem("OAuth signs in to an HTTP server: %mcp connect NAME URL --oauth [...]")
        if command_words is not None:
            if url:
                raise UsageProblem(f"give {name!r} either a URL or `-- COMMAND`, not both")
            if args.header or args.sse:
                raise UsageProblem("--header and --sse are for URLs; a stdio server takes --env and --cwd")
            if not command_words:
                raise UsageProblem(f"nothing after `--`: %mcp connect {name} -- COMMAND [ARGS...]")
            env = dict(config.parse_env_pair(word_text(w, ctx, "--env")) for w in args.env)
            cwd = word_text(args.cwd, ctx, "--cwd") if args.cwd else None
            words = [word_text(w, ctx, "the command") for w in command_words]
            return ctx.hub.connect(name, command=words, env=env, cwd=cwd, **options)
        if args.env or args.cwd:
            raise UsageProblem("--env and --cwd are for stdio servers (`-- COMMAND`), not URLs")
        if url:
            headers = dict(config.parse_header(word_text(h, ctx, "--header")) for h in args.header)
            target = word_text(url, ctx, "the URL")
            return ctx.hub.connect(name, url=target, headers=headers, sse=args.sse, auth=oauth, **options)
        if args.header or args.sse:
            raise UsageProblem(f"--header and --sse need a URL: %mcp connect {name} URL --header 'K: V'")
        if name != config.DEMO_NAME:
            raise UsageProblem(
                f"say what {name!r} is: `%mcp connect {name} -- COMMAND [ARGS...]` for a local program, "
                f"`%mcp connect {name} URL` for a remote one, or `%mcp connect demo` for the demo server"
            )
        return ctx.hub.connect(name, **options)

    return run


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
        target = word_text(args.target, ctx, "SERVER | URL")
        if "://" in target:
            forgot = ctx.hub.logout(target)
            shown = config.redact_url(target)
        else:
            forgot = ctx.hub.get(target).logout()
            shown = target
        print(f"forgot the OAuth tokens of {shown}" if forgot else f"no OAuth tokens were kept for {shown}")
        return None

    return run
