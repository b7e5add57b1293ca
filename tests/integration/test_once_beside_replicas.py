"""`reconcile --once` with ZooKeeper configured takes turns with running replicas.

A one-shot apply next to the daemons would be a second writer on their devices. With
``zk_server_ip`` set, the pass takes each set's owner node for its duration (so no replica
starts on the set meanwhile) and leaves a set a replica holds to that replica, saying so.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.coordination import ZooKeeperOwnership
from tests.integration.conftest import counters
from tests.integration.test_faults import seed

pytestmark = [pytest.mark.zookeeper]


def test_once_skips_a_set_a_replica_holds_and_applies_it_when_none_does(
    bigip, contrail, vnc, topo, zookeeper, tmp_path: Path, capsys
) -> None:
    seed(vnc, topo)
    root = f"/once-{uuid.uuid4().hex[:8]}"
    conf = tmp_path / "reconciler.conf"
    conf.write_text(
        "[DEFAULTS]\n"
        f"api_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
        f"zk_server_ip = {zookeeper.hosts}\nzk_root = {root}\nzk_session_timeout = 4\n"
        "log_level = ERROR\ndevice_timeout = 5\n"
    )
    replica = ZooKeeperOwnership(zookeeper.hosts, root, "replica-x", session_timeout=4)
    replica.start(lambda: None)
    replica.offer(["f5"])
    deadline = time.monotonic() + 15
    while "f5" not in replica.owned:
        assert time.monotonic() < deadline, "the replica never took the set"
        time.sleep(0.05)
    counters(bigip, reset=True)
    capsys.readouterr()
    assert main(["--config", str(conf), "--once", "--no-color"]) == 1
    err = capsys.readouterr().err
    assert "service-appliance-set f5 is reconciled by replica replica-x" in err
    assert counters(bigip)["total"] == 0  # not even read: the set is the replica's business
    assert main(["--config", str(conf), "--dry-run", "--no-color"]) == 2  # a plan still shows

    replica.stop()  # its session closes: the set is free
    assert main(["--config", str(conf), "--once", "--no-color"]) == 0
    assert counters(bigip)["writes"] > 0
    assert main(["--config", str(conf), "--dry-run", "--no-color"]) == 0
