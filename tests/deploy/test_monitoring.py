"""manifests/monitoring/ (an optional kustomize Component): the PrometheusRule and the
Grafana dashboard, checked against the metrics the daemon really exports
(reconciler/daemon/metrics.py), against the base manifests, and — where promtool can be had
(on PATH, or Debian's `prometheus` package unpacked into a cache directory, root only) — by
`promtool check rules` and promtool unit tests that feed series and expect the alerts.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from reconciler.daemon.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
COMPONENT = MANIFESTS / "monitoring"
NAME_LABEL = {"app.kubernetes.io/name": "contrail-f5-reconciler"}

# Series the rules and the dashboard use that the daemon does not export yet: name → labels.
# (1 when a device answered on its worker's last attempt, else 0: /readyz's devices_reachable
# per device.) Once reconciler/daemon/metrics.py has it, it is checked like the others.
PROPOSED: dict[str, set[str]] = {}  # metrics rules may use before the daemon exports them
# Labels Prometheus adds to every series scraped through the ServiceMonitor.
TARGET_LABELS = {"namespace", "pod", "service", "endpoint", "instance", "job", "container"}
SEVERITIES = {"critical", "warning", "info"}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}


def _exported() -> dict[str, set[str]]:
    """Every series name the daemon's registry can expose, with its labels."""
    series: dict[str, set[str]] = {}
    for metric in vars(Metrics()).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        name, kind, labels = metric._name, str(metric._type), set(metric._labelnames)
        suffixes = {
            "counter": ["_total", "_created"],
            "gauge": [""],
            "histogram": ["_bucket", "_count", "_sum", "_created"],
        }[kind]
        for suffix in suffixes:
            series[name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return series


EXPORTED = _exported()
KNOWN = {**EXPORTED, **PROPOSED}


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


COMPONENT_KUSTOMIZATION = _load(COMPONENT / "kustomization.yaml")[0]
(RULE,) = _load(COMPONENT / "prometheusrule.yaml")
RULES = [rule for group in RULE["spec"]["groups"] for rule in group["rules"]]
DASHBOARD = json.loads((COMPONENT / "grafana-dashboard.json").read_text())


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


PANELS = list(_panels(DASHBOARD["panels"]))
EXPRESSIONS = [
    (panel["title"], target["expr"]) for panel in PANELS for target in panel.get("targets", [])
]


def _series_in(expr: str) -> set[str]:
    """The series names an expression selects (functions, keywords and labels left out)."""
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    words = re.findall(r"(?<![\w.$])([a-zA-Z_:][\w:]*)\b(?!\s*\()", text)
    return {word for word in words if word not in PROMQL_KEYWORDS}


def _labels_in(expr: str) -> set[str]:
    labels: set[str] = set()
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        labels |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    for grouping in re.findall(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr
    ):
        labels |= {word.strip() for word in grouping.split(",") if word.strip()}
    return labels


def _by_labels(expr: str) -> set[str] | None:
    groups = re.findall(r"\bby\s*\(([^)]*)\)", expr)
    if not groups:
        return None
    return {word.strip() for group in groups for word in group.split(",") if word.strip()}


def _check_expr(where: str, expr: str) -> None:
    series = _series_in(expr)
    assert series, f"{where}: no contrail_f5_ series in {expr!r}"
    unknown = series - set(KNOWN)
    assert not unknown, f"{where}: {sorted(unknown)} are not metrics of the daemon: {expr!r}"
    allowed = TARGET_LABELS.union(*(KNOWN[name] for name in series))
    stray = _labels_in(expr) - allowed
    assert not stray, f"{where}: labels {sorted(stray)} are on none of {sorted(series)}"


# --- the component ---------------------------------------------------------------------------


def test_the_component_lists_its_files_and_stays_out_of_the_base() -> None:
    assert COMPONENT_KUSTOMIZATION["apiVersion"] == "kustomize.config.k8s.io/v1alpha1"
    assert COMPONENT_KUSTOMIZATION["kind"] == "Component"
    listed = set(COMPONENT_KUSTOMIZATION["resources"])
    for generator in COMPONENT_KUSTOMIZATION["configMapGenerator"]:
        listed |= set(generator["files"])
    on_disk = {p.name for p in COMPONENT.iterdir()} - {"kustomization.yaml"}
    assert listed == on_disk
    # The base deploys without the PrometheusRule CRD or Grafana: the component is opt-in.
    base = _load(MANIFESTS / "kustomization.yaml")[0]
    assert "monitoring" not in base.get("resources", [])
    assert "monitoring" not in base.get("components", [])


def test_the_dashboard_configmap_is_found_by_grafanas_sidecar() -> None:
    (generator,) = COMPONENT_KUSTOMIZATION["configMapGenerator"]
    assert generator["files"] == ["grafana-dashboard.json"]
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"
    assert NAME_LABEL.items() <= generator["options"]["labels"].items()
    assert generator["options"]["disableNameSuffixHash"] is True


# --- the PrometheusRule ----------------------------------------------------------------------


def test_prometheus_rule_is_a_well_formed_resource_of_the_namespace() -> None:
    assert (RULE["apiVersion"], RULE["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    meta = RULE["metadata"]
    assert meta["namespace"] == "contrail"
    assert NAME_LABEL.items() <= meta["labels"].items()
    assert set(RULE["spec"]) == {"groups"}
    names = [group["name"] for group in RULE["spec"]["groups"]]
    assert len(names) == len(set(names))
    alerts = [rule["alert"] for rule in RULES]
    assert len(alerts) == len(set(alerts))
    assert {
        "ContrailF5LoadBalancersInError",
        "ContrailF5DeviceUnreachable",
        "ContrailF5NoSuccessfulSync",
        "ContrailF5WorkQueueGrowing",
    } <= set(alerts)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["alert"])
def test_alert_has_the_fields_alertmanager_routes_on(rule: dict[str, Any]) -> None:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
    assert isinstance(rule["expr"], str) and rule["expr"].strip()
    assert DURATION.match(rule["for"]), rule["for"]
    assert rule["labels"]["severity"] in SEVERITIES
    assert {"summary", "description"} <= set(rule["annotations"])


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["alert"])
def test_alert_expression_uses_the_daemons_metrics_and_their_labels(rule: dict[str, Any]) -> None:
    _check_expr(rule["alert"], rule["expr"])
    # what the annotations name must survive the expression's aggregation
    used = set()
    for text in rule["annotations"].values():
        used |= set(re.findall(r"\$labels\.(\w+)", text))
    by = _by_labels(rule["expr"])
    if by is not None:
        assert used <= by, f"{rule['alert']}: annotations use {used - by}, aggregated away"
    else:
        series = _series_in(rule["expr"])
        assert used <= TARGET_LABELS.union(*(KNOWN[name] for name in series))


def test_no_sync_alert_waits_three_resync_intervals_of_the_configmap() -> None:
    (rule,) = [r for r in RULES if r["alert"] == "ContrailF5NoSuccessfulSync"]
    match = re.search(r">\s*(\d+)\s*\*\s*(\d+)\s*$", rule["expr"].strip())
    assert match, rule["expr"]
    (configmap,) = _load(MANIFESTS / "configmap.yaml")
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(configmap["data"]["contrail-f5-reconciler.conf"])
    assert int(match.group(2)) == int(ini["DEFAULTS"]["resync_interval"])
    assert int(match.group(1)) >= 2


def test_proposed_metrics_are_the_only_ones_the_daemon_lacks() -> None:
    used = set()
    for rule in RULES:
        used |= _series_in(rule["expr"])
    for _, expr in EXPRESSIONS:
        used |= _series_in(expr)
    assert used - set(EXPORTED) <= set(PROPOSED)


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_is_importable() -> None:
    assert DASHBOARD["uid"] and DASHBOARD["title"]
    assert isinstance(DASHBOARD["schemaVersion"], int)
    ids = [panel["id"] for panel in PANELS]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in PANELS:
        grid = panel["gridPos"]
        assert {"x", "y", "w", "h"} <= set(grid) and grid["x"] + grid["w"] <= 24, panel["title"]
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"


@pytest.mark.parametrize(("title", "expr"), EXPRESSIONS, ids=[t for t, _ in EXPRESSIONS])
def test_dashboard_panel_queries_the_daemons_metrics(title: str, expr: str) -> None:
    _check_expr(title, expr)
    variables = {v["name"] for v in DASHBOARD["templating"]["list"]}
    for name in re.findall(r"\$\{?(\w+)", expr):
        assert name in variables or name.startswith("__"), f"{title}: ${name} is not defined"


def test_every_query_panel_uses_the_datasource_variable() -> None:
    for panel in PANELS:
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target.get("datasource", panel["datasource"])["uid"] == "${datasource}"


# --- promtool --------------------------------------------------------------------------------

PROMTOOL_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "contrail-f5-reconciler/prometheus"
)


