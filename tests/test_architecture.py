"""The rules that keep the package's house readable (README "Layout"), checked on every run.

- The layers and the two forbidden-import contracts in pyproject.toml hold (``lint-imports``
  runs in ``make lint`` too; here a copy with one bad import shows the contract bites).
- No import cycle, not even through imports made only for type checking.
- The front ends (``magics``, ``widgets``) reach no private part of a hub or a server: they use
  the public methods, so ``%mcp`` and the explorer cannot drift from the Python API.
- Modules stay small; the few that are not say why.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mcp_notebook"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# Attributes that belong to the core: a front end that reaches them bypasses the facade.
PRIVATE_PARTS = {"registry", "runtime", "connection", "_hub", "_engine", "_conn", "client", "catalog", "requests"}
MAX_LINES = 400
LONGER = {  # module: why it is longer than MAX_LINES
    "auth.py": "OAuth's docstring is the manual of every sign-in form; the code itself is under 360 lines",
    "demo/server.py": "the demo server is one file a reader can open to see every feature it shows",
}


def _lint_imports(cwd: Path, env_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(env_path), "HOME": str(cwd)},
    )


def test_the_import_contracts_hold():
    done = _lint_imports(ROOT, ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_a_front_end_importing_a_connection_breaks_the_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "mcp_notebook", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    help_module = tmp_path / "mcp_notebook" / "magics" / "_help.py"
    help_module.write_text(help_module.read_text() + "\nfrom ..connection import Connection  # noqa\n")
    done = _lint_imports(tmp_path, tmp_path)
    assert done.returncode != 0
    assert "mcp_notebook.magics is not allowed to import mcp_notebook.connection" in done.stdout


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("mcp_notebook")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def _front_end_files() -> list[Path]:
    return sorted((PACKAGE / "magics").glob("*.py")) + sorted((PACKAGE / "widgets").glob("*.py"))


def test_front_ends_reach_no_private_part_of_a_hub_or_server():
    found = []
    for path in _front_end_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in PRIVATE_PARTS:
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id == "self":
                continue  # a widget's or completer's own attribute of that name
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert found == []


def test_the_private_parts_check_sees_a_reach_through(tmp_path):
    """The scan above is not vacuous: the line a front end used to have is caught."""
    tree = ast.parse("server.connection.log.clear()\nctx.hub.registry.names()\n")
    reached = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in PRIVATE_PARTS}
    assert reached == {"connection", "registry"}


def test_modules_stay_small():
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES and name not in LONGER:
            too_long[name] = lines
    assert too_long == {}, f"split these, or say in LONGER why they stay whole: {too_long}"
    for name in LONGER:
        assert (PACKAGE / name).is_file(), f"{name} is listed in LONGER but no longer exists"
