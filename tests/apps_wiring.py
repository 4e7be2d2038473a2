"""The MCP Apps wiring that ``mcp_notebook.apps`` documents, done by patching, for the tests.

Issue 13 builds the Apps host as its own subpackage; the core (``connection.py``, ``api.py``,
``results.py``, the magics) is wired to it by the lead after the core is restructured (issue 12).
Until then the tests that take the user's path (``%mcp call`` on a tool with an App, in a real
kernel and browser) call ``install()`` first, which does items 1, 3, 4 and 5 of the list in the
``mcp_notebook.apps`` docstring the way the core will: advertise the extension, show the App of
a call's result, ``Server.app``. Delete this module once the core does it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_undo: list[Callable[[], None]] = []


def install() -> Callable[[], None]:
    """Patch the core as the wiring list says (idempotent); returns ``uninstall``. A kernel keeps
    it; a pytest process must uninstall it after the test (the ``wired`` fixtures do)."""
    if _undo:
        return uninstall
    from mcp_notebook import api, apps, connection, results

    base = connection._Client

    class Advertising(base):
        """Item 1: the client says it hosts Apps (``capabilities.extensions``)."""

        def __post_init__(self) -> None:
            if self.extensions is None:
                self.extensions = [apps.client_extension()]
            super().__post_init__()

    connection._Client = Advertising

    plain_call = api.Server.call

    def call(self: Any, tool: str, arguments: Any = None, /, *, app: bool = True, **kwargs: Any) -> Any:
        """Item 3: a call on a tool with an App carries it (or the one-line note) in ``result.app``."""
        result = plain_call(self, tool, arguments, **kwargs)
        if app:
            result.app = apps.host_for(self._hub).present(self, result)
        return result

    plain_repr = results.ToolResult._repr_mimebundle_

    def repr_mimebundle(self: Any, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        """Item 4: the result displays as its App (the result folded below), or with the note."""
        shown = getattr(self, "app", None)
        if isinstance(shown, apps.AppView):
            return shown._repr_mimebundle_(include, exclude)
        bundle = plain_repr(self, include, exclude, **kwargs)
        return apps.with_note(bundle, shown) if isinstance(shown, str) else bundle

    def app(self: Any, tool: str, arguments: Any = None, /, **kwargs: Any) -> Any:
        """Item 5: ``server.app(tool, **args)`` shows the App at once, the call in the background."""
        return apps.host_for(self._hub).open(self, tool, arguments, **kwargs)

    api.Server.call = call
    results.ToolResult._repr_mimebundle_ = repr_mimebundle
    api.Server.app = app

    def undo() -> None:
        connection._Client = base
        api.Server.call = plain_call
        results.ToolResult._repr_mimebundle_ = plain_repr
        del api.Server.app

    _undo.append(undo)
    return uninstall


def uninstall() -> None:
    """Put the core back as it was."""
    while _undo:
        _undo.pop()()
