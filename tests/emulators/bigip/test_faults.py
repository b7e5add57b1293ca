"""Every transport control, observed from the client side."""

from __future__ import annotations

import time

import pytest
import requests
from icontrol.exceptions import iControlUnexpectedHTTPError

from tests.emulators.bigip.conftest import control, raw


def test_status_fault_has_bigip_body(server, mgmt):
    control(server, "faults", {"kind": "status", "status": 500, "count": 1})
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        mgmt.tm.ltm.pools.get_collection()
    body = err.value.response.json()
    assert err.value.response.status_code == 500
    assert body["message"] == "The connection to mcpd has been lost, try again."
    assert mgmt.tm.ltm.pools.get_collection() == []  # only the next one failed


def test_reset_fault_is_connection_error(server):
    control(server, "faults", {"kind": "reset", "path": "/ltm/pool"})
    with pytest.raises(requests.exceptions.ConnectionError):
        raw(server, "GET", "/mgmt/tm/ltm/pool")
    assert raw(server, "GET", "/mgmt/tm/ltm/pool").status_code == 200


def test_a_fault_can_take_only_one_partitions_collection_reads(server):
    """Every partition's collection shares one path: the query tells them apart."""
    control(server, "faults", {"kind": "status", "count": None, "query": "partition eq Slow"})
    filtered = "/mgmt/tm/ltm/pool?$filter=partition%20eq%20"
    assert raw(server, "GET", filtered + "Slow").status_code == 500
    assert raw(server, "GET", filtered + "Slow").status_code == 500  # until cleared
    assert raw(server, "GET", filtered + "Common").status_code == 200
    assert raw(server, "GET", "/mgmt/tm/ltm/pool").status_code == 200
    control(server, "faults", method="DELETE")
    assert raw(server, "GET", filtered + "Slow").status_code == 200


def test_hang_fault_is_timeout(server):
    control(server, "faults", {"kind": "hang", "seconds": 5})
    with pytest.raises(requests.exceptions.ReadTimeout):
        raw(server, "GET", "/mgmt/tm/ltm/pool", timeout=0.5)
    control(server, "faults", method="DELETE")


def test_latency_and_counters(server, mgmt):
    control(server, "counters", method="DELETE")
    control(server, "latency", {"per_verb": {"POST": 0.3}})
    started = time.monotonic()
    mgmt.tm.ltm.pools.pool.create(name="p", partition="Common")
    assert time.monotonic() - started >= 0.3
    control(server, "latency", {"fixed": 0})
    mgmt.tm.ltm.pools.get_collection()
    counts = control(server, "counters", method="GET")
    assert counts["by_verb"] == {"POST": 1, "GET": 1}
    assert counts["writes"] == 1
