"""Sans-I/O login flows: generators that yield effects and return tokens or raise.

A flow is written once and driven by any driver (:mod:`loadtest.drivers`)::

    flow = srp_login(identity, ctx, LoginOptions(remember_device=True))
    effect = next(flow)                 # Call(...) or Compute(...)
    effect = flow.send(result)          # ... until StopIteration(value=LoginResult)

Effects: :class:`Call` (one Cognito API call, labelled like
``RespondToAuthChallenge:PASSWORD_VERIFIER``) and :class:`Compute` (client maths). Failures:
Cognito's typed errors and transport errors pass through; the flow's own are
:class:`FlowError` subclasses. :func:`classify` maps an error to its :class:`Outcome`;
:class:`LoginStopped` (never raised by a flow) is the error recorded for a login the end of a
run cut short. :data:`CATALOGUE` declares every flow once (name, factory, options, identity
needs, quota profile) for the Locust users, the open model and the quota model;
:func:`parse_mix` is the one parser of flow mixes.
"""

from __future__ import annotations

from .account import (
    SIGNUP_PREFIX,
    change_password,
    forgot_password,
    new_signup_identity,
    sign_up,
    update_profile,
)
from .authenticator import Algorithm, Attestation, Passkey, SoftwareAuthenticator
from .catalogue import CATALOGUE, CallKey, Entry, MixError, Need, PoolSetting, parse_mix
from .codes import (
    CodeRequest,
    CodeSource,
    CodeUnavailable,
    LocalSinkCodes,
    MessageBudget,
    MessagesNotConfirmed,
    code_source_from,
    read_code,
)
from .context import AppClient, FlowContext, RandomBytes
from .effects import (
    Call,
    Compute,
    Effect,
    Fetch,
    Flow,
    FlowError,
    MissingCredential,
    Page,
    UnexpectedResponse,
    UnsupportedChallenge,
)
from .identity import DeviceCredentials, Identity, dump_identities, load_identities
from .login import (
    DEFAULT_OPTIONS,
    ClientSecret,
    LoginOptions,
    admin_login,
    is_missing_device,
    srp_login,
)
from .mfa import enroll_totp, lost_phone, reset_mfa
from .outcomes import LoginStopped, Outcome, classify
from .refresh import refresh, refresh_after, rotate, rotate_after
from .results import LoginResult, NewDevice, Note, Tokens
from .totp import STEP_SECONDS, InvalidTotpSecret, TotpStepSpent, step_of, take_code
from .user_auth import FACTORS, register_passkey, user_auth_login

__all__ = [
    "CATALOGUE",
    "DEFAULT_OPTIONS",
    "FACTORS",
    "SIGNUP_PREFIX",
    "STEP_SECONDS",
    "Algorithm",
    "AppClient",
    "Attestation",
    "Call",
    "CallKey",
    "ClientSecret",
    "CodeRequest",
    "CodeSource",
    "CodeUnavailable",
    "Compute",
    "DeviceCredentials",
    "Effect",
    "Entry",
    "Fetch",
    "Flow",
    "FlowContext",
    "FlowError",
    "Identity",
    "InvalidTotpSecret",
    "LocalSinkCodes",
    "LoginOptions",
    "LoginResult",
    "LoginStopped",
    "MessageBudget",
    "MessagesNotConfirmed",
    "MissingCredential",
    "MixError",
    "Need",
    "NewDevice",
    "Note",
    "Outcome",
    "Page",
    "Passkey",
    "PoolSetting",
    "RandomBytes",
    "SoftwareAuthenticator",
    "Tokens",
    "TotpStepSpent",
    "UnexpectedResponse",
    "UnsupportedChallenge",
    "admin_login",
    "change_password",
    "classify",
    "code_source_from",
    "dump_identities",
    "enroll_totp",
    "forgot_password",
    "is_missing_device",
    "load_identities",
    "lost_phone",
    "new_signup_identity",
    "parse_mix",
    "read_code",
    "refresh",
    "refresh_after",
    "register_passkey",
    "reset_mfa",
    "rotate",
    "rotate_after",
    "sign_up",
    "srp_login",
    "step_of",
    "take_code",
    "update_profile",
    "user_auth_login",
]
