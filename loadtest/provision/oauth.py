"""Provisioning for managed login and machine-to-machine tokens: a domain, a resource server
with custom scopes, and the two OAuth app clients (cognito-facts §17.1).

Works on any client with boto3's cognito-idp method names (boto3 itself, or the local pool's
endpoint through it); the calls are the ones the AWS CLI example makes, so the same code sets
up a real pool. Nothing here is secret but the M2M client's secret, which is returned to the
caller and never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OAuthSetup", "provision_oauth"]

#: The scopes a code-grant client asks for by default.
USER_SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthSetup:
    """What managed-login and M2M load needs to know about a pool."""

    pool_id: str
    domain: str
    resource_server: str
    custom_scopes: tuple[str, ...]
    code_client_id: str
    callback_url: str
    logout_url: str
    m2m_client_id: str
    m2m_client_secret: str = field(repr=False)


def provision_oauth(
    idp: Any,
    pool_id: str,
    *,
    domain: str,
    callback_url: str = "http://localhost:8765/callback",
    logout_url: str = "http://localhost:8765/signed-out",
    resource_server: str = "loadtest-api",
    scopes: Sequence[str] = ("read", "write"),
) -> OAuthSetup:
    """Create the domain, the resource server and both app clients; return how to reach them."""
    idp.create_user_pool_domain(Domain=domain, UserPoolId=pool_id, ManagedLoginVersion=1)
    idp.create_resource_server(
        UserPoolId=pool_id,
        Identifier=resource_server,
        Name=resource_server,
        Scopes=[{"ScopeName": s, "ScopeDescription": f"{s} access"} for s in scopes],
    )
    custom = tuple(f"{resource_server}/{s}" for s in scopes)
    code = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="loadtest-managed-login",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=[*USER_SCOPES, *custom],
        CallbackURLs=[callback_url],
        LogoutURLs=[logout_url],
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    m2m = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="loadtest-m2m",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=list(custom),
    )["UserPoolClient"]
    return OAuthSetup(
        pool_id=pool_id,
        domain=domain,
        resource_server=resource_server,
        custom_scopes=custom,
        code_client_id=code["ClientId"],
        callback_url=callback_url,
        logout_url=logout_url,
        m2m_client_id=m2m["ClientId"],
        m2m_client_secret=m2m["ClientSecret"],
    )
