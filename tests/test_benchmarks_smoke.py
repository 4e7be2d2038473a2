"""The benchmarks still run: ``python benchmarks/run.py --quick`` writes JSON with every figure.

Times are never asserted here (the figures live in benchmarks/README.md); this only keeps the
entry point, every figure's code and the JSON shape from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
FIGURES = (
    "latency-demo",
    "latency-fast",
    "latency-http",
    "floor",
    "profile",
    "connect",
    "dataframe",
    "text-tables",
    "display",
    "load-ext",
    "explorer",
    "memory",
    "map",
    "dask-map",
)


@pytest.mark.timeout(300)
def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out)],
        cwd=tmp_path,  # anywhere: the entry point finds its own modules
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True
    machine = report["machine"]
    for key in ("cpu_model", "cores", "python", "packages", "date"):
        assert machine[key], key
    assert set(report["figures"]) == set(FIGURES)
    for name, figure in report["figures"].items():
        # A figure may be skipped where its server is missing (node), never fail.
        assert figure["status"] in ("ok", "skipped"), (name, figure["notes"])
        if figure["status"] == "ok":
            assert figure["rows"], name
            for row in figure["rows"]:
                assert {"subject", "baseline", "value", "goal", "met"} <= set(row), (name, row)
    mapped = report["figures"]["map"]
    assert mapped["status"] == "ok" and mapped["data"]["statuses"] == {"ok": mapped["data"]["rows"]}  # every row ran
    assert "| figure | subject | baseline |" in done.stdout  # the table is printed


def test_only_and_unknown_names(tmp_path: Path) -> None:
    out = tmp_path / "map.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "map", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(json.loads(out.read_text())["figures"]) == ["map"]
    wrong = subprocess.run([sys.executable, str(RUN), "--only", "nope"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "unknown figure nope" in wrong.stderr
