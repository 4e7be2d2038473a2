"""A real JupyterLab in a real (headless) Chromium, for browser tests.

Follows shared/recipes/browser.md: Debian's Chromium driven by Playwright through
``executable_path`` (never ``playwright install``), JupyterLab started as
``sys.executable -m jupyterlab`` on a free port of 127.0.0.1 with a token, every Jupyter
config/runtime/settings/workspace folder under a temp root, the news toast switched off, and the
first cell run only once both the toolbar indicator and the status bar say the kernel is idle.

    with jupyterlab() as lab:
        lab.write_notebook("demo.ipynb", ["print(1)"])
        lab.open("demo.ipynb")
        lab.run_cell(0)
        assert "1" in lab.outputs(0).inner_text()

``jupyterlab(app="notebook")`` starts Jupyter Notebook 7 (``sys.executable -m notebook``, the
same JupyterLab components in single-document pages) the same way; ``open`` then goes to
``/notebooks/NAME`` instead of ``/lab/tree/NAME``, and waits for the toolbar's kernel indicator
and the notebook's kernel-status banner (Notebook 7 has no status bar).

Everything started here is stopped at the end: the browser, JupyterLab's process group, and
every process JupyterLab had started by then (the kernel and the MCP servers it spawned each lead
a session of their own, so the group signal alone does not reach them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

KERNEL_IDLE = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=idle]"
STATUSBAR = "#jp-main-statusbar"
KERNEL_BANNER = "#menu-panel .jp-NotebookKernelStatus"  # Notebook 7: "Kernel Connecting", ..., then ""
CELLS = ".jp-NotebookPanel .jp-Notebook .jp-Cell"
RAN = re.compile(r"^\[\d+\]:$")
NOT_RUN = "[ ]:"
# Loopback only, whatever *_proxy variables say.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# app -> (module run by ``python -m``, the URL path a notebook opens under, the app's own flags)
APPS: dict[str, tuple[str, str, list[str]]] = {
    "lab": (
        "jupyterlab",
        "/lab/tree/",
        ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
    ),
    "notebook": ("notebook", "/notebooks/", []),
}


def missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install playwright)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- processes ---------------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat), or None if it is gone/a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None
    if rest[0] == "Z":
        return None
    return rest[19]


def descendants(root: int) -> list[tuple[int, str]]:
    """Every live descendant of ``root`` as (pid, start time), so a later kill can skip reused PIDs."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: list[tuple[int, str]] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        started = _start_time(pid)
        if started is not None:
            found.append((pid, started))
        todo.extend(children.get(pid, []))
    return found


def _alive(procs: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(pid, started) for pid, started in procs if _start_time(pid) == started]


def _signal_each(procs: Sequence[tuple[int, str]], sig: int) -> None:
    for pid, _ in _alive(procs):
        try:
            if os.getpgid(pid) == pid:  # leads its own group (kernel, stdio MCP server): all of it
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_process_tree(
    proc: subprocess.Popen[Any], grace: float = 5.0, seen: Sequence[tuple[int, str]] = ()
) -> list[tuple[int, str]]:
    """SIGTERM JupyterLab's process group, SIGKILL after ``grace`` s; then the same for every
    process it had started (they may lead sessions of their own), by PID and start time: those
    found now and those in ``seen`` (found earlier: a crashed server's orphans are no longer its
    descendants). Returns what is still alive at the end (nothing, unless unkillable)."""
    tree = sorted(set(descendants(proc.pid)) | set(seen))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=grace)
    # The server shuts its kernels down on SIGTERM; whatever is left gets the same treatment.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _alive(tree):
            break
        _signal_each(tree, sig)
        deadline = time.monotonic() + grace
        while _alive(tree) and time.monotonic() < deadline:
            time.sleep(0.05)
    return _alive(tree)


