"""Fixtures for the browser tests: a JupyterLab (or Notebook 7) per test, artifacts kept on failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .lab import Lab, clear_failure, jupyterlab, missing, save_failure

MISSING = missing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Only a missing /usr/bin/chromium or playwright package skips; CI installs both.
    if MISSING is None:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if item.get_closest_marker("browser") and here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=f"browser test: {MISSING}"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _serve(request: pytest.FixtureRequest, tmp_path: Path, app: str) -> Iterator[Lab]:
    clear_failure(request.node.name)  # artifacts of an earlier failed run of this test
    with jupyterlab(tmp_path, app=app) as running:
        try:
            yield running
        finally:
            if running.retried:
                print(f"cells that needed a second Control+Enter: {running.retried}")
            rep = getattr(request.node, "rep_call", None)
            if rep is not None and rep.failed:
                save_failure(running, request.node.name)
    assert not running.leftovers, f"processes {app} started outlived it: {running.leftovers}"


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lab]:
    """A fresh JupyterLab (served folder ``lab.notebooks``); browser opened by ``lab.open``."""
    yield from _serve(request, tmp_path, "lab")


@pytest.fixture
def notebook7(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lab]:
    """A fresh Jupyter Notebook 7, driven like ``lab`` (``open`` goes to ``/notebooks/NAME``)."""
    yield from _serve(request, tmp_path, "notebook")
