"""The client the official conformance suite drives: `conformance client --command "python client.py"`.

The suite starts a test server per scenario and runs this script with the server's URL as the last
argument, the scenario's name in MCP_CONFORMANCE_SCENARIO and, for some, what the client should
know beforehand (client ID, secret, private key) as JSON in MCP_CONFORMANCE_CONTEXT. It uses only
mcp_notebook's public Python API, as a user's script would: connect (signing in with OAuth for the
auth/* scenarios), list the tools, call each one with arguments made from its schema, and answer
any elicitation by accepting the schema's defaults (SEP-1034).

The suite's authorization server approves at once, so signing in needs no person: the redirect
handler GETs the authorization URL without following the redirect and hands the `code`, `state`
and `iss` of its Location to the callback handler.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.shared.auth import AuthorizationCodeResult

import mcp_notebook as mn

CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


def sample_value(spec: dict[str, Any]) -> Any:
    if "default" in spec:
        return spec["default"]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    return {"number": 2, "integer": 3, "boolean": True, "array": [], "object": {}}.get(str(kind), "conformance")


class AutoApprove:
    """Sign in without a person: follow the authorization URL one step and read the code."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None

    async def redirect(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient() as http:
            response = await http.get(authorization_url, follow_redirects=False)
        location = response.headers.get("location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            raise RuntimeError(f"the authorization endpoint answered {response.status_code}, not a redirect")
        found = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "code" not in found:
            raise RuntimeError(f"no code in the redirect: {location}")
        self.result = AuthorizationCodeResult(code=found["code"], state=found.get("state"), iss=found.get("iss"))

    async def callback(self) -> AuthorizationCodeResult:
        result, self.result = self.result, None
        if result is None:
            raise RuntimeError("the callback came before the redirect")
        return result


def oauth_for(scenario: str, context: dict[str, Any]) -> mn.OAuth | None:
    if not scenario.startswith("auth/"):
        return None
    if scenario == "auth/client-credentials-jwt":
        return mn.OAuth(
            client_credentials=True,
            client_id=context["client_id"],
            private_key=context["private_key_pem"],
            signing_algorithm=context.get("signing_algorithm", "ES256"),
            storage="memory",
        )
    if scenario == "auth/client-credentials-basic":
        return mn.OAuth(
            client_credentials=True,
            client_id=context["client_id"],
            client_secret=context["client_secret"],
            storage="memory",
        )
    approve = AutoApprove()
    return mn.OAuth(
        client_id=context.get("client_id"),
        client_secret=context.get("client_secret"),
        client_metadata_url=CLIENT_METADATA_URL,
        storage="memory",
        redirect_handler=approve.redirect,
        callback_handler=approve.callback,
    )


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    hub = mn.Hub(progress=False, timeout=30)
    try:
        server = hub.connect("suite", url=url, on_elicit="accept-defaults", auth=oauth_for(scenario, context))
        print(f"[{scenario}] connected: protocol {server.protocol_version}")
        for tool in server.tools():
            schema = tool.input_schema or {}
            required = set(schema.get("required") or [])
            args = {k: sample_value(v) for k, v in (schema.get("properties") or {}).items() if k in required}
            result = server.call(tool.name, args)
            print(f"[{scenario}] {tool.name}({args}) -> {'error' if result.is_error else 'ok'}: {result.text[:200]}")
    finally:
        hub.close_all()
        hub.runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
