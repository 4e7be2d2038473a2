"""Signing in without a browser (workload identity, enterprise-managed authorization) and DPoP.

The server is tests/servers/oauth_server.py: it trusts the JWTs signed with a key the test makes
(``--trust-key``), as an authorization server trusts a platform's workload tokens or an enterprise
IdP's ID tokens; it plays that IdP's token exchange at ``/idp/token``; with ``--dpop`` it binds
tokens to proof keys and wants a fresh proof on every MCP request (``--dpop-nonce``: and nonces).
The official suite's scenarios for the same forms (auth/wif-jwt-bearer,
auth/enterprise-managed-authorization, auth/dpop, auth/dpop-nonce) run in tests/test_conformance.py.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from IPython.core.error import UsageError

import mcp_notebook as mn
from mcp_notebook._tokens import token_dir
from mcp_notebook.errors import ConnectFailed, UsageProblem
from tests.test_auth import CLIENT_ID, CLIENT_SECRET, Person, nobody, oauth_server

IDP_CLIENT_ID = "notebook-at-the-idp"  # as tests/servers/oauth_server.py knows it


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    return tmp_path / "jupyter-data"


@pytest.fixture(scope="module")
def platform_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    """The key of the platform (or IdP) whose JWTs the server trusts, and its public half's file."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path_factory.mktemp("platform") / "public.pem"
    path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key, path


@pytest.fixture(scope="module")
def trusting_url(platform_key: tuple[ec.EllipticCurvePrivateKey, Path]) -> Iterator[str]:
    args = ("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--trust-key", str(platform_key[1]))
    with oauth_server(*args) as url:
        yield url


def signed(key: ec.EllipticCurvePrivateKey, audience: str, lifetime: int = 300, **claims: object) -> str:
    now = int(time.time())
    payload = {"iss": "https://platform.example", "sub": "workload-7", "aud": audience, "iat": now}
    return jwt.encode({**payload, "exp": now + lifetime, **claims}, key, algorithm="ES256")


def issuer_of(url: str) -> str:
    return url.removesuffix("/mcp")


# -- workload identity federation ---------------------------------------------------------------------


def test_a_workload_token_in_a_file_signs_in_and_the_file_is_read_again_for_each_token(
    hub: mn.Hub, trusting_url: str, platform_key, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    key = platform_key[0]
    token_file = tmp_path / "token"
    token_file.write_text(signed(key, issuer_of(trusting_url)) + "\n")
    settings = mn.OAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, workload_token=str(token_file))
    pod = hub.connect("pod", url=trusting_url, auth=settings)
    assert pod.call("whoami").data == {"client_id": CLIENT_ID, "scopes": ["read"]}
    assert hub.servers()["pod"]["target"] == f"{trusting_url} [OAuth workload identity]"
    assert str(token_file) in repr(settings) and "eyJ" not in repr(settings)

    token_file.write_text(signed(key, "https://another.example"))  # the platform renewed it, badly
    pod.logout()
    with pytest.raises(mn.McpNotebookError):
        pod.call("whoami")  # the next token is asked for with what the file holds now
    token_file.write_text(signed(key, issuer_of(trusting_url)))  # and again, well
    assert pod.reconnect().call("whoami").data["client_id"] == CLIENT_ID


def test_a_refused_workload_token_fails_the_connect_in_one_line_without_showing_it(
    hub: mn.Hub, trusting_url: str, platform_key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    expired = signed(platform_key[0], issuer_of(trusting_url), lifetime=-60)
    with pytest.raises(ConnectFailed) as caught:
        hub.connect(
            "pod",
            url=trusting_url,
            auth=mn.OAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, workload_token=expired),
        )
    said = str(caught.value)
    assert "did not give a token" in said and "invalid_grant" in said and "\n" not in said
    assert expired not in said


