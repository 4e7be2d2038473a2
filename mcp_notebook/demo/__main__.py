"""Run the demo server: stdio by default, ``--http PORT`` for Streamable HTTP, ``--sse PORT`` for legacy SSE."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mcp_notebook.demo", description=__doc__)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--http", type=int, metavar="PORT", help="serve Streamable HTTP on 127.0.0.1:PORT/mcp")
    where.add_argument("--sse", type=int, metavar="PORT", help="serve legacy HTTP+SSE on 127.0.0.1:PORT/sse")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)

    from .server import build_server

    server = build_server()
    if args.http is not None:
        server.run("streamable-http", host=args.host, port=args.http)
    elif args.sse is not None:
        server.run("sse", host=args.host, port=args.sse)
    else:
        server.run()


if __name__ == "__main__":
    main()
