"""``voila notebooks/explorer.ipynb``: the explorer as a dashboard, in a real Chromium.

Voilà runs the notebook in a real kernel (so the demo server starts), shows the outputs without
the code, and keeps the kernel for the widgets: picking a tool and pressing Run works as in
JupyterLab. Voilà is started like JupyterLab in ``lab.py``: on 127.0.0.1, a free port, a token,
every Jupyter folder under a temp root; it is stopped by its process group, then whatever it had
started (its kernel and the demo server lead sessions of their own).
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .lab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _ensure_kernelspec,
    descendants,
    free_port,
    stop_process_tree,
)
from .test_explorer_browser import fill_query, pick_tool

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
EXPLORER = Path("notebooks") / "explorer.ipynb"
START_TIMEOUT = 60.0  # seconds until Voilà accepts connections (about 2 s here)
RENDER_TIMEOUT = 120_000  # ms until the explorer shows: the kernel starts, the notebook runs (about 10 s)


@dataclass
class Voila:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path
    seen: set[tuple[int, str]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def remember(self) -> None:
        if self.proc.poll() is None:
            self.seen.update(descendants(self.proc.pid))


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def voila(notebook: Path, root: Path) -> Iterator[Voila]:
    """Run ``python -m voila NOTEBOOK`` from the repository on a free port of 127.0.0.1."""
    if importlib.util.find_spec("voila") is None:
        pytest.fail("voila is not installed: pip install -e '.[test]'", pytrace=False)
    dirs = {
        "JUPYTER_CONFIG_DIR": root / "jupyter" / "config",
        "JUPYTER_RUNTIME_DIR": root / "jupyter" / "runtime",
        "JUPYTER_DATA_DIR": root / "jupyter" / "data",
        "IPYTHONDIR": root / "jupyter" / "ipython",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, "JUPYTER_PLATFORM_DIRS": "1"}
    _ensure_kernelspec(env, root / "jupyter" / "path")  # the notebook's python3 kernel = this interpreter
    log = root / "voila.log"
    token = secrets.token_hex(16)
    for _attempt in range(3):  # the port may be taken between free_port() and the bind
        port = free_port()
        argv = [
            sys.executable, "-m", "voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1",
            f"--port={port}", "--Voila.port_retries=0", f"--token={token}",
        ]  # fmt: skip
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        running = Voila(proc, port, token, log)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _accepts(port) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            if _accepts(port):
                yield running
                return
        finally:
            running.remember()
            left = stop_process_tree(proc, seen=sorted(running.seen))
            assert not left, f"processes Voilà started outlived it: {left}"
    raise RuntimeError(f"Voilà did not start; log {log}:\n{log.read_text(errors='replace')[-4000:]}")


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_voila_renders_the_explorer_as_a_dashboard(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    expect = _expect()
    console: list[str] = []
    shot, saved_log = ARTIFACTS / "voila-explorer.png", ARTIFACTS / "voila-failure.log"
    saved_log.unlink(missing_ok=True)
    with voila(EXPLORER, tmp_path) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1800})
            page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.set_default_timeout(30_000)
            page.goto(server.url)

            # The notebook ran: its text, the explorer, and the cell output below it; no code shown.
            explorer = page.locator(".mcpnb-explorer").first
            expect(explorer).to_be_visible(timeout=RENDER_TIMEOUT)
            server.remember()
            expect(page.get_by_role("heading", name="The explorer")).to_be_visible()
            expect(page.get_by_text("%mcp explore demo", exact=True)).to_have_count(0)
            expect(page.get_by_text(".to_dataframe() has it all").first).to_be_visible()
            expect(explorer.locator(".lm-TabBar-tab.lm-mod-current")).to_have_text("Tools")

            # Pick a tool, fill its form, run it: the result renders in the dashboard.
            pick_tool(explorer, "query")
            expect(explorer.locator(".mcpnb-tool-details")).to_contain_text("Query penguins")
            fill_query(explorer, "Chinstrap", 4)
            explorer.locator("button.mcpnb-run").click()
            rows = explorer.locator(".mcpnb-result-area .mcpnb-result table tbody tr")
            expect(rows).to_have_count(4, timeout=30_000)
            for text in rows.all_inner_texts():
                assert "Chinstrap" in text and "Dream" in text, text
            expect(explorer.locator(".mcpnb-error:visible")).to_have_count(0)
            code = explorer.locator(".mcpnb-code textarea:visible")
            expect(code).to_have_value(re.compile(r"%mcp call demo\.query .*species=Chinstrap.*limit=4"))
            expect(explorer.locator(".mcpnb-insert:visible")).to_have_count(0)  # no cells to insert into
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            assert not [line for line in console if line.startswith("pageerror")], console
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / "voila-failure.png"), full_page=True)
            except Exception:
                pass
            shutil.copyfile(server.log, saved_log)
            with open(saved_log, "a") as f:
                f.write("\n".join(["", "-- browser console --", *console, ""]))
            raise
        finally:
            server.remember()
            browser.close()
