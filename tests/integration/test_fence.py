"""The write fence: a replica that may not write for a set sends the device nothing.

The daemon gives every device client the coordination's fence; here the fence is a switch,
so the test shows what the device sees when ownership is lost mid-way and when it is back.
"""

from __future__ import annotations

import emulators.contrail as contrail_emulator
from reconciler.bigip.client import DeviceClient
from reconciler.config import Config
from reconciler.coordination import NotOwner
from reconciler.once import Reconciler
from tests.integration.conftest import control, counters, device
from tests.integration.test_faults import seed


def test_no_write_reaches_the_device_while_the_fence_is_closed(bigip, contrail, vnc, topo):
    ids = seed(vnc, topo)
    owner = {"yes": False}
    agents: list[str] = []

    def fence() -> float | None:
        if not owner["yes"]:
            raise NotOwner("this replica does not hold service-appliance-set f5")
        return 10.0

    def client(settings):
        made = DeviceClient(settings, timeout=5, fence=fence, user_agent="replica/test-1")
        agents.append(made.user_agent)
        return made

    config = Config(api_server_port=contrail.port, device_timeout=5)
    reconciler = Reconciler(config, contrail_emulator.client(contrail), client_factory=client)
    counters(bigip, reset=True)
    fenced = reconciler.run()
    assert not fenced.ok
    assert counters(bigip)["writes"] == 0  # reads only: nothing was sent that changes it
    reasons = [r for r in fenced.lb_results.values() if r]
    assert reasons and "does not hold service-appliance-set f5" in reasons[0]

    owner["yes"] = True
    assert reconciler.run().ok
    partition = f"Contrail_{topo.project}"
    pool = ids.listeners[0].pool
    assert device(bigip).tm.ltm.pools.pool.exists(name=f"Contrail_{pool}", partition=partition)
    assert agents == ["replica/test-1"]
    logged = control(bigip, "writes", None, method="GET").json()["items"]
    config_writes = [w for w in logged if w["path"].startswith("/mgmt/tm/")]
    assert config_writes and all(w["client"] == "replica/test-1" for w in config_writes)
