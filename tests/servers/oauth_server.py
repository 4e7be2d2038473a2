"""An OAuth-protected MCP server on 127.0.0.1, with its own authorization server: for tests/test_auth.py.

``python tests/servers/oauth_server.py PORT [--ttl S] [--client-id ID --client-secret SECRET]``

Built on the SDK's server-side auth (``mcp.server.auth``): the MCP endpoint at ``/mcp`` answers
401 without a token, and the same app serves protected resource metadata, authorization server
metadata, ``/register`` (dynamic registration), ``/authorize`` and ``/token`` (codes, refresh).
``/authorize`` approves at once: it redirects straight to the client's redirect URI with the code,
as a browser would land there after the user clicked "allow". Access tokens live ``--ttl`` seconds
(so a test can see a refresh). ``--client-id``/``--client-secret`` pre-register a client.

Tools: ``whoami()`` (the client ID and scopes of the token used) and ``leak()``, which sends the
bearer token it was called with back as a log message (a log that must come out scrubbed).
"""

from __future__ import annotations

import argparse
import secrets
import time

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

SCOPES = ["read", "write"]
REDIRECT_URI = "http://127.0.0.1:8976/callback"  # mcp_notebook's default, registered for --client-id


class Provider:
    """An in-memory authorization server that says yes to everyone."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
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

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        self.issued += 1
        access = f"at-{self.issued}-{secrets.token_urlsafe(24)}"
        refresh = f"rt-{self.issued}-{secrets.token_urlsafe(24)}"
        expires = int(time.time()) + self.ttl
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=expires, resource=resource
        )
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        return OAuthToken(
            access_token=access, expires_in=self.ttl, refresh_token=refresh, scope=" ".join(scopes) or None
        )


def build(port: int, ttl: int, client_id: str | None, client_secret: str | None) -> MCPServer:
    base = f"http://127.0.0.1:{port}"
    provider = Provider(ttl)
    if client_id:
        provider.clients[client_id] = OAuthClientInformationFull(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=[AnyUrl(REDIRECT_URI)],
            grant_types=["authorization_code", "refresh_token"],
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

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--ttl", type=int, default=3600)
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    args = parser.parse_args()
    server = build(args.port, args.ttl, args.client_id, args.client_secret)
    server.run("streamable-http", host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
