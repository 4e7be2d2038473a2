"""A hand-written JSON-RPC server on stdio that misbehaves on request (no SDK, so it can do anything).

It speaks the 2025-11-25 handshake (server/discover gets "method not found", as an older server
would answer). Tools:

- ``echo(text)``; ``slow(seconds, tag)`` answers after a delay, so concurrent calls come back out of
  order; ``garbage()`` writes non-JSON lines to stdout, then answers; ``partial()`` writes half a
  message and exits; ``crash(code)`` exits at once with a last word on stderr;
- ``flood(n)`` sends n log and n progress notifications before answering;
- ``big(mb)`` a text result of that many megabytes; ``blocks(n)`` a result of n content blocks;
- ``bad_structure()`` structured content that breaks the tool's own outputSchema;
- ``malformed()`` a result that is not a valid CallToolResult at all;
- ``<b>html</b>`` and friends: names, titles and descriptions carrying markup.

Environment: CHAOS_BAD_SCHEMA=1 lists a tool whose inputSchema is not valid JSON Schema;
CHAOS_CLAIM=resources,prompts declares capabilities it then answers with "method not found".
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
OUT = sys.stdout
lock = threading.Lock()


def send(message: dict) -> None:
    with lock:
        OUT.write(json.dumps(message) + "\n")
        OUT.flush()


def tool(name: str, description: str = "", props: dict | None = None, **extra: object) -> dict:
    return {
        "name": name,
        "description": description,
        "inputSchema": {"type": "object", "properties": props or {}},
        **extra,
    }


TOOLS = [
    tool("echo", "Echo text", {"text": {"type": "string"}}),
    tool("slow", "Answer after a delay", {"seconds": {"type": "number"}, "tag": {"type": "string"}}),
    tool("garbage", "Write garbage to stdout, then answer"),
    tool("partial", "Write half a message and exit"),
    tool("crash", "Exit at once", {"code": {"type": "integer"}}),
    tool("flood", "Many notifications", {"n": {"type": "integer"}}),
    tool("big", "A huge text result", {"mb": {"type": "number"}}),
    tool("blocks", "Many content blocks", {"n": {"type": "integer"}}),
    tool(
        "bad_structure",
        "Breaks its own output schema",
        outputSchema={"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]},
    ),
    tool("malformed", "Not a CallToolResult"),
    tool("hostile", f"Description {HOSTILE}", {"x": {"type": "string", "description": HOSTILE}}, title=f"T {HOSTILE}"),
]
if os.environ.get("CHAOS_BAD_SCHEMA"):
    TOOLS.append({"name": "broken_schema", "inputSchema": {"type": "object", "properties": {"a": {"type": 12}}}})


def result(content: list, **extra: object) -> dict:
    return {"content": content, **extra}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def call(req_id: object, name: str, args: dict, token: object) -> None:
    if name == "echo":
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text(str(args.get("text", "")))])})
    elif name == "slow":
        time.sleep(float(args.get("seconds", 0)))
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text(str(args.get("tag", "")))])})
    elif name == "garbage":
        with lock:
            OUT.write("this is not json\n{also: not json}\n\n")
            OUT.flush()
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text("after garbage")])})
    elif name == "partial":
        with lock:
            OUT.write('{"jsonrpc": "2.0", "id": ')
            OUT.flush()
        print("chaos: stopped mid-message", file=sys.stderr, flush=True)
        os._exit(5)
    elif name == "crash":
        print("chaos: out of cheese", file=sys.stderr, flush=True)
        os._exit(int(args.get("code", 3)))
    elif name == "flood":
        n = int(args.get("n", 100))
        for i in range(n):
            send(
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/message",
                    "params": {"level": "warning", "data": f"flood {i} {HOSTILE}"},
                }
            )
            if token is not None:
                send(
                    {
                        "jsonrpc": "2.0",
                        "method": "notifications/progress",
                        "params": {"progressToken": token, "progress": i + 1, "total": n},
                    }
                )
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text(f"flooded {n}")])})
    elif name == "big":
        size = int(float(args.get("mb", 1)) * 1024 * 1024)
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text("x" * size)])})
    elif name == "blocks":
        n = int(args.get("n", 1000))
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text(f"block {i}") for i in range(n)])})
    elif name == "bad_structure":
        send(
            {
                "jsonrpc": "2.0",
                "id": req_id,
                "result": result([text('{"count": "many"}')], structuredContent={"count": "many"}),
            }
        )
    elif name == "malformed":
        send({"jsonrpc": "2.0", "id": req_id, "result": {"content": "should be a list", "isError": "perhaps"}})
    elif name == "hostile":
        send({"jsonrpc": "2.0", "id": req_id, "result": result([text(f"result {HOSTILE}")])})
    else:
        send({"jsonrpc": "2.0", "id": req_id, "error": {"code": -32602, "message": f"Unknown tool {name}"}})


def handle(message: dict) -> None:
    method = message.get("method")
    req_id = message.get("id")
    params = message.get("params") or {}
    if req_id is None:
        return  # notifications (initialized, cancelled) need no answer
    if method == "initialize":
        send(
            {
                "jsonrpc": "2.0",
                "id": req_id,
                "result": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {
                        "tools": {},
                        "logging": {},
                        **{kind: {} for kind in os.environ.get("CHAOS_CLAIM", "").split(",") if kind},
                    },
                    "serverInfo": {"name": f"chaos {HOSTILE}", "version": "0"},
                    "instructions": f"Be careful {HOSTILE}",
                },
            }
        )
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": req_id, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        token = (params.get("_meta") or {}).get("progressToken")
        # Each call on its own thread: a slow call must not hold up the others.
        threading.Thread(
            target=call, args=(req_id, params.get("name"), params.get("arguments") or {}, token), daemon=True
        ).start()
    elif method in ("ping", "logging/setLevel"):
        send({"jsonrpc": "2.0", "id": req_id, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": req_id, "error": {"code": -32601, "message": f"Method not found: {method}"}})


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            handle(json.loads(line))


if __name__ == "__main__":
    main()
