"""Frozen values compare as the JSON they stand for, however they were built or shared.

The diff decides "no change" by equality of field sets; since equal strings and equal field
sets are now shared between objects (memory at scale), equality must not depend on order,
identity or the container a value came in."""

from __future__ import annotations

from reconciler.model.bigip import BigIPObject
from reconciler.model.values import FrozenDict, ValueTable, freeze, shared, thaw


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


def test_a_frozen_field_set_shares_its_keys_and_acts_as_a_dict_backed_one() -> None:
    fields = {"address": "10.0.0.1", "description": None, "ratio": 2}
    shaped = freeze(fields)
    plain = FrozenDict(fields)  # built directly: a dict of its own
    other = freeze({"address": "10.0.0.2", "description": None, "ratio": 2})
    assert type(shaped) is not type(plain) and isinstance(shaped, FrozenDict)
    assert shaped._hash is other._hash  # one key shape for both (the slot holds the shape)
    assert shaped == plain and plain == shaped and shaped == fields and fields == shaped
    assert hash(shaped) == hash(plain) == hash(freeze(dict(reversed(fields.items()))))
    assert shaped != other and other != plain and shaped != {**fields, "extra": 1}
    assert shaped != freeze({"address": "10.0.0.1", "description": None})  # fewer keys
    assert shaped != freeze({"address": "10.0.0.1", "description": None, "weight": 2})
    assert list(shaped) == list(shaped.keys()) == ["address", "description", "ratio"]
    assert list(shaped.values()) == ["10.0.0.1", None, 2] and len(shaped.values()) == 3
    assert list(shaped.items()) == list(fields.items()) and ("ratio", 2) in shaped.items()
    assert shaped.keys() - {"ratio"} == {"address", "description"}
    assert shaped["ratio"] == 2 and shaped.get("description", "x") is None
    assert shaped.get("missing") is None and shaped.get("missing", 7) == 7
    assert "address" in shaped and "missing" not in shaped and len(shaped) == 3
    try:
        shaped["missing"]
    except KeyError as exc:
        assert exc.args == ("missing",)
    else:
        raise AssertionError("a missing key must raise KeyError")
    assert repr(shaped) == repr(plain) == f"FrozenDict({fields!r})"
    assert {shaped: 1}[plain] == 1  # one key in a dict, whichever was stored


def test_key_order_is_kept_and_does_not_matter_to_equality() -> None:
    ab, ba = freeze({"a": 1, "b": 2}), freeze({"b": 2, "a": 1})
    assert list(ab) == ["a", "b"] and list(ba) == ["b", "a"]
    assert ab == ba and hash(ab) == hash(ba) and ab._hash is not ba._hash


def test_an_update_of_a_shaped_mapping_is_a_frozen_mapping_with_those_items() -> None:
    shaped = freeze({"a": 1, "b": 2})
    updated = shaped.updated(drop=["a"], put=[("c", 3)])
    assert updated == {"b": 2, "c": 3} and shaped == {"a": 1, "b": 2}
    assert shaped.updated(drop=["a", "b"]) == {} == FrozenDict()


def test_mappings_that_cannot_be_shaped_keep_a_dict() -> None:
    many = freeze({f"k{i}": i for i in range(40)})  # more keys than a shape takes
    assert type(many) is FrozenDict and many == {f"k{i}": i for i in range(40)}
    assert type(freeze({})) is FrozenDict and freeze({}) == {}
    mixed = freeze({1: "one", "1": "text"})
    assert mixed[1] == "one" and mixed["1"] == "text"


def test_shaped_mappings_survive_pickling_and_thaw_to_json() -> None:
    import pickle

    value = freeze({"sourceAddressTranslation": {"type": "automap"}, "profiles": ["/Common/http"]})
    assert pickle.loads(pickle.dumps(value)) == value
    assert thaw(value) == {
        "sourceAddressTranslation": {"type": "automap"},
        "profiles": ["/Common/http"],
    }


def test_a_port_number_is_one_object_wherever_it_is_read() -> None:
    assert shared(int("8080")) is shared(int("8080")) and shared(8080) == 8080
    big = int("1" * 30)
    assert shared(big) is big  # beyond a port's range: left alone
    assert shared(True) is True and shared(-5) == -5
