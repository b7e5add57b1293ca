"""The daemon starts in the environment Kubernetes gives it.

The kubelet injects service-link variables for every Service of the namespace; ours is named
``contrail-f5-reconciler``, so its variables start with our prefix ``CONTRAIL_F5_``. The
Deployment turns them off (``enableServiceLinks: false``), and the loader ignores them anyway
(a cluster whose admission forces them on, or a pod spec copied without the flag). The test
starts the daemon as the Deployment does, with the ConfigMap's INI and exactly the variables
the kubelet would inject for every Service in manifests/ (tests/support/kubelet.py says the
rule), plus other ``contrail-f5-*`` Services a namespace may hold.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from reconciler.config import ConfigError, load
from tests.deploy.test_manifests import DOCUMENTS, INI_KEY, _container, _one, _pod_spec
from tests.deploy.test_manifests import _secret_mount_path as secret_mount_path
from tests.support.kubelet import container_env, service_links
from tests.support.polling import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
POD_NAME = "contrail-f5-reconciler-6d9f7c8b5-x2x7q"
#: Services another team may run beside ours whose links also start with CONTRAIL_F5_; one
#: of them ends in _PORT like our rabbit_port / zk_server_port settings do.
NEIGHBOURS = [
    {
        "metadata": {"name": "contrail-f5-rabbit"},
        "spec": {"ports": [{"name": "amqp", "port": 5672, "protocol": "TCP"}]},
    },
    {
        "metadata": {"name": "contrail-f5-api-server"},
        "spec": {
            "ports": [
                {"name": "api", "port": 8082},
                {"name": "syslog-udp", "port": 514, "protocol": "UDP"},
            ]
        },
    },
]


def _kubelet_environment() -> dict[str, str]:
    services = [doc for _, doc in DOCUMENTS if doc["kind"] == "Service"]
    assert services, "manifests/ ships a Service"
    return {
        **service_links([*services, *NEIGHBOURS]),
        **container_env(_container(), {"metadata.name": POD_NAME}),
    }


def test_the_pod_asks_for_no_service_links() -> None:
    assert _pod_spec().get("enableServiceLinks") is False


def test_the_shipped_service_would_inject_variables_with_our_prefix() -> None:
    """The premise: without the loader's rule these would be taken for settings."""
    env = _kubelet_environment()
    assert "CONTRAIL_F5_RECONCILER_SERVICE_HOST" in env
    assert env["CONTRAIL_F5_RECONCILER_PORT_9180_TCP"].startswith("tcp://")
    assert env["CONTRAIL_F5_RABBIT_PORT"] == "tcp://10.96.0.11:5672"


def test_the_loader_ignores_service_links_and_keeps_real_settings() -> None:
    env = {**_kubelet_environment(), "CONTRAIL_F5_API_SERVER_PORT": "8443"}
    config = load(None, environ=env)
    assert config.rabbit_port == 5672  # CONTRAIL_F5_RABBIT_PORT=tcp://… is a link, not a port
    assert config.api_server_port == 8443
    assert config.replica_id == POD_NAME


def test_an_unknown_variable_is_refused_by_its_name() -> None:
    with pytest.raises(ConfigError, match="environment variable CONTRAIL_F5_RESYNC_INTERVALL"):
        load(None, environ={"CONTRAIL_F5_RESYNC_INTERVALL": "30"})


@pytest.fixture
def deployed_ini(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The ConfigMap's INI as the pod would read it, pointed at this machine: its secrets in
    a temporary directory, no ZooKeeper, a free port, a Contrail API that is not there (the
    daemon serves its probes while it waits for Contrail)."""
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for key in _one("Secret")["stringData"]:
        (secrets_dir / key).write_text(f"dummy-{key}\n")
    text = _one("ConfigMap")["data"][INI_KEY].replace(f"{secret_mount_path()}/", f"{secrets_dir}/")
    parser = configparser.ConfigParser(interpolation=None, default_section="none")
    parser.read_string(text)
    listen = f"127.0.0.1:{free_port()}"
    parser["DEFAULTS"].update(
        api_server_ip="127.0.0.1",
        api_server_port=str(free_port()),
        zk_server_ip="",
        http_listen=listen,
        tls_certificate_dir=str(tmp_path),
    )
    ini = tmp_path / INI_KEY
    with ini.open("w") as handle:
        parser.write(handle)
    yield ini, listen


def test_the_daemon_starts_with_the_kubelets_variables(deployed_ini: tuple[Path, str]) -> None:
    ini, listen = deployed_ini
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRAIL_F5_")}
    env.update(_kubelet_environment())
    daemon = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli", "--config", str(ini)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def probes_answer() -> bool:
            assert daemon.poll() is None, f"the daemon exited: {daemon.communicate()[0][-2000:]}"
            try:
                healthz = requests.get(f"http://{listen}/healthz", timeout=2)
                readyz = requests.get(f"http://{listen}/readyz", timeout=2)
            except requests.ConnectionError:
                return False
            return healthz.status_code == 200 and readyz.json()["checks"] is not None

        wait_until(probes_answer, timeout=30, what="the liveness and readiness probes answer")
    finally:
        daemon.terminate()
        daemon.wait(15)
