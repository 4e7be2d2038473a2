"""A bounded, secret-scrubbing log kept per connection: server stderr, log notifications, events,
and what the MCP SDK logs while it works for the connection.

The SDK logs through Python ``logging`` (``mcp.*`` loggers), tracebacks included. With no
handler configured, Python writes those records to ``sys.stderr``, which in a kernel is the
output of whichever cell started the loop thread (often an old ``%mcp connect`` cell). The
connection's tasks mark themselves with ``sdk_logs_to(log)``; a filter on the SDK's loggers moves
each record made in such a task into that connection's log and stops it there. Records made
anywhere else (the user's own use of the SDK) pass untouched.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["LOG_LEVELS", "LOUD_LEVELS", "ConnectionLog", "LogEntry", "capture_sdk_logs", "level_rank", "sdk_logs_to"]

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
"""The MCP (syslog) log levels, lowest first."""
LOUD_LEVELS = LOG_LEVELS[LOG_LEVELS.index("warning") :]
"""Server log levels that also show in the cell of the call that was running."""


def level_rank(level: str | None) -> int:
    """Where ``level`` stands among ``LOG_LEVELS`` (an unknown or absent level counts as debug)."""
    return LOG_LEVELS.index(level) if level in LOG_LEVELS else 0


MAX_ENTRIES = 2000
MAX_LINE = 2000


@dataclass(frozen=True)
class LogEntry:
    """One line of a connection's log."""

    time: float
    source: str
    """``stderr`` (the server process), ``server`` (a log notification), ``client`` (this package)."""
    level: str
    text: str


class ConnectionLog:
    """The last ``max_entries`` lines a connection saw, oldest first.

    Appends come from the loop thread; reads from the kernel thread. Every text is scrubbed of the
    connection's secret values (environment and header values) before it is stored, so nothing
    read back from here can leak them.
    """

    def __init__(self, secrets: Iterable[str] = (), max_entries: int = MAX_ENTRIES) -> None:
        # Short values would scrub ordinary words; they are too short to be credentials anyway.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._entries: deque[LogEntry] = deque(maxlen=max_entries)
        self._lock = threading.Lock()
        self.dropped = 0
        """How many entries fell off the front because the log was full."""

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Scrub these too from now on (tokens a connection obtains after it was made)."""
        with self._lock:
            self._secrets = sorted(set(self._secrets) | {s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def add(self, source: str, text: str, level: str = "info") -> None:
        # Scrub before cutting: a secret straddling the cut would otherwise leave its first half.
        text = self.scrub(text)
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE] + f"… [{len(text) - MAX_LINE:,} more characters]"
        entry = LogEntry(time.time(), source, level, text)
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def tail(self, n: int = 5, source: str | None = None) -> list[str]:
        """The last ``n`` texts, optionally of one source only."""
        with self._lock:
            picked = [e.text for e in self._entries if source is None or e.source == source]
        return picked[-n:] if n > 0 else []  # picked[-0:] would be everything

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0


# -- the SDK's own logging ----------------------------------------------------------------------------

_LOG_OF_TASK: contextvars.ContextVar[ConnectionLog | None] = contextvars.ContextVar(
    "mcp_notebook_connection_log", default=None
)


@contextlib.contextmanager
def sdk_logs_to(log: ConnectionLog) -> Iterator[None]:
    """Within this block (and the tasks it starts), SDK log records go to ``log``."""
    token = _LOG_OF_TASK.set(log)
    try:
        yield
    finally:
        _LOG_OF_TASK.reset(token)


def current_log() -> ConnectionLog | None:
    """The connection log that SDK records made in this task go to (``sdk_logs_to``), if any."""
    return _LOG_OF_TASK.get()


class _IntoConnectionLog(logging.Filter):
    """On an SDK logger: a record made for a connection goes to its log, and no further."""

    def filter(self, record: logging.LogRecord) -> bool:
        log = _LOG_OF_TASK.get()
        if log is None:
            return True  # not made for one of our connections: leave it to the user's logging
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            # The exception first: a long traceback is cut at the end of the line, not the start.
            text += f": {type(error).__name__}: {error}\n" + "".join(traceback.format_exception(error)).rstrip()
        log.add("sdk", f"[{record.name}] {text}", record.levelname.lower())
        return False


_FILTER = _IntoConnectionLog()
_SDK_LOGGERS = ("mcp", "mcp_types")


def capture_sdk_logs() -> None:
    """Put the filter on every SDK logger that exists (each module makes its own, on import)."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.split(".", 1)[0] in _SDK_LOGGERS and isinstance(logger, logging.Logger):
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
