"""The OAuth machinery under ``OAuth``: the SDK's providers with what a notebook adds — tokens and
the client registration remembered per server (``_Remembering``), scopes widened as servers ask,
the token endpoint's authentication picked from what the server supports — and ``OAuthAuth``, the
``httpx2.Auth`` a connection holds (equal to another built from the same settings for the same
URL; its repr shows no secret; DPoP proofs added when the settings ask for them).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import httpx2
from mcp.client.auth import OAuthClientProvider, OAuthFlowError, OAuthRegistrationError, OAuthTokenError
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider, PrivateKeyJWTOAuthProvider
from mcp.client.auth.utils import union_scopes
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthMetadata, ProtectedResourceMetadata
from pydantic import PrivateAttr

from ._dpop import DPoP
from ._grants import JwtBearerFlow
from ._signin import NobodyToAsk, SignInFailed
from ._tokens import NotebookTokenStorage, token_path
from .config import ServerSpec
from .errors import UsageProblem

__all__ = [
    "AuthorizationCode",
    "ClientCredentials",
    "JwtBearer",
    "OAuthAuth",
    "PrivateKeyJWT",
    "issuer_of",
    "pick_secret_method",
    "read_key",
    "describe_auth_failure",
    "logout",
    "widen_scopes",
]


def read_key(key: str | os.PathLike[str]) -> str:
    text = os.fspath(key)
    if "-----BEGIN" in text:
        return text
    path = Path(text).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as e:
        # Never echo what was given if it might be key material pasted without its PEM header.
        shown = f" {path}: {e.strerror or e}" if isinstance(e, OSError) and "\n" not in text and len(text) < 256 else ""
        raise UsageProblem(f"private_key is PEM text or the path of a PEM file; cannot read it{shown}") from None


# -- the SDK's providers, taught to remember and to ask for the user's scopes -------------------------


class _ClientMetadata(OAuthClientMetadata):
    """Client metadata whose ``scope`` always includes the scopes the user asked for.

    The SDK sets ``scope`` from the server's challenge before registering and before asking for
    a token; folding the user's scopes in on every assignment puts them in both.
    """

    _wanted: str | None = PrivateAttr(default=None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "scope" and self._wanted:
            value = union_scopes(value, self._wanted)
        super().__setattr__(name, value)


def widen_scopes(provider: OAuthClientProvider, wanted: str | None) -> None:
    if not wanted:
        return
    metadata = _ClientMetadata.model_validate(provider.context.client_metadata.model_dump())
    metadata._wanted = wanted
    metadata.scope = metadata.scope  # fold in now, for a flow that never assigns it
    provider.context.client_metadata = metadata


def pick_secret_method(client: OAuthClientInformationFull | None, metadata: OAuthMetadata | None) -> None:
    """Send a pre-registered secret the way the authorization server takes it: ``client_secret_basic``
    (RFC 6749's default) unless its metadata lists ``client_secret_post`` alone of the two."""
    if client is None or metadata is None or not client.client_secret:
        return
    supported = metadata.token_endpoint_auth_methods_supported or []
    if "client_secret_post" in supported and "client_secret_basic" not in supported:
        client.token_endpoint_auth_method = "client_secret_post"


def issuer_of(provider: OAuthClientProvider) -> str | None:
    metadata = provider.context.oauth_metadata
    return str(metadata.issuer) if metadata is not None else None


class _Remembering(OAuthClientProvider):
    """Restores, at start, what a ``NotebookTokenStorage`` kept (token expiry, discovery results,
    a pre-registered client) and keeps discovery results beside each new token."""

    _nb_fixed: OAuthClientInformationFull | None = None
    _nb_pick_method = False  # the user did not say how the pre-registered client authenticates

    async def _perform_authorization(self) -> httpx2.Request:
        if self._nb_pick_method:
            pick_secret_method(self.context.client_info, self.context.oauth_metadata)
        return await super()._perform_authorization()

    async def _initialize(self) -> None:
        await super()._initialize()
        context = self.context
        if self._nb_fixed is not None:
            context.client_info = self._nb_fixed
        storage = context.storage
        if not isinstance(storage, NotebookTokenStorage):
            return
        if context.current_tokens is not None:
            context.token_expiry_time = storage.expires_at()
        found = storage.discovery()
        try:
            if context.oauth_metadata is None and found.get("oauth_metadata"):
                context.oauth_metadata = OAuthMetadata.model_validate(found["oauth_metadata"])
            if context.protected_resource_metadata is None and found.get("resource_metadata"):
                context.protected_resource_metadata = ProtectedResourceMetadata.model_validate(
                    found["resource_metadata"]
                )
        except ValueError:  # metadata kept by another version: discovery finds it again
            context.oauth_metadata = context.protected_resource_metadata = None
        if context.auth_server_url is None and isinstance(found.get("auth_server_url"), str):
            context.auth_server_url = found["auth_server_url"]

    async def _handle_token_response(self, response: httpx2.Response) -> None:
        await super()._handle_token_response(response)
        storage = self.context.storage
        if isinstance(storage, NotebookTokenStorage):
            context = self.context
            storage.set_discovery(
                {
                    "oauth_metadata": _dump(context.oauth_metadata),
                    "resource_metadata": _dump(context.protected_resource_metadata),
                    "auth_server_url": context.auth_server_url,
                }
            )

    def forget(self) -> None:
        """Drop the tokens held in memory; the next request starts from storage (now empty)."""
        self.context.clear_tokens()
        self.context.client_info = None
        self._initialized = False


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", exclude_none=True) if model is not None else None


class AuthorizationCode(_Remembering):
    pass


class ClientCredentials(_Remembering, ClientCredentialsOAuthProvider):
    pass


class PrivateKeyJWT(_Remembering, PrivateKeyJWTOAuthProvider):
    pass


class JwtBearer(_Remembering, JwtBearerFlow):
    pass


# -- the Auth handed to the transport ------------------------------------------------------------------


class OAuthAuth(httpx2.Auth):
    """The ``httpx2.Auth`` a connection uses: the SDK provider, its storage, and the settings.

    Equal to another built from the same settings for the same URL, so connecting again with
    ``auth="oauth"`` finds the live connection. Its repr shows no secret.
    """

    requires_response_body = True

    def __init__(
        self,
        settings: Any,
        server_url: str,
        provider: OAuthClientProvider,
        storage: Any,
        secrets: Sequence[str] = (),
        dpop: DPoP | None = None,
    ) -> None:
        self._secrets = list(secrets)
        self._dpop = dpop
        self.settings = settings
        self.server_url = server_url
        self.provider = provider
        self.storage = storage

    @property
    def kind(self) -> str:
        """``OAuth`` once tokens are held; until then (a server that has not asked) it says so."""
        signed_in = self.provider.context.current_tokens is not None
        return self.settings.kind if signed_in else f"{self.settings.kind}, not signed in"

    def __repr__(self) -> str:
        return f"<OAuthAuth {self.server_url} {self.settings!r}>"

    @property
    def key_bound(self) -> bool:
        """Whether the tokens are bound to this connection's DPoP key (and so useless elsewhere)."""
        return self._dpop is not None

    def bearer(self) -> str | None:
        """The access token held now (None before signing in): what a Dask worker presents as it is."""
        tokens = self.provider.context.current_tokens
        return tokens.access_token if tokens is not None else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OAuthAuth):
            return NotImplemented
        return (self.server_url, self.settings) == (other.server_url, other.settings)

    def __hash__(self) -> int:
        return hash((self.server_url, self.settings))

    def sync_auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        raise RuntimeError("OAuthAuth works with async clients only")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        flow = self.provider.async_auth_flow(request)
        dpop = self._dpop
        try:
            outgoing = await flow.__anext__()
            while True:
                if dpop is None:
                    response = yield outgoing
                else:
                    response = yield dpop.outgoing(outgoing)
                    if await dpop.incoming(response):  # refused for want of the server's nonce: once more, with it
                        response = yield dpop.outgoing(outgoing)
                        await dpop.incoming(response)
                    response = await dpop.token_response(response)
                try:
                    outgoing = await flow.asend(response)
                except NobodyToAsk:
                    # A request nobody waits on (a listen stream, a background call) needs a sign-in:
                    # send it as it was, so it alone fails with the server's 401. Raised from here, the
                    # error would end the transport, and the connection with it.
                    yield request
                    return
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()

    def secret_values(self) -> list[str]:
        """Every secret this auth holds now: client secret, private key, stored tokens."""
        found: list[str] = list(self.settings.secret_values())
        found += self._secrets
        if isinstance(self.storage, NotebookTokenStorage):
            found += self.storage.secret_values()
        return found

    def on_secret(self, listener: Callable[[list[str]], None]) -> None:
        """Call ``listener(values)`` with new secrets (tokens) as they arrive."""
        if isinstance(self.storage, NotebookTokenStorage):
            self.storage.on_secret(listener)

    def logout(self) -> bool:
        """Forget the stored tokens and registration, and those held in memory; True if any were kept."""
        had = bool(self.provider.context.current_tokens)
        if isinstance(self.storage, NotebookTokenStorage):
            had = self.storage.forget() or had
        if isinstance(self.provider, _Remembering):
            self.provider.forget()
        return had


