"""Frozen values compare as the JSON they stand for, however they were built or shared.

The diff decides "no change" by equality of field sets; since equal strings and equal field
sets are now shared between objects (memory at scale), equality must not depend on order,
identity or the container a value came in."""

from __future__ import annotations

from reconciler.model.bigip import BigIPObject
from reconciler.model.values import FrozenDict, ValueTable, freeze, shared


def test_equality_ignores_order_and_matches_plain_mappings() -> None:
    a = freeze({"ratio": 1, "session": "user-enabled", "profiles": ["/Common/http"]})
    b = freeze({"profiles": ("/Common/http",), "session": "user-enabled", "ratio": 1})
    assert a == b and hash(a) == hash(b)
    assert a == {"ratio": 1, "session": "user-enabled", "profiles": ("/Common/http",)}
    assert a != freeze({"ratio": 2, "session": "user-enabled", "profiles": ["/Common/http"]})
    assert a != freeze({"ratio": 1, "session": "user-enabled"})
    assert FrozenDict({"a": 1}) != {"a": 1, "b": 2}


def test_a_table_gives_back_an_equal_value_and_never_merges_different_ones() -> None:
    table = ValueTable()
    first = table(freeze({"ratio": 1, "description": "web"}))
    again = table(freeze({"description": "web", "ratio": 1}))
    other = table(freeze({"ratio": 1, "description": "db"}))
    assert again is first
    assert other == {"ratio": 1, "description": "db"} and other is not first


def test_objects_built_with_a_table_still_differ_where_their_fields_do() -> None:
    table = ValueTable()
    made = [
        BigIPObject.make(
            "ltm/pool/members", "P", f"10.0.0.{i}:80", {"ratio": i % 2}, "pool", None, values=table
        )
        for i in range(4)
    ]
    assert made[0].fields is made[2].fields  # shared storage ...
    assert made[0] != made[2]  # ... different objects (their names differ)
    assert made[0].fields != made[1].fields


def test_shared_text_is_equal_text() -> None:
    text = "".join(["/Common/", "http"])
    assert shared(text) == "/Common/http" and shared(text) is shared("/Common/" + "http")
    long = "x" * 10_000
    assert shared(long) is long  # long text is left alone
    assert shared(5) == 5 and shared(None) is None
