"""The shared emulator transport: TLS, keep-alive and the /_emulator/ controls, seen by a client."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from emulators.http import EmulatorServer, Request, Response


class EchoApp:
    """The smallest App: answers every request with what it received."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"items": []}
        self.restarts: list[bool] = []

    def handle(self, request: Request) -> Response:
        return Response(
            200, {"method": request.method, "path": request.path, "query": dict(request.query)}
        )

    def dump(self) -> Any:
        return self.state

    def load(self, state: Any) -> None:
        self.state = state

    def restart(self, keep_state: bool) -> None:
        self.restarts.append(keep_state)

    def control(self, request: Request, action: str) -> Response | None:
        return None


@pytest.fixture(params=[False, True], ids=["http", "https"])
def server(request: pytest.FixtureRequest):
    with EmulatorServer(EchoApp(), tls=request.param) as srv:
        yield srv


def test_serves_requests_and_decodes_percent_encoded_paths(server: EmulatorServer) -> None:
    answer = requests.get(f"{server.url}/a/10.0.0.1%251:80?x=1", verify=False, timeout=5).json()
    assert answer == {"method": "GET", "path": "/a/10.0.0.1%1:80", "query": {"x": "1"}}


def test_counters_by_verb_and_path_and_reset(server: EmulatorServer) -> None:
    with requests.Session() as s:
        s.verify = False
        s.get(f"{server.url}/x/")
        s.get(f"{server.url}/x")
        s.post(f"{server.url}/y", json={})
        counters = s.get(f"{server.url}/_emulator/counters").json()
        assert counters["total"] == 3 and counters["writes"] == 1
        assert counters["by_path"] == {"GET /x": 2, "POST /y": 1}
        s.delete(f"{server.url}/_emulator/counters")
        assert s.get(f"{server.url}/_emulator/counters").json()["total"] == 0


def test_status_fault_for_next_n_requests_then_recovers(server: EmulatorServer) -> None:
    base = server.url
    requests.post(
        f"{base}/_emulator/faults", json={"kind": "status", "status": 503, "count": 2}, verify=False
    )
    codes = [requests.get(f"{base}/z", verify=False, timeout=5).status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_path_fault_only_hits_matching_requests(server: EmulatorServer) -> None:
    base = server.url
    requests.post(
        f"{base}/_emulator/faults",
        json={"kind": "status", "status": 500, "count": None, "path": "^/pool", "method": "POST"},
        verify=False,
    )
    assert requests.post(f"{base}/pool/a", verify=False, timeout=5).status_code == 500
    assert requests.get(f"{base}/pool/a", verify=False, timeout=5).status_code == 200
    assert requests.post(f"{base}/virtual", verify=False, timeout=5).status_code == 200
    requests.delete(f"{base}/_emulator/faults", verify=False)
    assert requests.post(f"{base}/pool/a", verify=False, timeout=5).status_code == 200


def test_reset_fault_is_a_connection_error_on_the_client(server: EmulatorServer) -> None:
    requests.post(f"{server.url}/_emulator/faults", json={"kind": "reset"}, verify=False)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/z", verify=False, timeout=5)
    assert requests.get(f"{server.url}/z", verify=False, timeout=5).status_code == 200


def test_hang_fault_times_the_client_out(server: EmulatorServer) -> None:
    requests.post(
        f"{server.url}/_emulator/faults", json={"kind": "hang", "seconds": 5}, verify=False
    )
    with pytest.raises(requests.Timeout):
        requests.get(f"{server.url}/z", verify=False, timeout=0.5)


def test_latency_fixed_and_per_verb(server: EmulatorServer) -> None:
    requests.put(
        f"{server.url}/_emulator/latency",
        json={"fixed": 0.0, "per_verb": {"POST": 0.3}},
        verify=False,
    )
    start = time.monotonic()
    requests.get(f"{server.url}/z", verify=False, timeout=5)
    fast = time.monotonic() - start
    start = time.monotonic()
    requests.post(f"{server.url}/z", verify=False, timeout=5)
    slow = time.monotonic() - start
    assert slow >= 0.3 > fast


def test_dump_load_and_restart_reach_the_app(server: EmulatorServer) -> None:
    app = server.app
    assert requests.get(f"{server.url}/_emulator/dump", verify=False).json() == {"items": []}
    requests.put(f"{server.url}/_emulator/load", json={"items": [1]}, verify=False)
    assert app.state == {"items": [1]}
    requests.post(f"{server.url}/_emulator/restart", json={"keep_state": False}, verify=False)
    assert app.restarts == [False]
    assert requests.get(f"{server.url}/_emulator/nope", verify=False).status_code == 404
