"""The reconciler's own configuration: INI in Contrail's style, then environment, then flags.

``/etc/contrail/contrail-f5-reconciler.conf``, section ``[DEFAULTS]``, with the key names
Contrail's daemons use (``api_server_ip``, ``rabbit_server``, …). Any key can be overridden
by an environment variable ``CONTRAIL_F5_<KEY>`` (upper case) and some by command-line flags.
A secret may be given as ``<key>_file``: a path whose content is the value, so it never has
to sit in the INI file or the environment. A bad value raises ConfigError naming the key.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reconciler.model.values import Secret

DEFAULT_PATH = Path("/etc/contrail/contrail-f5-reconciler.conf")
SECTION = "DEFAULTS"
ENV_PREFIX = "CONTRAIL_F5_"


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key and its source."""


@dataclass(frozen=True)
class ClaimRule:
    """Which kube-manager load balancers a set takes (they name no F5 provider themselves)."""

    name: str
    sas: str
    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("Service", "Ingress")


@dataclass(frozen=True)
class Credentials:
    """Device credentials from our own configuration, so they need not sit in Contrail (whose
    set kv pairs anyone with API read access sees). ``sas`` empty: every set's default."""

    sas: str
    user: str
    password: Secret

    def __repr__(self) -> str:
        return f"Credentials(sas={self.sas!r}, user={self.user!r})"


@dataclass(frozen=True)
class Config:
    api_server_ip: str = "127.0.0.1"
    api_server_port: int = 8082
    api_server_use_ssl: bool = False
    auth_token: Secret | None = None
    rabbit_server: str = ""  # empty: no notifications, poll instead
    rabbit_port: int = 5672
    rabbit_user: str = "guest"
    rabbit_password: Secret = field(default_factory=lambda: Secret("guest"))
    rabbit_vhost: str = "/"
    resync_interval: float = 60.0
    environment_prefix: str = "Contrail"
    sas_driver_pattern: str = "f5"
    max_delete_fraction: float = 0.5
    delete_guard_min_objects: int = 50
    verify_device_tls: bool = False
    device_ca_bundle: str = ""
    device_timeout: float = 30.0
    # Connections a pass uses side by side per device (one partition each); each holds one of
    # the device's 100 tokens per user.
    device_connections: int = 4
    # Connections to the Contrail API a pass writes statuses over side by side (an API server
    # answers concurrently; one status is one PUT, so 12,000 of them one by one take minutes).
    contrail_connections: int = 4
    http_listen: str = "127.0.0.1:9180"
    # The page, /status.json and /metrics ask for ``Authorization: Bearer <http_token>``
    # (probes never do) unless http_auth = none or http_listen is a loopback address.
    http_auth: str = "token"
    http_token: Secret | None = None
    # /healthz and /readyz also on a port of their own, answered by a native thread (the
    # event loop may be busy with a resync); empty: on http_listen only.
    probe_listen: str = ""
    log_level: str = "INFO"
    tls_certificate_dir: str = ""  # <container>.crt / <container>.key (TERMINATED_HTTPS)
    # Device credentials for every set (over Contrail's); [credentials:<set>] per set.
    device_user: str = ""
    device_password: Secret | None = None
    # ZooKeeper (Contrail's key names): replicas divide the F5 sets; empty = one owner of all.
    zk_server_ip: str = ""
    zk_server_port: int = 2181
    zk_root: str = "/contrail-f5-reconciler"
    zk_session_timeout: float = 20.0
    replica_id: str = ""  # default: <hostname>-<pid> (on Kubernetes: the pod name)
    claims: tuple[ClaimRule, ...] = ()
    credentials: tuple[Credentials, ...] = ()
    # A device that has not answered for this long shows in its load balancers' status
    # (operating_status OFFLINE and the reason; provisioning stays ACTIVE). Seconds.
    device_down_grace: float = 60.0
    # [set:<name>] sections: set kv pairs of our own, over what Contrail holds (whose set kv
    # cannot change while pools refer to the set: R2005 ServiceApplianceSetServer).
    set_overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def credentials_for(self, sas_name: str) -> Credentials | None:
        """Our configured credentials for a set: its own section, else the defaults, else
        None (Contrail's own credentials are used)."""
        for entry in self.credentials:
            if entry.sas == sas_name:
                return entry
        if self.device_password is not None:
            return Credentials("", self.device_user or "admin", self.device_password)
        return None

    @property
    def zk_hosts(self) -> str:
        """kazoo's hosts string: every ensemble member with a port."""
        hosts = [h.strip() for h in self.zk_server_ip.split(",") if h.strip()]
        return ",".join(h if ":" in h else f"{h}:{self.zk_server_port}" for h in hosts)

    @property
    def device_verify(self) -> bool | str:
        return self.device_ca_bundle or self.verify_device_tls


