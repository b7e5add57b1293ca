"""Secrets are redacted by value in every form text can carry them: raw, JSON-escaped,
repr, URL-encoded — in log lines, plans and the CLI's messages alike."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from reconciler import logs, redaction
from reconciler.cli import main

PASSWORD = 'p"w\\ürd/?&= x-41'  # quote, backslash, non-ASCII, URL-special, space


@pytest.mark.parametrize(
    "shown",
    [
        PASSWORD,
        json.dumps(PASSWORD)[1:-1],
        json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
        repr(PASSWORD)[1:-1],
        quote(PASSWORD, safe=""),
        quote_plus(PASSWORD),
    ],
    ids=["raw", "json", "json-utf8", "repr", "url", "url-plus"],
)
def test_every_form_of_a_remembered_secret_is_masked(shown: str) -> None:
    redaction.remember([PASSWORD])
    assert redaction.redact(f"device said: bad body {{{shown}}}") == "device said: bad body {***}"
    nested = redaction.redact_all({"plans": [{"error": shown}], shown: (1, shown)})
    assert nested == {"plans": [{"error": "***"}], "***": [1, "***"]}


def test_a_log_line_never_carries_a_secret_the_device_echoed(capsys) -> None:
    redaction.remember([PASSWORD])
    logs.configure("INFO", json=True)
    echoed = f'400 {{"message": "bad credentials {json.dumps(PASSWORD)[1:-1]}"}}'
    logs.get_logger("test").warning("apply failed", error=echoed)
    try:
        raise ValueError(f"url https://u:{quote(PASSWORD, safe='')}@host/")
    except ValueError:
        logs.get_logger("test").exception("failed")
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    assert all(form not in err for form in redaction.forms(PASSWORD))
    assert "***" in err


def test_the_cli_remembers_the_configured_secrets(tmp_path: Path, capsys) -> None:
    secret = tmp_path / "pw"
    secret.write_text("cli-secret-7d1\n")
    conf = tmp_path / "contrail-f5-reconciler.conf"
    # a Contrail API that is not there: the pass ends at once, with the token remembered
    conf.write_text(f"[DEFAULTS]\napi_server_port = 1\nauth_token_file = {secret}\n")
    assert main(["--config", str(conf), "--once", "--dry-run"]) == 1
    assert "cli-secret-7d1" not in redaction.redact("x cli-secret-7d1 y")
    out = capsys.readouterr()
    assert "cli-secret-7d1" not in out.out + out.err
