"""Tab completion of %mcp lines in a real IPython shell, against the demo server."""

from __future__ import annotations

import pytest

from mcp_notebook.magics._complete import Completer, install, uninstall


@pytest.fixture
def complete(ip, hub):
    ip.run_line_magic("mcp", "connect demo")
    install(ip, Completer(hub))

    def run(line: str) -> list[str]:
        """The last word of the line after each completion IPython offers (magic names left out)."""
        from IPython.core.completer import provisionalcompleter

        with provisionalcompleter():
            offered = list(ip.Completer.completions(line, len(line)))
        head = line[: line.rfind(" ") + 1]
        words: list[str] = []
        for c in offered:
            new = line[: c.start] + c.text
            word = new[len(head) :]
            if new.startswith(head) and not word.startswith("%") and word not in words:
                words.append(word)
        return words

    yield run
    uninstall(ip)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%mcp ca", ["call"]),
        ("%mcp call demo.q", ["demo.query"]),
        ("%%mcp call demo.su", ["demo.summarize"]),
        ("%mcp call demo.query sp", ["species="]),
        ("%mcp call demo.query species=Ad", ["species=Adelie"]),
        ("%mcp call demo.query species=", ["species=Adelie", "species=Chinstrap", "species=Gentoo"]),
        ("%mcp call demo.query species=Gentoo l", ["limit="]),
        ("%%mcp call demo.query sp", ["species="]),
        ("%mcp tools ", ["demo"]),
        ("%mcp read demo demo://datasets/penguins.j", ["demo://datasets/penguins.json"]),
        ("%mcp prompt demo.compare species_a=G", ["species_a=Gentoo"]),  # from the server's completion/complete
        ("%mcp call demo.query --ti", ["--timeout"]),
        ("%mcp loglevel demo w", ["warning"]),
    ],
)
def test_completions(complete, line, expected):
    # Only the package's completions on an %mcp line: no Python names beside them.
    assert complete(line) == expected


def test_completion_never_raises(complete):
    offered = complete("%mcp call nowhere.x a=")  # an unknown server: nothing of ours, and no error
    assert not any(w.startswith("a=demo") for w in offered)


def test_argument_names_given_already_are_not_offered_again(complete):
    assert "species=" not in complete("%mcp call demo.query species=Gentoo s")


def test_the_body_of_a_cell_is_not_a_command_line(complete, ip):
    from IPython.core.completer import provisionalcompleter

    cell = "%%mcp call demo.query\nspecies: Ade"
    with provisionalcompleter():
        offered = list(ip.Completer.completions(cell, len(cell)))
    assert not any(c.type == "mcp" for c in offered)


@pytest.mark.kernel
def test_completion_in_a_real_kernel():
    # What JupyterLab asks for: a complete_request, answered through ipykernel's own completer path.
    from tests.kernel import kernel

    with kernel() as k:
        k.ok("%load_ext mcp_notebook\n%mcp connect demo")
        for line, start, matches in [
            ("%mcp call demo.query species=", 21, ["species=Adelie", "species=Chinstrap", "species=Gentoo"]),
            ("rows = %mcp call demo.q", 17, ["demo.query"]),
        ]:
            k.kc.complete(line, len(line))
            reply = k.kc.get_shell_msg(timeout=30)["content"]
            assert (reply["cursor_start"], reply["matches"]) == (start, matches)
