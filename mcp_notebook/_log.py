"""A bounded, secret-scrubbing log kept per connection: server stderr, log notifications, events."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConnectionLog", "LogEntry"]

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
