"""The ``%mcp`` / ``%%mcp`` magics.

The magic body is a dispatcher: split the line, pick the subcommand, run it, and turn this
package's errors into one-line ``UsageError``s — the one place where that happens.
"""

from __future__ import annotations

from collections import ChainMap
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope, no_var_expand
from traitlets import Bool, Enum, Float, Int, TraitError, observe, validate

from .._log import LOG_LEVELS
from ..errors import McpNotebookError, UsageProblem, did_you_mean
from ._commands import COMMANDS, Context, manual
from ._parse import HelpShown, split_command, tokenize
from ._values import DOLLAR_RULE

if TYPE_CHECKING:
    from ..hub import Hub

__all__ = ["MCPMagics"]

INTRO = """Talk to MCP (Model Context Protocol) servers from the notebook.

Every subcommand returns an object the cell displays (a table, a tool result, ...); assign it
(`rows = %mcp call demo.query`) or store it with `-o NAME` to keep it without display. Options
may stand anywhere on the line, except after `--`, where a stdio server's own command begins.
A mistake ends as one line that says what to do; the kernel and the other sessions carry on.

Settings: `%config MCPMagics` lists them (timeout, connect_timeout, log_level, progress,
on_elicit and on_sample for unattended runs).

"""
INTRO += DOLLAR_RULE + "\n"


@magics_class
class MCPMagics(Magics):
    """The %mcp magics; their state (the connections) lives in a ``Hub``."""

    timeout = Float(
        120.0,
        allow_none=True,
        help="Seconds a request may take before it is cancelled on the server (None: no limit). "
        "--timeout overrides it for one call.",
    ).tag(config=True)
    connect_timeout = Float(
        30.0, help="Seconds starting a server and the handshake may take. --timeout overrides it for one connect."
    ).tag(config=True)
    log_level = Enum(
        LOG_LEVELS, default_value="info", help="The lowest server log level asked for, shown by `%mcp log`."
    ).tag(config=True)
    progress = Bool(True, help="Show a progress bar while a tool reports progress.").tag(config=True)
    auto_reconnect = Bool(
        False, help="Bring a dead server back (a new process or session) on the next call, saying so."
    ).tag(config=True)
    progress_extends_timeout = Bool(True, help="Each progress report from the server restarts the call's timeout.").tag(
        config=True
    )
    history_limit = Int(1000, help="How many calls `%mcp history` keeps (the oldest fall off first).").tag(config=True)
    on_elicit = Enum(
        ("accept-defaults", "decline", "cancel"),
        default_value=None,
        allow_none=True,
        help="How a server's requests for input are answered on connections made without --on-elicit "
        "(None: ask in the cell). Set it for unattended runs (jupyter execute, papermill, Voilà), "
        "where nobody can answer: they are declined otherwise.",
    ).tag(config=True)
    on_sample = Enum(
        ("decline",),
        default_value=None,
        allow_none=True,
        help="How a server's requests for an LLM reply are answered on connections made without "
        "--on-sample (None: ask in the cell).",
    ).tag(config=True)

    def __init__(self, shell: Any = None, hub: Hub | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        # A plain attribute, made on first use: `%load_ext mcp_notebook` must not import the MCP
        # SDK (about a second; even a string-named traitlets Instance imports its class when set).
        self._hub: Hub | None = hub
        if hub is not None:
            self._push_settings()

    @property
    def hub(self) -> Hub | None:
        """The connections and the event-loop thread the magics use (None until first needed)."""
        return self._hub

    def the_hub(self) -> Hub:
        """The hub, made (the package's shared one) when first needed."""
        if self._hub is None:
            from ..api import default_hub

            self._hub = default_hub()
            self._push_settings()
        return self._hub

    @validate("history_limit")
    def _at_least_one(self, proposal: Any) -> Any:
        if proposal["value"] < 1:
            raise TraitError("history_limit must be a number of calls, 1 or more")
        return proposal["value"]

    @validate("timeout", "connect_timeout")
    def _positive(self, proposal: Any) -> Any:
        value = proposal["value"]
        if value is not None and value <= 0:
            raise TraitError(f"{proposal['trait'].name} must be a positive number of seconds (or None)")
        return value

    @observe(
        "timeout",
        "connect_timeout",
        "log_level",
        "progress",
        "progress_extends_timeout",
        "auto_reconnect",
        "history_limit",
        "on_elicit",
        "on_sample",
    )
    def _on_setting(self, change: Any) -> None:
        self._push_settings()

    def _push_settings(self) -> None:
        hub = self._hub
        if hub is None:
            return  # pushed when the hub is made
        hub.timeout = self.timeout
        hub.connect_timeout = self.connect_timeout
        hub.log_level = self.log_level
        hub.progress = self.progress
        hub.progress_extends_timeout = self.progress_extends_timeout
        hub.auto_reconnect = self.auto_reconnect
        hub.history_limit = self.history_limit
        hub.on_elicit = self.on_elicit
        hub.on_sample = self.on_sample

    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def mcp(self, line: str = "", cell: str | None = None, local_ns: dict[str, Any] | None = None) -> Any:
        try:
            words = tokenize(line)
            if not words:
                return COMMANDS["help"].run(self._context(None, local_ns), COMMANDS["help"].parser.parse([]), None)
            name, rest = str(words[0]), words[1:]
            if name not in COMMANDS:
                raise UsageProblem(f"no subcommand {name!r}{did_you_mean(name, COMMANDS, '`%mcp help` lists them')}")
            cmd = COMMANDS[name]
            if cell is not None and not cmd.takes_body and cell.strip():
                raise UsageProblem(
                    f"%%mcp {name} takes no cell body; only `%%mcp call`, `%%mcp app` and `%%mcp prompt` do"
                )
            options, command_words = split_command(rest)
            if command_words is not None and name != "connect":
                raise UsageProblem("`--` starts a server's command line, which only `%mcp connect` takes")
            args = cmd.parser.parse(options)
            return cmd.run(self._context(cell, local_ns), args, command_words)
        except HelpShown:
            return None
        except McpNotebookError as e:
            raise UsageError(str(e)) from None

    def _context(self, cell: str | None, local_ns: dict[str, Any] | None) -> Context:
        user_ns = self.shell.user_ns if self.shell is not None else {}
        # Inside a function, its locals come first; no copy of the (possibly large) user namespace.
        namespace = ChainMap(local_ns, user_ns) if local_ns is not None and local_ns is not user_ns else user_ns

        def store(name: str, value: Any) -> None:
            user_ns[name] = value

        return Context(self.the_hub(), namespace, store, cell)


MCPMagics.mcp.__doc__ = manual(INTRO)
