"""The status page in a real headless browser: two sets, one device down, one LB in ERROR.

The daemon is a subprocess against two BIG-IP emulators (one per F5 set) and the Contrail
emulator; Debian's Chromium, driven through chromedriver by Selenium, loads the page the way
an operator would, follows the filter links and submits the filter form; a second test looks
at it at 1400 and at 400 px wide with hostile names (4,000 characters unbroken, a
right-to-left override), searches, opens a load balancer's page, and watches it refresh in
place, then reads it with script off. The runs write screenshots to build/status-page*.png;
with ``UPDATE_SCREENSHOTS=1`` to docs/ (shown in docs/STATUS_PAGE.md), so an ordinary test run
leaves the checkout clean.

Chromium comes from Debian's packages (``chromium``, ``chromium-driver``): installed with
apt-get when missing and the tests run as root; the test skips, saying why, where it cannot
be installed or started.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from tests.daemon.conftest import wait_until
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, control

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "build")
SCREENSHOT = SHOTS / "status-page.png"
WIDE, NARROW = 1400, 400
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WIDE},900",
]


def _install_chromium() -> str | None:
    """None when Chromium and its driver are there (installed now if need be), else why not."""
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "Debian's chromium and chromium-driver are not installed (and not root to apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, timeout=600)
        if done.returncode != 0:  # perhaps no package lists yet
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=300)
            done = subprocess.run(command, env=env, capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"apt-get install chromium chromium-driver failed: {exc}"
    if done.returncode != 0 or not os.path.exists(CHROMEDRIVER):
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"apt-get install chromium chromium-driver failed: {' '.join(tail)}"
    return None


def _start_browser(*extra: str) -> tuple[Any, str]:
    """Headless Chromium under chromedriver (and its profile directory), or skip saying why."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    why = _install_chromium()
    if why:
        pytest.skip(why)
    profile = tempfile.mkdtemp(prefix="status-page-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in [*CHROMIUM_ARGS, *extra, f"--user-data-dir={profile}"]:
        options.add_argument(arg)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never fetch anything
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # the browser cannot run here
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"headless Chromium does not start: {type(exc).__name__}: {exc}"[:300])
    driver.set_page_load_timeout(15)
    return driver, profile


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver, profile = _start_browser()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser_without_script() -> Iterator[Any]:
    driver, profile = _start_browser("--blink-settings=scriptEnabled=false")
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def two_devices() -> Iterator[dict[str, Any]]:
    from emulators.bigip import start

    servers = {name: start(user=DEVICE_USER, password=DEVICE_PASSWORD) for name in ("f5-a", "f5-b")}
    yield servers
    for server in servers.values():
        server.stop()


def web(
    vnc: Any,
    topo: Any,
    name: str,
    provider: str,
    protocol: str = "HTTP",
    cookie: bool = False,
    member: str = "10.2.3.1",
) -> Any:
    pool = PoolSpec(
        "ROUND_ROBIN",
        [(member, 8080, 1)],
        monitor=MonitorSpec("TCP"),
        session_persistence="HTTP_COOKIE" if cookie else None,
    )
    spec = ListenerSpec(protocol, 80, pool=pool)
    return add_load_balancer(vnc, topo, name, listeners=[spec], provider=provider)


def status(daemon: Any) -> dict[str, Any]:
    answer = daemon.get("/status.json")
    return answer.json() if answer is not None and answer.status_code == 200 else {}


def devices_in(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["worker"]: d for s in data.get("sets", ()) for d in s["devices"]}


def lbs_in(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lb["name"]: lb for lb in data.get("load_balancers", ())}


ROWS_JS = """
const rows = (sel) => [...document.querySelectorAll(sel)].map(
    r => Object.assign({text: r.innerText}, r.dataset));
return {
  url: location.href,
  title: document.title,
  refresh: (document.querySelector('meta[http-equiv="refresh"]') || {}).content,
  pause: !!document.getElementById('pause'),
  devices: rows('tr.device'),
  lbs: rows('tr.lb'),
  plans: rows('details.plan'),
  events: rows('tr.event'),
  heading: document.querySelector('#load-balancers h2').innerText,
};
"""


