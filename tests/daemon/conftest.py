"""The daemon as a subprocess, against both emulators (in this process) and the real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import emulators.contrail as contrail_emulator

# The same device, client and topology as the one-shot tests; only `contrail` differs (it
# publishes to the broker).
from tests.integration.conftest import bigip, bigip_version, topo, vnc  # noqa: F401
from tests.support.polling import free_port, wait_until
from tests.support.rabbitmq import BROKER_URL, drop_vhost, ensure_broker, private_vhost

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def vhost() -> Iterator[str]:
    name = f"contrail-f5-tests-{os.getpid()}"
    private_vhost(name)
    yield name
    drop_vhost(name)


@pytest.fixture
def broker(vhost: str) -> str:
    """The local broker, on this session's own vhost (see ``private_vhost``)."""
    return ensure_broker(private_vhost(vhost))


@pytest.fixture
def contrail(broker: str) -> Iterator[Any]:
    server = contrail_emulator.start(amqp_url=broker)
    yield server
    server.stop()


def update_member(client: Any, member_uuid: str, **values: Any) -> None:
    """Change member properties through vnc_api, as a user would (the API publishes it)."""
    member = client.loadbalancer_member_read(id=member_uuid)
    props = member.get_loadbalancer_member_properties()
    for key, value in values.items():
        setattr(props, key, value)
    member.set_loadbalancer_member_properties(props)
    client.loadbalancer_member_update(member)


class Daemon:
    def __init__(self, config: Path, log: Path, listen: str) -> None:
        self.config, self.log_path, self.listen = config, log, listen
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRAIL_F5_")}
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler.cli", "--config", str(self.config)],
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        return self

    def url(self, path: str) -> str:
        return f"http://{self.listen}{path}"

    def get(self, path: str) -> requests.Response | None:
        try:
            return requests.get(self.url(path), timeout=2)
        except requests.ConnectionError:
            return None

    def ready(self) -> bool:
        answer = self.get("/readyz")
        return answer is not None and answer.status_code == 200

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        answer = self.get("/metrics")
        assert answer is not None and answer.status_code == 200
        values = {}
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return values

    def metric_sum(self, name: str, **labels: str) -> float:
        return sum(
            v
            for (n, lbl), v in self.metrics().items()
            if n == name and all(dict(lbl).get(k) == val for k, val in labels.items())
        )

    def terminate(self, timeout: float = 15.0) -> float:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if hasattr(self, "log_file"):
            self.log_file.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def daemon_factory(tmp_path: Path, contrail: Any, vhost: str) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []
    broker_vhost = vhost

    def make(resync: float = 60.0, broker: bool = True, **extra: Any) -> Daemon:
        vhost = broker_vhost
        listen = f"127.0.0.1:{free_port()}"
        conf = tmp_path / f"daemon{len(started)}.conf"
        lines = [
            "[DEFAULTS]",
            "api_server_ip = 127.0.0.1",
            f"api_server_port = {extra.pop('api_port', contrail.port)}",
            f"http_listen = {listen}",
            f"resync_interval = {resync}",
            "device_timeout = 5",
            "log_level = DEBUG",
        ]
        if broker:
            lines += ["rabbit_server = 127.0.0.1", "rabbit_port = 5672", f"rabbit_vhost = {vhost}"]
        lines += [f"{k} = {v}" for k, v in extra.items()]
        conf.write_text("\n".join(lines) + "\n")
        daemon = Daemon(conf, tmp_path / f"daemon{len(started)}.log", listen)
        started.append(daemon)
        return daemon.start()

    yield make
    for daemon in started:
        daemon.stop()
        # pytest shows this only when the test failed: the daemon's own account of it
        print(f"--- daemon log {daemon.log_path} (tail) ---")
        print(daemon.output()[-6000:])


__all__ = ["BROKER_URL", "Daemon", "free_port", "wait_until"]
