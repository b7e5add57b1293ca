"""The HTTP surface as a client sees it (the WSGI application, no socket): which methods are
served, HEAD, the security headers, the bearer token, the shared and bounded status builds,
and pages of load balancers at thousands of them. The server's timeouts and connection limit
are in tests/daemon/test_http_server.py."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import ConfigError, load
from reconciler.daemon import statuspage
from reconciler.daemon.health import make_app
from reconciler.daemon.metrics import Metrics
from tests.support.statusdata import status_of

# access and shared are imported where used: the other tests also run (and fail, saying
# what a client sees) against a daemon that has neither

TOKEN = "tok-3f9a1c77e2"
PATHS = ("/", "/status.json", "/healthz", "/readyz", "/metrics")
OUTSIDE = "10.9.8.7"  # a client that is not on this host


def many(n: int) -> dict[str, Any]:
    return status_of(n, error_every=500)


class Counted:
    """A status source that counts how often the app asks it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data, self.calls = data, 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return self.data


def call(
    app: Any, path: str, method: str = "GET", query: str = "", **environ: str
) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    env = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": method, **environ}
    env.setdefault("REMOTE_ADDR", OUTSIDE)
    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


def open_app(data: dict[str, Any] | None = None) -> Any:
    try:
        return make_app(lambda: {"ok": True}, Metrics(), Counted(data or many(3)), pace=unpaced())
    except ImportError:  # a daemon without pacing
        return make_app(lambda: {"ok": True}, Metrics(), Counted(data or many(3)))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"])
def test_only_get_and_head_are_served(method: str) -> None:
    app = open_app()
    for path in PATHS:
        status, headers, body = call(app, path, method)
        assert status.startswith("405"), (path, method, status)
        assert headers["Allow"] == "GET, HEAD"
        assert b"lb-1" not in body


def test_head_answers_the_headers_without_the_body() -> None:
    app = open_app()
    for path in PATHS:
        get_status, get_headers, get_body = call(app, path)
        status, headers, body = call(app, path, "HEAD")
        assert status == get_status and body == b""
        assert headers["Content-Length"] == str(len(get_body)) != "0"


