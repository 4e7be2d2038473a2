"""Signing in from a kernel that cannot receive a redirect: show the link, take the pasted address.

A kernel on JupyterHub, Binder or a remote machine has no browser and cannot listen where the
user's browser is sent back to. So the default sign-in shows the authorization link — and the
domain it leads to, prominently — in the cell of the call that connects, and asks (``input()``,
which Jupyter shows as a box) for the address the browser landed on afterwards: the page may fail
to load, but its address holds ``code``, ``state`` and ``iss``. The code alone is accepted too.
Where the browser can reach the kernel (a kernel on the user's own machine), a listener on the
redirect address catches it (``_redirect_listener``) and the user only presses Enter.

The connect runs on the loop thread, so the link is printed and the answer read in the thread
that waits on the connect: ``signing_in`` gives the connecting task a ``SignIn`` (an
``InputAsker`` that is live only while the connect runs), and a sign-in needed later, by a call
(a step-up to more scopes), uses that call's own ``InputAsker``. The time spent waiting on the
person does not count against the connect timeout (``wait_started``).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from ._inbox import Inbox
from ._input_asker import InputAsker
from ._prompts import ReadFn, WriteFn
from ._redirect_listener import RedirectListener
from .asking import CURRENT_ASKER, MAX_TRIES

__all__ = [
    "NobodyToAsk",
    "PasteSignIn",
    "SIGN_IN",
    "SignIn",
    "SignInFailed",
    "ask_person",
    "parse_redirect",
    "signing_in",
    "wait_started",
]

T = TypeVar("T")


class SignInFailed(Exception):
    """Signing in could not go on (nobody to ask, the user gave up, the server said no)."""


class NobodyToAsk(SignInFailed):
    """A request that needs a sign-in has no cell waiting on it (a background stream or call)."""


class SignIn:
    """The connecting call's way to the user, and how long it has waited on them."""

    def __init__(self, inbox: Inbox) -> None:
        self.asker = InputAsker(inbox)
        self.active = True
        self._waited = 0.0
        self._since: float | None = None

    def waited(self) -> float:
        """Seconds spent waiting on the person so far (including a wait going on now)."""
        ongoing = time.monotonic() - self._since if self._since is not None else 0.0
        return self._waited + ongoing

    @property
    def busy(self) -> bool:
        return self._since is not None

    async def ask(self, fn: Callable[[], T]) -> T:
        self._since = time.monotonic()
        try:
            return await self.asker.in_caller(fn)
        finally:
            self._waited += time.monotonic() - self._since
            self._since = None


SIGN_IN: contextvars.ContextVar[SignIn | None] = contextvars.ContextVar("mcp_notebook_sign_in", default=None)
"""The live connect's ``SignIn``. A variable of its own, not ``CURRENT_ASKER``: the owner task of
the connection inherits it for good, and there it must not shadow the askers of later calls."""


async def signing_in(inbox: Inbox, work: Awaitable[T]) -> T:
    """Await ``work`` (a connect) with a ``SignIn`` that reaches the user through ``inbox``."""
    sign_in = SignIn(inbox)
    token = SIGN_IN.set(sign_in)
    try:
        return await work
    finally:
        sign_in.active = False  # the owner task keeps the variable; nobody waits on this inbox now
        SIGN_IN.reset(token)


async def ask_person(fn: Callable[[], T]) -> T:
    """Run ``fn`` (which prints and calls ``input()``) in the thread waiting on this connect or call."""
    sign_in = SIGN_IN.get()
    if sign_in is not None and sign_in.active:
        return await sign_in.ask(fn)
    asker = CURRENT_ASKER.get()
    if isinstance(asker, InputAsker):
        return await asker.in_caller(fn)
    raise NobodyToAsk("no cell is waiting to show the sign-in link (a background call cannot sign in)")


async def wait_started(started: asyncio.Future[None], timeout: float) -> None:
    """``wait_for(shield(started), timeout)``, where time spent waiting on the person to sign in
    does not count (a sign-in takes minutes; a server that never answers should not)."""
    sign_in = SIGN_IN.get()
    if sign_in is None:
        await asyncio.wait_for(asyncio.shield(started), timeout)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline + sign_in.waited() - loop.time()
        try:
            await asyncio.wait_for(asyncio.shield(started), max(remaining, 1.0 if sign_in.busy else 0.0))
            return
        except asyncio.TimeoutError:
            if not sign_in.busy and deadline + sign_in.waited() <= loop.time():
                raise


# -- the paste flow -------------------------------------------------------------------------------


