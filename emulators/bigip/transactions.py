"""iControl REST transactions: queue commands, then apply them all or none.

``POST /mgmt/tm/transaction`` opens one; writes carrying ``X-F5-REST-Coordination-Id`` are
queued and answered with a ``tm:transaction:commandsstate``; ``PATCH`` with
``{"state": "VALIDATING"}`` runs the queue inside one atomic block of the device, so one
failing command rolls back the others and the error names it.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from emulators.bigip.errors import ApiError

TIMEOUT_SECONDS = 120


@dataclass
class Command:
    method: str
    uri: str  # path under /mgmt/, as sent (decoded)
    query: dict[str, str]
    body: Any
    command_id: int

    def describe(self, trans_id: int, version: str) -> dict[str, Any]:
        return {
            "method": self.method,
            "uri": f"https://localhost{self.uri}",
            "body": self.body,
            "evalOrder": self.command_id,
            "commandId": self.command_id,
            "transId": trans_id,
            "kind": "tm:transaction:commandsstate",
            "selfLink": f"https://localhost/mgmt/tm/transaction/{trans_id}/commands/"
            f"{self.command_id}?ver={version}",
        }


@dataclass
class Transaction:
    trans_id: int
    created: float
    state: str = "STARTED"
    failure_reason: str = ""
    commands: list[Command] = field(default_factory=list)

    def describe(self, version: str) -> dict[str, Any]:
        return {
            "transId": self.trans_id,
            "state": self.state,
            "timeoutSeconds": TIMEOUT_SECONDS,
            "asyncExecution": False,
            "validateOnly": False,
            "executionTimeout": 300,
            "executionTime": 0,
            "failedAt": "",
            "failureReason": self.failure_reason,
            "kind": "tm:transactionstate",
            "selfLink": f"https://localhost/mgmt/tm/transaction/{self.trans_id}?ver={version}",
        }


class Transactions:
    def __init__(self) -> None:
        self._ids = itertools.count(int(time.time() * 1000))
        self._lock = threading.Lock()
        self.open: dict[int, Transaction] = {}

    def start(self) -> Transaction:
        with self._lock:
            txn = Transaction(next(self._ids), time.time())
            self.open[txn.trans_id] = txn
        return txn

    def get(self, trans_id: Any) -> Transaction:
        try:
            txn = self.open.get(int(trans_id))
        except (TypeError, ValueError):
            txn = None
        if txn is None:
            raise ApiError(404, f"Transaction {trans_id} not found.", api_error=1)
        return txn

    def add(
        self, trans_id: Any, method: str, uri: str, query: dict[str, str], body: Any
    ) -> Command:
        txn = self.get(trans_id)
        if txn.state != "STARTED":
            raise ApiError(400, f"Transaction {trans_id} is {txn.state}; it cannot take commands.")
        with self._lock:
            command = Command(method, uri, dict(query), body, len(txn.commands) + 1)
            txn.commands.append(command)
        return command

    def remove(self, trans_id: Any) -> None:
        txn = self.get(trans_id)
        with self._lock:
            self.open.pop(txn.trans_id, None)

    def clear(self) -> None:
        with self._lock:
            self.open.clear()
