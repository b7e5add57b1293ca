"""Configuration mistakes an operator makes stop the reconciler with one line naming the
section or key — never a silent fallback to 127.0.0.1:8082, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from reconciler.cli import main
from reconciler.config import load
from tests.support.polling import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

ONE_LINE_MISTAKES = [
    pytest.param(b"", "no sections", id="empty file"),
    pytest.param(b"# only a comment\n", "no sections", id="only comments"),
    pytest.param(b"[DEFAULT]\napi_server_ip = 10.0.0.1\n", "[DEFAULT]", id="[DEFAULT]"),
    pytest.param(b"[defaults]\napi_server_ip = 10.0.0.1\n", "[defaults]", id="[defaults]"),
    pytest.param(
        b"[DEFAULTS]\n[credential:f5]\npassword = x\n", "[credential:f5]", id="unknown section"
    ),
    pytest.param(b"[set:f5]\naddress = 10.0.0.9\n", "[DEFAULTS]", id="no [DEFAULTS]"),
    pytest.param(b"[DEFAULTS]\n[set:f5]\nadress = 10.0.0.9\n", "'adress'", id="set key"),
    pytest.param(
        b"[DEFAULTS]\n[claim:k8s]\nsas = f5\ncluster = k8s\n", "'cluster'", id="claim key"
    ),
    pytest.param(b"[DEFAULTS]\nresync_interval = 0\n", "resync_interval", id="resync 0"),
    pytest.param(b"[DEFAULTS]\nhttp_listen = 0.0.0.0:99999\n", "http_listen", id="port 99999"),
    pytest.param(b"[DEFAULTS]\nhttp_listen = 256.1.1.1:9180\n", "http_listen", id="256.1.1.1"),
    pytest.param(b"[DEFAULTS]\nhttp_listen = ::1:9180\n", "http_listen", id="bare IPv6"),
    pytest.param(b"[DEFAULTS]\napi_server_ip = caf\xe9\n", "not UTF-8", id="latin-1 file"),
]


@pytest.mark.parametrize(("content", "named"), ONE_LINE_MISTAKES)
def test_a_configuration_mistake_is_one_line_naming_it_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, named: str
) -> None:
    path = tmp_path / "contrail-f5-reconciler.conf"
    path.write_bytes(content)
    assert main(["--config", str(path), "--once", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("reconcile: configuration error: ")
    assert named in err


def _daemon(tmp_path: Path, listen: str) -> subprocess.Popen[str]:
    """The daemon with only ``http_listen`` set (and a Contrail API that is not there: it
    serves its probes while it waits)."""
    path = tmp_path / "contrail-f5-reconciler.conf"
    path.write_text(f"[DEFAULTS]\napi_server_port = 1\nhttp_listen = {listen}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRAIL_F5_")}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_the_daemon_reports_a_port_in_use_as_one_line_naming_http_listen(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = _daemon(tmp_path, f"127.0.0.1:{port}")
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 1
    assert err.splitlines()[-1:] == [
        f"reconcile: configuration error: http_listen = '127.0.0.1:{port}': cannot listen: "
        "Address already in use"
    ]


def test_the_daemon_listens_on_a_bracketed_ipv6_address(tmp_path: Path) -> None:
    port = free_port()
    daemon = _daemon(tmp_path, f"[::1]:{port}")
    try:

        def healthz() -> bool:
            assert daemon.poll() is None, daemon.communicate()[1][-2000:]
            try:
                return requests.get(f"http://[::1]:{port}/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(healthz, timeout=30, what="/healthz on [::1]")
    finally:
        daemon.terminate()
        daemon.wait(15)


def test_a_close_key_name_is_suggested(tmp_path: Path) -> None:
    path = tmp_path / "contrail-f5-reconciler.conf"
    path.write_text("[DEFAULTS]\n[set:f5]\nadress = 10.0.0.9\n")
    with pytest.raises(
        ValueError, match=r"\[set:f5\]: unknown key 'adress' \(did you mean 'address'"
    ):
        load(path, environ={})
