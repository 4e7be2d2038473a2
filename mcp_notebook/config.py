"""What to connect to: ``ServerSpec`` and the pure helpers that build, expand and redact it.

A spec is data only. Secrets (environment values, header values, credentials in URLs, values of
secret-looking command-line flags) are kept on the spec to be used, and never shown: every
human-facing description goes through ``describe()``, which redacts them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import UsageProblem

__all__ = [
    "DEMO_NAME",
    "ServerSpec",
    "Transport",
    "demo_spec",
    "expand_vars",
    "in_process_spec",
    "parse_env_pair",
    "parse_header",
    "redact_args",
    "redact_url",
    "secret_values",
    "stdio_spec",
    "url_secrets",
    "url_spec",
    "validate_name",
]

Transport = Literal["stdio", "http", "sse", "in-process"]

DEMO_NAME = "demo"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_SECRET_WORD = re.compile(r"(key|token|secret|passw|pwd|auth|credential|bearer|cookie|session)", re.I)
# ``NAME=value`` (docker -e, env) or ``Name: value`` (mcp-remote --header) as one argument.
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)(\s*[=:]\s*)(?=\S)")
_VAR = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))")
REDACTED = "***"


@dataclass(frozen=True)
class ServerSpec:
    """How to reach one MCP server. Build it with ``stdio_spec``, ``url_spec`` or ``demo_spec``."""

    name: str
    transport: Transport
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    server: Any = field(default=None, compare=False)
    """An in-process ``MCPServer``/``Server`` object (``transport="in-process"``)."""
    demo: bool = False
    auth: Any = field(default=None, compare=False, repr=False)
    """An ``httpx2.Auth`` for HTTP servers (OAuth, see ``mcp_notebook.auth``); never shown."""
    protocol: str = "auto"
    """``"auto"`` (try 2026-07-28 ``server/discover``, fall back to ``initialize``) or ``"legacy"``
    (the ``initialize`` handshake only, for servers that mishandle the probe)."""

    def same_target(self, other: ServerSpec) -> bool:
        """Whether both specs reach the same server the same way."""
        mine = (self.transport, self.command, dict(self.env), self.cwd, self.url, dict(self.headers), self.protocol)
        theirs = (
            other.transport,
            other.command,
            dict(other.env),
            other.cwd,
            other.url,
            dict(other.headers),
            other.protocol,
        )
        # Auths compare by ==: an OAuth built again from the same settings is the same target.
        return mine == theirs and self.server is other.server and self.auth == other.auth

    def describe(self) -> str:
        """The target as a user would type it, with every secret replaced by ``***``."""
        if self.demo:
            return "embedded demo server"
        if self.transport == "in-process":
            return f"in-process {type(self.server).__name__}"
        if self.transport == "stdio":
            words = [*(f"{k}={REDACTED}" for k in self.env), *redact_args(self.command)]
            return " ".join(_quote(w) for w in words)
        assert self.url is not None
        text = redact_url(self.url)
        if self.headers:
            text += " " + " ".join(f"[{k}: {REDACTED}]" for k in self.headers)
        if self.auth is not None:
            text += f" [{getattr(self.auth, 'kind', 'auth')}]"
        return text


def validate_name(name: str) -> str:
    """Return ``name`` if it can name a connection (an identifier; ``-`` allowed; no dots)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageProblem(
            f"{name!r} cannot name a server: use letters, digits, '_' or '-', starting with a letter "
            "(dots separate server and tool, as in demo.query)"
        )
    return name


def demo_spec(name: str = DEMO_NAME) -> ServerSpec:
    """The embedded demo server, started as a subprocess with this kernel's Python."""
    return ServerSpec(
        name=validate_name(name),
        transport="stdio",
        command=(sys.executable, "-m", "mcp_notebook.demo"),
        demo=True,
    )


