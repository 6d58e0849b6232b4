"""RespondToAuthChallenge and AdminRespondToAuthChallenge: one handler per challenge.

Every handler takes one :class:`ChallengeRequest`. Each verifies its own answer and hands the
sign-in to :mod:`.signin` for the next step. PASSWORD_VERIFIER and DEVICE_PASSWORD_VERIFIER take
their state from the SECRET_BLOCK and need no Session; DEVICE_SRP_AUTH accepts one when sent
(cognito-facts §9.4), and without one continues only the sign-in whose password was verified
last for that client, user and device. The other challenges continue a Session: they are
declared with :func:`continues`, the one prologue that opens it and finds the sign-in behind
it. A Session is single-use once the step succeeds and survives a wrong code.

Adding a challenge is one entry in ``_HANDLERS`` plus its handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import gmpy2

import srp_fast
from loadtest.protocol.errors import (
    CodeMismatch,
    InvalidParameter,
    Messages,
    NotAuthorized,
)
from loadtest.protocol.names import Challenge

from . import custom, user_auth_simulated
from .admin import check_password_policy
from .auth import known_device, secret_block
from .context import PoolContext
from .messages import Medium
from .params import Params
from .records import AppClient, Pool, User, UserStatus
from .sessions import MAX_SESSION_CHARS, ChallengeSession, SealError, SecretBlock
from .signin import (
    SignIn,
    accept_totp,
    check_lock,
    code_matches,
    complete,
    consume,
    count_failure,
    email_challenge,
    ensure_can_sign_in,
    mfa_code_passed,
    next_step,
    open_session,
    resume,
    sms_challenge,
    totp_challenge,
)
from .user_auth import (
    OTP_STAGES,
    SELECT_STAGE,
    WEB_AUTHN_STAGE,
    answer_otp,
    answer_webauthn,
    start_factor,
)

__all__ = ["ChallengeRequest", "SessionStep", "continues", "respond_to_auth_challenge"]

Result = dict[str, Any]

#: PASSWORD_VERIFIER's required responses, in the order Cognito names the first missing one.
_VERIFIER_FIELDS = (
    "USERNAME",
    "TIMESTAMP",
    "PASSWORD_CLAIM_SIGNATURE",
    "PASSWORD_CLAIM_SECRET_BLOCK",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeRequest:
    """One RespondToAuthChallenge call, as every handler sees it."""

    ctx: PoolContext
    pool: Pool
    client: AppClient
    responses: Mapping[str, str]
    session: str | None
    admin: bool
    #: ClientMetadata, passed to custom-auth triggers (cognito-facts §16.2).
    client_metadata: Mapping[str, str] = field(default_factory=dict)

    def require(self, *names: str) -> None:
        """``Missing required parameter X`` for the first of ``names`` absent or empty."""
        for name in names:
            if not self.responses.get(name):
                raise InvalidParameter(Messages.missing(name))

    def check_secret_hash(self, user: User) -> None:
        """SECRET_HASH for clients with a secret; a wrong one counts as a failed attempt."""
        try:
            self.ctx.check_secret_hash(
                self.client, self.responses["USERNAME"], self.responses.get("SECRET_HASH")
            )
        except NotAuthorized as wrong:
            raise count_failure(self.ctx, user, wrong) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStep:
    """What a Session-continuing handler gets from the prologue: the Session and its sign-in."""

    session: ChallengeSession
    sign_in: SignIn


Handler = Callable[[ChallengeRequest], Awaitable[Result]]
SessionHandler = Callable[[ChallengeRequest, SessionStep], Awaitable[Result]]


async def respond_to_auth_challenge(ctx: PoolContext, p: Params, *, admin: bool) -> Result:
    """RespondToAuthChallenge (``admin=False``) or AdminRespondToAuthChallenge."""
    pool_id = p.pool_id() if admin else None
    client = ctx.client(p.client_id(), pool_id)
    pool = ctx.pool(client.pool_id)
    name = p.text("ChallengeName", max_len=64)
    handler = _HANDLERS.get(name)
    if handler is None:
        raise InvalidParameter(f"Invalid challenge name: {name[:64]}")
    responses = p.string_map("ChallengeResponses")
    if not responses:
        raise InvalidParameter(Messages.MISSING_CHALLENGE_RESPONSES)
    session = p.optional_text("Session", max_len=MAX_SESSION_CHARS, min_len=20)
    request = ChallengeRequest(
        ctx=ctx,
        pool=pool,
        client=client,
        responses=responses,
        session=session,
        admin=admin,
        client_metadata=p.string_map("ClientMetadata"),
    )
    return await handler(request)


def continues(*stages: str, required: tuple[str, ...] = ()) -> Callable[[SessionHandler], Handler]:
    """Declare a handler that continues a Session issued at one of ``stages``.

    The prologue, in Cognito's order of complaints: the Session must open and be fresh and
    unused (:func:`.signin.open_session`); USERNAME must name the user it was issued to, who
    may still sign in; then the ``required`` responses must be present.
    """

    def wrap(handler: SessionHandler) -> Handler:
        async def run(req: ChallengeRequest) -> Result:
            return await handler(req, _open_step(req, stages, required))

        run.__name__ = run.__qualname__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap


def _open_step(
    req: ChallengeRequest, stages: tuple[str, ...], required: tuple[str, ...]
) -> SessionStep:
    session = open_session(req.ctx, req.session, req.client, stages)
    return _step(req, session, required)


def _step(
    req: ChallengeRequest, session: ChallengeSession, required: tuple[str, ...]
) -> SessionStep:
    """The sign-in behind an opened Session, after the prologue's checks of USERNAME."""
    req.require("USERNAME")
    user = req.ctx.find_user(req.pool, req.responses["USERNAME"])
    if user is None or user.sub != session.sub:
        raise NotAuthorized(Messages.SESSION_INVALID)
    ensure_can_sign_in(user)
    req.require(*required)
    return SessionStep(
        session=session, sign_in=resume(req.ctx, session, req.pool, req.client, user)
    )


