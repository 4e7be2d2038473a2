"""Helpers for the tests that talk to real third-party MCP servers (``@pytest.mark.peers``).

The npm peers (everything, filesystem, memory) are installed by ``scripts/install-peers`` into
``<repo>/.peers`` (or ``$MCP_PEERS_DIR``); ``mcp-server-time``, ``-git`` and ``-fetch`` come with
the ``test`` extra. A missing ``node`` skips
the node tests; a missing package fails them, so CI cannot pass by silently skipping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVERYTHING_PACKAGE = "@modelcontextprotocol/server-everything"
HOST = "127.0.0.1"

START_TIMEOUT = 15.0  # seconds for the HTTP server to accept connections (0.3-0.5 s measured)
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL


def peers_dir() -> Path:
    """Where ``scripts/install-peers`` put the npm peers."""
    return Path(os.environ.get("MCP_PEERS_DIR") or ROOT / ".peers")


def require_node() -> str:
    """The ``node`` executable; skips the test when node is not installed at all."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; the npm MCP peers need node 20 or later")
    return node


def everything_js() -> Path:
    """``server-everything``'s ``dist/index.js``; fails (never skips) when node is there but it is not."""
    require_node()
    path = peers_dir() / "node_modules" / EVERYTHING_PACKAGE / "dist" / "index.js"
    if not path.is_file():
        pytest.fail(f"{EVERYTHING_PACKAGE} is not installed at {path}; run scripts/install-peers", pytrace=False)
    return path


def node_peer_bin(package: str, command: str) -> Path:
    """The launcher ``scripts/install-peers`` put in ``.peers/node_modules/.bin`` for an npm peer
    (``mcp-server-filesystem``, ``mcp-server-memory``); fails (never skips) when it is missing."""
    require_node()
    path = peers_dir() / "node_modules" / ".bin" / command
    if not path.is_file():
        pytest.fail(f"{package} is not installed ({path} is missing); run scripts/install-peers", pytrace=False)
    return path


def filesystem_bin() -> Path:
    """``@modelcontextprotocol/server-filesystem``: ``mcp-server-filesystem FOLDER [FOLDER...]``."""
    return node_peer_bin("@modelcontextprotocol/server-filesystem", "mcp-server-filesystem")


def cohort_heatmap_bin() -> Path:
    """``@modelcontextprotocol/server-cohort-heatmap`` (an MCP App server): start it with ``--stdio``."""
    return node_peer_bin("@modelcontextprotocol/server-cohort-heatmap", "mcp-cohort-heatmap-server")


def budget_allocator_bin() -> Path:
    """``@modelcontextprotocol/server-budget-allocator`` (an MCP App server): start it with ``--stdio``."""
    return node_peer_bin("@modelcontextprotocol/server-budget-allocator", "mcp-budget-allocator-server")


def memory_bin() -> Path:
    """``@modelcontextprotocol/server-memory``: give it ``MEMORY_FILE_PATH`` in its env, always."""
    return node_peer_bin("@modelcontextprotocol/server-memory", "mcp-server-memory")


def python_peer_bin(command: str) -> Path:
    """A PyPI peer's script in this interpreter's environment (the ``test`` extra)."""
    beside = Path(sys.executable).parent / (f"{command}.exe" if os.name == "nt" else command)
    if beside.is_file():
        return beside
    found = shutil.which(command)
    if found is None:
        pytest.fail(f"{command} is not installed; pip install -e '.[test]'", pytrace=False)
    return Path(found)


def time_server_bin() -> Path:
    """``mcp-server-time`` (PyPI, speaks 2026-07-28)."""
    return python_peer_bin("mcp-server-time")


def git_server_bin() -> Path:
    """``mcp-server-git --repository REPO`` (PyPI, speaks 2026-07-28)."""
    return python_peer_bin("mcp-server-git")


def fetch_server_bin() -> Path:
    """``mcp-server-fetch --allow-private-ips`` (PyPI, speaks 2026-07-28; refuses 127.0.0.1 without the flag)."""
    return python_peer_bin("mcp-server-fetch")


def free_port() -> int:
    """A TCP port nobody is listening on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def stop_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the process group ``proc`` leads (started with ``start_new_session``), by its pid;
    SIGKILL it if it has not gone within ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def listening(argv: list[str], port: int, what: str, timeout: float = 30.0) -> Iterator[int]:
    """Run ``argv`` (a server that listens on 127.0.0.1:``port``) until the block ends; yields the
    port once it accepts connections; stopped by its pid."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not _accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} (exit code {proc.poll()})")
            time.sleep(0.05)
        yield port
    finally:
        stop_group(proc)


@dataclass
class HttpPeer:
    """A running ``server-everything`` in an HTTP mode."""

    process: subprocess.Popen[bytes]
    port: int
    mode: str
    _output: object

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        """The MCP endpoint: ``/mcp`` for Streamable HTTP, ``/sse`` for the legacy transport."""
        return f"http://{HOST}:{self.port}{'/sse' if self.mode == 'sse' else '/mcp'}"

    def output(self) -> str:
        """What the server printed so far (stdout and stderr, interleaved)."""
        out = self._output
        out.seek(0)  # type: ignore[attr-defined]
        return out.read().decode("utf-8", "replace")  # type: ignore[attr-defined]

    def stop(self) -> None:
        """SIGTERM the server by its pid, SIGKILL it if it has not gone within ``STOP_GRACE``."""
        proc = self.process
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(STOP_GRACE)


@contextlib.contextmanager
def everything_http(mode: Literal["streamableHttp", "sse"] = "streamableHttp") -> Iterator[HttpPeer]:
    """Run ``PORT=P node index.js MODE`` on a free port until the block ends.

    Ready once 127.0.0.1:P accepts connections. The server listens on every interface (it has no
    host option); the tests talk to it on 127.0.0.1 only. A port taken between picking it and
    binding it (EADDRINUSE) is retried with another.
    """
    node = require_node()
    js = everything_js()
    for _attempt in range(3):
        port = free_port()
        output = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [node, str(js), mode],
            env={**os.environ, "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        peer = HttpPeer(proc, port, mode, output)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _accepts(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            else:
                yield peer
                return
            said = peer.output()
            if proc.poll() is not None and "EADDRINUSE" in said:
                continue
            state = f"exited with code {proc.returncode}" if proc.poll() is not None else "is not listening"
            raise RuntimeError(
                f"server-everything {mode} on port {port} {state} after {START_TIMEOUT:g} s: {said[-2000:]}"
            )
        finally:
            peer.stop()
            output.close()
    raise RuntimeError(f"server-everything {mode}: every port tried was taken")
