"""Shared fixtures: a private Hub per test, an IPython shell with the magics bound to it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_notebook._runtime import Runtime
from mcp_notebook.api import Hub

ROOT = Path(__file__).resolve().parent.parent


def _private_hub(name: str) -> Iterator[Hub]:
    runtime = Runtime(name=name)
    h = Hub(runtime, timeout=30.0, progress=False)
    try:
        yield h
    finally:
        h.close_all()
        runtime.stop()


@pytest.fixture
def hub() -> Iterator[Hub]:
    """A Hub with its own loop thread; every connection is closed (and killed) afterwards."""
    yield from _private_hub("mcp-notebook-test-loop")


@pytest.fixture(scope="session")
def shared_hub() -> Iterator[Hub]:
    """One Hub for a whole session, for tests that only read from the demo server."""
    yield from _private_hub("mcp-notebook-shared-loop")


@pytest.fixture(scope="session")
def demo(shared_hub: Hub):
    """The embedded demo server over stdio, shared by the read-only tests."""
    return shared_hub.connect("demo")


@pytest.fixture
def ip(hub: Hub):
    """A real IPython shell with the %mcp magics bound to this test's hub."""
    from IPython.testing.globalipapp import get_ipython

    from mcp_notebook.magics import MCPMagics

    shell = get_ipython()
    magics = MCPMagics(shell, hub=hub)
    shell.register_magics(magics)
    saved = dict(shell.user_ns)
    try:
        yield shell
    finally:
        shell.user_ns.clear()
        shell.user_ns.update(saved)


def python_server(path: Path) -> list[str]:
    """The command line that runs a server script with this interpreter."""
    return [sys.executable, str(path)]


def pids_alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        # A zombie is dead for our purposes (its parent has not reaped it yet).
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[-1].startswith("Z"):
                    continue
        except OSError:
            continue
        alive.append(pid)
    return alive


@pytest.fixture(scope="session", autouse=True)
def _private_jupyter_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test does lands in the user's Jupyter data dir (task records, OAuth tokens): the
    tests, and the kernels and servers they start, use a fresh one."""
    saved = os.environ.get("JUPYTER_DATA_DIR")
    os.environ["JUPYTER_DATA_DIR"] = str(tmp_path_factory.mktemp("jupyter-data"))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_DATA_DIR", None)
        else:
            os.environ["JUPYTER_DATA_DIR"] = saved


@pytest.fixture(scope="session", autouse=True)
def _one_ipython_shell():
    """Start IPython's test shell first: widgets ask for ``InteractiveShell.instance()``, and a
    plain InteractiveShell made there would block the terminal shell the magics tests use."""
    from IPython.testing.globalipapp import get_ipython

    return get_ipython()
