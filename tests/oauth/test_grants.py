"""The pure OAuth rules of the pool: PKCE S256 on RFC 7636's Appendix B vector, Basic auth."""

from __future__ import annotations

import base64

from loadtest.pool.oauth.grants import client_from_basic, pkce_matches

# RFC 7636 Appendix B (https://www.rfc-editor.org/rfc/rfc7636#appendix-B)
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_s256_matches_the_rfc_vector_and_nothing_else() -> None:
    assert pkce_matches(CHALLENGE, VERIFIER)
    assert not pkce_matches(CHALLENGE, VERIFIER[:-1] + "l")
    assert not pkce_matches(CHALLENGE, "")
    assert not pkce_matches(CHALLENGE, "é" * 43)


def test_basic_credentials_are_split_at_the_first_colon() -> None:
    header = "Basic " + base64.b64encode(b"client:se:cret").decode()
    assert client_from_basic(header) == ("client", "se:cret")
    assert client_from_basic("Basic !!!") is None
    assert client_from_basic("Bearer abc") is None
    assert client_from_basic("Basic " + base64.b64encode(b"no-colon").decode()) is None
