"""How long to wait between two looks at a task: backoff that honours the server's ``pollInterval``.

Both protocol forms let the server suggest a polling interval, and clients SHOULD respect it: the
wait is never shorter than what the server asked for. On top of that the wait grows while nothing
changes (a quick task is seen finishing soon, an hours-long one is not asked about every second),
and starts small again as soon as the status or its message moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Backoff"]

FIRST = 0.25  # seconds before the second look, when the server suggests nothing
GROWTH = 1.5
CAP = 5.0  # the longest wait the backoff alone reaches (a server's own interval may be longer)
FLOOR = 0.05  # never spin, whatever the server says


@dataclass
class Backoff:
    """The waits between looks at one task; ``next(poll_ms)`` gives the next one in seconds."""

    first: float = FIRST
    growth: float = GROWTH
    cap: float = CAP
    quiet: int = 0
    """Looks in a row that saw nothing new."""
    _last: tuple[str, str | None] | None = field(default=None, repr=False)

    def saw(self, status: str, message: str | None) -> None:
        """Note what the last look saw; something new starts the backoff over."""
        seen = (status, message)
        if seen != self._last:
            self.quiet = 0
            self._last = seen
        else:
            self.quiet += 1

    def next(self, poll_ms: int | None) -> float:
        """Seconds to wait now: the backoff, but never less than the server's ``poll_ms``."""
        backoff = min(self.cap, self.first * self.growth**self.quiet)
        asked = poll_ms / 1000 if poll_ms is not None else 0.0
        return max(backoff, asked, FLOOR)

    def reset(self) -> None:
        """Look again soon (the client just did something that changes the task: answered it)."""
        self.quiet = 0
        self._last = None