def test_a_workload_token_file_that_is_not_there_is_named_in_the_error(
    hub: mn.Hub, trusting_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    missing = tmp_path / "not-yet" / "token"
    with pytest.raises(ConnectFailed, match=f"cannot read the workload_token file {missing}"):
        hub.connect("pod", url=trusting_url, auth=mn.OAuth(client_id=CLIENT_ID, workload_token=missing))


def test_the_magic_takes_the_workload_token_from_an_environment_variable(
    ip, trusting_url: str, platform_key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    token = signed(platform_key[0], issuer_of(trusting_url))
    monkeypatch.setenv("WORKLOAD_TOKEN", token)
    monkeypatch.setenv("CLIENT_SECRET", CLIENT_SECRET)
    pod = ip.run_line_magic(
        "mcp",
        f"connect pod {trusting_url} --client-id {CLIENT_ID} --client-secret $CLIENT_SECRET "
        f"--workload-token $WORKLOAD_TOKEN --issuer {issuer_of(trusting_url)}",
    )
    assert pod.call("whoami").data["client_id"] == CLIENT_ID
    assert token not in repr(pod.connection.spec) and token not in pod.log().text


# -- enterprise-managed authorization (ID-JAG) ----------------------------------------------------------


def test_an_enterprise_id_token_is_exchanged_at_the_idp_and_signs_in(
    hub: mn.Hub, trusting_url: str, platform_key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    id_token = signed(platform_key[0], IDP_CLIENT_ID, sub="ada@example.com")
    asked: list[str] = []

    def fresh_id_token() -> str:  # a function: called for each exchange, as an expiring token needs
        asked.append("once more")
        return id_token

    settings = mn.OAuth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        id_token=fresh_id_token,
        idp_token_endpoint=issuer_of(trusting_url) + "/idp/token",
        idp_client_id=IDP_CLIENT_ID,
        issuer=issuer_of(trusting_url),
        storage="memory",
    )
    work = hub.connect("work", url=trusting_url, auth=settings)
    assert work.call("whoami").data == {"client_id": CLIENT_ID, "scopes": ["read"]}
    assert asked == ["once more"]
    assert hub.servers()["work"]["target"] == f"{trusting_url} [OAuth enterprise (ID-JAG)]"


def test_an_id_token_the_idp_refuses_fails_in_one_line_and_is_never_shown(
    ip, trusting_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", nobody)
    forged = signed(ec.generate_private_key(ec.SECP256R1()), IDP_CLIENT_ID)  # not the IdP's key
    monkeypatch.setenv("ID_TOKEN", forged)
    monkeypatch.setenv("CLIENT_SECRET", CLIENT_SECRET)
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic(
            "mcp",
            f"connect work {trusting_url} --client-id {CLIENT_ID} --client-secret $CLIENT_SECRET --id-token $ID_TOKEN "
            f"--idp-token-endpoint {issuer_of(trusting_url)}/idp/token --idp-client-id {IDP_CLIENT_ID}",
        )
    said = str(caught.value)
    assert "the identity provider refused to exchange the ID token (HTTP 400" in said
    assert "--idp-" in said and forged not in said and CLIENT_SECRET not in said


def test_the_new_options_say_what_is_missing() -> None:
    with pytest.raises(UsageProblem, match="client_id="):
        mn.OAuth(workload_token="/var/run/secrets/token")
    with pytest.raises(UsageProblem, match="not both"):
        mn.OAuth(client_id="c", workload_token="/t", id_token="x.y.z")
    with pytest.raises(UsageProblem, match=r"idp_token_endpoint= \(--idp-token-endpoint\), idp_client_id="):
        mn.OAuth(client_id="c", client_secret="s", id_token="x.y.z")
    with pytest.raises(UsageProblem, match="client_secret="):
        mn.OAuth(client_id="c", id_token="x.y.z", idp_token_endpoint="https://idp/token", idp_client_id="i")
    with pytest.raises(UsageProblem, match="id_token="):
        mn.OAuth(idp_client_id="i")
    with pytest.raises(UsageProblem, match="drop client_credentials"):
        mn.OAuth(client_credentials=True, client_id="c", client_secret="s", workload_token="/t")
    settings = mn.OAuth(
        client_id="c", client_secret="s", id_token="aaa.bbb.ccc", idp_token_endpoint="https://idp/t", idp_client_id="i"
    )
    assert "aaa.bbb" not in repr(settings) and "aaa.bbb.ccc" in settings.secret_values()
    assert mn.OAuth(dpop=True).kind == "OAuth, DPoP"


# -- DPoP -----------------------------------------------------------------------------------------------


def seen(url: str) -> dict[str, object]:
    return dict(httpx2.get(issuer_of(url) + "/dpop-seen").json())


@pytest.mark.parametrize("nonce", [False, True], ids=["no-nonce", "nonce"])
def test_dpop_binds_the_token_to_the_connection_and_proves_it_on_every_request(
    hub: mn.Hub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path, nonce: bool
) -> None:
    monkeypatch.setattr("builtins.input", Person(capsys))
    with oauth_server("--dpop", *(["--dpop-nonce"] if nonce else [])) as url:
        web = hub.connect("web", url=url, auth=mn.OAuth(dpop=True))
        assert web.call("whoami").data["scopes"] == ["read"]
        web.tools(refresh=True)
        found = seen(url)
        assert found["refused"] == [] and found["token_proofs"] >= 1
        assert found["mcp_proofs"] >= 3  # each request its own proof (the server refuses a jti seen before)
        assert (found["as_challenges"] >= 1 and found["rs_challenges"] >= 1) == nonce
        assert hub.servers()["web"]["target"] == f"{url} [OAuth, DPoP]"
        assert not token_dir().exists()  # bound tokens die with the key: memory only

        auth = web.connection.spec.auth
        shown = repr(auth) + repr(auth._dpop) + repr(auth.settings) + web.log().text
        assert "DPoPKey P-256" in repr(auth._dpop) and "PRIVATE" not in shown
        private = auth._dpop.key._private.private_numbers().private_value
        assert str(private) not in shown and format(private, "x") not in shown
        with pytest.raises(TypeError):
            pickle.dumps(auth._dpop.key)


def test_without_dpop_a_dpop_server_still_takes_bearer_tokens(
    hub: mn.Hub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", Person(capsys))
    with oauth_server("--dpop") as url:
        web = hub.connect("web", url=url, auth=mn.OAuth(storage="memory"))
        assert web.call("whoami").is_error is False
        assert seen(url)["mcp_proofs"] == 0


def test_the_magic_signs_in_with_dpop(ip, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builtins.input", Person(capsys))
    with oauth_server("--dpop", "--dpop-nonce") as url:
        web = ip.run_line_magic("mcp", f"connect web {url} --dpop")
        assert web.call("whoami").is_error is False
        assert seen(url)["rs_challenges"] >= 1
