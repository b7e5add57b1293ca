"""Which replica reconciles which F5 service-appliance-set, and the fence on its writes.

Several replicas run for availability (Contrail runs three of each service), but two writers
on one BIG-IP would only fight. So each set has exactly one owner at a time:

* ``SoleOwnership``: no ZooKeeper configured — this process owns every set.
* ``ZooKeeperOwnership``: replicas register as ephemeral sequential nodes under
  ``<root>/replicas``; every replica computes the same assignment of sets to live replicas
  by rendezvous hashing (a replica joining or leaving moves only the sets it gains or had);
  the assigned replica takes the set by creating the ephemeral node
  ``<root>/sets/<set>/owner``. A replica that dies loses its nodes when its session expires
  and the others, watching, take its sets over. A replica that should give a set up first
  stops its workers (the current apply finishes), then deletes the node.

The fence: a device write goes out only while ``fence(set)`` says this replica still holds
the set's owner node *in its current session* and the session is connected. The proof is a
ZooKeeper round trip no older than a third of the session timeout: the server cannot have
expired the session (so nobody else can hold the node) earlier than one session timeout after
that round trip started, so the write's own timeout is capped at what is left of that lease.
Across a network partition the cut-off replica stops writing before its session can expire
and a new owner can start. (A request already on the wire when the lease ends cannot be
recalled from the device; the cap keeps that window to the request timeout within the lease.)
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from reconciler.logs import get_logger

log = get_logger("coordination")
LEASE_REFRESH_FRACTION = 1 / 3  # re-prove ownership when the last proof is older than this
LEASE_SAFETY = 0.9  # clocks of client and server may run at slightly different rates


class NotOwner(RuntimeError):
    """This replica may not write for the set now (not its owner, or ownership unproven)."""


class Ownership(Protocol):
    def start(self, on_change: Callable[[], None]) -> None: ...

    def offer(self, sets: Iterable[str]) -> None:
        """The F5 sets that exist now (from the latest Contrail snapshot)."""

    def owns(self, sas: str) -> bool:
        """Should this replica run the set's workers?"""

    def fence(self, sas: str) -> float | None:
        """Seconds a write may still take, None for no limit; raises NotOwner."""

    def may_write(self, sas: str) -> bool:
        """``fence`` as a yes/no, for writes to Contrail (status, routes)."""

    def pending_release(self) -> frozenset[str]:
        """Sets this replica is giving up, waiting for their workers to stop."""

    def released(self, sas: str) -> None:
        """The set's workers have stopped: hand it over."""

    def readiness(self) -> dict[str, bool]: ...

    @property
    def owned(self) -> frozenset[str]: ...

    def stop(self) -> None: ...


def replica_identity(configured: str) -> str:
    """The configured id (on Kubernetes: the pod name), else ``<hostname>-<pid>``."""
    return configured or f"{socket.gethostname()}-{os.getpid()}"


def rendezvous_owner(sas: str, replicas: Iterable[str]) -> str | None:
    """Highest-random-weight choice: every replica computes the same owner, and a change of
    membership moves only the sets of the replica that came or went."""

    def weight(replica: str) -> bytes:
        return hashlib.sha256(f"{sas}\0{replica}".encode()).digest()

    return max(replicas, key=weight, default=None)


class SoleOwnership:
    """No coordination: this process owns every set (run a single replica)."""

    def __init__(self) -> None:
        self._sets: frozenset[str] = frozenset()

    def start(self, on_change: Callable[[], None]) -> None:
        pass

    def offer(self, sets: Iterable[str]) -> None:
        self._sets = frozenset(sets)

    def owns(self, sas: str) -> bool:
        return True

    def fence(self, sas: str) -> float | None:
        return None

    def may_write(self, sas: str) -> bool:
        return True

    def pending_release(self) -> frozenset[str]:
        return frozenset()

    def released(self, sas: str) -> None:
        pass

    def readiness(self) -> dict[str, bool]:
        return {}

    @property
    def owned(self) -> frozenset[str]:
        return self._sets

    def stop(self) -> None:
        pass


@dataclass
class _Held:
    session: int  # the ZooKeeper session that created the owner node
    proven_at: float  # monotonic time a round trip proving the node ours was *sent*


