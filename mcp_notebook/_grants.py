"""Signing in without a browser by presenting a JWT: the RFC 7523 jwt-bearer grant.

Two sign-in forms of ``OAuth(...)`` end in the same token request, ``grant_type=
urn:ietf:params:oauth:grant-type:jwt-bearer`` with the JWT as ``assertion``, and differ in where the
JWT comes from:

- workload identity federation (SEP-1933): the platform the kernel runs on (a Kubernetes pod, a
  cloud notebook) hands the workload a JWT, in a file it renews or in an environment variable; it
  is sent as it is (``TokenSource``).
- enterprise-managed authorization (SEP-990, "cross-app access"): the user's ID token from their
  enterprise identity provider is exchanged at the IdP's token endpoint (RFC 8693 token exchange)
  for an ID-JAG, a JWT naming this authorization server and this MCP server, which is then
  presented (``IdJagExchange``). The IdP decides which apps its users reach.

Everything else (discovery, the authorization server named by ``issuer=`` or by the MCP server,
token storage, step-up scopes) is the SDK's ``OAuthClientProvider``; this module only builds the
token request. A refused grant is an error the user sees at once: never retried, never another
grant type.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
from mcp.client.auth import OAuthClientProvider, OAuthFlowError, OAuthTokenError
from mcp.client.auth.utils import issuers_match

__all__ = ["JWT_BEARER", "IdJagExchange", "JwtBearerFlow", "TokenSource"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag"

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
Assertion = Callable[[str, str], Awaitable[str]]  # (audience: the AS issuer, resource) -> JWT


class TokenSource:
    """Where a JWT comes from: the token itself, a file holding it (read again for every token
    request, as platforms renew such files), or a function that returns it (sync or async).

    A string is the token when it has a JWT's shape, else a path (with ``files=False`` always the
    token). ``what`` names it in errors (``workload_token``). Its repr never shows a token: a path
    shows only when it looks like one (has a ``/``).
    """

    def __init__(self, given: str | os.PathLike[str] | Callable[[], Any], what: str, files: bool = True) -> None:
        self.what = what
        self._call: Callable[[], Any] | None = None
        self._path: Path | None = None
        self._token: str | None = None
        if callable(given):
            self._call = given
        elif isinstance(given, str) and (not files or _JWT.match(given.strip())):
            self._token = given.strip()
        else:
            self._path = Path(os.fspath(given)).expanduser()

    def __repr__(self) -> str:
        if self._path is not None and ("/" in str(self._path) or os.sep in str(self._path)):
            return f"<{self.what} from {self._path}>"
        if self._path is not None:
            return f"<{self.what} from a file>"
        return f"<{self.what} {'function' if self._call else '***'}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TokenSource):
            return NotImplemented
        return (self._call, self._path, self._token) == (other._call, other._path, other._token)

    def __hash__(self) -> int:
        return hash((self._call, self._path, self._token))

    def secret_values(self) -> list[str]:
        return [self._token] if self._token else []

    async def read(self) -> str:
        if self._token is not None:
            return self._token
        if self._call is not None:
            value = self._call()
            if inspect.isawaitable(value):
                value = await value
            if not isinstance(value, str) or not value.strip():
                raise OAuthFlowError(f"the {self.what} function returned no token")
            return value.strip()
        assert self._path is not None
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise OAuthFlowError(f"cannot read the {self.what} file {self._path}: {e.strerror or e}") from None
        if not text:
            raise OAuthFlowError(f"the {self.what} file {self._path} is empty")
        return text


class JwtBearerFlow(OAuthClientProvider):
    """The SDK's provider, asking for tokens with the jwt-bearer grant.

    ``_nb_assertion(audience, resource)`` gives the JWT: ``audience`` is the authorization server's
    issuer, ``resource`` this MCP server. With ``_nb_issuer`` set, tokens are only asked of that
    authorization server; otherwise of the one the MCP server names.
    """

    _nb_assertion: Assertion
    _nb_issuer: str | None = None

    def _select_authorization_server(self, advertised: list[str]) -> str:
        issuer = self._nb_issuer
        return next((s for s in advertised if issuer is not None and issuers_match(s, issuer)), advertised[0])

    async def _perform_authorization(self) -> httpx2.Request:
        context = self.context
        metadata = context.oauth_metadata
        issuer = self._nb_issuer
        if issuer is not None and (metadata is None or not issuers_match(str(metadata.issuer), issuer)):
            context.oauth_metadata = None
            context.clear_tokens()
            found = "none was found" if metadata is None else f"it names {metadata.issuer}"
            raise OAuthFlowError(f"no authorization server metadata for the configured issuer {issuer} ({found})")
        # The JWT names the authorization server by its issuer: as configured, else as its metadata
        # says (a bare origin without the "/" the URL type adds: the form issuers are written in).
        audience = issuer or (str(metadata.issuer) if metadata is not None else (context.auth_server_url or ""))
        if audience.count("/") == 3 and audience.endswith("/"):
            audience = audience[:-1]
        if not audience:
            raise OAuthFlowError("the server names no authorization server to present the JWT to")
        resource = context.get_resource_url()
        data: dict[str, str] = {"grant_type": JWT_BEARER, "assertion": await self._nb_assertion(audience, resource)}
        headers: dict[str, str] = {"Content-Type": "application/x-www-form-urlencoded"}
        data, headers = context.prepare_token_auth(data, headers)
        if context.client_info is not None:
            data.setdefault("client_id", context.client_info.client_id or "")
        if context.should_include_resource_param(context.protocol_version):
            data["resource"] = resource
        if context.client_metadata.scope:
            data["scope"] = context.client_metadata.scope
        return httpx2.Request("POST", self._get_token_endpoint(), data=data, headers=headers)


class IdJagExchange:
    """Leg 1 of enterprise-managed authorization: the user's ID token for an ID-JAG, at the IdP.

    An RFC 8693 token exchange at ``token_endpoint``, as ``client_id`` (with ``client_secret``,
    sent HTTP Basic, when the IdP registered this client with one). Its repr shows no secret.
    """

    def __init__(
        self, id_token: TokenSource, token_endpoint: str, client_id: str, client_secret: str | None = None
    ) -> None:
        self.id_token = id_token
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self._client_secret = client_secret

    def __repr__(self) -> str:
        return f"<IdJagExchange at {self.token_endpoint} as {self.client_id}>"

    async def __call__(self, audience: str, resource: str) -> str:
        data = {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": ID_JAG_TYPE,
            "subject_token": await self.id_token.read(),
            "subject_token_type": ID_TOKEN_TYPE,
            "audience": audience,
            "resource": resource,
            "client_id": self.client_id,
        }
        auth = httpx2.BasicAuth(self.client_id, self._client_secret) if self._client_secret else None
        async with httpx2.AsyncClient(timeout=30.0, follow_redirects=False, auth=auth) as http:
            try:
                response = await http.post(self.token_endpoint, data=data)
            except httpx2.HTTPError as e:
                raise OAuthTokenError(f"the identity provider at {self.token_endpoint} did not answer: {e}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            why = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
            raise OAuthTokenError(
                f"the identity provider refused to exchange the ID token (HTTP {response.status_code}"
                + (f": {str(why)[:200]}" if why else "")
                + ")"
            )
        if body.get("issued_token_type") not in (None, ID_JAG_TYPE):
            raise OAuthTokenError(f"the identity provider issued a {body['issued_token_type']}, not an ID-JAG")
        return str(body["access_token"])
