"""Which F5 set takes a load balancer that Kubernetes created through kube-manager (pure).

kube-manager's load balancers name no F5 provider: a Service's says ``native`` and an
Ingress's ``opencontrail``, and they carry the annotations ``owner``, ``cluster``,
``namespace`` and ``kind`` instead. The reconciler's own config holds claim rules
(``[claim:<name>]`` sections: ``sas``, ``clusters``, ``namespaces``, ``kinds``); the first rule
that matches decides the set, so one load balancer never lands on two sets. A load balancer
whose provider or service-appliance-set ref already names an F5 set is never claimed.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.config import ClaimRule
from reconciler.model.contrail import LoadBalancer

KUBE_PROVIDERS = frozenset({"native", "opencontrail"})


def is_kube_managed(lb: LoadBalancer) -> bool:
    """kube-manager's shape: its annotations, or one of its two provider names."""
    return bool(lb.annotations.get("owner") and lb.annotations.get("kind")) or (
        lb.provider in KUBE_PROVIDERS
    )


def matches(rule: ClaimRule, lb: LoadBalancer) -> bool:
    ann = lb.annotations
    if rule.kinds and ann.get("kind") not in rule.kinds:
        return False
    if rule.clusters and ann.get("cluster") not in rule.clusters:
        return False
    return not rule.namespaces or ann.get("namespace") in rule.namespaces


def claiming_set(lb: LoadBalancer, rules: Iterable[ClaimRule]) -> str | None:
    """The name of the set the first matching rule gives this load balancer, if any."""
    if not is_kube_managed(lb):
        return None
    return next((rule.sas for rule in rules if matches(rule, lb)), None)