def _same_user(req: ChallengeRequest, sub: str) -> User:
    """The user that USERNAME names, which must be the one the challenge was issued to."""
    user = req.ctx.find_user(req.pool, req.responses["USERNAME"])
    if user is None or user.sub != sub:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    return user


# -- SRP proofs -----------------------------------------------------------------------------------
def _proof_block(req: ChallengeRequest, kind: str) -> SecretBlock:
    """The SECRET_BLOCK of a password or device proof, after the responses' formats (§11)."""
    _check_formats(req.responses)
    raw = req.responses["PASSWORD_CLAIM_SECRET_BLOCK"]
    try:
        block = SecretBlock.open(
            req.ctx.sealer, srp_fast.b64decode_strict(raw, field="PASSWORD_CLAIM_SECRET_BLOCK")
        )
    except (SealError, srp_fast.MalformedInput) as exc:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD) from exc
    kinds = (kind, "simulated", "custom") if kind == "user" else (kind, "simulated")
    if block.client_id != req.client.id or block.kind not in kinds:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    if req.ctx.now() - block.issued > req.ctx.session_seconds(req.client):
        raise NotAuthorized(Messages.SESSION_EXPIRED)
    return block


def _check_formats(responses: Mapping[str, str]) -> None:
    """TIMESTAMP and the signature must decode before any proof is checked (§11)."""
    try:
        srp_fast.canonical_timestamp(responses["TIMESTAMP"])
    except srp_fast.MalformedTimestamp as exc:
        raise InvalidParameter(Messages.BAD_TIMESTAMP_FORMAT) from exc
    try:
        srp_fast.b64decode_strict(
            responses["PASSWORD_CLAIM_SIGNATURE"], field="PASSWORD_CLAIM_SIGNATURE", max_chars=64
        )
    except srp_fast.MalformedInput as exc:
        raise InvalidParameter(Messages.BAD_SIGNATURE_FORMAT) from exc


