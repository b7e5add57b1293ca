"""The kustomize output of manifests/ — its ConfigMap, Secret and Deployment — run with
`podman kube play` against the emulators and the real broker, until the pod is ready and its
probes answer.

The image is built from this checkout (scripts/image.py, as `make image`) under a tag of its
own, so a concurrent image test of another checkout is not disturbed. Only what this machine
needs is changed in the rendered objects: the emulators' addresses and the broker's vhost in
the INI, real values in the Secret, one replica on the host network (the emulators listen on
127.0.0.1), names made unique — and four things podman 4.3 cannot do that Kubernetes does,
each said where it is changed (``_for_podman``, and the Secret's ``stringData``). Needs root and podman, like test_image.py.
"""

from __future__ import annotations

import configparser
import io
import os
import posixpath
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from emulators.contrail.topology import ListenerSpec, PoolSpec, Topology, add_load_balancer
from tests.deploy.test_image import _podman, active, built_image
from tests.integration.conftest import DEVICE_USER
from tests.support.polling import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
INI_KEY = "contrail-f5-reconciler.conf"
PLAYED = ("ConfigMap", "Secret", "Deployment")
#: The Secret's values: valid base64 strings (podman 4.3 wants them so, and does not decode).
SECRETS = {
    "auth_token": "a3ViZS1wbGF5",
    "rabbit_password": "cmFiYml0LXB3",
    "device_password": "ZGV2aWNlLXB3",
    "http_token": "aHR0cC10b2tlbi0x",
}
CTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


def kustomize() -> list[dict[str, Any]]:
    """`kubectl kustomize manifests/`; without kubectl, the same for this kustomization
    (only ``namespace`` and ``resources``: anything else and the test says so)."""
    if shutil.which("kubectl"):
        out = subprocess.run(
            ["kubectl", "kustomize", str(MANIFESTS)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert set(kustomization) <= {"apiVersion", "kind", "namespace", "resources"}, kustomization
    docs = []
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((MANIFESTS / name).read_text()):
            if doc and doc["kind"] != "Namespace":
                doc["metadata"]["namespace"] = kustomization["namespace"]
            if doc:
                docs.append(doc)
    return docs


def _ini(text: str, **values: str) -> str:
    parser = configparser.ConfigParser(interpolation=None, default_section="none")
    parser.read_string(text)
    parser["DEFAULTS"].update(values)
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def _for_podman(deployment: dict[str, Any], port: int) -> None:
    """What podman 4.3 does differently from the kubelet, changed as little as possible."""
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    # 1. Host network (the emulators are on 127.0.0.1): podman refuses port mappings there,
    #    so the probes name the port by number instead of by the name `http`.
    pod["hostNetwork"] = True
    container.pop("ports")
    for probe in ("livenessProbe", "readinessProbe"):
        container[probe]["httpGet"]["port"] = port
    # 2. podman 4.3 dereferences a secret volume's `optional` without checking it is set
    #    (a nil-pointer panic in VolumeFromSecret), and cannot mount an optional Secret it
    #    does not have: say `optional: false` on the required one, drop the optional one.
    absent = {v["name"] for v in pod["volumes"] if v.get("secret", {}).get("optional")}
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] not in absent]
    container["volumeMounts"] = [m for m in container["volumeMounts"] if m["name"] not in absent]
    for volume in pod["volumes"]:
        if "secret" in volume:
            volume["secret"]["optional"] = False
    # 3. podman 4.3 ignores `subPath` (it mounts the whole ConfigMap as a directory at the
    #    file's path): mount the ConfigMap as a directory and point --config into it.
    for mount in container["volumeMounts"]:
        if mount.get("subPath"):
            file = mount["mountPath"]
            mount["mountPath"] = "/etc/contrail-f5-reconciler"
            moved = posixpath.join(mount["mountPath"], mount.pop("subPath"))
            container["command"] = [moved if arg == file else arg for arg in container["command"]]


