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

    msg_id: str = ""
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


OUTPUT_KINDS = ("stream", "execute_result", "display_data", "update_display_data", "error")


class Kernel:
    def __init__(self, km: Any, kc: Any) -> None:
        self.km = km
        self.kc = kc
        self.late: dict[str, list[dict[str, Any]]] = {}
        """Outputs that arrived for a cell after it had finished (by its msg_id): what a front end
        would add to an old cell. nbclient drops these, so its saved notebook never shows them."""

    def late_outputs(self, run: CellRun, settle: float = 0.5) -> list[dict[str, Any]]:
        """What arrived for ``run``'s cell after it finished, reading for ``settle`` seconds more."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            try:
                self._keep_late(self.kc.get_iopub_msg(timeout=0.05))
            except queue.Empty:
                continue
        return self.late.get(run.msg_id, [])

    def _keep_late(self, msg: dict[str, Any]) -> None:
        if msg["msg_type"] in OUTPUT_KINDS:
            parent = msg["parent_header"].get("msg_id", "")
            self.late.setdefault(parent, []).append({"msg_type": msg["msg_type"], "content": msg["content"]})

    def run(
        self, code: str, timeout: float = 60, interrupt_after: float | None = None, answers: list[str] | None = None
    ) -> CellRun:
        """Execute ``code``; optionally send a kernel interrupt ``interrupt_after`` seconds in.

        ``answers`` are typed, in order, into the input boxes the cell opens (``input()``), as a
        user would in Jupyter; the prompts shown are kept in ``CellRun.prompts``.
        """
        pending = list(answers or [])
        msg_id = self.kc.execute(code, allow_stdin=answers is not None)
        run = CellRun(msg_id=msg_id)
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
                self._keep_late(msg)
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in OUTPUT_KINDS:
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
