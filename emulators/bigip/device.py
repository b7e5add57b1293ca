"""The configuration engine: what mcpd does with a create, modify, replace or delete.

Generic over the table in ``types.py``: identity (name, partition, fullPath), defaults,
immutable fields, reference resolution and checks, sub-collections, in-use checks, generation.
The few behaviours a table cannot express are the ``hook`` functions below: address spelling
with route domains, virtual addresses auto-created for virtuals (and auto-deleted with the last
one), nodes auto-created for pool members, monitor timing rules, folder/partition coupling.

Every public write runs atomically: if it fails half way (say the node was auto-created but the
member is then rejected) the store's journal undoes it. Callers hold ``lock`` (one writer at a
time, like mcpd); a collection read takes it only to gather its objects, which are never
mutated once stored.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from emulators.bigip import addresses
from emulators.bigip.errors import ApiError, already_exists, bad_request, in_use, not_found
from emulators.bigip.store import Key, Obj, Store, Target
from emulators.bigip.types import (
    BUILTINS,
    BY_PATH,
    CHILD_TARGET_FAMILY,
    FAMILY_LABELS,
    TYPES,
    VERSION_FIELDS,
    Ref,
    ResourceType,
)

# Sent back from a GET, never taken from a client (TMOS 14.1+ virtuals' timestamps too).
IGNORED_FIELDS = frozenset(
    {"kind", "selfLink", "generation", "fullPath", "creationTime", "lastModifiedTime"}
)
IDENTITY_FIELDS = ("name", "partition", "subPath", "fullPath", "_parent")
ADDRESS_NAMED = frozenset({"member", "node", "virtual-address", "snat-translation"})
_ADDRESS_CHARS = frozenset("0123456789abcdefABCDEF:.")
BOOLEAN_PAIRS = (
    ("enabled", "disabled"),
    ("vlansEnabled", "vlansDisabled"),
    ("tagged", "untagged"),  # a VLAN's interface
)
_MONITOR_WORDS = frozenset({"and", "min", "of", "{", "}"})


def clean_body(body: Any) -> dict[str, Any]:
    """Drop what clients send back from a GET (kind, selfLink, generation, *Reference)."""
    if not isinstance(body, dict):
        raise bad_request("Found invalid JSON body in the request.")
    return {
        k: v
        for k, v in body.items()
        if k not in IGNORED_FIELDS and not k.endswith("Reference") and not k.startswith("_")
    }


def inline_members(t: ResourceType, body: Any) -> Any:
    """A pool body may carry its members inline: ``members: [...]``, or the shape a GET with
    ``expandSubcollections=true`` returns, ``membersReference: {"items": [...]}`` (f5-cccl
    and k8s-bigip-ctlr write pools this way). A reference without ``items`` (a plain GET's
    ``{"link": ..., "isSubcollection": true}`` sent back) says nothing about the members."""
    if t.path != "ltm/pool" or not isinstance(body, dict) or "members" in body:
        return body
    ref = body.get("membersReference")
    if isinstance(ref, dict) and isinstance(ref.get("items"), list):
        return {**body, "members": ref["items"]}
    return body


def tilde(full_path: str) -> str:
    """``/P/sub/name`` → ``~P~sub~name`` (the URL spelling), with ``%`` percent-encoded."""
    return full_path.replace("/", "~").replace("%", "%25")


class Device:
    """One BIG-IP's configuration."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.store = Store(t.path for t in TYPES)
        self.builtin_paths: set[tuple[str, str]] = set()
        self.on_change: Callable[[], None] | None = None
        self._load_builtins()

    # --- lifecycle ----------------------------------------------------------------------

    def _load_builtins(self) -> None:
        with self.atomic():
            for path, body in BUILTINS:
                obj = self._create(BY_PATH[path], dict(body), None)
                self.builtin_paths.add((path, obj["fullPath"]))
            self.builtin_paths.add(("auth/partition", "Common"))

    def dump(self) -> dict[str, Any]:
        return {
            "generation": self.store.generation,
            "objects": {t.path: list(self.store.objects[t.path].values()) for t in TYPES},
        }

    def load(self, state: dict[str, Any]) -> None:
        """Replace the configuration with a dump, trusting it (no validation, no hooks)."""
        objects = state["objects"]
        with self.lock:
            self.store = Store(t.path for t in TYPES)
            for t in TYPES:
                for obj in objects.get(t.path, []):
                    obj = copy.deepcopy(obj)
                    self._raw_put(t, self._key(obj), obj)
            self.store.generation = int(state["generation"])

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All writes inside succeed together or are undone (nests inside a transaction)."""
        with self.lock:
            if self.store.journal is not None:
                yield
                return
            self.store.begin()
            try:
                yield
            except BaseException:
                self.store.rollback(self._reindex)
                raise
            self.store.commit()
            if self.on_change is not None:
                self.on_change()

    # --- reading ------------------------------------------------------------------------

    @staticmethod
    def address_key(family: str, partition: str, rd: int, ip: str) -> tuple[Any, ...]:
        """The index key of an addressed object: nodes and virtual addresses are one per IP
        and route domain on the whole device, whatever the partition (another partition's
        copy is refused: 0107176c for a virtual address, 0107003a for a member's node);
        snat translations one per IP and route domain in a partition."""
        return (family, "" if family in DEVICE_WIDE_ADDRESSES else partition, rd, ip)

    def default_rd(self, partition: str) -> int:
        part = self.store.get("auth/partition", partition)
        return int(part["defaultRouteDomain"]) if part else 0

    def lookup(self, t: ResourceType, full_path: str, parent: Obj | None = None) -> Obj:
        """The object at ``full_path`` (name spelled as in the URL), or 404."""
        obj = self._find(t, full_path, parent)
        if obj is None:
            raise self._not_found(t, full_path, parent)
        return obj

    def _find(self, t: ResourceType, full_path: str, parent: Obj | None) -> Obj | None:
        for path in self._spellings(t, full_path):
            key: Key = (parent["fullPath"], path) if parent is not None else path
            obj = self.store.get(t.path, key)
            if obj is not None:
                return obj
        return None

    def items(self, t: ResourceType, partition: str | None, parent: Obj | None) -> list[Obj]:
        """The objects of a collection as one consistent view: taken under the writer's lock,
        so a listing never shows a transaction half committed (mcpd commits it as one
        change). Only the references are gathered under the lock; rendering needs none."""
        with self.lock:
            objects = self.store.objects[t.path]
            if parent is not None:
                keys = list(self.store.children.get((t.path, parent["fullPath"]), ()))
            elif partition is not None:
                keys = list(self.store.by_partition[t.path].get(partition, ()))
            else:
                return list(objects.values())
            return [objects[k] for k in keys if k in objects]

    def children_of(self, t: ResourceType, parent: Obj) -> list[tuple[str, list[Obj]]]:
        return [(f, self.items(BY_PATH[c], None, parent)) for f, c in t.children]

    # --- public writes ------------------------------------------------------------------

    def create(self, t: ResourceType, body: Any, parent: Obj | None = None) -> Obj:
        if t.hook == "db":
            name = body.get("name") if isinstance(body, dict) else None
            raise bad_request(f"01020036:3: The requested db variable ({name}) was not found.")
        with self.atomic():
            return self._create(t, clean_body(inline_members(t, body)), parent)

    def modify(
        self, t: ResourceType, full_path: str, body: Any, replace: bool, parent: Obj | None = None
    ) -> Obj:
        with self.atomic():
            existing = self.lookup(t, full_path, parent)
            return self._modify(t, existing, clean_body(inline_members(t, body)), replace)

    def delete(self, t: ResourceType, full_path: str, parent: Obj | None = None) -> None:
        with self.atomic():
            self._delete(t, self.lookup(t, full_path, parent))

    # --- identity -----------------------------------------------------------------------

    @staticmethod
    def _key(obj: Obj) -> Key:
        parent = obj.get("_parent")
        return (parent, obj["fullPath"]) if parent is not None else obj["fullPath"]

    def _spellings(self, t: ResourceType, full_path: str) -> list[str]:
        """The paths an address-named object may be asked for under.

        A device keeps a member's, node's or virtual address's name as it was created
        (``10.0.0.1%0:80`` stays ``10.0.0.1%0:80``) but finds it under either spelling of
        the partition's default route domain, so both ``~P~10.0.0.1:80`` and
        ``~P~10.0.0.1%250:80`` reach it; another route domain is another object. (String
        work only: this runs on every create and lookup.)
        """
        if t.hook not in ADDRESS_NAMED:
            return [full_path]
        folder, _, name = full_path.rpartition("/")
        host, suffix = name, ""
        if t.hook == "member":
            sep = "." if name.count(":") > 1 else ":"
            host, found, port = name.rpartition(sep)
            if not found:
                return [full_path]
            suffix = sep + port
        ip, pct, rd_text = host.partition("%")
        if not ip or not set(ip) <= _ADDRESS_CHARS or (pct and not rd_text.isdigit()):
            return [full_path]  # nodes and virtual addresses may have non-address names
        partition = folder.strip("/").split("/")[0] if folder else "Common"
        default = self.default_rd(partition)
        if not pct:
            other = f"{ip}%{default}{suffix}"
        elif int(rd_text) == default:
            other = f"{ip}{suffix}"
        else:
            return [full_path]
        return [full_path, f"{folder}/{other}"]

    def _identity(self, t: ResourceType, body: dict[str, Any], parent: Obj | None) -> Obj:
        name = body.pop("name", None)
        if not isinstance(name, str) or not name or any(c in name for c in " \t\n~\"'"):
            raise bad_request(f"01070022:3: The name ({name}) is invalid.")
        partition = body.pop("partition", None)
        sub_path = body.pop("subPath", None)
        if t.hook == "folder" and name == "/":
            return {"name": "/", "fullPath": "/"}  # the root folder
        if t.hook == "folder":
            parent_path = "" if sub_path in (None, "", "/") else "/" + str(sub_path).strip("/")
            if name.startswith("/"):
                parent_path, _, name = name.rstrip("/").rpartition("/")
            full = f"{parent_path}/{name}"
            return {"name": name, "subPath": parent_path or "/", "fullPath": full}
        if t.hook in ("partition", "db"):
            return {"name": name.strip("/"), "fullPath": name.strip("/")}
        if t.hook == "vlan-interface" and parent is not None:  # ``1.3``: no partition
            return {"name": name, "fullPath": name, "_parent": parent["fullPath"]}
        if name.startswith("/"):
            parts = name.strip("/").split("/")
            partition, name = parts[0], parts[-1]
            sub_path = "/".join(parts[1:-1]) or None
        if partition is None:
            partition = parent["partition"] if parent is not None else "Common"
        partition = str(partition).strip("/")
        middle = f"/{str(sub_path).strip('/')}" if sub_path else ""
        identity: Obj = {"name": name, "partition": partition}
        if sub_path:
            identity["subPath"] = str(sub_path).strip("/")
        identity["fullPath"] = f"/{partition}{middle}/{name}"
        if parent is not None:
            identity["_parent"] = parent["fullPath"]
        return identity

    def _not_found(self, t: ResourceType, full_path: str, parent: Obj | None) -> ApiError:
        if parent is not None and t.hook == "member":
            host, port = addresses.split_port(full_path.rsplit("/", 1)[-1])
            folder = full_path.rsplit("/", 1)[0]
            return not_found(t.label, f"{parent['fullPath']} {folder}/{host} {port}")
        return not_found(t.label, full_path)

    # --- create / modify / delete -------------------------------------------------------

    def _create(self, t: ResourceType, body: dict[str, Any], parent: Obj | None) -> Obj:
        identity = self._identity(t, body, parent)
        if self._find(t, identity["fullPath"], parent) is not None:
            if t.hook == "member" and parent is not None:
                host, port = addresses.split_port(identity["name"])
                where = f"{parent['fullPath']} /{identity['partition']}/{host} {port}"
                raise already_exists(t.label, where, identity["partition"])
            raise already_exists(t.label, identity["fullPath"], identity.get("partition", "Common"))
        if t.family == "monitor" and self.store.exists("monitor", identity["fullPath"]):
            # Monitors of every type share one name space on a BIG-IP: an http monitor X and
            # a tcp monitor X cannot both exist in one partition.
            raise already_exists(t.label, identity["fullPath"], identity.get("partition", "Common"))
        if parent is None and t.hook not in ("partition", "db"):
            folder = identity["fullPath"].rsplit("/", 1)[0]
            if (
                folder
                and not folder.endswith("/Drafts")
                and not self.store.exists("folder", folder)
            ):
                raise not_found("folder", folder, 400)
        children = {f: body.pop(f) for f, _ in t.children if f in body}
        obj: Obj = {**identity, **copy.deepcopy(t.defaults)}
        self._merge(obj, body)
        self._normalise(t, obj, None)
        if t.hook == "ref-child" and self.store.get(t.path, self._key(obj)) is not None:
            raise already_exists(t.label, obj["fullPath"], obj["partition"])
        stored = self._store(t, obj)
        if t.hook == "virtual" and "profiles" not in children:
            children["profiles"] = [
                "/Common/udp" if obj.get("ipProtocol") == "udp" else "/Common/tcp"
            ]
        for field, child_path in t.children:
            self._set_children(BY_PATH[child_path], stored, children.get(field))
        if (
            t.hook == "folder"
            and stored.get("subPath") == "/"
            and not self.store.get("auth/partition", stored["name"])
        ):
            self._create(BY_PATH["auth/partition"], {"name": stored["name"]}, None)
        if t.hook == "partition" and not self.store.exists("folder", "/" + stored["name"]):
            self._create(BY_PATH["sys/folder"], {"name": stored["name"], "subPath": "/"}, None)
        return stored

    def _modify(self, t: ResourceType, existing: Obj, body: dict[str, Any], replace: bool) -> Obj:
        for field in ("name", "partition", "subPath"):
            body.pop(field, None)
        for field in t.immutable:
            if field in body and not self._same_value(t, field, body[field], existing):
                raise bad_request(
                    f"01070603:3: The {field} of {t.label} ({existing['fullPath']}) "
                    "cannot be modified."
                )
        children = {f: body.pop(f) for f, _ in t.children if f in body}
        if replace:
            obj = {k: existing[k] for k in IDENTITY_FIELDS if k in existing}
            obj.update(copy.deepcopy(t.defaults))
            obj.update({f: existing[f] for f in t.immutable if f in existing})
        else:
            obj = dict(existing)
        self._merge(obj, body)
        self._normalise(t, obj, existing)
        stored = self._store(t, obj)
        for field, child_path in t.children:
            if field in children:
                self._set_children(BY_PATH[child_path], stored, children[field], replace=True)
        if t.hook == "virtual":
            self._collect_virtual_address(existing)
        if t.hook == "snatpool":
            self._collect_snat_translations(existing)
        return stored

    def _delete(self, t: ResourceType, obj: Obj) -> None:
        full = obj["fullPath"]
        if (t.path, full) in self.builtin_paths:
            raise bad_request(
                f"01070681:3: The {t.label} ({full}) is a built-in object and cannot be deleted."
            )
        if t.hook in ("folder", "partition"):
            folder = full if t.hook == "folder" else "/" + full
            if self.store.folder_counts.get(folder, 0) > 0:
                raise bad_request(
                    f"01070083:3: Cannot delete folder {folder}; folder is not empty."
                )
        targets: list[Target] = [(t.family, full)]
        if t.hook == "route-domain":
            targets.append(("rdid", str(obj["id"])))
        for target in targets:
            for holder_type, holder_key in self.store.referrers(target):
                self._raise_in_use(t, obj, holder_type, holder_key)
        for _, child_path in t.children:
            for child in self.items(BY_PATH[child_path], None, obj):
                self._remove(BY_PATH[child_path], child)
        self._remove(t, obj)
        if t.hook == "virtual":
            self._collect_virtual_address(obj)
        if t.hook == "snatpool":
            self._collect_snat_translations(obj)
        if t.hook == "folder" and obj.get("subPath") == "/":
            part = self.store.get("auth/partition", obj["name"])
            if part is not None:
                self._remove(BY_PATH["auth/partition"], part)
        if t.hook == "partition":
            folder_obj = self.store.get("sys/folder", "/" + full)
            if folder_obj is not None:
                self._remove(BY_PATH["sys/folder"], folder_obj)

    def _raise_in_use(self, t: ResourceType, obj: Obj, holder_type: str, holder_key: Key) -> None:
        holder_t = BY_PATH[holder_type]
        holder = self.store.get(holder_type, holder_key) or {}
        if holder_t.parent is not None:
            by_t, by_path = BY_PATH[holder_t.parent], holder.get("_parent", "")
        else:
            by_t, by_path = holder_t, holder.get("fullPath", "")
        if t.hook == "node":
            raise bad_request(
                f"01070110:3: Node address '{obj['fullPath']}' is referenced by a member of "
                f"pool '{by_path}'."
            )
        raise in_use(t.label, obj["fullPath"], by_t.label, by_path)

    def _set_children(
        self, child_t: ResourceType, parent: Obj, items: Any, replace: bool = False
    ) -> None:
        if replace:
            for child in self.items(child_t, None, parent):
                self._remove(child_t, child)
        if items is None:
            return
        if isinstance(items, dict) and "items" in items:
            items = items["items"]
        if not isinstance(items, list):
            raise bad_request(f"Found invalid JSON body in the request ({child_t.path}).")
        for item in items:
            body = {"name": item} if isinstance(item, str) else clean_body(item)
            self._create(child_t, body, parent)

    def _collect_snat_translations(self, old_snatpool: Obj) -> None:
        """Delete the snat translations a snatpool's members created, once unused: F5's
        functional tests create ``192.168.101.1`` through a snatpool and then, the snatpool
        deleted, a translation ``test-snatxlate`` with that address (test_snatpool.py, then
        test_snat_translation.py), which passes on a device."""
        t = BY_PATH["ltm/snat-translation"]
        for family, path in self._derive(BY_PATH["ltm/snatpool"], old_snatpool)[0]:
            if family != "snat-translation" or self.store.referrers((family, path)):
                continue
            translation = self.store.get(t.path, path)
            if translation is not None and translation.get("_auto"):
                self._remove(t, translation)

    def _collect_virtual_address(self, old_virtual: Obj) -> None:
        """Delete the virtual address a virtual used, if auto-delete and now unused."""
        va_path = self._virtual_address_of(old_virtual)
        if va_path is None or self.store.referrers(("virtual-address", va_path)):
            return
        va = self.store.get("ltm/virtual-address", va_path)
        if va is not None and str(va.get("autoDelete")).lower() == "true":
            self._remove(BY_PATH["ltm/virtual-address"], va)

    # --- storing and indexing -----------------------------------------------------------

    def _store(self, t: ResourceType, obj: Obj) -> Obj:
        identity = {k: obj.pop(k) for k in IDENTITY_FIELDS if k in obj}
        obj.pop("generation", None)
        parent = identity.pop("_parent", None)
        stored: Obj = {
            k: identity[k] for k in ("name", "partition", "subPath", "fullPath") if k in identity
        }
        stored["generation"] = self.store.next_generation()
        stored.update(obj)
        if t.path in VERSION_FIELDS:  # creation/modification times (rendered on 14.1+)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            before = self.store.get(t.path, self._key({**stored, "_parent": parent}))
            stored["_ctime"] = before.get("_ctime", now) if before else now
            stored["_mtime"] = now
        if parent is not None:
            stored["_parent"] = parent
        self._raw_put(t, self._key(stored), stored)
        return stored

    def _raw_put(self, t: ResourceType, key: Key, obj: Obj) -> None:
        refs, addr = self._derive(t, obj)
        self.store.put(t.path, key, obj, t.family, refs, addr)

    def _remove(self, t: ResourceType, obj: Obj) -> None:
        self.store.remove(t.path, self._key(obj), t.family)

    def _reindex(self, type_path: str, key: Key, obj: Obj | None) -> None:
        t = BY_PATH[type_path]
        if obj is None:
            self.store.remove(type_path, key, t.family)
        else:
            self._raw_put(t, key, obj)

    # --- normalisation (validating, resolving names, auto-creating) ---------------------

    @staticmethod
    def _merge(obj: Obj, body: dict[str, Any]) -> None:
        for first, second in BOOLEAN_PAIRS:
            if body.get(first) is True and body.get(second) is True:
                # f5-sdk test_vlan.py: tagged with untagged → 400 "... may not be specified with"
                raise bad_request(
                    f'01070734:3: Configuration error: "{first}" may not be specified with '
                    f'"{second}"'
                )
            if first in obj or second in obj or first in body or second in body:
                if body.get(second) is True or body.get(first) is False:
                    obj.pop(first, None)
                    body = {k: v for k, v in body.items() if k not in (first, second)}
                    obj[second] = True
                elif body.get(first) is True or body.get(second) is False:
                    obj.pop(second, None)
                    body = {k: v for k, v in body.items() if k not in (first, second)}
                    obj[first] = True
        obj.update(copy.deepcopy(body))

    def _same_value(self, t: ResourceType, field: str, value: Any, existing: Obj) -> bool:
        if field == "address":
            try:
                spelled = addresses.parse_host(str(value)).spell(
                    self.default_rd(existing["partition"])
                )
            except ApiError:
                return False
            return spelled == existing.get("address")
        return str(value) == str(existing.get(field))

    def _resolve(self, family: str, name: Any, partition: str) -> str:
        if not isinstance(name, str):
            raise bad_request(
                f"01070712:3: Invalid {FAMILY_LABELS.get(family, family)} reference ({name})."
            )
        candidates = [name] if name.startswith("/") else [f"/{partition}/{name}", f"/Common/{name}"]
        for path in candidates:
            if self.store.exists(family, path):
                return path
        raise not_found(FAMILY_LABELS.get(family, family), candidates[0], 400)

    def _normalise(self, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
        partition = obj.get("partition", "Common")
        hook = _HOOKS.get(t.hook or "")
        if hook is not None:
            hook(self, t, obj, existing)
        for ref in t.refs:
            if ref.field in obj:
                obj[ref.field] = self._resolve_field(ref, obj[ref.field], partition)
        for field in t.omit_empty:
            if obj.get(field) == []:
                del obj[field]  # the device leaves empty lists out (f5-sdk test_virtual.py)
        if t.hook == "virtual":
            self._check_shared_destination(obj)

    def _check_shared_destination(self, virtual: Obj) -> None:
        """Two virtuals may not listen on the same destination (01070333).

        The device compares what a connection is matched on: destination address and mask
        in its route domain (whatever the partition), port (0, any port, is a port of its
        own), source address, IP protocol and the VLANs it is enabled on
        (F5Networks/terraform-provider-bigip #317, #712).
        """
        va_path = self._virtual_address_of(virtual)
        if va_path is None:
            return
        mine = self._listener(virtual)
        for holder_type, holder_key in self.store.referrers(("virtual-address", va_path)):
            if holder_type != "ltm/virtual" or holder_key == virtual["fullPath"]:
                continue
            other = self.store.get(holder_type, holder_key)
            if other is None:
                continue
            theirs = self._listener(other)
            if mine[:-1] == theirs[:-1] and _vlans_overlap(mine[-1], theirs[-1]):
                raise bad_request(
                    f"01070333:3: Virtual Server {virtual['fullPath']} illegally shares both "
                    f"address and port with Virtual Server {other['fullPath']}."
                )

    def _listener(self, virtual: Obj) -> tuple[Any, ...]:
        host, port, part = self._destination(virtual.get("destination"), virtual["partition"])
        default = self.default_rd(part)
        try:
            src, length = addresses.parse_cidr(virtual.get("source", "0.0.0.0/0"))
            source: tuple[Any, ...] = (src.ip, src.effective_rd(default), length)
        except ApiError:
            source = (str(virtual.get("source")),)
        vlans = frozenset(str(v) for v in virtual.get("vlans") or ())
        return (
            host.effective_rd(default),
            host.ip,
            port,
            str(virtual.get("mask")),
            source,
            str(virtual.get("ipProtocol", "tcp")),
            (bool(virtual.get("vlansEnabled")), vlans),
        )

    def _resolve_field(self, ref: Ref, value: Any, partition: str) -> Any:
        if ref.shape == "path":
            if value in ("", "none", None):
                return value
            return self._resolve(ref.family, value, partition)
        if ref.shape == "paths":
            if not isinstance(value, list):
                raise bad_request(f"01070712:3: {ref.field} must be a list.")
            out: list[Any] = []
            for item in value:
                if isinstance(item, dict):
                    name = item.get("name")
                    if item.get("partition") and isinstance(name, str) and not name.startswith("/"):
                        name = f"/{item['partition']}/{name}"
                    path = self._resolve(ref.family, name, partition)
                    part, _, base = path[1:].partition("/")
                    out.append({**item, "name": base, "partition": part})
                else:
                    out.append(self._resolve(ref.family, item, partition))
            return out
        if ref.shape == "monitor":
            if value in ("", "none", None):
                return value
            if not isinstance(value, str):
                raise bad_request(f"01070712:3: Invalid monitor rule ({value}).")
            words = re.findall(r"[^\s{}]+|[{}]", value)
            paths = [
                self._resolve("monitor", w, partition)
                for i, w in enumerate(words)
                if w not in _MONITOR_WORDS and not (i > 0 and words[i - 1] == "min")
            ]
            if "min" in words:
                count = words[words.index("min") + 1]
                return f"min {count} of {{ {' '.join(paths)} }}"
            return " and ".join(paths)
        if ref.shape == "snat":
            if not isinstance(value, dict):
                raise bad_request("01070712:3: sourceAddressTranslation must be an object.")
            kind = value.get("type", "none")
            if kind == "snat":
                if not value.get("pool"):
                    raise bad_request("01070712:3: A SNAT pool is required for type snat.")
                return {"type": "snat", "pool": self._resolve("snatpool", value["pool"], partition)}
            if kind not in ("none", "automap", "lsn"):
                raise bad_request(f"01070712:3: Invalid source address translation type ({kind}).")
            return {"type": kind}
        raise AssertionError(ref.shape)

    def _check_rd(self, rd: int) -> None:
        if rd not in self.store.rd_ids:
            raise not_found("route domain", str(rd), 400)

    def _virtual_address_of(self, virtual: Obj) -> str | None:
        try:
            host, _port, part = self._destination(
                virtual.get("destination", ""), virtual["partition"]
            )
        except ApiError:
            return None
        rd = host.effective_rd(self.default_rd(part))
        return self.store.addresses.get(self.address_key("virtual-address", part, rd, host.ip))

    def _destination(self, text: Any, partition: str) -> tuple[addresses.Host, int, str]:
        if not isinstance(text, str) or not text:
            raise addresses.invalid(str(text))
        part = partition
        if text.startswith("/"):
            folder, _, text = text.rpartition("/")
            part = folder.strip("/").split("/")[0]
        host_text, port = addresses.split_port(text)
        return addresses.parse_host(host_text), port, part

    # --- derived index data (pure: used by put, load and rollback) ----------------------

    def _derive(
        self, t: ResourceType, obj: Obj
    ) -> tuple[tuple[Target, ...], tuple[Any, ...] | None]:
        refs: list[Target] = []
        for ref in t.refs:
            value = obj.get(ref.field)
            if ref.shape == "path" and isinstance(value, str) and value.startswith("/"):
                refs.append((ref.family, value))
            elif ref.shape == "paths" and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        refs.append((ref.family, f"/{item.get('partition')}/{item.get('name')}"))
                    elif isinstance(item, str):
                        refs.append((ref.family, item))
            elif ref.shape == "monitor" and isinstance(value, str):
                refs.extend(("monitor", w) for w in value.split() if w.startswith("/"))
            elif ref.shape == "snat" and isinstance(value, dict) and value.get("pool"):
                refs.append(("snatpool", value["pool"]))
        addr: tuple[Any, ...] | None = None
        partition = obj.get("partition", "Common")
        hook = t.hook
        try:
            if hook in ("node", "virtual-address", "snat-translation"):
                host = addresses.parse_host(obj["address"])
                rd = host.effective_rd(self.default_rd(partition))
                refs.append(("rdid", str(rd)))
                addr = self.address_key(t.family, partition, rd, host.ip)
            elif hook == "member":
                host = addresses.parse_host(obj["address"])
                rd = host.effective_rd(self.default_rd(partition))
                refs.append(("rdid", str(rd)))
                node = self.store.addresses.get(self.address_key("node", partition, rd, host.ip))
                if node is not None:
                    refs.append(("node", node))
            elif hook == "self":
                host, _ = addresses.parse_cidr(obj["address"])
                refs.append(("rdid", str(host.effective_rd(self.default_rd(partition)))))
            elif hook == "virtual":
                host, _, part = self._destination(obj.get("destination"), partition)
                rd = host.effective_rd(self.default_rd(part))
                refs.append(("rdid", str(rd)))
                va = self.store.addresses.get(
                    self.address_key("virtual-address", part, rd, host.ip)
                )
                if va is not None:
                    refs.append(("virtual-address", va))
            elif hook == "partition":
                refs.append(("rdid", str(obj.get("defaultRouteDomain", 0))))
            elif hook == "ref-child":
                refs.append((CHILD_TARGET_FAMILY[t.path], obj["fullPath"]))
        except (ApiError, KeyError):
            pass
        return tuple(refs), addr


def _vlans_overlap(a: tuple[bool, frozenset[str]], b: tuple[bool, frozenset[str]]) -> bool:
    """Whether two virtuals' VLAN settings (enabled on a list, or on all but a list) meet."""
    (a_enabled, a_vlans), (b_enabled, b_vlans) = a, b
    if a_enabled and b_enabled:
        return bool(a_vlans & b_vlans)
    if a_enabled:
        return not a_vlans <= b_vlans
    if b_enabled:
        return not b_vlans <= a_vlans
    return True


# --- hooks: behaviour the table cannot express ----------------------------------------


def _hook_partition(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    try:
        obj["defaultRouteDomain"] = int(obj.get("defaultRouteDomain", 0))
    except (TypeError, ValueError):
        raise bad_request("01070712:3: defaultRouteDomain must be a number.") from None
    if obj["defaultRouteDomain"] != 0:  # route domain 0 always exists
        device._check_rd(obj["defaultRouteDomain"])


def _hook_folder(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    if (
        existing is None
        and obj.get("subPath", "/") != "/"
        and not device.store.exists("folder", obj["subPath"])
    ):
        raise not_found("folder", obj["subPath"], 400)


def _hook_route_domain(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    try:
        obj["id"] = int(obj["id"])
    except (KeyError, TypeError, ValueError):
        raise bad_request(
            "01070734:3: Configuration error: a route domain requires a numeric id."
        ) from None
    if not 0 <= obj["id"] <= 65534:
        raise bad_request(f"01070734:3: Configuration error: invalid route domain id {obj['id']}.")
    holder = device.store.rd_ids.get(obj["id"])
    if holder is not None and holder != obj["fullPath"]:
        raise bad_request(
            f"01070734:3: Configuration error: route domain id {obj['id']} is already used by {holder}."
        )


def _hook_monitor(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    if "interval" not in obj and "timeout" not in obj:
        return  # inband, none: no interval/timeout
    if obj.get("interval") == "auto":  # sasp
        return
    try:
        interval, timeout = int(obj["interval"]), int(obj["timeout"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("01070711:3: Monitor interval and timeout must be numbers.") from None
    obj["interval"], obj["timeout"] = interval, timeout
    if interval < 1 or timeout <= interval:
        raise bad_request(
            f"01070711:3: Monitor {obj['fullPath']} timeout ({timeout}) must be greater than "
            f"its interval ({interval})."
        )


def _spell_address(device: Device, obj: Obj, field: str) -> addresses.Host:
    host = addresses.parse_host(obj[field])
    rd = host.effective_rd(device.default_rd(obj["partition"]))
    device._check_rd(rd)
    obj[field] = host.spell(device.default_rd(obj["partition"]))
    return host


def _hook_addressed(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """Nodes, virtual addresses, snat translations: one object per address and route domain."""
    if "address" not in obj:
        obj["address"] = obj["name"]
        if t.hook == "virtual-address" and not _looks_like_address(obj["name"]):
            # f5-sdk test_virtual_address.py creates ``va-1`` with no address, and the device
            # accepts it; the address is then the unspecified one, spelled as for FQDN nodes.
            obj["address"] = "any6"
    if str(obj["address"]).partition("%")[0] in _ANY_ADDRESSES:
        return  # ``any6`` (an FQDN node's address): not an address the device indexes
    host = _spell_address(device, obj, "address")
    rd = host.effective_rd(device.default_rd(obj["partition"]))
    holder = device.store.addresses.get(device.address_key(t.family, obj["partition"], rd, host.ip))
    if holder is not None and holder != obj["fullPath"]:
        if t.family == "virtual-address":
            # One virtual address per IP and route domain on the whole device, whatever the
            # partition (F5Networks/f5-appsvcs-extension #186, #741).
            raise bad_request(
                f"0107176c:3: Invalid Virtual Address, the IP address {obj['address']} "
                "already exists."
            )
        raise already_exists(t.label, holder, holder.strip("/").split("/")[0])


#: Address families whose objects are one per IP and route domain on the whole device.
DEVICE_WIDE_ADDRESSES = frozenset({"virtual-address", "node"})

_ANY_ADDRESSES = frozenset({"any", "any6"})


def _looks_like_address(text: str) -> bool:
    ip = text.partition("%")[0]
    return bool(ip) and set(ip) <= _ADDRESS_CHARS


def _hook_db(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """``sys/db`` values are strings as tmsh prints them: JSON false is stored ``"false"``."""
    value = obj.get("value")
    if isinstance(value, bool):
        obj["value"] = "true" if value else "false"
    elif value is not None:
        obj["value"] = str(value)


def _hook_vlan_interface(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    if not obj.get("tagged"):
        obj.pop("tagged", None)
        obj["untagged"] = True
        obj["tagMode"] = "none"
    # tagged: the tag mode as given, ``none`` unless told (recorded on 13.0)


def _hook_snatpool(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """A snatpool member that names an address with no snat translation creates one, named
    after the address (f5-sdk test_snatpool.py: ``members=["192.168.101.1"]``)."""
    members = obj.get("members")
    if not isinstance(members, list):
        return
    out = []
    for member in members:
        if isinstance(member, str):
            folder, _, name = member.rpartition("/")
            part = folder.strip("/").split("/")[0] if folder else obj["partition"]
            path = f"/{part}/{name}"
            if (
                _looks_like_address(name)
                and not device.store.exists("snat-translation", path)
                and not (not folder and device.store.exists("snat-translation", f"/Common/{name}"))
            ):
                device._create(
                    BY_PATH["ltm/snat-translation"],
                    {"name": name, "partition": part, "address": name, "_auto": True},
                    None,
                )
        out.append(member)
    obj["members"] = out


def _hook_member(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    host_text, _port = addresses.split_port(obj["name"])
    obj["address"] = host_text
    host = _spell_address(device, obj, "address")
    part = obj["partition"]
    rd = host.effective_rd(device.default_rd(part))
    node_t = BY_PATH["ltm/node"]
    holder = device.store.addresses.get(device.address_key("node", part, rd, host.ip))
    if holder is None:
        # The node a member creates is named after the member's address as written.
        device._create(node_t, {"name": host_text, "partition": part, "address": host_text}, None)
        return
    own = device._find(node_t, f"/{part}/{host_text}", None)
    if own is None or own["fullPath"] != holder:
        # One node per address and route domain on the device: a member whose node would be
        # another partition's (or a differently named one) is refused, Common's included
        # (f5-ansible #823, f5-openstack-lbaasv2-driver #235; AS3's shareNodes exists for it).
        raise bad_request(
            f"0107003a:3: Pool member node (/{part}/{host_text}) and existing node "
            f"({holder}) cannot use the same IP Address ({host.ip})."
        )


def _hook_self(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    if "address" not in obj:
        raise bad_request("01070734:3: Configuration error: a self IP requires an address.")
    host, length = addresses.parse_cidr(obj["address"])
    default = device.default_rd(obj["partition"])
    device._check_rd(host.effective_rd(default))
    obj["address"] = f"{host.spell(default)}/{length}"
    if not obj.get("vlan"):
        raise bad_request("01070734:3: Configuration error: a self IP requires a VLAN.")


def _hook_virtual(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    _device_index(device, t, obj, existing, "vsIndex", first=2, step=1)
    if existing is None and "destination" not in obj:
        # A virtual created without a destination listens on any address and port in its
        # partition's route domain; its virtual address 0.0.0.0 is auto-created (f5-sdk
        # test_virtual.py, test_virtual_address.py: ``~Common~0.0.0.0``).
        obj["destination"] = f"/{obj['partition']}/0.0.0.0:0"
        obj.setdefault("mask", "any")
        if obj.get("mask") == "255.255.255.255":
            obj["mask"] = "any"
    obj_destination = obj.get("destination")
    host, port, part = device._destination(obj_destination, obj["partition"])
    default = device.default_rd(part)
    rd = host.effective_rd(default)
    device._check_rd(rd)
    if part != obj["partition"] and not device.store.exists("folder", f"/{part}"):
        raise not_found("folder", f"/{part}", 400)
    obj["destination"] = f"/{part}/{addresses.spell_host_port(host, port, default)}"
    if "source" not in obj:
        obj["source"] = f"0.0.0.0%{rd}/0" if not host.is_v6 else f"::%{rd}/0"
    src, length = addresses.parse_cidr(obj["source"])
    obj["source"] = f"{src.spell(default)}/{length}"
    if host.is_v6 and obj.get("mask") == "255.255.255.255":
        obj["mask"] = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    if device.store.addresses.get(device.address_key("virtual-address", part, rd, host.ip)) is None:
        # Named after the address as the destination writes it (``10.1.1.1%0``).
        written = addresses.split_port(str(obj_destination).rpartition("/")[2])[0]
        device._create(
            BY_PATH["ltm/virtual-address"],
            {
                "name": written,
                "partition": part,
                "address": host.spell(default),
                "autoDelete": "true",
            },
            None,
        )


def _hook_ref_child(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """A virtual's profile/policy entry is named after the object it points at. A profile
    attached without a context works on both sides (``all``), an SSL profile on its own side
    (a client-ssl profile: ``clientside``; recorded responses)."""
    if existing is not None:
        return
    family = CHILD_TARGET_FAMILY[t.path]
    name = obj["fullPath"]
    relative = name.rsplit("/", 1)[-1] if not name.startswith("/Common/") else name
    try:
        path = device._resolve(family, name, obj["partition"])
    except ApiError:
        path = device._resolve(family, relative, obj["partition"])
    part, _, base = path[1:].partition("/")
    obj.update({"name": base, "partition": part, "fullPath": path})
    if family == "profile" and "context" not in obj:
        client_ssl = device._find(BY_PATH["ltm/profile/client-ssl"], path, None) is not None
        obj["context"] = "clientside" if client_ssl else "all"


def _hook_vlan(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """A VLAN without a tag keeps the one it has, or gets the highest one free, from 4094
    downwards (recorded responses: the device assigns it; tags are device-wide). Its
    interface index is the device's too."""
    _device_index(device, t, obj, existing, "ifIndex", first=48, step=16)
    if obj.get("tag") not in (None, ""):
        return
    if existing is not None and existing.get("tag") is not None:
        obj["tag"] = existing["tag"]
        return
    taken = {v.get("tag") for v in device.items(t, None, None) if v["fullPath"] != obj["fullPath"]}
    obj["tag"] = next(tag for tag in range(4094, 0, -1) if tag not in taken)


def _device_index(
    device: Device,
    t: ResourceType,
    obj: Obj,
    existing: Obj | None,
    field: str,
    first: int,
    step: int,
) -> None:
    """A number the device gives each object of a type (``vsIndex``, ``ifIndex``), kept."""
    if existing is not None and field in existing:
        obj[field] = existing[field]
        return
    taken = {o.get(field) for o in device.items(t, None, None)}
    obj[field] = next(
        i for i in range(first, first + step * (len(taken) + 1), step) if i not in taken
    )


def _hook_policy(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """Policies under ``Drafts`` are drafts until published (TMOS 12.1+)."""
    obj["status"] = "draft" if obj.get("subPath") == "Drafts" else "published"


_HOOKS: dict[str, Callable[[Device, ResourceType, Obj, Obj | None], None]] = {
    "partition": _hook_partition,
    "folder": _hook_folder,
    "route-domain": _hook_route_domain,
    "monitor": _hook_monitor,
    "node": _hook_addressed,
    "virtual-address": _hook_addressed,
    "snat-translation": _hook_addressed,
    "member": _hook_member,
    "self": _hook_self,
    "virtual": _hook_virtual,
    "ref-child": _hook_ref_child,
    "vlan": _hook_vlan,
    "db": _hook_db,
    "vlan-interface": _hook_vlan_interface,
    "snatpool": _hook_snatpool,
    "policy": _hook_policy,
}