def stdio_spec(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> ServerSpec:
    """A server started as a subprocess that speaks MCP on its stdin and stdout."""
    if isinstance(command, str):
        raise UsageProblem(f"command must be a list of words, e.g. [{command!r}], not a string")
    words = tuple(str(w) for w in command)
    if not words or not words[0]:
        raise UsageProblem(f"no command given for {name!r}: %mcp connect {name} -- COMMAND [ARGS...]")
    for key in env or {}:
        if not key or "=" in key or "\0" in key:
            raise UsageProblem(f"bad environment variable name {key!r}: use K=V with K a name")
    return ServerSpec(
        name=validate_name(name),
        transport="stdio",
        command=words,
        env={str(k): str(v) for k, v in (env or {}).items()},
        cwd=os.fspath(cwd) if cwd is not None else None,
    )


def url_spec(
    name: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    sse: bool = False,
    auth: Any = None,
) -> ServerSpec:
    """A server reached over Streamable HTTP (or the legacy HTTP+SSE transport with ``sse=True``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageProblem(
            f"{redact_url(url)!r} is not an http(s) URL; for a local program use "
            f"%mcp connect {name} -- COMMAND [ARGS...]"
        )
    for key, value in (headers or {}).items():
        if not key or any(c in key for c in ":\r\n") or any(c in str(value) for c in "\r\n"):
            raise UsageProblem(f"bad header {key!r}: use --header 'Name: value' (one line)")
    return ServerSpec(
        name=validate_name(name),
        transport="sse" if sse else "http",
        url=url,
        headers={str(k): str(v) for k, v in (headers or {}).items()},
        auth=auth,
    )


def in_process_spec(name: str, server: Any) -> ServerSpec:
    """A server object living in this Python process (``MCPServer`` or low-level ``Server``)."""
    return ServerSpec(name=validate_name(name), transport="in-process", server=server)


def spec_for(
    name: str,
    target: Any = None,
    *,
    command: Sequence[str] | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    sse: bool = False,
    server: Any = None,
    protocol: str = "auto",
) -> ServerSpec:
    """The one place that decides what a connect means, in this order:

    1. ``target``, if given, stands for one of the others: a string with ``://`` is a URL, a list
       or tuple a command, anything else a server object;
    2. at most one of ``command=``, ``url=``, ``server=`` (an in-process server object);
    3. none of them, and the name ``demo``: the embedded demo server;
    4. otherwise an error that says what to give.
    """
    if protocol not in ("auto", "legacy"):
        raise UsageProblem(f"protocol is 'auto' (either era) or 'legacy' (initialize only), not {protocol!r}")
    if target is not None:
        if isinstance(target, str) and "://" in target:
            url = url or target
        elif isinstance(target, (list, tuple)):
            command = command or list(target)
        elif isinstance(target, str):
            raise UsageProblem(
                f"{target!r} is neither a URL nor a command; pass command=[...] for a program, or an http(s):// URL"
            )
        else:
            server = target
    given = [x for x in (command, url, server) if x is not None]
    if len(given) > 1:
        raise UsageProblem("give one of command=, url= or server=, not several")
    if server is not None:
        spec = in_process_spec(name, server)
    elif url is not None:
        spec = url_spec(name, url, headers=headers, sse=sse)
    elif command is not None:
        spec = stdio_spec(name, command, env=env, cwd=cwd)
    elif name == DEMO_NAME:
        spec = demo_spec(name)
    else:
        raise UsageProblem(
            f"say what {name!r} connects to: command=[...] for a local program, url='http://…' for a "
            f"remote one (or use the name {DEMO_NAME!r} alone for the embedded demo server)"
        )
    return replace(spec, protocol=protocol)


def expand_vars(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand ``$VAR`` and ``${VAR}`` from the environment, as a shell would; ``$$`` is a ``$``.

    An undefined variable is an error rather than an empty string: a header that silently lost its
    token fails later with a far less helpful message.
    """
    env = os.environ if environ is None else environ

    def one(match: re.Match[str]) -> str:
        if match.group("dollar"):
            return "$"
        var = match.group("braced") if match.group("braced") is not None else match.group("plain")
        if var not in env:
            raise UsageProblem(
                f"${var} is not set in the kernel's environment; set it with %env {var}=... "
                "(or write $$ for a literal $)"
            )
        return env[var]

    return _VAR.sub(one, text)


def parse_env_pair(text: str) -> tuple[str, str]:
    """``"K=V"`` → ``("K", "V")``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageProblem(f"--env takes K=V, got {text!r}")
    return key.strip(), value


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` → ``("Name", "value")``."""
    key, sep, value = text.partition(":")
    if not sep or not key.strip():
        raise UsageProblem("--header takes 'Name: value' in quotes, e.g. --header 'Authorization: Bearer $TOKEN'")
    return key.strip(), value.strip()


def redact_url(url: str) -> str:
    """Hide credentials in a URL: user info, and the values of secret-looking query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if _SECRET_WORD.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_args(args: Sequence[str]) -> list[str]:
    """Hide the values of secret-looking flags (``--api-key X``, ``--token=X``) and of URLs."""
    out: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        flag, eq, _value = arg.partition("=")
        assignment = _ASSIGNMENT.match(arg)
        if arg.startswith("-") and _SECRET_WORD.search(flag):
            if eq:
                out.append(f"{flag}={REDACTED}")
            else:
                out.append(arg)
                hide_next = True
        elif assignment and _SECRET_WORD.search(assignment.group(1)):
            # -e GITHUB_TOKEN=ghp_… or --header "Authorization: Bearer …": the value is the secret.
            out.append(f"{assignment.group(1)}{assignment.group(2)}{REDACTED}")
        elif "://" in arg:
            out.append(redact_url(arg))
        else:
            out.append(arg)
    return out


def url_secrets(url: str | None) -> list[str]:
    """The parts of a URL that ``redact_url`` hides: user info and secret-looking query values."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [p for p in (parts.username, parts.password) if p]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _SECRET_WORD.search(k)]
    return found


def secret_values(spec: ServerSpec) -> list[str]:
    """Every secret a spec carries, for scrubbing logs and errors: exactly what ``describe`` hides.

    A header value counts whole and by its last word too (``Bearer abc`` → ``abc``), since a
    server that echoes a token prints it without the scheme.
    """
    found = list(spec.env.values()) + url_secrets(spec.url)
    auth_secrets = getattr(spec.auth, "secret_values", None)  # OAuth: client secret, key, tokens
    if callable(auth_secrets):
        found += list(auth_secrets())
    for value in spec.headers.values():
        found += [value, *value.split()[-1:]]
    for original, shown in zip(spec.command, redact_args(spec.command), strict=True):
        if original == shown:
            continue
        if shown.endswith(REDACTED) and original.startswith(shown[: -len(REDACTED)]):
            hidden = original[len(shown) - len(REDACTED) :]
            found += [hidden, *hidden.split()[-1:]]
        else:
            found += url_secrets(original)
    return [s for s in found if s]


def _quote(word: str) -> str:
    return word if word and not re.search(r"[\s'\"\\$]", word) else "'" + word.replace("'", "'\\''") + "'"


def root_paths(roots: Sequence[str | os.PathLike[str]] | None) -> list[str]:
    """The roots as offered: absolute paths (fixed now, not when the notebook changes folder), or URIs.

    A path that does not exist here is refused: a typo would otherwise offer nothing, silently.
    """
    if roots is None:
        return []
    if isinstance(roots, (str, os.PathLike)):
        raise UsageProblem(f"roots is a list of folders, not one: roots=[{os.fspath(roots)!r}]")
    found: list[str] = []
    for root in roots:
        text = os.fspath(root)
        if "://" not in text:
            path = os.path.abspath(os.path.expanduser(text))
            if not os.path.exists(path):
                raise UsageProblem(
                    f"root {text!r}: no folder {path} here (for a folder on the server's machine, give a file:// URI)"
                )
            text = path
        if text not in found:
            found.append(text)
    return found