def logout(url: str, specs: Sequence[ServerSpec] = ()) -> bool:
    """Forget the tokens kept on disk for the server at ``url``, and those held by the connections
    among ``specs`` to it; True if there were any."""
    from ._tokens import server_key

    key = server_key(url)
    found = False
    for spec in specs:
        if isinstance(spec.auth, OAuthAuth) and spec.url and server_key(spec.url) == key:
            found = spec.auth.logout() or found
    try:
        token_path(url).unlink()
    except FileNotFoundError:
        return found
    return True


def describe_auth_failure(error: BaseException, spec: ServerSpec) -> str | None:
    """Why signing in failed, in words with what to do next; None if ``error`` is not about it."""
    from .config import redact_url

    url = redact_url(spec.url or "")
    again = f"connect again to sign in afresh (`%mcp logout {spec.name}` forgets what is stored)"
    if isinstance(error, SignInFailed):
        return f"signing in to {url} did not finish: {error}; connect again to start over"
    if isinstance(error, OAuthRegistrationError):
        return (
            f"signing in to {url}: registering this client with the authorization server failed ({error}); "
            "if it does not take registrations, pass the client_id= (--client-id) of a client registered there"
        )
    if isinstance(error, OAuthTokenError):
        if str(error).startswith("the identity provider"):  # leg 1 of enterprise-managed authorization
            return f"signing in to {url}: {error}; check the ID token and the --idp-* settings"
        return f"signing in to {url}: the authorization server did not give a token ({error}); {again}"
    if isinstance(error, OAuthFlowError):
        text = str(error)
        if text.startswith("State parameter mismatch"):
            text = "the pasted address belongs to another sign-in (its state differs)"
        elif "issuer mismatch" in text or text.startswith("Protected resource"):
            # A server that says it is someone else: retrying cannot help, and must not be suggested.
            return f"signing in to {url} stopped: {text} (the server's OAuth metadata is inconsistent; tell its owner)"
        return f"signing in to {url} failed: {text}; {again}"
    return None
