"""Tab completion of %mcp lines in a real IPython shell, against the demo server."""

from __future__ import annotations

import pytest

from mcp_notebook.magics._complete import Completer


@pytest.fixture
def complete(ip, hub):
    ip.run_line_magic("mcp", "connect demo")
    completer = Completer(hub)
    for key in ("%mcp", "%%mcp"):
        ip.set_hook("complete_command", completer, str_key=key)

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

    return run


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
        ("%mcp tools ", ["demo"]),
        ("%mcp read demo demo://datasets/penguins.j", ["demo://datasets/penguins.json"]),
        ("%mcp prompt demo.compare species_a=G", ["species_a=Gentoo"]),  # from the server's completion/complete
        ("%mcp call demo.query --ti", ["--timeout"]),
        ("%mcp loglevel demo w", ["warning"]),
    ],
)
def test_completions(complete, line, expected):
    # IPython keeps Jedi's Python names beside ours where the word could be Python: ours must be there.
    offered = complete(line)
    assert all(word in offered for word in expected), offered[:10]


def test_completion_never_raises(complete):
    offered = complete("%mcp call nowhere.x a=")  # an unknown server: nothing of ours, and no error
    assert not any(w.startswith("a=demo") for w in offered)


def test_argument_names_given_already_are_not_offered_again(complete):
    assert "species=" not in complete("%mcp call demo.query species=Gentoo s")