def _promtool() -> str | None:
    found = shutil.which("promtool")
    if found:
        return found
    cached = PROMTOOL_CACHE / "usr" / "bin" / "promtool"
    if cached.exists():
        return str(cached)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    # Only the binary: unpacking Debian's package installs no service and needs no deps.
    with tempfile.TemporaryDirectory() as tmp:
        fetched = subprocess.run(
            ["apt-get", "download", "prometheus"], cwd=tmp, capture_output=True, timeout=300
        )
        debs = list(Path(tmp).glob("prometheus_*.deb"))
        if fetched.returncode != 0 or not debs:
            return None
        PROMTOOL_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(PROMTOOL_CACHE)], check=True)
    return str(cached) if cached.exists() else None


@pytest.fixture(scope="module")
def promtool() -> str:
    found = _promtool()
    if not found:
        pytest.skip("no promtool: on PATH, nor Debian's `prometheus` package to unpack (root)")
    return found


@pytest.mark.slow  # a subprocess (and, the first time, a package download)
def test_promtool_checks_the_rules(promtool: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(RULE["spec"]))
    checked = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def _series(name: str, values: str, **labels: str) -> dict[str, str]:
    matchers = ",".join(f'{k}="{v}"' for k, v in {"namespace": "contrail", **labels}.items())
    return {"series": f"{name}{{{matchers}}}", "values": values}


