"""Plain IPython in a terminal (no Jupyter): the magics, top-level await and a clean exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

IPYTHON = [sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor"]


def test_a_script_in_terminal_ipython(tmp_path: Path):
    script = tmp_path / "tour.ipy"
    script.write_text(
        textwrap.dedent(
            """
            %load_ext mcp_notebook
            %mcp connect demo
            r = %mcp call demo.query species=Chinstrap limit=2
            print(r._repr_mimebundle_()["text/plain"])
            import mcp_notebook as mn
            x = await mn.get("demo").acall("echo", text="awaited in a terminal")
            print(x.text)
            print("pid", mn.servers()["demo"]["pid"])
            """
        )
    )
    done = subprocess.run([*IPYTHON, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Chinstrap") == 2
    assert "awaited in a terminal" in done.stdout
    pid = int(done.stdout.split("pid ")[1].split()[0])
    from tests.conftest import pids_alive

    assert pids_alive([pid]) == []  # the exit hook stopped the server with IPython


def test_interactive_session_on_stdin():
    lines = "\n".join(
        [
            "%load_ext mcp_notebook",
            "%mcp connect demo",
            "%mcp call demo.echo text='typed at the prompt'",
            "%mcp call demo.qeury",
            "%mcp call demo.echo text='still alive'",
            "exit",
        ]
    )
    done = subprocess.run([*IPYTHON, "--simple-prompt"], input=lines + "\n", capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert "typed at the prompt" in out
    assert "UsageError: no tool 'qeury' on 'demo'; did you mean 'query'?" in out
    assert "still alive" in out
    assert "Traceback" not in out
