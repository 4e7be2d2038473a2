"""Finding tools across every connection: ``hub.find("mass species")`` / ``%mcp find WORDS``.

Each word is looked for in a tool's name, title and description (case-insensitively). A tool
ranks by how many of the words it matches, then by where: a whole name beats a part of a name,
which beats the title, which beats the description.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .errors import UsageProblem
from .listings import ToolList

__all__ = ["find_tools", "words_of"]

_SPLIT = re.compile(r"[\s_\-./:]+")


def words_of(query: str | Sequence[str]) -> list[str]:
    """The lower-cased search words of ``query`` (a string, or a list of words)."""
    text = query if isinstance(query, str) else " ".join(str(q) for q in query)
    words = [w for w in text.lower().split() if w]
    if not words:
        raise UsageProblem("say what to look for: %mcp find WORDS (e.g. %mcp find species mass)")
    return words


def _score(tool: Any, words: list[str]) -> tuple[int, int]:
    name = str(tool.name).lower()
    parts = set(_SPLIT.split(name))
    title = (tool.title or (tool.annotations.title if tool.annotations else None) or "").lower()
    description = (tool.description or "").lower()
    matched = points = 0
    for word in words:
        found = 0
        if word == name:
            found = 10
        elif word in parts:
            found = 6
        elif word in name:
            found = 4
        elif word in title:
            found = 2
        elif word in description:
            found = 1
        if found:
            matched += 1
            points += found
    return matched, points


def find_tools(tools: Sequence[tuple[str, Any]], query: str | Sequence[str]) -> ToolList:
    """The ``(server, tool)`` pairs that match ``query``, best first, as a ToolList with a server column."""
    words = words_of(query)
    scored = []
    for order, (server, tool) in enumerate(tools):
        matched, points = _score(tool, words)
        if matched:
            scored.append((-matched, -points, order, server, tool))
    scored.sort(key=lambda s: s[:3])
    return ToolList([s[4] for s in scored], servers=[s[3] for s in scored])
