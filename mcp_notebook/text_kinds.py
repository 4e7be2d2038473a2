"""Pure: what a text is — Markdown, a diff, or plain text — for display and for messages.

A tool's text content renders as Markdown only when it is Markdown: a wrong yes is worse than a
wrong no (a log or a script rendered as Markdown loses its line breaks and turns its comments
into headings), so the test is conservative; see ``looks_like_markdown``. ``describe`` names what
a text is in the one line that says there is no table in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text_tables import _FENCE_OPEN, _SNIFF_CHARS, _delimited, _json_whole, _table_blocks

__all__ = ["PLAIN_SUFFIXES", "describe", "is_fenced_block", "is_unified_diff", "looks_like_markdown"]

# Suffixes of files whose text is known not to be Markdown (so never rendered as such).
PLAIN_SUFFIXES = frozenset(
    ".txt .log .py .sh .bash .zsh .js .ts .tsx .jsx .c .h .cpp .hpp .rs .go .java .kt .rb .php .pl .r .sql "
    ".yaml .yml .toml .ini .cfg .conf .env .xml .html .htm .css .scss .csv .tsv .json .jsonl .ndjson .ipynb "
    ".diff .patch .tex .rst .lock .gitignore .dockerfile .makefile .mk .bat .ps1".split()
)


_LINK = re.compile(r"(?<![\w\])])!?\[[^\[\]\n]+\]\((?:https?://|mailto:|/|\./|\.\./|#)[^\s()]*(?:\s+\"[^\"\n]*\")?\)")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.M)
# (Each pattern is linear on long lines: no two unbounded runs that can trade characters.)
_SETEXT = re.compile(r"^(?=[^\n]*\w)[^\n]+\n {0,3}=+[ \t]*$", re.M)
_BULLETS = re.compile(r"^ {0,3}[-*+][ \t]+\S[^\n]*\n {0,3}[-*+][ \t]+\S", re.M)
_ORDERED = re.compile(r"^ {0,3}\d{1,9}[.)][ \t]+\S[^\n]*\n {0,3}\d{1,9}[.)][ \t]+\S", re.M)
# Two patterns, each led by its literal, so the engine skips ahead to it (one alternation took 30 ms on 64 kB).
_BOLD_STARS = re.compile(r"\*\*[^\s*][^*\n]*\*\*(?![\w*])")
_BOLD_UNDERSCORES = re.compile(r"__[^\s_][^_\n]*__(?!\w)")
_QUOTE = re.compile(r"^ {0,3}> ?\S", re.M)
_CODE_SPAN = re.compile(r"(?<![`\w])`[^`\n]+`(?![`\w])")
_CODE_END = re.compile(r"[;{}()\[\],:=\\]$|^\s*(def|class|import|from|return|if|for|while|function|var|let|const)\b")
_DIFF_HEADER = re.compile(r"^(diff --git |--- \S.*\n\+\+\+ \S)", re.M)
_HUNK = re.compile(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", re.M)


def _bold(prose: str) -> bool:
    """``**bold**`` or ``__bold__`` not glued to a word before it (``x**2`` is arithmetic)."""
    for pattern in (_BOLD_STARS, _BOLD_UNDERSCORES):
        for found in pattern.finditer(prose):
            before = prose[found.start() - 1] if found.start() else " "
            if not (before.isalnum() or before in "_*"):
                return True
    return False


def is_unified_diff(text: str) -> bool:
    """A unified diff (git's or ``diff -u``'s): file headers and at least one hunk header, outside
    fenced code (a fenced diff is Markdown already)."""
    head = _outside_code(text[:_SNIFF_CHARS])
    return bool(_DIFF_HEADER.search(head)) and bool(_HUNK.search(head))


def looks_like_markdown(text: str) -> bool:
    """Whether plain text content is Markdown, to be rendered as Markdown rather than shown as typed.

    A wrong yes is worse than a wrong no (a log or a script rendered as Markdown loses its line
    breaks and turns comments into headings), so: JSON, diffs and delimited tables are never
    Markdown; then one construct only Markdown has is enough (a table with its delimiter row, a
    closed fenced code block, a link or image ``[text](url)``); otherwise at least three kinds of
    the constructs prose shares with code and config files (ATX or setext headings, bullet or
    numbered lists, ``**bold**``, block quotes, `code spans`), in a text that does not read as
    code (most lines ending in ``;``, ``{``, ``)``, ``:`` …).
    """
    head = text[:_SNIFF_CHARS]
    stripped = head.strip()
    if not stripped or "\n" not in stripped and len(stripped) < 3:
        return False
    if stripped[0] in "[{" and _json_whole(text):
        return False
    if is_unified_diff(head) or _delimited(head) is not None:
        return False
    lines = head.splitlines()
    if next(_table_blocks(head), None) is not None or _closed_fence(lines) or _LINK.search(_outside_code(head)):
        return True
    prose = _outside_code(head)
    kinds = _bold(prose) + sum(
        bool(pattern.search(prose)) for pattern in (_ATX, _SETEXT, _BULLETS, _ORDERED, _QUOTE, _CODE_SPAN)
    )
    if kinds < 3:
        return False
    body = [ln for ln in prose.splitlines() if ln.strip()]
    code_like = sum(bool(_CODE_END.search(ln.rstrip())) for ln in body)
    return code_like * 3 < len(body)


def is_fenced_block(text: str) -> bool:
    """The text starts with a fence and ends with its closer: a tool's answer in code (filesystem's
    ``edit_file`` sends a fenced diff). Looks at the first and last lines only, so it is cheap."""
    head, tail = text[:_SNIFF_CHARS].lstrip(), text[-_SNIFF_CHARS:].rstrip()
    if "\n" not in head or "\n" not in tail:
        return False
    first, last = head[: head.find("\n")], tail[tail.rfind("\n") + 1 :]
    opened, closed = _FENCE_OPEN.match(first), _FENCE_OPEN.match(last)
    return bool(
        opened
        and closed
        and closed.group(1)[0] == opened.group(1)[0]
        and len(closed.group(1)) >= len(opened.group(1))
        and not last[closed.end() :].strip()
    )


def _closed_fence(lines: Sequence[str]) -> bool:
    fence = ""
    for line in lines:
        opened = _FENCE_OPEN.match(line)
        if not opened:
            continue
        marker = opened.group(1)
        if not fence:
            if marker[0] == "`" and "`" in line[opened.end() :]:
                continue  # ```x``` on one line is a code span, not a fence
            fence = marker
        elif marker[0] == fence[0] and len(marker) >= len(fence) and not line[opened.end() :].strip():
            return True
    return False


def _outside_code(text: str) -> str:
    """``text`` without its fenced code blocks (a link inside code is not Markdown's)."""
    out, fence = [], ""
    for line in text.splitlines():
        opened = _FENCE_OPEN.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        out.append(line)
    return "\n".join(out)


def describe(text: str) -> str:
    """What ``text`` is, in a few words, for a message that says there is no table in it."""
    stripped = text.strip()
    if not stripped:
        return "empty text"
    lines = stripped.count("\n") + 1
    size = f"{lines:,} line{'s' if lines != 1 else ''}"
    if stripped[0] in "[{" and _json_whole(stripped):
        return "JSON that holds no table"
    if is_unified_diff(stripped):
        return f"a diff ({size})"
    if looks_like_markdown(stripped):
        return f"Markdown with no table ({size})"
    return f"plain text ({size})"
