"""Splitting a ``%mcp`` line into words and options. Pure: no IPython, no sessions.

The line is split like a shell line, except that brackets keep JSON together: in
``filter={"island": "Dream"} tags=["a", "b"]`` each argument stays one word with its quotes.
Every word remembers how it was written (``Word.parts``), so ``_values`` can read ``key=value``
by the rules the magic's help states.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ..errors import UsageProblem

__all__ = ["CommandParser", "HelpShown", "Word", "split_command", "tokenize"]

_CLOSER = {"{": "}", "[": "]", "(": ")"}


class Word(str):
    """A word of the line; ``parts`` says how each piece of it was written.

    Each part is ``(text, how)`` with ``how`` one of ``"plain"``, ``"quoted"`` or ``"bracket"``.
    """

    parts: tuple[tuple[str, str], ...]
    column: int

    def __new__(cls, parts: Sequence[tuple[str, str]], column: int = 0) -> Word:
        word = super().__new__(cls, "".join(text for text, _ in parts))
        word.parts = tuple(parts)
        word.column = column
        return word

    @property
    def is_separator(self) -> bool:
        return self.parts == (("--", "plain"),)

    def split_pair(self) -> tuple[str, Word] | None:
        """``key=value`` → ``("key", Word(value))``, splitting at the first unquoted ``=``."""
        for i, (text, how) in enumerate(self.parts):
            if how == "plain" and "=" in text:
                key_text, _, rest = text.partition("=")
                key = "".join(t for t, _ in self.parts[:i]) + key_text
                value_parts = ([(rest, "plain")] if rest else []) + list(self.parts[i + 1 :])
                return key, Word(value_parts, self.column)
            if how != "plain":
                return None
        return None


def tokenize(line: str) -> list[Word]:
    """Split ``line`` into words (see the module docstring); unbalanced quotes are an error."""
    words: list[Word] = []
    parts: list[tuple[str, str]] = []
    plain: list[str] = []
    start = 0
    i, n = 0, len(line)

    def flush_plain() -> None:
        if plain:
            parts.append(("".join(plain), "plain"))
            plain.clear()

    def end_word() -> None:
        flush_plain()
        if parts:
            words.append(Word(parts.copy(), start))
            parts.clear()

    while i < n:
        ch = line[i]
        if ch.isspace():
            end_word()
            i += 1
            continue
        if not parts and not plain:
            start = i
        if ch in "'\"":
            end = _closing_quote(line, i)
            flush_plain()
            body = line[i + 1 : end]
            if ch == '"':
                body = re.sub(r'\\(["\\])', r"\1", body)
            parts.append((body, "quoted"))
            i = end + 1
        elif ch in _CLOSER:
            end = _closing_bracket(line, i)
            flush_plain()
            parts.append((line[i : end + 1], "bracket"))
            i = end + 1
        elif ch == "\\" and i + 1 < n:
            plain.append(line[i + 1])
            i += 2
        else:
            plain.append(ch)
            i += 1
    end_word()
    return words


def _closing_quote(line: str, i: int) -> int:
    quote = line[i]
    j = i + 1
    while j < len(line):
        if line[j] == "\\" and quote == '"':
            j += 2
            continue
        if line[j] == quote:
            return j
        j += 1
    raise UsageProblem(f"unclosed {quote} at column {i + 1}: close it, or escape it with \\{quote}")


def _closing_bracket(line: str, i: int) -> int:
    stack = [_CLOSER[line[i]]]
    j = i + 1
    while j < len(line):
        ch = line[j]
        if ch in "'\"":
            j = _closing_quote(line, j) + 1
            continue
        if ch in _CLOSER:
            stack.append(_CLOSER[ch])
        elif ch in ")]}":
            if ch != stack[-1]:
                raise UsageProblem(f"{ch!r} at column {j + 1} does not match {line[i]!r} opened at column {i + 1}")
            stack.pop()
            if not stack:
                return j
        j += 1
    raise UsageProblem(f"{line[i]!r} opened at column {i + 1} is never closed")


def split_command(words: list[Word]) -> tuple[list[Word], list[Word] | None]:
    """Split at the first bare ``--``: (options part, the server's command line or None)."""
    for i, word in enumerate(words):
        if word.is_separator:
            return words[:i], words[i + 1 :]
    return words, None


class HelpShown(Exception):
    """``-h``/``--help`` printed a subcommand's help; nothing else to do."""


class CommandParser(argparse.ArgumentParser):
    """An argparse parser whose mistakes are ``UsageProblem`` one-liners naming the fix."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(prog=f"%mcp {name}", add_help=True, allow_abbrev=False, exit_on_error=False, **kwargs)
        self.command = name

    def error(self, message: str) -> NoReturn:
        raise UsageProblem(f"%mcp {self.command}: {message}; `%mcp help {self.command}` shows the usage")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            self.error(message or "bad arguments")
        raise HelpShown()

    _simple_known = False
    _simple_found: tuple[dict[str, Any], str, str] | None = None

    rewrite: Callable[[Sequence[str]], list[str]] | None = None
    """Turns the words into what argparse should see, where an option needs it (``--df [KEY]``)."""

    def _simple(self) -> tuple[dict[str, Any], str, str] | None:
        """(the defaults, the first positional, the rest) when the positionals are ``NAME WORDS*``,
        plain text, so a line without options can be parsed without argparse (a ``%mcp call``
        line: 0.07 ms less, benchmarks/README.md)."""
        if self._simple_known:
            return self._simple_found
        positionals = [a for a in self._actions if not a.option_strings]
        found = None
        if (
            len(positionals) == 2
            and positionals[0].nargs is None
            and positionals[1].nargs == "*"
            and all(a.type is None and a.choices is None for a in positionals)
        ):
            defaults = {a.dest: a.default for a in self._actions if a.option_strings and a.dest != "help"}
            found = (defaults, positionals[0].dest, positionals[1].dest)
        self._simple_known, self._simple_found = True, found
        return found

    def parse(self, words: Sequence[str]) -> argparse.Namespace:
        words = self.rewrite(words) if self.rewrite is not None else list(words)
        simple = self._simple()
        if simple is not None and words and not any(w.startswith("-") for w in words):
            defaults, first, rest = simple
            args = argparse.Namespace(**{k: list(v) if isinstance(v, list) else v for k, v in defaults.items()})
            setattr(args, first, words[0])
            setattr(args, rest, list(words[1:]))
            return args
        if self.usage is None:
            # parse_intermixed_args keeps the built usage as a %-template while it parses; the "%" of
            # "%mcp" in it would make -h fail with a ValueError. Escaped, it reads back as written.
            self.usage = self.format_usage().removeprefix("usage: ").strip().replace("%", "%%")
        try:
            if not any(w.startswith("-") for w in words):
                # No options: one pass gives what the intermixed parse would, at half its cost.
                return self.parse_args(list(words))
            return self.parse_intermixed_args(list(words))
        except argparse.ArgumentError as e:
            self.error(str(e))
