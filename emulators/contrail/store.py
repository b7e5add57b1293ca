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
import re
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pprint import pformat
from typing import Any

from . import schema
from .schema import TypeSchema


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AddrError(Exception):
    """An address-management failure (vnc_addr_mgmt.AddrMgmt* exceptions, same texts)."""


def _fq_str(fq_name: list[str]) -> str:
    """How vnc_addr_mgmt prints a network's fq_name: ``['default-domain', 'p', 'vn']``."""
    return str([str(p) for p in fq_name])


# cfgm_common: the system networks the server refuses to delete
IP_FABRIC_VN_FQ_NAME = ["default-domain", "default-project", "ip-fabric"]
LINK_LOCAL_VN_FQ_NAME = ["default-domain", "default-project", "__link_local__"]
# vnc_db.VncZkClient: virtual network ids are allocated from VNID_MIN_ALLOC (1) up to 1 << 24
VNID_MIN_ALLOC = 1
VN_MAX_ID = 1 << 24
# VncApiServer._GENERATE_DEFAULT_INSTANCE: default children the server deletes with the parent
GENERATE_DEFAULT_INSTANCE = frozenset({"namespace", "project", "virtual-network", "network-ipam"})
# illegal_xml_chars_RE of api_server.py
_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
            # virtual_network_network_id -> virtual-network uuid
            self.vn_ids: dict[int, str] = {}
            self.vn_id_cursor = VNID_MIN_ALLOC
            # ref-relax-for-delete: target uuid -> uuids of objects whose ref to it is relaxed
            self.relaxed: dict[str, dict[str, None]] = {}
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
                "relaxed": {k: list(v) for k, v in self.relaxed.items() if v},
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
                if rec.type in ("instance-ip", "floating-ip"):
                    self._track_ip(rec)
                vn_id = rec.props.get("virtual_network_network_id")
                if rec.type == "virtual-network" and isinstance(vn_id, int):
                    self.vn_ids[vn_id] = rec.uuid
            self.kv = dict(state.get("kv") or {})
            self.relaxed = {k: dict.fromkeys(v) for k, v in (state.get("relaxed") or {}).items()}
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
            raise ApiError(404, f"Unknown id: {uid}")  # the server's NoIdError text
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
        """The refs of a request body as stored ({uuid, attr}, one per target)."""
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
                resolved = [r for r in resolved if r["uuid"] != uid]
                resolved.append({"uuid": uid, "attr": copy.deepcopy(attr)})
            out[name] = resolved
        return out

    @staticmethod
    def _validate(ts: TypeSchema, body: dict[str, Any], operation: str, api_name: str) -> None:
        """VncApiServer._validate_props_in_request + _validate_refs_in_request (400s);
        converts the body in place (``"8080"`` -> 8080 for integer fields)."""
        err = schema.validate_props(ts, body, operation)
        if err:
            raise ApiError(400, f"Bad property in {api_name}: {err}")
        err = schema.validate_ref_attrs(ts, body)
        if err:
            raise ApiError(400, f"Bad reference in {api_name}: {err}")

    @staticmethod
    def _props_of(ts: TypeSchema, body: dict[str, Any]) -> dict[str, Any]:
        return {name: copy.deepcopy(body[name]) for name in ts.prop_types if name in body}

    # --- create ---------------------------------------------------------------------

    def create(self, rtype: str, body: dict[str, Any], notify: bool = True) -> Record:
        """VncApiServer.http_resource_create: _post_validate, property and reference
        validation, _post_common, parent lookup, the type's pre_dbe_create, dbe_create and
        the CREATE notification carrying the request's obj_dict."""
        ts = self.schema_for(rtype)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be an object")
        body = copy.deepcopy(body)  # the server's obj_dict: validated, completed, published
        fq_name = body.get("fq_name")
        if not fq_name:
            raise ApiError(400, "Bad Request, no fq_name in POST body")
        if not isinstance(fq_name, list) or not all(isinstance(p, str) and p for p in fq_name):
            raise ApiError(400, f"Invalid fq_name {fq_name!r}")
        # VncApiServer._post_validate: well-formed names (route targets may hold ':')
        if _ILLEGAL_XML_CHARS.search(fq_name[-1]):
            raise ApiError(400, "Bad Request, name has illegal xml characters")
        invalid_chars = set() if ts.resource_type == "route-target" else {":"}
        if any(c in invalid_chars for c in fq_name[-1]):
            raise ApiError(400, f"Bad Request, name has one of invalid chars {invalid_chars}")
        self._validate(ts, body, "CREATE", "create")
        with self.lock:
            if (ts.resource_type, tuple(fq_name)) in self.by_fq:
                existing = self.by_fq[(ts.resource_type, tuple(fq_name))]
                raise ApiError(409, f"{pformat(fq_name)} already exists with uuid: {existing}")
            parent_type: str | None = body.get("parent_type")
            if parent_type == "config-root":
                parent_type = None
                body.pop("parent_type")
            if parent_type is not None:
                parent_type = parent_type.replace("_", "-")
                if parent_type not in ts.parent_types:
                    raise ApiError(
                        400,
                        f"Invalid parent type: {parent_type}. Allowed types: {ts.parent_types}",
                    )
            elif len(fq_name) > 1:
                candidates = [p for p in ts.parent_types if p != "config-root"]
                if len(candidates) != 1:
                    raise ApiError(
                        400, f"Missing parent type: None. Allowed types: {ts.parent_types}"
                    )
                parent_type = candidates[0]
            if parent_type is None and len(fq_name) != 1:
                raise ApiError(400, f"Invalid fq-name of an object with no parent: {fq_name}")
            if parent_type is not None and len(fq_name) < 2:
                raise ApiError(
                    400, f"Invalid fq-name for object with parent_type {parent_type}: {fq_name}"
                )
            uid = body.get("uuid")
            if uid:
                try:
                    canonical = str(uuidlib.UUID(uid))
                except (ValueError, AttributeError, TypeError) as exc:
                    raise ApiError(400, f"Invalid UUID format: {uid}") from exc
                if canonical != uid:
                    raise ApiError(400, f"Invalid UUID format: {uid}")
                if uid in self.objects:
                    raise ApiError(
                        409,
                        f"{uid} already exists with fq_name: {pformat(self.objects[uid].fq_name)}",
                    )
            else:
                uid = str(uuidlib.uuid4())
            parent_uuid: str | None = None
            if parent_type is not None:
                parent_uuid = self.by_fq.get((parent_type, tuple(fq_name[:-1])))
                if parent_uuid is None:
                    raise ApiError(
                        400, f"Parent {pformat(fq_name[:-1])} type {parent_type} does not exist"
                    )
                body["parent_type"] = parent_type
                body["parent_uuid"] = parent_uuid
            body["uuid"] = uid
            refs = self._resolve_refs(ts, body)
            props = self._props_of(ts, body)
            props["id_perms"] = _id_perms(uid, body.get("id_perms"))
            props["perms2"] = _perms2()
            if not props.get("display_name"):
                props["display_name"] = fq_name[-1]
            rec = Record(
                ts.resource_type, uid, list(fq_name), parent_type, parent_uuid, props, refs
            )
            hook = getattr(self, f"_pre_create_{ts.object_type}", None)
            if hook:
                hook(rec, body)
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
                        "obj_dict": self._create_dict(ts, rec, body),
                    }
                )
                if ts.resource_type in _UPDATED_AFTER_CREATE:
                    self.on_change(
                        {
                            "oper": "UPDATE",
                            "type": ts.object_type,
                            "uuid": uid,
                            "fq_name": rec.fq_name,
                        }
                    )
            return rec

    def _create_dict(self, ts: TypeSchema, rec: Record, body: dict[str, Any]) -> dict[str, Any]:
        """The obj_dict of a CREATE notification: what the client sent, as the server
        completed it (uuid, parent, perms, allocated ids and addresses, converted values).
        Refs stay as sent: a ref given by fq_name only has no uuid (VncDbClient.dbe_create
        publishes the request's obj_dict)."""
        out = copy.deepcopy(body)
        out.update(copy.deepcopy(rec.props))
        for name in ts.refs:
            sent = out.get(name)
            if not sent:
                continue
            stored = {r["uuid"]: r for r in rec.refs.get(name, [])}
            for ref in sent:
                uid = ref.get("uuid")
                if not uid and ref.get("to"):
                    uid = self.by_fq.get((ts.refs[name].target, tuple(ref["to"])))
                if uid in stored:
                    ref["attr"] = copy.deepcopy(stored[uid]["attr"])
        return out

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
        """VncApiServer.http_resource_update / _put_common: validation, the type's
        pre_dbe_update, dbe_update. No create-only check: R2005 has none (a
        ``loadbalancer_provider`` change is accepted)."""
        ts = self.schema_for(rtype)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be an object")
        body = copy.deepcopy(body)
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            self._validate(ts, body, "UPDATE", "http_put")
            if body.get("fq_name") not in (None, rec.fq_name):
                raise ApiError(400, "fq_name cannot be updated")
            props = self._props_of(ts, body)
            refs = self._resolve_refs(ts, body)
            self._pre_update(ts, rec, props, refs)
            for name, value in props.items():
                if name in schema.SYSTEM_PROPS:
                    if name == "id_perms" and isinstance(value, dict):
                        for key in ("enable", "description", "user_visible"):
                            if key in value:
                                rec.props["id_perms"][key] = value[key]
                    continue
                if value is None:
                    if name != "virtual_network_network_id":  # server-owned, never cleared
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

    def _pre_update(
        self,
        ts: TypeSchema,
        rec: Record,
        props: dict[str, Any],
        refs: dict[str, list[dict[str, Any]]],
    ) -> None:
        """The type's pre_dbe_update: _put_common runs it for PUT, ref-update and
        prop-collection-update alike."""
        hook = getattr(self, f"_pre_update_{ts.object_type}", None)
        if hook:
            hook(rec, props, refs)

    # --- delete ---------------------------------------------------------------------

    def delete(self, rtype: str, uid: str, base: str = "http://localhost:8082") -> None:
        """VncApiServer.http_resource_delete (+ virtual_network_http_delete): refuses while
        non-default, non-derived children or non-relaxed, non-derived back-refs exist, with
        the server's texts (hrefs under ``base``)."""
        ts = self.schema_for(rtype)
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            if ts.resource_type == "virtual-network" and rec.fq_name in (
                IP_FABRIC_VN_FQ_NAME,
                LINK_LOCAL_VN_FQ_NAME,
            ):
                raise ApiError(409, f"Can not delete system created default virtual-network {uid}")
            derived_children = ts.derived_children
            default_children: list[str] = []
            for ctype, members in self.children.get(uid, {}).items():
                if ctype in derived_children:
                    continue
                hrefs = []
                for c in members:
                    if self.objects[c].fq_name[-1] == f"default-{ctype}":
                        if ctype in GENERATE_DEFAULT_INSTANCE:
                            default_children.append(c)
                        continue
                    hrefs.append(f"{base}/{ctype}/{c}")
                if hrefs:
                    raise ApiError(409, f"Delete when children still present: {hrefs}")
            derived_backrefs = ts.derived_backrefs
            relaxed = self.relaxed.get(uid, {})
            for stype, members in self.backrefs.get(uid, {}).items():
                if stype in derived_backrefs:
                    continue
                hrefs = [f"{base}/{stype}/{s}" for s in members if s not in relaxed]
                if hrefs:
                    raise ApiError(409, f"Delete when resource still referred: {hrefs}")
            for child in default_children:
                self.delete(self.objects[child].type, child, base)
            obj_dict = self._notify_dict(rec)
            hook = getattr(self, f"_pre_delete_{ts.object_type}", None)
            if hook:
                hook(rec)
            # refs relaxed for delete go with the target (VncCassandraClient.object_delete)
            for src in self.relaxed.pop(uid, {}):
                self._drop_refs_to(src, uid)
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

    def _drop_refs_to(self, src_uuid: str, target_uuid: str) -> None:
        src = self.objects.get(src_uuid)
        if src is None:
            return
        self._unindex_refs(src)
        for name in list(src.refs):
            kept = [r for r in src.refs[name] if r["uuid"] != target_uuid]
            if kept:
                src.refs[name] = kept
            else:
                del src.refs[name]
        self._index_refs(src)

    def ref_relax_for_delete(self, obj_uuid: str | None, ref_uuid: str | None) -> None:
        """VncApiServer.ref_relax_for_delete_http_post: ``obj_uuid``'s ref to ``ref_uuid``
        no longer blocks deleting ``ref_uuid`` (VncCassandraClient._relax_ref_for_delete)."""
        if obj_uuid is None or ref_uuid is None:
            raise ApiError(
                400,
                f"Bad Request: Both uuid and ref-uuid should be specified: {obj_uuid}, {ref_uuid}.",
            )
        with self.lock:
            if obj_uuid not in self.objects:
                raise ApiError(404, f"uuid {obj_uuid} not found")
            self.relaxed.setdefault(ref_uuid, {})[obj_uuid] = None
            self.version += 1

    def set_perms2(self, obj_uuid: str, **changes: Any) -> None:
        """Store a perms2 change (chown/chmod) and notify the UPDATE as dbe_update does."""
        with self.lock:
            rec = self.get(obj_uuid)
            perms2 = rec.props.setdefault("perms2", _perms2())
            is_shared = changes.pop("is_shared", None)
            perms2.update(changes)
            if is_shared is not None and "is_shared" in self.schema_for(rec.type).prop_types:
                rec.props["is_shared"] = is_shared
            self.version += 1
            self.on_change(
                {
                    "oper": "UPDATE",
                    "type": self.schema_for(rec.type).object_type,
                    "uuid": rec.uuid,
                    "fq_name": rec.fq_name,
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
        relax_ref_for_delete: bool = False,
    ) -> None:
        """VncApiServer.ref_update_http_post (then _put_common: the type's pre_dbe_update)."""
        ts = self.schema_for(rtype)
        target_ts = self.schema_for(ref_type)
        field_name = f"{target_ts.object_type}_refs"
        if field_name not in ts.refs:
            raise ApiError(400, f"{ts.resource_type} has no reference to {ref_type}")
        operation = operation.upper()
        if operation not in ("ADD", "DELETE"):
            raise ApiError(400, f"Bad Request: operation should be add or delete: {operation}")
        with self.lock:
            rec = self.get(uid, ts.resource_type)
            if not ref_uuid:
                if not ref_fq_name:
                    raise ApiError(400, "ref-update needs ref-uuid or ref-fq-name")
                ref_uuid = self.fq_to_id(target_ts.resource_type, ref_fq_name)
            current = list(rec.refs.get(field_name, []))
            if operation == "ADD":
                self.get(ref_uuid, target_ts.resource_type)
                attr = copy.deepcopy(attr)
                err = schema.validate_ref_attrs(ts, {field_name: [{"attr": attr}]})
                if err:
                    raise ApiError(400, f"Bad reference in ref-update: {err}")
                current = [r for r in current if r["uuid"] != ref_uuid]
                current.append({"uuid": ref_uuid, "attr": copy.deepcopy(attr)})
            else:
                current = [r for r in current if r["uuid"] != ref_uuid]
            refs = {field_name: current}
            self._pre_update(ts, rec, {}, refs)
            if operation == "ADD" and relax_ref_for_delete:
                self.relaxed.setdefault(ref_uuid, {})[uid] = None
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
                    raise ApiError(400, f"Bad property in prop-collection-update: {err}")
            changed = {str(u.get("field")): staged.get(str(u.get("field"))) for u in updates}
            self._pre_update(ts, rec, changed, {})
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

    # --- type-specific behaviour: virtual-network ids and subnets -------------------

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
                    # AddrMgmt: from the start, .1 and .2; else the top: .254 and .253
                    # (addresses are then handed out downwards from .252)
                    if sn.get("addr_from_start"):
                        gateway, dns = net.network_address + 1, net.network_address + 2
                    else:
                        gateway, dns = net.broadcast_address - 1, net.broadcast_address - 2
                    if not sn.get("default_gateway"):
                        sn["default_gateway"] = str(gateway)
                    if not sn.get("dns_server_address"):
                        sn["dns_server_address"] = str(dns)
                for key in ("default_gateway", "dns_server_address"):
                    addr = sn.get(key)
                    if addr and addr != "0.0.0.0" and ipaddress.ip_address(addr) not in net:
                        raise ApiError(400, f"{key} {addr} is not in subnet {net}")

    def _next_vn_id(self) -> int:
        """VncZkClient.alloc_vn_id: the lowest free id from VNID_MIN_ALLOC (IndexAllocator)."""
        vn_id = self.vn_id_cursor
        while vn_id in self.vn_ids:
            vn_id += 1
        if vn_id - VNID_MIN_ALLOC >= VN_MAX_ID:
            raise ApiError(500, "ResourceExhaustionError: virtual network ids exhausted")
        self.vn_id_cursor = vn_id
        return vn_id

    def _pre_create_virtual_network(self, rec: Record, body: dict[str, Any]) -> None:
        # VirtualNetworkServer.pre_dbe_create: the id is the server's
        if body.get("virtual_network_network_id") is not None:
            raise ApiError(403, "Cannot set the virtual network ID")
        self._prepare_subnets(rec, rec.refs)
        rec.props["virtual_network_network_id"] = self._next_vn_id()

    def _post_create_virtual_network(self, rec: Record) -> None:
        self.vn_ids[rec.props["virtual_network_network_id"]] = rec.uuid
        self._store_subnet_kv(rec, set())

    def _pre_update_virtual_network(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        if rec.fq_name == LINK_LOCAL_VN_FQ_NAME:
            return  # VirtualNetworkServer.pre_dbe_update returns early for it
        new_id = props.get("virtual_network_network_id")
        if new_id is not None and new_id != rec.props.get("virtual_network_network_id"):
            raise ApiError(403, "Cannot update the virtual network ID")
        if "network_ipam_refs" not in refs:
            return
        self._prepare_subnets(rec, refs)
        # a subnet that still has addresses allocated from it cannot go
        in_use = self.ips_in_use.get(rec.uuid, {})
        if not in_use:
            return
        new = Record(rec.type, rec.uuid, rec.fq_name, None, None, {}, refs)
        nets = [n for n, _ in self._subnets(new)]
        for ip, user in in_use.items():
            if not any(ipaddress.ip_address(ip) in n for n in nets):
                # AddrMgmt._check_subnet_delete, 409 from VirtualNetworkServer.pre_dbe_update
                holder = self.objects.get(user)
                kind = (
                    "Floating IP" if holder is not None and holder.type == "floating-ip" else "IP"
                )
                raise ApiError(409, f"Cannot Delete IP Block, {kind}({ip}) is in use")

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
        # VirtualNetworkServer.post_dbe_delete: free_vn_id
        vn_id = rec.props.get("virtual_network_network_id")
        if isinstance(vn_id, int) and self.vn_ids.get(vn_id) == rec.uuid:
            del self.vn_ids[vn_id]
            self.vn_id_cursor = min(self.vn_id_cursor, vn_id)

    # --- type-specific behaviour: address management (vnc_addr_mgmt.py) ------------
    # Instance-ips and floating-ips share one address space per virtual network.

    @staticmethod
    def _excluded(net: Any, sn: dict[str, Any]) -> set[Any]:
        """Subnet._exclude: network, broadcast, gateway and service (DNS) addresses."""
        out = {net.network_address, net.broadcast_address}
        for key in ("default_gateway", "dns_server_address"):
            if sn.get(key) and sn[key] != "0.0.0.0":
                out.add(ipaddress.ip_address(sn[key]))
        return out

    def _is_ip_allocated(self, vn: Record, ip: str) -> bool:
        """AddrMgmt.is_ip_allocated: used by an instance-ip/floating-ip, or excluded."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if str(addr) in self.ips_in_use.get(vn.uuid, {}):
            return True
        return any(addr in net and addr in self._excluded(net, sn) for net, sn in self._subnets(vn))

    def _is_gateway_ip(self, vn: Record, ip: str) -> bool:
        return any(sn.get("default_gateway") == ip for _net, sn in self._subnets(vn))

    def _ip_alloc_req(
        self,
        vn: Record,
        sub: str | None = None,
        asked: str | None = None,
        version: int | None = None,
    ) -> tuple[str, str | None]:
        """AddrMgmt.ip_alloc_req in the default 'user-defined-subnet-preferred' mode:
        (address, subnet uuid) or AddrError with vnc_addr_mgmt's texts. Only user-defined
        subnets exist here, so when they fail the flat-subnet fallback reports
        "has exhausted subnet([])" as the server's does."""
        fq = _fq_str(vn.fq_name)
        subnets = self._subnets(vn)
        used = self.ips_in_use.setdefault(vn.uuid, {})
        if sub or asked:
            # _ipam_ip_alloc_req fails (no flat subnets), then _net_ip_alloc_req decides
            if not subnets:
                raise AddrError(f"Virtual-Network({fq}) has no defined subnets")
            tried: list[str] = []
            found = False
            for net, sn in subnets:
                if sub:
                    if sn.get("subnet_uuid") != sub:
                        continue
                    found = True
                if version and version != net.version:
                    continue
                if asked in (sn.get("default_gateway"), sn.get("dns_server_address")):
                    return asked, sn.get("subnet_uuid")  # type: ignore[return-value]
                if asked:
                    try:
                        if ipaddress.ip_address(asked) not in net:
                            continue
                    except ValueError:
                        continue
                tried.append(net.with_prefixlen)
                if asked:
                    return str(ipaddress.ip_address(asked)), sn.get("subnet_uuid")
                ip = self._allocate(vn.uuid, net, sn, used)
                if ip is not None:
                    return ip, sn.get("subnet_uuid")
                break  # a requested subnet that cannot serve: exhausted
            if sub and not found:
                raise AddrError(f"Virtual-Network({vn.fq_name}) has invalid subnet({sub})")
            raise AddrError(f"Virtual-Network({fq}) has exhausted subnet({tried})")
        for net, sn in subnets:
            if version and version != net.version:
                continue
            ip = self._allocate(vn.uuid, net, sn, used)
            if ip is not None:
                return ip, sn.get("subnet_uuid")
        raise AddrError(f"Virtual-Network({fq}) has exhausted subnet([])")

    def _pre_create_instance_ip(self, rec: Record, body: dict[str, Any]) -> None:
        """InstanceIpServer.pre_dbe_create: a requested address already used is 409
        "IP address already in use" (the gateway may be asked for); allocation failures
        are 400 with the address manager's text."""
        vn_refs = rec.refs.get("virtual_network_refs") or []
        if not vn_refs:
            return  # ipam / vrouter based allocation is not modelled
        vn = self.objects[vn_refs[0]["uuid"]]
        if vn.fq_name in (IP_FABRIC_VN_FQ_NAME, LINK_LOCAL_VN_FQ_NAME):
            return  # the server ignores ip-fabric and link-local allocations
        want = rec.props.get("instance_ip_address")
        family = rec.props.get("instance_ip_family")
        version = 4 if family == "v4" else 6 if family == "v6" else None
        if want and self._is_ip_allocated(vn, want) and not self._is_gateway_ip(vn, want):
            raise ApiError(409, "IP address already in use")
        try:
            ip, subnet_uuid = self._ip_alloc_req(vn, rec.props.get("subnet_uuid"), want, version)
        except AddrError as exc:
            raise ApiError(400, str(exc)) from exc
        rec.props["instance_ip_address"] = ip
        rec.props["subnet_uuid"] = subnet_uuid

    def _pre_create_floating_ip(self, rec: Record, body: dict[str, Any]) -> None:
        """FloatingIpServer.pre_dbe_create: project_refs defaulted to the fq_name's project,
        address allocated in the pool's network (fq_name[:-2]) from the pool's
        floating_ip_pool_subnets if set; a requested address already used (by an
        instance-ip too) is 409 "IP address already in use"; allocation failures are 500."""
        if rec.parent_type == "instance-ip":
            return
        if not rec.refs.get("project_refs"):
            project_fq = rec.fq_name[:2]
            project = self.by_fq.get(("project", tuple(project_fq)))
            if project is None:
                raise ApiError(404, f"Name {project_fq} of type project not found")
            rec.refs["project_refs"] = [{"uuid": project, "attr": None}]
            body["project_refs"] = [{"to": project_fq, "attr": None}]
        vn_uuid = self.by_fq.get(("virtual-network", tuple(rec.fq_name[:-2])))
        if vn_uuid is None:
            raise ApiError(404, f"Virtual network {rec.fq_name[:-2]} not found")
        vn = self.objects[vn_uuid]
        want = rec.props.get("floating_ip_address")
        if want and self._is_ip_allocated(vn, want):
            raise ApiError(409, "IP address already in use")
        pool = self.objects[rec.parent_uuid] if rec.parent_uuid else None
        pool_subnets = ((pool.props if pool else {}).get("floating_ip_pool_subnets") or {}).get(
            "subnet_uuid"
        ) or []
        try:
            if not pool_subnets:
                ip, _ = self._ip_alloc_req(vn, asked=want)
            else:
                ip = None
                tried = []
                for sub in pool_subnets:
                    tried.append(sub)
                    try:
                        ip, _ = self._ip_alloc_req(vn, sub=sub, asked=want)
                    except AddrError as exc:
                        if "exhausted" in str(exc):
                            continue
                        raise
                    break
                if ip is None:
                    raise AddrError(
                        f"Virtual-Network({_fq_str(vn.fq_name)}) has exhausted subnet({tried})"
                    )
        except AddrError as exc:
            raise ApiError(500, str(exc)) from exc
        rec.props["floating_ip_address"] = ip

    def _post_create_floating_ip(self, rec: Record) -> None:
        self._track_ip(rec)

    def _pre_delete_floating_ip(self, rec: Record) -> None:
        self._untrack_ip(rec)

    def _allocate(
        self, vn_uuid: str, net: Any, sn: dict[str, Any], used: dict[str, str]
    ) -> str | None:
        reserved = self._excluded(net, sn)
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

    def _ip_network_of(self, rec: Record) -> str | None:
        """The virtual network an instance-ip's or floating-ip's address belongs to."""
        if rec.type == "floating-ip":
            if rec.parent_type == "instance-ip":
                return None
            return self.by_fq.get(("virtual-network", tuple(rec.fq_name[:-2])))
        vn_refs = rec.refs.get("virtual_network_refs") or []
        return vn_refs[0]["uuid"] if vn_refs else None

    def _address_of(self, rec: Record) -> str | None:
        key = "floating_ip_address" if rec.type == "floating-ip" else "instance_ip_address"
        value = rec.props.get(key)
        return str(value) if value else None

    def _post_create_instance_ip(self, rec: Record) -> None:
        self._track_ip(rec)

    def _track_ip(self, rec: Record) -> None:
        vn_uuid = self._ip_network_of(rec)
        ip = self._address_of(rec)
        if vn_uuid and ip:
            vn = self.objects.get(vn_uuid)
            if vn is not None and rec.type == "instance-ip" and self._is_gateway_ip(vn, ip):
                return  # the gateway stays the network's (InstanceIpServer lets it be shared)
            self.ips_in_use.setdefault(vn_uuid, {})[ip] = rec.uuid

    def _untrack_ip(self, rec: Record) -> None:
        vn_uuid = self._ip_network_of(rec)
        address = self._address_of(rec)
        if not vn_uuid or address is None:
            return
        used = self.ips_in_use.get(vn_uuid, {})
        if used.get(address) == rec.uuid:
            used.pop(address)
            vn = self.objects.get(vn_uuid)
            if vn is not None:
                self._free(vn, address)

    def _pre_update_instance_ip(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        # InstanceIpServer.pre_dbe_update
        want = props.get("instance_ip_address")
        if want and want != rec.props.get("instance_ip_address"):
            raise ApiError(400, "Instance IP Address can not be changed")
        if "virtual_network_refs" in refs:
            old = [r["uuid"] for r in rec.refs.get("virtual_network_refs", [])]
            if old and old != [r["uuid"] for r in refs["virtual_network_refs"]]:
                raise ApiError(400, "virtual network of an instance-ip cannot be changed")

    def _pre_delete_instance_ip(self, rec: Record) -> None:
        self._untrack_ip(rec)

    # --- type-specific behaviour: virtual-machine-interface -------------------------

    def _pre_create_virtual_machine_interface(self, rec: Record, body: dict[str, Any]) -> None:
        """VirtualMachineInterfaceServer.pre_dbe_create reads
        ``obj_dict['virtual_network_refs'][0]`` first: without a network the server fails
        with a 500 whose text is the exception's last traceback line."""
        refs = body.get("virtual_network_refs")
        if refs is None:
            raise ApiError(500, "KeyError: 'virtual_network_refs'")
        if not refs:
            raise ApiError(500, "IndexError: list index out of range")
        macs = rec.props.get("virtual_machine_interface_mac_addresses") or {}
        if not macs.get("mac_address"):
            # AddrMgmt.mac_alloc: 02: and the uuid's first five bytes
            u = rec.uuid
            mac = f"02:{u[0:2]}:{u[2:4]}:{u[4:6]}:{u[6:8]}:{u[9:11]}"
            rec.props["virtual_machine_interface_mac_addresses"] = {"mac_address": [mac]}

    # --- type-specific behaviour: route-table ---------------------------------------

    def _check_prefixes(self, rec: Record, routes: Any) -> None:
        """RouteTableServer._check_prefixes: no prefix twice in one route table."""
        prefixes = [r.get("prefix") for r in ((routes or {}).get("route") or [])]
        if len(prefixes) != len(set(prefixes)):
            raise ApiError(400, f"Duplicate prefixes not allowed: {rec.uuid}")

    def _pre_create_route_table(self, rec: Record, body: dict[str, Any]) -> None:
        self._check_prefixes(rec, body.get("routes"))

    def _pre_update_route_table(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        self._check_prefixes(rec, props.get("routes"))

    # --- type-specific behaviour: service-appliance-set -----------------------------

    def _pre_update_service_appliance_set(
        self, rec: Record, props: dict[str, Any], refs: dict[str, list[dict[str, Any]]]
    ) -> None:
        """ServiceApplianceSetServer.pre_dbe_update: no update while loadbalancer pools
        refer to the set (dbe_list('loadbalancer_pool', back_ref_uuids=[id]))."""
        if any(True for _ in self.backrefs_of(rec.uuid, "loadbalancer-pool")):
            raise ApiError(
                409, "Service appliance set can not be updated as loadbalancer pools are using it"
            )


# Types the server notifies an UPDATE for right after their CREATE (its post-create
# processing writes them again): what a real API server was seen to publish.
_UPDATED_AFTER_CREATE = frozenset({"virtual-machine-interface"})


def _wrapper_key(xsd_type: str) -> str | None:
    cls = schema.xsd_class(xsd_type)
    fields = list(getattr(cls, "attr_fields", []) or [])
    return fields[0] if len(fields) == 1 else None
