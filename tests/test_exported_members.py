"""``mcp_notebook.__all__``: sorted, complete and importable (httpx keeps the same rule)."""

from __future__ import annotations

import importlib

import mcp_notebook


def test_all_is_sorted():
    assert mcp_notebook.__all__ == sorted(mcp_notebook.__all__)


def test_every_exported_name_imports():
    for name in mcp_notebook.__all__:
        assert getattr(mcp_notebook, name) is not None, name


def test_all_is_complete():
    """Every lazily exported name is in ``__all__``, and every public name of the modules it comes
    from that belongs to the user-facing API is exported (the module-level functions of ``api``,
    the exception tree, the result types)."""
    lazy = set(mcp_notebook._LAZY)
    assert set(mcp_notebook.__all__) == lazy | {"__version__", "load_ipython_extension", "unload_ipython_extension"}
    api = importlib.import_module("mcp_notebook.api")
    user_facing = set(api.__all__) - {"default_hub", "jsonable", "LOG_LEVELS"}
    assert user_facing <= lazy, user_facing - lazy
    errors = importlib.import_module("mcp_notebook.errors")
    exceptions = {
        n for n in dir(errors) if isinstance(getattr(errors, n), type) and issubclass(getattr(errors, n), BaseException)
    }
    exceptions = {n for n in exceptions if getattr(errors, n).__module__ == "mcp_notebook.errors"}
    assert exceptions <= lazy, exceptions - lazy


def test_the_lazy_names_resolve_to_the_objects_of_their_modules():
    for name, module in mcp_notebook._LAZY.items():
        assert getattr(mcp_notebook, name) is getattr(importlib.import_module(f"mcp_notebook.{module}"), name)
