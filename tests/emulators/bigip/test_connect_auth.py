"""ManagementRoot connects with Basic and token auth; tokens expire and are limited per user."""

from __future__ import annotations

import pytest
import requests
from f5.bigip import ManagementRoot
from icontrol.exceptions import iControlUnexpectedHTTPError

from tests.emulators.bigip.conftest import control, raw


def test_basic_auth_reports_version(server):
    mgmt = ManagementRoot("127.0.0.1", "admin", "admin", port=server.port)
    assert mgmt.tmos_version == "13.1.1"
    assert mgmt.tm.ltm.pools.get_collection() == []


def test_token_auth_works_and_login_is_counted(server):
    mgmt = ManagementRoot("127.0.0.1", "admin", "admin", port=server.port, token=True)
    mgmt.tm.ltm.pools.pool.create(name="p1", partition="Common")
    assert mgmt.tm.ltm.pools.pool.exists(name="p1", partition="Common")
    assert control(server, "tokens", method="GET")["live"] == {"admin": 1}


def test_wrong_password_is_401_with_restjavad_body(server):
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        ManagementRoot("127.0.0.1", "admin", "wrong", port=server.port)
    body = err.value.response.json()
    assert err.value.response.status_code == 401
    assert body["kind"] == ":resterrorresponse"
    assert "referer" in body and "restOperationId" in body


def test_no_credentials_is_401(server):
    response = raw(server, "GET", "/mgmt/tm/ltm/pool", auth=None)
    assert response.status_code == 401
    assert "no user authentication header or token" in response.json()["message"]


def test_expired_token_is_refused(server):
    login = raw(
        server,
        "POST",
        "/mgmt/shared/authn/login",
        auth=None,
        json={"username": "admin", "password": "admin", "loginProviderName": "tmos"},
    )
    token = login.json()["token"]
    assert token["timeout"] == 1200
    assert token["expirationMicros"] > token["lastUpdateMicros"]
    headers = {"X-F5-Auth-Token": token["token"]}
    assert raw(server, "GET", "/mgmt/tm/ltm/pool", auth=None, headers=headers).status_code == 200
    assert control(server, "tokens/expire", {})["expired"] == 1
    refused = raw(server, "GET", "/mgmt/tm/ltm/pool", auth=None, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["kind"] == ":resterrorresponse"


def test_hundred_and_first_token_is_refused(server):
    body = {"username": "admin", "password": "admin", "loginProviderName": "tmos"}
    with requests.Session() as session:
        for _ in range(100):
            ok = session.post(f"{server.url}/mgmt/shared/authn/login", json=body, verify=False)
            assert ok.status_code == 200
        refused = session.post(f"{server.url}/mgmt/shared/authn/login", json=body, verify=False)
    assert refused.status_code == 400
    assert "maximum active login tokens" in refused.json()["message"]
    control(server, "tokens/expire", {})
    again = raw(server, "POST", "/mgmt/shared/authn/login", json=body)
    assert again.status_code == 200


def test_token_can_be_deleted(server):
    body = {"username": "admin", "password": "admin", "loginProviderName": "tmos"}
    token = raw(server, "POST", "/mgmt/shared/authn/login", json=body).json()["token"]["token"]
    assert raw(server, "DELETE", f"/mgmt/shared/authz/tokens/{token}").status_code == 200
    headers = {"X-F5-Auth-Token": token}
    assert raw(server, "GET", "/mgmt/tm/sys", auth=None, headers=headers).status_code == 401