# -- notebooks ---------------------------------------------------------------------------------


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """A notebook of code cells (no outputs) bound to the python3 kernelspec."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": dict(KERNELSPEC)})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _ensure_kernelspec(env: dict[str, str], jupyter_path: Path) -> dict[str, Any]:
    """Check that JupyterLab's default python3 kernel will be this interpreter; if it would not be,
    put a kernelspec that runs sys.executable first on JUPYTER_PATH. Returns the spec in force."""
    probe = (
        "import json; from jupyter_client.kernelspec import KernelSpecManager as K; "
        "s = K().get_kernel_spec('python3'); print(json.dumps({'argv': s.argv, 'dir': s.resource_dir}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    spec: dict[str, Any] = {}
    if out.returncode == 0 and out.stdout.strip():
        spec = json.loads(out.stdout.strip().splitlines()[-1])
    argv0 = (spec.get("argv") or [""])[0]
    # jupyter_client replaces a bare python/python3/python3.X with the server's own sys.executable.
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if argv0 in bare or os.path.abspath(argv0) == sys.executable:
        return spec
    kdir = jupyter_path / "kernels" / "python3"
    kdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kdir / "kernel.json").write_text(json.dumps({**KERNELSPEC, "argv": argv}))
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), env.get("JUPYTER_PATH", "")]))
    return {"argv": argv, "dir": str(kdir)}


# -- the lab -----------------------------------------------------------------------------------


class Lab:
    """A running JupyterLab (or Notebook 7, ``app="notebook"``); ``open`` adds a Chromium page on
    one of its notebooks."""

    def __init__(self, root: Path, token: str, kernelspec: dict[str, Any], app: str = "lab"):
        if app not in APPS:
            raise ValueError(f"app must be one of {sorted(APPS)}, not {app!r}")
        self.app = app
        self.root = root
        self.notebooks = root / "notebooks"
        self.log = root / "jupyter.log"  # one level above the served folder
        self.token = token
        self.kernelspec = kernelspec
        self.port = 0
        self.base = ""
        self.proc: subprocess.Popen[Any] | None = None
        self.attempts = 0  # how many Control+Enter presses the last run_cell needed
        self.retried: list[int] = []  # cells that needed the second press (the recipe's obstacle 1)
        self.seen: set[tuple[int, str]] = set()  # processes the server started (kernel, MCP servers)
        self.leftovers: list[tuple[int, str]] = []  # what survived stop() (should stay empty)
        self.console: list[str] = []  # browser console lines and page errors, for failure reports
        self.dialogs: list[str] = []  # alert/confirm/prompt texts (each is dismissed)
        self._pw: Any = None
        self._browser: Any = None
        self._page: Any = None

    # notebooks and server

    def _serve(self, env: dict[str, str], timeout: float, browser: bool) -> None:
        module, _, flags = APPS[self.app]
        for attempt in range(3):  # the port may be taken between free_port() and the bind
            port = free_port()
            argv = [
                sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.notebooks}",
                "--ServerApp.port_retries=0", *flags, "--allow-root",
            ]  # fmt: skip
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            if attempt == 0 and browser and missing() is None:
                self._launch()
            if _wait_ready(self.proc, port, self.token, timeout):
                self.port, self.base = port, f"http://127.0.0.1:{port}"
                return
            stop_process_tree(self.proc)
            self.proc = None
        tail = self.log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{module} did not start; log {self.log}:\n{tail}")

    def write_notebook(self, name: str, cells: Sequence[str]) -> Path:
        return write_notebook(self.notebooks / name, cells)

    def api(self, path: str) -> Any:
        sep = "&" if "?" in path else "?"
        with _LOCAL.open(f"{self.base}{path}{sep}token={self.token}", timeout=10) as r:
            return json.loads(r.read())

    # browser

    @property
    def page(self) -> Any:
        if self._page is None:
            raise RuntimeError("no page yet: call lab.open(notebook) first")
        return self._page

    def _launch(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        return self._browser

    def open(self, notebook: str, timeout: float = 60.0, viewport: dict[str, int] | None = None) -> Any:
        """Open ``notebook`` (a name under the notebooks folder) in a new page; return the page
        once its kernel is idle by both the toolbar indicator and the status bar (Notebook 7: the
        kernel-status banner, empty once connected). A taller
        ``viewport`` lets screenshots show long outputs (the notebook scrolls inside the page)."""
        from playwright.sync_api import expect

        browser = self._launch()
        if self._page is not None:
            self._page.close()
        page = browser.new_page(viewport=viewport or VIEWPORT)
        page.set_default_timeout(timeout * 1000)
        page.on("console", lambda m: self.console.append(f"console.{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("dialog", self._on_dialog)
        self._page = page
        page.goto(f"{self.base}{APPS[self.app][1]}{notebook}?token={self.token}")
        page.locator(f"{CELLS} .cm-content").first.wait_for(state="visible", timeout=timeout * 1000)
        page.locator(KERNEL_IDLE).first.wait_for(state="attached", timeout=timeout * 1000)
        if self.app == "lab":
            expect(page.locator(STATUSBAR)).to_contain_text(re.compile(r"\| Idle"), timeout=timeout * 1000)
        else:
            expect(page.locator(KERNEL_BANNER)).to_have_text("", timeout=timeout * 1000)
        self.remember()
        return page

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        try:
            dialog.dismiss()
        except Exception:  # the page may be closing
            pass

    def cell(self, index: int) -> Any:
        return self.page.locator(CELLS).nth(index)

    def prompt(self, index: int) -> str:
        return str(self.cell(index).locator(".jp-InputPrompt").first.inner_text()).strip()

    def run_cell(self, index: int, timeout: float = 60.0, retry_after: float = 5.0) -> Any:
        """Run cell ``index`` in place (click its editor, Control+Enter); wait until its prompt
        shows a new execution count; press again once if it still reads ``[ ]:`` (or its old
        count) after ``retry_after`` s. Returns the cell's output area."""
        cell = self.cell(index)
        before = self.prompt(index)
        editor = cell.locator(".cm-content").first
        editor.scroll_into_view_if_needed()
        start = time.monotonic()
        retried = False
        self.attempts = 1
        editor.click()
        self.page.keyboard.press("Control+Enter")
        while True:
            now_text = self.prompt(index)
            if RAN.match(now_text) and now_text != before:
                self.remember()
                return self.outputs(index)
            elapsed = time.monotonic() - start
            if elapsed > timeout:
                raise TimeoutError(f"cell {index} did not run within {timeout} s (prompt {now_text!r})")
            if not retried and elapsed > retry_after and now_text in (NOT_RUN, before):
                retried = True
                self.attempts = 2
                self.retried.append(index)
                self.console.append(f"harness: cell {index} still {now_text!r} after {retry_after} s; pressed again")
                editor.click()
                self.page.keyboard.press("Control+Enter")
            self.page.wait_for_timeout(100)

    def remember(self) -> None:
        """Note the server's current descendants, so ``stop`` finds them even if it crashed."""
        if self.proc is not None and self.proc.poll() is None:
            self.seen.update(descendants(self.proc.pid))

    def stop(self) -> None:
        """Close the browser, stop JupyterLab and everything it started."""
        self.close_browser()
        if self.proc is not None:
            self.remember()
            self.leftovers = stop_process_tree(self.proc, seen=sorted(self.seen))

    def outputs(self, index: int) -> Any:
        return self.cell(index).locator(".jp-OutputArea").first

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        path = Path(path)
        if not path.is_absolute():
            path = ARTIFACTS / path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close_browser(self) -> None:
        for step in (
            lambda: self._browser and self._browser.close(),
            lambda: self._pw and self._pw.stop(),
        ):
            try:
                step()
            except Exception:
                pass
        self._page = self._browser = self._pw = None


