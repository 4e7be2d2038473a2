"""The distributions: ``python -m build`` makes an sdist and, from it, a wheel; the wheel installs
into a fresh virtual environment and works there with nothing from this checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from mcp_notebook import __version__
from tests.conftest import pids_alive

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parent.parent
STEP_TIMEOUT = 300  # seconds for one build or install step

SMOKE = textwrap.dedent(
    """
    import json, sys
    import mcp_notebook as mn

    with mn.connect("demo") as demo:
        pid = demo.connection.pid
        rows = demo.call("query", species="Gentoo", limit=3).to_dataframe()
        about = demo.read("demo://about.md").text
    print(json.dumps({
        "package": mn.__file__, "version": mn.__version__, "pid": pid, "rows": len(rows),
        "species": sorted(rows["species"].unique()), "about": about.splitlines()[0],
        "closed": demo.state,
    }))
    """
)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False, **kwargs)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}


def test_wheel_and_sdist_build_install_and_work(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=tmp_path, env=clean_env())
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    assert sdist.name == f"mcp_notebook-{__version__}.tar.gz"
    assert wheel.name == f"mcp_notebook-{__version__}-py3-none-any.whl"

    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        metadata = whl.read(f"mcp_notebook-{__version__}.dist-info/METADATA").decode()
    for needed in (
        "mcp_notebook/__init__.py",
        "mcp_notebook/py.typed",
        "mcp_notebook/demo/__main__.py",
        "mcp_notebook/demo/data/penguins.csv",
        "mcp_notebook/magics/__init__.py",
        "mcp_notebook/widgets/__init__.py",
        "mcp_notebook/apps/static/host.js",  # the MCP Apps front end, built by scripts/build-apps-bundle
        "mcp_notebook/apps/static/sandbox.html",
        "mcp_notebook/apps/static/THIRD-PARTY-NOTICES.txt",
        "mcp_notebook/demo/penguins_app.html",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    assert not any(n.startswith("js/") for n in names)  # the bundle's sources ship in the sdist only
    assert not any(n.startswith(("tests/", "notebooks/")) for n in names)
    assert "Requires-Dist: mcp<3,>=2.3" in metadata and "Requires-Python: >=3.10" in metadata
    assert "# mcp_notebook" in metadata  # README.md is the long description

    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    for needed in (
        "pyproject.toml", "README.md", "mcp_notebook/demo/data/penguins.csv", "notebooks/quickstart.ipynb",
        "js/apps-host/package-lock.json", "js/apps-host/src/host.js", "scripts/build-apps-bundle",
    ):  # fmt: skip
        assert needed in members, f"{needed} is not in the sdist"
    assert not any(
        m.startswith((".peers/", ".venv/", "js/apps-host/node_modules/")) or "__pycache__" in m for m in members
    )

    # A fresh environment with the wheel and its dependencies, nothing else.
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path, env=clean_env())

    # Run from a folder without the checkout, so only the installed package can be imported.
    helped = run([str(python), "-m", "mcp_notebook.demo", "--help"], cwd=tmp_path, env=clean_env())
    assert "usage: python -m mcp_notebook.demo" in helped.stdout and "--http PORT" in helped.stdout
    smoke = run([str(python), "-c", SMOKE], cwd=tmp_path, env=clean_env())
    said = json.loads(smoke.stdout.strip().splitlines()[-1])
    assert said["package"].startswith(str(venv)), said
    assert said["version"] == __version__
    assert said["rows"] == 3 and said["species"] == ["Gentoo"]
    assert said["about"] == "# The Palmer penguins"
    assert said["closed"] == "closed"
    assert pids_alive([said["pid"]]) == []  # the demo server ended with the script