async def _check_proof(
    req: ChallengeRequest,
    block: SecretBlock,
    user: User,
    *,
    prefix: str,
    identity: str,
    verifier: int,
    x: int | None = None,
) -> None:
    """Lockout, SECRET_HASH, then the SRP proof itself; a wrong proof counts as a failure."""
    check_lock(req.ctx, user)
    req.check_secret_hash(user)
    try:
        key = await req.ctx.srp.session_key(
            gmpy2.mpz(block.public_a, 16),
            gmpy2.mpz(block.secret_b, 16),
            gmpy2.mpz(block.public_b, 16),
            verifier=verifier,
            x=x,
        )
        srp_fast.verify_claim(
            key,
            prefix=prefix,
            identity=identity,
            secret_block=srp_fast.b64decode_strict(
                req.responses["PASSWORD_CLAIM_SECRET_BLOCK"], field="SECRET_BLOCK"
            ),
            timestamp=req.responses["TIMESTAMP"],
            signature_b64=req.responses["PASSWORD_CLAIM_SIGNATURE"],
        )
    except (srp_fast.InvalidProof, srp_fast.IllegalParameter):
        raise count_failure(req.ctx, user, NotAuthorized(Messages.INCORRECT_PASSWORD)) from None


async def _password_verifier(req: ChallengeRequest) -> Result:
    req.require(*_VERIFIER_FIELDS)
    block = _proof_block(req, "user")
    if block.kind == "simulated":
        req.ctx.check_secret_hash(
            req.client, req.responses["USERNAME"], req.responses.get("SECRET_HASH")
        )
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    user = _same_user(req, block.sub)
    ensure_can_sign_in(user)
    assert user.verifier is not None
    prefix = srp_fast.pool_name(req.pool.id)
    await _check_proof(
        req, block, user, prefix=prefix, identity=user.username, verifier=user.verifier, x=user.x
    )
    device = known_device(req.ctx, user, req.responses.get("DEVICE_KEY") or block.device_key)
    sign_in = SignIn(pool=req.pool, client=req.client, user=user, admin=req.admin, device=device)
    if block.kind == "custom":
        return await custom.after_password(req.ctx, sign_in)
    return next_step(req.ctx, sign_in)


