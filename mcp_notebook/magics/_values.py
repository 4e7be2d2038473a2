"""Reading the words of a ``%mcp`` line as values: ``key=value`` arguments, a ``%%mcp`` cell body,
and every word by the one rule for ``$`` and ``{}``. Pure: no IPython, no sessions.

A quoted value is a string; ``{expr}`` and ``$name`` take Python values from the notebook;
anything else is JSON where it parses, else a string. One rule for ``$`` and ``{}`` holds on the
whole line (``DOLLAR_RULE``, stated in ``%mcp?``), as IPython's own ``!`` lines read them:
``{expr}`` standing alone is Python evaluated in the notebook; ``$name`` / ``${name}`` is the
notebook's variable, else the kernel's environment variable; ``$$`` is a ``$``. That lets a loop
name servers (``%mcp connect {name} -- ...``) while a secret stays in the environment: ``$TOKEN``
is read when the line runs and is never written into the notebook.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import UsageProblem
from ._parse import Word

__all__ = ["DOLLAR_RULE", "evaluate", "lookup", "parse_body", "parse_pairs", "resolve_value", "text_word"]

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
_JSON_STARTS = frozenset('{["-0123456789tfn')  # what a JSON text can begin with


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
    if text.lstrip()[:1] not in _JSON_STARTS:
        return text, None  # cannot be JSON: skip the parser (and its exception) for plain words
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
