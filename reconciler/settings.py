"""Device settings of an F5 service-appliance-set, as operators already write them (pure).

The seed's form puts everything in the set's kv pairs (``address``, ``user``, ``password``);
HA pairs use child service-appliances, each with its own address and credentials. Both work:
every child appliance is a device (not only the last one, unlike svc-monitor's driver
loader), and kv pairs fill in what a child leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler import redaction
from reconciler.config import Credentials
from reconciler.model.contrail import ApplianceSet
from reconciler.model.values import FrozenDict, Secret

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})


class SettingsError(ValueError):
    """A set's settings that cannot work; the message names the set and the key."""


@dataclass(frozen=True)
class DeviceSettings:
    name: str  # the appliance name, or the set name for a kv-only set
    address: str
    port: int
    username: str
    password: Secret

    def __repr__(self) -> str:  # never show the password, even as Secret('***')
        return f"DeviceSettings({self.name!r}, {self.address}:{self.port}, user={self.username!r})"


@dataclass(frozen=True)
class SetSettings:
    sas_uuid: str
    sas_name: str
    devices: tuple[DeviceSettings, ...]
    ha_mode: str  # "standalone" | "active-backup" | ...
    sync_mode: str  # "replication": write every device; "config-sync": write active, then sync
    global_routed_mode: bool
    properties: FrozenDict[str, str]


def is_f5_driver(driver: str | None, pattern: str) -> bool:
    return bool(driver) and re.search(pattern, driver or "", re.IGNORECASE) is not None


def _bool(sas: ApplianceSet, key: str, default: bool) -> bool:
    raw = sas.properties.get(key)
    if raw is None or raw == "":
        return default
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(
        f"service-appliance-set {sas.name}: service_appliance_set_properties {key}={raw!r} "
        "is not true or false"
    )


def _port(sas: ApplianceSet, raw: str | None, where: str) -> int:
    if raw is None or raw == "":
        return 443
    if not str(raw).isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"service-appliance-set {sas.name}: {where} {raw!r} is not a port")
    return int(raw)


def settings_for(sas: ApplianceSet, credentials: Credentials | None = None) -> SetSettings:
    """The set's devices and modes, or SettingsError naming the missing/bad key.

    ``credentials`` (our configuration's, for this set) win over whatever Contrail holds, so
    operators can keep device passwords out of Contrail altogether."""
    kv = sas.properties
    kv_user = kv.get("user") or kv.get("username")
    kv_password = kv.get("password")
    devices: list[DeviceSettings] = []
    for appliance in sorted(sas.appliances, key=lambda a: a.name):
        where = f"service-appliance {appliance.name}"
        address = appliance.address or appliance.properties.get("address")
        username = appliance.username or kv_user
        password = appliance.password or kv_password
        if credentials is not None:
            username, password = credentials.user, credentials.password
        if not address:
            raise SettingsError(
                f"service-appliance-set {sas.name}: {where} has no service_appliance_ip_address"
            )
        if not username or not password:
            raise SettingsError(
                f"service-appliance-set {sas.name}: {where} has no "
                "service_appliance_user_credentials (and the set has no user/password kv)"
            )
        port = _port(sas, appliance.properties.get("port") or kv.get("port"), f"{where} port")
        devices.append(
            DeviceSettings(appliance.name, address, port, str(username), _secret(password))
        )
    if not devices:
        address = kv.get("address") or kv.get("device_ip")
        if not address:
            raise SettingsError(
                f"service-appliance-set {sas.name}: no service-appliance children and no "
                "'address' in service_appliance_set_properties"
            )
        if credentials is not None:
            kv_user, kv_password = credentials.user, credentials.password
        if not kv_user or not kv_password:
            missing = "user" if not kv_user else "password"
            raise SettingsError(
                f"service-appliance-set {sas.name}: service_appliance_set_properties has no "
                f"'{missing}'"
            )
        for index, one in enumerate(str(address).split(",")):
            name = sas.name if "," not in str(address) else f"{sas.name}-{index + 1}"
            port = _port(sas, kv.get("port"), "port")
            devices.append(
                DeviceSettings(name, one.strip(), port, str(kv_user), _secret(kv_password))
            )
    ha_mode = str(sas.ha_mode or kv.get("ha_mode") or "standalone")
    sync_mode = str(kv.get("sync_mode") or "replication")
    if sync_mode not in ("replication", "config-sync"):
        raise SettingsError(
            f"service-appliance-set {sas.name}: service_appliance_set_properties "
            f"sync_mode={sync_mode!r} is not replication or config-sync"
        )
    plain: FrozenDict[str, str] = FrozenDict({k: str(v) for k, v in kv.items() if k != "password"})
    return SetSettings(
        sas_uuid=sas.uuid,
        sas_name=sas.name,
        devices=tuple(devices),
        ha_mode=ha_mode,
        sync_mode=sync_mode,
        global_routed_mode=_bool(sas, "global_routed_mode", True),
        properties=plain,
    )


def _secret(value: object) -> Secret:
    """The password as a Secret, remembered for redaction by value (logs, page, plans)."""
    secret = value if isinstance(value, Secret) else Secret(str(value))
    redaction.remember([secret.reveal()])
    return secret
