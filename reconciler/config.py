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

from reconciler.values import Secret

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
    http_listen: str = "127.0.0.1:9180"
    log_level: str = "INFO"
    tls_certificate_dir: str = ""  # <container>.crt / <container>.key (TERMINATED_HTTPS)
    claims: tuple[ClaimRule, ...] = ()

    @property
    def device_verify(self) -> bool | str:
        return self.device_ca_bundle or self.verify_device_tls


_SECRETS = frozenset({"auth_token", "rabbit_password"})


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
        if key.endswith("_file") and key[: -len("_file")] in _SECRETS:
            secret_key = key[: -len("_file")]
            path = Path(value.strip())
            try:
                values[secret_key] = Secret(path.read_text().strip())
            except OSError as exc:
                raise ConfigError(f"{source}: {key} = {value!r}: cannot read: {exc}") from None
            continue
        if key not in kinds or key == "claims":
            raise ConfigError(f"{source}: unknown key {key!r}")
        if key in _SECRETS:
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


def load(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Defaults ← INI file (if given, or the default path if it exists) ← environment ← flags."""
    values: dict[str, Any] = {}
    claims: tuple[ClaimRule, ...] = ()
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
    env = os.environ if environ is None else environ
    from_env = {k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    _apply(values, from_env, "environment")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = Secret(value) if key in _SECRETS and isinstance(value, str) else value
    config = replace(Config(), **values, claims=claims)
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
    host, _, port = config.http_listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"http_listen = {config.http_listen!r} is not host:port")
