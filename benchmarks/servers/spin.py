"""A stdio MCP server for the Dask figure: ``spin`` keeps the CPU busy, ``echo`` answers at once.

Standard library only. ``spin(n, ms=5)`` spends ``ms`` milliseconds of this process's CPU (in the
loop: one call at a time, as CPU-bound work is) and returns ``{"n": n}``; ``echo(text)`` returns
the text. Both are marked read-only. Speaks the ``initialize`` handshake; anything else gets
"method not found".
"""

import json
import sys
import time

TOOLS = [
    {
        "name": "spin",
        "description": "Spend ms milliseconds of CPU, then say which row it was.",
        "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}, "ms": {"type": "number"}}},
        "outputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
        "annotations": {"readOnlyHint": True, "idempotentHint": True},
    },
    {
        "name": "echo",
        "description": "Return the text.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
        "annotations": {"readOnlyHint": True, "idempotentHint": True},
    },
]


def reply(message_id, result=None, error=None):
    body = {"jsonrpc": "2.0", "id": message_id}
    body.update({"error": error} if error is not None else {"result": result})
    sys.stdout.write(json.dumps(body) + "\n")
    sys.stdout.flush()


def call(name, arguments):
    if name == "spin":
        until = time.process_time() + float(arguments.get("ms", 5)) / 1000
        while time.process_time() < until:
            pass
        data = {"n": arguments.get("n")}
        return {"content": [{"type": "text", "text": json.dumps(data)}], "structuredContent": data}
    return {"content": [{"type": "text", "text": str(arguments.get("text", ""))}]}


def main():
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "id" not in message or "method" not in message:
            continue
        method, params = message["method"], message.get("params") or {}
        if method == "initialize":
            info = {"name": "spin", "version": "1"}
            reply(message["id"], {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": info})
        elif method == "ping":
            reply(message["id"], {})
        elif method == "tools/list":
            reply(message["id"], {"tools": TOOLS})
        elif method == "tools/call":
            reply(message["id"], call(params.get("name"), params.get("arguments") or {}))
        else:
            reply(message["id"], error={"code": -32601, "message": "Method not found"})


if __name__ == "__main__":
    main()
