"""The software authenticator checked by an INDEPENDENT WebAuthn verifier: python-fido2's
server (the pool itself uses py_webauthn), for both algorithms and both attestations."""

from __future__ import annotations

import pytest
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity

from loadtest.flows.authenticator import (
    Algorithm,
    Attestation,
    Passkey,
    SoftwareAuthenticator,
)

RP = PublicKeyCredentialRpEntity(name="example.com", id="example.com")
USER = PublicKeyCredentialUserEntity(id=b"3c46320b-c60e", name="ann", display_name="ann")


@pytest.mark.parametrize("algorithm", list(Algorithm))
@pytest.mark.parametrize("attestation", list(Attestation))
def test_fido2_accepts_registration_and_assertions(
    algorithm: Algorithm, attestation: Attestation
) -> None:
    server = Fido2Server(RP)
    device = SoftwareAuthenticator(
        origin="https://example.com", algorithm=algorithm, attestation=attestation
    )
    options, state = server.register_begin(USER, user_verification="required")
    credential, passkey = device.register(dict(options)["publicKey"])
    registered = server.register_complete(state, response=credential)
    stored = registered.credential_data
    assert stored is not None
    assert stored.credential_id == passkey.credential_id
    for _ in range(2):  # the counter moves on; each assertion verifies
        request, login = server.authenticate_begin([stored], user_verification="required")
        answer = device.assertion(passkey, dict(request)["publicKey"])
        assert server.authenticate_complete(login, [stored], answer) == stored


def test_fido2_refuses_an_assertion_signed_by_another_key() -> None:
    server = Fido2Server(RP)
    device = SoftwareAuthenticator(origin="https://example.com")
    options, state = server.register_begin(USER)
    credential, passkey = device.register(dict(options)["publicKey"])
    stored = server.register_complete(state, response=credential).credential_data
    assert stored is not None
    other = Passkey.create(rp_id="example.com", user_handle=USER.id, algorithm=Algorithm.ES256)
    forged = Passkey(
        credential_id=passkey.credential_id,
        rp_id="example.com",
        user_handle=USER.id,
        algorithm=Algorithm.ES256,
        private_key=other.private_key,
    )
    request, login = server.authenticate_begin([stored])
    with pytest.raises(ValueError, match="Invalid signature"):
        server.authenticate_complete(
            login, [stored], device.assertion(forged, dict(request)["publicKey"])
        )


def test_the_identities_file_form_round_trips_and_hides_the_key_from_repr() -> None:
    passkey = Passkey.create(rp_id="example.com", user_handle=b"u", algorithm=Algorithm.ES256)
    data = passkey.to_json()
    assert "PRIVATE KEY" in data["private_key"]
    assert "PRIVATE" not in repr(passkey)
    again = Passkey.from_json(data)
    assert again.cose_key() == passkey.cose_key()
