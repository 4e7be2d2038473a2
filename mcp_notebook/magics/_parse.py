"""Parsing a ``%mcp`` line and a ``%%mcp`` cell body. Pure: no IPython, no sessions.

The line is split like a shell line, except that brackets keep JSON together: in
``filter={"island": "Dream"} tags=["a", "b"]`` each argument stays one word with its quotes.
Every word remembers how it was written, so ``key=value`` can be resolved by the rules the
magic's help states: a quoted value is a string; ``{expr}`` and ``$name`` take Python values from
the notebook; anything else is JSON where it parses, else a string.

One rule for ``$`` and ``{}`` holds on the whole line (``DOLLAR_RULE``, stated in ``%mcp?``), as
IPython's own ``!`` lines read them: ``{expr}`` standing alone is Python evaluated in the notebook;
``$name`` / ``${name}`` is the notebook's variable, else the kernel's environment variable; ``$$``
is a ``$``. That lets a loop name servers (``%mcp connect {name} -- ...``) while a secret stays in
the environment: ``$TOKEN`` is read when the line runs and is never written into the notebook.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from ..errors import UsageProblem

__all__ = [
    "DOLLAR_RULE",
    "CommandParser",
    "HelpShown",
    "Word",
    "parse_body",
    "parse_pairs",
    "split_command",
    "text_word",
    "tokenize",
]

DOLLAR_RULE = """\
`$` and `{}`, one rule on the whole line (as IPython's own `!` lines read them): `{expr}`
standing alone is a Python expression evaluated in the notebook; `$name` (or `${name}`) is the
notebook's variable, or else the kernel's environment variable; `$$` is a literal `$`. Alone as an
argument value (`key=$rows`, `key={expr}`) the value itself is sent; inside other text its text is
put in (`--header 'Authorization: Bearer $TOKEN'`, `path=$folder/data.csv`). It holds for server
names (`for name in names: %mcp connect {name} -- ...`), SERVER.TOOL, URIs, paths, URLs, headers,
`--env` and the command alike; only a quoted argument value (`key='$5'`) is sent exactly as typed,
and a `%%mcp` cell body is never expanded. Keep secrets in the environment (set before Jupyter
starts, or `os.environ['TOKEN'] = getpass.getpass()`) and write `$TOKEN`: it is read when the line
runs and never lands in the notebook; header and `--env` values never show in tables, logs or errors."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DOLLAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))")
_KEY = re.compile(r"[^\s=]+\Z")
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

    rewrite: Callable[[Sequence[str]], list[str]] | None = None
    """Turns the words into what argparse should see, where an option needs it (``--df [KEY]``)."""

    def parse(self, words: Sequence[str]) -> argparse.Namespace:
        words = self.rewrite(words) if self.rewrite is not None else list(words)
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


def resolve_value(word: Word, namespace: Mapping[str, Any], what: str) -> tuple[Any, str | None]:
    """The value of one ``key=value`` value; plus its raw text when it was unquoted and loose.

    The raw text lets the caller undo JSON parsing where the tool's schema wants a string.
    """
    parts = _braced_dollars(word.parts)
    if not parts:
        return "", None
    if len(parts) == 1:
        text, how = parts[0]
        if how == "quoted":
            return text, None
        if how == "bracket":
            return _bracket_value(text, namespace, what), None
        alone = _DOLLAR.fullmatch(text)
        if alone is not None and not alone.group("dollar"):
            return dollar_value(alone.group("braced") or alone.group("plain"), namespace, what), None
    # $name inside unquoted text puts its text in; quoted and bracketed pieces stay as typed.
    text = "".join(expand_dollars(t, namespace, what) if how == "plain" else t for t, how in parts)
    if any(how == "quoted" for _, how in parts):
        return text, None
    try:
        return json.loads(text, parse_constant=_not_json), text
    except ValueError:
        return text, None


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: `x=NaN` would go out as null.
    raise ValueError(f"{name} is not JSON")


MAX_DEPTH = 100


def _too_deep(text: str) -> bool:
    """Nesting beyond ``MAX_DEPTH`` brackets. Python's own parser (literal_eval, eval) hits a
    RecursionError there, after which CPython 3.11 can fail later, unrelated compiles with
    "AST constructor recursion depth mismatch" — so such text never reaches it."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]})":
            depth -= 1
    return deepest > MAX_DEPTH


def _bracket_value(text: str, namespace: Mapping[str, Any], what: str) -> Any:
    if _too_deep(text):
        raise UsageProblem(f"{what}: the value is nested more than {MAX_DEPTH} levels deep; pass it from a variable")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: nested thousands deep
        json_error = e
    if text.startswith("{") and text.endswith("}"):
        expr = text[1:-1].strip()
        if not expr:
            return {}
        return evaluate(expr, namespace, what)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        raise UsageProblem(f"{what}: {text[:60]!r} is neither JSON nor a Python literal ({json_error})") from None


def _braced_dollars(parts: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tokenizer reads the braces of ``${name}`` as a bracket; join them back to plain text."""
    out: list[tuple[str, str]] = []
    for text, how in parts:
        previous = out[-1] if out else None
        if (
            how == "bracket"
            and previous is not None
            and previous[1] == "plain"
            and _DOLLAR.fullmatch("$" + text)
            and (len(previous[0]) - len(previous[0].rstrip("$"))) % 2 == 1  # $$ before it is a literal $
        ):
            out[-1] = (previous[0] + text, "plain")
        elif how == "plain" and previous is not None and previous[1] == "plain":
            out[-1] = (previous[0] + text, "plain")
        else:
            out.append((text, how))
    return out


