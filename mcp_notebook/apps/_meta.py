"""What the MCP Apps extension adds to tools and resources, read without any I/O.

A tool with an App names a ``ui://`` resource in ``_meta.ui.resourceUri`` (the flat
``_meta["ui/resourceUri"]`` of earlier drafts is read too) and says who may call it in
``_meta.ui.visibility`` (``["model", "app"]`` when left out). The resource is an HTML document of
MIME type ``text/html;profile=mcp-app``; its ``_meta.ui`` declares the origins it needs
(``csp``), browser permissions and whether it wants a border. Spec: the ``io.modelcontextprotocol/ui``
extension, 2026-01-26 (``specification/2026-01-26/apps.mdx`` in ``modelcontextprotocol/ext-apps``).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import McpNotebookError

__all__ = [
    "APP_MIME",
    "EXTENSION",
    "AppResource",
    "AppUnavailable",
    "app_may_call",
    "csp_policy",
    "marker",
    "tool_meta",
    "ui_resource_uri",
    "visibility",
    "visible_to_model",
    "with_csp_meta",
]

EXTENSION = "io.modelcontextprotocol/ui"
APP_MIME = "text/html;profile=mcp-app"
DEFAULT_VISIBILITY = frozenset({"model", "app"})
MAX_HTML_BYTES = 8_000_000  # the example Apps are about 0.4 MB; a view is sent whole to the browser
CSP_KEYS = ("connectDomains", "resourceDomains", "frameDomains", "baseUriDomains")
# An origin a policy may name: scheme, host (optionally "*." for subdomains), optional port. Nothing
# else gets into a policy: no keywords ('unsafe-eval'), no bare "*", no ";" or quotes, no paths.
_SOURCE = re.compile(r"(?:https?|wss?)://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:\d{1,5}|\*))?/?")
_DOCTYPE = re.compile(r"^\ufeff?\s*(?:<!--.*?-->\s*)*<!doctype[^>]*>", re.IGNORECASE | re.DOTALL)


class AppUnavailable(McpNotebookError):
    """A tool names an App that cannot be shown (the resource is missing, of another type, too big)."""


def tool_meta(tool: Any) -> Mapping[str, Any]:
    """A tool's ``_meta`` (an SDK ``Tool``, or a tool as a JSON mapping); empty when it has none."""
    if isinstance(tool, Mapping):
        meta = tool.get("_meta", tool.get("meta"))
    else:
        meta = getattr(tool, "meta", None)
    return meta if isinstance(meta, Mapping) else {}


def _ui(tool: Any) -> Mapping[str, Any]:
    ui = tool_meta(tool).get("ui")
    return ui if isinstance(ui, Mapping) else {}


def ui_resource_uri(tool: Any) -> str | None:
    """The ``ui://`` resource that renders ``tool``'s results, or None when it has no App."""
    uri = _ui(tool).get("resourceUri")
    if uri is None:
        uri = tool_meta(tool).get("ui/resourceUri")  # the draft's flat key, deprecated by the spec
    return uri if isinstance(uri, str) and uri.startswith("ui://") else None


def visibility(tool: Any) -> frozenset[str]:
    """Who may call ``tool``: ``"model"`` (the user and the model) and/or ``"app"`` (its server's Apps).

    Left out, or not a list of strings, it is both (the spec's default); unknown words are ignored.
    """
    given = _ui(tool).get("visibility")
    if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
        return DEFAULT_VISIBILITY
    return frozenset(v for v in given if v in DEFAULT_VISIBILITY)


def visible_to_model(tool: Any) -> bool:
    """Whether listings meant for the user or a model show ``tool`` (False for app-only tools)."""
    return "model" in visibility(tool)


def app_may_call(tool: Any) -> bool:
    """Whether an App of the tool's own server may call it."""
    return "app" in visibility(tool)


def marker(tool: Any) -> str:
    """A short mark for tool listings: ``"app"`` (results show an App), ``"app-only"`` (only Apps
    may call it), both joined, or ``""``."""
    marks = []
    if ui_resource_uri(tool) is not None:
        marks.append("app")
    if not visible_to_model(tool):
        marks.append("app-only")
    return ", ".join(marks)


def _sources(values: Any) -> tuple[list[str], list[str]]:
    """(the origins fit for a policy, the entries refused) from a declared list."""
    if not isinstance(values, list):
        return [], [] if values is None else [repr(values)[:80]]
    kept, refused = [], []
    for value in values:
        if isinstance(value, str) and _SOURCE.fullmatch(value):
            if value.rstrip("/") not in kept:
                kept.append(value.rstrip("/"))
        else:
            refused.append(repr(value)[:80])
    return kept, refused


