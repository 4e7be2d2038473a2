"""An OAuth-protected MCP server on 127.0.0.1, with its own authorization server: for tests/test_auth.py.

``python tests/servers/oauth_server.py PORT [--ttl S] [--client-id ID --client-secret SECRET]
[--trust-key PEM] [--dpop [--dpop-nonce]]``

Built on the SDK's server-side auth (``mcp.server.auth``): the MCP endpoint at ``/mcp`` answers
401 without a token, and the same app serves protected resource metadata, authorization server
metadata, ``/register`` (dynamic registration), ``/authorize`` and ``/token`` (codes, refresh).
``/authorize`` approves at once: it redirects straight to the client's redirect URI with the code,
as a browser would land there after the user clicked "allow". Access tokens live ``--ttl`` seconds
(so a test can see a refresh). ``--client-id``/``--client-secret`` pre-register a client.

Signing in without a user (the jwt-bearer grant, RFC 7523), for the pre-registered client:

- ``--trust-key PEM``: the public key of the platform / identity provider whose JWTs this server
  trusts. A workload token it signed (``aud`` this server) is taken for a token (workload identity
  federation). So is an ID-JAG from the identity provider this server also plays at ``/idp/token``:
  an RFC 8693 token exchange of an ID token signed with that key (``aud`` ``IDP_CLIENT_ID``) for an
  ID-JAG naming this authorization server, this MCP server and the client (enterprise-managed
  authorization).
- ``--dpop``: tokens asked for with a DPoP proof are bound to its key (``token_type: DPoP``), and the
  MCP endpoint then wants ``Authorization: DPoP`` with a valid fresh proof on every request
  (RFC 9449); ``--dpop-nonce`` also makes the token endpoint and the MCP endpoint demand a nonce of
  theirs. ``GET /dpop-seen`` tells what was seen (proofs, challenges), for the tests.

Tools: ``whoami()`` (the client ID and scopes of the token used) and ``leak()``, which sends the
bearer token it was called with back as a log message (a log that must come out scrubbed).
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import hashlib
import json
import secrets
import time
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    IdentityAssertionParams,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from starlette.requests import Request
from starlette.responses import JSONResponse

SCOPES = ["read", "write"]
REDIRECT_URI = "http://127.0.0.1:8976/callback"  # mcp_notebook's default, registered for --client-id
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
IDP_CLIENT_ID = "notebook-at-the-idp"
ID_JAG_TYPE = "oauth-id-jag+jwt"
BOUND_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar("bound_key", default=None)


class Provider:
    """An in-memory authorization server that says yes to everyone."""

    def __init__(self, ttl: int, issuer: str = "", trusted: Any = None) -> None:
        self.ttl = ttl
        self.issuer = issuer
        self.trusted = trusted  # the platform's / IdP's public key
        self.idp_key = ec.generate_private_key(ec.SECP256R1())  # what this server signs ID-JAGs with as the IdP
        self.bound: dict[str, str] = {}  # DPoP-bound access token -> the thumbprint of its key
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.issued = 0

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = AuthorizationCode(
            code=secrets.token_urlsafe(24),
            scopes=params.scopes or [],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        self.codes[code.code] = code
        return construct_redirect_uri(str(params.redirect_uri), code=code.code, state=params.state)

    async def load_authorization_code(self, client: OAuthClientInformationFull, code: str) -> AuthorizationCode | None:
        return self.codes.get(code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        del self.codes[authorization_code.code]
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        return self.refresh.get(refresh_token)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        del self.refresh[refresh_token.token]
        return self._issue(client.client_id, scopes or refresh_token.scopes, refresh_token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        """A workload token signed by the trusted key, or an ID-JAG this server issued as the IdP."""
        try:
            header = jwt.get_unverified_header(params.assertion)
            if header.get("typ") == ID_JAG_TYPE:
                claims = jwt.decode(
                    params.assertion,
                    self.idp_key.public_key(),
                    algorithms=["ES256"],
                    audience=[self.issuer, self.issuer + "/"],
                )
                if claims.get("client_id") != client.client_id:
                    raise TokenError("invalid_grant", "the ID-JAG was issued to another client")
                if params.resource and claims.get("resource") != params.resource:
                    raise TokenError("invalid_grant", "the ID-JAG names another resource")
            elif self.trusted is not None:
                jwt.decode(
                    params.assertion, self.trusted, algorithms=["ES256"], audience=[self.issuer, self.issuer + "/"]
                )
            else:
                raise TokenError("invalid_grant", "no key to check workload tokens with")
        except jwt.PyJWTError as e:
            raise TokenError("invalid_grant", f"the assertion does not verify: {e}") from None
        return self._issue(client.client_id, params.scopes or ["read"], params.resource)

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        self.issued += 1
        access = f"at-{self.issued}-{secrets.token_urlsafe(24)}"
        refresh = f"rt-{self.issued}-{secrets.token_urlsafe(24)}"
        expires = int(time.time()) + self.ttl
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=expires, resource=resource
        )
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        jkt = BOUND_KEY.get()
        if jkt is not None:
            self.bound[access] = jkt
        return OAuthToken(
            access_token=access, expires_in=self.ttl, refresh_token=refresh, scope=" ".join(scopes) or None
        )


def build(
    port: int, ttl: int, client_id: str | None, client_secret: str | None, trusted: Any = None
) -> tuple[MCPServer, Provider]:
    base = f"http://127.0.0.1:{port}"
    provider = Provider(ttl, base, trusted)
    if client_id:
        provider.clients[client_id] = OAuthClientInformationFull(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=[AnyUrl(REDIRECT_URI)],
            grant_types=["authorization_code", "refresh_token", JWT_BEARER],
            token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
            scope=" ".join(SCOPES),
        )
    server = MCPServer(
        "oauth-test",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=base,  # type: ignore[arg-type]
            resource_server_url=f"{base}/mcp",  # type: ignore[arg-type]
            validate_token_resource=False,
            required_scopes=["read"],
            identity_assertion_enabled=True,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=SCOPES, default_scopes=["read"]
            ),
        ),
    )

    @server.tool()
    def whoami() -> dict[str, object]:
        """The client ID and scopes of the access token this call came with."""
        token = get_access_token()
        return {"client_id": token.client_id if token else None, "scopes": token.scopes if token else []}

    @server.tool()
    async def leak(ctx: Context) -> str:
        """Send the caller's bearer token back in a log message (the client must scrub it)."""
        token = get_access_token()
        await ctx.warning(f"I saw the token {token.token if token else None}")
        return "logged"

    @server.custom_route("/idp/token", methods=["POST"])
    async def idp_token(request: Request) -> JSONResponse:
        """The identity provider's token exchange (RFC 8693): an ID token for an ID-JAG."""
        form = await request.form()
        try:
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
                raise ValueError("only token exchange here")
            if form.get("requested_token_type") != "urn:ietf:params:oauth:token-type:id-jag":
                raise ValueError("only ID-JAGs are issued here")
            if form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token":
                raise ValueError("the subject token must be an ID token")
            if form.get("client_id") != IDP_CLIENT_ID or provider.trusted is None:
                raise ValueError("unknown client at the IdP")
            user = jwt.decode(
                str(form.get("subject_token")), provider.trusted, algorithms=["ES256"], audience=IDP_CLIENT_ID
            )
        except (ValueError, jwt.PyJWTError) as e:
            return JSONResponse({"error": "invalid_request", "error_description": str(e)}, status_code=400)
        now = int(time.time())
        id_jag = jwt.encode(
            {
                "iss": base + "/idp",
                "sub": user.get("sub"),
                "aud": str(form.get("audience")),
                "resource": str(form.get("resource")),
                "client_id": client_id,
                "jti": secrets.token_urlsafe(12),
                "iat": now,
                "exp": now + 300,
            },
            provider.idp_key,
            algorithm="ES256",
            headers={"typ": ID_JAG_TYPE},
        )
        issued = "urn:ietf:params:oauth:token-type:id-jag"
        return JSONResponse({"access_token": id_jag, "issued_token_type": issued, "token_type": "N_A"})

    return server, provider