def test_every_answer_carries_the_security_headers() -> None:
    from reconciler.daemon.access import Access

    token_app = make_app(lambda: {}, Metrics(), Counted(many(3)), Access(token=TOKEN))
    answers = [call(open_app(), p) for p in PATHS]
    answers += [call(open_app(), "/nothing"), call(open_app(), "/", "POST")]
    answers += [call(token_app, "/")]  # 401
    assert {a[0][:3] for a in answers} >= {"200", "401", "404", "405"}
    for _status, headers, _body in answers:
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_page_its_json_and_metrics_need_the_token_and_probes_do_not() -> None:
    from reconciler.daemon.access import Access

    app = make_app(lambda: {"ok": True}, Metrics(), Counted(many(3)), Access(token=TOKEN))
    for path in ("/", "/status.json", "/metrics"):
        status, headers, body = call(app, path)
        assert status.startswith("401") and headers["WWW-Authenticate"].startswith("Bearer")
        assert b"lb-1" not in body and TOKEN.encode() not in body
        assert call(app, path, HTTP_AUTHORIZATION="Bearer wrong-token")[0].startswith("401")
        assert call(app, path, HTTP_AUTHORIZATION=f"Basic {TOKEN}")[0].startswith("401")
        status, headers, body = call(app, path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert status == "200 OK" and TOKEN.encode() not in body
        assert TOKEN not in json.dumps(headers)
    for probe in ("/healthz", "/readyz"):
        assert call(app, probe)[0] == "200 OK"


def test_without_a_token_configured_the_page_is_closed_even_to_localhost() -> None:
    from reconciler.daemon.access import Access

    app = make_app(lambda: {}, Metrics(), Counted(many(3)), Access(token=None))
    status, _headers, body = call(app, "/")
    assert status.startswith("401") and b"http_token_file" in body
    assert call(app, "/healthz")[0] == "200 OK"
    # behind a mesh sidecar every connection comes from a loopback address (Istio: 127.0.0.6)
    for local in ("127.0.0.1", "127.0.0.6", "::1", "::ffff:127.0.0.1"):
        assert call(app, "/", REMOTE_ADDR=local)[0].startswith("401")


def test_a_browser_gives_the_token_as_the_password_of_basic_authentication() -> None:
    import base64

    from reconciler.daemon.access import Access

    def basic(credentials: str) -> str:
        return "Basic " + base64.b64encode(credentials.encode()).decode()

    app = make_app(lambda: {}, Metrics(), Counted(many(3)), Access(token=TOKEN))
    seen: list[tuple[str, str]] = []
    app(
        {"PATH_INFO": "/", "REQUEST_METHOD": "GET", "REMOTE_ADDR": OUTSIDE},
        lambda status, headers: seen.extend(headers),
    )
    challenges = [v for k, v in seen if k == "WWW-Authenticate"]
    assert challenges[0].startswith("Basic ") and any(c.startswith("Bearer ") for c in challenges)
    assert call(app, "/", HTTP_AUTHORIZATION=basic(f"operator:{TOKEN}"))[0] == "200 OK"
    assert call(app, "/", HTTP_AUTHORIZATION=basic(f"{TOKEN}:"))[0].startswith("401")
    assert call(app, "/", HTTP_AUTHORIZATION="Basic !!not-base64")[0].startswith("401")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_access_follows_the_configuration(tmp_path: Path) -> None:
    from reconciler.daemon.access import Access

    token = write(tmp_path / "token", TOKEN + "\n")
    base = "[DEFAULTS]\nhttp_listen = 0.0.0.0:9180\n"
    closed = Access.from_config(load(write(tmp_path / "a.conf", base), environ={}))
    assert not closed.open and closed.token is None
    with_token = load(write(tmp_path / "b.conf", base + f"http_token_file = {token}\n"), environ={})
    access = Access.from_config(with_token)
    assert access.token == TOKEN and not access.open and TOKEN not in repr(access)
    none = load(write(tmp_path / "c.conf", base + "http_auth = none\n"), environ={})
    assert Access.from_config(none).open
    local = load(write(tmp_path / "d.conf", "[DEFAULTS]\nhttp_listen = 127.0.0.1:9\n"), environ={})
    assert Access.from_config(local).open
    with pytest.raises(ConfigError, match="http_auth"):
        load(write(tmp_path / "e.conf", base + "http_auth = off\n"), environ={})


def unpaced() -> Any:
    from reconciler.daemon.shared import Pace

    return Pace(rate=1e9, longest=1.0)


def test_thirty_page_requests_build_the_status_once() -> None:
    source = Counted(many(1000))
    app = make_app(lambda: {}, Metrics(), source, pace=unpaced())
    bodies = {call(app, "/")[2] for _ in range(30)}
    call(app, "/status.json")
    call(app, "/", query="state=ERROR")
    assert source.calls == 1 and len(bodies) == 1


def test_a_status_older_than_its_max_age_is_built_again() -> None:
    from reconciler.daemon.shared import SharedResults

    now = [100.0]
    shared = SharedResults(max_age=1.0, clock=lambda: now[0])
    built = []
    assert shared.get("k", lambda: built.append(1) or "a") == "a"
    assert shared.get("k", lambda: built.append(1) or "b") == "a"
    now[0] += 1.5
    assert shared.get("k", lambda: built.append(1) or "c") == "c"
    assert len(built) == 2


def test_answers_are_paced_and_those_that_would_wait_too_long_are_refused() -> None:
    from reconciler.daemon.shared import Pace

    pace = Pace(rate=20, longest=2.0, clock=lambda: 50.0)  # 45 callers in the same instant
    slept: list[float] = []
    allowed = [pace.wait(sleep=slept.append) for _ in range(45)]
    assert allowed == [True] * 41 + [False] * 4  # turns 0, 0.05 … 2.0 s away
    assert slept[0] == pytest.approx(0.05) and slept[-1] == pytest.approx(2.0)


def test_a_page_flood_gets_503_with_retry_after_while_probes_answer() -> None:
    from reconciler.daemon.shared import Pace

    app = make_app(lambda: {}, Metrics(), Counted(many(3)), pace=Pace(rate=1, longest=0.0))
    assert call(app, "/")[0] == "200 OK"
    status, headers, _body = call(app, "/")
    assert status.startswith("503") and headers["Retry-After"] == "2"
    assert call(app, "/healthz")[0] == "200 OK" and call(app, "/readyz")[0] == "200 OK"


def test_requests_without_the_token_do_not_use_up_the_pages_turns() -> None:
    from reconciler.daemon.access import Access
    from reconciler.daemon.shared import Pace

    app = make_app(
        lambda: {}, Metrics(), Counted(many(3)), Access(token=TOKEN), pace=Pace(1, longest=0.0)
    )
    assert all(call(app, "/")[0].startswith("401") for _ in range(20))
    assert call(app, "/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[0] == "200 OK"


def test_at_most_two_builds_run_at_once_and_waiters_share_one() -> None:
    from reconciler.daemon.shared import SharedResults

    shared = SharedResults(concurrent=2)
    running, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def build() -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
        return "page"

    keys = ["a", "b", "c", "d", "a", "a"]
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda k=k: results.append(shared.get(k, build))) for k in keys
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while running[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["page"] * 6
    assert most[0] == 2
    assert shared.builds == 4  # "a" once for its three callers


def test_thousands_of_load_balancers_come_a_page_at_a_time() -> None:
    app = make_app(lambda: {}, Metrics(), Counted(many(3000)), pace=unpaced())
    _status, _headers, body = call(app, "/")
    page = body.decode()
    assert page.count('<tr class="lb') == statuspage.PAGE_SIZE
    assert "page 1 of 30" in page and 'href="./?page=2"' in page
    assert len(body) < 300_000
    second = call(app, "/", query="page=2")[2].decode()
    assert "page 2 of 30" in second and 'data-name="lb-' in second
    first = json.loads(call(app, "/status.json")[2])
    assert len(first["load_balancers"]) == 500 and first["load_balancers_matched"] == 3000
    assert first["next_offset"] == 500
    last = json.loads(call(app, "/status.json", query="offset=2900&limit=500")[2])
    assert len(last["load_balancers"]) == 100 and last["next_offset"] is None


def test_the_probe_process_answers_what_the_daemon_last_sent() -> None:
    from reconciler.daemon import probes

    state = probes.ProbeState()
    assert state.answer("/readyz")[0] == 503  # nothing sent yet: not ready
    state.update(json.dumps({"checks": {"initial_sync": False}}))
    assert state.answer("/healthz") == (200, "text/plain", b"ok\n")
    code, kind, body = state.answer("/readyz")
    assert code == 503 and json.loads(body)["checks"] == {"initial_sync": False}
    state.update(json.dumps({"checks": {"initial_sync": True}}))
    assert state.answer("/readyz")[0] == 200
    state.beat -= probes.STALLED_SECONDS + 1  # the loop stopped turning: restart the daemon
    code, _kind, body = state.answer("/healthz")
    assert code == 503 and b"stalled" in body
    assert state.answer("/") is None
