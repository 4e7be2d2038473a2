"""Roots: nothing is offered unless the user names it (issue 11, items 1 and 11).

The filesystem server replaces the folders on its command line with the client's roots, so a
root the user did not choose changes what it may read. These tests run the real
``@modelcontextprotocol/server-filesystem`` from a working directory that is not its folder.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from mcp.server.mcpserver import Context, MCPServer

from mcp_notebook.api import Hub, Server
from mcp_notebook.errors import ServerError, UsageProblem
from tests.peers import everything_js, filesystem_bin

DEMO = [sys.executable, "-m", "mcp_notebook.demo"]


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """A data folder (the server's own), a notebook folder (the kernel's cwd), another folder."""
    made = {}
    for name in ("data", "notebook", "other"):
        folder = (tmp_path / name).resolve()
        folder.mkdir()
        (folder / f"{name}.txt").write_text(f"inside {name}\n")
        made[name] = folder
    monkeypatch.chdir(made["notebook"])
    yield made


def allowed(fs: Server) -> str:
    return fs.call("list_allowed_directories").text or ""


def settled(fs: Server, folder: Path, present: bool = True) -> str:
    """The allowed directories once ``folder`` is (or is no longer) among them.

    server-filesystem asks for roots after the handshake (and after each change) and applies
    them a few milliseconds after the answer, on its own; a call made at once may still see the
    previous folders. Both sets were chosen by the user, so that moment grants nothing new.
    """
    deadline = time.monotonic() + 10
    while (str(folder) in allowed(fs)) != present and time.monotonic() < deadline:
        time.sleep(0.02)
    return allowed(fs)


def readable(fs: Server, path: Path) -> bool:
    result = fs.call("read_text_file", path=str(path))
    if result.is_error:
        assert "access denied" in (result.text or "").lower(), result.text
    return not result.is_error


@pytest.mark.peers
def test_without_roots_the_server_keeps_its_own_folder(hub: Hub, folders: dict[str, Path]) -> None:
    fs = hub.connect("fs", command=[str(filesystem_bin()), str(folders["data"])])
    assert str(folders["data"]) in allowed(fs)
    assert str(folders["notebook"]) not in allowed(fs)
    assert readable(fs, folders["data"] / "data.txt")
    assert not readable(fs, folders["notebook"] / "notebook.txt")  # the kernel's cwd is not granted
    assert fs.roots() == []


@pytest.mark.peers
def test_named_roots_are_what_the_server_may_read(hub: Hub, folders: dict[str, Path]) -> None:
    fs = hub.connect("fs", command=[str(filesystem_bin()), str(folders["data"])], roots=[folders["other"]])
    assert str(folders["data"]) not in settled(fs, folders["other"])
    assert readable(fs, folders["other"] / "other.txt")
    assert not readable(fs, folders["data"] / "data.txt")
    assert not readable(fs, folders["notebook"] / "notebook.txt")
    # A root added later is told to the server, which then reads there too.
    assert fs.add_root(folders["notebook"]) == [str(folders["other"]), str(folders["notebook"])]
    settled(fs, folders["notebook"])
    assert readable(fs, folders["notebook"] / "notebook.txt")
    assert fs.remove_root(folders["notebook"]) == [str(folders["other"])]
    settled(fs, folders["notebook"], present=False)
    assert not readable(fs, folders["notebook"] / "notebook.txt")
    with pytest.raises(UsageProblem, match="last root"):
        fs.remove_root(folders["other"])


@pytest.mark.peers
def test_magics_root_option_and_the_servers_table(ip, folders: dict[str, Path]) -> None:
    fs = ip.run_line_magic("mcp", f"connect fs --root {folders['other']} -- {filesystem_bin()} {folders['data']}")
    ip.run_line_magic("mcp", f"connect plain -- {filesystem_bin()} {folders['data']}")
    assert str(folders["data"]) not in settled(fs, folders["other"])
    table = ip.run_line_magic("mcp", "servers").to_dataframe().set_index("name")
    assert table.loc["fs", "roots"] == str(folders["other"])
    assert table.loc["plain", "roots"] == ""
    assert str(folders["other"]) in ip.run_line_magic("mcp", "servers")._repr_mimebundle_()["text/html"]
    assert f"roots: {folders['other']}" in fs._repr_mimebundle_()["text/plain"]
    # A connection made without roots never declared them: it cannot be offered one mid-session.
    with pytest.raises(UsageError, match="without roots") as refused:
        ip.run_line_magic("mcp", f"roots plain add {folders['other']}")
    assert "--root" in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(UsageError, match="no folder"):
        ip.run_line_magic("mcp", f"connect typo --root {folders['data']}/nope -- {filesystem_bin()} {folders['data']}")


@pytest.mark.peers
def test_no_roots_capability_is_declared_without_roots(hub: Hub, folders: dict[str, Path]) -> None:
    # server-everything registers get-roots-list only for a client that declares roots.
    bare = hub.connect("bare", command=["node", str(everything_js()), "stdio"])
    assert "get-roots-list" not in bare.tools(refresh=True).names()
    rooted = hub.connect("rooted", command=["node", str(everything_js()), "stdio"], roots=[folders["data"]])
    assert "get-roots-list" in rooted.tools(refresh=True).names()
    assert folders["data"].as_uri() in (rooted.call("get-roots-list").text or "")


@pytest.mark.parametrize("protocol", ["auto", "legacy"])
def test_the_demo_sees_only_the_roots_given(hub: Hub, protocol: str, folders: dict[str, Path]) -> None:
    demo = hub.connect("d", command=DEMO, protocol=protocol)
    assert demo.roots() == []
    with pytest.raises(ServerError, match="did not declare the roots capability"):
        demo.call("roots")  # the python SDK's servers check the capability before asking
    given = hub.connect("g", command=DEMO, protocol=protocol, roots=[folders["data"]])
    assert given.call("roots").data == {"result": [{"uri": folders["data"].as_uri(), "name": "data"}]}


def test_a_server_that_asks_anyway_gets_no_roots(hub: Hub) -> None:
    asker = MCPServer("asker")

    @asker.tool()
    async def ask(ctx: Context) -> list[str]:
        """Ask for roots whatever the client declared (the 2025-era SDK session does not check)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # roots are deprecated in 2026-07-28
            offered = await ctx.session.list_roots()
        return [str(r.uri) for r in offered.roots]

    server = hub.connect("asker", server=asker, protocol="legacy")
    assert server.call("ask").data == {"result": []}
    assert "sent none" in server.log().text


