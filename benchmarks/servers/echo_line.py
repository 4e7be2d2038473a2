"""The physical limit of a stdio round trip: read a JSON-RPC line, answer it, nothing else."""

import json
import sys


def main():
    out = sys.stdout
    for line in sys.stdin:
        message = json.loads(line)
        out.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": message.get("params")}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