# -- DPoP (RFC 9449), in front of the SDK's app ----------------------------------------------------------

AS_NONCE = "as-nonce-" + secrets.token_urlsafe(6)
RS_NONCE = "rs-nonce-" + secrets.token_urlsafe(6)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(jwk: dict[str, Any]) -> str:
    members = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    return _b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())


class DPoPGate:
    """Checks DPoP proofs at /token and /mcp, binds tokens, asks for nonces; counts what it saw."""

    def __init__(self, app: Any, provider: Provider, base: str, nonce: bool) -> None:
        self.app, self.provider, self.base, self.nonce = app, provider, base, nonce
        self.jtis: set[str] = set()
        self.seen = {"token_proofs": 0, "mcp_proofs": 0, "as_challenges": 0, "rs_challenges": 0, "refused": []}

    def check(self, proof: str | None, method: str, url: str, token: str | None) -> tuple[str, dict[str, Any]]:
        """The proof's key thumbprint and claims; ValueError says what is wrong with it."""
        if not proof:
            raise ValueError("no DPoP proof")
        header = jwt.get_unverified_header(proof)
        if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256" or "d" in header.get("jwk", {"d": 1}):
            raise ValueError(f"bad proof header {header}")
        key = jwt.PyJWK(header["jwk"]).key
        claims = jwt.decode(proof, key, algorithms=["ES256"])
        if claims.get("htm") != method or claims.get("htu") != url:
            raise ValueError(f"proof for {claims.get('htm')} {claims.get('htu')}, not {method} {url}")
        if abs(time.time() - claims.get("iat", 0)) > 60 or claims.get("jti") in self.jtis:
            raise ValueError("stale or replayed proof")
        self.jtis.add(claims["jti"])
        if token is not None and claims.get("ath") != _b64url(hashlib.sha256(token.encode()).digest()):
            raise ValueError("ath does not match the token")
        return _thumbprint(header["jwk"]), claims

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if path == "/dpop-seen":
            return await JSONResponse(self.seen)(scope, receive, send)
        if path == "/token" and "dpop" in headers:
            return await self.token(scope, receive, send, headers)
        if path.startswith("/mcp"):
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() == "dpop" or token in self.provider.bound:
                return await self.resource(scope, receive, send, headers, scheme, token)
        return await self.app(scope, receive, send)

    async def token(self, scope: Any, receive: Any, send: Any, headers: dict[str, str]) -> None:
        try:
            jkt, claims = self.check(headers.get("dpop"), "POST", self.base + "/token", None)
        except (ValueError, jwt.PyJWTError) as e:
            self.seen["refused"].append(f"token: {e}")
            return await JSONResponse({"error": "invalid_dpop_proof", "error_description": str(e)}, 400)(
                scope, receive, send
            )
        self.seen["token_proofs"] += 1
        if self.nonce and claims.get("nonce") != AS_NONCE:
            self.seen["as_challenges"] += 1
            body = {"error": "use_dpop_nonce", "error_description": "use the nonce"}
            return await JSONResponse(body, 400, headers={"DPoP-Nonce": AS_NONCE})(scope, receive, send)
        answer: dict[str, Any] = {}

        async def rewrite(message: Any) -> None:  # token_type DPoP on the tokens bound just now
            if message["type"] == "http.response.start":
                answer["start"] = message
                return
            if message["type"] == "http.response.body":
                body = json.loads(message.get("body") or b"{}")
                if body.get("access_token") in self.provider.bound:
                    body["token_type"] = "DPoP"
                data = json.dumps(body).encode()
                start = dict(answer["start"])
                start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(data)).encode()))
                await send(start)
                await send({"type": "http.response.body", "body": data})

        marker = BOUND_KEY.set(jkt)
        try:
            await self.app(scope, receive, rewrite)
        finally:
            BOUND_KEY.reset(marker)

    async def resource(
        self, scope: Any, receive: Any, send: Any, headers: dict[str, str], scheme: str, token: str
    ) -> None:
        challenge = (
            f'DPoP error="invalid_token", resource_metadata="{self.base}/.well-known/oauth-protected-resource/mcp"'
        )
        try:
            if scheme.lower() != "dpop":
                raise ValueError("a DPoP-bound token sent as a bearer token")
            jkt, claims = self.check(headers.get("dpop"), scope["method"], self.base + scope["path"], token)
            if self.provider.bound.get(token) != jkt:
                raise ValueError("the proof's key is not the token's")
        except (ValueError, jwt.PyJWTError) as e:
            self.seen["refused"].append(f"mcp: {e}")
            return await JSONResponse({"error": "invalid_token"}, 401, headers={"WWW-Authenticate": challenge})(
                scope, receive, send
            )
        self.seen["mcp_proofs"] += 1
        if self.nonce and claims.get("nonce") != RS_NONCE:
            self.seen["rs_challenges"] += 1
            wanted = {"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": RS_NONCE}
            return await JSONResponse({"error": "use_dpop_nonce"}, 401, headers=wanted)(scope, receive, send)
        rest = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"authorization", b"dpop")]
        scope = dict(scope, headers=[*rest, (b"authorization", f"Bearer {token}".encode())])
        return await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--ttl", type=int, default=3600)
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--trust-key", help="PEM file: the public key of the platform / IdP whose JWTs are trusted")
    parser.add_argument("--dpop", action="store_true")
    parser.add_argument("--dpop-nonce", action="store_true")
    args = parser.parse_args()
    trusted = None
    if args.trust_key:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        with open(args.trust_key, "rb") as file:
            trusted = load_pem_public_key(file.read())
    server, provider = build(args.port, args.ttl, args.client_id, args.client_secret, trusted)
    app: Any = server.streamable_http_app(host="127.0.0.1")
    if args.dpop:
        app = DPoPGate(app, provider, f"http://127.0.0.1:{args.port}", args.dpop_nonce)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
