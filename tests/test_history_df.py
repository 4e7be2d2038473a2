"""`%mcp history --df`: the history is a DataFrame already, so --df is accepted and changes nothing."""

from __future__ import annotations

import pandas as pd


def test_history_accepts_df(ip):
    ip.run_line_magic("mcp", "connect demo")
    ip.run_line_magic("mcp", "call demo.echo text=one")
    ip.run_line_magic("mcp", "call demo.echo text=two")
    plain = ip.run_line_magic("mcp", "history")
    frame = ip.run_line_magic("mcp", "history --df")
    assert isinstance(frame, pd.DataFrame) and list(frame["name"]) == ["echo", "echo"]
    pd.testing.assert_frame_equal(frame, plain)
    assert ip.run_line_magic("mcp", "history --last 1 --df -o h") is None
    assert len(ip.user_ns["h"]) == 1
