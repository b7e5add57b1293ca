"""F5's own functional tests for f5-sdk, written for real BIG-IPs, as the judge of the emulator.

F5Networks/f5-common-python at v3.0.21 ships functional tests that drive a live device through
f5-sdk (``--bigip``/``--port``/``--release``, fixtures from f5-sdk's pytest plugin
``f5sdk_plugins.fixtures``). Eleven of them cover what the reconciler touches: pools and
members, virtuals (profiles, policies, stats), virtual addresses, the 40 monitor types,
nodes, snatpools and snat translations, self IPs, VLANs and their interfaces, folders, and
transactions. They are exported from the pinned snapshot (``tests.support.upstream``), never
copied here, and run unmodified in a subprocess pytest against an emulator of each version,
with ``tests.support.f5_functional_compat`` bridging pytest 2-era idioms (``pytest.config``,
Python 2's ``exception.message``).

135 tests are collected per run; 6 are skipped by the tests' own version gates (4 only for
TMOS 11.5.4, 2 only for TMOS older than 13.1), so 129 is every test a 13.1+ device can pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

import emulators.bigip as bigip
from tests.support.polling import free_port
from tests.support.upstream import F5_COMMON_PYTHON, checkout

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
_TM = "f5/bigip/tm"
FILES = (
    *(
        f"{_TM}/ltm/test/functional/test_{name}.py"
        for name in (
            "pool",
            "virtual",
            "virtual_address",
            "monitor",
            "node",
            "snatpool",
            "snat_translation",
        )
    ),
    f"{_TM}/net/test/functional/test_self.py",
    f"{_TM}/net/test/functional/test_vlan.py",
    f"{_TM}/sys/test/functional/test_folder.py",
    f"{_TM}/transaction/test/functional/test_transaction.py",
)
COLLECTED = 135
MIN_PASSED = 129  # every test not skipped by its own TMOS version gate
# The skips the tests decide themselves from --release (tagMode before 11.6, pre-13.1 monitors).
VERSION_GATED = ("11.5.4", "13.1.0 or older")


@pytest.fixture(scope="module")
def upstream() -> Path:
    src = checkout(F5_COMMON_PYTHON)
    if src is None:
        pytest.skip(F5_COMMON_PYTHON.describe())
    missing = [f for f in FILES if not (src / f).is_file()]
    if missing:
        pytest.skip(f"{F5_COMMON_PYTHON.describe()}; missing {', '.join(missing)}")
    return src


@pytest.mark.parametrize("version", ["13.1.1", "15.1.0", "16.1.0", "17.1.0"])
def test_f5_sdk_functional_tests_pass(upstream: Path, tmp_path: Path, version: str) -> None:
    server = bigip.start(port=free_port(), version=version)
    report = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                # The upstream checkout is the rootdir: its own conftest.py (unit-test fixtures
                # needing `mock`) is not loaded; f5-sdk's plugin comes from its entry point.
                "--noconftest",
                "-p",
                "tests.support.f5_functional_compat",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(upstream),
                "--bigip",
                "127.0.0.1",
                "--port",
                str(server.port),
                "--release",
                server.app.version,
                "--junitxml",
                str(report),
                "-q",
                "-W",
                "ignore",
                *FILES,
            ],
            cwd=upstream,
            env=env,
            capture_output=True,
            text=True,
            timeout=110,
        )
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    assert report.is_file(), f"no junit report (exit {done.returncode}):\n{done.stdout[-3000:]}"

    passed: list[str] = []
    skipped: dict[str, str] = {}
    failing: dict[str, list[str]] = defaultdict(list)
    for case in ET.parse(report).getroot().iter("testcase"):
        classname = case.get("classname", "")
        module = next((f for f in FILES if classname.startswith(f[:-3].replace("/", "."))), "?")
        test_id = f"{module}::{classname.rsplit('.', 1)[-1]}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failing[module].append(test_id)
        elif (skip := case.find("skipped")) is not None:
            skipped[test_id] = skip.get("message", "")
        else:
            passed.append(test_id)

    failures = "\n".join(t for ids in failing.values() for t in ids)
    assert not failing, (
        f"TMOS {version}: {sum(map(len, failing.values()))} failing in "
        f"{', '.join(sorted(failing))}:\n{failures}\n\n{done.stdout[-4000:]}"
    )
    not_gated = {t: m for t, m in skipped.items() if not any(g in m for g in VERSION_GATED)}
    assert not not_gated, f"skipped for other reasons than a version gate: {not_gated}"
    assert len(passed) + len(skipped) == COLLECTED, (len(passed), len(skipped))
    assert len(passed) >= MIN_PASSED, f"{len(passed)} passed"
    assert elapsed < 60, f"{elapsed:.1f} s"
