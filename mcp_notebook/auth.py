"""OAuth 2.1 for HTTP servers, on the MCP SDK's ``OAuthClientProvider``.

``connect(name, url=..., auth="oauth")`` signs in the way the server says (metadata discovery,
including the 2025-03-26 fallbacks; dynamic client registration, or a client ID metadata document
with ``client_metadata_url``; scopes from the server's challenge; refresh). ``auth=OAuth(...)``
says more: scopes to ask for besides the server's, a pre-registered ``client_id``/``client_secret``,
``client_credentials=True`` for machine-to-machine access (with a secret, or a ``private_key`` for
``private_key_jwt``), a ``workload_token`` (workload identity federation) or an enterprise ``id_token``
to present instead of signing in (``_grants``), ``dpop=True`` for tokens bound to a key of the
connection (``_dpop``), where tokens are kept. Any other ``httpx2.Auth`` is used as it is.

Signing in shows the authorization link in the cell that connects and takes the address the
browser lands on afterwards, pasted (see ``_signin``): it works on JupyterHub, Binder and remote
kernels, where no redirect can reach the kernel. On the user's own machine a listener on the
redirect address catches it, and pressing Enter is enough. Tokens are kept per server in an owner-only file
under the Jupyter data dir (``_tokens``), so the next kernel refreshes instead of asking again;
``logout`` forgets them. No token, secret or key ever appears in a repr, a table, the log or an
error: ``secret_values()`` feeds the connection's scrubbing, including tokens obtained later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import httpx2
from mcp.client.auth import (
    OAuthClientProvider,
    OAuthFlowError,
    OAuthRegistrationError,
    OAuthTokenError,
)
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.client.auth.utils import union_scopes
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    ProtectedResourceMetadata,
)
from mcp.shared.exceptions import MCPDeprecationWarning
from pydantic import AnyUrl, PrivateAttr

from ._dpop import DPoP
from ._grants import JWT_BEARER, IdJagExchange, JwtBearerFlow, TokenSource
from ._signin import NobodyToAsk, PasteSignIn, SignInFailed
from ._tokens import FileTokenStorage, MemoryTokenStorage, NotebookTokenStorage, token_dir, token_path
from .config import ServerSpec
from .errors import NotConnected, UsageProblem

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "FileTokenStorage",
    "MemoryTokenStorage",
    "OAuth",
    "OAuthAuth",
    "attach",
    "logout",
    "resolve_auth",
    "token_dir",
]

DEFAULT_REDIRECT_URI = "http://127.0.0.1:8976/callback"
"""Where the browser is sent after signing in. A listener there catches it while a sign-in is under
way (when the browser and the kernel share a machine); otherwise the user pastes the address it
shows. A pre-registered client must have this URI registered (or pass ``redirect_uri``)."""

_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
RedirectHandler = Callable[[str], Awaitable[None]]
CallbackHandler = Callable[[], Awaitable[AuthorizationCodeResult]]

# The SDK logs every failed sign-in with a traceback (logger.exception); with no logging set up,
# Python's last-resort handler would print it into the cell. The error itself says what happened.
logging.getLogger("mcp.client.auth").addHandler(logging.NullHandler())


@dataclasses.dataclass(frozen=True, repr=False)
class OAuth:
    """How to sign in to an HTTP server with OAuth 2.1; ``connect(..., auth=OAuth(...))``.

    ``OAuth()`` (what ``auth="oauth"`` means) follows the server: discovery, dynamic registration,
    the scopes it asks for, sign-in through a pasted address. The options:

    - ``scopes``: scopes to ask for besides those the server names (a list, or one string).
    - ``client_id`` / ``client_secret``: a client registered with the authorization server
      beforehand (``token_endpoint_auth_method``: ``client_secret_basic`` by default with a secret,
      ``client_secret_post``, or ``none``); its registration must allow ``redirect_uri``.
    - ``client_metadata_url``: an https URL of this client's metadata document (CIMD), used as the
      client ID where the authorization server supports it, instead of registering.
    - ``client_credentials=True``: no user, no browser: the client's own credentials, with
      ``client_secret`` or a ``private_key`` (PEM text, or a path to a PEM file; signed with
      ``signing_algorithm``) for ``private_key_jwt``. ``issuer`` names the authorization server
      those credentials belong to: give it, and they are only ever sent there (without it, the
      server the MCP server points to gets them).
    - ``workload_token``: workload identity federation, no user: the JWT the platform the kernel
      runs on gives this workload (a Kubernetes pod, a cloud notebook), presented with the
      jwt-bearer grant (RFC 7523) as ``client_id``. The JWT itself, the path of the file the platform
      keeps it in (read again for every token, as such files are renewed), or a function returning
      it. ``issuer`` as above.
    - ``id_token`` with ``idp_token_endpoint``, ``idp_client_id`` (and ``idp_client_secret`` if the
      IdP gave this client one): enterprise-managed authorization (cross-app access), no browser:
      the user's ID token from the enterprise identity provider (the text, or a function returning
      it) is exchanged there for an identity assertion (ID-JAG) naming this server, which the
      authorization server takes for a token. Needs the ``client_id``/``client_secret`` this client
      has at the MCP server's authorization server; ``issuer`` as above.
    - ``dpop=True``: proof of possession (RFC 9449): tokens are bound to a key the connection makes
      and keeps to itself, and every request proves it holds the key (servers' nonces are
      honoured). Works with every form above. Such tokens are kept in memory only: the key dies
      with the connection.
    - ``storage``: ``"file"`` (default: kept under the Jupyter data dir, owner-only), ``"memory"``
      (gone with the kernel), or any object with the SDK's ``TokenStorage`` methods.
    - ``redirect_handler`` / ``callback_handler``: the SDK's hooks, to sign in some other way
      (``async redirect(url)``, then ``async callback() -> AuthorizationCodeResult``).
    """

    scopes: str | Sequence[str] | None = None
    client_id: str | None = None
    client_secret: str | None = None
    client_credentials: bool = False
    private_key: str | os.PathLike[str] | None = None
    signing_algorithm: str = "RS256"
    issuer: str | None = None
    token_endpoint_auth_method: str | None = None
    client_metadata_url: str | None = None
    client_name: str = "mcp_notebook"
    redirect_uri: str = DEFAULT_REDIRECT_URI
    storage: Any = "file"
    redirect_handler: RedirectHandler | None = None
    callback_handler: CallbackHandler | None = None
    workload_token: str | os.PathLike[str] | Callable[[], Any] | None = None
    id_token: str | Callable[[], Any] | None = None
    idp_token_endpoint: str | None = None
    idp_client_id: str | None = None
    idp_client_secret: str | None = None
    dpop: bool = False

    def __post_init__(self) -> None:
        scopes = self.scopes
        if isinstance(scopes, str):
            scopes = scopes.split()
        object.__setattr__(self, "scopes", tuple(str(s) for s in scopes) if scopes else None)
        self._check()

    def _check(self) -> None:
        if self.client_secret is not None and not self.client_id:
            raise UsageProblem("a client secret needs its client ID: pass client_id= (--client-id) too")
        self._check_assertions()
        if self.client_credentials:
            if not self.client_id:
                raise UsageProblem("client credentials need a client_id= (--client-id)")
            if not self.client_secret and self.private_key is None:
                raise UsageProblem("client credentials need client_secret= (--client-secret) or private_key=")
        elif self.private_key is not None or (self.issuer is not None and not self._presents_jwt):
            what = "private_key= signs" if self.private_key is not None else "issuer= names the server of"
            raise UsageProblem(f"{what} client credentials: pass client_credentials=True too")
        if self.client_secret is not None and self.private_key is not None:
            raise UsageProblem("give client_secret= or private_key=, not both")
        method = self.token_endpoint_auth_method
        if method is not None and method not in _AUTH_METHODS:
            raise UsageProblem(f"token_endpoint_auth_method is one of {', '.join(_AUTH_METHODS)}, not {method!r}")
        if method in ("client_secret_basic", "client_secret_post") and not self.client_secret:
            raise UsageProblem(f"{method} sends a client secret: pass client_secret= too")
        if self.client_metadata_url is not None:
            from mcp.client.auth.utils import is_valid_client_metadata_url

            if not is_valid_client_metadata_url(self.client_metadata_url):
                raise UsageProblem(
                    f"client_metadata_url must be an https URL with a path, not {self.client_metadata_url!r}"
                )
        storage = self.storage
        if not (storage in ("file", "memory") or hasattr(storage, "get_tokens")):
            raise UsageProblem(f"storage is 'file', 'memory' or a TokenStorage object, not {storage!r}")

    @property
    def _presents_jwt(self) -> bool:
        return self.workload_token is not None or self.id_token is not None

    def _check_assertions(self) -> None:
        idp = {"idp_token_endpoint": self.idp_token_endpoint, "idp_client_id": self.idp_client_id}
        if self.id_token is None and (any(idp.values()) or self.idp_client_secret is not None):
            raise UsageProblem("the idp_* options go with an ID token to exchange: pass id_token= (--id-token) too")
        if not self._presents_jwt:
            return
        if self.workload_token is not None and self.id_token is not None:
            raise UsageProblem("give workload_token= (--workload-token) or id_token= (--id-token), not both")
        if self.client_credentials or self.private_key is not None:
            raise UsageProblem("a workload token or an ID token replaces client credentials: drop client_credentials=")
        if not self.client_id:
            raise UsageProblem("presenting a token needs the client_id= (--client-id) this client has at the server")
        if self.id_token is not None:
            missing = [name for name, value in idp.items() if not value]
            if missing:
                flags = ", ".join(f"{name}= (--{name.replace('_', '-')})" for name in missing)
                raise UsageProblem(f"exchanging an ID token at the identity provider needs {flags}")
            if not self.client_secret:
                raise UsageProblem("enterprise-managed authorization needs the client_secret= (--client-secret) too")
        for name in ("workload_token", "id_token"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.strip():
                raise UsageProblem(f"{name} is empty: give the token, a file holding it, or a function returning it")

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default or value is None:
                continue
            if f.name in ("workload_token", "id_token") and not callable(value):
                value = TokenSource(value, f.name, files=f.name == "workload_token")
                shown.append(f"{f.name}={value!r}")
                continue
            if f.name in ("client_secret", "private_key", "idp_client_secret"):
                value = "***"
            shown.append(f"{f.name}={value!r}" if not callable(value) else f"{f.name}=<function>")
        return f"OAuth({', '.join(shown)})"

    @property
    def kind(self) -> str:
        """A word for tables: ``OAuth``, ``OAuth client credentials``, ... (``, DPoP`` when bound)."""
        if self.client_credentials:
            kind = "OAuth client credentials"
        elif self.workload_token is not None:
            kind = "OAuth workload identity"
        elif self.id_token is not None:
            kind = "OAuth enterprise (ID-JAG)"
        else:
            kind = "OAuth"
        return f"{kind}, DPoP" if self.dpop else kind

    def secret_values(self) -> list[str]:
        found = [s for s in (self.client_secret, self.idp_client_secret) if s]
        for name in ("workload_token", "id_token"):
            value = getattr(self, name)
            if isinstance(value, str):
                found += TokenSource(value, name, files=name == "workload_token").secret_values()
        return found

    def build(self, server_url: str, server: str = "server") -> OAuthAuth:
        """The ``httpx2.Auth`` for the server at ``server_url`` (named ``server`` in messages)."""
        storage = self._storage(server_url)
        key = _read_key(self.private_key) if self.private_key is not None else None
        provider = self._provider(server_url, server, storage, key)
        dpop = DPoP() if self.dpop else None
        return OAuthAuth(self, server_url, provider, storage, secrets=[key] if key else [], dpop=dpop)

    def _storage(self, server_url: str) -> Any:
        if self.dpop and self.storage == "file":
            return MemoryTokenStorage(server_url)  # the tokens are bound to a key that dies with the connection
        if self.storage == "file":
            return FileTokenStorage(server_url)
        if self.storage == "memory":
            return MemoryTokenStorage(server_url)
        return self.storage

    def _provider(self, server_url: str, server: str, storage: Any, key: str | None) -> OAuthClientProvider:
        wanted = " ".join(self.scopes) if self.scopes else None
        provider: OAuthClientProvider
        if self.client_credentials:
            provider = self._client_credentials(server_url, storage, wanted, key)
        elif self._presents_jwt:
            provider = self._jwt_bearer(server_url, storage, wanted)
        else:
            metadata = OAuthClientMetadata(
                client_name=self.client_name,
                redirect_uris=[AnyUrl(self.redirect_uri)],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                scope=wanted,
            )
            redirect, callback = self.redirect_handler, self.callback_handler
            paste: PasteSignIn | None = None
            if redirect is None or callback is None:
                paste = PasteSignIn(server, self.redirect_uri)
                redirect = redirect or paste.redirect
                callback = callback or paste.callback
            code = _AuthorizationCode(
                server_url, metadata, storage, redirect, callback, client_metadata_url=self.client_metadata_url
            )
            code._nb_fixed = self._registered_client()
            code._nb_pick_method = self.client_secret is not None and self.token_endpoint_auth_method is None
            if paste is not None:
                paste.issuer = lambda: _issuer(code)
            provider = code
        _widen_scopes(provider, wanted)
        return provider

    def _registered_client(self) -> OAuthClientInformationFull | None:
        if not self.client_id:
            return None
        method = self.token_endpoint_auth_method or ("client_secret_basic" if self.client_secret else "none")
        return OAuthClientInformationFull(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uris=[AnyUrl(self.redirect_uri)],
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method=method,
        )

    def _client_credentials(
        self, server_url: str, storage: Any, wanted: str | None, key: str | None
    ) -> OAuthClientProvider:
        assert self.client_id is not None
        with warnings.catch_warnings():
            # Without an issuer the SDK warns that its 3.0 will require one: advice about the SDK's
            # API, not this one (whose docstring gives the same advice for ``issuer=``).
            warnings.filterwarnings("ignore", "Omitting `issuer`", MCPDeprecationWarning)
            if key is not None:
                params = SignedJWTParameters(
                    issuer=self.client_id,
                    subject=self.client_id,
                    signing_key=key,
                    signing_algorithm=self.signing_algorithm,
                )
                return _PrivateKeyJWT(
                    server_url,
                    storage,
                    self.client_id,
                    params.create_assertion_provider(),
                    scope=wanted,
                    issuer=self.issuer,
                )
            method = self.token_endpoint_auth_method or "client_secret_basic"
            if method == "none":
                raise UsageProblem("client credentials authenticate the client: use a secret or a private key")
            return _ClientCredentials(
                server_url,
                storage,
                self.client_id,
                self.client_secret or "",
                token_endpoint_auth_method=method,  # type: ignore[arg-type]
                scope=wanted,
                issuer=self.issuer,
            )

    def _jwt_bearer(self, server_url: str, storage: Any, wanted: str | None) -> OAuthClientProvider:
        """Workload identity (the platform's JWT) or enterprise-managed authorization (an ID-JAG
        from the IdP), both presented with the jwt-bearer grant."""
        assert self.client_id is not None
        assertion: Callable[[str, str], Awaitable[str]]
        if self.workload_token is not None:
            source = TokenSource(self.workload_token, "workload_token")

            async def workload(audience: str, resource: str) -> str:
                return await source.read()

            assertion = workload
        else:
            assert self.id_token is not None and self.idp_token_endpoint and self.idp_client_id
            assertion = IdJagExchange(
                TokenSource(self.id_token, "id_token", files=False),
                self.idp_token_endpoint,
                self.idp_client_id,
                self.idp_client_secret,
            )
        method: Any = self.token_endpoint_auth_method or ("client_secret_basic" if self.client_secret else "none")
        client = OAuthClientInformationFull(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uris=None,
            grant_types=[JWT_BEARER],
            token_endpoint_auth_method=method,
        )
        metadata = OAuthClientMetadata(
            redirect_uris=None, grant_types=[JWT_BEARER], token_endpoint_auth_method=method, scope=wanted
        )
        provider = _JwtBearer(server_url, metadata, storage, None, None)
        provider._nb_fixed = client
        provider._nb_pick_method = self.client_secret is not None and self.token_endpoint_auth_method is None
        provider._nb_assertion = assertion
        provider._nb_issuer = self.issuer
        return provider


def _read_key(key: str | os.PathLike[str]) -> str:
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


def _widen_scopes(provider: OAuthClientProvider, wanted: str | None) -> None:
    if not wanted:
        return
    metadata = _ClientMetadata.model_validate(provider.context.client_metadata.model_dump())
    metadata._wanted = wanted
    metadata.scope = metadata.scope  # fold in now, for a flow that never assigns it
    provider.context.client_metadata = metadata


def _pick_secret_method(client: OAuthClientInformationFull | None, metadata: OAuthMetadata | None) -> None:
    """Send a pre-registered secret the way the authorization server takes it: ``client_secret_basic``
    (RFC 6749's default) unless its metadata lists ``client_secret_post`` alone of the two."""
    if client is None or metadata is None or not client.client_secret:
        return
    supported = metadata.token_endpoint_auth_methods_supported or []
    if "client_secret_post" in supported and "client_secret_basic" not in supported:
        client.token_endpoint_auth_method = "client_secret_post"


def _issuer(provider: OAuthClientProvider) -> str | None:
    metadata = provider.context.oauth_metadata
    return str(metadata.issuer) if metadata is not None else None


class _Remembering(OAuthClientProvider):
    """Restores, at start, what a ``NotebookTokenStorage`` kept (token expiry, discovery results,
    a pre-registered client) and keeps discovery results beside each new token."""

    _nb_fixed: OAuthClientInformationFull | None = None
    _nb_pick_method = False  # the user did not say how the pre-registered client authenticates

    async def _perform_authorization(self) -> httpx2.Request:
        if self._nb_pick_method:
            _pick_secret_method(self.context.client_info, self.context.oauth_metadata)
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


class _AuthorizationCode(_Remembering):
    pass


class _ClientCredentials(_Remembering, ClientCredentialsOAuthProvider):
    pass


class _PrivateKeyJWT(_Remembering, PrivateKeyJWTOAuthProvider):
    pass


class _JwtBearer(_Remembering, JwtBearerFlow):
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
        settings: OAuth,
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
        found = self.settings.secret_values()
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


def attach(spec: ServerSpec, auth: Any, registry: Any = None) -> ServerSpec:
    """``spec`` with the auth ``connect(auth=...)`` was given; HTTP and SSE servers only."""
    if spec.url is None:
        raise UsageProblem(f"auth= is for HTTP servers (url=...); {spec.name!r} is not one")
    existing = None
    if registry is not None:
        with contextlib.suppress(NotConnected):
            existing = registry.get(spec.name).spec.auth
    return dataclasses.replace(spec, auth=resolve_auth(auth, spec.url, spec.name, existing))


def resolve_auth(auth: Any, url: str, server: str, existing: Any = None) -> Any:
    """What ``connect(auth=...)`` was given, as the ``httpx2.Auth`` to use (None for none).

    ``"oauth"`` and ``OAuth(...)`` build an ``OAuthAuth`` — or reuse ``existing`` (the live
    connection's) when it was built from the same settings for the same URL.
    """
    if auth is None or auth is False:
        return None
    if isinstance(auth, str):
        if auth.lower() != "oauth":
            raise UsageProblem(f"auth is 'oauth', an mcp_notebook.OAuth(...) or an httpx2.Auth, not {auth!r}")
        auth = OAuth()
    if isinstance(auth, OAuth):
        if isinstance(existing, OAuthAuth) and existing.settings == auth and existing.server_url == url:
            return existing
        return auth.build(url, server)
    if isinstance(auth, httpx2.Auth):
        return auth
    raise UsageProblem(f"auth is 'oauth', an mcp_notebook.OAuth(...) or an httpx2.Auth, not a {type(auth).__name__}")


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
