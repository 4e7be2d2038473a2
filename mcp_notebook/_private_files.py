"""Files only their owner may read: a folder made ``0700`` and JSON written whole, ``0600``, through a
temporary file and a rename (a crash leaves the old file or the new one, never half of either).
OAuth tokens (``_tokens``) and the records of a notebook's tasks (``tasks._store``) are kept so."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["private_dir", "write_private_json"]


def write_private_json(path: Path, body: Any) -> None:
    """Write ``body`` as JSON to ``path``, owner-only, atomically (values JSON cannot say as text)."""
    folder = path.parent
    private_dir(folder)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, indent=1, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and the missing folders above it) owner-only; tighten it if it exists."""
    missing = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
    with contextlib.suppress(OSError):  # not ours (a shared data dir): leave it
        if folder.stat().st_mode & 0o077:
            os.chmod(folder, 0o700)
