"""A stdio MCP server with one tool, ``sleep``, that waits ``ms`` milliseconds — concurrently.

The map figure's server. Standard library only (asyncio), so each call costs the server some
tens of microseconds: what the figure measures is the client's scheduling, not the server's
framework (the SDK's ``MCPServer`` spends about a millisecond of CPU per call, which on two cores
caps it near a thousand calls a second whatever the client does; the figure reports that too).
Speaks the ``initialize`` handshake; everything else gets "method not found".
"""

import asyncio
import json
import sys

TOOL = {
    "name": "sleep",
    "description": "Wait ms milliseconds, then say so.",
    "inputSchema": {"type": "object", "properties": {"ms": {"type": "number", "default": 20}}},
    "annotations": {"readOnlyHint": True, "idempotentHint": True},
}


def reply(message_id, result=None, error=None):
    body = {"jsonrpc": "2.0", "id": message_id}
    body.update({"error": error} if error is not None else {"result": result})
    sys.stdout.write(json.dumps(body) + "\n")
    sys.stdout.flush()


async def sleep_then_reply(message_id, arguments):
    ms = float(arguments.get("ms", 20))
    await asyncio.sleep(ms / 1000)
    reply(message_id, {"content": [{"type": "text", "text": f"slept {ms:g} ms"}], "isError": False})


async def main():
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
            reply(
                message["id"],
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "sleepy", "version": "1"},
                },
            )
        elif method == "ping":
            reply(message["id"], {})
        elif method == "tools/list":
            reply(message["id"], {"tools": [TOOL]})
        elif method == "tools/call":
            task = asyncio.ensure_future(sleep_then_reply(message["id"], params.get("arguments") or {}))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        else:
            reply(message["id"], error={"code": -32601, "message": "Method not found"})


if __name__ == "__main__":
    asyncio.run(main())
