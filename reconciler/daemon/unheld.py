"""Notifications of objects a replica does not hold, checked together instead of one by one.

A replica hears every change in the cloud. An object it does not hold may still be one of
its own — a load balancer just made in (or moved into) one of its sets, a pool just attached
to one of its listeners — so it asks Contrail. Asked one GET (or three, up a pool's links)
per notification, 3 replicas cold-started on 24,000 load balancers still had ~35,000 such
lookups queued each five minutes after their initial syncs: every other replica's status
write-backs are such notifications, on the one thread that also reads this replica's own
changes, which waited behind them.

So they wait here, and the Contrail stage checks all that gathered at once (one key,
``CHECK``, coalesced by the work queue while a check runs): one listing per page of 500
pools, listeners or load balancers (``contrail.scope.in_scope_of``,
``load_balancers_under``). Members whose pool is named are parked instead (``parked.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Unheld:
    """Load balancer uuids to check against the scope, and ``(kind, uuid)`` of objects
    under load balancers to follow up to theirs."""

    load_balancers: set[str] = field(default_factory=set)
    objects: set[tuple[str, str]] = field(default_factory=set)


class UnheldChecks:
    """What notifications named that this replica does not hold, until the next check."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = Unheld()
        # load balancers a check found in scope: read without asking again
        self._found: set[str] = set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending.load_balancers) + len(self._pending.objects)

    def load_balancer(self, uuid: str) -> None:
        with self._lock:
            self._pending.load_balancers.add(uuid)

    def under_load_balancer(self, kind: str, uuid: str) -> None:
        with self._lock:
            self._pending.objects.add((kind, uuid))

    def take(self) -> Unheld:
        with self._lock:
            taken, self._pending = self._pending, Unheld()
            return taken

    def give_back(self, unheld: Unheld) -> None:
        """A check that failed: its objects are checked again with the next."""
        with self._lock:
            self._pending.load_balancers |= unheld.load_balancers
            self._pending.objects |= unheld.objects

    def found(self, uuids: set[str]) -> None:
        with self._lock:
            self._found |= uuids

    def was_found(self, uuid: str) -> bool:
        """Did a check just find this load balancer in scope (said once)?"""
        with self._lock:
            if uuid in self._found:
                self._found.discard(uuid)
                return True
            return False
