"""The ``%mcp`` subcommands for tasks: ``tasks`` (this notebook's, as a table) and ``task`` (one of
them back: its status, waiting for it, cancelling it). ``%mcp call`` itself runs task tools as
tasks (``--task``, ``--background``).
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageProblem
from ._command import Context, Handler, command, finish, output_options, server_named, wants_df, word_text
from ._parse import CommandParser, Word

__all__: list[str] = []


@command(
    "tasks",
    "List the tasks this notebook started (server, tool, arguments, status, created, ttl), with their status now.",
    usage="%(prog)s [SERVER] [--no-refresh] [-o NAME] [--df]",
    epilog="Tasks are kept per notebook (under the Jupyter data dir, owner-only), so a restarted kernel lists "
    "them too; connect their server again (same name, same target) and `%mcp task SERVER ID --wait` "
    "fetches a result, while the server keeps the task (its ttl). A task whose server no longer knows it "
    "is 'gone'. Example: %mcp tasks everything --df",
)
def _tasks(parser: CommandParser) -> Handler:
    parser.add_argument("server", nargs="?", help="only this server's tasks (default: all)")
    parser.add_argument(
        "--no-refresh", action="store_true", help="show the status last seen, without asking the servers"
    )
    output_options(parser, df=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        server = word_text(args.server, ctx, "SERVER") if args.server else None
        return finish(ctx, ctx.hub.tasks(server, refresh=not args.no_refresh), args)

    return run


@command(
    "task",
    "One task back: its status; --wait for its result (a tool result, like a call's); --cancel it.",
    usage="%(prog)s SERVER TASK_ID [--wait [--timeout S]] [--cancel] [--forget] [--df|--pl [KEY|FORMAT]] [-o NAME]",
    epilog="Without an option it shows the task's status (asking the server). --wait shows the task's live "
    "line until it ends and gives its result; the server's questions are asked as in a call; interrupting "
    "stops the wait, not the task. --cancel asks the server to cancel it. --forget drops it from this "
    "notebook's list. In Python: server.task(TASK_ID) (.status, .wait(), .result(), .cancel()). "
    "Example: r = %mcp task everything 0f3c... --wait",
)
def _task(parser: CommandParser) -> Handler:
    parser.add_argument("server", help="the server's name")
    parser.add_argument("task_id", metavar="TASK_ID", help="the task's id (`%%mcp tasks` lists them)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--wait", action="store_true", help="wait for the task to end; give its result")
    which.add_argument("--cancel", action="store_true", help="ask the server to cancel the task")
    which.add_argument("--forget", action="store_true", help="drop the task from this notebook's list")
    parser.add_argument("--timeout", type=float, metavar="S", help="with --wait: stop waiting after S seconds")
    output_options(parser, pick=True)

    def run(ctx: Context, args: Any, command_words: list[Word] | None) -> Any:
        if args.timeout is not None and not args.wait:
            raise UsageProblem("--timeout bounds --wait; give both, or neither")
        if wants_df(args) and not args.wait:
            raise UsageProblem(f"{'--pl' if args.pl is not None else '--df'} needs the result: give --wait too")
        handle = server_named(ctx, args.server).task(word_text(args.task_id, ctx, "TASK_ID"))
        if args.forget:
            handle.forget()
            print(f"forgot task {handle.task_id} ({handle.server}.{handle.tool}); the server keeps it until its ttl")
            return None
        if args.cancel:
            handle.cancel()
            return finish(ctx, handle, args)
        if args.wait:
            return finish(ctx, handle.result(timeout=args.timeout), args)
        handle.status  # noqa: B018 - asks the server, so the handle shows the status now
        return finish(ctx, handle, args)

    return run