def _fires(alert: str, at: str, *expected: dict[str, str]) -> dict[str, Any]:
    return {
        "eval_time": at,
        "alertname": alert,
        "exp_alerts": [{"exp_labels": e} for e in expected],
    }


# Each alert fed series that must make it fire, and series that must not.
UNIT_TESTS = [
    {  # two load balancers in error from minute 2 on; another replica has none
        "input_series": [
            _series("contrail_f5_load_balancers_in_error", "0 0 2x60", pod="a"),
            _series("contrail_f5_load_balancers_in_error", "0x60", pod="b"),
        ],
        "alert_rule_test": [
            _fires("ContrailF5LoadBalancersInError", "10m"),
            _fires(
                "ContrailF5LoadBalancersInError",
                "20m",
                {"namespace": "contrail", "severity": "warning"},
            ),
        ],
    },
    {  # bigip-b down; bigip-a moved from replica a (last said 0) to b, which reaches it
        "input_series": [
            _series("contrail_f5_device_up", "0x60", pod="a", device="bigip-a"),
            _series("contrail_f5_device_up", "1x60", pod="b", device="bigip-a"),
            _series("contrail_f5_device_up", "1 1 0x60", pod="b", device="bigip-b"),
        ],
        "alert_rule_test": [
            _fires("ContrailF5DeviceUnreachable", "4m"),
            _fires(
                "ContrailF5DeviceUnreachable",
                "10m",
                {"namespace": "contrail", "device": "bigip-b", "severity": "critical"},
            ),
        ],
    },
    {  # bigip-a refuses the password from minute 2 on; bigip-b accepts it again at minute 3
        "input_series": [
            _series("contrail_f5_device_login_refused", "0 0 1x60", pod="a", device="bigip-a"),
            _series("contrail_f5_device_login_refused", "1 1 1 0x60", pod="a", device="bigip-b"),
        ],
        "alert_rule_test": [
            _fires("ContrailF5DeviceLoginRefused", "4m"),
            _fires(
                "ContrailF5DeviceLoginRefused",
                "10m",
                {"namespace": "contrail", "device": "bigip-a", "severity": "critical"},
            ),
        ],
    },
    {  # "fresh" syncs every minute (on replica b, after a stale report of a);
        # "stuck" converged last at 300 s: 3 intervals late at 480 s, firing 5m later
        "input_series": [
            _series(
                "contrail_f5_last_successful_sync_timestamp_seconds",
                "0+60x60",
                pod="b",
                device="fresh",
            ),  # noqa: E501
            _series(
                "contrail_f5_last_successful_sync_timestamp_seconds",
                "0x60",
                pod="a",
                device="fresh",
            ),  # noqa: E501
            _series(
                "contrail_f5_last_successful_sync_timestamp_seconds",
                "0+60x5 300x55",
                pod="b",
                device="stuck",
            ),  # noqa: E501
        ],
        "alert_rule_test": [
            _fires("ContrailF5NoSuccessfulSync", "10m"),
            _fires(
                "ContrailF5NoSuccessfulSync",
                "15m",
                {"namespace": "contrail", "device": "stuck", "severity": "warning"},
            ),
        ],
    },
    {  # device queue grows by one key a minute; the contrail queue holds three, steadily
        "input_series": [
            _series("contrail_f5_workqueue_depth", "1+1x60", pod="a", queue="bigip-a"),
            _series("contrail_f5_workqueue_depth", "3x60", pod="a", queue="contrail"),
            _series("contrail_f5_workqueue_depth", "0x60", pod="a", queue="bigip-b"),
        ],
        "alert_rule_test": [
            _fires("ContrailF5WorkQueueGrowing", "5m"),
            _fires(
                "ContrailF5WorkQueueGrowing",
                "20m",
                {"namespace": "contrail", "pod": "a", "queue": "bigip-a", "severity": "warning"},
            ),
        ],
    },
    {  # replica a's reads all fail; replica b's fail sometimes but also succeed
        "input_series": [
            _series(
                "contrail_f5_contrail_reads_total", "0+2x60", pod="a", scope="full", result="error"
            ),  # noqa: E501
            _series("contrail_f5_contrail_reads_total", "5x60", pod="a", scope="full", result="ok"),  # noqa: E501
            _series(
                "contrail_f5_contrail_reads_total", "0+1x60", pod="b", scope="full", result="error"
            ),  # noqa: E501
            _series(
                "contrail_f5_contrail_reads_total", "0+1x60", pod="b", scope="full", result="ok"
            ),  # noqa: E501
        ],
        "alert_rule_test": [
            _fires("ContrailF5ContrailReadsFailing", "5m"),
            _fires(
                "ContrailF5ContrailReadsFailing",
                "25m",
                {"namespace": "contrail", "pod": "a", "severity": "warning"},
            ),
        ],
    },
]


def test_every_alert_has_a_unit_test() -> None:
    tested = {t["alertname"] for case in UNIT_TESTS for t in case["alert_rule_test"]}
    assert tested == {rule["alert"] for rule in RULES}


@pytest.mark.slow  # a subprocess (and, the first time, a package download)
def test_promtool_unit_tests_fire_the_alerts_when_they_should(
    promtool: str, tmp_path: Path
) -> None:
    # Annotations are checked by `promtool check rules` (templates); here only when and with
    # which labels each alert fires, so they are left out of the copy under test.
    spec = json.loads(json.dumps(RULE["spec"]))
    for group in spec["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", **case} for case in UNIT_TESTS],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    ran = subprocess.run(
        [promtool, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True
    )
    assert ran.returncode == 0, ran.stdout.decode() + ran.stderr.decode()
