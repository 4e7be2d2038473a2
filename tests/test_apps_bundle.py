"""The MCP Apps front end shipped in the package is the one its pinned sources build.

``mcp_notebook/apps/static/host.js`` is AppBridge (npm ``@modelcontextprotocol/ext-apps``) and
``js/apps-host/src/host.js`` bundled by esbuild (``scripts/build-apps-bundle``). Its header names
every bundled package's version and a SHA-256 of the inputs; these tests hold the header to the
lock file and the sources, and (where npm is) rebuild it and compare byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "js" / "apps-host"
STATIC = ROOT / "mcp_notebook" / "apps" / "static"
INPUTS = ("package.json", "package-lock.json", "build.mjs", "src/host.js")  # as build.mjs hashes them
PINNED = {"@modelcontextprotocol/ext-apps": "2.0.4", "esbuild": "0.28.2"}


def header() -> str:
    text = (STATIC / "host.js").read_text()
    assert text.startswith("/*! mcp_notebook MCP Apps host front end"), "host.js has no build header"
    return text[: text.index("*/")]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update(name.encode() + b"\0" + (SOURCES / name).read_bytes() + b"\0")
    return digest.hexdigest()


def locked_versions() -> dict[str, str]:
    lock = json.loads((SOURCES / "package-lock.json").read_text())
    return {
        path.removeprefix("node_modules/"): entry["version"]
        for path, entry in lock["packages"].items()
        if path.startswith("node_modules/") and "node_modules/" not in path.removeprefix("node_modules/")
    }


def test_sources_pin_ext_apps_and_esbuild_exactly() -> None:
    manifest = json.loads((SOURCES / "package.json").read_text())
    wanted = {**manifest["dependencies"], **manifest["devDependencies"]}
    for name, version in PINNED.items():
        assert wanted[name] == version, f"{name} must be pinned to {version} in js/apps-host/package.json"
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in wanted.values()), f"not exact pins: {wanted}"
    locked = locked_versions()
    for name, version in wanted.items():
        assert locked[name] == version, f"package-lock.json has {name} {locked[name]}, package.json {version}"


def test_shipped_bundle_names_the_locked_versions_and_its_inputs() -> None:
    head = header()
    bundled = dict(re.findall(r"bundled: (\S+) (\S+)", head))
    assert bundled["@modelcontextprotocol/ext-apps"] == "2.0.4"
    locked = locked_versions()
    for name, version in bundled.items():
        assert locked.get(name) == version, f"host.js bundles {name} {version}; the lock file pins {locked.get(name)}"
    assert re.search(rf"built with: esbuild {re.escape(PINNED['esbuild'])}\b", head)
    found = re.search(r"inputs sha256: ([0-9a-f]{64})", head)
    assert found, "host.js header has no inputs hash"
    assert found.group(1) == inputs_hash(), (
        "host.js was built from other sources than js/apps-host has now: run scripts/build-apps-bundle"
    )
    notices = (STATIC / "THIRD-PARTY-NOTICES.txt").read_text()
    for name, version in bundled.items():
        assert f"{name} {version}" in notices, f"no licence notice for {name}"


def test_bundle_is_an_anywidget_module_with_appbridge() -> None:
    text = (STATIC / "host.js").read_text()
    assert re.search(r"export\s*\{[^}]*\bas default\b", text), "host.js must export the anywidget module"
    assert "ui/notifications/sandbox-resource-ready" in text and "ui/resource-teardown" in text  # AppBridge's
    assert "allow-same-origin" in text  # only for the proxy frame, never for the App:
    assert re.search(r'"allow-scripts allow-forms"', text)


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm (and the npm registry) to rebuild")
def test_rebuilding_from_the_lock_file_gives_the_shipped_bundle(tmp_path: Path) -> None:
    out = tmp_path / "static"
    done = subprocess.run(
        [str(ROOT / "scripts" / "build-apps-bundle"), str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (out / "host.js").read_bytes() == (STATIC / "host.js").read_bytes()
    assert (out / "THIRD-PARTY-NOTICES.txt").read_text() == (STATIC / "THIRD-PARTY-NOTICES.txt").read_text()