class _OwnerNodes:
    """The owner nodes this process holds, and the fence on them (shared by the daemon's
    ownership and a one-shot pass's claims)."""

    def __init__(
        self,
        hosts: str,
        root: str,
        replica_id: str,
        session_timeout: float,
        on_transition: Callable[[str, str], None] | None = None,
    ) -> None:
        from kazoo.client import KazooClient

        self.root = root
        self.replica_id = replica_id
        self.session_timeout = session_timeout
        self.client = KazooClient(
            hosts=hosts, timeout=session_timeout, handler=_handler(), connection_retry=_retry()
        )
        self.on_transition = on_transition or (lambda sas, change: None)
        self._lock = threading.RLock()  # guards the fields below (watchers, loop, workers)
        self._held: dict[str, _Held] = {}
        self._suspended = True
        self._wake = threading.Event()

    def fence(self, sas: str) -> float | None:
        with self._lock:
            held = self._held.get(sas)
            suspended = self._suspended
        if held is None:
            raise NotOwner(f"this replica does not hold service-appliance-set {sas}")
        if suspended or self._session() != held.session:
            raise NotOwner(f"zookeeper session of service-appliance-set {sas} not connected")
        now = time.monotonic()
        if now - held.proven_at > self.session_timeout * LEASE_REFRESH_FRACTION:
            sent = time.monotonic()
            try:
                stat = self.client.exists(self._owner_path(sas))
            except Exception as exc:
                raise NotOwner(f"ownership of {sas} not provable: {type(exc).__name__}") from None
            if stat is None or stat.ephemeralOwner != held.session:
                with self._lock:
                    self._held.pop(sas, None)
                self.on_transition(sas, "lost")
                self._wake.set()
                raise NotOwner(f"service-appliance-set {sas} is no longer ours in zookeeper")
            held.proven_at = sent
        left = held.proven_at + self.session_timeout * LEASE_SAFETY - time.monotonic()
        if left <= 0:
            raise NotOwner(f"lease on service-appliance-set {sas} ran out")
        return left

    def may_write(self, sas: str) -> bool:
        try:
            self.fence(sas)
        except NotOwner:
            return False
        return True

    def _session(self) -> int | None:
        client_id = self.client.client_id
        return client_id[0] if client_id else None

    def _owner_path(self, sas: str) -> str:
        return f"{self.root}/sets/{quote(sas, safe='')}/owner"

    def _take(self, sas: str, session: int, watch: bool) -> str | None:
        """Create the set's owner node; None when it is ours now, else who holds it.
        ``watch``: be woken when the holder lets go."""
        from kazoo.exceptions import NodeExistsError, NoNodeError

        path = self._owner_path(sas)
        self.client.ensure_path(path.rsplit("/", 1)[0])
        sent = time.monotonic()
        try:
            self.client.create(path, self.replica_id.encode(), ephemeral=True)
        except NodeExistsError:
            waker = (lambda _event: self._wake.set()) if watch else None
            try:
                data, stat = self.client.get(path, watch=waker)
            except NoNodeError:  # deleted in between: try again now
                self._wake.set()
                return "nobody (released just now)"
            if stat.ephemeralOwner != session:
                return data.decode(errors="replace") or "another replica"
        with self._lock:
            self._held[sas] = _Held(session=session, proven_at=sent)
        self.on_transition(sas, "acquired")
        return None