def rendered(
    image: str,
    contrail_port: int,
    vhost: str,
    broker_user: str,
    port: int,
    probe_port: int,
    suffix: str,
) -> list[Any]:
    """The kustomize output's ConfigMap, Secret and Deployment, pointed at this machine."""
    docs = [doc for doc in kustomize() if doc["kind"] in PLAYED]
    assert sorted(doc["kind"] for doc in docs) == sorted(PLAYED)
    names = {doc["metadata"]["name"] for doc in docs}
    for doc in docs:
        doc["metadata"]["name"] += suffix
        if doc["kind"] == "ConfigMap":
            doc["data"][INI_KEY] = _ini(
                doc["data"][INI_KEY],
                api_server_ip="127.0.0.1",
                api_server_port=str(contrail_port),
                rabbit_server="127.0.0.1",
                rabbit_user=broker_user,
                rabbit_vhost=vhost,
                http_listen=f"0.0.0.0:{port}",  # as shipped: not loopback, so the token counts
                probe_listen=f"127.0.0.1:{probe_port}",
                zk_server_ip="",
                device_user=DEVICE_USER,
            )
        elif doc["kind"] == "Secret":
            # podman 4.3 ignores a Secret's `stringData`, and writes its `data` into the files
            # without base64-decoding it (though it insists on valid base64): the values are
            # chosen to be valid base64 and go into `data` as they are
            doc["data"] = {key: SECRETS[key] for key in doc.pop("stringData")}
        else:
            doc["spec"]["replicas"] = 1
            pod = doc["spec"]["template"]["spec"]
            pod["containers"][0]["image"] = image
            for volume in pod["volumes"]:
                for ref in (volume.get("configMap", {}), volume.get("secret", {})):
                    for key in ("name", "secretName"):
                        if ref.get(key) in names:
                            ref[key] += suffix
            _for_podman(doc, probe_port)
    return docs


@pytest.fixture(scope="module")
def image() -> str:
    """This checkout's image under a tag of its own (another checkout's image test may be
    building the plain version tag at the same time)."""
    return built_image("-kube-play")


@pytest.fixture
def bigip() -> Iterator[Any]:
    """The device, with the Secret's password."""
    from emulators.bigip import start

    server = start(user=DEVICE_USER, password=SECRETS["device_password"])
    yield server
    server.stop()


@pytest.fixture
def broker_user(vhost: str) -> Iterator[str]:
    """A broker user of the Secret's password, allowed on this session's vhost."""
    name = f"kube-play-{os.getpid()}"
    subprocess.run(
        [CTL, "add_user", name, SECRETS["rabbit_password"]], capture_output=True, timeout=60
    )
    subprocess.run(
        [CTL, "set_permissions", "-p", vhost, name, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    yield name
    subprocess.run([CTL, "delete_user", name], capture_output=True, timeout=60)


@pytest.fixture
def played(
    image: str, contrail: Any, vhost: str, broker_user: str, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """The pod running; yields its http_listen and probe_listen. Removed afterwards, its
    volume and secret with it."""
    port, probe_port, suffix = free_port(), free_port(), f"-test-{os.getpid()}"
    docs = rendered(image, contrail.port, vhost, broker_user, port, probe_port, suffix)
    play = tmp_path / "play.yaml"
    play.write_text(yaml.safe_dump_all(docs))
    started = _podman("kube", "play", str(play), timeout=180)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        yield f"127.0.0.1:{port}", f"127.0.0.1:{probe_port}"
    finally:
        logs = _podman("pod", "logs", "--tail", "40", f"contrail-f5-reconciler{suffix}-pod-0")
        print(f"--- pod log (tail) ---\n{logs.stdout}{logs.stderr}")
        _podman("kube", "down", str(play), timeout=120)
        for doc in docs:  # podman makes a volume of a ConfigMap, a secret of a Secret
            _podman("volume", "rm", "--force", doc["metadata"]["name"])
            if doc["kind"] == "Secret":
                _podman("secret", "rm", doc["metadata"]["name"])


def test_the_kustomize_output_runs_under_podman_kube_play(
    vnc: Any, topo: Topology, played: tuple[str, str]
) -> None:
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.3.1", 8080, 1)])
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])

    listen, probes = played

    def probe(path: str, where: str = probes, **headers: str) -> int | None:
        try:
            return requests.get(f"http://{where}{path}", timeout=5, headers=headers).status_code
        except requests.ConnectionError:
            return None

    wait_until(lambda: probe("/readyz") == 200, timeout=120, what="the readiness probe 200")
    assert probe("/healthz") == 200
    assert probe("/status.json", listen) == 401  # the page needs the Secret's token
    bearer = f"Bearer {SECRETS['http_token']}"
    assert probe("/status.json", listen, Authorization=bearer) == 200
    wait_until(lambda: active(vnc, ids.loadbalancer), timeout=60, what="the load balancer ACTIVE")