def parse_redirect(text: str, state: str | None = None, issuer: str | None = None) -> dict[str, str | None]:
    """``code``, ``state``, ``iss`` from what the user pasted: the address the browser landed on,
    its query string, or the code alone (then ``state`` and ``iss`` are the expected ones).

    Raises ``ValueError`` with what went wrong (an ``error=`` from the server, no code).
    """
    text = text.strip().strip("'\"<>")
    if not text:
        raise ValueError("nothing was pasted")
    if "://" in text or "?" in text or "=" in text:
        parts = urlsplit(text)
        query = parts.query or (parts.fragment if "code=" in parts.fragment else "")
        if not query and "=" in text and "://" not in text:
            query = text.lstrip("?")
        found = {k: v[0] for k, v in parse_qs(query).items() if v}
        if "error" in found:
            why = found.get("error_description") or ""
            raise ValueError(f"the authorization server said {found['error']}" + (f": {why}" if why else ""))
        if "code" not in found:
            raise ValueError("that address has no code= in it; paste the whole address the browser shows")
        return {"code": found["code"], "state": found.get("state"), "iss": found.get("iss")}
    if any(c.isspace() for c in text):
        raise ValueError("paste the address (or the code alone), on one line")
    return {"code": text, "state": state, "iss": issuer}


def _domain(url: str) -> str:
    return urlsplit(url).hostname or "(no host)"


class PasteSignIn:
    """The SDK's redirect and callback handlers for a kernel: show the link, read the pasted address.

    ``read``/``write`` default to ``input``/``print`` looked up at call time (so a kernel's, or a
    test's, replacement is the one used).
    """

    def __init__(
        self,
        server: str,
        redirect_uri: str,
        issuer: Callable[[], str | None] = lambda: None,
        read: ReadFn | None = None,
        write: WriteFn | None = None,
    ) -> None:
        self.server = server
        self.redirect_uri = redirect_uri
        self.issuer = issuer
        """The expected issuer, for a pasted code alone (known once discovery has run)."""
        self._read = read
        self._write = write
        self._state: str | None = None
        self._listener: RedirectListener | None = None

    def _io(self) -> tuple[ReadFn, WriteFn]:
        return (self._read or input), (self._write or print)

    async def redirect(self, authorization_url: str) -> None:
        states = parse_qs(urlsplit(authorization_url).query).get("state")
        self._state = states[0] if states else None
        await self._stop_listening()
        listener = RedirectListener(self.server, self.redirect_uri, self._state)
        self._listener = listener if await listener.start() else None
        try:
            await ask_person(lambda: self.show(authorization_url))
        except BaseException:
            await self._stop_listening()
            raise

    async def _stop_listening(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    def show(self, authorization_url: str) -> None:
        _read, write = self._io()
        domain = _domain(authorization_url)
        landing = urlsplit(self.redirect_uri).netloc or self.redirect_uri
        write(f"\n🔐 {self.server} needs you to sign in, at  >>> {domain} <<<")
        write("   Open this link in your browser, sign in and approve:")
        write(f"   {authorization_url}")
        if self._listener is not None:
            write(
                f"   The browser then goes to {landing}. If its page says you are signed in, just press Enter "
                "below; if it does not load (a remote kernel), copy the whole address from the address bar "
                "and paste it below (or just the code)."
            )
        else:
            write(
                f"   The browser then goes to {landing}, which may not load from here: copy the whole address "
                "from the address bar and paste it below (or just the code)."
            )

    async def callback(self) -> Any:
        from mcp.shared.auth import AuthorizationCodeResult

        try:
            answer = await ask_person(self.read)
        finally:
            await self._stop_listening()
            self._listener = None
        return AuthorizationCodeResult(code=answer["code"] or "", state=answer["state"], iss=answer["iss"])

    def _caught(self) -> dict[str, str | None] | None:
        """What the listener caught (read from the waiting thread: one reference, set once)."""
        caught = self._listener.caught if self._listener is not None else None
        if caught is None:
            return None
        if "error" in caught:
            why = caught.get("error_description") or ""
            raise SignInFailed(f"the authorization server said {caught['error']}" + (f": {why}" if why else ""))
        return {"code": caught["code"], "state": caught.get("state"), "iss": caught.get("iss")}

    def read(self) -> dict[str, str | None]:
        read, write = self._io()
        listening = self._listener is not None
        hint = "Enter when signed in, or paste the address; empty twice gives up" if listening else "empty to give up"
        empty_before = False
        for _attempt in range(MAX_TRIES):
            try:
                text = read(f"Address after signing in to {self.server} ({hint}): ")
            except EOFError:
                raise SignInFailed("no answer could be read (this kernel does not take input)") from None
            if not text.strip():
                caught = self._caught()
                if caught is not None:
                    return caught
                if not listening or empty_before:
                    raise SignInFailed("nothing was pasted")
                landing = urlsplit(self.redirect_uri).netloc
                write(f"  the browser has not come back to {landing} here: paste the address it shows")
                empty_before = True
                continue
            try:
                found = parse_redirect(text, self._state, self.issuer())
            except ValueError as e:
                if str(e).startswith("the authorization server said"):
                    raise SignInFailed(str(e)) from None
                write(f"  {e}")
                continue
            if found["state"] != self._state:
                write("  that address is from another sign-in (its state differs): paste the one from this link")
                continue
            return found
        raise SignInFailed("too many tries")
