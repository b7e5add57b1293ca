"""Auth, faults, counters, dump/load, state file, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from vnc_api.vnc_api import AuthFailed, Project

import emulators.contrail as contrail
from emulators.contrail import topology as t


def test_static_token_auth():
    server = contrail.start(auth_token="s3cret")
    try:
        with pytest.raises(AuthFailed):
            contrail.client(server, auth_token="wrong")
        vnc = contrail.client(server, auth_token="s3cret")
        vnc.project_create(Project("ok"))
        with pytest.raises(AuthFailed):
            vnc.set_auth_token("stale")
            vnc.projects_list()
    finally:
        server.stop()


def test_503_is_retried_transparently(server, vnc):
    requests.post(
        f"{server.url}/_emulator/faults",
        json={"kind": "status", "status": 503, "count": 1},
        timeout=5,
    )
    started = time.monotonic()
    vnc.project_create(Project("after-503"))
    assert time.monotonic() - started >= 0.9  # the client slept once and retried
    assert vnc.project_read(fq_name=["default-domain", "after-503"])
    assert server.controls.counters()["by_path"]["POST /projects"] == 2


def test_fault_body_is_text_like_the_api_server(server):
    requests.post(
        f"{server.url}/_emulator/faults", json={"kind": "status", "status": 503}, timeout=5
    )
    r = requests.get(f"{server.url}/projects", timeout=5)
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("text/plain")


def test_dump_load_and_restart(server, vnc):
    t.seed_topology(vnc)
    state = requests.get(f"{server.url}/_emulator/dump", timeout=5).json()
    requests.post(f"{server.url}/_emulator/restart", json={"keep_state": False}, timeout=5)
    assert vnc.virtual_networks_list(parent_fq_name=["default-domain", "default-project"])
    assert vnc.projects_list()["projects"][0]["fq_name"] == ["default-domain", "default-project"]
    requests.post(f"{server.url}/_emulator/load", json=state, timeout=5)
    vn = vnc.virtual_network_read(
        fq_name=["default-domain", "demo", "external"], fields=["instance_ip_back_refs"]
    )
    assert vn.uuid


def test_state_file_survives_restart_and_is_debounced(tmp_path):
    path = tmp_path / "contrail.json"
    server = contrail.start(state_file=path)
    try:
        vnc = contrail.client(server)
        topo = t.seed_topology(vnc)
        first = t.add_load_balancer(vnc, topo, "before-restart")
        for i in range(200):
            vnc.project_create(Project(f"bulk-{i}"))
    finally:
        server.stop()
    assert server.app.state.writes < 20  # 200+ changes, a handful of writes
    assert not list(tmp_path.glob(".contrail.json.*"))  # no temp file left behind
    again = contrail.start(state_file=path)
    try:
        vnc = contrail.client(again)
        assert (
            vnc.service_appliance_set_read(id=topo.sas).get_service_appliance_driver()
            == t.F5_DRIVER
        )
        sas = vnc.service_appliance_set_read(id=topo.sas, fields=["loadbalancer_back_refs"])
        assert [r["uuid"] for r in sas.get_loadbalancer_back_refs()] == [first.loadbalancer]
        assert vnc.kv_retrieve(topo.subnets["internal"]).endswith("10.2.0.0/16")
        assert len(vnc.projects_list()["projects"]) == 1 + 1 + 200
        # addresses in use stay in use
        assert first.vip == "10.1.0.3"
        assert t.add_load_balancer(vnc, topo, "after-restart").vip == "10.1.0.4"
    finally:
        again.stop()


def test_command_line_serves(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.contrail",
            "--port",
            str(port),
            "--auth-token",
            "tok",
            "--state-file",
            str(tmp_path / "s.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                vnc = contrail.client(f"http://127.0.0.1:{port}", auth_token="tok")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        vnc.project_create(Project("cli"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    saved = json.loads((tmp_path / "s.json").read_text())
    assert any(o["fq_name"] == ["default-domain", "cli"] for o in saved["objects"])
