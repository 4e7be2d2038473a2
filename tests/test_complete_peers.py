"""Tab completion on ``%mcp`` lines through a real IPython shell's completer, against the reference
servers ``server-filesystem`` and ``server-everything``: only this package's completions appear on
an ``%mcp`` line (no Python builtins beside or before them), in the order the package gives."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import mcp_notebook
from tests.peers import everything_js, filesystem_bin

pytestmark = pytest.mark.peers


@pytest.fixture
def shell(ip, hub, monkeypatch, tmp_path: Path) -> Iterator[object]:
    """The IPython shell with the extension loaded the way `%load_ext` does, bound to this test's
    hub, and two real servers connected: ``fs`` (filesystem) and ``ev`` (everything)."""
    monkeypatch.setattr("mcp_notebook.api.default_hub", lambda: hub)
    mcp_notebook.load_ipython_extension(ip)
    ip.user_ns["folder"] = str(tmp_path)
    ip.run_line_magic("mcp", f"connect fs -- {filesystem_bin()} {tmp_path}")
    ip.run_line_magic("mcp", f"connect ev -- node {everything_js()} stdio")
    try:
        yield ip
    finally:
        mcp_notebook.unload_ipython_extension(ip)


def offered(shell, line: str) -> list[str]:
    """The line's last word after each completion IPython's completer offers, in its order."""
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        found = list(shell.Completer.completions(line, len(line)))
    head = line[: line.rfind(" ") + 1]
    return [(line[: c.start] + c.text)[len(head) :] for c in found]


def legacy(shell, line: str) -> list[str]:
    """The same through the older ``shell.complete`` (still used by some front ends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        text, matches = shell.complete("", line, len(line))
    head = line[: line.rfind(" ") + 1]
    return [(line[: len(line) - len(text)] + m)[len(head) :] for m in matches]


def test_enum_values_are_all_that_is_offered(shell):
    line = "%mcp call fs.list_directory_with_sizes sortBy="
    assert offered(shell, line) == ["sortBy=name", "sortBy=size"]
    assert legacy(shell, line) == ["sortBy=name", "sortBy=size"]


def test_a_tool_name_with_a_dash_is_completed_whole(shell):
    line = "%mcp call ev.get-s"
    assert offered(shell, line) == ["ev.get-structured-content", "ev.get-sum"]
    assert legacy(shell, line) == ["ev.get-structured-content", "ev.get-sum"]


def test_argument_names_required_first_and_nothing_else(shell):
    # read_text_file takes path (required), tail and head: the required one comes first.
    words = offered(shell, "%mcp call fs.read_text_file ")
    assert words[0] == "path=" and sorted(words) == ["head=", "path=", "tail="]


def test_an_assigned_magic_line_completes_too(shell):
    assert offered(shell, "rows = %mcp call fs.list_directory_with_sizes sortBy=s") == ["sortBy=size"]


def test_python_lines_keep_python_completion(shell):
    # The package completes %mcp lines only; elsewhere IPython's own matchers answer as before.
    assert "sorted" in offered(shell, "sor")