def screenshot(driver: Any, path: Path, width: int, tallest: int = 1300) -> None:
    """The page as shown ``width`` px wide (as tall as it is, up to ``tallest``) → ``path``."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 40, tallest))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(driver.get_screenshot_as_png())
    driver.set_window_size(width, 900)


def page(driver: Any, url: str | None = None) -> dict[str, Any]:
    """Load ``url`` (else read the page shown) and take what the tests look at in one go:
    the page refreshes itself every 5 s, well after this."""
    if url is not None:
        driver.get(url)
    return driver.execute_script(ROWS_JS)


def click(driver: Any, css: str, text: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By

    links = [a for a in driver.find_elements(By.CSS_SELECTOR, css) if a.text == text]
    assert links, f"no link {text!r} in {css}"
    before = driver.current_url
    links[0].click()
    wait_until(lambda: driver.current_url != before, timeout=10, what=f"following {text!r}")
    return page(driver)


def test_the_status_page_shows_sets_devices_errors_and_filters(
    vnc, two_devices, daemon_factory, browser
) -> None:
    started = time.monotonic()
    topo = seed_topology(vnc, sas_name=None)
    for name, server in two_devices.items():
        kv = {"address": "127.0.0.1", "port": str(server.port), "user": DEVICE_USER}
        add_appliance_set(vnc, name, {**kv, "password": DEVICE_PASSWORD})
    web(vnc, topo, "web-a", "f5-a")
    web(vnc, topo, "web-b", "f5-b")
    # cookie persistence on a TCP listener cannot be configured: ERROR, naming the field
    broken = web(vnc, topo, "broken", "f5-a", protocol="TCP", cookie=True)
    shop = seed_topology(
        vnc,
        project="shop",
        networks={"external": "10.31.0.0/16", "internal": "10.32.0.0/16"},
        sas_name=None,
    )
    web(vnc, shop, "shop-web", "f5-a", member="10.32.3.1")  # route domain 0: its own node

    daemon = daemon_factory(resync=2)
    wait_until(daemon.ready, timeout=30, what="the daemon ready")
    wait_until(
        lambda: lbs_in(status(daemon)).get("web-b", {}).get("provisioning_status") == "ACTIVE",
        what="web-b ACTIVE",
    )
    # f5-b stops answering (every request reset): the next resync finds it so
    control(two_devices["f5-b"], "faults", {"kind": "reset", "count": None, "path": "^/mgmt/"})
    wait_until(
        lambda: devices_in(status(daemon)).get("f5-b", {}).get("reachable") is False,
        timeout=20,
        what="f5-b shown unreachable",
    )

    # -- the page, as an operator sees it -------------------------------------------------
    shown = page(browser, daemon.url("/"))
    assert shown["title"] == "contrail-f5-reconciler — status"
    assert shown["refresh"] is None and shown["pause"]  # refreshed in place by its script
    devices = {d["device"]: d for d in shown["devices"]}
    assert devices["f5-b"]["reachable"] == "false" and "unreachable" in devices["f5-b"]["text"]
    assert devices["f5-a"]["reachable"] == "true" and "unreachable" not in devices["f5-a"]["text"]
    assert {d["set"] for d in shown["devices"]} == {"f5-a", "f5-b"}
    lbs = {lb["name"]: lb for lb in shown["lbs"]}
    assert set(lbs) == {"web-a", "web-b", "broken", "shop-web"}
    assert lbs["broken"]["provisioning"] == "ERROR" and lbs["broken"]["operating"] == "OFFLINE"
    assert "HTTP_COOKIE needs an HTTP listener, not TCP" in lbs["broken"]["text"]
    assert lbs["web-a"]["provisioning"] == "ACTIVE"
    assert lbs["web-b"]["provisioning"] == "ACTIVE"  # a device blip is not an ERROR
    assert "operation(s)" in lbs["web-a"]["text"]  # the last change applied (listed in JSON)
    assert {p["device"] for p in shown["plans"]} == {"f5-a", "f5-b"}
    kinds = {e["kind"] for e in shown["events"]}
    assert {"ownership", "device-up", "device-down", "lb-error", "reconcile"} <= kinds
    down = [e for e in shown["events"] if e["kind"] == "device-down"]
    assert "f5-b" in down[0]["text"]

    # the screenshot for docs/, the whole page at a width a laptop shows
    screenshot(browser, SCREENSHOT, WIDE)

    # -- filters: the links, then the form ------------------------------------------------
    page(browser, daemon.url("/"))
    errors = click(browser, "#filters .state-links a", "ERROR")
    assert "state=ERROR" in errors["url"]
    assert [lb["name"] for lb in errors["lbs"]] == ["broken"]
    assert errors["heading"].startswith("Load balancers (1 of 4)")
    assert {e["kind"] for e in errors["events"]} == {"lb-error"}
    everything = click(browser, "#filters .state-links a", "all")
    assert len(everything["lbs"]) == 4

    by_project = click(browser, "tr.lb a", "shop")  # a project in the table is a link
    assert "project=shop" in by_project["url"]
    assert [lb["name"] for lb in by_project["lbs"]] == ["shop-web"]

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page(browser, daemon.url("/"))
    Select(browser.find_element(By.ID, "filter-project")).select_by_visible_text("demo")
    Select(browser.find_element(By.ID, "filter-state")).select_by_visible_text("ACTIVE")
    before = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_until(lambda: browser.current_url != before, timeout=10)
    form = page(browser)
    assert "project=demo" in form["url"] and "state=ACTIVE" in form["url"]
    assert sorted(lb["name"] for lb in form["lbs"]) == ["web-a", "web-b"]

    # -- no secrets, in the page or its JSON ----------------------------------------------
    assert DEVICE_PASSWORD not in browser.page_source
    raw = requests.get(daemon.url("/status.json"), timeout=5).text
    assert DEVICE_PASSWORD not in raw
    data = json.loads(raw)
    assert data["replica"] and data["ready"] is False  # a device is down
    assert "HTTP_COOKIE" in lbs_in(data)["broken"]["reason"]
    applied = lbs_in(data)["web-a"]["last_change"]
    assert applied["device"] == "f5-a" and any("+ ltm/virtual " in o for o in applied["operations"])
    filtered = requests.get(daemon.url("/status.json?state=ERROR"), timeout=5).json()
    assert [lb["name"] for lb in filtered["load_balancers"]] == ["broken"]
    assert broken.loadbalancer in {lb["uuid"] for lb in filtered["load_balancers"]}
    assert time.monotonic() - started < 60


LAYOUT_JS = """
const box = (el) => el ? el.getBoundingClientRect().toJSON() : null;
const row = (name) => [...document.querySelectorAll('tr.lb')].find(r => r.dataset.name === name);
const first = document.querySelector('tr.lb');
const broken = row(arguments[0]);
return {
  inner: window.innerWidth,
  scroll: document.documentElement.scrollWidth,
  first: first && first.dataset.name,
  counts: document.getElementById('counts').innerText,
  names: [...document.querySelectorAll('tr.lb td.name a')].map(a => a.innerText),
  status: box(broken && broken.querySelector('td.status')),
  reason: box(broken && broken.querySelector('td.reason')),
  rowHeights: [...document.querySelectorAll('tr.lb')].map(r => r.getBoundingClientRect().height),
};
"""
LONG_NAME = "x" * 4000
RLO_NAME = "payroll\u202egnp.exe"


def test_the_page_is_usable_at_1400_and_400_px_searches_and_opens_a_load_balancer(
    vnc, two_devices, daemon_factory, browser, browser_without_script
) -> None:
    from selenium.webdriver.common.by import By

    topo = seed_topology(vnc, sas_name=None)
    server = two_devices["f5-a"]
    kv = {"address": "127.0.0.1", "port": str(server.port), "user": DEVICE_USER}
    add_appliance_set(vnc, "f5-a", {**kv, "password": DEVICE_PASSWORD})
    for index in range(6):
        web(vnc, topo, f"web-{index}", "f5-a", member=f"10.2.3.{index + 1}")
    web(vnc, topo, LONG_NAME, "f5-a", member="10.2.3.40")
    web(vnc, topo, RLO_NAME, "f5-a", member="10.2.3.41")
    web(vnc, topo, "zz-broken", "f5-a", protocol="TCP", cookie=True)  # ERROR, listed last
    daemon = daemon_factory(resync=2)
    wait_until(daemon.ready, timeout=30, what="the daemon ready")
    wait_until(
        lambda: (
            len([lb for lb in status(daemon).get("load_balancers", ()) if lb["last_change"]]) >= 8
        ),
        what="every load balancer applied",
    )

    for width in (WIDE, NARROW):
        browser.set_window_size(width, 900)
        browser.get(daemon.url("/"))
        layout = browser.execute_script(LAYOUT_JS, "zz-broken")
        assert layout["inner"] <= width
        # nothing wider than the window: a 4,000-character name wraps
        assert layout["scroll"] <= layout["inner"] + 1, (width, layout["scroll"])
        assert layout["first"] == "zz-broken"  # errors first
        assert "1 in ERROR" in layout["counts"]
        for cell in ("status", "reason"):  # on screen, not pushed off to the right
            assert layout[cell]["left"] >= 0 and layout[cell]["right"] <= layout["inner"] + 1
        assert "payrollgnp.exe" in layout["names"]
        assert not any("\u202e" in name for name in layout["names"])
        ordinary = [
            h
            for n, h in zip(layout["names"], layout["rowHeights"], strict=True)
            if n.startswith("web")
        ]
        if width == WIDE:  # a row a line or two high, not a uuid wrapped over four
            assert max(ordinary) < 60, ordinary
    screenshot(browser, SHOTS / "status-page-narrow.png", NARROW, tallest=1600)

    # -- search, from the form ---------------------------------------------------------------
    browser.set_window_size(WIDE, 900)
    browser.get(daemon.url("/"))
    search = browser.find_element(By.ID, "search")
    search.send_keys("web-3")
    before = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait_until(lambda: browser.current_url != before, timeout=10)
    assert "q=web-3" in browser.current_url
    assert [lb["name"] for lb in page(browser)["lbs"]] == ["web-3"]

    # -- its own page: the objects on the device as a tree -----------------------------------
    before = browser.current_url
    browser.find_element(By.LINK_TEXT, "web-3").click()
    wait_until(lambda: browser.current_url != before, timeout=10, what="the load balancer's page")
    assert "lb=" in browser.current_url
    tree = browser.execute_script(
        """
        const kinds = (el) => [...el.querySelectorAll(':scope > ul > li.object')].map(
            li => ({kind: li.dataset.kind, text: li.innerText, children: kinds(li)}));
        const device = document.querySelector('details.device-objects');
        return {name: document.querySelector('.lb-name').innerText,
                roots: device ? kinds(device) : []};
        """
    )
    assert tree["name"] == "web-3"
    virtual = next(r for r in tree["roots"] if r["kind"] == "ltm/virtual")
    (pool,) = virtual["children"]
    assert pool["kind"] == "ltm/pool"
    (member,) = pool["children"]
    assert member["kind"] == "ltm/pool/members" and "10.2.3.4" in member["text"]
    assert "ACTIVE" in member["text"]  # its session, as the device holds it
    screenshot(browser, SHOTS / "status-page-lb.png", WIDE)

    # -- refreshed in place: what was opened stays open, no reload ---------------------------
    browser.get(daemon.url("/"))
    browser.execute_script(
        "window.notReloaded = true; document.querySelector('details.plan').open = true;"
    )
    meta = "return document.querySelector('.meta').innerText"
    first = browser.execute_script(meta)  # "as of <time>" changes with every refresh
    wait_until(lambda: browser.execute_script(meta) != first, timeout=15, what="the page refreshed")
    kept = browser.execute_script(
        "return [window.notReloaded === true, document.querySelector('details.plan').open]"
    )
    assert kept == [True, True]

    # -- without script: still the whole page, and it reloads itself -------------------------
    browser_without_script.get(daemon.url("/"))
    text = browser_without_script.find_element(By.TAG_NAME, "body").text
    assert "zz-broken" in text and "1 in ERROR" in text
    refresh = browser_without_script.find_elements(By.CSS_SELECTOR, 'meta[http-equiv="refresh"]')
    assert refresh and refresh[0].get_attribute("content") == "5"
