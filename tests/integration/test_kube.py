"""Load balancers that Kubernetes made through kube-manager, claimed by a config rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulators.contrail.topology import KubePort, add_kube_service
from reconciler.cli import main
from tests.integration.conftest import Run, counters, device


@pytest.fixture
def kube_cli(contrail: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The CLI with a claim rule giving namespace ``shop`` of cluster ``k8s`` to set ``f5``."""
    conf = tmp_path / "contrail-f5-reconciler.conf"

    def run(*args: str, extra: str = "") -> Run:
        conf.write_text(
            "[DEFAULTS]\n"
            f"api_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
            "log_level = WARNING\ndevice_timeout = 5\n"
            "[claim:shop]\nsas = f5\nclusters = k8s\nnamespaces = shop\nkinds = Service, Ingress\n"
            + extra
        )
        capsys.readouterr()
        code = main(["--config", str(conf), "--no-color", *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_claimed_kube_service_converges_and_others_are_left_out(bigip, vnc, topo, kube_cli):
    ports = [KubePort(80, 8080, "TCP"), KubePort(53, 5353, "SCTP")]  # SCTP → kube's UDP fallback
    svc = add_kube_service(vnc, topo, "web", namespace="shop", ports=ports, pods=[None, None])
    other = add_kube_service(vnc, topo, "db", namespace="other", pods=[None])
    partition = f"Contrail_{topo.project}"

    assert kube_cli("--once").code == 0
    mgmt = device(bigip)
    names = {v.name for v in mgmt.tm.ltm.virtuals.get_collection()}
    assert names == {f"Contrail_{lids.listener}" for lids in svc.listeners}
    assert f"Contrail_{other.loadbalancer}" not in {
        a.name for a in mgmt.tm.ltm.virtual_address_s.get_collection()
    }
    pod_ips = sorted(
        vnc.instance_ip_read(id=iip).get_instance_ip_address() for iip in svc.pod_instance_ips
    )
    by_protocol = {}
    for lids in svc.listeners:
        vs = mgmt.tm.ltm.virtuals.virtual.load(
            name=f"Contrail_{lids.listener}", partition=partition
        )
        by_protocol[vs.ipProtocol] = vs
        assert vs.description.startswith("shop/web: ")
        pool = mgmt.tm.ltm.pools.pool.load(name=f"Contrail_{lids.pool}", partition=partition)
        ports_seen = {m.name.rsplit(":", 1)[1] for m in pool.members_s.get_collection()}
        hosts = sorted(m.name.rsplit(":", 1)[0] for m in pool.members_s.get_collection())
        assert hosts == pod_ips  # address=None resolved through the member's vmi annotation
        assert ports_seen in ({"8080"}, {"5353"})
    assert set(by_protocol) == {"tcp", "udp"}
    assert by_protocol["udp"].destination.endswith(f"{svc.vip}:53")

    lb = vnc.loadbalancer_read(id=svc.loadbalancer).get_loadbalancer_properties()
    assert lb.provisioning_status == "ACTIVE"
    counters(bigip, reset=True)
    assert kube_cli("--once").code == 0
    assert counters(bigip)["writes"] == 0
