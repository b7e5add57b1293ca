"""The Contrail configuration schema, read from the installed ``vnc_api.gen`` classes.

Nothing here is hand-listed: every resource type, property, reference (with its link
attribute type), parent, child and back-reference comes from the generated
``vnc_api.gen.resource_common`` classes and ``vnc_api.gen.resource_xsd`` types, so the
emulator accepts exactly what the real API server of that schema version accepts.
"""

from __future__ import annotations

import functools
import ipaddress
import re
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
    # resource types of derived children / back-refs (the server ignores them on delete)
    derived_children: frozenset[str] = frozenset()
    derived_backrefs: frozenset[str] = frozenset()

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
            derived_children=frozenset(
                spec[0] for spec in cls.children_field_types.values() if spec[1]
            ),
            derived_backrefs=frozenset(
                spec[0] for spec in cls.backref_field_types.values() if spec[2]
            ),
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


# --- request validation, as VncApiServer._validate_props_in_request / _validate_complex_type /
# _validate_simple_type (api_server.py) do it: integer strings become ints, booleans must be
# JSON booleans, strings must be strings, enums and ranges are checked, unknown fields inside a
# struct are refused, CommunityAttribute strings are checked. Values are converted in place.

_COMMUNITY_WORDS = (
    "no-export",
    "accept-own",
    "no-advertise",
    "no-export-subconfed",
    "no-reoriginate",
)
_COMMUNITY_RE = re.compile(r"[0-9]+:[0-9]+")


def _validate_community(value: Any) -> None:
    """VncApiServer._validate_communityattribute_type."""
    if value in _COMMUNITY_WORDS:
        return
    if not isinstance(value, str) or _COMMUNITY_RE.match(value) is None:
        raise ValueError(f"Invalid community format {value}. Change to 'number:number'")
    if int(value.split(":")[0]) > 65535:
        raise ValueError(f"Out of range ASN value {value}. ASN values cannot exceed 65535.")


def validate_simple(
    name: str, xsd_type: str, simple_type: Any, value: Any, restrictions: Any
) -> Any:
    """VncApiServer._validate_simple_type: the (converted) value or ValueError."""
    if value is None:
        return None
    if xsd_type in ("unsignedLong", "integer"):
        if not isinstance(value, int):  # (a JSON true is an int to Python: kept, as there)
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: integer value expected instead of {value}") from None
        if restrictions and not int(restrictions[0]) <= value <= int(restrictions[1]):
            raise ValueError(
                f"{name}: value must be between {restrictions[0]} and {restrictions[1]}"
            )
    elif xsd_type == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{name}: true/false expected instead of {value}")
    elif xsd_type == "string" and simple_type == "CommunityAttribute":
        _validate_community(value)
    else:
        if not isinstance(value, str):
            raise ValueError(f"{name}: string value expected instead of {value}")
        if restrictions and value not in restrictions:
            raise ValueError(f"{name}: value must be one of {restrictions}")
    return value


def validate_complex(cls: Any, body: Any) -> None:
    """VncApiServer._validate_complex_type: checks and converts ``body`` in place."""
    if body is None:
        return
    if not isinstance(body, dict):
        # the server calls body.items() and fails with this AttributeError text
        raise ValueError(f"'{type(body).__name__}' object has no attribute 'items'")
    for key, value in list(body.items()):
        if key not in cls.attr_fields:
            raise ValueError(f"class {cls} does not have field {key}")
        spec = cls.attr_field_type_vals[key]
        attr_type = spec["attr_type"]
        if not value:
            continue
        if spec.get("is_array", False):
            if not isinstance(value, list):
                raise ValueError(f"Field {key} must be a list. Received value: {value}")
            values = value
        else:
            values = [value]
        if spec["is_complex"]:
            sub = xsd_class(attr_type)
            for item in values:
                if attr_type == "SubnetType":
                    _validate_subnet_type(item)
                if sub is not None and hasattr(sub, "attr_fields"):
                    validate_complex(sub, item)
        else:
            for idx, item in enumerate(values):
                values[idx] = validate_simple(
                    key, attr_type, spec.get("simple_type"), item, spec.get("restrictions")
                )
        if not spec.get("is_array", False):
            body[key] = values[0]


def _validate_subnet_type(subnet: Any) -> None:
    """VncApiServer._validate_subnet_type: a valid CIDR, ip_prefix normalised."""
    try:
        cidr = f"{subnet['ip_prefix']}/{subnet['ip_prefix_len']}"
    except (TypeError, KeyError):
        raise ValueError("Subnet type is invalid") from None
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ValueError(f"Subnet type '{cidr}' is invalid") from None
    subnet["ip_prefix"] = str(net.network_address)
    subnet["ip_prefix_len"] = net.prefixlen


def validate_props(ts: TypeSchema, body: dict[str, Any], operation: str) -> str | None:
    """VncApiServer._validate_props_in_request: an error text or None; converts in place."""
    for prop in ts.prop_types:
        spec = ts.prop_types[prop]
        value = body.get(prop)
        if not value:
            if (
                operation == "CREATE"
                and spec.get("required") == "required"
                and prop in MANDATORY_PROPS.get(ts.resource_type, ())
            ):
                return f"{prop} property is missing"
            continue
        if not spec["is_complex"]:
            try:
                body[prop] = validate_simple(
                    prop,
                    spec["xsd_type"],
                    spec.get("simple_type"),
                    value,
                    spec.get("restrictions"),
                )
            except ValueError as exc:
                return f"Error validating property {exc}"
            continue
        cls = xsd_class(spec["xsd_type"])
        if isinstance(value, dict):
            try:
                validate_complex(cls, value)
            except ValueError as exc:
                return f"Error validating property {prop} value {value} {exc}"
        else:
            return f"Error in property {prop} type {cls} value of {value} "
    return None


def validate_ref_attrs(ts: TypeSchema, body: dict[str, Any]) -> str | None:
    """VncApiServer._validate_refs_in_request: link attributes of typed refs."""
    for name, ref_schema in ts.refs.items():
        if ref_schema.attr_type is None:
            continue
        cls = xsd_class(ref_schema.attr_type)
        for ref in body.get(name) or []:
            try:
                if not isinstance(ref, dict) or "attr" not in ref:
                    raise ValueError("'attr'")
                validate_complex(cls, ref["attr"])
            except ValueError as exc:
                return f"Error validating reference {name} value {ref} {exc}"
    return None


def check_prop(ts: TypeSchema, prop: str, value: Any) -> str | None:
    """One property value (prop-collection updates): an error text or None."""
    return validate_props(ts, {prop: value}, "UPDATE")
