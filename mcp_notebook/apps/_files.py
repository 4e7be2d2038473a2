"""Pieces of an App's links and downloads, pure: which URLs may open, the bytes of a resource it
offers, a safe file name, saving without overwriting; and how its requests are refused."""

from __future__ import annotations

import base64
import binascii
import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "INTERNAL",
    "INVALID_PARAMS",
    "MAX_DOWNLOAD",
    "METHOD_NOT_FOUND",
    "REFUSED",
    "RequestRefused",
    "bytes_of",
    "file_name",
    "safe_url",
    "save",
    "size_words",
]

MAX_DOWNLOAD = 64 * 1024 * 1024  # bytes one ui/download-file may save
MAX_URL = 4096
LINK_SCHEMES = ("http", "https", "mailto")
# JSON-RPC error codes (the spec leaves refusals "implementation-defined" in -32000..-32099)
INVALID_PARAMS, METHOD_NOT_FOUND, INTERNAL, REFUSED = -32602, -32601, -32603, -32000


class RequestRefused(Exception):
    """An App's request that is answered with a JSON-RPC error (``code``, one-line message)."""

    def __init__(self, message: str, code: int = REFUSED) -> None:
        super().__init__(message)
        self.code = code


def safe_url(url: str) -> bool:
    if len(url) > MAX_URL or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "mailto":
        return bool(parts.path)
    return parts.scheme in LINK_SCHEMES and bool(parts.netloc)


def bytes_of(body: Mapping[str, Any]) -> bytes:
    if isinstance(body.get("text"), str):
        return str(body["text"]).encode("utf-8")
    blob = body.get("blob")
    if isinstance(blob, str):
        try:
            return base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError) as e:
            raise RequestRefused(f"ui/download-file: a blob that is not base64 ({e})", INVALID_PARAMS) from e
    raise RequestRefused("ui/download-file: a resource with neither text nor blob", INVALID_PARAMS)


_UNSAFE = re.compile(r"[^\w.\- ()+,@=]+", re.UNICODE)


def file_name(uri: Any, name: Any, index: int) -> str:
    """A plain file name (no folders, no leading dot) for a downloaded item."""
    raw = name if isinstance(name, str) and name.strip() else None
    if raw is None and isinstance(uri, str):
        raw = urllib.parse.unquote(urllib.parse.urlsplit(uri).path.rsplit("/", 1)[-1])
    clean = _UNSAFE.sub("_", os.path.basename((raw or "").replace("\\", "/"))).strip(" .")[:120]
    return clean or f"download-{index + 1}"


def save(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new file ``name`` in ``folder`` (``name (1).ext`` … when it exists)."""
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    for n in range(1000):
        candidate = folder / (name if n == 0 else f"{stem} ({n}){dot}{ext}")
        try:
            with open(candidate, "xb") as f:  # never overwrites
                f.write(data)
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for {name} in {folder}")


def size_words(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"
