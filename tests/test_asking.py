"""When servers ask: elicitation, URL consent, sampling, roots, log levels — both protocol eras."""

from __future__ import annotations

import builtins
import sys
import time
from collections.abc import Iterator

import mcp_types as types
import pytest

import mcp_notebook.errors as errors
from mcp_notebook._prompts import ask_form, ask_sample, ask_url
from mcp_notebook.asking import Ask, Policy, apply_defaults

DEMO = [sys.executable, "-m", "mcp_notebook.demo"]
ADOPTER = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name"},
        "email": {"type": "string", "format": "email", "default": ""},
        "species": {"type": "string", "enum": ["Adelie", "Chinstrap", "Gentoo"], "default": "Gentoo"},
        "newsletter": {"type": "boolean", "default": False},
        "age": {"type": "integer", "minimum": 0},
    },
    "required": ["name"],
}


def scripted(*answers: str):
    """A read() that answers prompts in order, and records them."""
    prompts: list[str] = []
    queue = iter(answers)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        return next(queue)

    read.prompts = prompts  # type: ignore[attr-defined]
    return read


def quiet(_text: str) -> None:
    return None


# -- the pure question-and-answer pieces ------------------------------------------------------------


def test_form_asks_each_field_and_fills_defaults():
    read = scripted("", "Ada", "", "1", "", "x", "-1", "36")
    result = ask_form(Ask("demo", "form", "Who adopts?", ADOPTER), read, quiet)
    assert result.action == "accept"
    assert result.content == {"name": "Ada", "email": "", "species": "Adelie", "newsletter": False, "age": 36}
    prompts = read.prompts  # type: ignore[attr-defined]
    assert prompts[1].startswith("Name * (string)")
    assert "1) Adelie, 2) Chinstrap, 3) Gentoo" in prompts[3] and '[default: "Gentoo"]' in prompts[3]
    assert prompts.count(prompts[-1]) == 3  # "x" and -1 were refused, then 36 accepted


def test_form_decline_cancel_and_required():
    assert ask_form(Ask("s", "form", "?", ADOPTER), scripted("n"), quiet).action == "decline"
    assert ask_form(Ask("s", "form", "?", ADOPTER), scripted("c"), quiet).action == "cancel"
    lines: list[str] = []
    result = ask_form(Ask("s", "form", "?", ADOPTER), scripted("y", "", "", "Bo", "", "", "", ""), lines.append)
    assert "  this one is required" in lines and result.content["name"] == "Bo"


def test_answer_it_takes_only_yes_no_or_cancel_and_asks_again_otherwise():
    lines: list[str] = []
    # A name typed at the yes/no question is refused there, so the fields still get their own answers.
    read = scripted("Ada", "y", "Ada", "", "", "", "")
    result = ask_form(Ask("s", "form", "?", ADOPTER), read, lines.append)
    assert result.action == "accept" and result.content["name"] == "Ada"
    prompts = read.prompts  # type: ignore[attr-defined]
    assert prompts[0] == prompts[1] == "Answer it? [Y]es / [n]o, decline / [c]ancel: "
    assert prompts[2].startswith("Name * (string)")
    assert "  'ada' is not a choice: y (fill in the form), n (decline) or c (cancel)" in lines
    assert ask_form(Ask("s", "form", "?", ADOPTER), scripted("maybe", "decline"), quiet).action == "decline"
    assert ask_form(Ask("s", "form", "?", ADOPTER), scripted(*["x"] * 5), quiet).action == "cancel"


def test_url_consent_shows_the_domain_first_and_defaults_to_no():
    lines: list[str] = []
    ask = Ask("s", "url", "Sign in", url="https://login.example.org/auth?x=1")
    assert ask_url(ask, scripted(""), lines.append).action == "decline"
    assert ">>> login.example.org <<<" in lines[0]
    assert not any("auth?x=1" in line for line in lines)  # the link itself is not shown before consent


