"""binder/ as repo2docker uses it: a fresh environment built only from what binder/ says, then the
quickstart (and, with npm, the real-servers notebook) run in it through ``binder/start``.

What repo2docker does, in order (shared/recipes/binder.md): a base environment that already has
JupyterLab, ipykernel, ipywidgets and Node.js; ``pip install -r binder/requirements.txt``; the
repository copied to ``$REPO_DIR`` (= ``$HOME``); ``./binder/postBuild`` run there; every session
started through ``binder/start``. Here the base environment is a fresh venv with ipykernel, the
kernel runs through ``binder/start`` (as it would under the server that script wraps), and the
landing page postBuild configures is checked with this interpreter's JupyterLab reading
``$HOME/.jupyter``. Without ``npm`` (offline from the npm registry) postBuild's npm step is stubbed
out; CI has npm.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.peers import free_port, stop_group

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parent.parent
EVERYTHING = Path(".mcp-peers", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
APP_SERVERS = ("mcp-cohort-heatmap-server", "mcp-budget-allocator-server")
STEP_TIMEOUT = 300  # seconds for one install step (about 30 s here for requirements.txt)


def copy_repository(dest: Path) -> Path:
    """The files a clone would have (tracked, plus new files not ignored), as repo2docker copies them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # tracked files deleted in the work tree are left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False, **kwargs)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def environment(home: Path, env_dir: Path, stub_bin: Path | None) -> dict[str, str]:
    """The notebook user's environment: the new env's bin first on PATH, HOME = the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = [str(env_dir / "bin"), *([str(stub_bin)] if stub_bin else []), env.get("PATH", "")]
    env.update(PATH=os.pathsep.join(path), HOME=str(home), VIRTUAL_ENV=str(env_dir))
    env["npm_config_cache"] = os.environ.get("npm_config_cache") or str(Path.home() / ".npm")  # a warm cache
    return env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def landing_page(home: Path, runtime: Path) -> str:
    """Where ``GET /`` of a JupyterLab configured from ``home/.jupyter`` redirects (the path, no query)."""
    port, token = free_port(), secrets.token_hex(8)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(runtime)}
    argv = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}", "--ServerApp.port_retries=0",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root",
    ]  # fmt: skip
    proc = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                opener.open(f"http://127.0.0.1:{port}/?token={token}", timeout=2)
            except urllib.error.HTTPError as e:
                if e.code in (301, 302):
                    return urllib.parse.urlsplit(e.headers["Location"]).path
                raise
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"JupyterLab did not answer on port {port} (exit code {proc.poll()})")
    finally:
        stop_group(proc, grace=10)


def execute(notebook: Path, kernel: str) -> nbformat.NotebookNode:
    nb = nbformat.read(notebook, as_version=4)
    # Which Python, which package, and what binder/start exported: the kernel says it itself.
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json, os, sys, mcp_notebook\n"
            "print(json.dumps({'python': sys.executable, 'package': mcp_notebook.__file__,"
            " 'everything': os.environ.get('MCP_EVERYTHING_JS')}))"
        )
    )
    NotebookClient(
        nb, timeout=120, kernel_name=kernel, resources={"metadata": {"path": str(notebook.parent)}}
    ).execute()
    return nb


def text_of(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", ""))
        parts.extend(str(v) for v in out.get("data", {}).values())
    return "\n".join(parts)


def test_binder_environment_runs_the_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = copy_repository(tmp_path / "repo")  # $REPO_DIR, which is also $HOME on Binder
    env_dir = tmp_path / "env"
    python = env_dir / "bin" / "python"
    have_npm = shutil.which("npm") is not None and shutil.which("node") is not None
    stub_bin = None
    if not have_npm:
        stub_bin = tmp_path / "stub-bin"
        stub_bin.mkdir()
        (stub_bin / "npm").write_text("#!/bin/sh\necho 'npm is not installed here: step skipped' >&2\n")
        (stub_bin / "npm").chmod(0o755)
    env = environment(repo, env_dir, stub_bin)

    # 1. the base environment (its ipykernel), then binder/requirements.txt
    run([sys.executable, "-m", "venv", str(env_dir)])
    run(
        [str(python), "-m", "pip", "install", "--quiet", "ipykernel", "-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
    )

    # 2. ./binder/postBuild, from the repository, as repo2docker runs it
    assert os.access(repo / "binder" / "postBuild", os.X_OK), "binder/postBuild must be executable"
    run(["./binder/postBuild"], cwd=repo, env=env)
    where = run(
        [str(python), "-c", "import mcp_notebook, mcp_server_time; print(mcp_notebook.__file__)"], cwd=env_dir, env=env
    )
    assert str(env_dir) in where.stdout, f"the package is not installed in the new environment: {where.stdout}"
    landing = json.loads((repo / ".jupyter" / "jupyter_server_config.json").read_text())
    for app in ("ServerApp", "JupyterNotebookApp", "LabApp"):  # `jupyter notebook` would land on /tree otherwise
        assert landing[app]["default_url"] == "/lab/tree/notebooks/quickstart.ipynb", landing
    assert (repo / "notebooks" / "quickstart.ipynb").is_file()
    everything = repo / EVERYTHING
    assert everything.is_file() == have_npm
    for app_server in APP_SERVERS:  # notebooks/apps.ipynb finds them there
        assert (repo / ".mcp-peers" / "node_modules" / ".bin" / app_server).is_file() == have_npm, app_server

    # 3. binder/start wraps what it is given and says where server-everything is
    assert os.access(repo / "binder" / "start", os.X_OK), "binder/start must be executable"
    said = run(
        ["./binder/start", str(python), "-c", "import os; print(os.environ['MCP_EVERYTHING_JS'])"], cwd=repo, env=env
    )
    assert said.stdout.strip() == str(everything)

    # 3b. JupyterLab, configured from $HOME/.jupyter as on Binder, lands on the quickstart
    assert landing_page(repo, tmp_path / "lab-runtime") == "/lab/tree/notebooks/quickstart.ipynb"

    # 4. a kernel of that environment, started through binder/start, runs the quickstart
    kernels = tmp_path / "jupyter-path" / "kernels" / "binder"
    kernels.mkdir(parents=True)
    argv = [str(repo / "binder" / "start"), str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {
        "argv": argv,
        "display_name": "Binder",
        "language": "python",
        "env": {"HOME": str(repo), "PATH": env["PATH"]},
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter-path"))

    nb = execute(repo / "notebooks" / "quickstart.ipynb", "binder")
    ran = json.loads(text_of(nb.cells[-1]))
    assert ran["python"] == str(python) and ran["everything"] == str(everything)
    assert ran["package"].startswith(str(env_dir)), ran  # installed by postBuild, not the repository's copy
    shown = {c.source.splitlines()[0]: text_of(c) for c in nb.cells if c.cell_type == "code" and c.source}
    assert "ready" in shown["%mcp connect demo"]
    assert "counted to 8" in shown["%mcp call demo.slow_count n=8 delay=0.25"]
    assert "disconnected 1 server" in shown["%mcp disconnect --all"]

    # 5. with server-everything installed, the real-servers notebook meets both registries' servers
    if have_npm:
        nb = execute(repo / "notebooks" / "real-servers.ipynb", "binder")
        servers = next(text_of(c) for c in nb.cells if c.source == "%mcp servers")
        assert "2026-07-28" in servers and "2025-11-25" in servers
        assert not any("skipped:" in text_of(c) for c in nb.cells if c.source.startswith("%%needs_everything"))
