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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx2
from mcp.client.auth import (
    OAuthClientProvider,
)
from mcp.client.auth.extensions.client_credentials import (
    SignedJWTParameters,
)
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
)
from mcp.shared.exceptions import MCPDeprecationWarning
from pydantic import AnyUrl

from ._dpop import DPoP
from ._grants import JWT_BEARER, IdJagExchange, TokenSource
from ._oauth_auth import (
    AuthorizationCode,
    ClientCredentials,
    JwtBearer,
    OAuthAuth,
    PrivateKeyJWT,
    issuer_of,
    logout,
    read_key,
    widen_scopes,
)
from ._signin import PasteSignIn
from ._tokens import FileTokenStorage, MemoryTokenStorage, token_dir
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
        key = read_key(self.private_key) if self.private_key is not None else None
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
            code = AuthorizationCode(
                server_url, metadata, storage, redirect, callback, client_metadata_url=self.client_metadata_url
            )
            code._nb_fixed = self._registered_client()
            code._nb_pick_method = self.client_secret is not None and self.token_endpoint_auth_method is None
            if paste is not None:
                paste.issuer = lambda: issuer_of(code)
            provider = code
        widen_scopes(provider, wanted)
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
                return PrivateKeyJWT(
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
            return ClientCredentials(
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
        provider = JwtBearer(server_url, metadata, storage, None, None)
        provider._nb_fixed = client
        provider._nb_pick_method = self.client_secret is not None and self.token_endpoint_auth_method is None
        provider._nb_assertion = assertion
        provider._nb_issuer = self.issuer
        return provider


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
