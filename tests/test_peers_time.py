"""``mcp-server-time`` (PyPI, 2026-07-28 era: ``server/discover``, stateless) over stdio.

Its answers depend on the clock, so these tests assert their shape, not their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError

from mcp_notebook._runtime import Runtime
from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ArgumentsInvalid, UsageProblem
from tests.conftest import pids_alive
from tests.peers import time_server_bin

pytestmark = pytest.mark.peers

ERA = "2026-07-28"
TIME_KEYS = {"timezone", "datetime", "day_of_week", "is_dst"}
WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


@pytest.fixture(scope="module")
def time_server() -> Iterator[Server]:
    """One time server shared by the tests that only ask it questions."""
    runtime = Runtime(name="mcp-notebook-peers-time")
    hub = Hub(runtime, timeout=30.0, progress=False)
    try:
        yield hub.connect("time", command=[str(time_server_bin())])
    finally:
        hub.close_all()
        runtime.stop()


def assert_time_shape(value: dict, timezone: str) -> dt.datetime:
    assert set(value) == TIME_KEYS
    assert value["timezone"] == timezone
    assert value["day_of_week"] in WEEKDAYS
    assert isinstance(value["is_dst"], bool)
    when = dt.datetime.fromisoformat(value["datetime"])
    assert when.tzinfo is not None
    assert when.strftime("%A") == value["day_of_week"]
    return when


def test_speaks_the_2026_07_28_era(time_server: Server) -> None:
    assert time_server.state == "ready"
    assert time_server.protocol_version == ERA
    assert time_server.server_info.name == "mcp-time"
    assert f"ready · stdio · {ERA} · mcp-time" in time_server._repr_mimebundle_()["text/plain"]


def test_lists_two_tools_and_nothing_else(time_server: Server) -> None:
    tools = time_server.tools()
    assert tools.names() == ["get_current_time", "convert_time"]
    frame = tools.to_dataframe()
    assert frame.loc[frame["name"] == "get_current_time", "arguments"].item() == "timezone*: string"
    assert set(frame["annotations"]) == {"read-only, idempotent"}
    assert len(time_server.resources()) == 0
    assert len(time_server.templates()) == 0
    assert len(time_server.prompts()) == 0


def test_current_time_is_structured(time_server: Server) -> None:
    result = time_server.call("get_current_time", timezone="UTC")
    assert not result.is_error
    when = assert_time_shape(result.data, "UTC")
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - when) < dt.timedelta(minutes=5)
    assert result.structured == result.data


def test_current_time_as_a_one_row_frame_and_a_table(time_server: Server) -> None:
    result = time_server.call("get_current_time", timezone="Europe/Paris")
    frame = result.to_dataframe()
    assert len(frame) == 1
    assert set(frame.columns) == TIME_KEYS
    assert frame["timezone"].item() == "Europe/Paris"
    bundle = result._repr_mimebundle_()
    assert "<table" in bundle["text/html"]
    assert "day_of_week" in bundle["text/html"]
    # The JSON text block duplicates the structured content, so it is not shown a second time.
    assert bundle["text/html"].count("Europe/Paris") == 1


def test_convert_time(time_server: Server) -> None:
    result = time_server.call("convert_time", source_timezone="UTC", time="12:00", target_timezone="Asia/Tokyo")
    data = result.data
    assert set(data) == {"source", "target", "time_difference"}
    source = assert_time_shape(data["source"], "UTC")
    target = assert_time_shape(data["target"], "Asia/Tokyo")  # Japan has no daylight saving time
    assert (source.hour, source.minute) == (12, 0)
    assert (target.hour, target.utcoffset()) == (21, dt.timedelta(hours=9))
    assert source == target
    assert data["time_difference"] == "+9.0h"


def test_missing_argument_is_named_before_sending(time_server: Server) -> None:
    with pytest.raises(ArgumentsInvalid, match="missing required argument 'target_timezone'"):
        time_server.call("convert_time", source_timezone="UTC", time="12:00")


def test_unknown_timezone_is_an_error_result(time_server: Server) -> None:
    result = time_server.call("get_current_time", timezone="Mars/Olympus_Mons")
    assert result.is_error
    assert "Invalid timezone" in result.text
    assert "failed" in result._repr_mimebundle_()["text/html"]
    with pytest.raises(UsageProblem, match="no table"):
        result.to_dataframe()


def test_close_stops_the_server_process(hub: Hub) -> None:
    server = hub.connect("time", command=[str(time_server_bin())])
    pid = server.connection.pid
    assert pid is not None and pids_alive([pid]) == [pid]
    server.close()
    assert pids_alive([pid]) == []
    assert server.state == "closed"


def test_magics(ip) -> None:
    server = ip.run_line_magic("mcp", f"connect time -- {time_server_bin()}")
    assert server.protocol_version == ERA
    frame = ip.run_line_magic("mcp", "call time.get_current_time timezone=UTC --df")
    assert len(frame) == 1
    assert set(frame.columns) == TIME_KEYS
    assert frame["timezone"].item() == "UTC"
    assert ip.run_line_magic("mcp", "call time.get_current_time timezone=UTC -o now") is None
    assert_time_shape(ip.user_ns["now"].data, "UTC")
    converted = ip.run_line_magic(
        "mcp", "call time.convert_time source_timezone=UTC time='09:30' target_timezone=Asia/Tokyo"
    )
    assert converted.data["target"]["datetime"].endswith("T18:30:00+09:00")
    with pytest.raises(UsageError, match="missing required argument 'target_timezone'"):
        ip.run_line_magic("mcp", "call time.convert_time source_timezone=UTC time='09:30'")
    with pytest.raises(UsageError, match="did you mean 'get_current_time'"):
        ip.run_line_magic("mcp", "call time.get_curent_time timezone=UTC")
    pid = server.connection.pid
    ip.run_line_magic("mcp", "disconnect time")
    assert pids_alive([pid]) == []