def dollar_value(name: str, namespace: Mapping[str, Any], what: str) -> Any:
    """``$name``: the notebook's variable, else the kernel's environment variable (``DOLLAR_RULE``)."""
    if name in namespace:
        return namespace[name]
    if name in os.environ:
        return os.environ[name]
    raise UsageProblem(
        f"{what}: ${name} is neither a notebook variable nor set in the kernel's environment; define it, "
        f"or for a secret set it in the environment (os.environ[{name!r}] = getpass.getpass()), "
        "so it never lands in the notebook ($$ is a literal $)"
    )


def expand_dollars(text: str, namespace: Mapping[str, Any], what: str) -> str:
    """Put the text of every ``$name`` / ``${name}`` into ``text``; ``$$`` becomes ``$``."""
    if "$" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        if match.group("dollar"):
            return "$"
        return str(dollar_value(match.group("braced") or match.group("plain"), namespace, what))

    return _DOLLAR.sub(one, text)


def text_word(word: str, namespace: Mapping[str, Any], what: str) -> str:
    """A word that is text (a server name, SERVER.TOOL, a URI, a path, a URL, a header, a word of
    a server's command), read by ``DOLLAR_RULE``: ``{expr}`` alone is evaluated (unless it is a
    JSON object, kept as typed); every ``$name`` puts its text in, quoted or not."""
    if isinstance(word, Word) and len(word.parts) == 1 and word.parts[0][1] == "bracket" and word.startswith("{"):
        try:
            json.loads(word)
        except ValueError:
            return str(evaluate(word[1:-1], namespace, what))
        return str(word)
    return expand_dollars(str(word), namespace, what)


def lookup(name: str, namespace: Mapping[str, Any], what: str) -> Any:
    if name not in namespace:
        raise UsageProblem(f"{what}: ${name} is not defined in the notebook; define it first, or quote the text")
    return namespace[name]


def evaluate(expr: str, namespace: Mapping[str, Any], what: str) -> Any:
    """``{expr}``: a Python expression evaluated in the notebook's namespace."""
    # A copy as globals: names resolve everywhere (comprehensions too), and an assignment
    # expression cannot change the notebook's variables behind the user's back.
    try:
        return eval(expr, dict(namespace))  # noqa: S307 - the user's own expression, in their kernel
    except SyntaxError as e:
        raise UsageProblem(f"{what}: {{{expr}}} is not a Python expression ({e.msg}); quote it for a string") from None
    except Exception as e:
        raise UsageProblem(f"{what}: evaluating {{{expr}}} failed: {type(e).__name__}: {e}") from None


def parse_pairs(
    words: Sequence[Word], namespace: Mapping[str, Any], what: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """``key=value`` words → (arguments, raw texts of loosely-typed values)."""
    args: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for word in words:
        pair = word.split_pair()
        if pair is None or not pair[0] or not _KEY.match(pair[0]):
            raise UsageProblem(
                f"{what}: expected key=value, got {str(word)!r} at column {word.column + 1} "
                "(quote values that contain spaces: key='two words')"
            )
        key, value_word = pair
        if key in args:
            raise UsageProblem(f"{what}: {key!r} is given twice")
        value, loose = resolve_value(value_word, namespace, f"{what}, {key}")
        args[key] = value
        if loose is not None:
            raw[key] = loose
    return args, raw


def parse_body(body: str, what: str) -> dict[str, Any]:
    """A cell body (JSON or YAML) → a mapping of arguments; errors give line and column."""
    if not body.strip():
        return {}
    stripped = body.strip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as e:
            offset = body.index(stripped[0])
            line = body.count("\n", 0, offset + e.pos) + 1
            col = e.pos + offset - (body.rfind("\n", 0, offset + e.pos) + 1) + 1
            raise UsageProblem(
                f"{what}: the cell body is not valid JSON: {e.msg} at line {line}, column {col}"
            ) from None
        except RecursionError:
            raise UsageProblem(f"{what}: the cell body is nested too deeply to read") from None
    else:
        value = _load_yaml(body, what)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageProblem(
            f"{what}: the cell body must be a mapping of arguments (key: value lines, or a JSON object), "
            f"not a {type(value).__name__}"
        )
    return {str(k): v for k, v in value.items()}


def _load_yaml(body: str, what: str) -> Any:
    import yaml

    try:
        return yaml.load(body, Loader=_json_like_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise UsageProblem(f"{what}: the cell body is not valid YAML: {e.problem or e}{where}") from None
    except yaml.YAMLError as e:
        raise UsageProblem(f"{what}: the cell body is not valid YAML: {e}") from None
    except RecursionError:
        raise UsageProblem(f"{what}: the cell body is nested too deeply to read") from None


@functools.cache
def _json_like_loader() -> Any:
    """A SafeLoader that reads scalars as JSON would: ``no``, ``on``, ``2024-01-01``, ``007`` stay text.

    YAML 1.1 turns ``sex: no`` into False, dates into date objects, ``007`` into octal 7 and
    ``12:30`` into 750 (base 60); none survives the trip to a JSON-speaking server as the user meant.
    Numbers are read where JSON would read them, and nowhere else.
    """
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    dropped = (
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
    )
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in rules if tag not in dropped]
        for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$"),
        list("-0123456789"),
    )
    return Loader
