"""The explorer: an ipywidgets app to browse servers, fill tool forms and run them.

``explore(server=None)`` (or ``%mcp explore [SERVER]``) returns an ``Explorer`` to display.
ipywidgets is imported here, so importing ``mcp_notebook`` does not pay for it.
"""

from __future__ import annotations

from ..api import Hub, default_hub
from ..views.forms import SchemaForm
from ._explorer import Explorer

__all__ = ["Explorer", "SchemaForm", "explore"]


def explore(server: str | None = None, *, hub: Hub | None = None) -> Explorer:
    """An explorer over the connections (showing ``server`` first, if given)."""
    return Explorer(hub if hub is not None else default_hub(), server)
