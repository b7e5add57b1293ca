"""The Contrail configuration schema, read from the installed ``vnc_api.gen`` classes.

Nothing here is hand-listed: every resource type, property, reference (with its link
attribute type), parent, child and back-reference comes from the generated
``vnc_api.gen.resource_common`` classes and ``vnc_api.gen.resource_xsd`` types, so the
emulator accepts exactly what the real API server of that schema version accepts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from vnc_api.gen import resource_common, resource_xsd


@dataclass(frozen=True)
class RefSchema:
    field: str  # e.g. "virtual_machine_interface_refs"
    target: str  # resource type of the referred object, e.g. "virtual-machine-interface"
    attr_type: str | None  # xsd type of the link attribute, None when the link has none


@dataclass
class TypeSchema:
    resource_type: str  # hyphenated, used in URLs: "loadbalancer-pool"
    object_type: str  # underscored, used in AMQP and python: "loadbalancer_pool"
    cls: type
    prop_types: dict[str, dict[str, Any]]
    refs: dict[str, RefSchema]
    children: dict[str, str]  # children field -> child resource type
    backref_fields: frozenset[str]
    parent_types: list[str]
    list_props: frozenset[str]
    map_props: frozenset[str]
    map_key_names: dict[str, str]
    wrapped: dict[str, bool]
    ref_by_target: dict[str, list[str]] = field(default_factory=dict)

    @property
    def prop_fields(self) -> frozenset[str]:
        return frozenset(self.prop_types)

    @property
    def top_level(self) -> bool:
        """Child of config-root: fq_name is one element long, no parent object."""
        return self.parent_types == ["config-root"] or not self.parent_types

    def create_only(self, prop: str) -> bool:
        ops = self.prop_types[prop].get("operations") or ""
        return "C" in ops and "U" not in ops and prop not in SYSTEM_PROPS

    def backref_field_for(self, source_object_type: str) -> str:
        return f"{source_object_type}_back_refs"

    def child_field_for(self, child_object_type: str) -> str:
        return f"{child_object_type}s"


# Properties the server itself maintains; clients may send them but never own them.
SYSTEM_PROPS = frozenset({"id_perms", "perms2"})

# Properties the real API server insists on at create time (its ``_MANDATORY_PROPS``),
# independent of the looser "required" markers in the XSD that real clients ignore.
MANDATORY_PROPS: dict[str, tuple[str, ...]] = {
    "loadbalancer-healthmonitor": ("loadbalancer_healthmonitor_properties",),
}


@functools.cache
def types() -> dict[str, TypeSchema]:
    """Every resource type of the installed schema, keyed by resource (hyphen) type."""
    out: dict[str, TypeSchema] = {}
    for obj in vars(resource_common).values():
        if not (isinstance(obj, type) and "resource_type" in vars(obj)):
            continue
        # vnc_api's generated classes carry their schema as class attributes mypy can't see.
        cls: Any = obj
        refs = {
            name: RefSchema(name, spec[0], None if spec[1] in (None, "None") else spec[1])
            for name, spec in cls.ref_field_types.items()
        }
        out[cls.resource_type] = TypeSchema(
            resource_type=cls.resource_type,
            object_type=cls.object_type,
            cls=cls,
            prop_types=dict(cls.prop_field_types),
            refs=refs,
            children={name: spec[0] for name, spec in cls.children_field_types.items()},
            backref_fields=frozenset(cls.backref_fields),
            parent_types=list(cls.parent_types),
            list_props=frozenset(cls.prop_list_fields),
            map_props=frozenset(cls.prop_map_fields),
            map_key_names=dict(cls.prop_map_field_key_names),
            wrapped={**cls.prop_list_field_has_wrappers, **cls.prop_map_field_has_wrappers},
        )
    for ts in out.values():
        for ref in ts.refs.values():
            ts.ref_by_target.setdefault(ref.target, []).append(ref.field)
    return out


@functools.cache
def by_name() -> dict[str, TypeSchema]:
    """Lookup by resource type or object type (clients and consumers use both)."""
    table = dict(types())
    for ts in types().values():
        table[ts.object_type] = ts
    return table


def lookup(name: str) -> TypeSchema | None:
    return by_name().get(name)


def xsd_class(name: str) -> Any:
    return getattr(resource_xsd, name, None)


_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}


def _check_simple(
    value: Any, attr_type: str, restrictions: Any, rtype: Any, where: str
) -> str | None:
    if value is None:
        return None
    if rtype == "enum" and restrictions and value not in restrictions:
        return f"{where}: {value!r} is not one of {restrictions}"
    if attr_type in ("integer", "xsd:integer", "int", "xsd:unsignedInt", "unsignedLong", "long"):
        if isinstance(value, bool):
            return f"{where}: {value!r} is not an integer"
        try:
            int(value)  # the real server accepts "80" as well as 80 (kube-manager sends strings)
        except (TypeError, ValueError):
            return f"{where}: {value!r} is not an integer"
        if (
            rtype == "range"
            and restrictions
            and not restrictions[0] <= int(value) <= restrictions[1]
        ):
            return f"{where}: {value!r} is out of range {restrictions}"
    if attr_type in ("boolean", "xsd:boolean") and not (
        isinstance(value, bool) or value in _TRUE or value in _FALSE
    ):
        return f"{where}: {value!r} is not a boolean"
    return None


def check_xsd(value: Any, type_name: str, where: str) -> str | None:
    """Validate a complex property value against its xsd type; an error message or None."""
    if value is None:
        return None
    cls = xsd_class(type_name)
    if cls is None or not hasattr(cls, "attr_field_type_vals"):
        return None
    if not isinstance(value, dict):
        return f"{where}: expected an object of type {type_name}, got {type(value).__name__}"
    for name, spec in cls.attr_field_type_vals.items():
        if name not in value or value[name] is None:
            continue
        items = value[name]
        if spec.get("is_array"):
            if not isinstance(items, list):
                return f"{where}.{name}: expected a list"
        else:
            items = [items]
        for item in items:
            if spec.get("is_complex"):
                err = check_xsd(item, spec["attr_type"], f"{where}.{name}")
            else:
                err = _check_simple(
                    item,
                    spec.get("attr_type") or "",
                    spec.get("restrictions"),
                    spec.get("restriction_type"),
                    f"{where}.{name}",
                )
            if err:
                return err
    return None


def check_prop(ts: TypeSchema, prop: str, value: Any) -> str | None:
    spec = ts.prop_types[prop]
    if value is None:
        return None
    if spec.get("is_complex"):
        return check_xsd(value, spec["xsd_type"], prop)
    return _check_simple(
        value,
        spec.get("xsd_type") or "",
        spec.get("restrictions"),
        spec.get("restriction_type"),
        prop,
    )