def test_relative_roots_are_fixed_when_given(hub: Hub, folders: dict[str, Path]) -> None:
    demo = hub.connect("d", command=DEMO, roots=["."])
    assert demo.roots() == [str(folders["notebook"])]
    os.chdir(folders["data"])  # the notebook moving on does not move the root
    assert demo.call("roots").data["result"][0]["uri"] == folders["notebook"].as_uri()


# -- connecting again with other options (item 11) ----------------------------------------------------


@pytest.mark.peers
def test_connecting_again_moves_the_roots_of_the_live_connection(ip, folders: dict[str, Path]) -> None:
    base = f"-- {filesystem_bin()} {folders['data']}"
    first = ip.run_line_magic("mcp", f"connect fs --root {folders['other']} {base}")
    pid = first.connection.pid
    settled(first, folders["other"])
    again = ip.run_line_magic("mcp", f"connect fs --root {folders['notebook']} {base}")
    assert again.connection.pid == pid  # the same live server, told that its roots changed
    assert str(folders["other"]) not in settled(again, folders["notebook"])
    # Dropping every root, or adding some to a server connected without, needs a new session.
    with pytest.raises(UsageError, match="disconnect fs"):
        ip.run_line_magic("mcp", f"connect fs {base}")
    ip.run_line_magic("mcp", f"connect plain {base}")
    with pytest.raises(UsageError, match="disconnect plain"):
        ip.run_line_magic("mcp", f"connect plain --root {folders['other']} {base}")
    assert str(folders["other"]) not in ip.run_line_magic("mcp", "call plain.list_allowed_directories").text


def test_connecting_again_applies_the_new_answer_policy(ip, capsys) -> None:
    ip.run_line_magic("mcp", f"connect d --on-elicit decline -- {' '.join(DEMO)}")
    pid = ip.run_line_magic("mcp", "servers")["d"]["pid"]
    assert ip.run_line_magic("mcp", "call d.adopt penguin=Widget").text == "No adoption: the request was declined."
    capsys.readouterr()
    ip.run_line_magic("mcp", f"connect d --on-elicit cancel -- {' '.join(DEMO)}")
    assert "--on-elicit cancel" in capsys.readouterr().err  # said once, in the cell that changed it
    assert ip.run_line_magic("mcp", "servers")["d"]["pid"] == pid
    assert ip.run_line_magic("mcp", "call d.adopt penguin=Widget").text == "No adoption: the request was cancelled."
    ip.run_line_magic("mcp", f"connect d --on-elicit cancel -- {' '.join(DEMO)}")
    assert capsys.readouterr().err == ""  # nothing changed, nothing said
