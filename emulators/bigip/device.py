"""The configuration engine: what mcpd does with a create, modify, replace or delete.

Generic over the table in ``types.py``: identity (name, partition, fullPath), defaults,
immutable fields, reference resolution and checks, sub-collections, in-use checks, generation.
The few behaviours a table cannot express are the ``hook`` functions below: address spelling
with route domains, virtual addresses auto-created for virtuals (and auto-deleted with the last
one), nodes auto-created for pool members, monitor timing rules, folder/partition coupling.

Every public write runs atomically: if it fails half way (say the node was auto-created but the
member is then rejected) the store's journal undoes it. Callers hold ``lock`` (one writer at a
time, like mcpd); reads need no lock because stored objects are never mutated.
"""

from __future__ import annotations

import copy
import re
import threading
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
    Ref,
    ResourceType,
)

IGNORED_FIELDS = frozenset({"kind", "selfLink", "generation", "fullPath"})
IDENTITY_FIELDS = ("name", "partition", "subPath", "fullPath", "_parent")
BOOLEAN_PAIRS = (("enabled", "disabled"), ("vlansEnabled", "vlansDisabled"))
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

    def default_rd(self, partition: str) -> int:
        part = self.store.get("auth/partition", partition)
        return int(part["defaultRouteDomain"]) if part else 0

    def lookup(self, t: ResourceType, full_path: str, parent: Obj | None = None) -> Obj:
        """The object at ``full_path`` (name spelled as in the URL), or 404."""
        full_path = self._canonical_path(t, full_path)
        key: Key = (parent["fullPath"], full_path) if parent is not None else full_path
        obj = self.store.get(t.path, key)
        if obj is None:
            raise self._not_found(t, full_path, parent)
        return obj

    def items(self, t: ResourceType, partition: str | None, parent: Obj | None) -> list[Obj]:
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
        with self.atomic():
            return self._create(t, clean_body(body), parent)

    def modify(
        self, t: ResourceType, full_path: str, body: Any, replace: bool, parent: Obj | None = None
    ) -> Obj:
        with self.atomic():
            existing = self.lookup(t, full_path, parent)
            return self._modify(t, existing, clean_body(body), replace)

    def delete(self, t: ResourceType, full_path: str, parent: Obj | None = None) -> None:
        with self.atomic():
            self._delete(t, self.lookup(t, full_path, parent))

    # --- identity -----------------------------------------------------------------------

    @staticmethod
    def _key(obj: Obj) -> Key:
        parent = obj.get("_parent")
        return (parent, obj["fullPath"]) if parent is not None else obj["fullPath"]

    def _canonical_path(self, t: ResourceType, full_path: str) -> str:
        """Addresses used as names have one spelling, so both spellings find the object."""
        if t.hook not in ("member", "node", "virtual-address", "snat-translation"):
            return full_path
        folder, _, name = full_path.rpartition("/")
        partition = folder.strip("/").split("/")[0] if folder else "Common"
        try:
            return f"{folder}/{self._canonical_name(t, name, partition)}"
        except ApiError:
            return full_path

    def _canonical_name(self, t: ResourceType, name: str, partition: str) -> str:
        default = self.default_rd(partition)
        if t.hook == "member":
            host_text, port = addresses.split_port(name)
            return addresses.spell_host_port(addresses.parse_host(host_text), port, default)
        try:
            return addresses.parse_host(name).spell(default)
        except ApiError:
            return name  # nodes and virtual addresses may have non-address names

    def _identity(self, t: ResourceType, body: dict[str, Any], parent: Obj | None) -> Obj:
        name = body.pop("name", None)
        if not isinstance(name, str) or not name or any(c in name for c in " \t\n~\"'"):
            raise bad_request(f"01070022:3: The name ({name}) is invalid.")
        partition = body.pop("partition", None)
        sub_path = body.pop("subPath", None)
        if t.hook == "folder":
            parent_path = "" if sub_path in (None, "", "/") else "/" + str(sub_path).strip("/")
            if name.startswith("/"):
                parent_path, _, name = name.rstrip("/").rpartition("/")
            full = f"{parent_path}/{name}"
            return {"name": name, "subPath": parent_path or "/", "fullPath": full}
        if t.hook == "partition":
            return {"name": name.strip("/"), "fullPath": name.strip("/")}
        if name.startswith("/"):
            parts = name.strip("/").split("/")
            partition, name = parts[0], parts[-1]
            sub_path = "/".join(parts[1:-1]) or None
        if partition is None:
            partition = parent["partition"] if parent is not None else "Common"
        partition = str(partition).strip("/")
        if t.hook in ("member", "node", "virtual-address", "snat-translation"):
            name = self._canonical_name(t, name, partition)
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
        key = self._key(identity)
        if self.store.get(t.path, key) is not None:
            if t.hook == "member" and parent is not None:
                host, port = addresses.split_port(identity["name"])
                where = f"{parent['fullPath']} /{identity['partition']}/{host} {port}"
                raise already_exists(t.label, where, identity["partition"])
            raise already_exists(t.label, identity["fullPath"], identity.get("partition", "Common"))
        if t.family == "monitor" and self.store.exists("monitor", identity["fullPath"]):
            # Monitors of every type share one name space on a BIG-IP: an http monitor X and
            # a tcp monitor X cannot both exist in one partition.
            raise already_exists(t.label, identity["fullPath"], identity.get("partition", "Common"))
        if parent is None and t.hook != "partition":
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
            and stored["subPath"] == "/"
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
        if t.hook == "folder" and obj["subPath"] == "/":
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
        return self.store.addresses.get(("virtual-address", part, rd, host.ip))

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
                addr = (t.family, partition, rd, host.ip)
            elif hook == "member":
                host = addresses.parse_host(obj["address"])
                rd = host.effective_rd(self.default_rd(partition))
                refs.append(("rdid", str(rd)))
                node = self.store.addresses.get(("node", partition, rd, host.ip))
                if node is not None:
                    refs.append(("node", node))
            elif hook == "self":
                host, _ = addresses.parse_cidr(obj["address"])
                refs.append(("rdid", str(host.effective_rd(self.default_rd(partition)))))
            elif hook == "virtual":
                host, _, part = self._destination(obj.get("destination"), partition)
                rd = host.effective_rd(self.default_rd(part))
                refs.append(("rdid", str(rd)))
                va = self.store.addresses.get(("virtual-address", part, rd, host.ip))
                if va is not None:
                    refs.append(("virtual-address", va))
            elif hook == "partition":
                refs.append(("rdid", str(obj.get("defaultRouteDomain", 0))))
            elif hook == "ref-child":
                refs.append((CHILD_TARGET_FAMILY[t.path], obj["fullPath"]))
        except (ApiError, KeyError):
            pass
        return tuple(refs), addr


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
        and obj["subPath"] != "/"
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
    try:
        interval, timeout = int(obj["interval"]), int(obj["timeout"])
    except (TypeError, ValueError):
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
    host = _spell_address(device, obj, "address")
    rd = host.effective_rd(device.default_rd(obj["partition"]))
    holder = device.store.addresses.get((t.family, obj["partition"], rd, host.ip))
    if holder is not None and holder != obj["fullPath"]:
        raise already_exists(t.label, holder, obj["partition"])


def _hook_member(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    host_text, _port = addresses.split_port(obj["name"])
    obj["address"] = host_text
    host = _spell_address(device, obj, "address")
    part = obj["partition"]
    rd = host.effective_rd(device.default_rd(part))
    if device.store.addresses.get(("node", part, rd, host.ip)) is None:
        node_t = BY_PATH["ltm/node"]
        device._create(
            node_t, {"name": obj["address"], "partition": part, "address": obj["address"]}, None
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
    host, port, part = device._destination(obj.get("destination"), obj["partition"])
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
    if device.store.addresses.get(("virtual-address", part, rd, host.ip)) is None:
        device._create(
            BY_PATH["ltm/virtual-address"],
            {
                "name": host.spell(default),
                "partition": part,
                "address": host.spell(default),
                "autoDelete": "true",
            },
            None,
        )


def _hook_ref_child(device: Device, t: ResourceType, obj: Obj, existing: Obj | None) -> None:
    """A virtual's profile/policy entry is named after the object it points at."""
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
    "policy": _hook_policy,
}
