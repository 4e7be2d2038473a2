"""One rule for ``$`` and ``{}`` on every ``%mcp`` line, in a real IPython shell.

``{expr}`` standing alone is Python evaluated in the notebook; ``$name`` (or ``${name}``) is the
notebook's variable, or else the kernel's environment variable; ``$$`` is a ``$``. A lone value
is sent as itself, inside text its text is put in; a quoted argument value is sent as typed.
"""

from __future__ import annotations

import sys

import pytest
from IPython.core.error import UsageError

from mcp_notebook.magics._parse import parse_pairs, text_word, tokenize

DEMO = f"{sys.executable} -m mcp_notebook.demo"
SECRET = "s3cr3t-dollar-rule-value"


def names(ip) -> list[str]:
    return ip.run_line_magic("mcp", "servers").names()


def test_a_loop_connects_servers_by_name(ip):
    ip.user_ns["wanted"] = ["north", "south"]
    result = ip.run_cell(f"for name in wanted:\n    %mcp connect {{name}} -- {DEMO}\n")
    result.raise_error()
    assert names(ip) == ["north", "south"]
    result = ip.run_cell(f"for name in ['east']:\n    %mcp connect $name -- {DEMO}\n")
    result.raise_error()
    assert names(ip) == ["north", "south", "east"]


def test_inside_a_function_its_locals_count(ip):
    cell = f"def connect_all(servers):\n    for one in servers:\n        %mcp connect $one -- {DEMO}\n\nconnect_all(['west'])\n"
    ip.run_cell(cell).raise_error()
    assert names(ip) == ["west"]


def test_every_server_position_reads_variables(ip):
    ip.user_ns["s"] = "north"
    ip.run_line_magic("mcp", f"connect $s -- {DEMO}")
    assert "query" in ip.run_line_magic("mcp", "tools $s").names()
    assert ip.run_line_magic("mcp", "call $s.echo text=hi").text == "hi"
    assert len(ip.run_line_magic("mcp", "read $s demo://about.md").text) > 0
    ip.run_line_magic("mcp", "disconnect {s}")
    assert names(ip) == []


def test_values_notebook_first_then_environment(ip, monkeypatch):
    monkeypatch.setenv("GREETING", "from the environment")
    monkeypatch.setenv("WHO", "world")
    ip.run_line_magic("mcp", "connect demo")
    call = lambda line: ip.run_line_magic("mcp", f"call demo.echo {line}").text  # noqa: E731
    assert call("text=$GREETING") == "from the environment"  # was: "not defined in the notebook"
    ip.user_ns["GREETING"] = "from the notebook"
    assert call("text=$GREETING") == "from the notebook"
    assert call("text=hello-$WHO") == "hello-world"  # inside text: its text
    assert call("text=hello-${WHO}s") == "hello-worlds"
    assert call("text='$WHO'") == "$WHO"  # quoted: exactly as typed
    assert call("text=$$WHO") == "$WHO"
    assert call("text=$5") == "$5"  # not a name: left alone


def test_secrets_come_from_the_environment_and_stay_out_of_the_notebook(ip, monkeypatch, capsys):
    monkeypatch.setenv("MN_DOLLAR_SECRET", SECRET)
    ip.user_ns["server_name"] = "keeper"
    ip.run_line_magic("mcp", f"connect $server_name --env TOKEN=$MN_DOLLAR_SECRET -- {DEMO}")
    shown = str(ip.run_line_magic("mcp", "servers")._repr_mimebundle_())
    assert SECRET not in shown and SECRET not in capsys.readouterr().out
    assert not any(SECRET in repr(value) for value in ip.user_ns.values() if isinstance(value, str | list | dict))


def test_a_name_defined_nowhere_says_where_it_looked(ip):
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("mcp", "connect x -- cmd --token $MN_DOLLAR_NOWHERE")
    message = str(e.value)
    assert "$MN_DOLLAR_NOWHERE is neither a notebook variable nor set in the kernel's environment" in message
    assert "getpass" in message and "\n" not in message


def test_the_manual_states_the_rule(ip):
    doc = ip.find_line_magic("mcp").__doc__
    assert "is the notebook's variable, or else the kernel's environment variable" in " ".join(doc.split())


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("x=$rows", [1, 2]),  # alone: the object itself
        ("x=${rows}", [1, 2]),
        ("x=n$n", "n4"),  # inside text: its text
        ("x=${n}0", 40),  # the text then reads as typed text would (JSON where it parses)
        ("x=$$n", "$n"),
        ("x=$${n}", "${n}"),
        ("x='$n'", "$n"),
        ('x="${n}"', "${n}"),
        ("x=a{n}", "a{n}"),  # braces inside text stay text
        ("x=^a$", "^a$"),
    ],
)
def test_argument_values(line, value):
    assert parse_pairs(tokenize(line), {"rows": [1, 2], "n": 4}, "w")[0] == {"x": value}


def test_text_words_expand_quoted_or_not(monkeypatch):
    monkeypatch.setenv("MN_DOLLAR_TOKEN", "tok")
    ns = {"folder": "/data", "pick": "b"}
    word = lambda text: text_word(tokenize(text)[0], ns, "w")  # noqa: E731
    assert word("'Authorization: Bearer $MN_DOLLAR_TOKEN'") == "Authorization: Bearer tok"
    assert word("$folder/x.csv") == "/data/x.csv"
    assert word("{pick * 2}") == "bb"
    assert word('{"a": 1}') == '{"a": 1}'  # a JSON object stays as typed
    assert word("$$folder") == "$folder"
