"""What a cell shows, in a real kernel against server-everything, when a call is interrupted or fails.

An interrupt: one line naming the call, the rest of the cell does not run, the call is in the
history as cancelled. An error from the Python API: the user's frames and the message, not the
package's or the SDK's frames.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.kernel import CellRun, kernel
from tests.peers import everything_js

pytestmark = [pytest.mark.kernel, pytest.mark.peers]

LONG_CALL = "ev.trigger-long-running-operation duration=20 steps=20"


def error_lines(run: CellRun) -> list[str]:
    """Every line of every error output the cell showed (what a front end renders)."""
    lines: list[str] = []
    for out in run.outputs:
        if out["msg_type"] == "error":
            lines += "\n".join(out["content"]["traceback"]).splitlines()
    return lines


def test_an_interrupted_call_shows_one_line_stops_the_cell_and_stays_in_the_history():
    with kernel() as k:
        k.ok(f"%load_ext mcp_notebook\n%mcp connect ev -- node {everything_js()} stdio")
        k.ok("%mcp call ev.echo message=warm")  # the first call waits for jsonschema to load
        for code in (
            f"%mcp call {LONG_CALL}\nprint('the rest of the cell ran')",
            "import mcp_notebook as mn\n"
            "mn.get('ev').call('trigger-long-running-operation', duration=20, steps=20)\n"
            "print('the rest of the cell ran')",
        ):
            run = k.run(code, interrupt_after=1.5, timeout=30)
            assert (run.status, run.ename) == ("error", "Interrupted")
            lines = error_lines(run)
            assert len(lines) == 1, "\n".join(lines)
            assert lines[0].startswith("Interrupted: cancelled ev.trigger-long-running-operation after 1.")
            assert lines[0].endswith("; the session is ready")
            assert "the rest of the cell ran" not in run.text()
            assert "Echo: after" in k.ok("%mcp call ev.echo message=after").text()
        history = k.ok("import json\nh = mn.history()\nprint(json.dumps(list(zip(h['name'], h['status']))))").text()
        calls = [tuple(pair) for pair in json.loads(history.strip().splitlines()[-1])]
        assert calls.count(("trigger-long-running-operation", "cancelled")) == 2
        assert calls.count(("echo", "ok")) == 3


def test_an_api_error_shows_the_users_frames_and_the_message_only():
    with kernel() as k:
        k.ok(f"import mcp_notebook as mn\nev = mn.connect('ev', command=['node', '{everything_js()}', 'stdio'])")
        run = k.run("def total(a):\n    return ev.call('get-sum', a=a)\n\ntotal(2)")
        assert (run.status, run.ename) == ("error", "ArgumentsInvalid")
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error_lines(run)]
        text = "\n".join(lines)
        # The argument's description follows when the server sends one: server-everything 2026.8.31 does
        # or does not, depending on which zod npm resolves beside it.
        assert re.fullmatch(
            r"ArgumentsInvalid: ev\.get-sum: missing required argument 'b' \(number\)( — Second number)?; "
            r"`%mcp tools ev` shows its arguments",
            lines[-1],
        ), lines[-1]
        assert "total(2)" in text and "in total(a)" in text  # where in the user's code
        assert "mcp_notebook" not in text and "site-packages" not in text, text
        assert len(lines) <= 15, text
        missing = k.run("ev.read('demo://resource/static/document/nope.md')")
        lines = error_lines(missing)
        assert (
            missing.ename == "ServerError" and "Resource demo://resource/static/document/nope.md not found" in lines[-1]
        )
        assert "The above exception" not in "\n".join(lines) and len(lines) <= 10
