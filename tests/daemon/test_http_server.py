"""The daemon's HTTP server over real sockets (``tests/support/status_server.py`` in a process
of its own): idle connections are closed, more idle sockets than descriptors do not lock the
probes out nor write tracebacks, and HEAD answers without a body on a kept-alive connection.
No timing is asserted beyond generous bounds: these say what a client sees, not how fast."""

from __future__ import annotations

import contextlib
import http.client
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.daemon.conftest import Daemon
from tests.support.polling import free_port, wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


class StatusServer:
    def __init__(self, process: subprocess.Popen[bytes], listen: str, log: Path) -> None:
        self.process, self.listen, self.log = process, listen, log
        self.host, _, port = listen.rpartition(":")
        self.port = int(port)

    def get(self, path: str, timeout: float = 5.0) -> requests.Response:
        return requests.get(f"http://{self.listen}{path}", timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def status_server(tmp_path: Path) -> Iterator[Callable[..., StatusServer]]:
    started: list[StatusServer] = []

    def start(*args: str) -> StatusServer:
        listen = f"127.0.0.1:{free_port()}"
        log = tmp_path / f"server{len(started)}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.status_server", "--listen", listen, *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=out,
            )
        server = StatusServer(process, listen, log)
        started.append(server)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"serving", server.output()
        return server

    yield start
    for server in started:
        server.process.kill()
        server.process.wait(10)
        print(f"--- {server.log} ---\n{server.output()[-4000:]}")


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """The server closed ``sock`` (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_connections_that_send_nothing_or_half_a_request_are_closed(status_server) -> None:
    server = status_server("--read-timeout", "0.5")
    silent = socket.create_connection((server.host, server.port))
    half = socket.create_connection((server.host, server.port))
    half.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the headers never end
    assert closed_by_server(silent, within=20)
    assert closed_by_server(half, within=20)
    assert server.get("/healthz").status_code == 200
    assert "Traceback" not in server.output()


def test_probes_answer_with_more_idle_sockets_open_than_the_server_has_descriptors(
    status_server,
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1400:
        pytest.skip(f"this test opens 1,100 sockets; the descriptor limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1400), hard))
    server = status_server("--descriptors", "1024", "--lbs", "1000")
    idle: list[socket.socket] = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection((server.host, server.port), timeout=5))
        answers = [server.get("/healthz").status_code for _ in range(5)]
        assert answers == [200] * 5
        assert server.get("/").status_code == 200
        closed = sum(closed_by_server(s, within=0.01) for s in idle)
        assert closed >= 1100 - 1024  # the longest idle made room; the rest stay open
        log = server.output()
        assert "Traceback" not in log and "Too many open files" not in log
    finally:
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_probes_on_their_own_port_answer_while_the_event_loop_is_busy(status_server) -> None:
    """The event loop is kept busy 3 s at a time (as a resync's planning keeps it): the
    probes on probe_listen still answer at once; /healthz on http_listen does not."""
    probes = f"127.0.0.1:{free_port()}"
    server = status_server("--probe-listen", probes, "--block-loop", "3")
    answers = []
    for _ in range(8):  # over 2 s: most of them while the loop is busy
        answers.append(requests.get(f"http://{probes}/healthz", timeout=1))
        time.sleep(0.25)
    assert [a.status_code for a in answers] == [200] * 8
    assert {a.headers["X-Content-Type-Options"] for a in answers} == {"nosniff"}
    ready = requests.get(f"http://{probes}/readyz", timeout=2)
    assert ready.status_code == 200 and ready.json()["ready"] is True
    head = requests.head(f"http://{probes}/healthz", timeout=2)
    assert head.status_code == 200 and head.content == b""
    refused = requests.post(f"http://{probes}/healthz", timeout=2)
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert requests.get(f"http://{probes}/", timeout=2).status_code == 404  # probes only
    on_the_loop = []
    for _ in range(3):
        try:
            on_the_loop.append(server.get("/healthz", timeout=1).status_code)
        except requests.Timeout:
            on_the_loop.append(None)
    assert None in on_the_loop  # the loop was indeed busy
    assert "Traceback" not in server.output()


def test_head_has_no_body_and_the_connection_stays_usable(status_server) -> None:
    server = status_server()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", "/")
    length = len(connection.getresponse().read())
    connection.request("HEAD", "/")
    head = connection.getresponse()
    assert head.status == 200 and int(head.headers["Content-Length"]) == length
    assert head.read() == b""
    connection.request("POST", "/healthz", body=b"x")
    refused = connection.getresponse()
    assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD"
    refused.read()
    connection.request("GET", "/healthz")  # the same connection, still in step
    assert connection.getresponse().read() == b"ok\n"
    connection.close()


@pytest.mark.rabbitmq
def test_the_daemon_asks_for_its_token_and_never_shows_it(tmp_path: Path, contrail) -> None:
    """On a reachable address the page, its JSON and the metrics need the bearer token, the
    probes do not, and the token is in neither the log, the page nor the JSON."""
    outside = _outside_address()
    if outside is None:
        pytest.skip("no address but loopback on this machine")
    token = "tok-7c1e9b0d5a44f2"
    (tmp_path / "token").write_text(token + "\n")
    port, probe_port = free_port(), free_port()
    conf = tmp_path / "daemon.conf"
    conf.write_text(
        "[DEFAULTS]\n"
        f"api_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
        f"http_listen = 0.0.0.0:{port}\nprobe_listen = 0.0.0.0:{probe_port}\n"
        f"http_token_file = {tmp_path / 'token'}\nresync_interval = 60\nlog_level = DEBUG\n"
    )
    daemon = Daemon(conf, tmp_path / "daemon.log", f"{outside}:{port}").start()
    try:
        base = f"http://{outside}:{port}"
        wait_until(lambda: _status(f"{base}/healthz") == 200, what="the daemon answers")
        wait_until(lambda: _status(f"http://{outside}:{probe_port}/healthz") == 200, timeout=10)
        for path in ("/", "/status.json", "/metrics", "/?lb=x"):
            assert _status(base + path) == 401, path
            assert _status(base + path, "Bearer nope") == 401, path
            assert _status(base + path, f"Bearer {token}") in (200, 404), path
        assert _status(f"http://127.0.0.1:{port}/") == 401  # from localhost too (a mesh sidecar)
        basic = requests.get(base + "/", auth=("operator", token), timeout=5)  # a browser's way
        assert basic.status_code == 200
        page = requests.get(base + "/", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        data = requests.get(base + "/status.json", headers={"Authorization": f"Bearer {token}"})
        assert token not in page.text and token not in data.text
        assert token not in daemon.output()
    finally:
        daemon.stop()


def _outside_address() -> str | None:
    """An address of this machine other than loopback (connections from it are not local)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route's source
        address = str(s.getsockname()[0])
        return None if address.startswith("127.") else address
    return None


def _status(url: str, authorization: str | None = None) -> int | None:
    headers = {"Authorization": authorization} if authorization else {}
    try:
        return requests.get(url, headers=headers, timeout=5).status_code
    except requests.RequestException:
        return None