def csp_policy(csp: Mapping[str, Any] | None) -> str:
    """The Content-Security-Policy for an App that declared ``csp`` (its ``_meta.ui.csp``).

    Nothing loads or connects anywhere the App did not declare: without a declaration, scripts and
    styles are only inline, images and media only ``data:``/``blob:``, no connections, no nested
    frames, no plugins, no ``<base>``, no form posts. There is no ``'self'``: an App's own origin
    is the sandbox's, which serves nothing. Entries that are not plain origins are left out (see
    ``AppResource.refused_sources``).
    """
    declared = csp if isinstance(csp, Mapping) else {}
    connect, _ = _sources(declared.get("connectDomains"))
    resource, _ = _sources(declared.get("resourceDomains"))
    frame, _ = _sources(declared.get("frameDomains"))
    base, _ = _sources(declared.get("baseUriDomains"))

    def join(*parts: str) -> str:
        return " ".join(p for p in parts if p)

    res = " ".join(resource)
    directives = [
        "default-src 'none'",
        join("script-src 'unsafe-inline'", res),
        join("style-src 'unsafe-inline'", res),
        join("img-src data: blob:", res),
        join("font-src data:", res),
        join("media-src data: blob:", res),
        "connect-src " + (" ".join(connect) or "'none'"),
        "frame-src " + (" ".join(frame) or "'none'"),
        "object-src 'none'",
        "base-uri " + (" ".join(base) or "'none'"),
        "form-action 'none'",
    ]
    return "; ".join(directives)


def with_csp_meta(document: str, policy: str) -> str:
    """``document`` with ``policy`` as a ``<meta http-equiv>`` before anything else in it.

    A meta policy covers only what comes after it, so it goes first of all: any doctype (and the
    comments before it) is replaced by ``<!DOCTYPE html>`` ahead of the meta; a document without
    one gets none, keeping the rendering mode it would have had.
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=True)}">'
    stripped, found = _DOCTYPE.subn("", document, count=1)
    return f"<!DOCTYPE html>{meta}{stripped}" if found else f"{meta}{document}"


def _mime(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).lower()


@dataclass
class AppResource:
    """An App's HTML and what its ``_meta.ui`` declares, read from a ``resources/read`` result."""

    uri: str
    html: str
    csp: dict[str, list[str]] = field(default_factory=dict)
    """The declared origins kept (``connectDomains``, ``resourceDomains``, ``frameDomains``, ``baseUriDomains``)."""
    refused_sources: list[str] = field(default_factory=list)
    """Declared entries left out of the policy (not plain origins)."""
    permissions: dict[str, Any] = field(default_factory=dict)
    """Browser permissions the App asked for (camera, microphone, …); none is granted."""
    prefers_border: bool | None = None

    @property
    def policy(self) -> str:
        return csp_policy(self.csp)

    @property
    def document(self) -> str:
        """The HTML as the sandbox loads it: the policy first, as a meta element."""
        return with_csp_meta(self.html, self.policy)

    @classmethod
    def from_contents(
        cls, uri: str, contents: Iterable[Any], listed_meta: Mapping[str, Any] | None = None
    ) -> AppResource:
        """The App in ``contents`` (a read result's items, SDK objects or JSON mappings).

        Raises ``AppUnavailable`` (one line, saying what was found) when there is no item of MIME
        type ``text/html;profile=mcp-app``, or it is empty or too large.
        """
        items = [_as_mapping(c) for c in contents]
        seen = [_mime(i.get("mimeType")) or "no MIME type" for i in items]
        apps = [i for i in items if _mime(i.get("mimeType")) == APP_MIME]
        chosen = next((i for i in apps if i.get("uri") == uri), apps[0] if apps else None)
        if chosen is None:
            found = ", ".join(seen) or "nothing"
            raise AppUnavailable(f"{uri} is not an MCP App: reading it gave {found}, not {APP_MIME}")
        text = _html_of(chosen, uri)
        ui = _mapping(_mapping(chosen.get("_meta")).get("ui"))
        if not ui and listed_meta is not None:
            ui = _mapping(listed_meta.get("ui"))
        declared = _mapping(ui.get("csp"))
        csp: dict[str, list[str]] = {}
        refused: list[str] = []
        for key in CSP_KEYS:
            kept, bad = _sources(declared.get(key))
            if kept:
                csp[key] = kept
            refused += bad
        permissions = _mapping(ui.get("permissions"))
        border = ui.get("prefersBorder")
        return cls(
            uri=uri,
            html=text,
            csp=csp,
            refused_sources=refused,
            permissions=dict(permissions),
            prefers_border=border if isinstance(border, bool) else None,
        )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_mapping(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        value = dump(by_alias=True, mode="json", exclude_none=True)
        return value if isinstance(value, Mapping) else {}
    return {}


def _html_of(item: Mapping[str, Any], uri: str) -> str:
    text = item.get("text")
    if isinstance(text, str):
        if len(text) > MAX_HTML_BYTES:
            raise AppUnavailable(f"{uri} is {len(text):,} characters; an App is shown up to {MAX_HTML_BYTES:,}")
    else:
        blob = item.get("blob")
        if not isinstance(blob, str):
            raise AppUnavailable(f"{uri} has neither text nor a blob")
        if len(blob) > MAX_HTML_BYTES * 4 // 3 + 4:
            raise AppUnavailable(f"{uri} is larger than the {MAX_HTML_BYTES:,} bytes an App is shown up to")
        try:
            text = base64.b64decode(blob, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError) as e:
            raise AppUnavailable(f"{uri}: its blob is not base64 ({e})") from e
    if not text.strip():
        raise AppUnavailable(f"{uri} is empty")
    return text