@contextmanager
def jupyterlab(
    root: str | Path | None = None, startup_timeout: float = 60.0, browser: bool = True, app: str = "lab"
) -> Iterator[Lab]:
    """Start JupyterLab (``app="notebook"``: Jupyter Notebook 7) under ``root`` (a fresh temp dir
    by default), yield a :class:`Lab`.

    With ``browser`` (the default) Chromium is launched while the server boots, which saves
    about 2 s on a 2-core machine; otherwise the first ``open`` launches it."""
    with ExitStack() as stack:
        if root is None:
            root = stack.enter_context(tempfile.TemporaryDirectory(prefix="mcpnb-lab-"))
        root = Path(root)
        if importlib.util.find_spec("jupyterlab") is None:
            raise RuntimeError(
                f"jupyterlab is not installed for {sys.executable}: the browser tests need it (pip install -e '.[lab]')"
            )
        if app == "notebook" and importlib.util.find_spec("notebook") is None:
            raise RuntimeError(f"notebook (7) is not installed for {sys.executable}: pip install -e '.[test]'")
        notebooks = root / "notebooks"
        notebooks.mkdir(parents=True, exist_ok=True)
        dirs = {
            "JUPYTER_CONFIG_DIR": root / "jupyter" / "config",
            "JUPYTER_RUNTIME_DIR": root / "jupyter" / "runtime",
            "JUPYTER_DATA_DIR": root / "jupyter" / "data",
            "JUPYTERLAB_SETTINGS_DIR": root / "jupyter" / "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": root / "jupyter" / "lab-workspaces",
            "IPYTHONDIR": root / "jupyter" / "ipython",
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, "JUPYTER_PLATFORM_DIRS": "1"}
        settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        kernelspec = _ensure_kernelspec(env, root / "jupyter" / "path")

        lab = Lab(root, secrets.token_hex(16), kernelspec, app)
        try:
            lab._serve(env, startup_timeout, browser)
            yield lab
        finally:
            lab.stop()


def _wait_ready(proc: subprocess.Popen[Any], port: int, token: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with _LOCAL.open(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False


def _failure_names(name: str) -> list[Path]:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return [ARTIFACTS / f"{safe}-{part}" for part in ("failure.png", "jupyter.log", "console.log")]


def clear_failure(name: str) -> None:
    for path in _failure_names(name):
        path.unlink(missing_ok=True)


def save_failure(lab: Lab, name: str) -> list[Path]:
    """A screenshot, the JupyterLab log and the browser console into artifacts/, after a failure."""
    shot, log, console = _failure_names(name)
    saved: list[Path] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if lab._page is not None:
        try:
            saved.append(lab.screenshot(shot))
        except Exception:
            pass
    if lab.log.exists():
        saved.append(Path(shutil.copyfile(lab.log, log)))
    console.write_text("\n".join(lab.console + lab.dialogs) + "\n")
    saved.append(console)
    return saved
