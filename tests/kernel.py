"""A real Jupyter kernel for tests: run cells, interrupt them, shut the kernel down."""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CellRun:
    """What one execution produced: status, error name, and every output message."""

    status: str = ""
    ename: str = ""
    evalue: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def text(self) -> str:
        """All text the cell showed (streams, text/plain, text/html, error)."""
        parts = []
        for out in self.outputs:
            if out["msg_type"] == "stream":
                parts.append(out["content"]["text"])
            elif out["msg_type"] in ("execute_result", "display_data", "update_display_data"):
                data = out["content"]["data"]
                parts.extend(str(data[k]) for k in ("text/plain", "text/html", "text/markdown") if k in data)
            elif out["msg_type"] == "error":
                parts.append(f"{out['content']['ename']}: {out['content']['evalue']}")
        return "\n".join(parts)

    def mime_types(self) -> set[str]:
        found: set[str] = set()
        for out in self.outputs:
            if out["msg_type"] in ("execute_result", "display_data"):
                found |= set(out["content"]["data"])
        return found


class Kernel:
    def __init__(self, km: Any, kc: Any) -> None:
        self.km = km
        self.kc = kc

    def run(
        self, code: str, timeout: float = 60, interrupt_after: float | None = None, answers: list[str] | None = None
    ) -> CellRun:
        """Execute ``code``; optionally send a kernel interrupt ``interrupt_after`` seconds in.

        ``answers`` are typed, in order, into the input boxes the cell opens (``input()``), as a
        user would in Jupyter; the prompts shown are kept in ``CellRun.prompts``.
        """
        pending = list(answers or [])
        msg_id = self.kc.execute(code, allow_stdin=answers is not None)
        run = CellRun()
        deadline = time.monotonic() + timeout
        interrupt_at = None if interrupt_after is None else time.monotonic() + interrupt_after
        idle = False
        while not idle:
            if interrupt_at is not None and time.monotonic() >= interrupt_at:
                self.km.interrupt_kernel()
                interrupt_at = None
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell did not finish within {timeout} s: {code[:80]!r}")
            if answers is not None:
                try:
                    request = self.kc.get_stdin_msg(timeout=0.01)
                except queue.Empty:
                    request = None
                if request is not None and request["msg_type"] == "input_request":
                    run.prompts.append(request["content"]["prompt"])
                    self.kc.input(pending.pop(0) if pending else "")
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in ("stream", "execute_result", "display_data", "update_display_data", "error"):
                run.outputs.append({"msg_type": kind, "content": msg["content"]})
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:  # a late kernel_info reply from the start
            reply = self.kc.get_shell_msg(timeout=timeout)
        run.status = reply["content"]["status"]
        run.ename = reply["content"].get("ename", "")
        run.evalue = reply["content"].get("evalue", "")
        return run

    def ok(self, code: str, timeout: float = 60) -> CellRun:
        run = self.run(code, timeout)
        assert run.status == "ok", f"{code!r} failed: {run.ename}: {run.evalue}\n{run.text()}"
        return run


@contextmanager
def kernel(cwd: str | None = None) -> Iterator[Kernel]:
    """A fresh ipykernel with this interpreter; shut down gracefully at the end."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.kernel_spec.argv[0] = sys.executable  # this venv's Python, whatever the kernelspec says
    km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield Kernel(km, kc)
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=False)