#: The settings that hold secrets (never logged; scrubbed from the status page).
SECRET_KEYS = frozenset({"auth_token", "rabbit_password", "device_password", "http_token"})


def _convert(key: str, raw: str, kind: Any, source: str) -> Any:
    text = raw.strip()
    try:
        if kind in (bool, "bool"):
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("not true or false")
        if kind in (int, "int"):
            return int(text)
        if kind in (float, "float"):
            value = float(text)
            if value < 0:
                raise ValueError("negative")
            return value
    except ValueError as exc:
        raise ConfigError(f"{source}: {key} = {raw!r} is not a valid {kind}: {exc}") from None
    return text


def _types() -> dict[str, Any]:
    hints = {f.name: f.type for f in fields(Config)}
    return {k: v.split(" ")[0] if isinstance(v, str) else v for k, v in hints.items()}


def _apply(values: dict[str, Any], raw: Mapping[str, str], source: str) -> None:
    kinds = _types()
    for key, value in raw.items():
        key = key.lower()
        if key.endswith("_file") and key[: -len("_file")] in SECRET_KEYS:
            values[key[: -len("_file")]] = _read_secret(key, value, source)
            continue
        if key not in kinds or key in ("claims", "credentials", "set_overrides"):
            raise ConfigError(f"{source}: unknown key {key!r}")
        if key in SECRET_KEYS:
            values[key] = Secret(value)
            continue
        values[key] = _convert(key, value, kinds[key], source)


def _claims(parser: configparser.ConfigParser, source: str) -> tuple[ClaimRule, ...]:
    rules = []
    for section in parser.sections():
        if not section.startswith("claim:"):
            continue
        body = parser[section]
        if not body.get("sas"):
            raise ConfigError(f"{source}: [{section}] needs sas = <service-appliance-set name>")

        def listed(key: str, default: tuple[str, ...] = (), body: Any = body) -> tuple[str, ...]:
            raw = body.get(key)
            return tuple(x.strip() for x in raw.split(",") if x.strip()) if raw else default

        rules.append(
            ClaimRule(
                name=section[len("claim:") :],
                sas=body["sas"].strip(),
                clusters=listed("clusters"),
                namespaces=listed("namespaces"),
                kinds=listed("kinds", ("Service", "Ingress")),
            )
        )
    return tuple(rules)


def _read_secret(key: str, value: str, source: str) -> Secret:
    path = Path(value.strip())
    try:
        return Secret(path.read_text().strip())
    except OSError as exc:
        raise ConfigError(f"{source}: {key} = {value!r}: cannot read: {exc}") from None


def _credentials(parser: configparser.ConfigParser, source: str) -> tuple[Credentials, ...]:
    entries = []
    for section in parser.sections():
        if not section.startswith("credentials:"):
            continue
        where = f"{source} [{section}]"
        body = {k.lower(): v for k, v in parser[section].items()}
        unknown = set(body) - {"user", "password", "password_file"}
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        if "password_file" in body:
            password = _read_secret("password_file", body["password_file"], where)
        elif "password" in body:
            password = Secret(body["password"])
        else:
            raise ConfigError(f"{where}: needs password_file = <path> (or password)")
        entries.append(
            Credentials(section[len("credentials:") :], body.get("user", "admin").strip(), password)
        )
    return tuple(entries)