class ZooKeeperOwnership(_OwnerNodes):
    """Sets divided among live replicas through ZooKeeper (see the module docstring)."""

    def __init__(
        self,
        hosts: str,
        root: str,
        replica_id: str,
        session_timeout: float = 20.0,
        on_transition: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(hosts, root, replica_id, session_timeout, on_transition)
        self._on_change: Callable[[], None] = lambda: None
        self._sets: frozenset[str] = frozenset()
        self._releasing: set[str] = set()
        self._node: str | None = None  # our registration, in _node_session
        self._node_session: int | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.replicas: tuple[str, ...] = ()  # the live replicas as last seen (status page)

    # -- life cycle -------------------------------------------------------------------------

    def start(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self.client.add_listener(self._state_changed)
        self.client.start_async()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="coordination")
        self._thread.start()

    def stop(self) -> None:
        """Close the session: our nodes vanish at once and the others take our sets now,
        not a session timeout later. Call after the workers have stopped."""
        self._stopped = True
        self._wake.set()
        with self._lock:
            self._held.clear()
        try:
            self.client.stop()
            self.client.close()
        except Exception as exc:  # closing must not stop the shutdown
            log.warning("zookeeper session not closed cleanly", error=str(exc))

    def _state_changed(self, state: str) -> None:
        """kazoo's connection listener (its own thread: only flags here, no ZooKeeper calls)."""
        from kazoo.client import KazooState

        log.info("zookeeper connection", state=str(state))
        lost: list[str] = []
        with self._lock:
            # Suspended (connection lost, session perhaps alive): workers keep running but
            # the fence refuses every write until the session is back.
            self._suspended = state != KazooState.CONNECTED
            if state == KazooState.LOST:  # the session expired: its nodes are gone
                lost = sorted(self._held)
                self._held.clear()
                self._releasing.clear()
                self._node = None
        for sas in lost:
            self.on_transition(sas, "lost")
        if lost:
            log.warning("zookeeper session lost; sets dropped", sets=lost)
            self._on_change()
        self._wake.set()

    # -- what the controller asks ---------------------------------------------------------

    def offer(self, sets: Iterable[str]) -> None:
        sets = frozenset(sets)
        with self._lock:
            if sets == self._sets:
                return
            self._sets = sets
        self._wake.set()

    def owns(self, sas: str) -> bool:
        with self._lock:
            return sas in self._held and sas not in self._releasing

    @property
    def owned(self) -> frozenset[str]:
        with self._lock:
            return frozenset(s for s in self._held if s not in self._releasing)

    def pending_release(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._releasing)

    def readiness(self) -> dict[str, bool]:
        with self._lock:
            return {"coordination_connected": not self._suspended and self._node is not None}

    def released(self, sas: str) -> None:
        """Delete our owner node (only if it is still ours), so the new owner can take it."""
        with self._lock:
            if sas not in self._releasing:  # assigned back to us meanwhile: keep it
                return
            held = self._held.pop(sas, None)
            self._releasing.discard(sas)
        if held is not None:
            try:
                path = self._owner_path(sas)
                stat = self.client.exists(path)
                if stat is not None and stat.ephemeralOwner == held.session:
                    self.client.delete(path, version=stat.version)
            except Exception as exc:  # the session's end will remove it anyway
                log.warning("owner node not deleted", sas=sas, error=str(exc))
            log.info("released service-appliance-set", sas=sas)
            self.on_transition(sas, "released")
        self._wake.set()

    # -- the balancing loop ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait(timeout=max(1.0, self.session_timeout / 3))
            self._wake.clear()
            if self._stopped:
                return
            try:
                self._balance()
            except Exception as exc:  # connection loss mid-way: the next wake retries
                log.warning("balancing sets failed; retrying", error=f"{type(exc).__name__}")
                time.sleep(0.5)
                self._wake.set()

    def _register(self, session: int) -> None:
        self.client.ensure_path(f"{self.root}/replicas")
        payload = json.dumps({"replica": self.replica_id, "host": socket.gethostname()})
        node = self.client.create(
            f"{self.root}/replicas/{self.replica_id}-",
            payload.encode(),
            ephemeral=True,
            sequence=True,
        )
        with self._lock:
            self._node, self._node_session = node, session
        log.info("registered with zookeeper", node=node, replica=self.replica_id)

    def _balance(self) -> None:
        session = self._session()
        with self._lock:
            if self._suspended or session is None:
                return
            registered = self._node is not None and self._node_session == session
        if not registered:
            self._register(session)
        children = self.client.get_children(
            f"{self.root}/replicas", watch=lambda _event: self._wake.set()
        )
        replicas = sorted({child.rsplit("-", 1)[0] for child in children})
        self.replicas = tuple(replicas)
        if self.replica_id not in replicas:  # our node vanished: register again next round
            with self._lock:
                self._node = None
            self._wake.set()
            return
        with self._lock:
            sets = self._sets
            held = set(self._held)
            releasing = set(self._releasing)
        changed = False
        for sas in sorted(sets):
            mine = rendezvous_owner(sas, replicas) == self.replica_id
            if mine and sas not in held:
                changed |= self._acquire(sas, session)
            elif mine and sas in releasing:  # assigned back to us before we let go
                with self._lock:
                    self._releasing.discard(sas)
                changed = True
        for sas in sorted(held - releasing):
            if sas not in sets or rendezvous_owner(sas, replicas) != self.replica_id:
                with self._lock:
                    self._releasing.add(sas)
                log.info("giving up service-appliance-set", sas=sas, replicas=replicas)
                changed = True
        if changed:
            self._on_change()

    def _acquire(self, sas: str, session: int) -> bool:
        holder = self._take(sas, session, watch=True)
        if holder is None:
            log.info("took service-appliance-set", sas=sas, replica=self.replica_id)
        return holder is None  # else: still held by its previous owner, who will let go


class OneShotClaims(_OwnerNodes):
    """``reconcile --once`` beside running replicas: it takes each set's owner node for the
    length of the pass (no replica starts on that set meanwhile, and the pass's writes are
    fenced like a replica's), or skips a set a replica holds. Closing the session at the end
    hands the sets back."""

    def __enter__(self) -> OneShotClaims:
        from kazoo.client import KazooState

        try:
            self.client.start(timeout=min(10.0, self.session_timeout))
        except Exception as exc:
            raise NotOwner(f"zookeeper not reachable: {type(exc).__name__}: {exc}") from None
        self._suspended = False

        def listener(state: str) -> None:
            self._suspended = state != KazooState.CONNECTED

        self.client.add_listener(listener)
        return self

    def claim(self, sas: str) -> str | None:
        """None when the set is ours for this pass, else the replica that holds it."""
        session = self._session()
        if session is None:
            return "nobody (zookeeper session lost)"
        return self._take(sas, session, watch=False)

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.stop()
            self.client.close()
        except Exception as error:
            log.warning("zookeeper session not closed cleanly", error=str(error))


def _handler() -> Any:
    """kazoo's gevent handler once the daemon has monkey-patched, else its threading one."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            from kazoo.handlers.gevent import SequentialGeventHandler

            return SequentialGeventHandler()
    except ImportError:
        pass
    from kazoo.handlers.threading import SequentialThreadingHandler

    return SequentialThreadingHandler()


def _retry() -> dict[str, Any]:
    """Reconnect forever (with kazoo's capped backoff): a replica that cannot reach
    ZooKeeper simply owns nothing until it can."""
    return {"max_tries": -1, "delay": 0.5, "max_delay": 5.0}