# -- devices ----------------------------------------------------------------------------------
async def _device_srp_auth(req: ChallengeRequest) -> Result:
    ctx, client = req.ctx, req.client
    req.require("USERNAME", "DEVICE_KEY", "SRP_A")
    user = ctx.user(req.pool, req.responses["USERNAME"])
    ensure_can_sign_in(user)
    ctx.check_secret_hash(client, req.responses["USERNAME"], req.responses.get("SECRET_HASH"))
    device = ctx.device(user, req.responses["DEVICE_KEY"])
    session_text = req.session
    if session_text is None:
        # Without a Session, only a sign-in whose password was just verified may continue
        # with this device: the DEVICE_SRP_AUTH Session it was issued (docs/security-pool.md).
        # Anything else would make the device secret alone a full sign-in.
        session_text = ctx.store.device_challenges.get(client.id, user.sub, device.key)
        if session_text is None:
            raise InvalidParameter(Messages.missing("Session"))
    session = open_session(ctx, session_text, client, (Challenge.DEVICE_SRP_AUTH,))
    if session.sub != user.sub or session.device_key not in ("", device.key):
        raise NotAuthorized(Messages.SESSION_INVALID)
    big_a = _parse_a(req.responses["SRP_A"])
    challenge = ctx.srp.challenge(device.verifier)
    consume(ctx, session, client)
    block = secret_block(
        ctx, req.pool, client, "device", user.username, user.sub, challenge, big_a,
        admin=req.admin, device_key=device.key,
    )  # fmt: skip
    params = {
        "SALT": srp_fast.to_hex(device.salt),
        "SRP_B": challenge.srp_b_hex,
        "SECRET_BLOCK": block.seal(ctx.sealer),
        "USERNAME": user.username,
        "DEVICE_KEY": device.key,
    }
    return {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": params}


def _parse_a(text: str) -> Any:
    try:
        return srp_fast.parse_srp_a(text)
    except (srp_fast.MalformedInput, srp_fast.IllegalParameter) as exc:
        raise InvalidParameter(str(exc)) from exc


async def _device_password_verifier(req: ChallengeRequest) -> Result:
    ctx = req.ctx
    req.require(*_VERIFIER_FIELDS, "DEVICE_KEY")
    block = _proof_block(req, "device")
    user = _same_user(req, block.sub)
    ensure_can_sign_in(user)
    if req.responses["DEVICE_KEY"] != block.device_key:
        raise NotAuthorized(Messages.INCORRECT_PASSWORD)
    device = ctx.device(user, block.device_key)
    await _check_proof(
        req, block, user, prefix=device.group_key, identity=device.key, verifier=device.verifier
    )
    sign_in = SignIn(pool=req.pool, client=req.client, user=user, admin=req.admin, device=device)
    return complete(ctx, sign_in, on_success=lambda: ctx.store.devices.touch(device.key, ctx.now()))


# -- session-based challenges -------------------------------------------------------------------
@continues(Challenge.SOFTWARE_TOKEN_MFA, required=("SOFTWARE_TOKEN_MFA_CODE",))
async def _software_token_mfa(req: ChallengeRequest, step: SessionStep) -> Result:
    ctx, user = req.ctx, step.sign_in.user
    check_lock(ctx, user)
    req.check_secret_hash(user)
    accept_totp(ctx, user, req.responses["SOFTWARE_TOKEN_MFA_CODE"])
    consume(ctx, step.session, req.client)
    return await _after_mfa(ctx, step.sign_in, Challenge.SOFTWARE_TOKEN_MFA)


@continues(Challenge.SMS_MFA, required=("SMS_MFA_CODE",))
async def _sms_mfa(req: ChallengeRequest, step: SessionStep) -> Result:
    return await _message_code(req, step, Challenge.SMS_MFA, req.responses["SMS_MFA_CODE"])


async def _message_code(
    req: ChallengeRequest, step: SessionStep, name: Challenge, code: str
) -> Result:
    """SMS_MFA or EMAIL_OTP as a second factor. A wrong code counts toward the lockout
    (cognito-facts §4: "after five unsuccessful attempts to present an MFA code") and leaves
    the Session usable (§8); so does a code a newer sign-in has superseded."""
    ctx, user = req.ctx, step.sign_in.user
    check_lock(ctx, user)
    req.check_secret_hash(user)
    if not code_matches(ctx, step.session, code):
        raise count_failure(ctx, user, CodeMismatch(Messages.SMS_CODE_MISMATCH))
    consume(ctx, step.session, req.client)
    medium = Medium.SMS if name == Challenge.SMS_MFA else Medium.EMAIL
    return await _after_mfa(ctx, mfa_code_passed(ctx, step.sign_in, medium), name)


async def _after_mfa(ctx: PoolContext, sign_in: SignIn, name: Challenge) -> Result:
    """Tokens; inside CUSTOM_AUTH, a message code goes back to DefineAuthChallenge
    (:func:`.custom.after_mfa`)."""
    if sign_in.custom and name in custom.DEFINE_AFTER:
        return await custom.after_mfa(ctx, sign_in, name)
    return complete(ctx, sign_in)


#: SELECT_MFA_TYPE's answers and the challenge each leads to.
_MFA_CHOICES: dict[str, Callable[[PoolContext, SignIn], Result]] = {
    Challenge.SOFTWARE_TOKEN_MFA: totp_challenge,
    Challenge.SMS_MFA: sms_challenge,
    Challenge.EMAIL_OTP: email_challenge,
}


@continues(Challenge.SELECT_MFA_TYPE, required=("ANSWER",))
async def _select_mfa_type(req: ChallengeRequest, step: SessionStep) -> Result:
    choose = _MFA_CHOICES.get(req.responses["ANSWER"])
    if choose is None:
        raise InvalidParameter(f"Invalid ANSWER: {req.responses['ANSWER'][:32]}")
    req.check_secret_hash(step.sign_in.user)
    consume(req.ctx, step.session, req.client)
    return choose(req.ctx, step.sign_in)


@continues(Challenge.CUSTOM_CHALLENGE, required=("ANSWER",))
async def _custom_challenge(req: ChallengeRequest, step: SessionStep) -> Result:
    """A wrong answer is no lockout failure (cognito-facts §4, §16.1); the Session is spent
    either way and the next round has a new one."""
    req.check_secret_hash(step.sign_in.user)
    consume(req.ctx, step.session, req.client)
    state_key = step.session.extra.get("state", "")
    return await custom.answer(
        req.ctx, step.sign_in, state_key, req.responses["ANSWER"], req.client_metadata
    )


@continues("MFA_SETUP:verified")
async def _mfa_setup(req: ChallengeRequest, step: SessionStep) -> Result:
    ctx, sign_in = req.ctx, step.sign_in
    req.check_secret_hash(sign_in.user)
    consume(ctx, step.session, req.client)
    mfa = replace(
        sign_in.user.mfa,
        totp_enabled=True, totp_preferred=True, sms_preferred=False, email_preferred=False,
    )  # fmt: skip
    user = ctx.store.users.update(sign_in.user, mfa=mfa, modified=ctx.now())
    return await _after_mfa(ctx, replace(sign_in, user=user), Challenge.MFA_SETUP)


@continues(Challenge.NEW_PASSWORD_REQUIRED, required=("NEW_PASSWORD",))
async def _new_password_required(req: ChallengeRequest, step: SessionStep) -> Result:
    ctx, sign_in = req.ctx, step.sign_in
    password = req.responses["NEW_PASSWORD"]
    check_password_policy(req.pool, password)
    req.check_secret_hash(sign_in.user)
    prefix = srp_fast.pool_name(req.pool.id)
    record = await ctx.srp.new_password(prefix, sign_in.user.username, password)
    consume(ctx, step.session, req.client)
    user = ctx.store.users.update(
        sign_in.user,
        salt=record.salt,
        verifier=record.verifier,
        x=record.x,
        password_set=ctx.now(),
        status=UserStatus.CONFIRMED,
        modified=ctx.now(),
    )
    return next_step(ctx, replace(sign_in, user=user), password_done=False)


# -- USER_AUTH (choice-based sign-in, :mod:`.user_auth`) ------------------------------------------
def user_auth_step(
    challenge: str, *stages: str, required: tuple[str, ...] = ()
) -> Callable[[SessionHandler], Handler]:
    """:func:`continues` for USER_AUTH's steps, which also answer the Session of a simulated
    user (an unknown name under PreventUserExistenceErrors, :mod:`.user_auth_simulated`)."""

    def wrap(handler: SessionHandler) -> Handler:
        async def run(req: ChallengeRequest) -> Result:
            session, simulated = user_auth_simulated.opened(
                req.ctx, req.session, req.client, stages
            )
            if not simulated:
                return await handler(req, _step(req, session, required))
            req.require("USERNAME", *required)
            return user_auth_simulated.answer(
                req.ctx, req.pool, req.client, session, challenge, req.responses
            )

        run.__name__ = run.__qualname__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap


@user_auth_step(Challenge.SELECT_CHALLENGE, SELECT_STAGE, required=("ANSWER",))
async def _select_challenge(req: ChallengeRequest, step: SessionStep) -> Result:
    """SELECT_CHALLENGE answered with ANSWER (and the factor's own fields)."""
    return _chosen(req, step, req.responses["ANSWER"])


def _chosen(req: ChallengeRequest, step: SessionStep, factor: str) -> Result:
    result = start_factor(req.ctx, step.sign_in, factor, req.responses)
    consume(req.ctx, step.session, req.client)
    return result


@user_auth_step(Challenge.PASSWORD, SELECT_STAGE)
async def _password_factor(req: ChallengeRequest, step: SessionStep) -> Result:
    """SELECT_CHALLENGE answered with ``ChallengeName: PASSWORD`` (the Guide's second form)."""
    return _chosen(req, step, Challenge.PASSWORD)


@user_auth_step(Challenge.PASSWORD_SRP, SELECT_STAGE)
async def _password_srp_factor(req: ChallengeRequest, step: SessionStep) -> Result:
    """SELECT_CHALLENGE answered with ``ChallengeName: PASSWORD_SRP``."""
    return _chosen(req, step, Challenge.PASSWORD_SRP)


@user_auth_step(
    Challenge.EMAIL_OTP,
    OTP_STAGES[Challenge.EMAIL_OTP],
    Challenge.EMAIL_OTP,
    required=("EMAIL_OTP_CODE",),
)
async def _email_otp(req: ChallengeRequest, step: SessionStep) -> Result:
    """EMAIL_OTP is both a first factor (USER_AUTH) and a second one (e-mail MFA after a
    password, cognito-facts §15): the Session's stage tells which."""
    code = req.responses["EMAIL_OTP_CODE"]
    if step.session.stage == Challenge.EMAIL_OTP:
        return await _message_code(req, step, Challenge.EMAIL_OTP, code)
    return _otp(req, step, Challenge.EMAIL_OTP, code)


@user_auth_step(Challenge.SMS_OTP, OTP_STAGES[Challenge.SMS_OTP], required=("SMS_OTP_CODE",))
async def _sms_otp(req: ChallengeRequest, step: SessionStep) -> Result:
    return _otp(req, step, Challenge.SMS_OTP, req.responses["SMS_OTP_CODE"])


def _otp(req: ChallengeRequest, step: SessionStep, factor: Challenge, code: str) -> Result:
    """A first-factor code: a wrong one keeps the Session; the right one uses it up."""
    ctx = req.ctx
    ctx.check_secret_hash(req.client, req.responses["USERNAME"], req.responses.get("SECRET_HASH"))
    return answer_otp(
        ctx, step.sign_in, step.session.extra, factor, code,
        on_success=lambda: consume(ctx, step.session, req.client),
    )  # fmt: skip


@user_auth_step(Challenge.WEB_AUTHN, WEB_AUTHN_STAGE, required=("CREDENTIAL",))
async def _web_authn(req: ChallengeRequest, step: SessionStep) -> Result:
    """WEB_AUTHN answered with CREDENTIAL (AuthenticationResponseJSON as a string)."""
    ctx = req.ctx
    ctx.check_secret_hash(req.client, req.responses["USERNAME"], req.responses.get("SECRET_HASH"))
    return answer_webauthn(
        ctx, step.sign_in, step.session.extra, req.responses["CREDENTIAL"],
        on_success=lambda: consume(ctx, step.session, req.client),
    )  # fmt: skip


_HANDLERS: dict[str, Handler] = {
    Challenge.PASSWORD_VERIFIER: _password_verifier,
    Challenge.DEVICE_SRP_AUTH: _device_srp_auth,
    Challenge.DEVICE_PASSWORD_VERIFIER: _device_password_verifier,
    Challenge.SOFTWARE_TOKEN_MFA: _software_token_mfa,
    Challenge.SELECT_MFA_TYPE: _select_mfa_type,
    Challenge.SMS_MFA: _sms_mfa,
    Challenge.CUSTOM_CHALLENGE: _custom_challenge,
    Challenge.MFA_SETUP: _mfa_setup,
    Challenge.NEW_PASSWORD_REQUIRED: _new_password_required,
    Challenge.SELECT_CHALLENGE: _select_challenge,
    Challenge.PASSWORD: _password_factor,
    Challenge.PASSWORD_SRP: _password_srp_factor,
    Challenge.EMAIL_OTP: _email_otp,
    Challenge.SMS_OTP: _sms_otp,
    Challenge.WEB_AUTHN: _web_authn,
}
