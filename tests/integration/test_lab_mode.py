"""Lab mode (``make test-lab``, ``tests/support/lab.py``) driven for real: the integration
tests in a subprocess with ``LAB_BIGIP`` naming a device that is not one of their own
emulators (here an emulator standing in for the lab BIG-IP). A test that needs no emulator
control passes and leaves the device as it found it; one that needs a control skips, saying
which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import emulators.bigip as bigip_emulator

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_lab_mode_runs_against_the_named_device_and_cleans_up(tmp_path: Path) -> None:
    lab = bigip_emulator.start(user="labuser", password="lab-secret")
    try:
        (tmp_path / "password").write_text("lab-secret\n")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LAB_")},
            "LAB_BIGIP": f"127.0.0.1:{lab.port}",
            "LAB_BIGIP_USER": "labuser",
            "LAB_BIGIP_PASSWORD_FILE": str(tmp_path / "password"),
        }
        tests = [
            "tests/integration/test_changes.py::test_a_monitor_that_changes_type_is_replaced_under_its_pool",
            "tests/integration/test_once.py::test_once_logs_out_of_the_device[13.1.1]",
        ]
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *tests],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "1 passed, 1 skipped" in done.stdout, done.stdout + done.stderr
        assert "needs the emulator's /_emulator/tokens control" in done.stdout
        writes = requests.get(f"{lab.url}/_emulator/writes", verify=False).json()["items"]
        assert any(w["path"].startswith("/mgmt/tm/ltm/pool") for w in writes)  # it was used
        folders = requests.get(
            f"{lab.url}/mgmt/tm/sys/folder", auth=("labuser", "lab-secret"), verify=False
        ).json()["items"]
        assert sorted(f["fullPath"] for f in folders) == ["/", "/Common"]
    finally:
        lab.stop()
