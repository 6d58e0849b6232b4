"""The run metadata names the target pool: the local pool's settings from ``GET
/_pool/settings`` (lockout, quotas, time scale, the app's MFA and devices), a real pool's ids
only; never a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema

from loadtest.report import schema
from loadtest.report.html import render_html
from loadtest.report.pool_settings import pool_settings
from loadtest.report.summary import run_metadata

from .live_web import free_port
from .test_summary import write_run


def test_the_local_pool_tells_its_settings_and_the_apps_configuration(
    pool_server: Callable[..., Any], tmp_path: Any
) -> None:
    pool = pool_server("--time-scale", "0.5", "--lockout-threshold", "3", "--quota",
                       "UserAuthentication=7")  # fmt: skip
    app = pool.provision(mfa="OPTIONAL", device_tracking=True, secret=True)
    target = {"endpoint_url": pool.url, "pool_id": app.pool_id, "client_id": app.client_id}
    found = pool_settings(target | {"region": None})
    assert found["kind"] == "local"
    assert found["region"] == "us-east-1"
    settings = found["settings"]
    assert settings["time_scale"] == 0.5
    assert settings["lockout"]["threshold"] == 3
    assert settings["quotas"]["enabled"] is True
    assert settings["quotas"]["rps"]["UserAuthentication"] == 7
    assert settings["pool"] == {
        "pool_id": app.pool_id,
        "mfa": "OPTIONAL",
        "authenticator_app_mfa": True,
        "device_tracking": True,
        "device_only_remembered_on_prompt": False,
    }
    assert settings["client"]["client_id"] == app.client_id
    assert settings["client"]["confidential"] is True
    assert "ALLOW_USER_SRP_AUTH" in settings["client"]["auth_flows"]
    assert app.client_secret is not None
    assert app.client_secret not in json.dumps(found)
    other = pool_settings(target | {"pool_id": "us-east-1_Nope", "client_id": "nope"})
    assert "pool" not in other["settings"]
    assert "client" not in other["settings"]

    run = run_metadata(run_id=tmp_path.name, target=target, configuration={}, pool=found)
    summary = write_run(tmp_path, [10, 20]) | {"run": run | {"duration_s": 1.0}}
    jsonschema.validate(summary, schema())
    page = render_html(summary)
    assert "time scale 0.5; lockout after 3 failures" in page
    assert "MFA OPTIONAL, device tracking on" in page


def test_a_real_pool_is_named_by_its_ids_and_a_silent_local_pool_says_so() -> None:
    aws = pool_settings({"endpoint_url": "aws", "pool_id": "eu-west-1_AbC", "client_id": "c1"})
    assert aws == {"kind": "aws", "pool_id": "eu-west-1_AbC", "client_id": "c1",
                   "region": "eu-west-1"}  # fmt: skip
    silent = pool_settings({"endpoint_url": f"http://127.0.0.1:{free_port()}/"})
    assert silent["kind"] == "local"
    assert silent["settings"] is None
    assert "GET /_pool/settings failed" in silent["error"]
    jsonschema.validate(silent, schema()["properties"]["run"]["properties"]["pool"])
