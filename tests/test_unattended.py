"""Runs nobody watches: no stdin (jupyter execute, nbclient, papermill, Voilà), default answers, SDK logs.

A kernel run without stdin cannot put a server's question to anyone: the request is declined and
the calling cell says so in one line. Defaults for such runs come from ``%config MCPMagics``. What
the MCP SDK logs (tracebacks included) goes to the connection's log, never into a cell — not the
calling one, and not the old ``%mcp connect`` cell whose context the loop thread started in.
The kernel tests run cells the way nbclient does (``allow_stdin=False``) and also collect what
arrives for a cell after it finished, which nbclient would drop.
"""

from __future__ import annotations

import builtins
import sys

import pytest
from traitlets import TraitError

from mcp_notebook.api import Hub
from tests.kernel import CellRun, Kernel, kernel
from tests.peers import everything_js

DEMO = [sys.executable, "-m", "mcp_notebook.demo"]


def stderr_lines(run: CellRun) -> list[str]:
    text = "".join(
        o["content"]["text"] for o in run.outputs if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"
    )
    return text.splitlines()


def assert_quiet_since(k: Kernel, *runs: CellRun) -> None:
    """Nothing arrived for these cells after they finished (the SDK's tracebacks used to)."""
    for run in runs:
        assert k.late_outputs(run) == [], f"output after the cell finished: {k.late_outputs(run)}"


# -- a real kernel without stdin, against server-everything ----------------------------------------


@pytest.mark.kernel
@pytest.mark.peers
def test_without_stdin_questions_are_declined_in_one_line_in_the_calling_cell():
    js = everything_js()
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\nimport mcp_notebook as mn")
        connect = k.ok(f"%mcp connect ev -- node {js} stdio")
        elicit = k.ok("%mcp call ev.trigger-elicitation-request")
        assert stderr_lines(elicit) == [
            "declined ev's request for input: this run has no stdin to ask you (jupyter execute, papermill, "
            "Voilà); to answer unattended, connect with --on-elicit (on_elicit=) or set %config MCPMagics.on_elicit"
        ]
        assert '"action": "decline"' in elicit.text()
        sample = k.ok("%mcp call ev.trigger-sampling-request prompt=hi")
        assert len(stderr_lines(sample)) == 1
        assert stderr_lines(sample)[0].startswith("declined ev's request for an LLM reply: this run has no stdin")
        assert "The user declined the sampling request" in sample.text()
        for run in (elicit, sample):
            assert "raw_input" not in run.text()
        assert_quiet_since(k, connect, elicit, sample)


@pytest.mark.kernel
@pytest.mark.peers
def test_what_the_sdk_logs_goes_to_the_connections_log_not_into_a_cell():
    with kernel() as k:
        k.ok("%load_ext mcp_notebook\nimport mcp_notebook as mn")
        # A policy function that fails: the SDK logs the failure with its traceback.
        k.ok("def refuse(ask):\n    raise ValueError('no answers today')")
        connect = k.ok(f"%mcp connect refusing --on-elicit {{refuse}} -- node {everything_js()} stdio")
        failed = k.ok("%mcp call refusing.trigger-elicitation-request")
        assert "no answers today" in failed.text() and "Traceback" not in failed.text()
        assert_quiet_since(k, connect, failed)
        log = k.ok("print(mn.get('refusing').log().text)").text()
        assert "handler for 'elicitation/create' raised: ValueError: no answers today" in log
        assert "Traceback (most recent call last)" in log


@pytest.mark.kernel
@pytest.mark.peers
def test_config_sets_the_answers_of_connects_that_do_not_say():
    js = everything_js()
    with kernel() as k:
        k.ok("%load_ext mcp_notebook")
        k.ok("%config MCPMagics.on_elicit = 'accept-defaults'\n%config MCPMagics.on_sample = 'decline'")
        k.ok(f"%mcp connect ev -- node {js} stdio")
        # The form requires 'name' and gives it no default: the cell says why the answer was cancelled.
        cancelled = k.ok("%mcp call ev.trigger-elicitation-request")
        assert stderr_lines(cancelled) == [
            "cancelled the answer to ev's form: accept-defaults has no value for 'name' (required, no default); "
            "to answer it yourself connect with --on-elicit ask (on_elicit='ask'), or give --on-elicit a function "
            "that fills it"
        ]
        assert '"action": "cancel"' in cancelled.text()
        declined = k.ok("%mcp call ev.trigger-sampling-request prompt=hi")
        assert stderr_lines(declined) == []  # the policy answered: nothing was asked
        assert "The user declined the sampling request" in declined.text()
        # --on-elicit ask overrides the default; without stdin that is declined, in one line.
        k.ok(f"%mcp connect asking --on-elicit ask -- node {js} stdio")
        asked = k.ok("%mcp call asking.trigger-elicitation-request")
        assert [line[:45] for line in stderr_lines(asked)] == ["declined asking's request for input: this run"]


# -- the same rules in-process ---------------------------------------------------------------------------


def test_a_closed_stdin_declines_once_a_call_and_says_so(hub: Hub, monkeypatch, capsys) -> None:
    asked: list[str] = []

    def closed(prompt: str = "") -> str:
        asked.append(prompt)
        raise EOFError

    monkeypatch.setattr(builtins, "input", closed)
    demo = hub.connect("d", command=DEMO)
    assert demo.call("adopt", penguin="Q").text == "No adoption: the request was declined."
    with pytest.raises(Exception, match="needs an LLM reply, and it was declined"):
        demo.call("haiku")
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == [
        "declined d's request for input",
        "declined d's request for an LLM reply",
    ]
    assert len(asked) == 2  # one try per call, no retries against a closed stdin
    assert "this run has no stdin to ask you" in demo.log().text


def test_the_hubs_default_answers_and_ask_overrides_it(hub: Hub, monkeypatch) -> None:
    monkeypatch.setattr(builtins, "input", lambda prompt="": pytest.fail(f"asked: {prompt!r}"))
    hub.on_elicit = "decline"
    assert hub.connect("d", command=DEMO).call("adopt", penguin="Q").text == "No adoption: the request was declined."
    answers = iter(["y", "Ada", "", "", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    asking = hub.connect("a", command=DEMO, on_elicit="ask")
    assert asking.call("adopt", penguin="Q").text.startswith("Ada now keeps Q")


def test_magics_settings_set_the_hubs_defaults(hub: Hub) -> None:
    from mcp_notebook.magics import MCPMagics

    magics = MCPMagics(None, hub=hub)
    assert (hub.on_elicit, hub.on_sample) == (None, None)
    magics.on_elicit = "accept-defaults"
    magics.on_sample = "decline"
    assert (hub.on_elicit, hub.on_sample) == ("accept-defaults", "decline")
    with pytest.raises(TraitError):
        magics.on_elicit = "maybe"
