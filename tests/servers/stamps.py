"""A stdio MCP server for the Dask tests: ``stamp`` says when it ran, where, and for which row.

Standard library only. ``stamp(n, delay=0, spin_ms=0)`` waits ``delay`` seconds (concurrently),
busies the CPU for ``spin_ms`` milliseconds (one call at a time: CPU-bound work), then returns
``{"n": n, "at": <epoch seconds>, "pid": <this process>}``; ``n < 0`` is a tool error. With
``STAMPS_LOG`` in its environment, each call appends ``n`` to that file as it starts, so a test
sees the calls that began even when their answers never came back. Also from the environment:
``STAMPS_ECHO_ENV=VAR`` writes the value of ``VAR`` to ``STAMPS_LOG.env`` at start (did a secret
arrive?); ``STAMPS_REQUIRE=PATH`` exits at once, printing ``STAMPS_TOKEN`` to stderr, when ``PATH``
does not exist (a server that starts in one place and not in another); ``STAMPS_LINGER=S`` stays
``S`` seconds after stdin closes (a server that does not exit on EOF).
"""

import asyncio
import json
import os
import sys
import time

TOOL = {
    "name": "stamp",
    "description": "Say when and where row n ran.",
    "inputSchema": {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "delay": {"type": "number", "default": 0},
            "spin_ms": {"type": "number", "default": 0},
        },
        "required": ["n"],
    },
    "outputSchema": {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "at": {"type": "number"}, "pid": {"type": "integer"}},
        "required": ["n", "at", "pid"],
    },
    "annotations": {"readOnlyHint": True, "idempotentHint": True},
}


def reply(message_id, result=None, error=None):
    body = {"jsonrpc": "2.0", "id": message_id}
    body.update({"error": error} if error is not None else {"result": result})
    sys.stdout.write(json.dumps(body) + "\n")
    sys.stdout.flush()


async def stamp(message_id, arguments):
    n = int(arguments.get("n", 0))
    log = os.environ.get("STAMPS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{n}\n")
    await asyncio.sleep(float(arguments.get("delay", 0)))
    until = time.perf_counter() + float(arguments.get("spin_ms", 0)) / 1000
    while time.perf_counter() < until:
        pass
    if n < 0:
        reply(message_id, {"content": [{"type": "text", "text": f"row {n} is negative"}], "isError": True})
        return
    data = {"n": n, "at": time.time(), "pid": os.getpid()}
    reply(message_id, {"content": [{"type": "text", "text": json.dumps(data)}], "structuredContent": data})


async def main():
    log = os.environ.get("STAMPS_LOG")
    echo = os.environ.get("STAMPS_ECHO_ENV")
    if log and echo:
        with open(log + ".env", "w") as f:
            f.write(os.environ.get(echo, ""))
    required = os.environ.get("STAMPS_REQUIRE")
    if required and not os.path.exists(required):
        print(f"missing {required}; token {os.environ.get('STAMPS_TOKEN')}", file=sys.stderr)
        sys.exit(1)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks = set()
    while line := await reader.readline():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "id" not in message or "method" not in message:
            continue
        method, params = message["method"], message.get("params") or {}
        if method == "initialize":
            info = {"name": "stamps", "version": "1"}
            reply(message["id"], {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": info})
        elif method == "ping":
            reply(message["id"], {})
        elif method == "tools/list":
            reply(message["id"], {"tools": [TOOL]})
        elif method == "tools/call":
            task = asyncio.ensure_future(stamp(message["id"], params.get("arguments") or {}))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        else:
            reply(message["id"], error={"code": -32601, "message": "Method not found"})
    time.sleep(float(os.environ.get("STAMPS_LINGER", "0")))


if __name__ == "__main__":
    asyncio.run(main())
