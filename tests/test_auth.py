"""OAuth 2.1: token storage, the paste-the-redirect sign-in, refresh, logout, and keeping secrets secret.

The server is tests/servers/oauth_server.py: an MCP server on 127.0.0.1 with its own authorization
server (the SDK's server-side auth), which approves every sign-in at once. "The user" is a fake
``input()`` that opens the printed authorization link (without following the redirect, as a browser
that cannot reach the redirect URI) and pastes the address it was sent to. The sign-ins without a
browser and DPoP are in tests/test_auth_grants.py; the official conformance suites' auth scenarios
run in tests/test_conformance.py.
"""

from __future__ import annotations

import asyncio
import re
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from IPython.core.error import UsageError
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

import mcp_notebook as mn
from mcp_notebook._signin import parse_redirect
from mcp_notebook._tokens import FileTokenStorage, MemoryTokenStorage, token_dir
from mcp_notebook.errors import ConnectFailed, UsageProblem
from tests.peers import free_port, listening

SERVER = Path(__file__).resolve().parent / "servers" / "oauth_server.py"
CLIENT_ID = "notebook-client"
CLIENT_SECRET = "cs-5d41402abc4b2a76b9719d911017c592"


@contextmanager
def oauth_server(*args: str) -> Iterator[str]:
    """tests/servers/oauth_server.py on a free port; yields its MCP URL; stopped by its pid."""
    port = free_port()
    with listening([sys.executable, str(SERVER), str(port), *args], port, "the OAuth test server"):
        yield f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with oauth_server("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET) as url:
        yield url


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tokens go to a fresh Jupyter data dir for each test."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    return tmp_path / "jupyter-data"


class Person:
    """The user at the keyboard: reads the cell, opens the link, pastes where the browser went."""

    def __init__(self, capsys: pytest.CaptureFixture[str], paste: Callable[[str], str] = lambda location: location):
        self.capsys = capsys
        self.paste = paste
        self.prompts: list[str] = []
        self.shown = ""

    def __call__(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        self.shown += self.capsys.readouterr().out
        link = re.findall(r"https?://\S+/authorize\?\S+", self.shown)[-1]
        answer = httpx2.get(link, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return self.paste(answer.headers["location"])


def nobody(prompt: str = "") -> str:
    raise AssertionError(f"asked the user, but should not have: {prompt!r}")


# -- storage ------------------------------------------------------------------------------------------


def test_token_files_are_owner_only_under_the_jupyter_data_dir_and_round_trip(data_dir: Path) -> None:
    storage = FileTokenStorage("https://Example.com/mcp")
    tokens = OAuthToken(access_token="at-secret", refresh_token="rt-secret", expires_in=60, scope="read")
    client = OAuthClientInformationFull(client_id="abc", client_secret="shh-secret", redirect_uris=None)
    asyncio.run(storage.set_tokens(tokens))
    asyncio.run(storage.set_client_info(client))
    storage.set_discovery({"auth_server_url": "https://auth.example.com"})

    assert token_dir() == data_dir / "mcp_notebook" / "oauth"
    assert storage.path.parent == token_dir() and storage.path.name.startswith("example.com-")
    assert stat.S_IMODE(storage.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(token_dir().parent.stat().st_mode) == 0o700
    assert not list(token_dir().glob(".tmp-*"))  # written whole, then renamed

    again = FileTokenStorage("https://example.com/mcp")  # the same server, spelled as the SDK would
    assert asyncio.run(again.get_tokens()) == tokens
    assert asyncio.run(again.get_client_info()) == client
    assert again.expires_at() == pytest.approx(time.time() + 60, abs=5)
    assert again.discovery() == {"auth_server_url": "https://auth.example.com"}
    assert sorted(again.secret_values()) == ["at-secret", "rt-secret", "shh-secret"]
    assert FileTokenStorage("https://example.com/other").path != again.path
    assert again.forget() and not again.path.exists() and not again.forget()


def test_a_damaged_token_file_means_signing_in_again() -> None:
    storage = FileTokenStorage("https://example.com/mcp")
    storage.path.parent.mkdir(parents=True)
    storage.path.write_text("{not json")
    assert asyncio.run(storage.get_tokens()) is None and asyncio.run(storage.get_client_info()) is None


def test_memory_storage_keeps_nothing_on_disk(data_dir: Path) -> None:
    storage = MemoryTokenStorage("https://example.com/mcp")
    seen: list[list[str]] = []
    storage.on_secret(seen.append)
    asyncio.run(storage.set_tokens(OAuthToken(access_token="at-1")))
    assert asyncio.run(storage.get_tokens()) == OAuthToken(access_token="at-1")
    assert seen == [["at-1"]]
    assert not data_dir.exists()


# -- the pieces: settings and the pasted address --------------------------------------------------------


def test_parse_redirect_takes_the_address_its_query_or_the_code_alone() -> None:
    full = "http://127.0.0.1:8976/callback?code=abc&state=xyz&iss=https%3A%2F%2Fauth.example.com"
    assert parse_redirect(full) == {"code": "abc", "state": "xyz", "iss": "https://auth.example.com"}
    assert parse_redirect("  'code=abc&state=xyz'  ") == {"code": "abc", "state": "xyz", "iss": None}
    assert parse_redirect("abc", "expected", "https://as") == {"code": "abc", "state": "expected", "iss": "https://as"}
    with pytest.raises(ValueError, match="access_denied: nope"):
        parse_redirect("http://127.0.0.1:8976/callback?error=access_denied&error_description=nope&state=x")
    with pytest.raises(ValueError, match="no code="):
        parse_redirect("http://127.0.0.1:8976/callback?state=x")
    with pytest.raises(ValueError, match="nothing"):
        parse_redirect("   ")


def test_oauth_settings_hide_secrets_and_refuse_nonsense() -> None:
    settings = mn.OAuth(scopes="read write", client_id="me", client_secret=CLIENT_SECRET)
    assert settings.scopes == ("read", "write")
    assert CLIENT_SECRET not in repr(settings) and "client_secret='***'" in repr(settings)
    assert settings == mn.OAuth(scopes=["read", "write"], client_id="me", client_secret=CLIENT_SECRET)
    with pytest.raises(UsageProblem, match="client ID"):
        mn.OAuth(client_secret="x")
    with pytest.raises(UsageProblem, match="client_credentials=True"):
        mn.OAuth(private_key="key.pem")
    with pytest.raises(UsageProblem, match="client_secret= .* or private_key="):
        mn.OAuth(client_credentials=True, client_id="me")
    with pytest.raises(UsageProblem, match="https URL"):
        mn.OAuth(client_metadata_url="http://example.com/client.json")
    with pytest.raises(UsageProblem, match="storage"):
        mn.OAuth(storage="somewhere")


def test_auth_is_for_http_servers_only(hub: mn.Hub) -> None:
    with pytest.raises(UsageProblem, match="HTTP servers"):
        hub.spec("x", command=["true"], auth="oauth")
    with pytest.raises(UsageProblem, match="'oauth'"):
        hub.spec("x", url="http://127.0.0.1:1/mcp", auth="basic")


# -- signing in against a real server --------------------------------------------------------------------


def test_sign_in_by_pasting_the_address_then_reuse_the_stored_tokens(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(capsys)
    monkeypatch.setattr("builtins.input", person)
    here = set(Path.cwd().iterdir())
    web = hub.connect("web", url=server_url, auth="oauth")
    assert len(person.prompts) == 1 and "web" in person.prompts[0]
    assert ">>> 127.0.0.1 <<<" in person.shown  # the domain of the link, prominently
    assert web.call("whoami").data["scopes"] == ["read"]
    assert hub.servers()["web"]["target"] == f"{server_url} [OAuth]"
    assert hub.connect("web", url=server_url, auth="oauth").connection is web.connection  # same target

    stored = list(token_dir().glob("*.json"))
    assert len(stored) == 1 and stat.S_IMODE(stored[0].stat().st_mode) == 0o600
    assert set(Path.cwd().iterdir()) == here  # nothing next to the notebook

    hub.disconnect("web")  # keeps the tokens: the next connect asks nobody
    monkeypatch.setattr("builtins.input", nobody)
    again = hub.connect("web", url=server_url, auth="oauth")
    assert again.call("whoami").is_error is False


def test_pasting_just_the_code_works_too(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(capsys, paste=lambda location: re.search(r"code=([^&]+)", location).group(1))  # type: ignore[union-attr]
    monkeypatch.setattr("builtins.input", person)
    web = hub.connect("web", url=server_url, auth=mn.OAuth(scopes=["write"], storage="memory"))
    assert sorted(web.call("whoami").data["scopes"]) == ["read", "write"]  # the server's scope and ours
    assert not token_dir().exists()


def test_a_wrong_paste_is_asked_again_and_giving_up_ends_the_connect(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Empty once may mean "the browser came back here": with the listener up it is asked again.
    answers = iter(["http://127.0.0.1:8976/callback?code=abc&state=stale", "no code here=1", "", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    with pytest.raises(ConnectFailed, match="did not finish: nothing was pasted; connect again"):
        hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory"))
    out = capsys.readouterr().out
    assert "from another sign-in" in out and "no code=" in out
    assert hub.names() == []


def test_where_the_browser_reaches_the_kernel_the_user_only_presses_enter(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    pages: list[httpx2.Response] = []

    def browser_then_enter(location: str) -> str:
        pages.append(httpx2.get(location))  # the browser follows the redirect to the kernel's listener
        return ""

    person = Person(capsys, paste=browser_then_enter)
    monkeypatch.setattr("builtins.input", person)
    web = hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory", redirect_uri=redirect_uri))
    assert web.call("whoami").is_error is False
    assert len(person.prompts) == 1 and "Enter when signed in" in person.prompts[0]
    assert "just press Enter" in person.shown
    assert pages[0].status_code == 200 and "Signed in to web" in pages[0].text
    with pytest.raises(httpx2.ConnectError):  # the listener is gone once the sign-in is over
        httpx2.get(redirect_uri)


def test_when_the_redirect_port_is_taken_pasting_still_signs_in(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        redirect_uri = f"http://127.0.0.1:{taken.getsockname()[1]}/callback"
        person = Person(capsys)
        monkeypatch.setattr("builtins.input", person)
        web = hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory", redirect_uri=redirect_uri))
    assert web.call("whoami").is_error is False
    assert "empty to give up" in person.prompts[0] and "may not load from here" in person.shown


def test_the_redirect_listener_takes_only_its_own_sign_in() -> None:
    from mcp_notebook._redirect_listener import RedirectListener, listenable

    assert listenable("http://127.0.0.1:8976/callback") == ("127.0.0.1", 8976, "/callback")
    assert listenable("https://127.0.0.1:8976/callback") is None  # no TLS on the listener
    assert listenable("http://example.com:8976/callback") is None  # never beyond loopback
    assert listenable("http://localhost/callback") is None  # no port: nothing to bind

    async def scenario() -> tuple[list[str], dict[str, str] | None]:
        port = free_port()
        listener = RedirectListener("<b>evil</b>", f"http://127.0.0.1:{port}/callback", state="s1")
        assert await listener.start()
        seen = []
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for target in ("/elsewhere?code=x&state=s1", "/callback?code=x&state=other", "/callback?state=s1"):
                response = await http.get(target)
                seen.append(f"{response.status_code}")
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"\x00\xff garbage\n\n")  # nonsense: answered 404, the listener lives on
            await writer.drain()
            await reader.read()
            writer.close()
            assert listener.caught is None
            response = await http.get("/callback?code=abc&state=s1&iss=https%3A%2F%2Fas")
            seen.append(f"{response.status_code} {response.text}")
        await listener.close()
        return seen, listener.caught

    seen, caught = asyncio.run(scenario())
    assert seen[:3] == ["404", "400", "400"]
    assert seen[3].startswith("200") and "&lt;b&gt;evil&lt;/b&gt;" in seen[3] and "<b>" not in seen[3]
    assert caught == {"code": "abc", "state": "s1", "iss": "https://as"}


def test_config_file_http_servers_sign_in_when_they_ask(
    hub: mn.Hub,
    server_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    port = free_port()
    config_file = tmp_path / ".mcp.json"
    config_file.write_text(
        json.dumps(
            {
                "mcpServers": {
                    # Claude Code's shape: no header, an oauth block with a fixed callback port and scopes
                    "web": {"type": "http", "url": server_url, "oauth": {"callbackPort": port, "scopes": "write"}},
                    "keyed": {
                        "type": "http",
                        "url": server_url,
                        "headers": {"Authorization": "Bearer ${NO_SUCH_TOKEN:-x}"},
                    },
                }
            }
        )
    )
    person = Person(capsys)
    monkeypatch.setattr("builtins.input", person)
    (web,) = hub.connect_config(config_file, ["web"])
    assert len(person.prompts) == 1
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fcallback" in person.shown
    assert sorted(web.call("whoami").data["scopes"]) == ["read", "write"]
    assert hub.servers()["web"]["target"].endswith("[OAuth]")

    # A server given its own Authorization header is not signed in to: its 401 is the answer.
    monkeypatch.setattr("builtins.input", nobody)
    with pytest.raises(ConnectFailed, match=r"keyed: .*answered HTTP 401: it wants credentials: sign in with --oauth"):
        hub.connect_config(config_file, ["keyed"])
    hub.disconnect("web")
    with pytest.raises(ConnectFailed, match=r"web: .*answered HTTP 401"):  # auth=False: never sign in
        hub.connect_config(config_file, ["web"], auth=False)


def test_a_server_that_wants_a_sign_in_says_how(ip, server_url: str) -> None:
    with pytest.raises(UsageError, match=r"answered HTTP 401: it wants credentials: sign in with --oauth"):
        ip.run_line_magic("mcp", f"connect web {server_url}")
    assert "web" not in ip.run_line_magic("mcp", "servers").to_dataframe()["name"].tolist()


def test_a_kernel_without_input_fails_the_connect_in_one_line(hub: mn.Hub, server_url: str, monkeypatch) -> None:
    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    with pytest.raises(ConnectFailed, match="does not take input"):
        hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory"))


def test_time_spent_signing_in_does_not_count_against_the_connect_timeout(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(capsys)

    def slow(prompt: str = "") -> str:
        time.sleep(2.5)
        return person(prompt)

    monkeypatch.setattr("builtins.input", slow)
    web = hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory"), timeout=2)
    assert web.state == "ready"


def test_an_expired_token_is_refreshed_even_after_a_restart(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with oauth_server("--ttl", "2") as url:
        monkeypatch.setattr("builtins.input", Person(capsys))
        first = mn.Hub(progress=False, timeout=30)
        try:
            first.connect("web", url=url, auth="oauth").call("whoami")
        finally:
            first.close()
        time.sleep(2.5)  # the access token has expired; the refresh token has not
        monkeypatch.setattr("builtins.input", nobody)
        second = mn.Hub(progress=False, timeout=30)  # a new kernel: only the file remembers
        try:
            web = second.connect("web", url=url, auth="oauth")
            assert web.call("whoami").is_error is False
            time.sleep(2.5)
            assert web.call("whoami").is_error is False  # refreshed again, mid-session
        finally:
            second.close()


# -- the magic, secrets and logout -----------------------------------------------------------------------


def test_magic_with_a_registered_client_keeps_every_secret_out_of_sight(
    ip, hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setattr("builtins.input", Person(capsys))
    web = ip.run_line_magic(
        "mcp", f"connect web {server_url} --client-id {CLIENT_ID} --client-secret $CLIENT_SECRET --scope write"
    )
    assert web.call("whoami").data == {"client_id": CLIENT_ID, "scopes": ["read", "write"]}
    web.call("leak")  # the server logs the bearer token it was sent
    ip.run_line_magic("mcp", "history")

    auth = web.connection.spec.auth
    tokens = auth.storage.secret_values()
    secrets = [CLIENT_SECRET, *tokens]
    assert len(tokens) == 2  # access and refresh
    shown = [
        repr(web),
        str(web._repr_mimebundle_()),
        repr(hub.servers().rows()),
        str(hub.servers()._repr_mimebundle_()),
        repr(web.connection),
        repr(web.connection.spec),
        repr(auth),
        repr(auth.settings),
        web.log().text,
        repr(hub.history(clear=False).to_dict()),
        str(capsys.readouterr()),  # what the cells printed, stdout and stderr
    ]
    assert "I saw the token ***" in web.log().text
    for secret in secrets:
        for text in shown:
            assert secret not in text
    assert not any(secret in str(p) for p in token_dir().iterdir() for secret in secrets)  # not in file names


def test_a_refused_client_secret_is_not_in_the_error(
    ip, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRONG", "wrong-secret-2c26b46b68ffc68ff99b453c1d3041")
    monkeypatch.setattr("builtins.input", Person(capsys))
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("mcp", f"connect web {server_url} --client-id {CLIENT_ID} --client-secret $WRONG")
    assert "did not give a token" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


def test_logout_forgets_the_tokens_and_the_next_request_signs_in_again(
    ip, hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(capsys)
    monkeypatch.setattr("builtins.input", person)
    web = ip.run_line_magic("mcp", f"connect web {server_url} --oauth")
    [stored] = token_dir().glob("*.json")
    ip.run_line_magic("mcp", "logout web")
    assert "forgot the OAuth tokens of web" in capsys.readouterr().out
    assert not stored.exists() and web.state == "ready"
    web.call("whoami")  # the server now gets no token: this call signs in again, in its own cell
    assert len(person.prompts) == 2 and stored.exists()
    assert hub.logout(server_url) is True and not stored.exists()
    ip.run_line_magic("mcp", f"logout {server_url}")
    assert "no OAuth tokens were kept" in capsys.readouterr().out
    ip.run_line_magic("mcp", "connect demo")
    with pytest.raises(UsageError, match="does not sign in with OAuth"):
        ip.run_line_magic("mcp", "logout demo")


def test_oauth_options_need_a_url(ip) -> None:
    with pytest.raises(UsageError, match="HTTP server"):
        ip.run_line_magic("mcp", "connect x --oauth -- mcp-server-time")
    with pytest.raises(UsageError, match="client ID"):
        ip.run_line_magic("mcp", "connect x http://127.0.0.1:1/mcp --client-secret abc")


def test_sign_in_failures_read_as_one_line_that_says_what_to_do() -> None:
    from mcp.client.auth import OAuthFlowError, OAuthRegistrationError

    from mcp_notebook._oauth_auth import describe_auth_failure
    from mcp_notebook._signin import SignInFailed
    from mcp_notebook.config import url_spec

    spec = url_spec("web", "https://user:pw@example.com/mcp", auth=mn.OAuth(storage="memory"))
    said = describe_auth_failure(OAuthFlowError("Authorization server metadata issuer mismatch: a != b"), spec)
    assert said is not None and "stopped" in said and "connect again" not in said and "pw" not in said
    said = describe_auth_failure(OAuthFlowError("State parameter mismatch: zzpasted != qqexpected"), spec)
    assert said is not None and "another sign-in" in said and "qqexpected" not in said
    said = describe_auth_failure(OAuthRegistrationError("Registration failed: 403"), spec)
    assert said is not None and "--client-id" in said
    assert "did not finish: nothing was pasted" in (
        describe_auth_failure(SignInFailed("nothing was pasted"), spec) or ""
    )
    assert describe_auth_failure(ValueError("unrelated"), spec) is None


def test_a_background_call_that_needs_a_sign_in_fails_alone(
    hub: mn.Hub, server_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(capsys)
    monkeypatch.setattr("builtins.input", person)
    web = hub.connect("web", url=server_url, auth=mn.OAuth(storage="memory"))
    web.tools()
    web.logout()
    handle = web.submit("whoami")  # no cell waits on it, so nobody can sign in
    with pytest.raises(mn.McpNotebookError):
        handle.result(timeout=20)
    assert web.state == "ready" and len(person.prompts) == 1  # the connection lives on
    assert web.call("whoami").is_error is False  # a call in a cell signs in again
    assert len(person.prompts) == 2
