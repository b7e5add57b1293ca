"""manifests/ and the Dockerfile, checked offline: what `kubectl apply -k manifests/` or a
running pod would get wrong.

Built-in kinds are validated against the Kubernetes OpenAPI schemas bundled with
kubernetes-validate (strict: unknown fields are errors, as `kubectl apply` reports them); the
ServiceMonitor, a CRD it has no schema for, is checked by hand. Then the cross references
between the files, the INI through the product's own loader, and the Dockerfile against the
Deployment.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from reconciler import config as reconciler_config

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
DOCKERFILE = ROOT / "Dockerfile"
KUBERNETES_VERSION = "1.30"
NAMESPACE = "contrail"
NAME_LABEL = {"app.kubernetes.io/name": "contrail-f5-reconciler"}
INI_KEY = "contrail-f5-reconciler.conf"
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
CLUSTER_SCOPED = {"Namespace"}


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


KUSTOMIZATION = _load(MANIFESTS / "kustomization.yaml")[0]
DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    (str(name), doc)
    for name in KUSTOMIZATION.get("resources", [])
    if (MANIFESTS / name).is_file()
    for doc in _load(MANIFESTS / name)
]


def _one(kind: str) -> dict[str, Any]:
    found = [doc for _, doc in DOCUMENTS if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} in manifests/, found {len(found)}"
    return found[0]


def _pod_spec() -> dict[str, Any]:
    return _one("Deployment")["spec"]["template"]["spec"]


def _container() -> dict[str, Any]:
    containers = _pod_spec()["containers"]
    assert len(containers) == 1
    return containers[0]


def _ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(_one("ConfigMap")["data"][INI_KEY])
    return parser


def _volume(name: str) -> dict[str, Any]:
    (volume,) = [v for v in _pod_spec()["volumes"] if v["name"] == name]
    return volume


def _mounts_of(predicate: Any) -> list[dict[str, Any]]:
    names = {v["name"] for v in _pod_spec()["volumes"] if predicate(v)}
    return [m for m in _container()["volumeMounts"] if m["name"] in names]


def _secret_mount_path() -> PurePosixPath:
    secret_name = _one("Secret")["metadata"]["name"]
    (mount,) = _mounts_of(lambda v: v.get("secret", {}).get("secretName") == secret_name)
    return PurePosixPath(mount["mountPath"])


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked here"
    match = selector.get("matchLabels", {})
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def _http_listen_port() -> int:
    listen = _ini()["DEFAULTS"]["http_listen"]
    return int(listen.rpartition(":")[2])


def _cli_flags() -> set[str]:
    from reconciler.cli import build_parser

    return {flag for action in build_parser()._actions for flag in action.option_strings}


# --- kustomization -------------------------------------------------------------------------


def test_kustomization_lists_exactly_the_files_in_manifests() -> None:
    listed = KUSTOMIZATION["resources"]
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    missing = [name for name in listed if not (MANIFESTS / name).is_file()]
    assert not missing, f"kustomization.yaml lists files that do not exist: {missing}"
    on_disk = {p.name for p in MANIFESTS.iterdir() if p.suffix in (".yaml", ".yml")}
    unlisted = on_disk - set(listed) - {"kustomization.yaml"}
    assert not unlisted, f"files in manifests/ that kubectl apply -k would skip: {unlisted}"


def test_every_resource_is_in_the_contrail_namespace_with_the_common_label() -> None:
    assert KUSTOMIZATION["namespace"] == NAMESPACE
    assert _one("Namespace")["metadata"]["name"] == NAMESPACE
    for name, doc in DOCUMENTS:
        meta = doc["metadata"]
        if doc["kind"] not in CLUSTER_SCOPED:
            assert meta.get("namespace", NAMESPACE) == NAMESPACE, name
        if doc["kind"] != "Namespace":
            assert NAME_LABEL.items() <= meta.get("labels", {}).items(), name


def test_one_of_each_kind_the_deployment_needs() -> None:
    kinds = sorted(doc["kind"] for _, doc in DOCUMENTS)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Namespace",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount",
            "ServiceMonitor",
        ]
    )


# --- schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [doc for _, doc in DOCUMENTS if (doc["apiVersion"], doc["kind"]) not in CRD_KINDS],
    ids=lambda doc: f"{doc['kind']}/{doc['metadata']['name']}",
)
def test_builtin_kinds_validate_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    # SchemaNotFoundError (a misspelt apiVersion or kind) fails the test too.
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(part) for part in exc.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


def test_service_monitor_scrapes_metrics_on_the_services_http_port() -> None:
    monitor = _one("ServiceMonitor")
    service = _one("Service")
    assert (monitor["apiVersion"], monitor["kind"]) in CRD_KINDS
    assert set(monitor["spec"]) <= {"selector", "endpoints", "namespaceSelector", "jobLabel"}
    assert _selects(monitor["spec"]["selector"], service["metadata"]["labels"])
    namespaces = monitor["spec"].get("namespaceSelector", {}).get("matchNames", [NAMESPACE])
    assert NAMESPACE in namespaces
    port_names = {p["name"] for p in service["spec"]["ports"]}
    endpoints = monitor["spec"]["endpoints"]
    assert endpoints
    for endpoint in endpoints:
        assert endpoint["port"] in port_names
        assert endpoint.get("path", "/metrics") == "/metrics"


def test_service_monitor_sends_the_bearer_token_the_daemon_reads() -> None:
    """The page, status.json and /metrics need a token: Prometheus sends the one the daemon
    reads (http_token_file names a key of the mounted Secret; the ServiceMonitor that key)."""
    secret = _one("Secret")
    token_file = PurePosixPath(_ini()["DEFAULTS"]["http_token_file"].strip())
    assert _ini()["DEFAULTS"].get("http_auth", "token").strip() == "token"
    for endpoint in _one("ServiceMonitor")["spec"]["endpoints"]:
        authorization = endpoint["authorization"]
        assert authorization.get("type", "Bearer") == "Bearer"
        credentials = authorization["credentials"]
        assert credentials["name"] == secret["metadata"]["name"]
        assert credentials["key"] == token_file.name in secret["stringData"]


def test_network_policy_admits_only_prometheus_to_the_http_port() -> None:
    policy = _one("NetworkPolicy")["spec"]
    pod_labels = _one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert _selects(policy["podSelector"], pod_labels)
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    assert rule["from"], "an empty from admits every source"
    for source in rule["from"]:
        assert "ipBlock" not in source
        assert source["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
        assert source["namespaceSelector"]["matchLabels"]
    container_ports = {p["name"] for p in _container()["ports"]}
    assert [p["port"] for p in rule["ports"]] == ["http"] and "http" in container_ports


def test_the_deployment_does_not_open_the_page_without_a_token() -> None:
    text = _one("ConfigMap")["data"][INI_KEY]
    assert not re.search(r"^\s*http_auth\s*=\s*none", text, re.MULTILINE)


# --- cross references ----------------------------------------------------------------------


def test_deployment_selector_matches_its_pod_template() -> None:
    deployment = _one("Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"], pod_labels)


@pytest.mark.parametrize("kind", ["Service", "PodDisruptionBudget"])
def test_selects_the_reconciler_pods(kind: str) -> None:
    doc = _one(kind)
    pod_labels = _one("Deployment")["spec"]["template"]["metadata"]["labels"]
    selector = doc["spec"]["selector"]
    if kind == "Service":
        selector = {"matchLabels": selector}
    assert _selects(selector, pod_labels)


def test_service_target_port_is_the_containers_http_port() -> None:
    container_ports = {p["name"]: p["containerPort"] for p in _container()["ports"]}
    (port,) = _one("Service")["spec"]["ports"]
    assert port["name"] == "http"
    assert port["targetPort"] in container_ports
    assert port["port"] == container_ports[port["targetPort"]] == 9180


@pytest.mark.parametrize(
    ("probe", "path"), [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]
)
def test_probe_reaches_the_health_server(probe: str, path: str) -> None:
    container = _container()
    get = container[probe]["httpGet"]
    assert get["path"] == path
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    port = ports[get["port"]] if isinstance(get["port"], str) else get["port"]
    # The probes have a port of their own, answered by a process of their own (probe_listen).
    probe_listen = _ini()["DEFAULTS"]["probe_listen"]
    assert port == int(probe_listen.rpartition(":")[2]) != _http_listen_port()
    # The kubelet probes the pod IP: 127.0.0.1 (the loader's default) would fail every probe.
    host = probe_listen.rpartition(":")[0]
    assert host in ("0.0.0.0", "[::]", "::", "")


def test_configmap_secret_and_service_account_the_deployment_names_exist() -> None:
    spec = _pod_spec()
    names = {(doc["kind"], doc["metadata"]["name"]) for _, doc in DOCUMENTS}
    assert ("ServiceAccount", spec["serviceAccountName"]) in names
    for volume in spec["volumes"]:
        if "configMap" in volume:
            assert ("ConfigMap", volume["configMap"]["name"]) in names
        if "secret" in volume and not volume["secret"].get("optional", False):
            assert ("Secret", volume["secret"]["secretName"]) in names
    mounted = {m["name"] for m in _container()["volumeMounts"]}
    assert mounted == {v["name"] for v in spec["volumes"]}


def test_no_kubernetes_api_token_is_mounted() -> None:
    assert _one("ServiceAccount")["automountServiceAccountToken"] is False
    assert _pod_spec()["automountServiceAccountToken"] is False


def test_the_command_reads_the_ini_the_configmap_mounts() -> None:
    command = _container()["command"]
    assert command[0] == "reconcile"
    assert "--config" in _cli_flags(), "reconciler/cli.py has no --config flag"
    config_path = command[command.index("--config") + 1]
    (mount,) = _mounts_of(lambda v: "configMap" in v)
    assert mount["mountPath"] == config_path
    assert mount["subPath"] == INI_KEY
    assert INI_KEY in _one("ConfigMap")["data"]


def test_every_file_key_in_the_ini_names_a_key_of_the_mounted_secret() -> None:
    secret = _one("Secret")
    keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    mount = _secret_mount_path()
    parser = _ini()
    file_keys = [
        (section, key, value)
        for section in parser.sections()
        for key, value in parser[section].items()
        if key.endswith("_file")
    ]
    assert {key for _, key, _ in file_keys} >= {
        "auth_token_file",
        "rabbit_password_file",
        "device_password_file",
        "http_token_file",
    }
    for section, key, value in file_keys:
        path = PurePosixPath(value.strip())
        assert path.parent == mount, f"[{section}] {key} = {value} is not under {mount}"
        assert path.name in keys, f"[{section}] {key}: the Secret has no key {path.name!r}"
    for section in parser.sections():
        for key in ("auth_token", "rabbit_password", "device_password", "http_token", "password"):
            assert key not in parser[section], f"[{section}] {key} inline: use {key}_file"


def test_secret_holds_only_placeholders() -> None:
    secret = _one("Secret")
    assert secret["type"] == "Opaque"
    assert "data" not in secret
    assert secret["stringData"]
    assert set(secret["stringData"].values()) == {"REPLACE-ME"}


def test_secrets_are_readable_by_the_non_root_user_and_read_only() -> None:
    assert (
        _pod_spec()["securityContext"]["fsGroup"] == _container()["securityContext"]["runAsGroup"]
    )
    for name in ("secrets", "certificates"):
        assert _volume(name)["secret"]["defaultMode"] == 0o440
    for mount in _mounts_of(lambda v: "secret" in v or "configMap" in v):
        assert mount.get("readOnly") is True, mount["name"]


def test_tls_certificate_dir_is_the_optional_certificates_secret() -> None:
    certificates = _volume("certificates")["secret"]
    assert certificates == {
        "secretName": "contrail-f5-reconciler-certificates",
        "optional": True,
        "defaultMode": 0o440,
    }
    (mount,) = [m for m in _container()["volumeMounts"] if m["name"] == "certificates"]
    assert _ini()["DEFAULTS"]["tls_certificate_dir"] == mount["mountPath"]


def test_three_coordinated_replicas_replaced_one_at_a_time() -> None:
    spec = _one("Deployment")["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 1
    # Without ZooKeeper every replica would own every set and they would fight.
    assert _ini()["DEFAULTS"].get("zk_server_ip", "").strip()
    pdb = _one("PodDisruptionBudget")["spec"]
    assert pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable") == 2
    anti = _pod_spec()["affinity"]["podAntiAffinity"]
    (term,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    pod_labels = _one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert _selects(term["podAffinityTerm"]["labelSelector"], pod_labels)
    assert _pod_spec()["terminationGracePeriodSeconds"] == 30


def test_replica_id_is_the_pod_name() -> None:
    env = {e["name"]: e for e in _container()["env"]}
    replica = env["CONTRAIL_F5_REPLICA_ID"]
    assert replica["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_runs_non_root_on_a_read_only_root_filesystem() -> None:
    pod = _pod_spec()["securityContext"]
    container = _container()["securityContext"]
    assert pod["runAsNonRoot"] is True and container["runAsNonRoot"] is True
    assert container["runAsUser"] == pod["runAsUser"] != 0
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    assert "add" not in container["capabilities"]
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    tmp = [m for m in _container()["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert len(tmp) == 1 and "emptyDir" in _volume(tmp[0]["name"])


def test_resources_request_cpu_and_memory_and_limit_memory() -> None:
    resources = _container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_image_tag_is_the_package_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _container()["image"] == f"contrail-f5-reconciler:{version}"


# --- the INI through the product's loader --------------------------------------------------


def test_configmap_ini_loads_through_the_reconcilers_own_loader(tmp_path: Path) -> None:
    secret = _one("Secret")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for key in secret["stringData"]:
        (secrets_dir / key).write_text(f"dummy-{key}\n")
    text = _one("ConfigMap")["data"][INI_KEY]
    text = text.replace(f"{_secret_mount_path()}/", f"{secrets_dir}/")
    ini = tmp_path / INI_KEY
    ini.write_text(text)
    # The environment the Deployment gives the container, with the downward API filled in.
    pod_name = "contrail-f5-reconciler-6d9f7c8b5-x2x7q"
    environ = {}
    for entry in _container().get("env", []):
        if "value" in entry:
            environ[entry["name"]] = entry["value"]
        else:
            assert entry["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
            environ[entry["name"]] = pod_name

    config = reconciler_config.load(ini, environ=environ)

    assert config.http_listen == "0.0.0.0:9180" and config.probe_listen == "0.0.0.0:9181"
    assert config.auth_token is not None and config.auth_token.reveal() == "dummy-auth_token"
    assert config.rabbit_password.reveal() == "dummy-rabbit_password"
    assert config.device_password.reveal() == "dummy-device_password"
    assert config.http_auth == "token" and config.http_token is not None
    assert config.http_token.reveal() == "dummy-http_token"
    assert config.replica_id == pod_name
    assert len(config.zk_server_ip.split(",")) == 3
    assert config.tls_certificate_dir == "/etc/contrail/certificates"
    assert [rule.sas for rule in config.claims] == ["f5"]


# --- Dockerfile ----------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        op, _, args = whole.partition(" ")
        instructions.append((op.upper(), args.strip()))
    assert not pending, "Dockerfile ends in a continuation line"
    return instructions


def _last(op: str) -> str:
    found = [args for name, args in _dockerfile() if name == op]
    assert found, f"Dockerfile has no {op}"
    return found[-1]


def test_dockerfile_base_image_is_python_slim_within_requires_python() -> None:
    base = _last("FROM").split()[0]
    match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-\w+)?", base)
    assert match, f"base image {base!r} is not python:<version>-slim"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(f"{match.group(1)}.0"), (base, requires)


def test_dockerfile_user_is_numeric_non_root_and_the_deployments() -> None:
    user = _last("USER")
    uid = user.split(":")[0]
    assert uid.isdigit(), f"USER {user}: Kubernetes checks runAsNonRoot only on numeric uids"
    assert int(uid) != 0
    assert int(uid) == _container()["securityContext"]["runAsUser"]


def test_dockerfile_installs_the_package_with_pip_without_extras() -> None:
    installs = [args for op, args in _dockerfile() if op == "RUN" and "pip install" in args]
    assert len(installs) == 1
    words = shlex.split(installs[0].split("&&")[0])
    assert words[words.index("install") + 1 :][-1] == "."
    assert "-e" not in words and "--editable" not in words
    copied = " ".join(args for op, args in _dockerfile() if op == "COPY").split()
    for needed in ("pyproject.toml", "README.md", "reconciler/", "emulators/"):
        assert needed in copied
        assert (ROOT / needed).exists()


def test_dockerfile_command_is_the_deployments() -> None:
    entrypoint = json.loads(_last("ENTRYPOINT"))
    cmd = json.loads(_last("CMD"))
    assert entrypoint + cmd == _container()["command"]
