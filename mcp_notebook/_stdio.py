"""The stdio transport: a server subprocess that speaks newline-delimited JSON-RPC.

Written here rather than taken from ``mcp.client.stdio`` because a notebook needs what that one
keeps to itself: the process id (to kill what is left at kernel shutdown), the exit code and the
tail of stderr (to say why a server died), stderr captured into the connection's log instead of
the kernel's ``sys.stderr`` (python-sdk issue #156), and a shutdown short enough to fit the 2.5 s
jupyter_client allows a kernel to exit in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import anyio
import mcp_types as types
from mcp.client.stdio import get_default_environment
from mcp.shared.message import SessionMessage

from ._log import ConnectionLog
from .config import ServerSpec
from .errors import ConnectFailed

__all__ = ["StdioTransport"]

# A single JSON-RPC line larger than this is dropped (and logged) rather than buffered further.
MAX_LINE_BYTES = 256 * 1024 * 1024
# Shutdown: stdin EOF, then SIGTERM to the process group, then SIGKILL, each after this wait.
EXIT_GRACE = 0.6
TERM_GRACE = 0.4
_POLL = 0.01


class StdioTransport:
    """An ``mcp.Client`` transport that owns one server process.

    ``on_closed`` is called (on the loop) once the server's stdout ends, which is how the
    connection learns that the server died without waiting for the next call to fail.
    """

    def __init__(self, spec: ServerSpec, log: ConnectionLog, on_closed: Callable[[], None] | None = None) -> None:
        self.spec = spec
        self.log = log
        self.on_closed = on_closed
        self.process: asyncio.subprocess.Process | None = None
        self.stdout_ended = asyncio.Event()
        self._stderr_ended = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._closing = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    async def exit_code(self, wait: float = 0.5) -> int | None:
        """The exit code, waiting up to ``wait`` seconds for the process to finish exiting."""
        deadline = asyncio.get_running_loop().time() + wait
        while self.returncode is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(_POLL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stderr_ended.wait(), 0.2)  # let the last words reach the log
        return self.returncode

    async def __aenter__(self) -> tuple[Any, Any]:
        spec = self.spec
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *spec.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=get_default_environment() | dict(spec.env),
                cwd=spec.cwd,
                start_new_session=True,  # kernel interrupts (SIGINT to the group) must not reach it
                limit=MAX_LINE_BYTES,
            )
        )
        try:
            self.process = await asyncio.shield(spawn)
        except asyncio.CancelledError:
            # Cancelled (an interrupt) while the process was being started: it may exist already,
            # and nobody else knows its pid, so it is killed as soon as it does.
            spawn.add_done_callback(_kill_spawned)
            raise
        except FileNotFoundError as e:
            where = f" in {spec.cwd}" if spec.cwd and not os.path.isdir(spec.cwd) else " on PATH"
            raise ConnectFailed(
                f"cannot start {spec.name!r}: {spec.command[0]!r} was not found{where}; "
                "check the spelling, or give the full path to the program"
            ) from e
        except (PermissionError, NotADirectoryError, OSError) as e:
            raise ConnectFailed(f"cannot start {spec.name!r}: {e.strerror or e}") from e
        self.log.add("client", f"started pid {self.process.pid}: {spec.describe()}")

        read_writer, self._read = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        self._write, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
        self._read_writer = read_writer
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._pump_stdout(read_writer)),
            loop.create_task(self._pump_stdin(write_reader)),
            loop.create_task(self._pump_stderr()),
        ]
        return self._read, self._write

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Shielded and bounded: a cancelled caller must neither leak the process nor hang on it.
        await asyncio.shield(self._shutdown())

    async def _shutdown(self) -> None:
        self._closing = True
        await self._write.aclose()
        proc = self.process
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(Exception):
                    proc.stdin.close()
            if not await self._exited_within(EXIT_GRACE):
                self.signal_group(signal.SIGTERM)
                if not await self._exited_within(TERM_GRACE):
                    self.signal_group(signal.SIGKILL)
                    await self._exited_within(TERM_GRACE)
            code = proc.returncode
            self.log.add("client", f"server process {proc.pid} ended (exit code {code})")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._read.aclose()
        await self._read_writer.aclose()
        if proc is not None:
            # Close our ends of the pipes now rather than at garbage collection.
            transport = getattr(proc, "_transport", None)
            if transport is not None:
                with contextlib.suppress(Exception):
                    transport.close()

    async def _exited_within(self, seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.returncode is None:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(_POLL)
        return True

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the server's whole process group (it leads its own session)."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if sys.platform == "win32":  # pragma: no cover - no process groups there
                self.process.kill()
            else:
                os.killpg(self.process.pid, sig)

    # -- pumps ----------------------------------------------------------------------------------

    async def _pump_stdout(self, sink: Any) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        parse = types.jsonrpc_message_adapter.validate_json
        try:
            async with sink:
                while True:
                    try:
                        line = await stdout.readuntil(b"\n")
                    except asyncio.IncompleteReadError as e:
                        if e.partial.strip():
                            self.log.add("client", f"stdout ended inside a message ({len(e.partial):,} bytes)", "error")
                        break
                    except asyncio.LimitOverrunError as e:
                        self.log.add("client", f"dropped a message of more than {MAX_LINE_BYTES:,} bytes", "error")
                        await _discard_line(stdout, e.consumed)
                        continue
                    if not line.strip():
                        continue
                    try:
                        message = SessionMessage(parse(line, by_name=False))
                    except ValueError:
                        # A stray print() in a server is common; keep it visible, keep going.
                        text = line.decode("utf-8", "replace").rstrip()
                        self.log.add("client", f"not JSON-RPC on stdout: {text[:500]}", "warning")
                        continue
                    try:
                        await sink.send(message)
                    except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                        break
        except (ConnectionError, OSError) as e:
            if not self._closing:
                self.log.add("client", f"reading the server's stdout failed: {e}", "error")
        finally:
            self.stdout_ended.set()
            if not self._closing and self.on_closed is not None:
                self.on_closed()

    async def _pump_stdin(self, source: Any) -> None:
        assert self.process is not None and self.process.stdin is not None
        stdin = self.process.stdin
        try:
            async with source:
                async for message in source:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    stdin.write(data.encode() + b"\n")
                    await stdin.drain()
        except (ConnectionError, OSError) as e:
            if not self._closing:
                self.log.add("client", f"writing to the server's stdin failed: {e}", "error")
            # The server cannot hear us: end the read side so waiting requests fail now.
            await self._read_writer.aclose()

    async def _pump_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        stderr = self.process.stderr
        try:
            while True:
                try:
                    line = await stderr.readuntil(b"\n")
                except asyncio.IncompleteReadError as e:
                    if e.partial:
                        self.log.add("stderr", e.partial.decode("utf-8", "replace").rstrip())
                    return
                except asyncio.LimitOverrunError as e:
                    await _discard_line(stderr, e.consumed)
                    self.log.add("stderr", "[a line too long to keep was dropped]")
                    continue
                text = line.decode("utf-8", "replace").rstrip()
                if text:
                    self.log.add("stderr", text)
        except (ConnectionError, OSError):
            return
        finally:
            self._stderr_ended.set()


def _kill_spawned(spawn: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if spawn.cancelled() or spawn.exception() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(spawn.result().pid, signal.SIGKILL)


async def _discard_line(stream: asyncio.StreamReader, consumed: int) -> None:
    """Skip to the end of an over-long line, in bounded reads."""
    await stream.readexactly(consumed)
    while True:
        try:
            await stream.readuntil(b"\n")
            return
        except asyncio.LimitOverrunError as e:
            await stream.readexactly(e.consumed)
