"""Process-wide test setup.

requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override ``session.verify = False``
(psf/requests#3829). f5-sdk turns verification off on its session, so on a machine whose
environment names a CA bundle, f5-sdk would reject the emulator's self-signed certificate
— as it would a real BIG-IP's. The tests drop those variables; the product handles the same
quirk itself (its device session does not trust the environment for TLS settings).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.zookeeper import ZooKeeperServer

for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    """A ZooKeeper server for the whole run (Debian's, standalone, on a free loopback port);
    tests keep apart by each using a root node of their own."""
    server = ZooKeeperServer(Path(tmp_path_factory.mktemp("zookeeper"))).start()
    yield server
    server.stop()
