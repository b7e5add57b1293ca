"""Lab mode: the integration tests against an operator's own BIG-IP instead of the emulator.

``make test-lab`` with ``LAB_BIGIP=host[:port]`` (443 by default), ``LAB_BIGIP_USER``
(``admin``) and ``LAB_BIGIP_PASSWORD_FILE`` runs ``tests/integration`` with the device
fixture pointing at that device, the way F5's functional tests take ``--bigip``. Every test
works in partitions it creates (``Contrail_<project uuid>``, a fresh project each time), and
everything it made is removed afterwards: the objects of every type we manage and the
folders that were not on the device before it (nothing that was there is touched). What cannot run against a real
device is skipped, saying why: a test that reads or drives the emulator's ``/_emulator/``
controls (request counters, faults, availability, restarts), one that needs a second device,
and one that would change the device's networking (L3 mode's VLANs and self IPs on its
interfaces). The Contrail side stays the emulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from reconciler.model.resources import RESOURCE_TYPES


@dataclass(frozen=True)
class LabDevice:
    """A real BIG-IP, answering where an emulator server would (``host``, ``port``, ``url``)."""

    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def version(self) -> str:
        """The TMOS version the device reports (``13.1.1``), as f5-sdk reads it."""
        answer = requests.get(
            f"{self.url}/mgmt/tm/sys/", auth=(self.user, self.password), verify=False, timeout=30
        )
        answer.raise_for_status()
        return str(answer.json()["selfLink"]).rpartition("ver=")[2]


def lab_device() -> LabDevice | None:
    """The lab BIG-IP the environment names, or None (the tests use the emulator)."""
    spec = os.environ.get("LAB_BIGIP")
    if not spec:
        return None
    host, _, port = spec.rpartition(":") if spec.count(":") == 1 else (spec, "", "")
    password_file = os.environ.get("LAB_BIGIP_PASSWORD_FILE")
    if not password_file:
        raise pytest.UsageError("LAB_BIGIP needs LAB_BIGIP_PASSWORD_FILE (the device password)")
    password = Path(password_file).read_text().strip()
    return LabDevice(host, int(port or 443), os.environ.get("LAB_BIGIP_USER", "admin"), password)


def emulator_only(server: object, what: str) -> None:
    """Skip the test when ``server`` is a lab device: it needs the emulator's ``what``."""
    if isinstance(server, LabDevice):
        pytest.skip(f"lab mode: needs the emulator's {what}, which a real BIG-IP does not have")


Snapshot = dict[str, set[str]]  # collection → full paths


def snapshot(device: LabDevice) -> Snapshot:
    """The full paths of the device's objects of every type we manage, and its folders."""
    return {path: set(_full_paths(device, path)) for path in (*_DELETE_ORDER, "sys/folder")}


def remove_new(device: LabDevice, before: Snapshot) -> list[str]:
    """Delete what is on the device now and was not in ``before`` — a test's partitions and
    whatever it put in them or in ``/Common`` — dependents first, folders last; what could
    not be deleted."""
    left = []
    for path in (*_DELETE_ORDER, "sys/folder"):
        made = set(_full_paths(device, path)) - before.get(path, set())
        # folders: the deepest first; everything else: one pass in dependency order
        for full in sorted(made, key=lambda p: -p.count("/")):
            gone = requests.delete(
                f"{device.url}/mgmt/tm/{_DELETE_PATH.get(path, path)}/{_tilde(full)}",
                auth=(device.user, device.password),
                verify=False,
                timeout=30,
            )
            if not gone.ok and gone.status_code != 404:
                left.append(f"{path} {full}: {gone.status_code} {gone.text[:200]}")
    return left


def _full_paths(device: LabDevice, path: str) -> list[str]:
    answer = requests.get(
        f"{device.url}/mgmt/tm/{path}",
        auth=(device.user, device.password),
        verify=False,
        timeout=30,
    )
    answer.raise_for_status()
    items = answer.json().get("items", [])
    return [str(i.get("fullPath") or i["name"]) for i in items if i.get("fullPath") != "/"]


def _tilde(full_path: str) -> str:
    return full_path.replace("/", "~")


#: Every collection we write, dependents first (the reverse of the product's create order),
#: read where the product reads it and deleted where it writes it.
_DELETE_ORDER = tuple(
    t.collection
    for t in reversed(RESOURCE_TYPES.values())
    if t.parent_kind is None and not t.is_partition
)
_DELETE_PATH = {t.collection: t.path for t in RESOURCE_TYPES.values()}
