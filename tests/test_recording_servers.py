"""A recording holds the servers that were used while it ran, and replays beside the live ones.

Two real servers are connected (the demo server and ``mcp-server-time``), one or both used while
recording, through the ``%mcp`` magics a user types. A server only listed (``%mcp tools``, the
explorer, tab completion all list) is not part of the recording; the hint shown when the
recording stops names the servers that were called; a recording replays under a new name beside
the live server it was made from, and ``--replay-from`` picks one server of several.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from .peers import time_server_bin

pytestmark = pytest.mark.peers


def mcp(ip, line):
    return ip.run_line_magic("mcp", line)


@pytest.fixture
def two_servers(ip):
    """demo and time, both live; time's tools already listed (as the explorer or completion would)."""
    mcp(ip, "connect demo")
    mcp(ip, f"connect time -- {time_server_bin()} --local-timezone UTC")
    assert "get_current_time" in mcp(ip, "tools time").names()
    return ip


def servers_in(path: Path) -> set[str]:
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return {entry["server"] for entry in lines}


def stop_text(ip) -> str:
    return str(mcp(ip, "record --stop")._repr_mimebundle_()["text/plain"])


def test_only_the_server_called_is_recorded_and_named(two_servers, tmp_path):
    ip, path = two_servers, tmp_path / "calls.jsonl"
    mcp(ip, f"record {path}")
    live = mcp(ip, "call demo.query species=Gentoo limit=2 --df")
    mcp(ip, "tools time")  # a listing while recording is not a use
    mcp(ip, "tools demo")
    text = stop_text(ip)
    assert servers_in(path) == {"demo"}
    assert f"%mcp connect demo --replay {path}" in text and "time" not in text
    assert "1 call" in text and "1 calls" not in text

    # Replayed under a new name while the server it was recorded from is still live.
    replayed = mcp(ip, f"connect demo2 --replay {path}")
    assert replayed.state == "ready" and mcp(ip, "servers").to_dataframe()["name"].tolist()[:3] == [
        "demo",
        "time",
        "demo2",
    ]
    assert mcp(ip, "call demo2.query species=Gentoo limit=2 --df").equals(live)
    assert mcp(ip, "call demo.query species=Gentoo limit=2 --df").equals(live)  # the live one, still there


def test_several_servers_recorded_one_picked_by_replay_from(two_servers, tmp_path):
    ip, path = two_servers, tmp_path / "both.jsonl"
    mcp(ip, f"record {path}")
    rows = mcp(ip, "call demo.query species=Adelie limit=1 --df")
    now = mcp(ip, "call time.get_current_time timezone=UTC")
    text = stop_text(ip)
    assert servers_in(path) == {"demo", "time"}
    assert f"%mcp connect demo --replay {path}" in text and f"%mcp connect time --replay {path}" in text

    with pytest.raises(UsageError) as refused:
        mcp(ip, f"connect offline --replay {path}")
    message = str(refused.value)
    assert "demo, time" in message and f"%mcp connect offline --replay {path} --replay-from demo" in message
    assert "\n" not in message

    clock = mcp(ip, f"connect clock --replay {path} --replay-from time")
    assert clock.call("get_current_time", timezone="UTC").data == now.data
    penguins = mcp(ip, f"connect penguins --replay {path} --replay-from demo")
    assert penguins.call("query", species="Adelie", limit=1).to_dataframe().equals(rows)
    with pytest.raises(UsageError, match=r"no server 'tiem' in .*; it recorded demo, time"):
        mcp(ip, f"connect x --replay {path} --replay-from tiem")
    with pytest.raises(UsageError, match="--replay-from picks a server of a recording; give --replay PATH"):
        mcp(ip, "connect y --replay-from demo -- python -m mcp_notebook.demo")


def test_listing_only_servers_of_older_recordings_are_not_offered(two_servers, tmp_path):
    """Recordings made before this rule list every connected server; those with no calls are not
    choices, and the hint never names them."""
    ip, path = two_servers, tmp_path / "old.jsonl"
    mcp(ip, f"record {path}")
    mcp(ip, "call demo.echo text=hi")
    stop_text(ip)
    lines = path.read_text().splitlines()
    listed_only = [
        json.dumps({"kind": "server", "server": "aaa", "name": "mcp-time", "version": "1", "instructions": None}),
        json.dumps({"kind": "tools", "server": "aaa", "tools": []}),
    ]
    path.write_text("\n".join([lines[0], *listed_only, *lines[1:]]) + "\n")
    replayed = mcp(ip, f"connect demo3 --replay {path}")
    assert replayed.call("echo", text="hi").text == mcp(ip, "call demo.echo text=hi").text