#: A route community as the API server accepts it (R2005 _validate_communityattribute_type).
_COMMUNITY_WORDS = {
    "no-export",
    "accept-own",
    "no-advertise",
    "no-export-subconfed",
    "no-reoriginate",
}


def community_problem(value: str) -> str | None:
    """Why a ``vip_route_community`` value would be refused by Contrail, or None."""
    for item in (c.strip() for c in value.split(",")):
        if not item or item in _COMMUNITY_WORDS:
            continue
        asn, colon, tag = item.partition(":")
        if colon and asn.isdigit() and tag.isdigit() and int(asn) <= 65535:
            continue
        return (
            f"{item!r} is not a route community (one of {', '.join(sorted(_COMMUNITY_WORDS))}, "
            "or <AS number up to 65535>:<number>)"
        )
    return None


def _set_overrides(parser: configparser.ConfigParser, source: str) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        if not section.startswith("set:"):
            continue
        body = {k.lower(): v.strip() for k, v in parser[section].items()}
        problem = community_problem(body.get("vip_route_community", ""))
        if problem:
            raise ConfigError(f"{source} [{section}]: vip_route_community: {problem}")
        overrides[section[len("set:") :]] = body
    return overrides


def load(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Defaults ← INI file (if given, or the default path if it exists) ← environment ← flags."""
    values: dict[str, Any] = {}
    claims: tuple[ClaimRule, ...] = ()
    credentials: tuple[Credentials, ...] = ()
    set_overrides: dict[str, dict[str, str]] = {}
    file = path if path is not None else (DEFAULT_PATH if DEFAULT_PATH.exists() else None)
    if file is not None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(file) as handle:
                parser.read_file(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {file}: {exc}") from None
        except configparser.Error as exc:
            raise ConfigError(f"config file {file} is not valid INI: {exc}") from None
        if parser.has_section(SECTION):
            _apply(values, dict(parser[SECTION]), f"{file} [{SECTION}]")
        claims = _claims(parser, str(file))
        credentials = _credentials(parser, str(file))
        set_overrides = _set_overrides(parser, str(file))
    env = os.environ if environ is None else environ
    from_env = {k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    _apply(values, from_env, "environment")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = Secret(value) if key in SECRET_KEYS and isinstance(value, str) else value
    config = replace(
        Config(),
        **values,
        claims=claims,
        credentials=credentials,
        set_overrides=set_overrides,
    )
    _validate(config)
    return config


def _validate(config: Config) -> None:
    if not 0 < config.max_delete_fraction <= 1:
        raise ConfigError(f"max_delete_fraction = {config.max_delete_fraction} is not in (0, 1]")
    if not config.environment_prefix.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"environment_prefix = {config.environment_prefix!r} must be letters, digits, - or _"
        )
    if config.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level = {config.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
    if config.zk_server_ip:
        if not config.zk_root.startswith("/") or config.zk_root.endswith("/"):
            raise ConfigError(f"zk_root = {config.zk_root!r} must start with / and not end with /")
        if config.zk_session_timeout < 2:
            raise ConfigError(f"zk_session_timeout = {config.zk_session_timeout} is below 2 s")
    if not 1 <= config.device_connections <= 16:
        raise ConfigError(
            f"device_connections = {config.device_connections} is not between 1 and 16 (each "
            "connection holds one of the device's 100 tokens per user)"
        )
    if not 1 <= config.contrail_connections <= 16:
        raise ConfigError(
            f"contrail_connections = {config.contrail_connections} is not between 1 and 16"
        )
    if config.device_down_grace < 0:
        raise ConfigError(f"device_down_grace = {config.device_down_grace} is negative")
    if config.device_user and config.device_password is None:
        raise ConfigError("device_user is set but device_password (device_password_file) is not")
    if config.http_auth not in ("token", "none"):
        raise ConfigError(f"http_auth = {config.http_auth!r} is not token or none")
    host, _, port = config.http_listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"http_listen = {config.http_listen!r} is not host:port")
    if config.probe_listen and not config.probe_listen.rpartition(":")[2].isdigit():
        raise ConfigError(f"probe_listen = {config.probe_listen!r} is not host:port")
