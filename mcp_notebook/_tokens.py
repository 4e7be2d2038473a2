"""Where OAuth tokens live: one owner-only file per server, or memory only.

Both storages implement the SDK's ``TokenStorage`` protocol (tokens and the client registration)
and keep a little more beside it, so a kernel restarted tomorrow can refresh instead of asking the
user to sign in again: when the access token expires, and what discovery found (the authorization
server's metadata, whose token endpoint a refresh must use).

Files go to ``<Jupyter data dir>/mcp_notebook/oauth/`` (``jupyter_core.paths.jupyter_data_dir()``,
else ``~/.local/share/jupyter``): never into the working directory, so never next to a notebook.
The folder is created ``0700`` and every file ``0600``, written whole and renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from ._private_files import write_private_json

__all__ = ["FileTokenStorage", "MemoryTokenStorage", "NotebookTokenStorage", "token_dir", "token_path"]

SecretListener = Callable[[list[str]], None]


def token_dir() -> Path:
    """The folder OAuth files are kept in: ``<Jupyter data dir>/mcp_notebook/oauth``."""
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:  # pragma: no cover - jupyter_core comes with any kernel
        base = Path.home() / ".local" / "share" / "jupyter"
    return base / "mcp_notebook" / "oauth"


def server_key(server_url: str) -> str:
    """A file name for a server: its host and port to be readable, a hash of the URL to be unique."""
    from mcp.shared.auth_utils import resource_url_from_server_url

    canonical = resource_url_from_server_url(server_url)
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", canonical.split("://", 1)[-1].split("/", 1)[0]).strip("_") or "server"
    return f"{host[:60]}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def token_path(server_url: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The file holding the tokens of the server at ``server_url``."""
    folder = Path(directory) if directory is not None else token_dir()
    return folder / f"{server_key(server_url)}.json"


class NotebookTokenStorage:
    """The SDK's ``TokenStorage`` plus what a restart needs; subclasses decide where it is kept.

    The record is a JSON object: ``tokens``, ``expires_at`` (epoch seconds), ``client`` (the
    registration), ``discovery`` (metadata found on the way) and ``server``.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._listeners: list[SecretListener] = []

    # -- where the record is kept (subclasses) ---------------------------------------------------

    def _load(self) -> dict[str, Any]:
        raise NotImplementedError

    def _save(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def forget(self) -> bool:
        """Forget the tokens and the registration; True if there was anything to forget."""
        raise NotImplementedError

    # -- the SDK's TokenStorage protocol --------------------------------------------------------

    async def get_tokens(self) -> OAuthToken | None:
        data = self._load().get("tokens")
        return OAuthToken.model_validate(data) if isinstance(data, dict) else None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        record = self._load()
        record["tokens"] = tokens.model_dump(mode="json", exclude_none=True)
        record["expires_at"] = time.time() + tokens.expires_in if tokens.expires_in is not None else None
        self._save(record)
        self._tell([tokens.access_token, tokens.refresh_token or ""])

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        data = self._load().get("client")
        return OAuthClientInformationFull.model_validate(data) if isinstance(data, dict) else None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        record = self._load()
        record["client"] = client_info.model_dump(mode="json", exclude_none=True)
        self._save(record)
        self._tell([client_info.client_secret or ""])

    # -- what a restart needs -------------------------------------------------------------------

    def expires_at(self) -> float | None:
        value = self._load().get("expires_at")
        return float(value) if isinstance(value, (int, float)) else None

    def discovery(self) -> dict[str, Any]:
        value = self._load().get("discovery")
        return value if isinstance(value, dict) else {}

    def set_discovery(self, discovery: dict[str, Any]) -> None:
        record = self._load()
        if record.get("discovery") != discovery:
            record["discovery"] = discovery
            self._save(record)

    # -- secrets ---------------------------------------------------------------------------------

    def secret_values(self) -> list[str]:
        """Tokens and client secret held now, for scrubbing logs and errors."""
        record = self._load()
        tokens = record.get("tokens") or {}
        client = record.get("client") or {}
        found = [tokens.get("access_token"), tokens.get("refresh_token"), client.get("client_secret")]
        return [s for s in found if isinstance(s, str) and s]

    def on_secret(self, listener: SecretListener) -> None:
        """Call ``listener(values)`` with each new secret this storage is given (new tokens)."""
        self._listeners.append(listener)

    def _tell(self, values: Iterable[str]) -> None:
        found = [v for v in values if v]
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(found)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.server_url}>"


class MemoryTokenStorage(NotebookTokenStorage):
    """Tokens kept in this process only: gone when the kernel stops."""

    def __init__(self, server_url: str = "") -> None:
        super().__init__(server_url)
        self._record: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self._record))  # a copy, as a file would give
        return copy

    def _save(self, record: dict[str, Any]) -> None:
        self._record = json.loads(json.dumps(record))

    def forget(self) -> bool:
        had = bool(self._record)
        self._record = {}
        return had


class FileTokenStorage(NotebookTokenStorage):
    """Tokens in ``<directory>/<host>-<hash>.json`` (``token_dir()`` by default), owner-only."""

    def __init__(self, server_url: str, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__(server_url)
        self.path = token_path(server_url, directory)

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            record = json.loads(text)
        except ValueError:
            return {}  # a damaged file is as good as none: the user signs in again
        return record if isinstance(record, dict) else {}

    def _save(self, record: dict[str, Any]) -> None:
        record = {**record, "server": self.server_url, "saved_at": time.time()}
        write_private_json(self.path, record)

    def forget(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
