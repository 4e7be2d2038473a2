"""``map`` against the reference servers: writes one at a time, arguments by name (issue 11, items 2, 10).

server-memory rewrites its whole file on each write, so overlapping ``create_entities`` calls all
answer success and all but one are lost; server-filesystem's ``read_text_file`` takes a required
``path`` and optional ``head``/``tail``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import UsageProblem
from tests.peers import filesystem_bin, memory_bin

pytestmark = pytest.mark.peers

NAMES = ["Ada", "Grace", "Edsger", "Barbara", "Donald", "Frances"]
SERIAL_NOTE = "one row at a time: mem.create_entities is not marked read-only"


def people() -> pd.DataFrame:
    return pd.DataFrame(
        {"entities": [[{"name": n, "entityType": "person", "observations": [f"{n} wrote code"]}] for n in NAMES]},
        index=pd.Index(NAMES, name="who"),
    )


@pytest.fixture
def mem(hub: Hub, tmp_path: Path) -> Server:
    return hub.connect("mem", command=[str(memory_bin())], env={"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")})


@pytest.fixture
def files(tmp_path: Path) -> Iterator[pd.DataFrame]:
    folder = (tmp_path / "texts").resolve()
    folder.mkdir()
    rows = []
    for i, n in enumerate((1, 2, 3), start=1):
        path = folder / f"f{i}.txt"
        path.write_text("".join(f"{path.stem} line {k}\n" for k in range(1, 6)))
        rows.append({"path": str(path), "n": n, "label": f"file {i}"})
    yield pd.DataFrame(rows, index=pd.Index(["a", "b", "c"], name="key"))


def graph_names(mem: Server) -> list[str]:
    return sorted(e["name"] for e in mem.call("read_graph").data["entities"])


# -- item 2: writes run one at a time unless the user says otherwise ----------------------------------


def test_map_over_a_writing_tool_keeps_every_write(mem: Server, capsys: pytest.CaptureFixture[str]) -> None:
    out = mem.map("create_entities", people())
    assert list(out["status"]) == ["ok"] * 6
    assert graph_names(mem) == sorted(NAMES)  # all six landed (with 16 at once, one did)
    said = capsys.readouterr().err
    assert said.count(SERIAL_NOTE) == 1 and "concurrency" in said


def test_map_over_a_read_only_tool_still_overlaps(mem: Server, capsys: pytest.CaptureFixture[str]) -> None:
    mem.map("create_entities", people().iloc[:2])
    capsys.readouterr()
    queries = pd.DataFrame({"query": NAMES})
    found = mem.map("search_nodes", queries)
    assert list(found["status"]) == ["ok"] * 6
    assert "one row at a time" not in capsys.readouterr().err


def test_concurrency_given_is_taken_at_its_word(mem: Server, capsys: pytest.CaptureFixture[str]) -> None:
    out = mem.map("create_entities", people(), concurrency=1)
    assert list(out["status"]) == ["ok"] * 6 and graph_names(mem) == sorted(NAMES)
    assert "one row at a time" not in capsys.readouterr().err  # the user chose it: nothing to explain
    with pytest.raises(UsageProblem, match="workers=2 .*concurrency"):
        mem.map("create_entities", people(), workers=2)
    with pytest.raises(UsageProblem, match="mem.read_graph takes no arguments"):
        mem.map("read_graph", [{}, {}])


def test_magic_map_over_a_writing_tool(ip, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("mcp", f"connect mem --env MEMORY_FILE_PATH={tmp_path / 'm.jsonl'} -- {memory_bin()}")
    ip.user_ns["people"] = people()
    out = ip.run_line_magic("mcp", "map mem.create_entities --over people")
    assert list(out["status"]) == ["ok"] * 6
    err = capsys.readouterr().err
    assert err.count(SERIAL_NOTE) == 1 and "--concurrency N (or concurrency=N) to overlap calls" in err
    graph = ip.run_line_magic("mcp", "call mem.read_graph").data
    assert sorted(e["name"] for e in graph["entities"]) == sorted(NAMES)


# -- item 10: arguments --arg does not set are matched by name; --keep ----------------------------------


def test_arg_from_one_column_still_matches_the_others_by_name(hub: Hub, files: pd.DataFrame) -> None:
    folder = str(Path(files["path"].iloc[0]).parent)
    fs = hub.connect("fs", command=[str(filesystem_bin()), folder])
    out = fs.map("read_text_file", files, {"head": "@n"})
    assert list(out["status"]) == ["ok"] * 3, list(out["error"])
    assert [text.count("\n") for text in out["content"]] == [0, 1, 2]  # head=n lines, joined by newlines
    assert out.loc["c", "content"].startswith("f3 line 1")


def test_missing_required_argument_is_found_once_before_any_call(hub: Hub, files: pd.DataFrame) -> None:
    folder = str(Path(files["path"].iloc[0]).parent)
    fs = hub.connect("fs", command=[str(filesystem_bin()), folder])
    renamed = files.rename(columns={"path": "file"})
    with pytest.raises(UsageProblem) as problem:
        fs.map("read_text_file", renamed, {"head": "@n"})
    message = str(problem.value)
    assert "'path'" in message and "head" in message and "tail" in message and "\n" not in message
    assert len(hub.history()) == 0  # refused before the first call
    with pytest.raises(UsageProblem, match=r"it takes: path, tail, head\); .*--arg path=@COLUMN"):
        fs.map("read_text_file", renamed[["file"]])  # no --arg, and no column named like an argument
    out = fs.map("read_text_file", renamed, {"path": "@file", "head": 1})
    assert list(out["status"]) == ["ok"] * 3


def test_keep_puts_the_input_columns_beside_the_result(hub: Hub, files: pd.DataFrame) -> None:
    folder = str(Path(files["path"].iloc[0]).parent)
    fs = hub.connect("fs", command=[str(filesystem_bin()), folder])
    out = fs.map("read_text_file", files, {"head": "@n"}, keep=True)
    assert list(out.columns) == ["path", "n", "label", "content", "status", "error", "duration_ms"]
    assert list(out.index) == ["a", "b", "c"] and list(out["label"]) == ["file 1", "file 2", "file 3"]
    # A column named like one of the result's keeps its value, as input.NAME.
    clash = files.assign(content="mine", status="draft")
    out = fs.map("read_text_file", clash, {"head": "@n"}, keep=True)
    assert list(out["input.content"]) == ["mine"] * 3 and list(out["input.status"]) == ["draft"] * 3
    assert list(out["status"]) == ["ok"] * 3 and out["content"].str.startswith("f").all()
    records = fs.map("read_text_file", files.to_dict("records"), {"head": 1}, keep=True)
    assert list(records["label"]) == ["file 1", "file 2", "file 3"]


def test_magic_map_with_arg_and_keep(ip, files: pd.DataFrame) -> None:
    folder = str(Path(files["path"].iloc[0]).parent)
    ip.run_line_magic("mcp", f"connect fs -- {filesystem_bin()} {folder}")
    ip.user_ns["files"] = files
    out = ip.run_line_magic("mcp", "map fs.read_text_file --over files --arg head=@n --keep")
    assert list(out["status"]) == ["ok"] * 3 and list(out["label"]) == ["file 1", "file 2", "file 3"]
    ip.user_ns["renamed"] = files.rename(columns={"path": "file"})
    with pytest.raises(UsageError, match="'path'.*--arg path=@COLUMN"):
        ip.run_line_magic("mcp", "map fs.read_text_file --over renamed --arg head=@n")
