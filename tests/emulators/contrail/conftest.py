from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import emulators.contrail as contrail
from emulators.contrail import topology
from tests.support.rabbitmq import ensure_broker


@pytest.fixture
def server() -> Iterator[contrail.ContrailServer]:
    srv = contrail.start()
    yield srv
    srv.stop()


@pytest.fixture
def vnc(server: contrail.ContrailServer) -> Any:
    return contrail.client(server)


@pytest.fixture
def topo(vnc: Any) -> topology.Topology:
    return topology.seed_topology(vnc)


@pytest.fixture(scope="session")
def broker_url() -> str:
    return ensure_broker()


@pytest.fixture
def amqp_server(broker_url: str) -> Iterator[contrail.ContrailServer]:
    srv = contrail.start(amqp_url=broker_url)
    yield srv
    srv.stop()
