"""Configuration: INI ← environment ← flags, secrets from files, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.config import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contrail-f5-reconciler.conf"
    path.write_text(text)
    return path


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "[DEFAULTS]\napi_server_ip = 10.0.0.1\nresync_interval = 30\n")
    config = load(
        path, environ={"CONTRAIL_F5_RESYNC_INTERVAL": "15"}, overrides={"api_server_ip": "10.0.0.2"}
    )
    assert (config.api_server_ip, config.resync_interval) == ("10.0.0.2", 15.0)


def test_a_password_can_come_from_a_file_and_never_prints(tmp_path: Path) -> None:
    secret = tmp_path / "rabbit"
    secret.write_text("s3cr3t-value\n")
    config = load(write(tmp_path, f"[DEFAULTS]\nrabbit_password_file = {secret}\n"), environ={})
    assert config.rabbit_password.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(config) and "s3cr3t" not in str(config)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[DEFAULTS]\nresync_intervall = 5\n", "resync_intervall"),
        ("[DEFAULTS]\napi_server_port = eighty\n", "api_server_port"),
        ("[DEFAULTS]\nverify_device_tls = maybe\n", "verify_device_tls"),
        ("[DEFAULTS]\nmax_delete_fraction = 2\n", "max_delete_fraction"),
        ("[DEFAULTS]\nlog_level = VERBOSE\n", "log_level"),
        ("[DEFAULTS]\ncontrail_connections = 0\n", "contrail_connections"),
        ("[DEFAULTS]\n[claim:k8s]\nclusters = a\n", "claim:k8s"),
        ("not an ini file", "not valid INI"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(write(tmp_path, text), environ={})


def test_the_cli_reports_a_configuration_error_and_exits_1(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "[DEFAULTS]\napi_server_port = eighty\n")
    assert main(["--config", str(path), "--once", "--dry-run"]) == 1
    assert "api_server_port" in capsys.readouterr().err


def test_device_credentials_come_from_our_config_over_contrails(tmp_path: Path) -> None:
    from reconciler.model.contrail import ApplianceSet
    from reconciler.model.values import FrozenDict
    from reconciler.settings import settings_for

    (tmp_path / "all").write_text("default-pass\n")
    (tmp_path / "prod").write_text("prod-pass\n")
    config = load(
        write(
            tmp_path,
            f"[DEFAULTS]\ndevice_user = ops\ndevice_password_file = {tmp_path}/all\n"
            f"[credentials:f5-prod]\nuser = admin\npassword_file = {tmp_path}/prod\n",
        ),
        environ={},
    )
    kv = FrozenDict({"address": "10.0.0.5", "user": "contrail-user", "password": "in-contrail"})
    prod = settings_for(
        ApplianceSet("u1", "f5-prod", "f5", kv, None), config.credentials_for("f5-prod")
    )
    other = settings_for(
        ApplianceSet("u2", "f5-lab", "f5", kv, None), config.credentials_for("f5-lab")
    )
    assert (prod.devices[0].username, prod.devices[0].password.reveal()) == ("admin", "prod-pass")
    assert (other.devices[0].username, other.devices[0].password.reveal()) == (
        "ops",
        "default-pass",
    )
    assert "-pass" not in repr(config.credentials) + repr(config)
    bare = ApplianceSet("u3", "f5-bare", "f5", FrozenDict({"address": "10.0.0.6"}), None)
    assert settings_for(bare, config.credentials_for("f5-bare")).devices[0].username == "ops"
    no_config = load(write(tmp_path, "[DEFAULTS]\n"), environ={})
    assert (
        settings_for(
            ApplianceSet("u2", "f5-lab", "f5", kv, None), no_config.credentials_for("f5-lab")
        )
        .devices[0]
        .password.reveal()
        == "in-contrail"
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[DEFAULTS]\n[credentials:f5]\nuser = admin\n", "credentials:f5"),
        ("[DEFAULTS]\n[credentials:f5]\npassword = x\npasword_file = /y\n", "pasword_file"),
        ("[DEFAULTS]\n[credentials:f5]\npassword_file = /nonexistent/secret\n", "password_file"),
        ("[DEFAULTS]\ndevice_user = ops\n", "device_password"),
        ("[DEFAULTS]\nzk_server_ip = zk1\nzk_root = zk\n", "zk_root"),
        ("[DEFAULTS]\nzk_server_ip = zk1\nzk_session_timeout = 0.5\n", "zk_session_timeout"),
    ],
)
def test_bad_credentials_or_zookeeper_settings_name_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        load(write(tmp_path, text), environ={})


def test_zookeeper_hosts_get_the_default_port() -> None:
    config = load(
        None,
        environ={"CONTRAIL_F5_ZK_SERVER_IP": "zk1, zk2:2182", "CONTRAIL_F5_ZK_SERVER_PORT": "2888"},
    )
    assert config.zk_hosts == "zk1:2888,zk2:2182"
