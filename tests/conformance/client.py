"""The client the official conformance suites drive: `conformance client --command "python client.py"`.

The suite starts a test server per scenario and runs this script with the server's URL as the last
argument, the scenario's name in MCP_CONFORMANCE_SCENARIO and, for some, what the client should
know beforehand (client ID, secret, keys, tokens, the tool calls to make) as JSON in
MCP_CONFORMANCE_CONTEXT. It uses only mcp_notebook's public Python API, as a user's script would,
with one function per scenario (or family of scenarios): SCENARIOS says which.

The suite's authorization servers approve at once, so signing in needs no person: the redirect
handler GETs the authorization URL without following the redirect and hands the `code`, `state`
and `iss` of its Location to the callback handler.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp.shared.auth import AuthorizationCodeResult

import mcp_notebook as mn
from mcp_notebook.errors import ServerError

CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


def sample_value(spec: dict[str, Any]) -> Any:
    if "default" in spec:
        return spec["default"]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    return {"number": 2, "integer": 3, "boolean": True, "array": [], "object": {}}.get(str(kind), "conformance")


def say(scenario: str, text: str) -> None:
    print(f"[{scenario}] {text}", flush=True)


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


# -- how to sign in, per auth/* scenario ----------------------------------------------------------


def sign_in(context: dict[str, Any], **options: Any) -> mn.OAuth:
    """The authorization-code sign-in (a pre-registered client when the context names one)."""
    approve = AutoApprove()
    return mn.OAuth(
        client_id=context.get("client_id"),
        client_secret=context.get("client_secret"),
        client_metadata_url=CLIENT_METADATA_URL,
        storage="memory",
        redirect_handler=approve.redirect,
        callback_handler=approve.callback,
        **options,
    )


def client_credentials(context: dict[str, Any]) -> mn.OAuth:
    if "private_key_pem" in context:
        return mn.OAuth(
            client_credentials=True,
            client_id=context["client_id"],
            private_key=context["private_key_pem"],
            signing_algorithm=context.get("signing_algorithm", "ES256"),
            storage="memory",
        )
    return mn.OAuth(
        client_credentials=True,
        client_id=context["client_id"],
        client_secret=context["client_secret"],
        storage="memory",
    )


def enterprise(context: dict[str, Any]) -> mn.OAuth:
    """The user's ID token from their IdP, exchanged there for an ID-JAG (SEP-990)."""
    return mn.OAuth(
        client_id=context["client_id"],
        client_secret=context["client_secret"],
        id_token=context["idp_id_token"],
        idp_token_endpoint=context["idp_token_endpoint"],
        idp_client_id=context["idp_client_id"],
        storage="memory",
    )


def workload(context: dict[str, Any]) -> mn.OAuth:
    """The workload's JWT, in a file as a platform keeps it (SEP-1933)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jwt", delete=False) as file:
        file.write(context["valid_jwt"] + "\n")
    return mn.OAuth(client_id=context["client_id"], workload_token=file.name, storage="memory")


def oauth_for(scenario: str, context: dict[str, Any]) -> mn.OAuth:
    if scenario.startswith("auth/client-credentials-"):
        return client_credentials(context)
    if scenario in ("auth/enterprise-managed-authorization", "auth/cross-app-access-complete-flow"):
        return enterprise(context)
    if scenario == "auth/wif-jwt-bearer":
        return workload(context)
    if scenario in ("auth/dpop", "auth/dpop-nonce"):
        return sign_in(context, dpop=True)
    return sign_in(context)


# -- the scenarios --------------------------------------------------------------------------------


def connect(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> Any:
    auth = oauth_for(scenario, context) if scenario.startswith("auth/") else None
    server = hub.connect("suite", url=url, on_elicit="accept-defaults", auth=auth)
    say(scenario, f"connected: protocol {server.protocol_version}")
    return server


def call_every_tool(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> None:
    """List the tools and call each with arguments made from its schema (defaults, else samples)."""
    server = connect(hub, url, scenario, context)
    for tool in server.tools():
        schema = tool.input_schema or {}
        required = set(schema.get("required") or [])
        args = {k: sample_value(v) for k, v in (schema.get("properties") or {}).items() if k in required}
        result = server.call(tool.name, args)
        say(scenario, f"{tool.name}({args}) -> {'error' if result.is_error else 'ok'}: {result.text[:200]}")


def list_tools(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> None:
    server = connect(hub, url, scenario, context)
    say(scenario, f"tools: {[tool.name for tool in server.tools()]}")


def replay_tool_calls(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> None:
    """Make the calls the suite names, with its arguments (the header-mirroring cases, SEP-2243).

    They are sent as given (``validate=False``): one passes null where the schema says boolean, to
    see that no header is made of it, and this client would otherwise refuse to send that."""
    server = connect(hub, url, scenario, context)
    listed = {tool.name for tool in server.tools()}
    for call in context.get("toolCalls", []):
        if call["name"] not in listed:
            say(scenario, f"{call['name']} is not listed: not called")
            continue
        result = server.call(call["name"], call.get("arguments") or {}, validate=False)
        say(scenario, f"{call['name']} -> {'error' if result.is_error else 'ok'}: {result.text[:200]}")


def look_without_fetching(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> None:
    """Read each tool's arguments (its schema's same-document $refs followed, the network one not),
    then call it: the suite's server answers every call with -32601 on purpose."""
    server = connect(hub, url, scenario, context)
    tools = server.tools()
    say(scenario, f"tools:\n{tools.to_dataframe().to_string()}")
    for tool in tools:
        try:
            server.call(tool.name, {"id": "conformance-user"})
        except ServerError as e:
            say(scenario, f"{tool.name} refused, as this suite's server does: {e}")


def echo_schema(hub: mn.Hub, url: str, scenario: str, context: dict[str, Any]) -> None:
    """Send the focal tool's inputSchema back as it was listed (JSON Schema 2020-12 kept whole)."""
    server = connect(hub, url, scenario, context)
    schema = server.tool_schema("json_schema_2020_12_tool")
    result = server.call("json_schema_echo", {"schema": schema})
    say(scenario, f"echoed -> {'error' if result.is_error else 'ok'}: {result.text[:200]}")


Handler = Callable[[mn.Hub, str, str, dict[str, Any]], None]
SCENARIOS: dict[str, Handler] = {
    "initialize": list_tools,
    "json-schema-ref-no-deref": look_without_fetching,
    "json-schema-2020-12-preservation": echo_schema,
    "http-custom-headers": replay_tool_calls,
    # Skills (SEP-2640): a client that loads no skills lists the tools and goes.
    "sep-2640-client-no-prefetch": list_tools,
    "sep-2640-client-verify-digest": list_tools,
    "sep-2640-client-verify-size": list_tools,
    "sep-2640-client-verify-frontmatter": list_tools,
}
# Every other scenario (tools_call, sse-retry, request-metadata, elicitation, MRTR, the HTTP header
# ones, and all auth/*: signing in as oauth_for says) calls every tool.


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    hub = mn.Hub(progress=False, timeout=30)
    try:
        SCENARIOS.get(scenario, call_every_tool)(hub, url, scenario, context)
    finally:
        hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
