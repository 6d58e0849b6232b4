"""SigV4 for the Admin* operations (AdminInitiateAuth, AdminRespondToAuthChallenge, ...).

Public operations are unsigned; admin ones need AWS credentials. botocore does the signing (it
is installed with aioboto3); this only runs for admin flows, never on the public hot path.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SigV4Signer"]


class SigV4Signer:
    """Signs requests for service ``cognito-idp`` in ``region``.

    Credentials come from botocore's usual chain (environment, profile, instance role) unless
    ``access_key``/``secret_key`` are given (the local pool accepts any).
    """

    def __init__(
        self,
        region: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
    ) -> None:
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped,unused-ignore]
        from botocore.credentials import Credentials  # type: ignore[import-untyped,unused-ignore]
        from botocore.session import get_session  # type: ignore[import-untyped,unused-ignore]

        if access_key and secret_key:
            credentials = Credentials(access_key, secret_key, session_token)
        else:
            credentials = get_session().get_credentials()
        if credentials is None:
            raise ValueError("no AWS credentials found for signing Admin* calls")
        self._auth = SigV4Auth(credentials, "cognito-idp", region)

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> Mapping[str, str]:
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped,unused-ignore]

        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        self._auth.add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}
