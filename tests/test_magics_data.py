"""The data-work forms of %mcp in a real IPython shell: map, history, record/replay, find, read."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

FAULTY = Path(__file__).parent / "servers" / "faulty.py"


def mcp(ip, line):
    return ip.run_line_magic("mcp", line)


@pytest.fixture
def with_demo(ip):
    mcp(ip, "connect demo")
    ip.user_ns["groups"] = pd.DataFrame(
        {"sp": ["Gentoo", "Adelie", "Gentoo"], "isl": ["Biscoe", "Dream", "Dream"]}, index=["g", "a", "x"]
    )
    return ip


def test_map_with_columns_constants_and_output(with_demo):
    ip = with_demo
    out = mcp(ip, "map demo.measure --over groups --arg species=@sp --arg island=@isl --arg delay=0")
    assert list(out.index) == ["g", "a", "x"] and list(out["status"]) == ["ok", "ok", "tool error"]
    assert str(out["count"].dtype) == "Int64"
    assert mcp(ip, "map measure --over $groups --arg species=@sp --arg delay=0 --concurrency 2 -o measured") is None
    assert list(ip.user_ns["measured"]["species"]) == ["Gentoo", "Adelie", "Gentoo"]
    ip.user_ns["records"] = [{"text": "hi"}, {"text": "there"}]
    echoed = mcp(ip, "map demo.echo --over records")  # columns named like the arguments
    assert list(echoed["result"]) == ["hi", "there"]
    spread = mcp(ip, "map demo.measure --over groups --arg species=@sp --arg delay=0 --workers 2 --rate 100")
    assert (spread["status"] == "ok").all() and ip.run_line_magic("mcp", "servers").names() == ["demo"]


def test_map_mistakes_are_one_line_errors(with_demo):
    ip = with_demo
    with pytest.raises(UsageError, match=r"\$nothing is not defined"):
        mcp(ip, "map demo.measure --over nothing --arg species=@sp")
    with pytest.raises(UsageError, match="no column 'kind'"):
        mcp(ip, "map demo.measure --over groups --arg species=@kind")
    with pytest.raises(UsageError, match="the following arguments are required: --over"):
        mcp(ip, "map demo.measure --arg species=@sp")
    with pytest.raises(UsageError, match="expected key=value"):
        mcp(ip, "map demo.measure --over groups --arg species")


def test_map_interrupted_prints_a_note(ip, capsys):
    mcp(ip, f"connect faulty -- {sys.executable} {FAULTY}")
    ip.user_ns["rows"] = pd.DataFrame({"seconds": [0.01, 30]})
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    out = mcp(ip, "map faulty.sleep --over rows")
    assert list(out["status"]) == ["ok", "cancelled"]
    assert "interrupted: kept the 1 of 2 rows that finished" in capsys.readouterr().out


def test_history_forms_and_limit_setting(with_demo):
    ip = with_demo
    mcp(ip, "call demo.echo text=one")
    mcp(ip, "read demo demo://about.md")
    mcp(ip, "prompt demo.compare species_a=Adelie species_b=Gentoo")
    frame = mcp(ip, "history")
    assert list(frame["kind"]) == ["tool", "resource", "prompt"]
    assert list(mcp(ip, "history --last 1")["name"]) == ["compare"]
    magics = ip.magics_manager.registry["MCPMagics"]
    magics.history_limit = 2
    assert magics.hub.history_limit == 2 and len(mcp(ip, "history")) == 2
    assert mcp(ip, "history --clear") is None and len(mcp(ip, "history")) == 0
    with pytest.raises(Exception, match="1 or more"):
        magics.history_limit = 0


def test_record_stop_and_replay(with_demo, tmp_path):
    ip = with_demo
    path = tmp_path / "rec.jsonl"
    recording = mcp(ip, f"record {path}")
    assert "recording to" in recording._repr_mimebundle_()["text/plain"]
    live = mcp(ip, "call demo.query species=Chinstrap limit=2 --df")
    with pytest.raises(UsageError, match="already recording"):
        mcp(ip, f"record {tmp_path / 'other.jsonl'}")
    stopped = mcp(ip, "record --stop")
    assert "recorded to" in stopped._repr_mimebundle_()["text/plain"] and stopped.calls == 1
    with pytest.raises(UsageError, match="nothing is being recorded"):
        mcp(ip, "record --stop")
    server = mcp(ip, f"connect offline --replay {path}")
    assert server.state == "ready" and "ReplayServer" in server.connection.spec.describe()
    assert mcp(ip, "call offline.query species=Chinstrap limit=2 --df").equals(live)
    with pytest.raises(UsageError, match="not recorded"):
        mcp(ip, "call offline.query species=Adelie limit=2")
    with pytest.raises(UsageError, match="--replay serves a recording in place of a server"):
        mcp(ip, f"connect other http://127.0.0.1:1/mcp --replay {path}")


def test_find_and_read_many(with_demo):
    ip = with_demo
    found = mcp(ip, "find species mass")
    assert found.names()[0] == "measure" and found.servers[0] == "demo"
    assert list(mcp(ip, "find guess --df")["name"]) == ["classify"]
    with pytest.raises(UsageError, match="the following arguments are required: WORDS"):
        mcp(ip, "find")
    many = mcp(ip, "read demo demo://about.md demo://datasets/penguins/Adelie.csv")
    assert [r.uri for r in many] == ["demo://about.md", "demo://datasets/penguins/Adelie.csv"]
    frames = mcp(ip, "read demo demo://datasets/penguins.json demo://datasets/penguins/Adelie.csv --df")
    assert set(frames) == {"demo://datasets/penguins.json", "demo://datasets/penguins/Adelie.csv"}
    assert len(frames["demo://datasets/penguins/Adelie.csv"]) == 152
    single = mcp(ip, "read demo demo://datasets/penguins.csv --df")  # one URI: as before
    assert isinstance(single, pd.DataFrame) and len(single) == 344


def test_help_documents_the_new_subcommands(ip, capsys):
    for name in ("map", "history", "record", "find"):
        mcp(ip, f"help {name}")
        assert f"%mcp {name}" in capsys.readouterr().out
    mcp(ip, "help connect")
    assert "--replay PATH" in capsys.readouterr().out
    assert "%mcp map" in ip.find_line_magic("mcp").__doc__
