"""Claim rules: which set takes kube-manager's load balancers."""

from __future__ import annotations

from reconciler.config import ClaimRule
from reconciler.model.values import FrozenDict
from reconciler.settings import settings_for
from reconciler.translate.desired import Options, translate
from tests.unit.builders import World, f5_set


def kube_lb(world: World, namespace: str, kind: str = "Service", cluster: str = "k8s", **kw):
    ann = {"owner": "k8s", "cluster": cluster, "namespace": namespace, "name": "web", "kind": kind}
    return world.lb(provider="native", sas_uuids=(), annotations=FrozenDict(ann), **kw)


def lbs_of(world: World, name: str, claims: tuple[ClaimRule, ...]) -> set[str]:
    settings = settings_for(world.sets[f"sas-{name}"])
    return set(translate(world.snapshot(), settings, Options(claims=claims)).load_balancers)


def test_first_matching_rule_wins_and_unmatched_stay_unclaimed() -> None:
    world = World()
    world.sets["sas-other"] = f5_set("other")
    shop = kube_lb(world, "shop")
    ingress = kube_lb(world, "shop", kind="Ingress")
    elsewhere = kube_lb(world, "shop", cluster="k8s-2")
    rules = (
        ClaimRule("a", "f5", clusters=("k8s",), namespaces=("shop",), kinds=("Service",)),
        ClaimRule("b", "other", namespaces=("shop",)),
    )
    assert lbs_of(world, "f5", rules) == {shop.uuid}
    assert lbs_of(world, "other", rules) == {ingress.uuid, elsewhere.uuid}
    assert lbs_of(world, "f5", ()) == set()


def test_a_load_balancer_naming_an_f5_set_is_never_claimed_by_another() -> None:
    world = World()
    world.sets["sas-other"] = f5_set("other")
    ann = FrozenDict({"owner": "k8s", "cluster": "k8s", "namespace": "shop", "kind": "Service"})
    named = world.lb(provider="other", sas_uuids=(), annotations=ann)
    rules = (ClaimRule("a", "f5", namespaces=("shop",)),)
    assert lbs_of(world, "f5", rules) == set()
    assert lbs_of(world, "other", rules) == {named.uuid}


def test_a_replicas_read_scope_takes_what_translate_gives_its_sets() -> None:
    """``ReadScope.takes`` (what a replica reads) agrees with ``sets_of`` (what translate
    gives a set): for every load balancer, it is read exactly when one of its sets is in
    the scope."""
    from reconciler.contrail.scope import ReadScope
    from reconciler.translate.desired import sets_of

    world = World()
    world.sets["sas-other"] = f5_set("other")
    rules = (ClaimRule("a", "f5", namespaces=("shop",)), ClaimRule("b", "other"))
    lbs = [
        world.lb(),  # names f5 by provider and ref
        world.lb(provider="other", sas_uuids=()),
        world.lb(provider=None, sas_uuids=("sas-other",)),
        kube_lb(world, "shop"),
        kube_lb(world, "blog"),
        world.lb(provider="native", sas_uuids=("sas-other",)),  # names a set: never claimed
    ]
    snapshot = world.snapshot()
    f5_sets = {s.uuid: s.name for s in snapshot.appliance_sets.values()}
    for owned in ({"f5"}, {"other"}, {"f5", "other"}, set()):
        scope = ReadScope(frozenset(owned), rules)
        for lb in lbs:
            assert scope.takes(lb, f5_sets) == bool(sets_of(lb, snapshot, rules) & owned), (
                owned,
                lb.provider,
                lb.sas_uuids,
            )
