"""The reader keeps one copy of what many objects name alike (a set's uuid, a network's)."""

from __future__ import annotations

from reconciler.contrail.reader import _ref_uuids, _shared_refs


def test_refs_to_sets_and_networks_are_one_tuple_per_value() -> None:
    first = _shared_refs([{"uuid": "net-b"}, {"uuid": "net-a"}])
    again = _shared_refs([{"uuid": "net-a"}, {"uuid": "net-b"}])
    assert first == ("net-a", "net-b") and again is first
    assert _shared_refs(None) == () and _shared_refs([{"to": ["x"]}]) == ()
    assert _ref_uuids([{"uuid": "x"}]) == ("x",)
