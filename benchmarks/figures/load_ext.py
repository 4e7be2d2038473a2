"""``%load_ext mcp_notebook`` in a fresh IPython, against a fresh IPython without it.

Each sample is a new process (``python -c``) that starts an ``InteractiveShell`` and, for the
subject, loads the extension; the time is taken inside the process, so interpreter start-up is
not in it. Subject and baseline processes alternate. Where the time goes comes from
``python -X importtime``, summed by top-level package.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from typing import Any

from _harness import Dist, Figure, compare, fmt_added

SCRIPT = """
import json, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t1 = time.perf_counter()
if {load}:
    shell.run_line_magic("load_ext", "mcp_notebook")
    assert "mcp" in shell.magics_manager.magics["line"]
t2 = time.perf_counter()
print(json.dumps({{"shell": t1 - t0, "load": t2 - t1, "total": t2 - t0}}))
"""

IMPORTS = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "mcp_notebook")
"""


def sample(load: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(load=load)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def import_profile() -> dict[str, float]:
    """Milliseconds of import (self time) by top-level package, for what load_ext adds."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTS], capture_output=True, text=True, timeout=120, check=True
    )
    totals: Counter[str] = Counter()
    started = False
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not m:
            continue
        name = m.group(4)
        if name.startswith("IPython.core.interactiveshell"):
            started = True  # imports before this line are IPython's own; count what comes after
            continue
        if started:
            totals[name.split(".")[0]] += int(m.group(1)) / 1000
    return dict(totals.most_common(12))


def run(quick: bool) -> Figure:
    fig = Figure("load-ext")
    rounds = 1 if quick else 15
    subject: list[list[float]] = []
    baseline: list[list[float]] = []
    load_only: list[float] = []
    if not quick:
        sample(False)  # warm the file cache
    for r in range(rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        for load in order:
            got = sample(load)
            if load:
                subject.append([got["total"]])
                load_only.append(got["load"])
            else:
                baseline.append([got["total"]])
    c = compare(subject, baseline)
    direct = Dist.of(load_only).scaled(1000)
    fig.data["start_shell_and_load_ext"] = c
    fig.data["load_ext_alone_ms"] = direct.json()
    fig.row(
        "fresh InteractiveShell + %load_ext mcp_notebook",
        "fresh InteractiveShell",
        fmt_added(c) + f"; load_ext alone {direct.median:.0f} ms",
        "≤ +150 ms",
        c["added_ms"]["median"] <= 150,
        c,
    )
    profile: dict[str, Any] = {}
    try:
        profile = import_profile()
    except (subprocess.SubprocessError, OSError) as e:
        fig.notes.append(f"import profile failed: {e}")
    fig.data["import_self_ms_by_package"] = profile
    if profile:
        top = ", ".join(f"{k} {v:.0f} ms" for k, v in list(profile.items())[:6])
        fig.notes.append(f"what load_ext imports, self time by package (-X importtime, one run): {top}")
    return fig
