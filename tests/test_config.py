"""config.py and _log.py: server specs, variable expansion, and keeping secrets out of sight."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_notebook._log import MAX_LINE, ConnectionLog
from mcp_notebook.config import (
    demo_spec,
    expand_vars,
    in_process_spec,
    parse_env_pair,
    parse_header,
    redact_args,
    redact_url,
    stdio_spec,
    url_spec,
    validate_name,
)
from mcp_notebook.errors import UsageProblem

# -- names and specs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["demo", "a", "_x", "my-server", "srv_2", "A-b-C"])
def test_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "1abc", "-x", "a.b", "a b", "é", "a/b", None, 3])
def test_invalid_names(name):
    with pytest.raises(UsageProblem, match="cannot name a server"):
        validate_name(name)


def test_stdio_spec():
    spec = stdio_spec("fs", ["npx", "server", 3], env={"A": 1}, cwd=Path("/tmp"))
    assert spec.transport == "stdio" and spec.command == ("npx", "server", "3")
    assert spec.env == {"A": "1"} and spec.cwd == "/tmp"


@pytest.mark.parametrize(
    ("command", "env", "message"),
    [
        ("npx server", None, r"a list of words, e.g. \['npx server'\]"),
        ([], None, "no command given for 'fs'"),
        ([""], None, "no command given"),
        (["x"], {"A=B": "1"}, "bad environment variable name 'A=B'"),
        (["x"], {"": "1"}, "bad environment variable name ''"),
    ],
)
def test_stdio_spec_mistakes(command, env, message):
    with pytest.raises(UsageProblem, match=message):
        stdio_spec("fs", command, env=env)


def test_url_spec():
    spec = url_spec("web", "https://host/mcp", headers={"X-Api-Key": "k"})
    assert spec.transport == "http" and spec.headers == {"X-Api-Key": "k"}
    assert url_spec("web", "http://host/sse", sse=True).transport == "sse"


@pytest.mark.parametrize("url", ["ftp://host/x", "host:8000/mcp", "/just/a/path", "https://"])
def test_url_spec_wants_http(url):
    with pytest.raises(UsageProblem, match="is not an http"):
        url_spec("web", url)


def test_url_spec_error_hides_credentials():
    with pytest.raises(UsageProblem) as info:
        url_spec("web", "ftp://alice:hunter2@host/x")
    assert "hunter2" not in str(info.value) and "alice" not in str(info.value)


@pytest.mark.parametrize("headers", [{"Bad:Name": "v"}, {"": "v"}, {"X": "a\r\nInjected: 1"}, {"X\n": "v"}])
def test_url_spec_rejects_bad_headers(headers):
    with pytest.raises(UsageProblem, match="bad header"):
        url_spec("web", "https://host/mcp", headers=headers)


def test_demo_and_in_process_specs():
    demo = demo_spec()
    assert demo.name == "demo" and demo.demo and demo.command[0] == sys.executable
    assert demo.describe() == "embedded demo server"

    class FakeServer:
        pass

    server = FakeServer()
    spec = in_process_spec("inproc", server)
    assert spec.server is server and spec.describe() == "in-process FakeServer"


def test_same_target_ignores_the_name_only():
    a = stdio_spec("a", ["x"])
    assert a.same_target(stdio_spec("b", ["x"]))
    assert not a.same_target(stdio_spec("a", ["x", "-v"]))
    assert not a.same_target(stdio_spec("a", ["x"], env={"K": "v"}))


# -- expand_vars, env pairs, headers ----------------------------------------------------------------------


ENV = {"TOKEN": "s3cr3t", "HOST": "example.com", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("Bearer $TOKEN", "Bearer s3cr3t"),
        ("https://${HOST}/mcp", "https://example.com/mcp"),
        ("${HOST}s", "example.coms"),
        ("$HOSTs", None),  # $HOSTs is a different (undefined) variable
        ("cost $$5", "cost $5"),
        ("$$TOKEN", "$TOKEN"),
        ("a$EMPTY.b", "a.b"),
        ("$1 and $ alone", "$1 and $ alone"),
        ("no variables", "no variables"),
    ],
)
def test_expand_vars(text, expanded):
    if expanded is None:
        with pytest.raises(UsageProblem, match=r"\$HOSTs is not set .* %env HOSTs=\.\.\."):
            expand_vars(text, ENV)
    else:
        assert expand_vars(text, ENV) == expanded


def test_expand_vars_uses_the_process_environment(monkeypatch):
    monkeypatch.setenv("MCPNB_TEST_VAR", "from-env")
    monkeypatch.delenv("MCPNB_TEST_UNSET", raising=False)
    assert expand_vars("x=$MCPNB_TEST_VAR") == "x=from-env"
    with pytest.raises(UsageProblem, match="MCPNB_TEST_UNSET"):
        expand_vars("${MCPNB_TEST_UNSET}")


def test_parse_env_pair():
    assert parse_env_pair("KEY=a=b") == ("KEY", "a=b")
    assert parse_env_pair(" K =") == ("K", "")
    for bad in ("KEY", "=v", " =v"):
        with pytest.raises(UsageProblem, match="--env takes K=V"):
            parse_env_pair(bad)


def test_parse_header():
    assert parse_header("Authorization: Bearer x:y") == ("Authorization", "Bearer x:y")
    assert parse_header(" X-Key :v ") == ("X-Key", "v")
    for bad in ("no colon", ": value"):
        with pytest.raises(UsageProblem, match="--header takes 'Name: value'"):
            parse_header(bad)


# -- redaction --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://alice:hunter2@host:8443/mcp", "https://***@host:8443/mcp"),
        ("https://ghp_abc123@host/mcp", "https://***@host/mcp"),
        ("https://host/mcp?api_key=K1&page=2", "https://host/mcp?api_key=***&page=2"),
        ("https://host/mcp?access_token=T&Session=S&x=1", "https://host/mcp?access_token=***&Session=***&x=1"),
        ("https://host/mcp", "https://host/mcp"),
        ("http://[::1", "***"),
    ],
)
def test_redact_url(url, redacted):
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    ("args", "redacted"),
    [
        (["--api-key", "K1", "--port", "80"], ["--api-key", "***", "--port", "80"]),
        (["--token=T1", "-v"], ["--token=***", "-v"]),
        (["--password", "P", "--secret-file", "S"], ["--password", "***", "--secret-file", "***"]),
        (["https://u:p@h/x?auth=A"], ["https://***@h/x?auth=***"]),
        (["docker", "-e", "GITHUB_TOKEN=ghp_1"], ["docker", "-e", "GITHUB_TOKEN=***"]),
        (["--header", "Authorization: Bearer X"], ["--header", "Authorization: ***"]),
        (["--header", "Accept: text/plain"], ["--header", "Accept: text/plain"]),
        (["mode=fast", "server.py"], ["mode=fast", "server.py"]),
        (["--api-key"], ["--api-key"]),
    ],
)
def test_redact_args(args, redacted):
    assert redact_args(args) == redacted


def test_describe_stdio_is_typable_and_hides_env_values():
    spec = stdio_spec("x", ["uvx", "my server", "--token", "T0PS3CRET", "it's"], env={"API_KEY": "ENVS3CRET"})
    assert spec.describe() == "API_KEY=*** uvx 'my server' --token *** 'it'\\''s'"


def test_describe_url_hides_headers_and_credentials():
    spec = url_spec("x", "https://bob:PW123@host/mcp?token=TK123", headers={"Authorization": "Bearer HV123"})
    text = spec.describe()
    assert text == "https://***@host/mcp?token=*** [Authorization: ***]"


# A secret is long and random enough that finding it in a description cannot be a coincidence.
_SECRET = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789", min_size=10, max_size=24)
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_./:", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    secrets=st.lists(_SECRET, min_size=5, max_size=5, unique=True),
    words=st.lists(_WORD, max_size=4),
    flag=st.sampled_from(["--api-key", "--token", "--password", "--auth", "--client-secret", "--cookie"]),
    env_name=st.sampled_from(["API_KEY", "HOME_DIR", "X", "GITHUB_TOKEN"]),
    header=st.sampled_from(["Authorization", "X-Api-Key", "X-Custom"]),
)
def test_describe_never_shows_a_secret(secrets, words, flag, env_name, header):
    env_value, flag_value, assigned, header_value, url_token = secrets
    stdio = stdio_spec(
        "s",
        ["server", *words, flag, flag_value, f"{flag}={flag_value}", f"SERVICE_TOKEN={assigned}"],
        env={env_name: env_value},
    )
    described = stdio.describe()
    for secret in (env_value, flag_value, assigned):
        assert secret not in described
    http = url_spec(
        "h",
        f"https://user:{url_token}@host/mcp?key={url_token}",
        headers={header: f"Bearer {header_value}"},
    )
    described = http.describe()
    assert url_token not in described and header_value not in described


# -- ConnectionLog -------------------------------------------------------------------------------------------


def test_log_scrubs_secrets_everywhere():
    log = ConnectionLog(secrets=["hunter2", "Bearer abc123", "abc"])
    log.add("stderr", "login with hunter2 and Bearer abc123; hunter2 again")
    assert log.tail() == ["login with *** and ***; *** again"]
    log.add("client", "short abc words are kept")  # below four characters: not treated as secret
    assert log.tail(1) == ["short abc words are kept"]


def test_log_scrubs_longest_secret_first():
    log = ConnectionLog(secrets=["abcd", "abcdefgh"])
    log.add("stderr", "abcdefgh")
    assert log.tail() == ["***"]


def test_log_lines_are_bounded_and_a_secret_at_the_cut_does_not_leak():
    secret = "TOPSECRET-0123456789"
    log = ConnectionLog(secrets=[secret])
    text = "x" * (MAX_LINE - 5) + secret + "y" * 10_000
    log.add("stderr", text)
    (stored,) = log.tail()
    assert len(stored) < MAX_LINE + 50 and "more characters]" in stored
    assert secret[:5] not in stored


def test_log_keeps_the_newest_and_counts_the_dropped():
    log = ConnectionLog(max_entries=3)
    for i in range(5):
        log.add("stderr" if i % 2 else "client", f"line {i}")
    assert [e.text for e in log.entries()] == ["line 2", "line 3", "line 4"]
    assert log.dropped == 2
    assert log.tail(2) == ["line 3", "line 4"]
    assert log.tail(5, source="stderr") == ["line 3"]
    assert log.tail(0) == []
    log.clear()
    assert log.entries() == [] and log.dropped == 0