def test_sampling_shows_the_conversation():
    params = types.CreateMessageRequestParams(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text="a haiku"))],
        max_tokens=30,
        system_prompt="be brief",
    )
    lines: list[str] = []
    reply = ask_sample("demo", params, scripted("cold sea"), lines.append)
    assert reply is not None and reply.content.text == "cold sea"
    assert "   [system] be brief" in lines and "   [user] a haiku" in lines
    assert ask_sample("demo", params, scripted(""), quiet) is None


def test_defaults_and_policies():
    assert apply_defaults(ADOPTER, {"name": "A"}) == {
        "name": "A",
        "email": "",
        "species": "Gentoo",
        "newsletter": False,
    }
    with pytest.raises(errors.UsageProblem, match="accept-defaults"):
        Policy(on_elicit="yes please")


# -- against the demo server, in both eras ------------------------------------------------------------


@pytest.fixture(params=["auto", "legacy"])
def demo_era(request, hub):
    server = hub.connect("d", command=DEMO, protocol=request.param)
    assert server.protocol_version == ("2026-07-28" if request.param == "auto" else "2025-11-25")
    return server


@pytest.fixture
def typed(monkeypatch) -> Iterator[list[str]]:
    """Answers for input(), in order (each prompt is printed, as input() would)."""
    answers: list[str] = []

    def fake_input(prompt: str = "") -> str:
        print(prompt)
        return answers.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    yield answers


def test_blocking_call_asks_through_input(demo_era, typed, capsys):
    typed += ["y", "Ada", "", "1", "yes"]
    assert demo_era.call("adopt", penguin="Pingu").text == "Ada now keeps Pingu, a Adelie and gets the newsletter."
    assert "🔸 d asks: You are adopting Pingu. Who is the new keeper?" in capsys.readouterr().out
    typed += ["n"]
    assert demo_era.call("adopt", penguin="Pingu").text == "No adoption: the request was declined."
    typed += ["white ice, black coat"]
    assert demo_era.call("haiku", topic="ice").text == "white ice, black coat"
    typed += [""]
    with pytest.raises(errors.ServerError, match="needs an LLM reply, and it was declined"):
        demo_era.call("haiku")
    assert "sampling declined" in demo_era.log().text
    assert demo_era.call("echo", text="still fine").text == "still fine"


def test_policies_answer_without_asking(hub):
    asked = []

    def on_elicit(ask):
        asked.append(ask)
        return {"name": "Policy Pat", "newsletter": True}

    server = hub.connect(
        "p", command=DEMO, on_elicit=on_elicit, on_sample=lambda messages, params: f"reply to {messages[0]['content']}"
    )
    assert server.call("adopt", penguin="Q").text == "Policy Pat now keeps Q, a Gentoo and gets the newsletter."
    assert asked[0].server == "p" and asked[0].schema["required"] == ["name"]
    assert server.call("haiku", topic="snow").text == "reply to Write a haiku about snow, for a penguin enthusiast."
    defaults = hub.connect("q", command=DEMO, on_elicit="accept-defaults")
    assert defaults.call("adopt", penguin="Q").text == "No adoption: the request was cancelled."
    assert "accept-defaults has no value for 'name' (required, no default)" in defaults.log().text
    declining = hub.connect("r", command=DEMO, on_elicit="decline")
    assert declining.call("adopt", penguin="Q").text == "No adoption: the request was declined."


def test_the_connect_magic_takes_unattended_answers(ip, monkeypatch):
    from IPython.core.error import UsageError

    monkeypatch.setattr(builtins, "input", lambda prompt="": pytest.fail(f"asked: {prompt!r}"))
    python = sys.executable
    ip.run_line_magic("mcp", f"connect q --on-elicit decline --on-sample decline -- {python} -m mcp_notebook.demo")
    assert ip.run_line_magic("mcp", "call q.adopt penguin=Q").text == "No adoption: the request was declined."
    with pytest.raises(UsageError, match="needs an LLM reply, and it was declined"):
        ip.run_line_magic("mcp", "call q.haiku")

    ip.user_ns["keeper"] = lambda ask: {"name": f"Keeper of {ask.server}"}
    ip.user_ns["poet"] = lambda messages, params: "snow on snow"
    ip.run_line_magic("mcp", f"connect f --on-elicit {{keeper}} --on-sample {{poet}} -- {python} -m mcp_notebook.demo")
    assert ip.run_line_magic("mcp", "call f.adopt penguin=R").text.startswith("Keeper of f now keeps R")
    assert ip.run_line_magic("mcp", "call f.haiku topic=ice").text == "snow on snow"

    with pytest.raises(
        UsageError, match=r"--on-elicit is one of ask, accept-defaults, decline, cancel or \{a_function\}"
    ):
        ip.run_line_magic("mcp", "connect demo --on-elicit maybe")
    ip.user_ns["not_a_function"] = 3
    with pytest.raises(UsageError, match="--on-sample {not_a_function}: int is not a function"):
        ip.run_line_magic("mcp", "connect demo --on-sample {not_a_function}")
    assert sorted(ip.run_line_magic("mcp", "servers").to_dataframe()["name"]) == ["f", "q"]


