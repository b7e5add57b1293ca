"""Transactions through f5-sdk's TransactionContextManager: all or nothing."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import urllib3
from f5.bigip.contexts import TransactionContextManager
from f5.sdk_exception import TransactionSubmitException

from emulators.bigip.types import BY_PATH
from tests.emulators.bigip.conftest import raw

urllib3.disable_warnings()


def test_commit_applies_everything(mgmt, partition):
    tx = mgmt.tm.transactions.transaction
    with TransactionContextManager(tx) as api:
        queued = api.tm.ltm.pools.pool.create(name="p1", partition=partition)
        assert queued.kind == "tm:transaction:commandsstate"
        api.tm.ltm.virtuals.virtual.create(
            name="vs", partition=partition, destination="10.0.0.1:80", pool="/P/p1"
        )
        assert not mgmt.tm.ltm.pools.pool.exists(name="p1", partition=partition)
    assert mgmt.tm.ltm.virtuals.virtual.load(name="vs", partition=partition).pool == "/P/p1"


def test_one_bad_command_changes_nothing(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="keep", partition=partition)
    tx = mgmt.tm.transactions.transaction
    with pytest.raises(TransactionSubmitException) as err, TransactionContextManager(tx) as api:
        api.tm.ltm.pools.pool.create(name="p1", partition=partition)
        api.tm.ltm.pools.pool.load(name="keep", partition=partition).modify(description="changed")
        api.tm.ltm.virtuals.virtual.create(
            name="vs", partition=partition, destination="10.0.0.1:80", pool="/P/missing"
        )
    assert "01020036:3: The requested Pool (/P/missing) was not found." in str(err.value)
    assert "command 3: POST /mgmt/tm/ltm/virtual" in str(err.value)
    assert not mgmt.tm.ltm.pools.pool.exists(name="p1", partition=partition)
    assert not hasattr(mgmt.tm.ltm.pools.pool.load(name="keep", partition=partition), "description")
    assert mgmt.tm.ltm.virtual_address_s.get_collection() == []
    assert (
        pool.generation == mgmt.tm.ltm.pools.pool.load(name="keep", partition=partition).generation
    )


def test_empty_transaction_cannot_commit(server, mgmt):
    trans = raw(server, "POST", "/mgmt/tm/transaction", json={}).json()
    assert trans["state"] == "STARTED"
    commit = raw(
        server, "PATCH", f"/mgmt/tm/transaction/{trans['transId']}", json={"state": "VALIDATING"}
    )
    assert commit.status_code == 400
    assert "no command to commit" in commit.json()["message"]


def test_commit_answers_completed_and_lists_commands(server, partition):
    trans_id = raw(server, "POST", "/mgmt/tm/transaction", json={}).json()["transId"]
    headers = {"X-F5-REST-Coordination-Id": str(trans_id)}
    queued = raw(
        server, "POST", "/mgmt/tm/ltm/pool", json={"name": "p", "partition": "P"}, headers=headers
    )
    assert queued.json()["kind"] == "tm:transaction:commandsstate"
    commands = raw(server, "GET", f"/mgmt/tm/transaction/{trans_id}/commands").json()["items"]
    assert [c["method"] for c in commands] == ["POST"]
    commit = raw(server, "PATCH", f"/mgmt/tm/transaction/{trans_id}", json={"state": "VALIDATING"})
    assert commit.json()["state"] == "COMPLETED"
    assert raw(server, "GET", "/mgmt/tm/ltm/pool/~P~p").status_code == 200


def test_a_reader_never_sees_a_transaction_half_committed(server, partition):
    """mcpd commits a transaction as one change: a client listing the virtuals while another
    swaps each of them (delete, then create at the same address) sees either every old one
    or every new one, never an address without its virtual (the gap an adoption must not
    open for live traffic). The commit is made long (1,200 swaps) so the reader lands inside
    it."""
    n = 1200
    destination = [f"/{partition}/10.0.{i // 200}.{i % 200 + 1}:80" for i in range(n)]
    virtual = BY_PATH["ltm/virtual"]
    for i in range(n):
        server.app.device.create(
            virtual, {"name": f"old{i}", "partition": partition, "destination": destination[i]}
        )
    session = requests.Session()
    session.auth, session.verify = ("admin", "admin"), False
    trans_id = session.post(f"{server.url}/mgmt/tm/transaction", json={}).json()["transId"]
    queue = {"X-F5-REST-Coordination-Id": str(trans_id)}
    for i in range(n):
        session.delete(f"{server.url}/mgmt/tm/ltm/virtual/~{partition}~old{i}", headers=queue)
        body = {"name": f"new{i}", "partition": partition, "destination": destination[i]}
        session.post(f"{server.url}/mgmt/tm/ltm/virtual", json=body, headers=queue)

    counts: list[int] = []
    committed = threading.Event()

    def watch() -> None:
        reader = requests.Session()
        reader.auth, reader.verify = ("admin", "admin"), False
        while not committed.is_set():
            page = reader.get(f"{server.url}/mgmt/tm/ltm/virtual?$select=name", timeout=30)
            counts.append(len(page.json().get("items", [])))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    time.sleep(0.05)
    commit = session.patch(
        f"{server.url}/mgmt/tm/transaction/{trans_id}", json={"state": "VALIDATING"}
    )
    committed.set()
    watcher.join(30)
    assert commit.json()["state"] == "COMPLETED"
    assert counts and set(counts) == {n}
    assert {v["name"] for v in server.app.device.items(virtual, partition, None)} == {
        f"new{i}" for i in range(n)
    }
