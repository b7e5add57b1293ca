"""The environment the kubelet gives a container: its service links, by the documented rule.

For every Service with a cluster IP in the pod's namespace (pkg/kubelet/envvars
``FromServices``; "Discovering services" in the Kubernetes docs), with the Service name upper
cased and ``-`` turned into ``_``:

    <SVC>_SERVICE_HOST=<cluster ip>
    <SVC>_SERVICE_PORT=<first port>
    <SVC>_SERVICE_PORT_<PORT NAME>=<port>            (each named port)
    <SVC>_PORT=<proto>://<cluster ip>:<first port>
    <SVC>_PORT_<port>_<PROTO>=<proto>://<cluster ip>:<port>
    <SVC>_PORT_<port>_<PROTO>_PROTO=<proto>
    <SVC>_PORT_<port>_<PROTO>_PORT=<port>
    <SVC>_PORT_<port>_<PROTO>_ADDR=<cluster ip>

Headless Services (``clusterIP: None``) get none. Plus the container's own ``env``, with
``fieldRef`` values resolved from the pod.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _name(text: str) -> str:
    return text.upper().replace("-", "_")


def service_links(services: Iterable[dict[str, Any]], first_ip: int = 10) -> dict[str, str]:
    """The variables the kubelet injects for these Services (cluster IPs made up, distinct)."""
    env: dict[str, str] = {}
    for number, service in enumerate(services, start=first_ip):
        spec = service.get("spec", {})
        if spec.get("clusterIP") == "None":
            continue
        ip = spec.get("clusterIP") or f"10.96.0.{number}"
        svc = _name(service["metadata"]["name"])
        ports = spec.get("ports", [])
        env[f"{svc}_SERVICE_HOST"] = ip
        if not ports:
            continue
        first = ports[0]
        env[f"{svc}_SERVICE_PORT"] = str(first["port"])
        env[f"{svc}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"
        for port in ports:
            if port.get("name"):
                env[f"{svc}_SERVICE_PORT_{_name(port['name'])}"] = str(port["port"])
            proto = port.get("protocol", "TCP")
            link = f"{svc}_PORT_{port['port']}_{proto}"
            env[link] = f"{proto.lower()}://{ip}:{port['port']}"
            env[f"{link}_PROTO"] = proto.lower()
            env[f"{link}_PORT"] = str(port["port"])
            env[f"{link}_ADDR"] = ip
    return env


def container_env(container: dict[str, Any], pod: dict[str, str]) -> dict[str, str]:
    """The container's own ``env``: values, and ``fieldRef`` paths looked up in ``pod``."""
    env = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
        else:
            env[entry["name"]] = pod[entry["valueFrom"]["fieldRef"]["fieldPath"]]
    return env
