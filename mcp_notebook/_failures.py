"""What went wrong with a server, in words a user can act on.

Pure functions: they turn exit codes, HTTP statuses, SDK errors and exception groups into one
line that names the server or URL and says what to check. ``connection`` calls them; nothing
here holds a session.
"""

from __future__ import annotations

import re
import signal
import sys
from typing import Any

import anyio
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from .config import ServerSpec, redact_url
from .errors import InvalidResult, McpNotebookError, TransportFailed

if sys.version_info < (3, 11):  # pragma: no cover - anyio brings the backport there
    from exceptiongroup import BaseExceptionGroup

__all__ = [
    "SAMPLING_DECLINED",
    "SAMPLING_DECLINED_TEXT",
    "compact_json",
    "describe_exception",
    "exit_words",
    "first_error",
    "http_failure",
    "http_handshake_failure",
    "leaf",
    "request_failure",
    "server_label",
    "server_message",
]

SAMPLING_DECLINED = -1  # the code the spec's examples use for "user rejected sampling request"
SAMPLING_DECLINED_TEXT = "The user declined the sampling request"
_SDK_PREFIX = re.compile(r"^MCP error -?\d+:\s*")


def exit_words(code: int | None) -> str:
    """How a stdio server ended: ``exited with code 1``, ``was killed by SIGKILL``, …"""
    if code is None:
        return "closed its stdout but is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def server_message(error: MCPError) -> str:
    """A JSON-RPC error's message without the "MCP error -32602: " the TypeScript SDK puts in front
    (the code is said once, by the caller)."""
    return _SDK_PREFIX.sub("", error.error.message, count=1)


def _status_words(status: int, spec: ServerSpec) -> str:
    hint = {
        401: "it wants credentials: sign in with --oauth (auth='oauth'), or add --header 'Authorization: Bearer ...'",
        403: "it refused these credentials",
        404: "no MCP endpoint at that path (often /mcp, or /sse with --sse)",
        405: "that path does not take MCP requests (check /mcp vs /sse, and --sse)",
    }.get(status, "check the URL")
    if status == 400 and spec.transport == "sse":
        hint += " (a Streamable HTTP endpoint, usually /mcp, is reached without --sse)"
    return f"{redact_url(spec.url or '')} answered HTTP {status}: {hint}"


def http_failure(error: BaseException, spec: ServerSpec) -> str:
    """Why an HTTP server could not be reached, in words, with what to check."""
    url = redact_url(spec.url or "")
    name = type(error).__name__
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return _status_words(status, spec)
    if name in ("ConnectError", "ConnectTimeout"):
        return f"nothing answered at {url}: is the server running, and is the host and port right?"
    if "Timeout" in name:
        return f"{url} did not answer in time ({name})"
    return f"talking to {url} failed: {describe_exception(error)}"


def http_handshake_failure(error: MCPError, spec: ServerSpec, status: int | None = None) -> str:
    """Why the handshake with an HTTP server failed; ``status`` is the last HTTP error it answered."""
    # The SDK reports HTTP statuses met during the handshake as JSON-RPC errors: 404 as
    # "Not Found", any other failure status as a generic "Server returned an error response".
    url = redact_url(spec.url or "")
    message = error.error.message
    if status is not None and message in ("Not Found", "Server returned an error response"):
        return _status_words(status, spec)
    if message == "Not Found":
        return f"{url} answered HTTP 404: no MCP endpoint at that path (often /mcp, or /sse with --sse)"
    if message == "Server returned an error response":
        return (
            f"{url} answered with an HTTP error status: check the URL, and whether it wants credentials "
            "(--oauth to sign in, or --header 'Authorization: Bearer ...')"
        )
    return f"the handshake with {url} failed: {message}"


def request_failure(what: str, server: str, error: Exception) -> McpNotebookError | None:
    """This package's error for a request that failed with ``error`` (other than a JSON-RPC error),
    or None when it is not a failure of the server or the transport (a bug: let it show)."""
    if isinstance(error, ValidationError):
        return InvalidResult(f"{what}: the server's reply does not follow the MCP schema: {first_error(error)}")
    if isinstance(error, RuntimeError) and ("structured content" in str(error) or "output schema" in str(error)):
        return InvalidResult(f"{what}: {error}")
    if isinstance(error, (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError)):
        return TransportFailed(f"{what}: the connection to {server!r} failed: {describe_exception(error)}")
    inner = leaf(error)
    if inner is not error and isinstance(inner, Exception):
        return TransportFailed(f"{what}: {describe_exception(inner)}")
    if type(error).__module__.startswith("httpx"):
        return TransportFailed(f"{what}: HTTP failure talking to {server!r}: {error}")
    return None


def server_label(info: Any) -> str:
    """``name version`` of an ``Implementation``, or ``(anonymous)``."""
    if info is None:
        return "(anonymous)"
    return f"{info.name} {info.version}".strip()


def leaf(error: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def describe_exception(error: BaseException) -> str:
    """``TypeName: message`` (or just the type name when the message is empty)."""
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def first_error(error: ValidationError) -> str:
    """The first problem pydantic found, with where it is (``content.0.text: Field required``)."""
    errors = error.errors()
    if not errors:
        return str(error)
    loc = ".".join(str(p) for p in errors[0]["loc"])
    return f"{loc}: {errors[0]['msg']}" if loc else errors[0]["msg"]


def compact_json(value: Any) -> str:
    """One line of JSON for a log (``repr`` for what JSON cannot say)."""
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
