"""Progress on long work: `reconcile --once` redraws one line on a terminal, and writes a
`progress` log line off one (CI logs, the daemon)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from emulators.contrail.topology import ListenerSpec, MonitorSpec, PoolSpec, add_load_balancer


def services(vnc: Any, topo: Any, n: int = 10) -> None:
    for i in range(n):
        pool = PoolSpec(
            members=[(f"10.2.7.{i}", 80 + m, 1) for m in range(3)], monitor=MonitorSpec("TCP")
        )
        add_load_balancer(
            vnc, topo, f"web{i}", listeners=[ListenerSpec("TCP", 1000 + i, pool=pool)]
        )


def test_a_terminal_sees_one_redrawn_progress_line(
    bigip, contrail, vnc, topo, tmp_path: Path
) -> None:
    services(vnc, topo)
    conf = tmp_path / "r.conf"
    conf.write_text(
        f"[DEFAULTS]\napi_server_port = {contrail.port}\nlog_level = WARNING\ndevice_timeout = 5\n"
    )
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli", "--config", str(conf), "--once"],
        stdin=follower,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(30) == 0
    text = seen.decode(errors="replace")
    assert "\r" in text and "reconcile --once:" in text  # redrawn in place
    last = text.strip().splitlines()[-1].rsplit("\r", 1)[-1]
    assert "partitions" in last and "objects/s" in last
    written, planned = last.split(": ", 1)[1].split(" objects")[0].split("/")
    assert written == planned and int(planned) >= 50


def test_off_a_terminal_progress_is_a_log_line(
    bigip, vnc, topo, contrail, tmp_path: Path, capsys
) -> None:
    from reconciler.cli import main

    services(vnc, topo)
    conf = tmp_path / "r.conf"
    conf.write_text(
        f"[DEFAULTS]\napi_server_port = {contrail.port}\nlog_level = INFO\ndevice_timeout = 5\n"
    )
    assert main(["--config", str(conf), "--once", "--no-color"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    progress = [x for x in lines if x.get("event") == "progress"]
    assert progress and progress[-1]["done"] is True
    assert progress[-1]["objects_written"] == progress[-1]["objects_planned"] >= 50
