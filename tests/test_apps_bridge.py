"""The kernel's side of an MCP App, driven by a fake front end (no browser).

Every message the host answers (tools/call, resources/read and /list, ui/message,
ui/update-model-context, ui/open-link, ui/download-file, notifications/message), the refusals
(a tool the App's visibility forbids, another server's tool, a closed App, a link the user
declines, a download of a web URL), and teardown (from Python, when the connection closes, when
the output is cleared). The App's server is tests/servers/apps_server.py, in process.
"""

from __future__ import annotations

import base64
import queue
import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_notebook import apps
from mcp_notebook.api import Hub
from mcp_notebook.apps import _files, _session
from mcp_notebook.errors import ArgumentsInvalid, UsageProblem

sys.path.insert(0, str(Path(__file__).resolve().parent / "servers"))
import apps_server  # noqa: E402

WAIT = 30.0  # seconds: a safety net so a bug fails the test instead of hanging it, never a measure


class FakeFrontEnd:
    """Plays the browser: sends what AppBridge would forward, collects what the kernel sends.

    ``to_kernel`` takes each message (the session's ``receive``, or the widget's custom-message
    handler); the kernel's messages arrive through ``deliver``.
    """

    def __init__(self, session: _session.AppSession, to_kernel: Any = None, view: str = "view-1") -> None:
        self.session = session
        self.to_kernel = to_kernel or session.receive
        self.view = view
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.other: list[dict[str, Any]] = []
        self._next = 0

    def deliver(self, message: dict[str, Any]) -> None:  # the session's ``send``
        self.inbox.put(message)

    def open(self, sandbox: str = "proxy") -> None:
        self.notify("opened", {"sandbox": sandbox})
        self.notify("initialized", {"appInfo": {"name": "fake", "version": "1"}})

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.to_kernel({"type": "notify", "view": self.view, "method": method, "params": params or {}})

    def send(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next += 1
        self.to_kernel(
            {"type": "request", "view": self.view, "id": self._next, "method": method, "params": params or {}}
        )
        return self._next

    def next(self, kind: str) -> dict[str, Any]:
        """The next message of ``kind`` the kernel sent (others are kept in ``other``)."""
        while True:
            message = self.inbox.get(timeout=WAIT)
            if message.get("type") == kind:
                return message
            self.other.append(message)

    def answer_of(self, rid: int) -> dict[str, Any]:
        while True:
            message = self.next("response")
            if message["id"] == rid:
                assert message["view"] == self.view
                return message
            self.other.append(message)

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.answer_of(self.send(method, params))

    def reply(self, ask: dict[str, Any], ok: bool) -> None:
        self.to_kernel({"type": "answer", "view": self.view, "ask": ask["ask"], "ok": ok})


@pytest.fixture
def server(hub: Hub) -> Any:
    return hub.connect("tools", server=apps_server.build_server())


@pytest.fixture
def events(hub: Hub) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    hub.on("app", lambda **details: seen.append(details))
    return seen


@pytest.fixture
def front(server: Any, hub: Hub) -> FakeFrontEnd:
    """An App session of ``tools.show`` talking to a fake front end, already initialized."""
    fake: FakeFrontEnd
    session = _session.AppSession(
        server,
        "show",
        send=lambda m: fake.deliver(m),
        emit=lambda kind, **data: hub.events.emit("app", server="tools", tool="show", kind=kind, data=data, app=None),
    )
    fake = FakeFrontEnd(session)
    fake.open()
    return fake


def history_names(hub: Hub) -> list[str]:
    frame = hub.history()
    return [f"{s}.{n}:{st}" for s, n, st in zip(frame["server"], frame["name"], frame["status"], strict=True)]


# -- tools ----------------------------------------------------------------------------------------


def test_a_tool_call_from_the_app_is_a_call_of_the_notebook(front: FakeFrontEnd, hub: Hub) -> None:
    answer = front.request("tools/call", {"name": "echo", "arguments": {"text": "hi"}})
    assert answer["result"]["content"] == [{"type": "text", "text": "echo: hi"}]
    assert "tools.echo:ok" in history_names(hub)  # in %mcp history, like any call


def test_an_app_only_tool_is_callable_from_its_app(front: FakeFrontEnd) -> None:
    answer = front.request("tools/call", {"name": "refresh", "arguments": {"n": 3}})
    assert answer["result"]["content"][0]["text"] == "refreshed 3"


def test_a_tool_whose_visibility_forbids_apps_is_refused(front: FakeFrontEnd, hub: Hub, events: list) -> None:
    answer = front.request("tools/call", {"name": "secret"})
    assert answer["error"]["code"] == _files.REFUSED
    assert "may not be called from an App" in answer["error"]["message"] and "['model']" in answer["error"]["message"]
    assert not any(n.startswith("tools.secret") for n in history_names(hub))  # never sent to the server
    assert front.session.refused[-1]["method"] == "tools/call"
    assert [e["kind"] for e in events] == ["refused"]


def test_another_servers_tools_are_out_of_reach(front: FakeFrontEnd, hub: Hub) -> None:
    demo = hub.connect("other", server=apps_server.build_server())
    for name in ("other.echo", "query", "demo.query"):
        answer = front.request("tools/call", {"name": name})
        assert answer["error"]["code"] == _files.INVALID_PARAMS, name
        assert "only the tools of its own server" in answer["error"]["message"]
    assert demo.state == "ready"
    assert not any(n.startswith("other.") for n in history_names(hub))


def test_bad_tool_arguments_come_back_as_an_error_not_a_crash(front: FakeFrontEnd) -> None:
    answer = front.request("tools/call", {"name": "refresh", "arguments": {"n": "three"}})
    assert answer["error"]["code"] == _files.INVALID_PARAMS
    assert "n" in answer["error"]["message"]
    assert front.request("tools/call", {"name": "echo"})["result"]["content"][0]["text"] == "echo: "  # still serving


def test_requests_beyond_the_in_flight_bound_are_refused(front: FakeFrontEnd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_session, "MAX_IN_FLIGHT", 1)
    apps_server.released.clear()
    first = front.send("tools/call", {"name": "hold"})
    refused = front.request("tools/call", {"name": "echo"})
    assert "already running" in refused["error"]["message"]
    apps_server.released.set()
    assert front.answer_of(first)["result"]["content"][0]["text"] == "released"


# -- resources ------------------------------------------------------------------------------------


def test_resource_reads_and_listings_go_to_the_apps_server(front: FakeFrontEnd, hub: Hub) -> None:
    read = front.request("resources/read", {"uri": "test://notes.txt"})
    assert read["result"]["contents"][0]["text"] == "notes from the server\n"
    listed = front.request("resources/list")
    assert {r["uri"] for r in listed["result"]["resources"]} >= {"test://notes.txt", apps_server.APP_URI}
    assert "resourceTemplates" in front.request("resources/templates/list")["result"]
    missing = front.request("resources/read", {"uri": "test://nothing"})
    assert "error" in missing and "nothing" in missing["error"]["message"]


# -- what the App tells the notebook ----------------------------------------------------------------


def test_messages_context_and_logs_become_python_state_and_events(front: FakeFrontEnd, events: list) -> None:
    said = [{"type": "text", "text": "Look at March"}]
    assert front.request("ui/message", {"role": "user", "content": said})["result"] == {}
    assert front.session.messages == [{"role": "user", "content": said, "text": "Look at March"}]
    first = {"structuredContent": {"cohort": "2026-03"}}
    second = {"content": [{"type": "text", "text": "April"}], "structuredContent": {"cohort": "2026-04"}}
    front.request("ui/update-model-context", first)
    front.request("ui/update-model-context", second)
    assert front.session.context == second  # each update replaces the last
    front.notify("notifications/message", {"level": "info", "data": "drawn"})
    assert front.session.logs == [{"level": "info", "data": "drawn"}]
    assert [e["kind"] for e in events] == ["message", "context", "context", "log"]
    assert events[1]["data"]["context"] == first


def test_an_unknown_method_is_method_not_found(front: FakeFrontEnd) -> None:
    answer = front.request("sampling/createMessage", {"messages": []})
    assert answer["error"]["code"] == _files.METHOD_NOT_FOUND


# -- consent: links and downloads ---------------------------------------------------------------------


def test_a_link_opens_only_after_the_user_agrees(front: FakeFrontEnd, events: list) -> None:
    rid = front.send("ui/open-link", {"url": "https://example.org/report"})
    ask = front.next("ask")
    assert ask["kind"] == "open-link" and ask["url"] == "https://example.org/report" and ask["action"] == "Open"
    assert front.inbox.empty()  # no answer to the App before the user's
    front.reply(ask, True)
    assert front.answer_of(rid)["result"] == {}
    rid = front.send("ui/open-link", {"url": "https://example.org/other"})
    front.reply(front.next("ask"), False)
    assert "denied by the user" in front.answer_of(rid)["error"]["message"]
    assert [e["kind"] for e in events] == ["link", "refused"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "http://", "data:text/html,x", 5])
