"""The Contrail configuration API as an :class:`emulators.http.App`.

Routes (as the real ``contrail-api`` on port 8082 serves them, see docs/emulators/contrail.md):
``GET /`` homepage with links, ``GET|POST /<type>s``, ``GET|PUT|DELETE /<type>/<uuid>``,
``POST /list-bulk-collection``, ``/ref-update``, ``/fqname-to-id``, ``/id-to-fqname``,
``/prop-collection-update``, ``GET /prop-collection-get``, ``/useragent-kv``,
``/ref-relax-for-delete``, ``/chown``, ``/chmod``, ``GET /obj-perms``.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import tempfile
import threading
import time
import uuid as uuidlib
from collections import Counter
from pathlib import Path
from typing import Any

from emulators.http import Fault, Request, Response
from reconciler.logs import get_logger

from . import schema
from .notify import Notifier
from .store import ApiError, Record, Store

log = get_logger("emulator.contrail")

# action link name (what VncApi looks up) -> path
ACTIONS = {
    "name-to-id": "/fqname-to-id",
    "id-to-name": "/id-to-fqname",
    "ref-update": "/ref-update",
    "useragent-keyvalue": "/useragent-kv",
    "list-bulk-collection": "/list-bulk-collection",
    "prop-collection-update": "/prop-collection-update",
    "prop-collection-get": "/prop-collection-get",
    "ref-relax-for-delete": "/ref-relax-for-delete",
    "obj-perms": "/obj-perms",
    "chown": "/chown",
    "chmod": "/chmod",
}

# VncApiServer.re_uuid (invalid_uuid): a version-4 uuid, any case, dashes optional
_RE_UUID = re.compile(
    "^[0-9A-F]{8}-?[0-9A-F]{4}-?4[0-9A-F]{3}-?[89AB][0-9A-F]{3}-?[0-9A-F]{12}$", re.IGNORECASE
)
# cfgm_common.PERMS2_VALID_SHARE_TYPES
_SHARE_TYPES = ("tenant", "domain")


def _invalid_uuid(value: Any) -> bool:
    return not isinstance(value, str) or _RE_UUID.match(value) is None


def _invalid_access(value: Any) -> bool:
    return type(value) is not int or value not in range(8)


_TRUE = {"true", "True", "1", True}
_FILTER_SPLIT = re.compile(r",(?=[A-Za-z_][A-Za-z0-9_\-]*==)")


def _truthy(value: Any) -> bool:
    return value in _TRUE


def error_response(status: int, message: str) -> Response:
    """The API server answers errors with the bare message as text (bottle's abort)."""
    return Response(status, message.encode(), content_type="text/plain; charset=UTF-8")


def fault_response(fault: Fault, request: Request) -> Response:
    if fault.body is not None:
        body = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
        return error_response(fault.status, body)
    texts = {503: "Service Unavailable", 500: "Internal Server Error", 502: "Bad Gateway"}
    return error_response(fault.status, texts.get(fault.status, f"Error {fault.status}"))


class StateFile:
    """Debounced, atomic persistence: written at most every ``interval`` s after changes."""

    def __init__(self, path: Path, store: Store, interval: float = 0.5) -> None:
        self.path = path
        self.store = store
        self.interval = interval
        self._written = -1
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.writes = 0
        self._thread = threading.Thread(target=self._run, name="contrail-state", daemon=True)

    def read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        return json.loads(self.path.read_text())

    def start(self) -> None:
        self._written = self.store.version
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                break
            time.sleep(self.interval)  # debounce: gather the burst of changes
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self.store.lock:
            if self.store.version == self._written:
                return
            version = self.store.version
            state = self.store.dump()
        payload = json.dumps(state)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._written = version
        self.writes += 1

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.flush()


class ContrailApp:
    """The API server: HTTP routing on top of :class:`Store`."""

    def __init__(
        self,
        amqp_url: str | None = None,
        auth_token: str | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.auth_token = auth_token
        self.notifier = Notifier(amqp_url)
        self.store = Store(on_change=self._changed)
        # uuid → how many times it was served whole (a read or a detailed listing) and with
        # a few fields only: ``/_emulator/served``, which objects a client has read
        self.served: Counter[str] = Counter()
        self.served_fields: Counter[str] = Counter()
        # client (its X-Contrail-Useragent) → objects served to it whole
        self.served_to: Counter[str] = Counter()
        self._client = threading.local()  # the client of the request this thread serves
        self.state: StateFile | None = None
        if state_file:
            self.state = StateFile(Path(state_file), self.store)
            saved = self.state.read()
            if saved is not None:
                self.store.load(saved)
                log.info("state loaded", path=str(state_file), objects=len(self.store.objects))
            self.state.start()
        self.notifier.start()

    def close(self) -> None:
        if self.state:
            self.state.stop()
        self.notifier.stop()

    def _changed(self, message: dict[str, Any]) -> None:
        message = {"request-id": f"req-{uuidlib.uuid4()}", **message}
        self.notifier.publish(message)
        if self.state:
            self.state.poke()

    # --- App protocol ---------------------------------------------------------------

    def dump(self) -> Any:
        return self.store.dump()

    def load(self, state: Any) -> None:
        self.store.load(state)
        if self.state:
            self.state.poke()

    def restart(self, keep_state: bool) -> None:
        if not keep_state:
            self.store.reset()
            if self.state:
                self.state.poke()

    def control(self, request: Request, action: str) -> Response | None:
        if action == "notifications":
            return Response(200, self.notifier.stats())
        if action == "kv":
            return Response(200, dict(self.store.kv))
        if action == "served":
            with self.store.lock:
                body = {
                    "whole": dict(self.served),
                    "fields": dict(self.served_fields),
                    "by_client": dict(self.served_to),
                }
                if request.method == "DELETE":
                    self.served.clear()
                    self.served_fields.clear()
                    self.served_to.clear()
            return Response(200, body)
        return None

    # --- routing --------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if self.auth_token is not None:
            token = request.header("x-auth-token")
            if token != self.auth_token:
                return error_response(401, "Authentication required")
        self._client.name = request.header("X-Contrail-Useragent", "") or ""
        try:
            return self._route(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    def _base(self, request: Request) -> str:
        return f"http://{request.header('host') or 'localhost'}"

    def _body(self, request: Request) -> Any:
        try:
            return request.json()
        except ValueError as exc:
            raise ApiError(400, f"Request body is not JSON: {exc}") from exc

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        method = request.method
        base = self._base(request)
        if path == "/" and method == "GET":
            return Response(200, self._homepage(base))
        parts = path.strip("/").split("/")
        if len(parts) == 1:
            name = parts[0]
            action = self._action(name, method, request, base)
            if action is not None:
                return action
            if name.endswith("s") and schema.types().get(name[:-1]):
                rtype = name[:-1]
                if method == "GET":
                    params = dict(request.query)
                    return Response(200, self.list(rtype, params, base))
                if method == "POST":
                    return self._create(rtype, request, base)
                return error_response(405, f"Method {method} not allowed on {path}")
        if len(parts) == 2 and parts[0] in schema.types():
            rtype, uid = parts
            if method == "GET":
                return Response(200, {rtype: self.read(rtype, uid, dict(request.query), base)})
            if method == "PUT":
                body = self._body(request) or {}
                rec = self.store.update(rtype, uid, body.get(rtype, body) or {})
                return Response(200, {rtype: {"uuid": rec.uuid, "href": self._href(base, rec)}})
            if method == "DELETE":
                self.store.delete(rtype, uid, base)
                return Response(200, None)
        return error_response(404, f"Not Found: {path}")

    def _homepage(self, base: str) -> dict[str, Any]:
        links = []
        for rtype in sorted(schema.types()):
            links.append({"link": {"rel": "collection", "href": f"{base}/{rtype}s", "name": rtype}})
            links.append(
                {"link": {"rel": "resource-base", "href": f"{base}/{rtype}", "name": rtype}}
            )
        for name, path in ACTIONS.items():
            links.append({"link": {"rel": "action", "href": f"{base}{path}", "name": name}})
        return {"href": base, "links": links}

    def _action(self, name: str, method: str, request: Request, base: str) -> Response | None:
        path = "/" + name
        store = self.store
        if path == "/fqname-to-id" and method == "POST":
            body = self._body(request) or {}
            rtype = str(body.get("type") or "")
            return Response(200, {"uuid": store.fq_to_id(rtype, body.get("fq_name") or [])})
        if path == "/id-to-fqname" and method == "POST":
            body = self._body(request) or {}
            rec = store.get(str(body.get("uuid")))
            return Response(200, {"fq_name": rec.fq_name, "type": rec.type})
        if path == "/ref-update" and method == "POST":
            body = self._body(request) or {}
            store.ref_update(
                str(body.get("type") or ""),
                str(body.get("uuid") or ""),
                str(body.get("ref-type") or ""),
                body.get("ref-uuid"),
                body.get("ref-fq-name"),
                str(body.get("operation") or ""),
                body.get("attr"),
                bool(body.get("relax_ref_for_delete", False)),
            )
            return Response(200, {"uuid": body.get("uuid")})
        if path == "/ref-relax-for-delete" and method == "POST":
            body = self._body(request) or {}
            store.ref_relax_for_delete(body.get("uuid"), body.get("ref-uuid"))
            return Response(200, {"uuid": body.get("uuid")})
        if path == "/obj-perms" and method == "GET":
            # VncApiServer.obj_perms_http_get with auth disabled (no keystone here)
            return Response(
                200,
                {
                    "token_info": None,
                    "is_cloud_admin_role": False,
                    "is_global_read_only_role": False,
                    "permissions": "RWX",
                },
            )
        if path == "/chown" and method == "POST":
            return Response(200, self._chown(self._body(request) or {}))
        if path == "/chmod" and method == "POST":
            return Response(200, self._chmod(self._body(request) or {}))
        if path == "/useragent-kv" and method == "POST":
            body = self._body(request) or {}
            value = store.kv_op(str(body.get("operation")), body.get("key"), body.get("value"))
            return Response(200, {"value": value} if body.get("operation") == "RETRIEVE" else None)
        if path == "/list-bulk-collection" and method == "POST":
            body = self._body(request) or {}
            rtype = str(body.pop("type", "") or "")
            found = schema.lookup(rtype)
            if not found:
                raise ApiError(404, f"Unknown type {rtype}")
            return Response(200, self.list(found.resource_type, body, base))
        if path == "/prop-collection-update" and method == "POST":
            body = self._body(request) or {}
            store.prop_collection_update(str(body.get("uuid")), body.get("updates") or [])
            return Response(200, None)
        if path == "/prop-collection-get" and method == "GET":
            uid = request.query.get("uuid", "")
            with store.lock:
                rec = store.get(uid)
                ts = store.schema_for(rec.type)
                out: dict[str, Any] = {}
                for fname in (request.query.get("fields") or "").split(","):
                    if fname in ts.list_props or fname in ts.map_props:
                        value = rec.props.get(fname)
                        if ts.wrapped.get(fname) and isinstance(value, dict):
                            value = next(iter(value.values()), [])
                        items = value or []
                        if fname in ts.map_props:
                            key = ts.map_key_names[fname]
                            out[fname] = [[i, i.get(key)] for i in items]
                        else:
                            out[fname] = [[i, str(n)] for n, i in enumerate(items)]
            return Response(200, out)
        return None

    def _chown(self, body: dict[str, Any]) -> dict[str, Any]:
        """VncApiServer.obj_chown_http_post: perms2.owner := owner."""
        obj_uuid, owner = body.get("uuid"), body.get("owner")
        if obj_uuid is None:
            raise ApiError(400, "Bad Request, no resource UUID provided to chown")
        if owner is None:
            raise ApiError(400, "Bad Request, no owner UUID provided to chown")
        if _invalid_uuid(obj_uuid):
            raise ApiError(400, "Bad Request, invalid resource UUID")
        if _invalid_uuid(owner):
            raise ApiError(400, "Bad Request, invalid owner UUID")
        if obj_uuid not in self.store.objects:
            raise ApiError(404, f"Unknown id: {obj_uuid}")
        self.store.set_perms2(obj_uuid, owner=owner)
        return {}

    def _chmod(self, body: dict[str, Any]) -> dict[str, Any]:
        """VncApiServer.obj_chmod_http_post: owner, owner_access, share, global_access."""
        if "uuid" not in body:
            raise ApiError(400, "'uuid'")
        obj_uuid = body["uuid"]
        if _invalid_uuid(obj_uuid):
            raise ApiError(400, "Bad Request, invalid object id")
        if obj_uuid not in self.store.objects:
            raise ApiError(404, f"Unknown id: {obj_uuid}")
        changes: dict[str, Any] = {}
        owner = body.get("owner")
        if owner:
            if _invalid_uuid(owner):
                raise ApiError(400, "Bad Request, invalid owner")
            changes["owner"] = owner.replace("-", "")
        if body.get("owner_access") is not None:
            if _invalid_access(body["owner_access"]):
                raise ApiError(400, "Bad Request, invalid owner_access value")
            changes["owner_access"] = body["owner_access"]
        share = body.get("share")
        if share is not None:
            for item in share:
                tenant = str(item.get("tenant", ""))
                share_type, _, share_id = tenant.rpartition(":")
                if (
                    (share_type or "tenant") not in _SHARE_TYPES
                    or _invalid_uuid(share_id)
                    or _invalid_access(item.get("tenant_access"))
                ):
                    raise ApiError(400, "Bad Request, invalid share list")
            changes["share"] = share
        if body.get("global_access") is not None:
            if _invalid_access(body["global_access"]):
                raise ApiError(400, "Bad Request, invalid global_access value")
            changes["global_access"] = body["global_access"]
            changes["is_shared"] = body["global_access"] != 0
        self.store.set_perms2(obj_uuid, **changes)
        return {}

    # --- create / read --------------------------------------------------------------

    def _create(self, rtype: str, request: Request, base: str) -> Response:
        body = self._body(request)
        if not isinstance(body, dict) or rtype not in body:
            raise ApiError(400, f"Request body must be {{'{rtype}': {{...}}}}")
        rec = self.store.create(rtype, body[rtype] or {})
        out: dict[str, Any] = {
            "uuid": rec.uuid,
            "fq_name": rec.fq_name,
            "name": rec.fq_name[-1],
            "href": self._href(base, rec),
        }
        if rec.parent_type:
            out["parent_type"] = rec.parent_type
            out["parent_uuid"] = rec.parent_uuid
            out["parent_href"] = f"{base}/{rec.parent_type}/{rec.parent_uuid}"
        return Response(200, {rtype: out})

    @staticmethod
    def _href(base: str, rec: Record) -> str:
        return f"{base}/{rec.type}/{rec.uuid}"

    def read(self, rtype: str, uid: str, query: dict[str, Any], base: str) -> dict[str, Any]:
        ts = self.store.schema_for(rtype)
        with self.store.lock:
            rec = self.store.get(uid, ts.resource_type)
            if query.get("fields"):
                fields = set(str(query["fields"]).split(","))
                return self._render(rec, ts, base, fields, props_and_refs=False, hrefs=True)
            fields = set()
            if not _truthy(query.get("exclude_back_refs")):
                fields |= ts.backref_fields
            if not _truthy(query.get("exclude_children")):
                fields |= set(ts.children)
            return self._render(
                rec,
                ts,
                base,
                fields,
                props_and_refs=True,
                hrefs=not _truthy(query.get("exclude_hrefs")),
            )

    def _render(
        self,
        rec: Record,
        ts: schema.TypeSchema,
        base: str,
        fields: set[str],
        props_and_refs: bool,
        hrefs: bool,
    ) -> dict[str, Any]:
        """One object as the server returns it; ``fields`` adds (or selects) fields."""
        if props_and_refs:
            self.served[rec.uuid] += 1
            self.served_to[getattr(self._client, "name", "")] += 1
        else:
            self.served_fields[rec.uuid] += 1
        objects = self.store.objects
        out: dict[str, Any] = {"uuid": rec.uuid, "fq_name": rec.fq_name, "name": rec.fq_name[-1]}
        if rec.parent_type:
            out["parent_type"] = rec.parent_type
            out["parent_uuid"] = rec.parent_uuid
            if hrefs:
                out["parent_href"] = f"{base}/{rec.parent_type}/{rec.parent_uuid}"
        if hrefs:
            out["href"] = f"{base}/{rec.type}/{rec.uuid}"
        for name, value in rec.props.items():
            if props_and_refs or name in fields:
                out[name] = value
        for name, refs in rec.refs.items():
            if not (props_and_refs or name in fields):
                continue
            target = ts.refs[name].target
            items = []
            for ref in refs:
                tgt = objects.get(ref["uuid"])
                if tgt is None:
                    continue
                item = {"to": tgt.fq_name, "uuid": ref["uuid"], "attr": ref["attr"]}
                if hrefs:
                    item["href"] = f"{base}/{target}/{ref['uuid']}"
                items.append(item)
            out[name] = items
        wanted_back = fields & ts.backref_fields
        wanted_children = fields & set(ts.children)
        if wanted_back:
            for stype, members in self.store.backrefs.get(rec.uuid, {}).items():
                if not members:
                    continue
                sts = schema.types()[stype]
                name = sts.backref_field_for(sts.object_type)
                if name not in wanted_back:
                    continue
                items = []
                for suid in members:
                    src = objects[suid]
                    attr = None
                    for ref_field in sts.ref_by_target.get(rec.type, ()):
                        for ref in src.refs.get(ref_field, ()):
                            if ref["uuid"] == rec.uuid:
                                attr = ref["attr"]
                    item = {"to": src.fq_name, "uuid": suid, "attr": attr}
                    if hrefs:
                        item["href"] = f"{base}/{stype}/{suid}"
                    items.append(item)
                out[name] = items
        if wanted_children:
            for ctype, members in self.store.children.get(rec.uuid, {}).items():
                if not members:
                    continue
                name = ts.child_field_for(schema.types()[ctype].object_type)
                if name not in wanted_children:
                    continue
                items = []
                for cuid in members:
                    item = {"to": objects[cuid].fq_name, "uuid": cuid}
                    if hrefs:
                        item["href"] = f"{base}/{ctype}/{cuid}"
                    items.append(item)
                out[name] = items
        return out

    # --- list -----------------------------------------------------------------------

    def list(self, rtype: str, params: dict[str, Any], base: str) -> dict[str, Any]:
        ts = self.store.schema_for(rtype)
        rtype = ts.resource_type
        key = f"{rtype}s"
        store = self.store

        def csv(name: str) -> list[str]:
            value = params.get(name)
            if value in (None, ""):
                return []
            if isinstance(value, list):
                return [str(v) for v in value]
            return [v for v in str(value).split(",") if v]

        detail = _truthy(params.get("detail"))
        hrefs = not _truthy(params.get("exclude_hrefs"))
        fields = set(csv("fields"))
        with store.lock:
            candidates: dict[str, None] | None = None

            def narrow(uids: list[str] | dict[str, None]) -> None:
                nonlocal candidates
                found = dict.fromkeys(
                    u for u in uids if (r := store.objects.get(u)) is not None and r.type == rtype
                )
                candidates = (
                    found if candidates is None else {u: None for u in candidates if u in found}
                )

            obj_uuids = csv("obj_uuids")
            if obj_uuids:
                narrow(obj_uuids)
            parent_ids = csv("parent_id")
            if params.get("parent_fq_name_str"):
                fq = tuple(str(params["parent_fq_name_str"]).split(":"))
                parent_ids += [
                    u for p in ts.parent_types if (u := store.by_fq.get((p, fq))) is not None
                ]
                if not parent_ids:
                    raise ApiError(404, f"Parent {':'.join(fq)} not found")
            if parent_ids or params.get("parent_fq_name_str"):
                narrow([c for p in parent_ids for c in store.children_of(p, rtype)])
            back_ref_ids = csv("back_ref_id")
            if back_ref_ids:
                narrow([s for b in back_ref_ids for s in store.backrefs_of(b, rtype)])
            fq_names = csv("fq_names")
            if fq_names:
                narrow(
                    [
                        u
                        for f in fq_names
                        if (u := store.by_fq.get((rtype, tuple(f.split(":"))))) is not None
                    ]
                )
            uids = list(candidates if candidates is not None else store.by_type.get(rtype, {}))
            filters = self._filters(params.get("filters"))
            if filters:
                uids = [u for u in uids if self._match(store.objects[u], filters)]
            if _truthy(params.get("count")):
                return {key: {"count": len(uids)}}
            marker = None
            uids.sort()  # uuid order, as the server lists (not the order of creation)
            if params.get("page_limit") not in (None, ""):
                try:
                    limit = int(params["page_limit"])
                except (TypeError, ValueError) as exc:
                    raise ApiError(400, f"Invalid page_limit {params['page_limit']!r}") from exc
                start = params.get("page_marker")
                if start not in (None, "", "None"):
                    uids = [u for u in uids if u > str(start)]
                if limit > 0 and len(uids) > limit:
                    uids = uids[:limit]
                    marker = uids[-1]
            items: list[dict[str, Any]] = []
            for uid in uids:
                rec = store.objects[uid]
                if detail:
                    items.append(
                        {
                            rtype: self._render(
                                rec, ts, base, fields, props_and_refs=True, hrefs=hrefs
                            )
                        }
                    )
                else:
                    item: dict[str, Any] = {"uuid": uid, "fq_name": rec.fq_name}
                    if hrefs:
                        item["href"] = f"{base}/{rtype}/{uid}"
                    if fields:
                        rendered = self._render(
                            rec, ts, base, fields, props_and_refs=False, hrefs=hrefs
                        )
                        item.update({f: rendered[f] for f in fields if f in rendered})
                    items.append(item)
            out: dict[str, Any] = {key: items}
            if params.get("page_limit") not in (None, ""):
                out["marker"] = marker
            return out

    @staticmethod
    def _filters(raw: Any) -> dict[str, builtins.list[Any]]:
        if not raw:
            return {}
        out: dict[str, list[Any]] = {}
        for part in _FILTER_SPLIT.split(str(raw)):
            if "==" not in part:
                raise ApiError(400, f"Invalid filter {part!r}")
            name, value = part.split("==", 1)
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            out.setdefault(name, []).append(parsed)
        return out

    @staticmethod
    def _match(rec: Record, filters: dict[str, builtins.list[Any]]) -> bool:
        for name, values in filters.items():
            if name in ("uuid", "name"):
                actual: Any = rec.uuid if name == "uuid" else rec.fq_name[-1]
            else:
                actual = rec.props.get(name)
            if actual not in values and str(actual) not in [str(v) for v in values]:
                return False
        return True
