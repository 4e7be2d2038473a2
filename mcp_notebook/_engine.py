"""What every ``Server`` of a ``Hub`` shares: the loop thread, the named connections, the settings,
the events — and the two ways to run an operation, blocking or awaited.

Each operation of the API is written once, as a coroutine that runs on the loop. ``block`` runs
it for a blocking caller (a cell, a script) and waits, interrupt-safe; ``hop`` runs it for an
awaiting caller on any event loop. Both set the caller's ``Inbox`` for the coroutine
(``_runtime.caller_inbox()``), so what it shows (a progress bar, a question) lands with the caller.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import dataclasses
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar, cast

from mcp_types import LoggingLevel

from . import apps, tasks
from ._inbox import Inbox, caller_inbox
from ._log import LOG_LEVELS
from ._runtime import Runtime
from .asking import ElicitPolicy, SamplePolicy
from .connection import DEFAULT_CONNECT_TIMEOUT
from .errors import UsageProblem
from .events import Events
from .registry import Registry

__all__ = ["DEFAULT_TIMEOUT", "EXIT_BUDGET", "Engine", "Setting", "Settings", "checked_level", "warm_up"]

T = TypeVar("T")
V = TypeVar("V")
DEFAULT_TIMEOUT = 120.0
EXIT_BUDGET = 2.0  # jupyter_client SIGKILLs a kernel 2.5 s after asking it to shut down


@dataclasses.dataclass
class Settings:
    """A hub's defaults, read at each operation (the magics' ``%config MCPMagics`` traits set them)."""

    timeout: float | None = DEFAULT_TIMEOUT
    """Seconds a request may take before it is cancelled on the server (None: no bound)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds starting a server and the handshake may take."""
    log_level: LoggingLevel | None = "info"
    """The server log level asked for at connect."""
    progress: bool = True
    """Show a progress bar while a tool reports progress."""
    progress_extends_timeout: bool = True
    """Each progress report restarts the call's timeout."""
    auto_reconnect: bool = False
    """Bring a dead server back on the next call, saying so."""
    on_elicit: ElicitPolicy = None
    """How connects that do not say answer elicitation (a policy word or a function; None: ask)."""
    on_sample: SamplePolicy = None
    """The same for sampling (``"decline"`` or a function; None: ask)."""


class Engine:
    """The loop, the connections, the settings and the events of one hub."""

    def __init__(self, runtime: Runtime | None = None, settings: Settings | None = None) -> None:
        self.runtime = runtime or Runtime()
        self.settings = settings or Settings()
        self.events = Events()
        self.registry = Registry(self.events)
        self._apps: apps.AppHost | None = None
        self.task_book = tasks.TaskBook()
        """This notebook's tasks: their durable records, and the ttl asked for new ones (``tasks``)."""
        self._exit_hook_lock = threading.Lock()
        self._exit_hook = False

    def block(self, coro: Coroutine[Any, Any, T], what: str | None = None) -> T:
        """Run ``coro`` on the loop and wait; an interrupt cancels it and raises ``Interrupted``
        (one line in IPython) naming ``what``."""
        __tracebackhide__ = True  # IPython leaves this frame out of the tracebacks it shows
        return self.runtime.run(coro, what=what)

    async def hop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the loop from any event loop (cancelling the awaiting task cancels it)."""
        return await self.runtime.arun(coro)

    def background(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the loop without waiting (for widget callbacks, which must never block)."""
        return self.runtime.submit(coro)

    def install_exit_hook(self) -> None:
        """Close everything at interpreter exit (a kernel's shutdown or restart); once."""
        with self._exit_hook_lock:
            if not self._exit_hook:
                atexit.register(self.close_all)
                self._exit_hook = True

    def close_all(self, budget: float = EXIT_BUDGET) -> None:
        """Close every connection within ``budget`` seconds, then SIGKILL any server still alive."""
        with self._exit_hook_lock:
            if self._exit_hook:
                atexit.unregister(self.close_all)
                self._exit_hook = False
        conns = self.registry.all()
        if not conns:
            return
        try:
            if self.runtime.running:
                self.runtime.run(self.registry.disconnect_all(grace=budget * 0.75), timeout=budget)
        except BaseException:  # at exit, nothing may stop the kill below
            pass
        finally:
            for conn in conns:
                conn.kill()

    def on(self, event: str, fn: Callable[..., Any]) -> Callable[[], None]:
        """Call ``fn(**details)`` on each ``event``; returns an undo."""
        return self.events.on(event, fn)

    @property
    def apps(self) -> apps.AppHost:
        """The MCP Apps host of this hub's servers (made on first use)."""
        if self._apps is None:
            self._apps = apps.AppHost(self)
        return self._apps

    def close_apps(self) -> None:
        """Close every App and stop the sandbox proxy, if any was started."""
        if self._apps is not None:
            self._apps.close()
            self._apps = None

    def request_timeout(self, given: float | None) -> float | None:
        """The timeout of one request: the one given, else the setting."""
        return self.settings.timeout if given is None else given

    # -- what the tasks package was written against (it takes an engine where it says "hub") ---------

    @property
    def timeout(self) -> float | None:
        """The request timeout setting."""
        return self.settings.timeout

    def run(self, make: Callable[[Inbox], Coroutine[Any, Any, T]], what: str | None = None) -> T:
        """``block`` for a coroutine factory that takes the caller's inbox."""
        __tracebackhide__ = True
        return self.block(_with_inbox(make), what)

    async def arun(self, make: Callable[[Inbox], Coroutine[Any, Any, T]]) -> T:
        """``hop`` for a coroutine factory that takes the caller's inbox."""
        return await self.hop(_with_inbox(make))


class Setting(Generic[V]):
    """A hub attribute that reads and writes its engine's ``Settings`` (``hub.timeout = 30``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, hub: Any, owner: type | None = None) -> V:
        return cast(V, getattr(hub._engine.settings, self.name))

    def __set__(self, hub: Any, value: V) -> None:
        setattr(hub._engine.settings, self.name, value)


def checked_level(value: str | None) -> LoggingLevel | None:
    if value is not None and value not in LOG_LEVELS:
        raise UsageProblem(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return cast(LoggingLevel | None, value)


_warmed = threading.Event()


def warm_up() -> None:
    """Import what the first call needs while the first server starts.

    ``jsonschema`` (argument checking here, output checking in the SDK) can take well over a
    second to import where ``rfc3987-syntax`` is installed, as Jupyter installs it; done in a
    background thread during the connect, the user's first call does not pay for it.
    """
    if _warmed.is_set():
        return
    _warmed.set()

    def work() -> None:
        try:
            import jsonschema  # noqa: F401
        except Exception:  # pragma: no cover - it is a dependency; a failure shows up at first use
            pass

    threading.Thread(target=work, name="mcp-notebook-warm-up", daemon=True).start()


async def _with_inbox(make: Callable[[Inbox], Coroutine[Any, Any, T]]) -> T:
    return await make(caller_inbox())
