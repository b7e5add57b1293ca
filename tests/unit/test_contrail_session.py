"""The Contrail client reads proxies and the CA bundle from the environment once, when its
session is made, and then honours them on every request without looking again."""

from __future__ import annotations

import pytest
import requests

from reconciler.contrail.connect import read_environment_once


def test_the_environment_proxy_is_kept_and_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = requests.Session()
    read_environment_once(session, "http://10.0.0.5:8082/")
    assert session.proxies.get("http") == "http://proxy.example:3128"
    assert session.trust_env is False  # no environment lookups per request from here on
    monkeypatch.setenv("HTTP_PROXY", "http://other.example:3128")
    read_environment_once(session, "http://10.0.0.5:8082/")
    assert session.proxies.get("http") == "http://proxy.example:3128"


def test_no_proxy_for_the_api_server_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "10.0.0.5")
    session = requests.Session()
    read_environment_once(session, "http://10.0.0.5:8082/")
    assert "http" not in session.proxies


def test_a_ca_bundle_applies_to_https_only(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    secure, plain = requests.Session(), requests.Session()
    read_environment_once(secure, "https://10.0.0.5:8082/")
    read_environment_once(plain, "http://10.0.0.5:8082/")
    assert secure.verify == str(bundle)
    assert plain.verify is True
