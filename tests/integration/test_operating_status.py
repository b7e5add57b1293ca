"""operating_status in Contrail follows the device's pool availability."""

from __future__ import annotations

import pytest

from emulators.contrail.topology import ListenerSpec, MonitorSpec, PoolSpec, add_load_balancer
from tests.integration.conftest import control


@pytest.mark.parametrize(
    ("monitor", "offline", "expected"),
    [
        (MonitorSpec("TCP"), [], "ONLINE"),
        (MonitorSpec("TCP"), ["10.2.5.1:80"], "DEGRADED"),
        (MonitorSpec("TCP"), ["10.2.5.1:80", "10.2.5.2:80"], "OFFLINE"),
        (None, [], "NO_MONITOR"),
    ],
)
def test_operating_status_from_pool_availability(
    monitor, offline, expected, bigip, vnc, topo, cli
) -> None:
    pool = PoolSpec(
        "ROUND_ROBIN", members=[("10.2.5.1", 80, 1), ("10.2.5.2", 80, 1)], monitor=monitor
    )
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("TCP", 80, pool=pool)])
    assert cli("--once").code == 0
    partition = f"Contrail_{topo.project}"
    for member in offline:
        control(
            bigip,
            "availability",
            {
                "pool": f"/{partition}/Contrail_{ids.listeners[0].pool}",
                "member": member,
                "state": "offline",
            },
        )
    assert cli("--once").code == 0
    props = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
    assert (props.provisioning_status, props.operating_status) == ("ACTIVE", expected)
