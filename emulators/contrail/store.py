"""The object store: records, indexes and the integrity rules of the real API server.

Every operation raises :class:`ApiError` with the HTTP status the real server answers, which
``VncApi`` maps to its exceptions (400 BadRequest, 404 NoIdError, 409 RefsExistError, ...).
Indexes make every lookup O(1): by uuid, by (type, fq_name), children by parent, back-refs by
target. A list of one type therefore costs O(objects of that type), never O(all objects).
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import schema
from .schema import TypeSchema


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Record:
    type: str  # resource type (hyphen)
    uuid: str
    fq_name: list[str]
    parent_type: str | None
    parent_uuid: str | None
    props: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # field -> [{uuid, attr}]

    def to_state(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "uuid": self.uuid,
            "fq_name": self.fq_name,
            "parent_type": self.parent_type,
            "parent_uuid": self.parent_uuid,
            "props": self.props,
            "refs": self.refs,
        }


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _id_perms(uid: str, given: dict[str, Any] | None) -> dict[str, Any]:
    u = uuidlib.UUID(uid)
    now = _now()
    perms = {
        "permissions": {
            "owner": "cloud-admin",
            "owner_access": 7,
            "group": "cloud-admin-group",
            "group_access": 7,
            "other_access": 7,
        },
        "uuid": {"uuid_mslong": u.int >> 64, "uuid_lslong": u.int & ((1 << 64) - 1)},
        "enable": True,
        "created": now,
        "last_modified": now,
        "description": None,
        "user_visible": True,
        "creator": None,
    }
    if given:
        for key in ("enable", "description", "user_visible", "creator"):
            if key in given:
                perms[key] = given[key]
    return perms


def _perms2() -> dict[str, Any]:
    return {"owner": "cloud-admin", "owner_access": 7, "global_access": 0, "share": []}


# Objects a freshly installed API server already holds (type, fq_name, props).
DEFAULT_OBJECTS: list[tuple[str, list[str], dict[str, Any]]] = [
    ("domain", ["default-domain"], {}),
    ("global-system-config", ["default-global-system-config"], {"autonomous_system": 64512}),
    (
        "global-vrouter-config",
        ["default-global-system-config", "default-global-vrouter-config"],
        {},
    ),
    ("project", ["default-domain", "default-project"], {}),
    ("network-ipam", ["default-domain", "default-project", "default-network-ipam"], {}),
    ("virtual-network", ["default-domain", "default-project", "default-virtual-network"], {}),
    ("virtual-network", ["default-domain", "default-project", "ip-fabric"], {}),
    ("virtual-network", ["default-domain", "default-project", "__link_local__"], {}),
]


class Store:
    """All configuration objects plus the user-agent key/value store."""

    def __init__(self, on_change: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.lock = threading.RLock()
        self.on_change = on_change or (lambda _msg: None)
        self.reset()

    # --- state ----------------------------------------------------------------------

    def reset(self, with_defaults: bool = True) -> None:
        with self.lock:
            self.objects: dict[str, Record] = {}
            self.by_type: dict[str, dict[str, None]] = {}
            self.by_fq: dict[tuple[str, tuple[str, ...]], str] = {}
            self.children: dict[str, dict[str, dict[str, None]]] = {}
            self.backrefs: dict[str, dict[str, dict[str, None]]] = {}
            self.kv: dict[str, str] = {}
            # virtual-network uuid -> {ip: instance-ip uuid}
            self.ips_in_use: dict[str, dict[str, str]] = {}
            self.alloc_cursor: dict[str, int] = {}
            self.version = 0
            if with_defaults:
                for rtype, fq_name, props in DEFAULT_OBJECTS:
                    body = {"fq_name": fq_name, **props}
                    ts = schema.types()[rtype]
                    if not ts.top_level:
                        body["parent_type"] = ts.parent_types[0]
                    self.create(rtype, body, notify=False)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "objects": [r.to_state() for r in self.objects.values()],
                "kv": dict(self.kv),
            }

    def load(self, state: dict[str, Any]) -> None:
        """Replace everything with a dump (objects in any order; indexes are rebuilt)."""
        records = [Record(**o) for o in state["objects"]]
        for rec in records:
            if schema.lookup(rec.type) is None:
                raise ValueError(f"unknown resource type {rec.type!r}")
        with self.lock:
            self.reset(with_defaults=False)
            for rec in records:
                self._index(rec)
            for rec in records:
                self._index_refs(rec)
                if rec.type == "instance-ip":
                    self._track_ip(rec)
            self.kv = dict(state.get("kv") or {})
            self.version += 1

    # --- indexes --------------------------------------------------------------------

    def _index(self, rec: Record) -> None:
        self.objects[rec.uuid] = rec
        self.by_type.setdefault(rec.type, {})[rec.uuid] = None
        self.by_fq[(rec.type, tuple(rec.fq_name))] = rec.uuid
        if rec.parent_uuid:
            self.children.setdefault(rec.parent_uuid, {}).setdefault(rec.type, {})[rec.uuid] = None

    def _index_refs(self, rec: Record) -> None:
        for refs in rec.refs.values():
            for ref in refs:
                self.backrefs.setdefault(ref["uuid"], {}).setdefault(rec.type, {})[rec.uuid] = None

    def _unindex_refs(self, rec: Record) -> None:
        for refs in rec.refs.values():
            for ref in refs:
                by_type = self.backrefs.get(ref["uuid"], {})
                by_type.get(rec.type, {}).pop(rec.uuid, None)

    def _unindex(self, rec: Record) -> None:
        self._unindex_refs(rec)
        self.objects.pop(rec.uuid, None)
        self.by_type.get(rec.type, {}).pop(rec.uuid, None)
        self.by_fq.pop((rec.type, tuple(rec.fq_name)), None)
        if rec.parent_uuid:
            self.children.get(rec.parent_uuid, {}).get(rec.type, {}).pop(rec.uuid, None)
        self.children.pop(rec.uuid, None)
        self.backrefs.pop(rec.uuid, None)

    # --- lookups --------------------------------------------------------------------

    @staticmethod
    def schema_for(type_name: str) -> TypeSchema:
        ts = schema.lookup(type_name)
        if ts is None:
            raise ApiError(404, f"Unknown resource type {type_name}")
        return ts

    def get(self, uid: str, rtype: str | None = None) -> Record:
        rec = self.objects.get(uid)
        if rec is None or (rtype is not None and rec.type != rtype):
            raise ApiError(404, f"{rtype or 'object'} {uid} not found")
        return rec

    def fq_to_id(self, rtype: str, fq_name: Iterable[str]) -> str:
        ts = self.schema_for(rtype)
        uid = self.by_fq.get((ts.resource_type, tuple(fq_name)))
        if uid is None:
            raise ApiError(404, f"Name {list(fq_name)} of type {ts.resource_type} not found")
        return uid

    def children_of(self, uid: str, child_type: str) -> Iterable[str]:
        return self.children.get(uid, {}).get(child_type, {}).keys()

    def backrefs_of(self, uid: str, source_type: str) -> Iterable[str]:
        return self.backrefs.get(uid, {}).get(source_type, {}).keys()

    # --- validation helpers ---------------------------------------------------------

    def _resolve_refs(
        self, ts: TypeSchema, body: dict[str, Any], self_uuid: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for name, ref_schema in ts.refs.items():
            if name not in body:
                continue
            refs = body[name] or []
            if not isinstance(refs, list):
                raise ApiError(400, f"{name} must be a list")
            resolved: list[dict[str, Any]] = []
            for ref in refs:
                uid = ref.get("uuid")
                if uid:
                    target = self.objects.get(uid)
                    if target is None or target.type != ref_schema.target:
                        raise ApiError(
                            404, f"Reference to missing {ref_schema.target} {uid} in {name}"
                        )
                elif ref.get("to"):
                    uid = self.by_fq.get((ref_schema.target, tuple(ref["to"])))
                    if uid is None:
                        raise ApiError(
                            404,
                            f"Reference to missing {ref_schema.target} "
                            f"{':'.join(ref['to'])} in {name}",
                        )
                else:
                    raise ApiError(400, f"Reference in {name} has neither uuid nor to")
                attr = ref.get("attr")
                if ref_schema.attr_type and attr is not None:
                    err = schema.check_xsd(attr, ref_schema.attr_type, f"{name}.attr")
                    if err:
                        raise ApiError(400, f"Invalid attribute: {err}")
                resolved = [r for r in resolved if r["uuid"] != uid]
                resolved.append({"uuid": uid, "attr": copy.deepcopy(attr)})
            out[name] = resolved
        return out

    def _check_props(self, ts: TypeSchema, body: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for name in ts.prop_types:
            if name in body:
                err = schema.check_prop(ts, name, body[name])
                if err:
                    raise ApiError(400, f"Invalid property value: {err}")
                props[name] = copy.deepcopy(body[name])
        return props

    # --- create ---------------------------------------------------------------------

    def create(self, rtype: str, body: dict[str, Any], notify: bool = True) -> Record:
        ts = self.schema_for(rtype)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be an object")
        fq_name = body.get("fq_name")
        if not fq_name:
            if body.get("name") and body.get("parent_type") is None and ts.top_level:
                fq_name = [body["name"]]
            else:
                raise ApiError(400, "fq_name is required")
        if not isinstance(fq_name, list) or not all(isinstance(p, str) and p for p in fq_name):
            raise ApiError(400, f"Invalid fq_name {fq_name!r}")
        with self.lock:
            parent_type: str | None = None
            parent_uuid: str | None = None
            if len(fq_name) > 1:
                parent_type = body.get("parent_type")
                if parent_type is None:
                    candidates = [p for p in ts.parent_types if p != "config-root"]
                    if len(candidates) != 1:
                        raise ApiError(400, f"parent_type is required for {ts.resource_type}")
                    parent_type = candidates[0]
                parent_type = parent_type.replace("_", "-")
                if parent_type not in ts.parent_types:
                    raise ApiError(400, f"Invalid parent type {parent_type} for {ts.resource_type}")
                parent_uuid = self.by_fq.get((parent_type, tuple(fq_name[:-1])))
                if parent_uuid is None:
                    raise ApiError(404, f"Parent {parent_type} {':'.join(fq_name[:-1])} not found")
            elif not ts.top_level:
                raise ApiError(400, f"{ts.resource_type} needs a parent ({ts.parent_types})")
            if (ts.resource_type, tuple(fq_name)) in self.by_fq:
                existing = self.by_fq[(ts.resource_type, tuple(fq_name))]
                raise ApiError(
                    409, f"Conflict: fq_name {fq_name} already exists with uuid {existing}"
                )
            uid = body.get("uuid") or str(uuidlib.uuid4())
            try:
                uid = str(uuidlib.UUID(uid))
            except (ValueError, AttributeError, TypeError) as exc:
                raise ApiError(400, f"Invalid uuid {body.get('uuid')!r}") from exc
            if uid in self.objects:
                raise ApiError(409, f"Conflict: uuid {uid} already exists")
            for prop in schema.MANDATORY_PROPS.get(ts.resource_type, ()):
                if body.get(prop) is None:
                    raise ApiError(400, f"Missing mandatory property {prop} for {rtype}")
            props = self._check_props(ts, body)
            refs = self._resolve_refs(ts, body)
            props["id_perms"] = _id_perms(uid, body.get("id_perms"))
            props["perms2"] = _perms2()
            if not props.get("display_name"):
                props["display_name"] = fq_name[-1]
            rec = Record(
                ts.resource_type, uid, list(fq_name), parent_type, parent_uuid, props, refs
            )
            hook = getattr(self, f"_pre_create_{ts.object_type}", None)
            if hook:
                hook(rec)
            self._index(rec)
            self._index_refs(rec)
            post = getattr(self, f"_post_create_{ts.object_type}", None)
            if post:
                post(rec)
            self.version += 1
            if notify:
                self.on_change(
                    {
                        "oper": "CREATE",
                        "type": ts.object_type,
                        "uuid": uid,
                        "fq_name": list(fq_name),
                        "obj_dict": self._notify_dict(rec),
                    }
                )
            return rec

    def _notify_dict(self, rec: Record) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": rec.uuid,
            "fq_name": rec.fq_name,
            "parent_type": rec.parent_type,
            "parent_uuid": rec.parent_uuid,
            **copy.deepcopy(rec.props),
        }
        for name, refs in rec.refs.items():
            out[name] = [
                {"to": self.objects[r["uuid"]].fq_name, "uuid": r["uuid"], "attr": r["attr"]}
                for r in refs
                if r["uuid"] in self.objects
            ]
        return out

    # --- update ---------------------------------------------------------------------

    def update(self, rtype: str, uid: str, body: dict[str, Any]) -> Record:
        ts = self.schema_for(rtype)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be an object")
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            if body.get("fq_name") not in (None, rec.fq_name):
                raise ApiError(400, "fq_name cannot be updated")
            props = self._check_props(ts, body)
            for name, value in props.items():
                if ts.create_only(name) and value != rec.props.get(name):
                    raise ApiError(
                        400, f"Property {name} of {rtype} is create-only and cannot be updated"
                    )
            refs = self._resolve_refs(ts, body)
            hook = getattr(self, f"_pre_update_{ts.object_type}", None)
            if hook:
                hook(rec, props, refs)
            for name, value in props.items():
                if name in schema.SYSTEM_PROPS:
                    if name == "id_perms" and isinstance(value, dict):
                        for key in ("enable", "description", "user_visible"):
                            if key in value:
                                rec.props["id_perms"][key] = value[key]
                    continue
                if value is None:
                    rec.props.pop(name, None)
                else:
                    rec.props[name] = value
            if refs:
                self._unindex_refs(rec)
                for name, value in refs.items():
                    if value:
                        rec.refs[name] = value
                    else:
                        rec.refs.pop(name, None)
                self._index_refs(rec)
            rec.props["id_perms"]["last_modified"] = _now()
            post = getattr(self, f"_post_update_{ts.object_type}", None)
            if post:
                post(rec)
            self.version += 1
            self.on_change(
                {"oper": "UPDATE", "type": ts.object_type, "uuid": uid, "fq_name": rec.fq_name}
            )
            return rec

    # --- delete ---------------------------------------------------------------------

    def delete(self, rtype: str, uid: str) -> None:
        ts = self.schema_for(rtype)
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            kids = [
                f"{ctype}:{self.objects[c].fq_name[-1]} ({c})"
                for ctype, members in self.children.get(uid, {}).items()
                for c in members
            ]
            if kids:
                raise ApiError(
                    409,
                    f"Delete when children still present: {ts.resource_type} {uid} has "
                    + ", ".join(kids),
                )
            users = [
                f"{stype}:{':'.join(self.objects[s].fq_name)} ({s})"
                for stype, members in self.backrefs.get(uid, {}).items()
                for s in members
            ]
            if users:
                raise ApiError(
                    409,
                    f"Delete when resource still referred: {ts.resource_type} {uid} is "
                    "referred by " + ", ".join(users),
                )
            obj_dict = self._notify_dict(rec)
            hook = getattr(self, f"_pre_delete_{ts.object_type}", None)
            if hook:
                hook(rec)
            self._unindex(rec)
            self.version += 1
            self.on_change(
                {
                    "oper": "DELETE",
                    "type": ts.object_type,
                    "uuid": uid,
                    "fq_name": rec.fq_name,
                    "obj_dict": obj_dict,
                }
            )

    # --- ref-update and prop-collection-update --------------------------------------

    def ref_update(
        self,
        rtype: str,
        uid: str,
        ref_type: str,
        ref_uuid: str | None,
        ref_fq_name: list[str] | None,
        operation: str,
        attr: Any,
    ) -> None:
        ts = self.schema_for(rtype)
        target_ts = self.schema_for(ref_type)
        field_name = f"{target_ts.object_type}_refs"
        if field_name not in ts.refs:
            raise ApiError(400, f"{ts.resource_type} has no reference to {ref_type}")
        if operation not in ("ADD", "DELETE"):
            raise ApiError(400, f"Unknown ref-update operation {operation!r}")
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            if not ref_uuid:
                if not ref_fq_name:
                    raise ApiError(400, "ref-update needs ref-uuid or ref-fq-name")
                ref_uuid = self.fq_to_id(target_ts.resource_type, ref_fq_name)
            current = list(rec.refs.get(field_name, []))
            if operation == "ADD":
                self.get(ref_uuid, target_ts.resource_type)
                ref_schema = ts.refs[field_name]
                if ref_schema.attr_type and attr is not None:
                    err = schema.check_xsd(attr, ref_schema.attr_type, f"{field_name}.attr")
                    if err:
                        raise ApiError(400, f"Invalid attribute: {err}")
                current = [r for r in current if r["uuid"] != ref_uuid]
                current.append({"uuid": ref_uuid, "attr": copy.deepcopy(attr)})
            else:
                current = [r for r in current if r["uuid"] != ref_uuid]
            refs = {field_name: current}
            hook = getattr(self, f"_pre_update_{ts.object_type}", None)
            if hook:
                hook(rec, {}, refs)
            self._unindex_refs(rec)
            if current:
                rec.refs[field_name] = current
            else:
                rec.refs.pop(field_name, None)
            self._index_refs(rec)
            post = getattr(self, f"_post_update_{ts.object_type}", None)
            if post:
                post(rec)
            self.version += 1
            self.on_change(
                {"oper": "UPDATE", "type": ts.object_type, "uuid": uid, "fq_name": rec.fq_name}
            )

    def prop_collection_update(self, uid: str, updates: list[dict[str, Any]]) -> None:
        with self.lock:
            rec = self.get(uid)
            ts = self.schema_for(rec.type)
            staged = copy.deepcopy(rec.props)
            for upd in updates:
                name = upd.get("field")
                if name not in ts.list_props and name not in ts.map_props:
                    raise ApiError(400, f"{name} is not a list or map property of {rec.type}")
                spec = ts.prop_types[name]
                wrapper = _wrapper_key(spec["xsd_type"]) if ts.wrapped.get(name) else None
                current = staged.get(name)
                items = (current or {}).get(wrapper, []) if wrapper else (current or [])
                items = list(items or [])
                op = upd.get("operation")
                value = upd.get("value")
                position = upd.get("position")
                if name in ts.map_props:
                    key_name = ts.map_key_names[name]
                    if op == "set":
                        key = value.get(key_name) if isinstance(value, dict) else None
                        if key is None:
                            raise ApiError(400, f"map element needs {key_name}")
                        items = [i for i in items if i.get(key_name) != key] + [value]
                    elif op == "delete":
                        if not any(i.get(key_name) == position for i in items):
                            raise ApiError(404, f"No element {position} in {name}")
                        items = [i for i in items if i.get(key_name) != position]
                    else:
                        raise ApiError(400, f"Unknown map operation {op!r}")
                else:
                    try:
                        pos = None if position is None else int(position)
                    except ValueError as exc:
                        raise ApiError(400, f"Invalid position {position!r}") from exc
                    if op == "add":
                        items.insert(len(items) if pos is None else pos, value)
                    elif op in ("modify", "delete"):
                        if pos is None or not 0 <= pos < len(items):
                            raise ApiError(404, f"No element at {position} in {name}")
                        if op == "modify":
                            items[pos] = value
                        else:
                            del items[pos]
                    else:
                        raise ApiError(400, f"Unknown list operation {op!r}")
                staged[name] = {wrapper: items} if wrapper else items
                err = schema.check_prop(ts, name, staged[name])
                if err:
                    raise ApiError(400, f"Invalid property value: {err}")
            rec.props = staged
            self.version += 1
            self.on_change(
                {"oper": "UPDATE", "type": ts.object_type, "uuid": uid, "fq_name": rec.fq_name}
            )

    # --- user-agent key/value -------------------------------------------------------

    def kv_op(self, operation: str, key: str | None, value: Any) -> Any:
        with self.lock:
            if operation == "STORE":
                if key is None:
                    raise ApiError(400, "STORE needs a key")
                self.kv[key] = value
                self.version += 1
                return None
            if operation == "RETRIEVE":
                if key is None:
                    return [{"key": k, "value": v} for k, v in self.kv.items()]
                if key not in self.kv:
                    raise ApiError(404, f"Key {key} not found")
                return self.kv[key]
            if operation == "DELETE":
                self.kv.pop(key, None)  # type: ignore[arg-type]
                self.version += 1
                return None
        raise ApiError(404, f"Invalid user-agent key/value operation {operation}")

    # --- type-specific behaviour: virtual-network subnets ---------------------------

    def _subnets(
        self, vn: Record
    ) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, dict[str, Any]]]:
        out = []
        for ref in vn.refs.get("network_ipam_refs", []):
            for sn in (ref.get("attr") or {}).get("ipam_subnets") or []:
                prefix = sn.get("subnet") or {}
                net = ipaddress.ip_network(
                    f"{prefix['ip_prefix']}/{prefix['ip_prefix_len']}", strict=False
                )
                out.append((net, sn))
        return out

    def _prepare_subnets(self, vn: Record, refs: dict[str, list[dict[str, Any]]]) -> None:
        """Fill subnet_uuid, default_gateway and dns_server_address as the server does."""
        for ref in refs.get("network_ipam_refs", []):
            for sn in (ref.get("attr") or {}).get("ipam_subnets") or []:
                prefix = sn.get("subnet")
                if not prefix or prefix.get("ip_prefix") is None:
                    raise ApiError(400, "ipam subnet without subnet prefix")
                try:
                    net = ipaddress.ip_network(
                        f"{prefix['ip_prefix']}/{prefix['ip_prefix_len']}", strict=False
                    )
                except (ValueError, KeyError) as exc:
                    raise ApiError(400, f"Invalid subnet {prefix}: {exc}") from exc
                if not sn.get("subnet_uuid"):
                    sn["subnet_uuid"] = str(uuidlib.uuid4())
                if net.num_addresses >= 4:
                    if not sn.get("default_gateway"):
                        sn["default_gateway"] = str(net.network_address + 1)
                    if not sn.get("dns_server_address"):
                        sn["dns_server_address"] = str(net.network_address + 2)
                for key in ("default_gateway", "dns_server_address"):
                    addr = sn.get(key)
                    if addr and addr != "0.0.0.0" and ipaddress.ip_address(addr) not in net:
                        raise ApiError(400, f"{key} {addr} is not in subnet {net}")

    def _pre_create_virtual_network(self, rec: Record) -> None:
        self._prepare_subnets(rec, rec.refs)

    def _post_create_virtual_network(self, rec: Record) -> None:
        self._store_subnet_kv(rec, set())

    def _pre_update_virtual_network(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        if "network_ipam_refs" not in refs:
            return
        self._prepare_subnets(rec, refs)
        # a subnet that still has addresses allocated from it cannot go
        in_use = self.ips_in_use.get(rec.uuid, {})
        if not in_use:
            return
        new = Record(rec.type, rec.uuid, rec.fq_name, None, None, {}, refs)
        nets = [n for n, _ in self._subnets(new)]
        for ip, iip in in_use.items():
            if not any(ipaddress.ip_address(ip) in n for n in nets):
                raise ApiError(
                    409, f"Cannot delete IP block: address {ip} is in use by instance-ip {iip}"
                )

    def _post_update_virtual_network(self, rec: Record) -> None:
        old = {k for k, v in self.kv.items() if isinstance(v, str) and v.startswith(rec.uuid + " ")}
        self._store_subnet_kv(rec, old)

    def _store_subnet_kv(self, rec: Record, old_keys: set[str]) -> None:
        keep = set()
        for net, sn in self._subnets(rec):
            self.kv[sn["subnet_uuid"]] = f"{rec.uuid} {net.with_prefixlen}"
            keep.add(sn["subnet_uuid"])
        for key in old_keys - keep:
            self.kv.pop(key, None)

    def _pre_delete_virtual_network(self, rec: Record) -> None:
        for _net, sn in self._subnets(rec):
            self.kv.pop(sn["subnet_uuid"], None)
        self.ips_in_use.pop(rec.uuid, None)

    # --- type-specific behaviour: instance-ip address allocation --------------------

    def _pre_create_instance_ip(self, rec: Record) -> None:
        vn_refs = rec.refs.get("virtual_network_refs") or []
        if not vn_refs:
            return  # a real server allows it only for special cases; nothing to allocate
        vn = self.objects[vn_refs[0]["uuid"]]
        subnets = self._subnets(vn)
        used = self.ips_in_use.setdefault(vn.uuid, {})
        want = rec.props.get("instance_ip_address")
        wanted_subnet = rec.props.get("subnet_uuid")
        if want:
            try:
                addr = ipaddress.ip_address(want)
            except ValueError as exc:
                raise ApiError(400, f"Invalid ip address {want}") from exc
            match = [(n, sn) for n, sn in subnets if addr in n]
            if not match:
                raise ApiError(
                    400, f"Requested ip {want} is not in any subnet of {':'.join(vn.fq_name)}"
                )
            if str(addr) in used:
                raise ApiError(
                    409, f"Ip address {want} already in use by instance-ip {used[str(addr)]}"
                )
            rec.props.setdefault("subnet_uuid", match[0][1].get("subnet_uuid"))
            rec.props["instance_ip_address"] = str(addr)
            return
        family = rec.props.get("instance_ip_family")
        for net, sn in subnets:
            if wanted_subnet and sn.get("subnet_uuid") != wanted_subnet:
                continue
            if family == "v4" and net.version != 4 or family == "v6" and net.version != 6:
                continue
            ip = self._allocate(vn.uuid, net, sn, used)
            if ip:
                rec.props["instance_ip_address"] = ip
                rec.props["subnet_uuid"] = sn.get("subnet_uuid")
                return
        if not subnets:
            raise ApiError(400, f"Virtual network {':'.join(vn.fq_name)} has no subnets")
        raise ApiError(409, f"Subnet exhausted: no free address in {':'.join(vn.fq_name)}")

    def _allocate(
        self, vn_uuid: str, net: Any, sn: dict[str, Any], used: dict[str, str]
    ) -> str | None:
        reserved = {
            net.network_address,
            net.broadcast_address,
        }
        for key in ("default_gateway", "dns_server_address"):
            if sn.get(key) and sn[key] != "0.0.0.0":
                reserved.add(ipaddress.ip_address(sn[key]))
        pools = sn.get("allocation_pools") or []
        ranges = (
            [
                (int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
                for p in pools
            ]
            if pools
            else [(int(net.network_address), int(net.broadcast_address))]
        )
        from_start = bool(sn.get("addr_from_start"))
        # lowest free address first (highest with addr_from_start false), as the server's
        # bitmap allocator does; the cursor remembers where the used prefix ends
        cursor_key = f"{vn_uuid}/{net}"
        base = 0
        for lo, hi in ranges:
            size = hi - lo + 1
            start = max(self.alloc_cursor.get(cursor_key, 0) - base, 0)
            for offset in range(start, size):
                value = lo + offset if from_start else hi - offset
                addr = ipaddress.ip_address(value)
                if addr in reserved or str(addr) in used:
                    continue
                self.alloc_cursor[cursor_key] = base + offset + 1
                return str(addr)
            base += size
        return None

    def _free(self, vn: Record, ip: str) -> None:
        addr = ipaddress.ip_address(ip)
        for net, sn in self._subnets(vn):
            if addr not in net:
                continue
            pools = sn.get("allocation_pools") or []
            ranges = (
                [
                    (int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
                    for p in pools
                ]
                if pools
                else [(int(net.network_address), int(net.broadcast_address))]
            )
            base = 0
            for lo, hi in ranges:
                if lo <= int(addr) <= hi:
                    offset = int(addr) - lo if sn.get("addr_from_start") else hi - int(addr)
                    key = f"{vn.uuid}/{net}"
                    self.alloc_cursor[key] = min(self.alloc_cursor.get(key, 0), base + offset)
                    return
                base += hi - lo + 1

    def _post_create_instance_ip(self, rec: Record) -> None:
        self._track_ip(rec)

    def _track_ip(self, rec: Record) -> None:
        vn_refs = rec.refs.get("virtual_network_refs") or []
        ip = rec.props.get("instance_ip_address")
        if vn_refs and ip:
            self.ips_in_use.setdefault(vn_refs[0]["uuid"], {})[ip] = rec.uuid

    def _pre_update_instance_ip(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        if "instance_ip_address" in props and props["instance_ip_address"] != rec.props.get(
            "instance_ip_address"
        ):
            raise ApiError(400, "instance_ip_address cannot be changed")
        if "virtual_network_refs" in refs:
            old = [r["uuid"] for r in rec.refs.get("virtual_network_refs", [])]
            if old and old != [r["uuid"] for r in refs["virtual_network_refs"]]:
                raise ApiError(400, "virtual network of an instance-ip cannot be changed")

    def _pre_delete_instance_ip(self, rec: Record) -> None:
        for ref in rec.refs.get("virtual_network_refs") or []:
            used = self.ips_in_use.get(ref["uuid"], {})
            address = rec.props.get("instance_ip_address")
            if address is not None and used.get(address) == rec.uuid:
                used.pop(address)
                vn = self.objects.get(ref["uuid"])
                if vn is not None:
                    self._free(vn, address)

    # --- type-specific behaviour: service-appliance-set -----------------------------

    def _pre_update_service_appliance_set(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        pools = list(self.backrefs_of(rec.uuid, "loadbalancer-pool"))
        if pools:
            raise ApiError(
                409,
                f"Service appliance set {':'.join(rec.fq_name)} cannot be updated while "
                f"loadbalancer pools refer to it: {', '.join(pools)}",
            )


def _wrapper_key(xsd_type: str) -> str | None:
    cls = schema.xsd_class(xsd_type)
    fields = list(getattr(cls, "attr_fields", []) or [])
    return fields[0] if len(fields) == 1 else None
