"""Load balancers that Kubernetes made through kube-manager, claimed by a config rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulators.contrail.topology import IngressRule, KubePort, add_kube_ingress, add_kube_service
from reconciler.cli import main
from tests.integration.conftest import Run, counters, device


@pytest.fixture
def kube_cli(contrail: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The CLI with a claim rule giving namespace ``shop`` of cluster ``k8s`` to set ``f5``."""
    conf = tmp_path / "contrail-f5-reconciler.conf"

    def run(*args: str, defaults: str = "") -> Run:
        conf.write_text(
            "[DEFAULTS]\n"
            f"api_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
            "log_level = WARNING\ndevice_timeout = 5\n" + defaults + "[claim:shop]\n"
            "sas = f5\nclusters = k8s\nnamespaces = shop\nkinds = Service, Ingress\n"
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


CERT = b"-----BEGIN CERTIFICATE-----\nMIIBfake-cert\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIEsecret-key-material\n-----END PRIVATE KEY-----\n"


def ingress(vnc: Any, topo: Any) -> Any:
    rules = [
        IngressRule("shop.example.com", "/cart", "cart", "10.2.0.21", 8080),
        IngressRule("shop.example.com", "/", "front", "10.2.0.22", 80),
    ]
    return add_kube_ingress(vnc, topo, "shop", rules, namespace="shop", tls_secret="shop-tls")


def test_ingress_with_host_path_rules_and_tls_converges(bigip, vnc, topo, kube_cli, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "shop__shop-tls.crt").write_bytes(CERT)
    (certs / "shop__shop-tls.key").write_bytes(KEY)
    ids = ingress(vnc, topo)
    partition = f"Contrail_{topo.project}"
    extra = f"tls_certificate_dir = {certs}\n"

    def run(*args: str) -> Any:
        return kube_cli(*args, defaults=extra)

    plan = run("--once", "--dry-run")
    assert plan.code == 2, plan.out + plan.err
    assert b"secret-key-material".decode() not in plan.out  # keys never in a plan
    applied = run("--once")
    assert applied.code == 0, applied.out + applied.err

    mgmt = device(bigip)
    listeners = {lids.listener for lids in ids.listeners}
    virtuals = {
        v.name: v
        for v in mgmt.tm.ltm.virtuals.get_collection(
            requests_params={"params": {"expandSubcollections": "true"}}
        )
    }
    assert set(virtuals) == {f"Contrail_{u}" for u in listeners}
    policies = {p.name: p for p in mgmt.tm.ltm.policys.get_collection()}
    assert set(policies) == {f"Contrail_{u}" for u in listeners}
    # A policy's rules are a sub-collection on a device (``rulesReference``), not a field.
    rules = mgmt.tm.ltm.policys.policy.load(
        name=f"Contrail_{ids.listeners[0].listener}",
        partition=partition,
        requests_params={"params": {"expandSubcollections": "true"}},
    ).rulesReference["items"]
    assert [r["conditions"][-1]["values"] for r in rules] == [["/cart"], ["shop.example.com"]]
    https = [v for v in virtuals.values() if v.destination.endswith(":443")]
    (vs,) = https
    profiles = {p["fullPath"] for p in vs.profilesReference["items"]}
    assert f"/{partition}/Contrail_shop__shop-tls" in profiles
    ssl = mgmt.tm.ltm.profile.client_ssls.client_ssl.load(
        name="Contrail_shop__shop-tls", partition=partition
    )
    assert ssl.cert == f"/{partition}/Contrail_shop__shop-tls.crt"
    assert ssl.key == f"/{partition}/Contrail_shop__shop-tls.key"

    counters(bigip, reset=True)
    assert run("--once").code == 0
    assert counters(bigip)["writes"] == 0

    (certs / "shop__shop-tls.crt").write_bytes(CERT.replace(b"fake", b"renewed"))
    assert run("--once").code == 0
    assert counters(bigip)["writes"] > 0  # a renewed certificate is installed again


def test_missing_certificate_is_a_listener_error_not_a_crash(bigip, vnc, topo, kube_cli, tmp_path):
    ids = ingress(vnc, topo)
    run = kube_cli("--once", defaults=f"tls_certificate_dir = {tmp_path}\n")
    assert run.code == 1
    assert "shop__shop-tls.crt not found" in run.out
    lb = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
    assert lb.provisioning_status == "ERROR" and "shop__shop-tls.crt not found" in lb.status
