"""The client the official conformance suite drives: `conformance client --command "python client.py"`.

The suite starts a test server per scenario and runs this script with the server's URL as the last
argument and the scenario's name in MCP_CONFORMANCE_SCENARIO. It uses only mcp_notebook's public
Python API, as a user's script would: connect, list the tools, call each one with arguments made
from its schema, and answer any elicitation by accepting the schema's defaults (SEP-1034).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import mcp_notebook as mn


def sample_value(spec: dict[str, Any]) -> Any:
    if "default" in spec:
        return spec["default"]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    return {"number": 2, "integer": 3, "boolean": True, "array": [], "object": {}}.get(str(kind), "conformance")


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    hub = mn.Hub(progress=False, timeout=30)
    try:
        server = hub.connect("suite", url=url, on_elicit="accept-defaults")
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
