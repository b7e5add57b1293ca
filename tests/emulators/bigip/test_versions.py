"""The TMOS versions the emulator presents as, and what differs between them."""

from __future__ import annotations

import pytest
from f5.bigip import ManagementRoot

import emulators.bigip as bigip
from tests.emulators.bigip.conftest import raw


@pytest.mark.parametrize(
    ("asked", "reported"),
    [("13.1", "13.1.1"), ("13.1.1", "13.1.1"), ("15.1", "15.1.0"), ("16.1.3", "16.1.3")],
)
def test_version_is_reported_everywhere(asked: str, reported: str) -> None:
    server = bigip.start(version=asked)
    try:
        mgmt = ManagementRoot("127.0.0.1", "admin", "admin", port=server.port)
        assert mgmt.tmos_version == reported
        answer = raw(server, "GET", "/mgmt/tm/sys/version").json()
        (entry,) = answer["entries"].values()
        assert entry["nestedStats"]["entries"]["Version"]["description"] == reported
        pool = mgmt.tm.ltm.pools.pool.create(name="p", partition="Common")
        assert pool.selfLink.endswith(f"?ver={reported}")
    finally:
        server.stop()


@pytest.mark.parametrize("version", ["12.1.2", "14.1", "nonsense"])
def test_unsupported_versions_are_refused(version: str) -> None:
    with pytest.raises(ValueError, match="unsupported TMOS version"):
        bigip.start(version=version)


@pytest.mark.parametrize(("version", "stamped"), [("13.1.1", False), ("17.1.0", True)])
def test_virtual_timestamps_from_14_1(version: str, stamped: bool) -> None:
    server = bigip.start(version=version)
    try:
        mgmt = ManagementRoot("127.0.0.1", "admin", "admin", port=server.port)
        vs = mgmt.tm.ltm.virtuals.virtual.create(
            name="vs", partition="Common", destination="10.0.0.1:80"
        )
        assert hasattr(vs, "creationTime") is stamped
        assert hasattr(vs, "lastModifiedTime") is stamped
        vs.modify(description="x")  # sending them back (PUT/PATCH) is ignored, not stored
        vs.update()
        loaded = mgmt.tm.ltm.virtuals.virtual.load(name="vs", partition="Common")
        assert loaded.description == "x"
        stored = server.app.device.store.get("ltm/virtual", "/Common/vs")
        assert stored is not None and "creationTime" not in stored
    finally:
        server.stop()


def test_monitor_organizing_collection_lists_40_types_on_13_1(server: bigip.EmulatorServer) -> None:
    items = raw(server, "GET", "/mgmt/tm/ltm/monitor").json()["items"]
    links = {i["reference"]["link"].split("/mgmt/tm/ltm/monitor/")[1].split("?")[0] for i in items}
    assert len(links) == 40
    assert {"mqtt", "none", "http", "udp", "gateway-icmp", "tcp-half-open"} <= links
