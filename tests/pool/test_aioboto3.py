"""The same flows through aioboto3: concurrent SRP logins, MFA, devices and failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aioboto3
import pytest
from botocore.exceptions import ClientError

import srp_fast
from tests.conftest import NO_RETRIES, PASSWORD, App, PoolServer

from .helpers import confirm_device, device_responses, enroll_totp, tokens

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def _session() -> Any:
    return aioboto3.Session(
        aws_access_key_id="AKIDLOCALPOOL",
        aws_secret_access_key="local-pool-secret",
        region_name="us-east-1",
    )


async def _srp(idp: Any, app: App, name: str, password: str = PASSWORD, **extra: str) -> Any:
    eph = srp_fast.new_ephemeral()
    first = await idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=app.client_id,
        AuthParameters={"USERNAME": name, "SRP_A": eph.public_hex, **extra},
    )
    params = first["ChallengeParameters"]
    claim = srp_fast.password_claim(
        eph,
        prefix=srp_fast.pool_name(app.pool_id),
        identity=params["USER_ID_FOR_SRP"],
        password=password,
        salt_hex=params["SALT"],
        srp_b_hex=params["SRP_B"],
        secret_block_b64=params["SECRET_BLOCK"],
        now=datetime.now(UTC),
    )
    return await idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses={
            "USERNAME": params["USERNAME"],
            "PASSWORD_CLAIM_SIGNATURE": claim.signature,
            "TIMESTAMP": claim.timestamp,
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            **extra,
        },
    )


async def test_concurrent_srp_logins_and_a_wrong_password(local_pool: PoolServer) -> None:
    app = local_pool.provision()
    names = [f"async-{i}" for i in range(8)]
    for name in names:
        local_pool.add_user(app, name)
    async with _session().client(
        "cognito-idp", endpoint_url=local_pool.url, config=NO_RETRIES
    ) as idp:
        results = await asyncio.gather(*(_srp(idp, app, name) for name in names))
        assert all("AccessToken" in r["AuthenticationResult"] for r in results)
        with pytest.raises(ClientError) as excinfo:
            await _srp(idp, app, names[0], "Wrong-passw0rd!")
        assert excinfo.value.response["Error"] == {
            "Code": "NotAuthorizedException",
            "Message": "Incorrect username or password.",
        }
        user = await idp.get_user(AccessToken=results[1]["AuthenticationResult"]["AccessToken"])
        assert user["Username"] == names[1]


async def test_totp_and_remembered_device_with_aioboto3(local_pool: PoolServer) -> None:
    app = local_pool.provision(mfa="OPTIONAL", device_tracking=True)
    local_pool.add_user(app, "adev")
    sync_idp = local_pool.client()
    first = tokens(sync_idp, app, "adev")
    device = confirm_device(sync_idp, first["AccessToken"], first["NewDeviceMetadata"])
    totp = enroll_totp(local_pool, sync_idp, first["AccessToken"])
    async with _session().client(
        "cognito-idp", endpoint_url=local_pool.url, config=NO_RETRIES
    ) as idp:
        challenge = await _srp(idp, app, "adev")
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        done = await idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "adev",
                "SOFTWARE_TOKEN_MFA_CODE": totp.at(local_pool.now()),
            },
        )
        assert "AccessToken" in done["AuthenticationResult"]
        step = await _srp(idp, app, "adev", DEVICE_KEY=device.key)
        assert step["ChallengeName"] == "DEVICE_SRP_AUTH"
        eph = srp_fast.new_ephemeral()
        verifier = await idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": "adev",
                "DEVICE_KEY": device.key,
                "SRP_A": eph.public_hex,
            },
        )
        final = await idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            ChallengeResponses=device_responses(verifier["ChallengeParameters"], device, eph),
        )
        assert "AccessToken" in final["AuthenticationResult"]
