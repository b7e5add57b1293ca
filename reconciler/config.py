"""The reconciler's own configuration: INI in Contrail's style, then environment, then flags.

``/etc/contrail/contrail-f5-reconciler.conf``, section ``[DEFAULTS]``, with the key names
Contrail's daemons use (``api_server_ip``, ``rabbit_server``, …). Any key can be overridden
by an environment variable ``CONTRAIL_F5_<KEY>`` (upper case) and some by command-line flags.
A secret may be given as ``<key>_file``: a path whose content is the value, so it never has
to sit in the INI file or the environment. A bad value raises ConfigError naming the key.
"""

from __future__ import annotations

import configparser
import difflib
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reconciler.environment import settings_from
from reconciler.model.values import Secret

DEFAULT_PATH = Path("/etc/contrail/contrail-f5-reconciler.conf")
DEFAULT_RABBIT_PASSWORD = "guest"  # RabbitMQ's own default (user guest): not a secret
SECTION = "DEFAULTS"
#: configparser's own default section is ``[DEFAULT]``, whose keys it copies into every
#: other section; ours is ``[DEFAULTS]`` (Contrail's). Naming no real section here makes a
#: ``[DEFAULT]`` written by mistake an unknown section, reported, not a silent fallback.
_NO_DEFAULT_SECTION = "contrail-f5-reconciler: no default section"
#: Section names besides [DEFAULTS]: ``<prefix><name>``.
SECTION_PREFIXES = ("claim:", "credentials:", "set:")
CLAIM_KEYS = frozenset({"sas", "clusters", "namespaces", "kinds"})
CREDENTIAL_KEYS = frozenset({"user", "password", "password_file"})
#: The set kv pairs the reconciler reads (settings.py, plan/routes.py, translate/networking.py):
#: the keys a ``[set:<name>]`` section may give.
SET_KEYS = frozenset(
    {
        "address",
        "device_ip",
        "user",
        "username",
        "password",
        "port",
        "ha_mode",
        "sync_mode",
        "device_group",
        "global_routed_mode",
        "interface_mapping",
        "snat_addresses_per_subnet",
        "vip_route_mode",
        "external_vmi",
        "external_network",
        "external_self_ip",
        "vip_route_community",
    }
)
#: Full resyncs closer than this run back to back: the reconciler then only burns CPU and
#: device requests (0 made 2,000 requests in 10 s).
MIN_RESYNC_INTERVAL = 1.0


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
    rabbit_password: Secret = field(default_factory=lambda: Secret(DEFAULT_RABBIT_PASSWORD))
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

    def secret_values(self) -> list[str]:
        """Every configured password and token, revealed: for redaction by value. The
        broker's default password (``guest``, also its default user) is no secret."""
        found = [entry.password.reveal() for entry in self.credentials]
        for name in SECRET_KEYS:
            secret = getattr(self, name)
            if secret is not None and secret != Secret(DEFAULT_RABBIT_PASSWORD):
                found.append(secret.reveal())
        return found

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


def _unknown_key(where: str, key: str, known: Iterable[str]) -> ConfigError:
    """The error for a key nobody reads, with the nearest known one when there is one."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{where}: unknown key {key!r}{hint}")


def _setting_keys() -> set[str]:
    keys = set(_types()) - {"claims", "credentials", "set_overrides"}
    return keys | {f"{k}_file" for k in SECRET_KEYS}


def _apply(values: dict[str, Any], raw: Mapping[str, str], source: str) -> None:
    kinds = _types()
    for key, value in raw.items():
        key = key.lower()
        if key.endswith("_file") and key[: -len("_file")] in SECRET_KEYS:
            values[key[: -len("_file")]] = _read_secret(key, value, source)
            continue
        if key not in _setting_keys():
            raise _unknown_key(source, key, _setting_keys())
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
        _check_keys(f"{source} [{section}]", body, CLAIM_KEYS)
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
        _check_keys(where, body, CREDENTIAL_KEYS)
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
        _check_keys(f"{source} [{section}]", body, SET_KEYS)
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
        parser = _parse(file)
        _apply(values, dict(parser[SECTION]), f"{file} [{SECTION}]")
        claims = _claims(parser, str(file))
        credentials = _credentials(parser, str(file))
        set_overrides = _set_overrides(parser, str(file))
    env = os.environ if environ is None else environ
    for variable, key, value in settings_from(env):
        _apply(values, {key: value}, f"environment variable {variable}")
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


def _parse(file: Path) -> configparser.ConfigParser:
    """The INI file, or a one-line ConfigError: unreadable, not UTF-8, not INI, empty, no
    ``[DEFAULTS]``, or a section nobody reads."""
    parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULT_SECTION)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {file} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start})"
        ) from None
    try:
        parser.read_string(text, source=str(file))
    except configparser.Error as exc:
        why = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise ConfigError(f"config file {file} is not valid INI: {why}") from None
    if not parser.sections():
        raise ConfigError(f"config file {file} has no sections: it needs at least [{SECTION}]")
    for section in parser.sections():
        if section != SECTION and not section.startswith(SECTION_PREFIXES):
            known = [SECTION, *(f"{p}<name>" for p in SECTION_PREFIXES)]
            name = section.partition(":")[2]
            close = difflib.get_close_matches(
                section, [SECTION, *(p + name for p in SECTION_PREFIXES)], n=1
            ) or difflib.get_close_matches(section.upper(), [SECTION], n=1)
            hint = f"did you mean [{close[0]}]? " if close else ""
            raise ConfigError(
                f"config file {file}: unknown section [{section}] ({hint}sections: "
                f"{', '.join(f'[{k}]' for k in known)})"
            )
    if not parser.has_section(SECTION):
        raise ConfigError(f"config file {file} has no [{SECTION}] section")
    return parser


def _check_keys(where: str, body: Iterable[str], known: frozenset[str]) -> None:
    for key in body:
        if key.lower() not in known:
            raise _unknown_key(where, key.lower(), known)


_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?")


def listen_address(listen: str, key: str = "http_listen") -> tuple[str, int]:
    """``host:port`` or ``[IPv6]:port`` as a socket address, or ConfigError naming ``key``.
    A host that looks like an IPv4 address must be one (256.1.1.1 is not a host name to
    look up)."""

    def refuse(why: str) -> ConfigError:
        return ConfigError(f"{key} = {listen!r}: {why}")

    host, colon, port = listen.strip().rpartition(":")
    if not colon or not port.isdigit():
        raise refuse("not host:port (IPv6: [address]:port)")
    if int(port) > 65535:
        raise refuse(f"port {port} is above 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), int(port)
        except ValueError as exc:
            raise refuse(f"{host[1:-1]!r} is not an IPv6 address: {exc}") from None
    if ":" in host:
        raise refuse("an IPv6 address goes in brackets: [address]:port")
    if not host:
        raise refuse("no host (0.0.0.0 for every IPv4 address, [::] for every address)")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise refuse(f"{host!r} is not an IPv4 address: {exc}") from None
    elif not _HOSTNAME.fullmatch(host):
        raise refuse(f"{host!r} is not a host name or address")
    return host, int(port)


def _validate(config: Config) -> None:
    if config.resync_interval < MIN_RESYNC_INTERVAL:
        raise ConfigError(
            f"resync_interval = {config.resync_interval:g} is below {MIN_RESYNC_INTERVAL:g} s "
            "(passes would run back to back)"
        )
    listen_address(config.http_listen)
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
    if config.probe_listen:
        listen_address(config.probe_listen, "probe_listen")
