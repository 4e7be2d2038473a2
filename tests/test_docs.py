"""The documentation says what the code does: the reference is generated, the README keeps up."""

from __future__ import annotations

from pathlib import Path

from mcp_notebook._reference import render
from mcp_notebook.magics._commands import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def test_reference_is_current():
    on_disk = (ROOT / "docs" / "reference.md").read_text()
    assert on_disk == render(), "docs/reference.md is stale: python -m mcp_notebook._reference > docs/reference.md"


def test_readme_names_every_subcommand_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        if name != "help":
            assert f"%mcp {name}" in readme or f"%%mcp {name}" in readme, f"README does not mention %mcp {name}"
    assert "make lab" in readme and "make test" in readme
    assert "mybinder.org/v2/gh/" in readme and "urlpath=lab/tree/notebooks/quickstart.ipynb" in readme


def test_loading_the_extension_does_not_import_the_sdk():
    """`%load_ext` stays cheap: the SDK (about a second to import) waits for the first %mcp command."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'mcp_notebook')\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'mcp_types', 'pandas'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_first_command_imports_no_optional_extra_nor_the_sign_in_code():
    """The facade the first %mcp line imports leaves Dask, polars, pyarrow and the OAuth code (jwt,
    cryptography: about 40 ms) to the connections and maps that use them."""
    import subprocess
    import sys

    heavy = ("dask", "distributed", "polars", "pyarrow", "jwt", "mcp_notebook.auth")
    code = f"import sys, mcp_notebook.api\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
