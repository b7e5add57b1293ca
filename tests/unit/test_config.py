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
        ("[claim:k8s]\nclusters = a\n", "claim:k8s"),
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


def test_the_kubernetes_manifest_carries_a_config_that_loads(tmp_path: Path) -> None:
    text = (ROOT / "manifests" / "contrail-f5-reconciler.yaml").read_text()
    block = text.split("contrail-f5-reconciler.conf: |\n", 1)[1].split("\n---", 1)[0]
    ini = "\n".join(line[4:] for line in block.splitlines())
    for name in ("auth_token", "rabbit_password"):
        (tmp_path / name).write_text("x")
    ini = ini.replace("/etc/contrail/secrets/", f"{tmp_path}/")
    config = load(write(tmp_path, ini), environ={})
    assert config.rabbit_server and [c.sas for c in config.claims] == ["f5"]
