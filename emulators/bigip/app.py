"""Routing: iControl REST URLs onto the configuration engine, auth, transactions and HA views.

``BigipApp`` is the ``App`` that ``emulators.http.EmulatorServer`` serves. It decodes the URL
(``/mgmt/tm/<type>/~Partition~name[/members[/~P~m]][/stats]``), authenticates, queues writes
that belong to a transaction, renders objects with their kind and selfLink, and applies the
collection query options (``$filter``, ``$select``, ``$top``/``$skip``, ``expandSubcollections``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

from cryptography import x509

from emulators.bigip import addresses
from emulators.bigip.auth import Authenticator, AuthError
from emulators.bigip.device import Device
from emulators.bigip.errors import ApiError, bad_request, restjavad_error
from emulators.bigip.ha import DeviceGroup
from emulators.bigip.store import Obj
from emulators.bigip.transactions import Transactions
from emulators.bigip.types import (
    ALIASES,
    BY_PATH,
    TYPES,
    VERSION_FIELDS,
    ResourceType,
    full_version,
    version_at_least,
)
from emulators.http import WRITE_VERBS, Fault, Request, Response
from reconciler.logs import get_logger

log = get_logger("emulator.bigip")

TM = "/mgmt/tm/"
UPLOAD_DIR = "/var/config/rest/downloads"
_ORGANIZING = {
    "/".join(t.path.split("/")[:i]) for t in TYPES for i in range(1, len(t.path.split("/")))
}
_ORGANIZING |= {"sys", "cm", "ltm", "net", "auth", "util"}
_CHILD_FIELD = {child: field for t in TYPES for field, child in t.children}
# Objects named without a partition: partitions, db variables, a VLAN's interfaces (``1.3``).
_UNPARTITIONED = frozenset({"partition", "db", "vlan-interface"})
_CHILD_IDENTITY = frozenset({"partition", "subPath", "fullPath", "generation", "_parent"})
_FILTER = re.compile(r"^\s*partition\s+eq\s+'?([^'\s]+)'?\s*$")


def fault_response(fault: Fault, request: Request) -> Response:
    """Injected failures look like the device's own: mcpd lost (500) or restjavad busy."""
    if fault.body is not None:
        return Response(fault.status, fault.body)
    if fault.status == 500:
        message, api_error = "The connection to mcpd has been lost, try again.", 32768001
    else:
        message, api_error = f"Service unavailable ({fault.status}), try again later.", 1
    body = {"code": fault.status, "message": message, "errorStack": [], "apiError": api_error}
    return Response(fault.status, body)


