"""In-memory stand-ins for the two I/O edges, for unit tests of ``SetReconciler``: a device
that keeps iControl items by collection and answers the few calls the reconciler makes,
and a Contrail that allocates instance-ips. Strictness is the emulators' job (their own
tests, and the integration tests): these only let a test say "the device refuses this",
"the pair failed over", "Contrail already has that name" and watch what the reconciler does.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote

from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.settings import DeviceSettings


class FakeDevice:
    """Duck-types the parts of ``DeviceClient`` a reconcile uses."""

    def __init__(self, settings: DeviceSettings, active: bool = True) -> None:
        self.settings = settings
        self.name = settings.name
        self.base = "https://fake/mgmt/tm/"
        self.items: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.writes: list[tuple[str, str]] = []  # (verb, path) of every committed write
        self.refuse: dict[str, str] = {}  # name → message: writes naming it are refused
        self.active = active
        self.saves = 0
        self.saved_partitions: list[tuple[str, ...] | None] = []  # each save's partitions
        self._pending: list[tuple[str, str, dict[str, Any] | None]] | None = None
        self.put("sys/folder", {"name": "Common", "partition": "Common", "subPath": "/"})

    # -- what tests set up and look at ---------------------------------------------------

    def put(self, path: str, item: dict[str, Any]) -> None:
        key = (str(item.get("partition", "")), str(item["name"]))
        self.items.setdefault(path, {})[key] = dict(item)

    def names(self, path: str, partition: str | None = None) -> set[str]:
        return {n for (p, n) in self.items.get(path, {}) if partition in (None, p)}

    # -- the client's surface ------------------------------------------------------------

    def pool(self, _wanted: int) -> list[FakeDevice]:
        return [self]

    url = DeviceClient.url  # the client's own URL builder (it only needs ``base``)

    def collection(
        self, path: str, partition: str | None = None, expand: bool = False, page: int = 1000
    ) -> list[dict[str, Any]]:
        if path == "cm/device":
            state = "active" if self.active else "standby"
            return [{"name": self.name, "selfDevice": "true", "failoverState": state}]
        if path == "cm/device-group":
            return [{"name": "dg1", "type": "sync-failover"}]
        return [
            dict(item)
            for (p, _n), item in self.items.get(path, {}).items()
            if partition in (None, p)
        ]

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return {"entries": {}}  # pool stats: nothing known (operating status from Contrail)

    def send(self, verb: str, url: str, body: dict[str, Any] | None = None) -> Any:
        if self._pending is not None:
            self._pending.append((verb, url, body))
            return None
        self._commit([(verb, url, body)])
        return None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._pending = []
        try:
            yield
            pending = self._pending
        finally:
            self._pending = None
        self._commit(pending)

    def save_config(self, partitions: Sequence[str] | None = None) -> None:
        self.saves += 1
        self.saved_partitions.append(tuple(partitions) if partitions else None)

    def upload(self, name: str, data: bytes) -> None:
        pass

    # -- writes, all or nothing ----------------------------------------------------------

    def _commit(self, requests: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        for _verb, url, body in requests:
            named = str((body or {}).get("name", "")) or unquote(url.rsplit("~", 1)[-1])
            if named in self.refuse:
                raise DeviceError(self.refuse[named], status=400)
        for verb, url, body in requests:
            self._apply(verb, url, body)
            self.writes.append((verb, url.removeprefix(self.base)))

    def _apply(self, verb: str, url: str, body: dict[str, Any] | None) -> None:
        rest = url.removeprefix(self.base)
        if rest in ("cm", "sys/config"):
            return
        if verb == "POST":
            assert body is not None
            self.put(rest, {**body, "partition": body.get("partition", "")})
            return
        path, _, ident = rest.rpartition("/~")
        partition, _, name = ident.partition("~")
        key = (partition, unquote(name))
        if verb == "DELETE":
            self.items.get(path, {}).pop(key, None)
        elif verb == "PATCH":
            self.items.setdefault(path, {}).setdefault(key, {}).update(body or {})


class FakeContrail:
    """The few ``vnc_api`` calls the allocation step makes, with Contrail's refusal of a
    second instance-ip of one name."""

    def __init__(self, subnet_prefix: str = "10.0.0.") -> None:
        self.ips: dict[str, Any] = {}  # uuid → instance-ip
        self.prefix = subnet_prefix
        self._next = itertools.count(10)
        self.creates = 0

    def instance_ip_create(self, iip: Any) -> str:
        from vnc_api.exceptions import RefsExistError

        if any(i.name == iip.name for i in self.ips.values()):
            raise RefsExistError(f"instance-ip {iip.name} exists")
        self.creates += 1
        iip.uuid = f"iip-{len(self.ips) + 1}"
        iip.set_instance_ip_address(f"{self.prefix}{next(self._next)}")
        self.ips[iip.uuid] = iip
        return str(iip.uuid)

    def instance_ip_read(self, id: str | None = None, fq_name: list[str] | None = None) -> Any:
        from vnc_api.exceptions import NoIdError

        for uuid, iip in self.ips.items():
            if uuid == id or (fq_name and iip.name == fq_name[-1]):
                return iip
        raise NoIdError(id or str(fq_name))

    def instance_ip_delete(self, id: str) -> None:
        from vnc_api.exceptions import NoIdError

        if self.ips.pop(id, None) is None:
            raise NoIdError(id)