def test_a_link_that_is_not_http_is_refused_without_asking(front: FakeFrontEnd, url: Any) -> None:
    answer = front.request("ui/open-link", {"url": url})
    assert answer["error"]["code"] == _files.INVALID_PARAMS
    assert all(m.get("type") != "ask" for m in front.other)


def embedded(name: str, text: str | None = None, blob: bytes | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"uri": f"file:///{name}", "mimeType": "text/csv"}
    if blob is not None:
        body["blob"] = base64.b64encode(blob).decode()
    else:
        body["text"] = text
    return {"type": "resource", "resource": body}


def test_a_download_is_saved_in_the_kernels_folder_after_consent(
    front: FakeFrontEnd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: list
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cohorts.csv").write_text("already here")
    rid = front.send("ui/download-file", {"contents": [embedded("cohorts.csv", "a,b\n1,2\n")]})
    ask = front.next("ask")
    assert ask["kind"] == "download" and "cohorts.csv" in ask["text"] and str(tmp_path) in ask["text"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohorts.csv"]  # nothing written before the yes
    front.reply(ask, True)
    assert front.answer_of(rid)["result"] == {}
    assert (tmp_path / "cohorts.csv").read_text() == "already here"  # never overwritten
    assert (tmp_path / "cohorts (1).csv").read_text() == "a,b\n1,2\n"
    assert front.session.saved == [tmp_path / "cohorts (1).csv"]
    assert events[-1]["kind"] == "download"


def test_a_declined_download_writes_nothing(
    front: FakeFrontEnd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rid = front.send("ui/download-file", {"contents": [embedded("x.bin", blob=b"\x00\x01")]})
    front.reply(front.next("ask"), False)
    assert front.answer_of(rid)["result"] == {"isError": True}
    assert list(tmp_path.iterdir()) == []


def test_download_names_cannot_leave_the_folder(
    front: FakeFrontEnd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    item = {"type": "resource", "resource": {"uri": "file:///../../etc/evil%2F..%2Fpasswd", "text": "x"}}
    rid = front.send("ui/download-file", {"contents": [item, embedded("..", "y")]})
    front.reply(front.next("ask"), True)
    assert front.answer_of(rid)["result"] == {}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["download-2", "passwd"] and not (tmp_path.parent / "passwd").exists()


def test_a_resource_link_is_read_from_the_apps_server_and_web_links_are_refused(
    front: FakeFrontEnd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    link = {"type": "resource_link", "uri": "test://notes.txt", "name": "notes.txt"}
    rid = front.send("ui/download-file", {"contents": [link]})
    front.reply(front.next("ask"), True)
    assert front.answer_of(rid)["result"] == {}
    assert (tmp_path / "notes.txt").read_text() == "notes from the server\n"
    web = {"type": "resource_link", "uri": "https://example.org/x.csv", "name": "x.csv"}
    answer = front.request("ui/download-file", {"contents": [web]})
    assert answer["result"]["isError"] is True and "on the web" in answer["result"]["error"]
    assert not (tmp_path / "x.csv").exists()


# -- the end ------------------------------------------------------------------------------------------


def test_closing_sends_teardown_declines_open_questions_and_refuses_later_requests(
    front: FakeFrontEnd, events: list
) -> None:
    rid = front.send("ui/open-link", {"url": "https://example.org"})
    ask = front.next("ask")
    front.session.close("closed from Python")
    assert front.next("teardown")["reason"] == "closed from Python"
    assert "denied" in front.answer_of(rid)["error"]["message"]  # the question nobody can answer now
    front.reply(ask, True)  # too late: nothing happens
    later = front.request("tools/call", {"name": "echo"})
    assert "this App was closed (closed from Python)" in later["error"]["message"]
    assert front.session.state == "closed"
    assert [e["kind"] for e in events] == ["refused", "closed", "refused"]  # the link, then the late call
    assert events[1]["data"] == {"reason": "closed from Python"}


def test_clearing_the_output_closes_the_app_once_every_view_is_gone(front: FakeFrontEnd) -> None:
    second = FakeFrontEnd(front.session, view="view-2")
    second.open(sandbox="srcdoc")
    front.notify("removed", {"reason": "its output was cleared"})
    assert front.session.state == "open"  # the other view still shows it
    second.notify("removed", {"reason": "its output was cleared"})
    assert front.session.state == "closed" and front.session.closed_because == "its output was cleared"


# -- the view (the widget) and the host ---------------------------------------------------------------


@pytest.fixture
def host(hub: Hub) -> Any:
    made = apps.AppHost(hub)
    yield made
    made.close()


def wired(view: apps.AppView) -> FakeFrontEnd:
    """A fake front end on the view's real widget: custom messages in, the widget's ``send`` out."""
    fake = FakeFrontEnd(view.session, lambda content: view.frame._handle_custom_msg(content, []))
    view.frame.send = lambda content, buffers=None: fake.deliver(content)
    fake.open()
    return fake


def test_the_view_feeds_the_app_the_call_and_answers_through_its_widget(host: Any, server: Any) -> None:
    result = server.call("show", label="march")
    view = host.view(server, "show", {"label": "march"}, result)
    assert view.frame.tool_input == {"label": "march"}
    assert view.frame.tool_result == result.raw.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert view.frame.tool_info["name"] == "show"
    html = view.frame.html
    assert html.startswith('<!DOCTYPE html><meta http-equiv="Content-Security-Policy"')
    assert "connect-src https://api.example.com;" in html and "unsafe-eval" not in html  # refused entries
    assert view.frame.connects_to == ["https://api.example.com"] and view.frame.prefers_border is True
    assert view.frame.proxy_port > 0 and view.frame.proxy_path.startswith("/sandbox/")
    fake = wired(view)
    answer = fake.request("tools/call", {"name": "echo", "arguments": {"text": "widget"}})
    assert answer["result"]["content"][0]["text"] == "echo: widget"
    assert view.state == "open" and view.sandbox == "proxy"


def test_a_view_displays_as_the_app_with_the_result_as_fallback(host: Any, server: Any) -> None:
    result = server.call("show", label="x")
    view = host.view(server, "show", {"label": "x"}, result)
    bundle = view._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view._box.model_id
    shown = result._repr_mimebundle_()["text/plain"]  # the result as it displays on its own
    assert shown in bundle["text/plain"] and "has an interactive view (an MCP App)" in bundle["text/plain"]
    assert "has an interactive view" in bundle["text/html"]
    assert set(view._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}


def test_present_says_what_a_call_shows(host: Any, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = server.call("echo", text="x")
    assert host.present(server, plain) is None  # no App: the result alone
    shown = server.call("show")
    note = host.present(server, shown)  # not in a kernel: the result plus one line
    assert note == apps.fallback_text("tools", "show")
    monkeypatch.setattr("mcp_notebook.apps._host.widgets_available", lambda: True)
    view = host.present(server, shown)
    assert isinstance(view, apps.AppView) and view.result is shown
    wrong = host.present(server, server.call("plain"))
    assert isinstance(wrong, str) and "not an MCP App" in wrong and "text/html" in wrong


def test_open_shows_the_app_first_and_gives_it_the_result_when_it_comes(host: Any, server: Any) -> None:
    view = host.open(server, "show", label="later")
    assert view.frame.tool_input == {"label": "later"}
    view.handle.result(timeout=WAIT)
    assert view.result is not None and view.result.structured == {"label": "later", "values": [1, 2, 3]}
    assert view.frame.tool_result is not None and view.frame.tool_result["structuredContent"]["label"] == "later"
    with pytest.raises(ArgumentsInvalid):
        host.open(server, "show", label=5)
    with pytest.raises(UsageProblem, match="has no App"):
        host.open(server, "echo")
    with pytest.raises(UsageProblem, match="no tool 'shwo'.*did you mean 'show'"):
        host.open(server, "shwo")


def test_an_app_learns_when_its_call_fails_or_is_cancelled(host: Any, server: Any) -> None:
    failed = host.open(server, "broken")
    failed.handle.result(timeout=WAIT)
    assert failed.result.is_error and failed.frame.tool_result["isError"] is True  # a tool error is a result
    assert "broken on purpose" in failed._repr_mimebundle_()["text/plain"]
    apps_server.released.clear()
    held = host.open(server, "hold")
    held.handle.cancel()
    apps_server.released.set()
    assert held.frame.tool_cancelled == "cancelled" and held.result is None
    assert "cancelled" in held._repr_mimebundle_()["text/plain"]


def test_present_for_async_callers(host: Any, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setattr("mcp_notebook.apps.widgets_available", lambda: True)
    shown = server.call("show")
    view = asyncio.run(apps.apresent(host, server, shown))
    assert isinstance(view, apps.AppView) and view.frame.tool_result is not None
    assert asyncio.run(apps.apresent(host, server, server.call("echo"))) is None


def test_the_apps_of_a_connection_are_torn_down_when_it_closes(host: Any, server: Any, hub: Hub) -> None:
    view = host.view(server, "show", {}, server.call("show"))
    fake = wired(view)
    hub.disconnect("tools")
    assert fake.next("teardown")["reason"] == "the connection to tools closed"
    assert view.state == "closed" and view.frame.closed == "the connection to tools closed"
    assert host.views() == []