def test_background_call_with_nobody_watching_is_declined_and_logged(demo_era):
    handle = demo_era.submit("adopt", penguin="Ghost")
    assert handle.result(10).text == "No adoption: the request was declined."
    assert "no call was waiting to ask the user" in demo_era.log().text


def test_background_call_asks_in_its_widget(demo_era):
    from mcp_notebook.views.handle import HandleView

    handle = demo_era.submit("adopt", penguin="Widget")
    view = HandleView(handle)
    deadline = time.monotonic() + 10
    while not view.questions.children and time.monotonic() < deadline:
        time.sleep(0.02)
    box = view.questions.children[0]
    assert "You are adopting Widget" in box.children[0].value
    form = box.children[1]
    name_field = next(c for c in form.children[1].children if "mcpnb-field-name" in c.children[0]._dom_classes)
    name_field.children[0].value = "Wanda"
    buttons = box.children[2].children
    buttons[0].click()  # Accept
    assert handle.result(10).text == "Wanda now keeps Widget, a Gentoo."
    deadline = time.monotonic() + 5
    while not view.result.outputs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "Wanda now keeps Widget" in str(view.result.outputs)


def test_roots(demo_era, hub, tmp_path):
    # No roots unless given: the demo (a python SDK server) then refuses to ask for them.
    assert demo_era.roots() == []
    with pytest.raises(errors.ServerError, match="did not declare the roots capability"):
        demo_era.call("roots")
    rooted = hub.connect("r", command=DEMO, protocol=demo_era.connection.spec.protocol, roots=[tmp_path])
    assert rooted.call("roots").data["result"] == [{"uri": tmp_path.as_uri(), "name": tmp_path.name}]
    (tmp_path / "sub").mkdir()
    rooted.set_roots([tmp_path / "sub"])
    assert rooted.call("roots").data["result"][0]["uri"] == (tmp_path / "sub").as_uri()
    rooted.add_root("/tmp")
    assert len(rooted.call("roots").data["result"]) == 2
    with pytest.raises(errors.UsageProblem, match="is not a root"):
        rooted.remove_root("/nowhere")


def test_warnings_from_the_server_show_in_the_cell(demo_era, capsys):
    assert demo_era.call("fail", message="melting ice").is_error
    assert "[d warning] fail was called: melting ice" in capsys.readouterr().err
    demo_era.set_log_level("error")
    demo_era.call("fail", message="quiet now")
    assert "quiet now" not in capsys.readouterr().err
    with pytest.raises(errors.UsageProblem, match="not a log level"):
        demo_era.set_log_level("loud")


def test_magics_for_roots_loglevel_background(ip, tmp_path, capsys):
    ip.run_line_magic("mcp", f"connect demo --root {tmp_path}")
    assert ip.run_line_magic("mcp", "roots demo") == [str(tmp_path)]
    (tmp_path / "more").mkdir()
    assert ip.run_line_magic("mcp", f"roots demo add {tmp_path / 'more'}") == [str(tmp_path), str(tmp_path / "more")]
    ip.run_line_magic("mcp", "loglevel demo error")
    handle = ip.run_line_magic("mcp", "call demo.slow_count n=3 delay=0.05 --background")
    assert handle.result(10).text == "counted to 3"
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="--df needs the result"):
        ip.run_line_magic("mcp", "call demo.echo --background --df")