class BigipApp:
    """One emulated BIG-IP."""

    def __init__(
        self,
        user: str = "admin",
        password: str = "admin",
        hostname: str = "bigip1",
        version: str = "13.1.1",
        management_ip: str = "127.0.0.1",
    ) -> None:
        self.hostname = hostname
        self.version = full_version(version)
        self.management_ip = management_ip
        self.auth = Authenticator({user: password})
        self.device = Device()
        self.device.on_change = self._changed
        self.transactions = Transactions()
        # What a reboot comes back to, as a device keeps it: one file per partition
        # (partition → type path → objects); None until the first save.
        self._saved: dict[str, dict[str, list[dict[str, Any]]]] | None = None
        self._saved_generation = 0
        self.availability: dict[tuple[str, str], str] = {}
        self.files: dict[str, bytearray] = {}
        self.changes = 0
        self.group: DeviceGroup | None = None
        self.failover_state = "active"
        self._files_lock = threading.Lock()

    # --- App protocol -------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return self.device_dump()

    def load(self, state: Any) -> None:
        if not isinstance(state, dict) or "objects" not in state:
            raise ValueError("a BIG-IP dump has 'generation' and 'objects'")
        self.device_load(state)
        self._changed()

    def restart(self, keep_state: bool) -> None:
        """keep_state: restjavad restart (config kept); otherwise a reboot (unsaved lost)."""
        self.reboot("running" if keep_state else "saved")

    def control(self, request: Request, action: str) -> Response | None:
        try:
            body = request.json() or {}
        except ValueError:
            return Response(400, {"error": "control body is not JSON"})
        if action == "tokens/expire" and request.method == "POST":
            return Response(200, {"expired": self.auth.expire(body.get("user"))})
        if action == "logins":  # the login log; DELETE empties it
            if request.method == "DELETE":
                self.auth.login_log.clear()
            return Response(200, {"logins": list(self.auth.login_log)})
        if action == "tokens":
            users: dict[str, int] = {}
            for token in list(self.auth.tokens.values()):
                users[token.user] = users.get(token.user, 0) + 1
            return Response(200, {"live": users})
        if action == "reboot" and request.method == "POST":
            mode = body.get("mode", "saved")
            if mode not in ("running", "saved", "wipe"):
                return Response(400, {"error": "mode must be running, saved or wipe"})
            self.reboot(mode)
            return Response(200, {"rebooted": mode})
        if action == "saved":
            return Response(200, {"saved": self.saved})
        if action == "availability":
            if request.method == "DELETE":
                self.availability.clear()
            elif request.method in ("POST", "PUT"):
                try:
                    self.set_availability(
                        body["pool"], body["member"], body.get("state", "offline")
                    )
                except (KeyError, ValueError, ApiError) as exc:
                    return Response(400, {"error": str(exc)})
            return Response(
                200,
                {
                    "availability": [
                        {"pool": p, "member": m, "state": s}
                        for (p, m), s in self.availability.items()
                    ]
                },
            )
        if action == "failover" and request.method == "POST":
            if self.group is None:
                return Response(400, {"error": "device is not in a device group"})
            target = None
            if body.get("to"):
                found = [a for a in self.group.members if a.hostname == body["to"]]
                if not found:
                    return Response(400, {"error": f"no device {body['to']} in the group"})
                target = found[0]
            active = self.group.failover(target)
            log.info("failover", device_group=self.group.name, active=active.hostname)
            return Response(200, {"active": active.hostname})
        return None

    # --- state helpers ------------------------------------------------------------------

    def _changed(self) -> None:
        self.changes += 1

    def device_dump(self) -> dict[str, Any]:
        with self.device.lock:
            return copy.deepcopy(self.device.dump())

    def device_load(self, state: dict[str, Any]) -> None:
        self.device.load(state)

    @property
    def saved(self) -> dict[str, Any] | None:
        """The last saved configuration as a dump (``device_load`` takes it)."""
        if self._saved is None:
            return None
        objects: dict[str, list[dict[str, Any]]] = {}
        for files in self._saved.values():
            for type_path, objs in files.items():
                objects.setdefault(type_path, []).extend(objs)
        return {"generation": self._saved_generation, "objects": objects}

    def save_config(self, partitions: list[str] | None = None) -> None:
        """``save sys config [partitions { … }]``. A whole save copies the running config,
        holding the device meanwhile (the next write waits, as on a device where a save of
        a large config takes seconds); a partitioned one copies only the partitions named
        and keeps the others as last saved. Saving ``Common`` forgets the saved files of
        partitions that no longer exist."""
        with self.device.lock:
            store = self.device.store
            if partitions is None:
                files = _by_partition(copy.deepcopy(self.device.dump())["objects"])
            else:
                missing = [p for p in partitions if not _partition_exists(store, p)]
                if missing:
                    raise ApiError(
                        400, f"01020036:3: The requested partition ({missing[0]}) was not found."
                    )
                files = self._saved if self._saved is not None else _factory_files()
                for partition in partitions:
                    keys = {t: store.by_partition[t].get(partition, {}) for t in store.type_paths}
                    if partition == "Common":  # objects with no partition field live there
                        keys = {
                            t: {**ks, **store.by_partition[t].get("", {})} for t, ks in keys.items()
                        }
                    files[partition] = {
                        t: [copy.deepcopy(store.objects[t][k]) for k in ks]
                        for t, ks in keys.items()
                        if ks
                    }
                if "Common" in partitions:
                    for gone in [p for p in files if not _partition_exists(store, p)]:
                        del files[gone]
            self._saved = files
            self._saved_generation = store.generation
        log.info(
            "sys config saved",
            device=self.hostname,
            generation=self._saved_generation,
            partitions=partitions or "all",
        )

    def reboot(self, mode: str) -> None:
        """running: keep everything; saved: back to the last save (or factory); wipe: factory."""
        self.transactions.clear()
        if mode == "running":
            return
        self.auth.expire()
        if mode == "saved" and self.saved is not None:
            self.device_load(copy.deepcopy(self.saved))
        else:
            fresh = Device()
            self.device_load(fresh.dump())
            if mode == "wipe":
                self._saved = None
        self._changed()
        log.info("device rebooted", device=self.hostname, mode=mode)

    def set_availability(self, pool: str, member: str, state: str) -> None:
        if state not in ("available", "offline", "unknown"):
            raise ValueError("state must be available, offline or unknown")
        pool_obj = self.device.lookup(BY_PATH["ltm/pool"], pool)
        member_path = member if member.startswith("/") else f"/{pool_obj['partition']}/{member}"
        obj = self.device.lookup(BY_PATH["ltm/pool/members"], member_path, pool_obj)
        self.availability[(pool_obj["fullPath"], obj["fullPath"])] = state

    # --- request handling ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        uri = f"http://localhost:8100{path}"
        if not path.startswith("/mgmt/"):
            return Response(404, restjavad_error(404, f"URI path {path} not registered.", uri))
        if path == "/mgmt/shared/authn/login" and request.method == "POST":
            return self._login(request, uri)
        try:
            self.auth.authenticate(dict(request.headers), uri)
        except AuthError as exc:
            return Response(exc.status, restjavad_error(exc.status, exc.message, uri))
        try:
            if path.startswith("/mgmt/shared/"):
                return self._shared(request, path, uri)
            body = None
            if request.method in ("POST", "PUT", "PATCH"):
                try:
                    body = request.json()
                except ValueError:
                    raise bad_request("Found invalid JSON body in the request.") from None
            trans_id = request.header("x-f5-rest-coordination-id")
            if (
                trans_id
                and request.method in WRITE_VERBS
                and not path.startswith(TM + "transaction")
            ):
                command = self.transactions.add(
                    trans_id, request.method, path, dict(request.query), body
                )
                return Response(200, command.describe(int(trans_id), self.version))
            response = self._route(request.method, path, dict(request.query), body)
        except ApiError as exc:
            return Response(exc.status, exc.body())
        if request.method in WRITE_VERBS and self.group is not None and self.group.auto_sync:
            self.group.sync_from(self)
        return response

    def _login(self, request: Request, uri: str) -> Response:
        try:
            token = self.auth.login(request.json())
        except ValueError:
            return Response(
                400, restjavad_error(400, "Found invalid JSON body in the request.", uri)
            )
        except AuthError as exc:
            return Response(exc.status, restjavad_error(exc.status, exc.message, uri))
        log.info("login", device=self.hostname, user=token.user)
        return Response(
            200,
            {
                "username": token.user,
                "loginReference": {
                    "link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"
                },
                "loginProviderName": "tmos",
                "token": token.body(),
                "generation": 0,
                "lastUpdateMicros": 0,
            },
        )

    def _shared(self, request: Request, path: str, uri: str) -> Response:
        tokens = "/mgmt/shared/authz/tokens/"
        if path.startswith(tokens):
            token = path[len(tokens) :]
            try:
                if request.method == "DELETE":
                    if not self.auth.revoke(token):
                        raise AuthError(404, "token not found")
                    return Response(200, {})
                if request.method == "PATCH":
                    found = self.auth.set_timeout(token, (request.json() or {}).get("timeout"))
                    return Response(200, found.body())
                current = self.auth.get_token(token)
                if current is None:
                    raise AuthError(404, "token not found")
                return Response(200, current.body())
            except (AuthError, ValueError) as exc:
                status = exc.status if isinstance(exc, AuthError) else 400
                return Response(status, restjavad_error(status, str(exc), uri))
        uploads = "/mgmt/shared/file-transfer/uploads/"
        if path.startswith(uploads) and request.method == "POST":
            return self._upload(path[len(uploads) :], request, uri)
        return Response(404, restjavad_error(404, f"URI path {path} not registered.", uri))

    def _upload(self, name: str, request: Request, uri: str) -> Response:
        match = re.match(r"(\d+)-(\d+)/(\d+)", request.header("content-range", "") or "")
        start, total = (
            (int(match.group(1)), int(match.group(3))) if match else (0, len(request.body))
        )
        with self._files_lock:
            data = self.files.setdefault(name, bytearray())
            if start == 0:
                data.clear()
            if len(data) != start:
                return Response(
                    400, restjavad_error(400, "Content-Range does not continue the upload", uri)
                )
            data.extend(request.body)
            size = len(data)
        return Response(
            200,
            {
                "remainingByteCount": max(total - size, 0),
                "usedChunks": {"0": size},
                "totalByteCount": total,
                "localFilePath": f"{UPLOAD_DIR}/{name}",
                "temporaryFilePath": f"{UPLOAD_DIR}/tmp.{name}",
                "generation": 0,
                "lastUpdateMicros": 0,
            },
        )

    # --- /mgmt/tm routing ---------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> Response:
        if not path.startswith(TM) and path != TM.rstrip("/"):
            raise ApiError(404, f"URI path {path} not registered.", api_error=1)
        rest = path[len(TM) :] if path.startswith(TM) else ""
        if rest.startswith("transaction"):
            return self._transaction(method, rest, body)
        if rest in ("sys/config", "util/bash", "cm", "sys/failover") and method == "POST":
            return self._command(rest, body)
        if rest.startswith("cm/"):
            return self._cm(method, rest, body)
        segs = rest.split("/")
        for i in range(min(len(segs), 4), 0, -1):
            candidate = "/".join(segs[:i])
            candidate = ALIASES.get(candidate, candidate)
            t = BY_PATH.get(candidate)
            if t is not None and t.parent is None and self.has_type(t):
                return self._resource(method, t, segs[i:], query, body)
        if rest == "sys/version" and method == "GET":
            return Response(200, self._sys_version())
        if rest in _ORGANIZING and method == "GET":
            return Response(200, self._organizing(rest))
        raise ApiError(404, f"URI path {path} not registered.", api_error=1)

    def _organizing(self, rest: str) -> dict[str, Any]:
        links = sorted(
            {
                "/".join(t.path.split("/")[: len(rest.split("/")) + 1])
                for t in TYPES
                if t.path.startswith(rest + "/") and t.parent is None and self.has_type(t)
            }
        )
        return {
            "kind": f"tm:{rest.replace('/', ':')}:{rest.split('/')[-1]}collectionstate",
            "selfLink": f"https://localhost{TM}{rest}?ver={self.version}",
            "items": [
                {"reference": {"link": f"https://localhost{TM}{p}?ver={self.version}"}}
                for p in links
            ],
        }

    def has_type(self, t: ResourceType) -> bool:
        """Whether this TMOS version has the collection (``mqtt`` monitors: 13.1 on)."""
        return t.since is None or version_at_least(self.version, t.since)

    def _sys_version(self) -> dict[str, Any]:
        """``GET /mgmt/tm/sys/version``, as TMOS 12+ shapes it (one nestedStats entry)."""
        build = {"13.1": "0.0.4", "15.1": "0.0.11", "16.1": "0.0.3", "17.1": "0.0.16"}
        major = ".".join(self.version.split(".")[:2])
        entries = {
            "Build": {"description": build.get(major, "0.0.1")},
            "Date": {"description": "Thu Jan  1 00:00:00 UTC 2026"},
            "Edition": {"description": "Final"},
            "Product": {"description": "BIG-IP"},
            "Title": {"description": "Main Package"},
            "Version": {"description": self.version},
        }
        link = f"https://localhost{TM}sys/version"
        return {
            "kind": "tm:sys:version:versionstats",
            "selfLink": f"{link}?ver={self.version}",
            "entries": {f"{link}/0": {"nestedStats": {"entries": entries}}},
        }

    def _full_path(self, t: ResourceType, seg: str) -> str:
        if seg.startswith("~"):
            comps = seg[1:].split("~")
            if t.hook in _UNPARTITIONED:
                return "/".join(c for c in comps if c != "Common" or t.hook == "partition")
            return "/" + "/".join(comps)
        if t.hook in _UNPARTITIONED:
            return seg
        return "/" + seg if t.hook == "folder" else f"/Common/{seg}"

    def _resource(
        self, method: str, t: ResourceType, rest: list[str], query: dict[str, str], body: Any
    ) -> Response:
        device = self.device
        if t.view_of is not None:
            return self._view(method, t, rest, query)
        if rest == ["stats"] and method == "GET" and t.has_stats:
            return Response(200, self._collection_stats(t, device.items(t, None, None)))
        if not rest:
            if method == "GET":
                return Response(
                    200,
                    self._collection(
                        t,
                        device.items(t, self._partition_filter(query), None),
                        query,
                        f"{TM}{t.path}",
                    ),
                )
            if method == "POST":
                if (
                    isinstance(body, dict)
                    and body.get("command") == "install"
                    and t.path.startswith("sys/crypto/")
                ):
                    return Response(200, self._render(t, self._install(t, body), False))
                if (
                    isinstance(body, dict)
                    and body.get("command") == "publish"
                    and t.path == "ltm/policy"
                ):
                    return Response(200, self._render(t, self._publish(t, body), False))
                return Response(200, self._render(t, device.create(t, body), False))
            raise ApiError(405, f"Method {method} is not supported on a collection.", api_error=1)
        full_path = self._full_path(t, rest[0])
        if len(rest) == 2 and rest[1] == "stats" and method == "GET":
            return Response(200, self._stats(t, device.lookup(t, full_path)))
        if len(rest) == 1:
            return self._object(method, t, full_path, query, body, None)
        child_path = next((c for f, c in t.children if f == rest[1]), None)
        if child_path is None or len(rest) > 4:
            raise ApiError(
                404, f"URI path {TM}{t.path}/{'/'.join(rest)} not registered.", api_error=1
            )
        child_t = BY_PATH[child_path]
        parent = device.lookup(t, full_path)
        parent_link = self._link_path(t, parent)
        if len(rest) == 2:
            if method == "GET":
                return Response(
                    200,
                    self._collection(
                        child_t,
                        device.items(child_t, None, parent),
                        query,
                        f"{parent_link}/{rest[1]}",
                    ),
                )
            if method == "POST":
                return Response(
                    200, self._render(child_t, device.create(child_t, body, parent), False)
                )
            raise ApiError(405, f"Method {method} is not supported on a collection.", api_error=1)
        if rest[2] == "stats" and len(rest) == 3 and method == "GET":
            return Response(
                200, self._member_collection_stats(parent, device.items(child_t, None, parent))
            )
        child_full = self._full_path(child_t, rest[2])
        if len(rest) == 4 and rest[3] == "stats" and method == "GET":
            return Response(
                200, self._stats(child_t, device.lookup(child_t, child_full, parent), parent)
            )
        return self._object(method, child_t, child_full, query, body, parent)

    def _view(
        self, method: str, t: ResourceType, rest: list[str], query: dict[str, str]
    ) -> Response:
        """Another type's objects as this one shows them: read them, or delete one."""
        shown = BY_PATH[str(t.view_of)]
        if not rest and method == "GET":
            objs = self.device.items(shown, self._partition_filter(query), None)
            return Response(200, self._collection(t, objs, query, f"{TM}{t.path}"))
        if len(rest) == 1 and method in ("GET", "DELETE"):
            return self._object(method, shown, self._full_path(t, rest[0]), query, None, None, t)
        raise ApiError(405, f"Method {method} is not supported.", api_error=1)

    def _object(
        self,
        method: str,
        t: ResourceType,
        full_path: str,
        query: dict[str, str],
        body: Any,
        parent: Obj | None,
        shown_as: ResourceType | None = None,
    ) -> Response:
        expand = query.get("expandSubcollections") == "true"
        if method == "GET":
            obj = self.device.lookup(t, full_path, parent)
            return Response(200, self._select(self._render(shown_as or t, obj, expand), query))
        if method in ("PATCH", "PUT"):
            obj = self.device.modify(t, full_path, body, replace=method == "PUT", parent=parent)
            return Response(200, self._render(t, obj, False))
        if method == "DELETE":
            self.device.delete(t, full_path, parent)
            return Response(200, None)
        raise ApiError(405, f"Method {method} is not supported.", api_error=1)

    # --- rendering ----------------------------------------------------------------------

    def _link_path(self, t: ResourceType, obj: Obj) -> str:
        full = obj["fullPath"]
        if t.parent is not None:
            parent_t = BY_PATH[t.parent]
            parent_link = f"{TM}{parent_t.path}/{full_tilde(obj['_parent'])}"
            return f"{parent_link}/{_CHILD_FIELD[t.path]}/{full_tilde(full)}"
        if t.hook in _UNPARTITIONED:
            return f"{TM}{t.path}/{full}"
        return f"{TM}{t.path}/{full_tilde(full)}"

    def _render(self, t: ResourceType, obj: Obj, expand: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": t.kind}
        out.update((k, v) for k, v in obj.items() if k[0] != "_")
        since_fields = VERSION_FIELDS.get(t.path)
        if since_fields and version_at_least(self.version, since_fields[0]) and "_ctime" in obj:
            out["creationTime"], out["lastModifiedTime"] = obj["_ctime"], obj["_mtime"]
        link = self._link_path(t, obj)
        out["selfLink"] = f"https://localhost{link}?ver={self.version}"
        for field, child_path in t.children:
            ref: dict[str, Any] = {
                "link": f"https://localhost{link}/{field}?ver={self.version}",
                "isSubcollection": True,
            }
            if expand:
                child_t = BY_PATH[child_path]
                children = self.device.items(child_t, None, obj)
                if children:  # an empty one has no ``items`` (recorded responses)
                    ref["items"] = [self._render(child_t, c, False) for c in children]
            out[f"{field}Reference"] = ref
        self._as_recorded(t, obj, out)
        return out

    def _as_recorded(self, t: ResourceType, obj: Obj, out: dict[str, Any]) -> None:
        """What a device shows differently from what it stores (recorded responses)."""
        if t.path == "net/route-domain" and obj.get("id") == 0:
            # Route domain 0 holds every VLAN and tunnel no other route domain holds.
            out["vlans"] = self._route_domain_zero_vlans()
            if not out["vlans"]:
                del out["vlans"]
        for field, target in t.links:
            value = out.get(field)
            if isinstance(value, str) and value.startswith("/"):
                out[f"{field}Reference"] = {"link": self._link_to(target, value)}
            elif isinstance(value, list) and value:
                out[f"{field}Reference"] = [{"link": self._link_to(target, v)} for v in value]
        if t.path == "ltm/profile/client-ssl":
            out["certKeyChain"] = [self._cert_key_chain(out)]
        if t.family == "monitor" and isinstance(out.get("password"), str):
            out["password"] = _secret(out["password"])
        if t.view_of is not None:
            out.update(self._file_fields(t, obj))
        if t.path == "sys/crypto/cert" and version_at_least(self.version, "14.1"):
            # Named by full path, no partition; the checksum is on sys/file/ssl-cert.
            out["name"] = obj["fullPath"]
            out.pop("partition", None)
            out.pop("checksum", None)
        elif t.path == "ltm/pool/members":
            pool = self.device.lookup(BY_PATH["ltm/pool"], obj["_parent"])
            if self._monitored(pool, obj):
                state = self._member_state(pool, obj)[0]
                self._monitor_session(out, "down" if state == "offline" else "up")
        elif t.path == "ltm/node" and obj.get("monitor") not in (None, "", "default", "none"):
            self._monitor_session(out, "up")

    def _link_to(self, target: str, path: str) -> str:
        return f"https://localhost{TM}{target}/{full_tilde(path)}?ver={self.version}"

    def _route_domain_zero_vlans(self) -> list[str]:
        held = {
            v
            for rd in self.device.items(BY_PATH["net/route-domain"], None, None)
            if rd.get("id") != 0
            for v in rd.get("vlans") or ()
        }
        return [
            o["fullPath"]
            for path in ("net/vlan", "net/tunnels/tunnel")
            for o in self.device.items(BY_PATH[path], None, None)
            if o["fullPath"] not in held
        ]

    def _cert_key_chain(self, profile: dict[str, Any]) -> dict[str, Any]:
        """The profile's certificate, key and chain as its cert-key-chain entry."""
        cert = str(profile.get("cert") or "")
        name = cert.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "default"
        entry: dict[str, Any] = {"name": name, "appService": "none", "cert": cert}
        entry["certReference"] = {"link": self._link_to("sys/file/ssl-cert", cert)}
        entry["chain"] = profile.get("chain", "none")
        entry["key"] = profile.get("key")
        entry["keyReference"] = {"link": self._link_to("sys/file/ssl-key", str(entry["key"]))}
        return entry

    def _file_fields(self, t: ResourceType, obj: Obj) -> dict[str, Any]:
        """What a device tells of an installed certificate or key file besides what the
        install stored (checksum, size, times, and what the certificate says)."""
        fields: dict[str, Any] = {
            "createdBy": "admin",
            "updatedBy": "admin",
            "mode": 33188 if t.path.endswith("cert") else 33184,
            "revision": 1,
        }
        if t.path.endswith("key"):
            fields.update({"curveName": "none", "keySize": 2048})
            return fields
        fields.update(
            {
                "certificateKeySize": 2048,
                "isBundle": "false",
                "bundleCertificatesReference": self._subcollection(t, obj, "bundle-certificates"),
                "certValidatorsReference": self._subcollection(t, obj, "cert-validators"),
            }
        )
        return fields

    def _subcollection(self, t: ResourceType, obj: Obj, name: str) -> dict[str, Any]:
        link = f"https://localhost{self._link_path(t, obj)}/{name}?ver={self.version}"
        return {"link": link, "isSubcollection": True}

    @staticmethod
    def _monitor_session(out: dict[str, Any], state: str) -> None:
        """Under a monitor an enabled member or node is ``monitor-enabled``, and its state is
        what the monitor says (a forced-offline ``user-down`` stays)."""
        if out.get("session") == "user-enabled":
            out["session"] = "monitor-enabled"
        if out.get("state") in (None, "unchecked"):
            out["state"] = state

    @staticmethod
    def _partition_filter(query: dict[str, str]) -> str | None:
        text = query.get("$filter")
        if text is None:
            return None
        match = _FILTER.match(text)
        if match is None:
            raise bad_request(
                f"Query parameter $filter is invalid: {text} (only 'partition eq X')."
            )
        return match.group(1)

    @staticmethod
    def _select(item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        select = query.get("$select")
        if not select:
            return item
        fields = [f.strip() for f in select.split(",") if f.strip()]
        return {f: item[f] for f in fields if f in item}

    def _collection(
        self, t: ResourceType, objs: list[Obj], query: dict[str, str], link_path: str
    ) -> dict[str, Any]:
        expand = query.get("expandSubcollections") == "true"
        total = len(objs)
        out: dict[str, Any] = {
            "kind": t.collection_kind,
            "selfLink": f"https://localhost{link_path}?ver={self.version}",
        }
        top, skip = query.get("$top"), query.get("$skip")
        page = objs
        if top is not None or skip is not None:
            try:
                n_top = int(top) if top is not None else total
                n_skip = int(skip) if skip is not None else 0
            except ValueError:
                raise bad_request("Query parameters $top and $skip must be numbers.") from None
            if n_top < 1 or n_skip < 0:
                raise bad_request("Query parameter $top must be positive and $skip not negative.")
            page = objs[n_skip : n_skip + n_top]
            out.update(
                {
                    "currentItemCount": len(page),
                    "itemsPerPage": n_top,
                    "pageIndex": n_skip // n_top + 1,
                    "startIndex": n_skip + 1,
                    "totalItems": total,
                    "totalPages": (total + n_top - 1) // n_top,
                }
            )
            if n_skip + n_top < total:
                params = {
                    **query,
                    "$top": str(n_top),
                    "$skip": str(n_skip + n_top),
                    "ver": self.version,
                }
                out["nextLink"] = f"https://localhost{link_path}?{urlencode(params, safe='$ ')}"
            if n_skip > 0:
                params = {
                    **query,
                    "$top": str(n_top),
                    "$skip": str(max(n_skip - n_top, 0)),
                    "ver": self.version,
                }
                out["previousLink"] = f"https://localhost{link_path}?{urlencode(params, safe='$ ')}"
        out["items"] = [self._select(self._render(t, o, expand), query) for o in page]
        return out

    # --- stats --------------------------------------------------------------------------

    def _member_state(self, pool: Obj, member: Obj) -> tuple[str, str, str]:
        state = self.availability.get((pool["fullPath"], member["fullPath"]))
        if state is None:
            state = "available" if self._monitored(pool, member) else "unknown"
        enabled = "disabled" if member.get("session") == "user-disabled" else "enabled"
        reason = {
            "available": "Pool member is available",
            "offline": "Pool member has been marked down by a monitor",
            "unknown": "Pool member does not have service checking enabled",
        }[state]
        return state, enabled, reason

    @staticmethod
    def _monitored(pool: Obj, member: Obj) -> bool:
        return member.get("monitor", "default") != "default" or pool.get("monitor") not in (
            None,
            "",
            "none",
        )

    def _member_entries(self, pool: Obj, member: Obj) -> dict[str, Any]:
        state, enabled, reason = self._member_state(pool, member)
        host, port = addresses.split_port(member["name"])
        refs = self.device.store.refs_out.get(
            ("ltm/pool/members", (pool["fullPath"], member["fullPath"])), ()
        )  # the node the member resolved to, by address (its name may be spelled otherwise)
        node = next((p for f, p in refs if f == "node"), f"/{member['partition']}/{host}")
        return {
            "addr": {"description": host.split("%")[0]},
            "port": {"value": port},
            "nodeName": {"description": node},
            "poolName": {"description": pool["fullPath"]},
            "monitorStatus": {
                "description": {"available": "up", "offline": "down"}.get(state, "unchecked")
            },
            "status.availabilityState": {"description": state},
            "status.enabledState": {"description": enabled},
            "status.statusReason": {"description": reason},
            "serverside.curConns": {"value": 0},
            "totRequests": {"value": 0},
        }

    def _stats(self, t: ResourceType, obj: Obj, parent: Obj | None = None) -> dict[str, Any]:
        link = self._link_path(t, obj)
        if not t.has_stats:
            raise ApiError(404, f"URI path {link}/stats not registered.", api_error=1)
        entries = self._stats_entries(t, obj, parent)
        inner = link.rsplit("/", 1)
        return {
            "kind": t.stats_kind,
            "generation": obj.get("generation", 0),
            "selfLink": f"https://localhost{link}/stats?ver={self.version}",
            "entries": {
                f"https://localhost{link}/{inner[-1]}/stats": {"nestedStats": {"entries": entries}}
            },
        }

    def _nested(self, t: ResourceType, obj: Obj, entries: dict[str, Any]) -> tuple[str, Any]:
        """One object's entry in a collection's stats: keyed by its stats URL, with the
        kind and selfLink TMOS 12.1+ put in ``nestedStats`` (f5-sdk test_pool/virtual/node)."""
        key = f"https://localhost{self._link_path(t, obj)}/stats"
        nested = {"kind": t.stats_kind, "selfLink": f"{key}?ver={self.version}", "entries": entries}
        return key, {"nestedStats": nested}

    def _collection_stats(self, t: ResourceType, objs: list[Obj]) -> dict[str, Any]:
        """``GET /mgmt/tm/<type>/stats``: every object's stats in one answer."""
        return {
            "kind": t.collection_kind[: -len("state")] + "stats",
            "selfLink": f"https://localhost{TM}{t.path}/stats?ver={self.version}",
            "entries": dict(self._nested(t, o, self._stats_entries(t, o, None)) for o in objs),
        }

    def _stats_entries(self, t: ResourceType, obj: Obj, parent: Obj | None) -> dict[str, Any]:
        if t.path == "ltm/pool/members" and parent is not None:
            entries = self._member_entries(parent, obj)
        elif t.path == "ltm/pool":
            entries = self._pool_entries(obj)
        elif t.path == "ltm/virtual":
            pool = (
                self.device.store.get("ltm/pool", obj.get("pool", "")) if obj.get("pool") else None
            )
            state = (
                self._pool_entries(pool)["status.availabilityState"]["description"]
                if pool
                else "unknown"
            )
            entries = {
                "tmName": {"description": obj["fullPath"]},
                "destination": {"description": obj.get("destination", "")},
                "status.availabilityState": {"description": state},
                "status.enabledState": {
                    "description": "disabled" if obj.get("disabled") else "enabled"
                },
                "clientside.curConns": {"value": 0},
            }
        else:
            disabled = obj.get("session") == "user-disabled" or obj.get("enabled") == "no"
            entries = {
                "tmName": {"description": obj["fullPath"]},
                "status.availabilityState": {"description": "unknown"},
                "status.enabledState": {"description": "disabled" if disabled else "enabled"},
            }
        return entries

    def _pool_entries(self, pool: Obj) -> dict[str, Any]:
        members = self.device.items(BY_PATH["ltm/pool/members"], None, pool)
        states = [self._member_state(pool, m) for m in members]
        available = sum(1 for s, e, _ in states if s == "available" and e == "enabled")
        if any(s == "available" for s, _, _ in states):
            state = "available"
        elif members and all(s == "offline" for s, _, _ in states):
            state = "offline"
        else:
            state = "unknown"
        return {
            "tmName": {"description": pool["fullPath"]},
            "status.availabilityState": {"description": state},
            "status.enabledState": {"description": "enabled"},
            "status.statusReason": {
                "description": f"{available} of {len(members)} members are available"
            },
            "activeMemberCnt": {"value": available},
            "memberCnt": {"value": len(members)},
            "serverside.curConns": {"value": 0},
        }

    def _member_collection_stats(self, pool: Obj, members: list[Obj]) -> dict[str, Any]:
        child_t = BY_PATH["ltm/pool/members"]
        entries = {}
        for member in members:
            key, value = self._nested(child_t, member, self._member_entries(pool, member))
            entries[key] = value
        base = self._link_path(BY_PATH["ltm/pool"], pool)
        return {
            "kind": "tm:ltm:pool:members:memberscollectionstats",
            "selfLink": f"https://localhost{base}/members/stats?ver={self.version}",
            "entries": entries,
        }

    # --- commands -----------------------------------------------------------------------

    def _install(self, t: ResourceType, body: dict[str, Any]) -> Obj:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        source = str(body.get("from-local-file") or body.get("fromLocalFile") or "")
        name = body.get("name")
        data = (
            self.files.get(source.rsplit("/", 1)[-1])
            if source.startswith(UPLOAD_DIR + "/")
            else None
        )
        if data is None:
            raise bad_request(f"01070712:3: File not found: {source}")
        fields = {
            "name": name,
            "partition": body.get("partition", "Common"),
            "sourcePath": f"file://{source}",
            "checksum": f"SHA1:{len(data)}:{hashlib.sha1(bytes(data)).hexdigest()}",
            "size": len(data),
            "createTime": now,
            "lastUpdateTime": now,
        }
        if t.path == "sys/crypto/cert":
            fields.update(_x509_fields(bytes(data)))
        with self.device.atomic():
            full = str(name) if str(name).startswith("/") else f"/{fields['partition']}/{name}"
            try:
                self.device.lookup(t, full)
            except ApiError:
                return self.device.create(t, fields)
            return self.device.modify(t, full, fields, replace=True)

    def _publish(self, t: ResourceType, body: dict[str, Any]) -> Obj:
        """``publish`` moves a draft policy (``/P/Drafts/x``) to ``/P/x``."""
        draft_path = str(body.get("name", ""))
        with self.device.atomic():
            draft = self.device.lookup(t, draft_path)
            if draft.get("subPath") != "Drafts":
                raise bad_request(f"01071726:3: Policy {draft_path} is not a draft.")
            fields = {
                k: v
                for k, v in draft.items()
                if k not in ("subPath", "fullPath", "generation", "status")
            }
            for field, child in dict(t.children).items():  # its rules move with it
                fields[field] = [
                    {k: v for k, v in c.items() if k not in _CHILD_IDENTITY}
                    for c in self.device.items(BY_PATH[child], None, draft)
                ]
            self.device.delete(t, draft_path)
            published = f"/{draft['partition']}/{draft['name']}"
            try:
                self.device.lookup(t, published)
            except ApiError:
                return self.device.create(t, fields)
            return self.device.modify(t, published, fields, replace=True)

    def _command(self, rest: str, body: Any) -> Response:
        if not isinstance(body, dict):
            raise bad_request("Found invalid JSON body in the request.")
        command, args = body.get("command"), str(body.get("utilCmdArgs", ""))
        kind = {
            "sys/config": "tm:sys:config:{}state",
            "util/bash": "tm:util:bash:{}state",
            "cm": "tm:cm:{}state",
            "sys/failover": "tm:sys:failover:{}state",
        }[rest]
        answer = {"kind": kind.format(command), **body}
        if rest == "sys/config" and command == "save":
            self.save_config(_save_partitions(body.get("options")))
        elif rest == "sys/config" and command == "load":
            self.device_load(copy.deepcopy(self.saved) if self.saved else Device().dump())
            self._changed()
        elif rest == "util/bash" and command == "run":
            if "save sys config" in args:
                self.save_config()
            elif "config-sync" in args:
                self._config_sync(args.split("run cm ", 1)[-1].strip("'\" "))
            answer["commandResult"] = ""
            answer.pop("commandResult")
        elif rest == "cm" and command == "run":
            self._config_sync(args)
        elif rest == "sys/failover" and command == "run":
            if self.group is None:
                raise bad_request(
                    "01070734:3: Configuration error: device is not in a failover device group."
                )
            if body.get("standby") and self.failover_state == "active":
                self.group.failover()
        else:
            raise bad_request(f"Invalid command {command!r} for {rest}.")
        return Response(200, answer)

    def _config_sync(self, args: str) -> None:
        match = re.match(r"^config-sync\s+(to-group|from-group)\s+(\S+)$", args.strip())
        if match is None:
            raise bad_request(
                f"Invalid utilCmdArgs {args!r}; expected 'config-sync to-group <group>'."
            )
        direction, name = match.groups()
        name = name.rsplit("/", 1)[-1]
        if self.group is None or self.group.name != name:
            raise bad_request(
                f"01070734:3: Configuration error: The device group /Common/{name} was not found."
            )
        if direction == "to-group":
            self.group.sync_from(self)
        else:
            source = next(
                (a for a in self.group.members if a.failover_state == "active" and a is not self),
                None,
            )
            if source is None:
                source = (
                    next(a for a in self.group.members if a is not self)
                    if len(self.group.members) > 1
                    else self
                )
            self.group.sync_from(source)
        log.info("config-sync", device=self.hostname, device_group=name, direction=direction)

    # --- transactions -------------------------------------------------------------------

    def _transaction(self, method: str, rest: str, body: Any) -> Response:
        segs = rest.split("/")
        txns = self.transactions
        if len(segs) == 1:
            if method == "POST":
                return Response(200, txns.start().describe(self.version))
            if method == "GET":
                return Response(
                    200,
                    {
                        "kind": "tm:transactioncollectionstate",
                        "selfLink": f"https://localhost{TM}transaction?ver={self.version}",
                        "items": [t.describe(self.version) for t in list(txns.open.values())],
                    },
                )
        elif len(segs) == 2:
            txn = txns.get(segs[1])
            if method == "GET":
                return Response(200, txn.describe(self.version))
            if method == "DELETE":
                txns.remove(segs[1])
                return Response(200, None)
            if method == "PATCH":
                if not isinstance(body, dict) or body.get("state") != "VALIDATING":
                    raise bad_request('A transaction is committed with {"state": "VALIDATING"}.')
                return self._commit(txn.trans_id, bool(body.get("validateOnly")))
        elif len(segs) >= 3 and segs[2] == "commands" and method == "GET":
            txn = txns.get(segs[1])
            described = [c.describe(txn.trans_id, self.version) for c in txn.commands]
            if len(segs) == 4:
                found = [c for c in described if str(c["commandId"]) == segs[3]]
                if not found:
                    raise ApiError(
                        404,
                        f"Command {segs[3]} not found in transaction {txn.trans_id}.",
                        api_error=1,
                    )
                return Response(200, found[0])
            return Response(
                200, {"kind": "tm:transaction:commandscollectionstate", "items": described}
            )
        raise ApiError(405, f"Method {method} is not supported on {TM}{rest}.", api_error=1)

    def _commit(self, trans_id: int, validate_only: bool) -> Response:
        txn = self.transactions.get(trans_id)
        if not txn.commands:
            raise bad_request("transaction failed:there is no command to commit in the transaction")
        failed: dict[str, Any] = {}
        try:
            with self.device.atomic():
                for command in txn.commands:
                    failed = {
                        "commandId": command.command_id,
                        "method": command.method,
                        "uri": command.uri,
                    }
                    self._route(command.method, command.uri, command.query, command.body)
                if validate_only:
                    raise _ValidateOnly
        except _ValidateOnly:
            pass
        except ApiError as exc:
            txn.state, txn.failure_reason = "FAILED", exc.message
            self.transactions.remove(trans_id)
            message = (
                f"transaction failed:{exc.message} (command {failed['commandId']}: "
                f"{failed['method']} {failed['uri']})"
            )
            status = 409 if exc.status == 409 else 400
            body = {"code": status, "message": message, "errorStack": [], "apiError": 2}
            return Response(status, body)
        txn.state = "COMPLETED"
        self.transactions.remove(trans_id)
        log.debug("transaction committed", device=self.hostname, commands=len(txn.commands))
        return Response(200, txn.describe(self.version))

    # --- cm -----------------------------------------------------------------------------

    def _peers(self) -> list[BigipApp]:
        return self.group.members if self.group is not None else [self]

    def _device_view(self, app: BigipApp) -> dict[str, Any]:
        name = app.hostname
        return {
            "kind": "tm:cm:device:devicestate",
            "name": name,
            "partition": "Common",
            "fullPath": f"/Common/{name}",
            "generation": 1,
            "selfLink": f"https://localhost{TM}cm/device/~Common~{name}?ver={self.version}",
            "hostname": name,
            "managementIp": app.management_ip,
            "configsyncIp": app.management_ip,
            "failoverState": app.failover_state,
            "selfDevice": "true" if app is self else "false",
            "version": app.version,
            "product": "BIG-IP",
            "edition": "Final",
            "build": "0.0.6",
            "marketingName": "BIG-IP Virtual Edition",
            "platformId": "Z100",
            "timeZone": "UTC",
            "haCapacity": 0,
            "activeModules": ["LTM"],
            "unicastAddress": [
                {
                    "effectiveIp": app.management_ip,
                    "effectivePort": 1026,
                    "ip": app.management_ip,
                    "port": 1026,
                }
            ],
        }

    def _group_view(self) -> dict[str, Any]:
        dg = self.group
        assert dg is not None
        link = f"https://localhost{TM}cm/device-group/~Common~{dg.name}"
        return {
            "kind": "tm:cm:device-group:device-groupstate",
            "name": dg.name,
            "partition": "Common",
            "fullPath": f"/Common/{dg.name}",
            "generation": 1,
            "selfLink": f"{link}?ver={self.version}",
            "type": dg.type,
            **dg.fields,
            "devicesReference": {
                "link": f"{link}/devices?ver={self.version}",
                "isSubcollection": True,
            },
        }

    def _group_devices(self) -> list[dict[str, Any]]:
        dg = self.group
        assert dg is not None
        return [
            {
                "kind": "tm:cm:device-group:devices:devicesstate",
                "name": a.hostname,
                "partition": "Common",
                "fullPath": f"/Common/{a.hostname}",
                "generation": 1,
                "selfLink": f"https://localhost{TM}cm/device-group/~Common~{dg.name}/devices/~Common~{a.hostname}?ver={self.version}",
            }
            for a in dg.members
        ]

    def _stats_view(self, name: str, entries: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": f"tm:cm:{name}:{name}stats",
            "selfLink": f"https://localhost{TM}cm/{name}?ver={self.version}",
            "entries": {f"https://localhost{TM}cm/{name}/0": {"nestedStats": {"entries": entries}}},
        }

    def _cm(self, method: str, rest: str, body: Any) -> Response:
        segs = rest.split("/")
        kind = segs[1]
        if kind == "sync-status" and len(segs) == 2 and method == "GET":
            if self.group is None:
                status, color, summary, mode = "Standalone", "green", " ", "standalone"
            else:
                (status, color, summary), mode = self.group.status(), "high-availability"
            return Response(
                200,
                self._stats_view(
                    "sync-status",
                    {
                        "color": {"description": color},
                        "mode": {"description": mode},
                        "status": {"description": status},
                        "summary": {"description": summary},
                    },
                ),
            )
        if kind == "failover-status" and len(segs) == 2 and method == "GET":
            active = sum(1 for a in self._peers() if a.failover_state == "active")
            return Response(
                200,
                self._stats_view(
                    "failover-status",
                    {
                        "color": {
                            "description": "green" if self.failover_state == "active" else "gray"
                        },
                        "status": {"description": self.failover_state.upper()},
                        "summary": {"description": f"{active}/{len(self._peers())} active"},
                    },
                ),
            )
        if kind == "device" and method == "GET":
            views = [self._device_view(a) for a in self._peers()]
            if len(segs) == 2:
                return Response(
                    200,
                    {
                        "kind": "tm:cm:device:devicecollectionstate",
                        "selfLink": f"https://localhost{TM}cm/device?ver={self.version}",
                        "items": views,
                    },
                )
            wanted = segs[2].split("~")[-1]
            found = [v for v in views if v["name"] == wanted]
            if found:
                return Response(200, found[0])
            raise ApiError(
                404, f"01020036:3: The requested device (/Common/{wanted}) was not found."
            )
        if kind == "device-group":
            groups = [self.group] if self.group is not None else []
            if len(segs) == 2 and method == "GET":
                return Response(
                    200,
                    {
                        "kind": "tm:cm:device-group:device-groupcollectionstate",
                        "selfLink": f"https://localhost{TM}cm/device-group?ver={self.version}",
                        "items": [self._group_view()] if groups else [],
                    },
                )
            wanted = segs[2].split("~")[-1] if len(segs) > 2 else ""
            if not groups or groups[0].name != wanted:
                raise ApiError(
                    404, f"01020036:3: The requested device group (/Common/{wanted}) was not found."
                )
            if len(segs) == 3 and method == "GET":
                return Response(200, self._group_view())
            if len(segs) == 3 and method in ("PATCH", "PUT"):
                if not isinstance(body, dict):
                    raise bad_request("Found invalid JSON body in the request.")
                for key in (
                    "autoSync",
                    "fullLoadOnSync",
                    "networkFailover",
                    "saveOnAutoSync",
                    "incrementalConfigSyncSizeMax",
                    "asmSync",
                    "description",
                ):
                    if key in body:
                        groups[0].fields[key] = body[key]
                return Response(200, self._group_view())
            if len(segs) == 4 and segs[3] == "devices" and method == "GET":
                return Response(
                    200,
                    {
                        "kind": "tm:cm:device-group:devices:devicescollectionstate",
                        "selfLink": f"https://localhost{TM}cm/device-group/~Common~{wanted}/devices?ver={self.version}",
                        "items": self._group_devices(),
                    },
                )
        raise ApiError(404, f"URI path {TM}{rest} not registered.", api_error=1)


class _ValidateOnly(Exception):
    """Raised inside the atomic block to undo a validate-only commit."""


def _secret(value: str) -> str:
    """A stored secret as a device shows it: ``$M$<salt>$<base64>``, never the clear text."""
    if value.startswith("$M$"):
        return value
    digest = hashlib.md5(value.encode(), usedforsecurity=False).digest()
    return f"$M${base64.b64encode(digest[:2]).decode()[:2]}${base64.b64encode(digest).decode()}"


def _x509_fields(data: bytes) -> dict[str, Any]:
    """What a device reads out of an installed certificate (nothing when it is no PEM
    certificate: the product's tests install placeholder bytes)."""
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        return {}
    expires = cert.not_valid_after_utc
    return {
        "issuer": cert.issuer.rfc4514_string(),
        "subject": cert.subject.rfc4514_string(),
        "serialNumber": str(cert.serial_number),
        "expirationDate": int(expires.timestamp()),
        "expirationString": expires.strftime("%b %d %H:%M:%S %Y GMT"),
        "version": cert.version.value + 1,
    }


def full_tilde(full_path: str) -> str:
    return full_path.replace("/", "~").replace("%", "%25")


def _save_partitions(options: Any) -> list[str] | None:
    """The partitions of ``save sys config``'s options (``[{"partitions": "{ A B }"}]``,
    tmsh's list syntax); None for a whole save. Any other option is refused."""
    if options is None:
        return None
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        raise bad_request("options must be a list of objects")
    named: list[str] = []
    for option in options:
        for key, value in option.items():
            if key != "partitions":
                raise bad_request(f"save sys config: unexpected option {key!r}")
            text = str(value).strip()
            if not (text.startswith("{") and text.endswith("}")) or not text[1:-1].split():
                raise bad_request(
                    f"save sys config partitions: expected {{ name ... }}, got {text!r}"
                )
            named.extend(text[1:-1].split())
    return named or None


def _partition_exists(store: Any, name: str) -> bool:
    return name == "Common" or store.get("auth/partition", name) is not None


def _by_partition(objects: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[Any]]]:
    files: dict[str, dict[str, list[Any]]] = {}
    for type_path, objs in objects.items():
        for obj in objs:
            partition = obj.get("partition") or "Common"
            files.setdefault(partition, {}).setdefault(type_path, []).append(obj)
    return files


def _factory_files() -> dict[str, dict[str, list[Any]]]:
    """What a device that was never saved comes back to: its factory configuration."""
    return _by_partition(Device().dump()["objects"])


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
