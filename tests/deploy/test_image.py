"""The image itself: built from the Dockerfile with podman (`make image`, scripts/image.py),
then run as manifests/deployment.yaml runs it — uid 10001, read-only root filesystem, no
capabilities, the INI mounted read-only at the path the image's CMD names — against both
emulators and the real broker on this host (the container is on the host network).

It needs root and podman (installed with apt-get when missing); elsewhere it is skipped,
saying why. The first build makes the Debian base image with debootstrap (about 3 minutes
here); later runs reuse it and podman's layer cache (seconds when nothing changed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    Topology,
    add_load_balancer,
)
from tests.support.polling import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "image.py"
CONTAINERS_CONF = ROOT / "scripts" / "image.containers.conf"
CONFIG_IN_IMAGE = "/etc/contrail/contrail-f5-reconciler.conf"  # the Dockerfile's CMD
UID = 10001
DEVICE_USER, DEVICE_PASSWORD = "admin", "image-test-pw-41c2"


def _podman(
    *args: str, timeout: float = 60, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, env=env, check=check
    )


def _why_podman_cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "podman builds and runs the image here as root only (rootless needs subuids)"
    if not shutil.which("podman"):  # the script installs podman, runc, debootstrap with apt-get
        tools = subprocess.run(
            [sys.executable, str(SCRIPT), "--tools-only"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if not shutil.which("podman"):
            return f"no podman, and apt-get could not install it: {tools.stderr.strip()[-500:]}"
    info = _podman("info", timeout=120)
    if info.returncode != 0:
        return f"podman cannot run here: {info.stderr.strip()[-500:]}"
    return None


def built_image(tag_suffix: str = "") -> str:
    """The image of this checkout, built as `make image` builds it, tagged with the package
    version (and ``tag_suffix``); skips the test where podman cannot run."""
    reason = _why_podman_cannot_run()
    if reason:
        pytest.skip(reason)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    tag = f"localhost/contrail-f5-reconciler:{version}{tag_suffix}"
    started = time.monotonic()
    built = subprocess.run(
        [sys.executable, str(SCRIPT), "--tag", tag],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, f"scripts/image.py failed:\n{built.stderr[-6000:]}"
    print(f"image {tag} built in {time.monotonic() - started:.0f} s")
    return tag


@pytest.fixture(scope="module")
def image() -> str:
    """The image `make image` builds (same tag: the test leaves it for the next run's cache)."""
    return built_image()


class Container:
    def __init__(self, name: str, listen: str, probes: str = "") -> None:
        self.name, self.listen, self.probes = name, listen, probes

    def get(self, path: str) -> requests.Response | None:
        try:
            return requests.get(f"http://{self.listen}{path}", timeout=2)
        except requests.ConnectionError:
            return None

    def ready(self) -> bool:
        answer = self.get("/readyz")
        return answer is not None and answer.status_code == 200

    def exec(self, *argv: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        return _podman("exec", *(["--user", user] if user else []), self.name, *argv)

    def inspect(self, template: str) -> str:
        return _podman("inspect", "--format", template, self.name, check=True).stdout.strip()

    def logs(self) -> str:
        answer = _podman("logs", self.name)
        return answer.stdout + answer.stderr


@pytest.fixture
def container(image: str, contrail: Any, vhost: str, tmp_path: Path) -> Iterator[Container]:
    listen, probes = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    conf = tmp_path / "contrail-f5-reconciler.conf"
    conf.write_text(
        "[DEFAULTS]\n"
        "api_server_ip = 127.0.0.1\n"
        f"api_server_port = {contrail.port}\n"
        "rabbit_server = 127.0.0.1\n"
        "rabbit_port = 5672\n"
        f"rabbit_vhost = {vhost}\n"
        f"http_listen = {listen}\n"
        f"probe_listen = {probes}\n"
        "resync_interval = 300\n"
        "device_timeout = 5\n"
    )
    conf.chmod(0o644)
    name = f"contrail-f5-reconciler-test-{os.getpid()}-{free_port()}"
    # What the Deployment's securityContext and volumes say, in podman's words.
    started = _podman(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--volume",
        f"{conf}:{CONFIG_IN_IMAGE}:ro",
        "--tmpfs",
        "/tmp:size=64m",
        image,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    box = Container(name, listen, probes)
    yield box
    print(f"--- container {name} log (tail) ---")
    print(box.logs()[-6000:])
    _podman("rm", "--force", "--time", "2", name)


def active(vnc: Any, lb_uuid: str) -> bool:
    """Has the reconciler in the container written the load balancer ACTIVE to Contrail?"""
    properties = vnc.loadbalancer_read(id=lb_uuid).get_loadbalancer_properties()
    return bool(properties.provisioning_status == "ACTIVE")


def _proc_ids(status: str, field: str) -> set[int]:
    (line,) = [line for line in status.splitlines() if line.startswith(f"{field}:")]
    return {int(value) for value in line.split()[1:]}


def test_the_image_runs_the_daemon_as_the_deployment_does(
    vnc: Any,
    topo: Topology,
    container: Container,
) -> None:
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.3.1", 8080, 1), ("10.2.3.2", 8080, 1)])
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])

    wait_until(container.ready, timeout=90, what="/readyz 200 from the container")
    answer = container.get("/readyz")
    assert answer is not None and json.loads(answer.text)["ready"] is True
    # the Deployment's probes: on probe_listen, from the probe process (uid 10001, read-only /),
    # which hears the checks twice a second
    for path in ("/healthz", "/readyz"):
        url = f"http://{container.probes}{path}"
        wait_until(lambda u=url: requests.get(u, timeout=5).status_code == 200, timeout=5)
    wait_until(lambda: active(vnc, ids.loadbalancer), timeout=30, what="the load balancer ACTIVE")
    lb = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
    assert lb.provisioning_status == "ACTIVE"
    metrics = container.get("/metrics")
    assert metrics is not None and "contrail_f5_managed_objects" in metrics.text

    # uid 10001 (the image's USER, the Deployment's runAsUser), PID 1 being the daemon
    status = container.exec("cat", "/proc/1/status")
    assert status.returncode == 0, status.stderr
    assert _proc_ids(status.stdout, "Uid") == {UID}
    assert _proc_ids(status.stdout, "Gid") == {UID}
    cmdline = container.exec("cat", "/proc/1/cmdline").stdout.split("\0")
    assert any(part.endswith("reconcile") for part in cmdline), cmdline

    # read-only root filesystem: even root in the container cannot write there; /tmp can
    assert container.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"
    write = container.exec("touch", "/usr/local/probe", user="0")
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr
    assert container.exec("touch", "/tmp/probe").returncode == 0

    # the build's pip configuration was mounted, not copied: no trace of it in the image
    for path in ("/etc/pip.conf", "/etc/xdg/pip", "/root/.config/pip", "/root/.host"):
        assert container.exec("test", "-e", path, user="0").returncode == 1, path

    # SIGTERM (podman stop): the daemon finishes and exits 0, well before podman's SIGKILL
    started = time.monotonic()
    stopped = _podman("stop", "--time", "20", container.name, timeout=60)
    took = time.monotonic() - started
    assert stopped.returncode == 0, stopped.stderr
    assert container.inspect("{{.State.ExitCode}}") == "0", container.logs()[-3000:]
    assert took < 10, f"podman stop took {took:.1f} s"
