"""``provision``: create N synthetic users with a password, TOTP and a remembered device.

Per user, in order (each call paced by its quota category, throttles retried):

1. AdminCreateUser (no message) and AdminSetUserPassword (permanent) through aioboto3;
2. if TOTP or a device is wanted, a full USER_SRP_AUTH sign-in through the sans-I/O flows on the
   :class:`~loadtest.drivers.AsyncDriver` (maths from srp_fast); with a device, the sign-in
   registers it (ConfirmDevice, and UpdateDeviceStatus when the pool asks);
3. with TOTP, AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference;
4. with passkeys, StartWebAuthnRegistration and CompleteWebAuthnRegistration answered by a
   software authenticator, whose private key goes into the identities file (0600) with the
   other secrets and nowhere else.

With e-mail addresses or phone numbers, AdminCreateUser gives the user a verified address on
a reserved domain (``lt-...@example.com``, RFC 2606) and a number in the fictional
555-0100..0199 lines, so EMAIL_OTP and SMS_OTP codes from a real pool reach nobody.

Then the user is appended to the identities file. Enrollment answers with the previous 30 s
step's code (Cognito accepts one step of skew; a refused code is sent again as the previous
step's of that moment: the current step's under clock skew, the new previous step's when the
request crossed a step boundary in the pacer's queue), so the current step stays free and a
load run can sign the user in with TOTP at once.

**Resume.** The users of a run are ``lt-<run>-00001`` ... ``lt-<run>-<N>``; those in the file are
done, the others are owed. A user whose line never reached the file (the run was killed, or
the user failed) may exist on the pool half made: created, maybe with a password, a TOTP seed
or a device nobody knows. Such a user is deleted and created again (AdminCreateUser answers
``UsernameExistsException``, then AdminDeleteUser, AdminCreateUser): resetting the password
alone would leave an enrolled authenticator whose seed is lost, so its sign-ins would ask for
codes nobody can make, and stale devices. It costs one extra call for the few users that were
in flight. On a new identities file an existing user is an error instead: it belongs to some
other run.
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import srp_fast
from loadtest.drivers import AiohttpTransport, AsyncDriver
from loadtest.flows import (
    FlowContext,
    Identity,
    LoginOptions,
    UnexpectedResponse,
    enroll_totp,
    register_passkey,
    srp_login,
)
from loadtest.protocol.errors import (
    CognitoError,
    TransportError,
    UsernameExists,
)
from loadtest.protocol.names import Operation
from loadtest.target.config import TargetConfig
from srp_fast.offload import math_executor

from .clients import Admin, PacedTransport, admin_client
from .naming import RunNaming, email_of, phone_of
from .plan import Estimate, Plan, estimate
from .progress import Progress, ProgressPrinter
from .ratelimit import Backoff, Limiter, RateLimits
from .runner import Interrupt, Outcome, run_jobs
from .store import IdentitiesFile

__all__ = ["ProvisionError", "ProvisionReport", "ProvisionSettings", "provision"]


class ProvisionError(Exception):
    """The run cannot start: the pool or the settings do not allow what was asked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionSettings:
    """Everything one provisioning run needs; ``users`` is the run's total, resumed included."""

    target: TargetConfig
    users: int
    identities: Path
    run: str
    plan: Plan = field(default_factory=Plan)
    limits: RateLimits = field(default_factory=RateLimits)
    backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = 16
    user_timeout: float = 300.0

    def __post_init__(self) -> None:
        if self.users < 0 or self.concurrency < 1 or self.user_timeout <= 0:
            raise ValueError("users must be >= 0, concurrency >= 1 and the user timeout > 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionReport:
    """How a run ended. ``resumed``: users the file already held; ``recreated``: half-made
    users deleted and created again; ``throttles``: throttled attempts (all retried or failed)."""

    users: int
    resumed: int
    created: int
    failed: int
    recreated: int
    throttles: int
    seconds: float
    estimate: Estimate
    interrupted: bool = False
    signal_number: int | None = None

    @property
    def complete(self) -> bool:
        """Whether the file now holds every user of the run."""
        return self.resumed + self.created >= self.users

    @property
    def exit_code(self) -> int:
        """0 complete; 130 (SIGINT) or 143 (SIGTERM) interrupted; 1 some users failed."""
        if self.interrupted:
            return 128 + (self.signal_number or 2)
        return 0 if self.complete else 1


def new_password() -> str:
    """A random password that meets Cognito's default policy (upper, lower, digit, symbol)."""
    return "Lt1!" + secrets.token_urlsafe(18)


async def provision(
    settings: ProvisionSettings,
    *,
    printer: ProgressPrinter | None = None,
    interrupt: Interrupt | None = None,
    handle_signals: bool = False,
) -> ProvisionReport:
    """Run (or resume) a provisioning run; see the module docstring."""
    printer = printer or ProgressPrinter()
    interrupt = interrupt or Interrupt()
    naming = RunNaming(settings.run)
    limiter = Limiter(settings.limits, settings.backoff)
    async with admin_client(settings.target, connections=settings.concurrency) as client:
        admin = Admin(client, limiter, settings.target.pool_id)
        plan = await _preflight(admin, settings.plan)  # before the file exists: nothing started
        identities, resumed = IdentitiesFile.open(settings.identities, naming)
        with identities:
            if resumed.dropped_partial_line:
                printer.say(f"{settings.identities}: cut an incomplete last line (redone)")
            owed = [i for i in range(1, settings.users + 1) if i not in resumed.done]
            guess = estimate(plan, len(owed), settings.limits)
            printer.say(_intro(settings, plan, len(resumed.done), guess))
            maker = _UserMaker(admin, limiter, settings, plan, naming, resuming=resumed.existed)
            guard = interrupt.handling_signals(printer) if handle_signals else nullcontext()
            with guard:
                outcome, seconds = await _make_all(
                    maker, owed, identities, printer, interrupt, guess.users_per_second
                )
    return ProvisionReport(
        users=settings.users,
        resumed=len(resumed.done),
        created=outcome.done,
        failed=outcome.failed,
        recreated=maker.recreated,
        throttles=limiter.stats.total,
        seconds=seconds,
        estimate=guess,
        interrupted=outcome.interrupted,
        signal_number=interrupt.signal_number,
    )


def _intro(settings: ProvisionSettings, plan: Plan, resumed: int, guess: Estimate) -> str:
    steps = ", ".join(plan.steps)
    head = f"run {settings.run!r}: {settings.users} users ({steps})"
    if resumed:
        head += f"; {resumed} already in {settings.identities}"
    return f"{head}\n{guess.describe()}"


async def _make_all(
    maker: _UserMaker,
    owed: list[int],
    identities: IdentitiesFile,
    printer: ProgressPrinter,
    interrupt: Interrupt,
    expected_rate: float | None,
) -> tuple[Outcome, float]:
    """Make the owed users, appending each to the file as it completes; (outcome, seconds)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    progress = Progress(
        verb="provisioned", total=len(owed), started=started, expected_rate=expected_rate
    )
    try:
        outcome = await run_jobs(
            owed,
            maker,
            on_done=lambda _, identity: identities.append(identity),
            describe=maker.naming.username,
            concurrency=maker.settings.concurrency,
            timeout=maker.settings.user_timeout,
            progress=progress,
            printer=printer,
            interrupt=interrupt,
            throttles=lambda: maker.limiter.stats.total,
        )
    finally:
        await maker.close()
    return outcome, loop.time() - started


async def _preflight(admin: Admin, plan: Plan) -> Plan:
    """DescribeUserPool: the pool exists and allows the plan; learns how devices are confirmed."""
    try:
        pool = (await admin.call(Operation.DESCRIBE_USER_POOL))["UserPool"]
    except (CognitoError, TransportError) as exc:
        raise ProvisionError(f"cannot read user pool {admin.pool_id}: {exc}") from None
    if pool.get("UsernameAttributes"):
        raise ProvisionError(
            f"user pool {admin.pool_id} signs users in by {'/'.join(pool['UsernameAttributes'])}: "
            "synthetic users need plain user names (lt-...)"
        )
    devices = pool.get("DeviceConfiguration") or {}
    if plan.device and not devices:
        raise ProvisionError(
            f"user pool {admin.pool_id} does not remember devices (no DeviceConfiguration): "
            "turn device tracking on or pass --no-device"
        )
    if plan.totp and pool.get("MfaConfiguration", "OFF") == "OFF":
        raise ProvisionError(
            f"user pool {admin.pool_id} has MFA off: set it to OPTIONAL or ON, or pass --no-totp"
        )
    factors = ((pool.get("Policies") or {}).get("SignInPolicy") or {}).get(
        "AllowedFirstAuthFactors", ["PASSWORD"]
    )
    if plan.email_mfa:
        await _check_email_mfa(admin)
    if plan.passkey and "WEB_AUTHN" not in factors:
        raise ProvisionError(
            f"user pool {admin.pool_id} does not allow passkeys (WEB_AUTHN is not among its "
            "AllowedFirstAuthFactors): allow it, or leave out --passkeys"
        )
    return replace(plan, confirm_on_prompt=bool(devices.get("DeviceOnlyRememberedOnUserPrompt")))


async def _check_email_mfa(admin: Admin) -> None:
    """GetUserPoolMfaConfig: e-mail MFA must be on for the pool, or sign-in never asks it."""
    try:
        config = await admin.call(Operation.GET_USER_POOL_MFA_CONFIG)
    except (CognitoError, TransportError) as exc:
        raise ProvisionError(f"cannot read the MFA settings of {admin.pool_id}: {exc}") from None
    if "EmailMfaConfiguration" not in config or config.get("MfaConfiguration") == "OFF":
        raise ProvisionError(
            f"user pool {admin.pool_id} has no e-mail MFA: turn it on (SetUserPoolMfaConfig "
            "EmailMfaConfiguration; Cognito allows it only for pools that send e-mail through "
            "Amazon SES), or leave out --email-mfa"
        )


def _attributes(identity: Identity) -> list[dict[str, str]]:
    """The user's verified e-mail address and phone number, if the plan gives them."""
    attributes = []
    if identity.email:
        attributes += [{"Name": "email", "Value": identity.email}]
        attributes += [{"Name": "email_verified", "Value": "true"}]
    if identity.phone:
        attributes += [{"Name": "phone_number", "Value": identity.phone}]
        attributes += [{"Name": "phone_number_verified", "Value": "true"}]
    return attributes


class _UserMaker:
    """Makes one user, all steps; an instance serves a whole run."""

    def __init__(
        self,
        admin: Admin,
        limiter: Limiter,
        settings: ProvisionSettings,
        plan: Plan,
        naming: RunNaming,
        *,
        resuming: bool,
    ) -> None:
        self.admin, self.limiter, self.settings = admin, limiter, settings
        self.plan, self.naming = plan, naming
        self.resuming = resuming
        self.recreated = 0
        inner = AiohttpTransport(settings.target.endpoint_url, limit=settings.concurrency)
        self.executor = math_executor()
        self.driver = AsyncDriver(PacedTransport(inner, limiter), executor=self.executor)
        self.ctx = FlowContext(
            client=settings.target.app_client,
            clock=lambda: datetime.now(UTC),
            ephemerals=srp_fast.new_ephemeral,
        )

    async def __call__(self, index: int) -> Identity:
        username = self.naming.username(index)
        identity = Identity(
            username=username,
            password=new_password(),
            email=email_of(username) if self.plan.email else None,
            phone=phone_of(index) if self.plan.phone else None,
        )
        await self._create(identity)
        await self.admin.call(
            Operation.ADMIN_SET_USER_PASSWORD,
            Username=identity.username,
            Password=identity.password,
            Permanent=True,
        )
        if self.plan.signs_in:
            await self._sign_in(identity)
        if self.plan.message_mfa:
            await self._enable_message_mfa(identity)
        return identity

    async def _create(self, identity: Identity) -> None:
        """AdminCreateUser; on resume, a half-made user is deleted and created again."""
        username = identity.username
        create = {
            "Username": username,
            "MessageAction": "SUPPRESS",
            "UserAttributes": _attributes(identity),
        }
        try:
            await self.admin.call(Operation.ADMIN_CREATE_USER, **create)
        except UsernameExists as exc:
            if not self.resuming:
                raise UsernameExists(
                    f"{exc.message}: it is not in this new identities file; resume with the "
                    f"run's own file, pick another --run, or tear down {self.naming.prefix}"
                ) from None
            await self.admin.call(Operation.ADMIN_DELETE_USER, Username=username)
            await self.admin.call(Operation.ADMIN_CREATE_USER, **create)
            self.recreated += 1

    async def _enable_message_mfa(self, identity: Identity) -> None:
        """SMS and/or e-mail MFA on, preferred only when it is the user's one factor (with
        several, neither is preferred and sign-in asks SELECT_MFA_TYPE)."""
        plan = self.plan
        members = (
            ("SMSMfaSettings", plan.sms),
            ("EmailMfaSettings", plan.email_mfa),
            ("SoftwareTokenMfaSettings", plan.totp),
        )
        on = [member for member, enabled in members if enabled]
        settings = {member: {"Enabled": True, "PreferredMfa": len(on) == 1} for member in on}
        await self.admin.call(
            Operation.ADMIN_SET_USER_MFA_PREFERENCE, Username=identity.username, **settings
        )
        identity.sms_mfa, identity.email_mfa = plan.sms, plan.email_mfa

    async def _sign_in(self, identity: Identity) -> None:
        options = LoginOptions(use_device=False, remember_device=self.plan.device)
        login = await self.driver.run(srp_login(identity, self.ctx, options))
        if self.plan.device and identity.device is None:
            raise UnexpectedResponse(login.calls[-1], "no NewDeviceMetadata: no device to remember")
        if self.plan.totp and identity.totp_secret is None:
            await self._enroll(identity, login.tokens.access_token)
        if self.plan.passkey:
            await self.driver.run(register_passkey(identity, self.ctx, login.tokens.access_token))

    async def _enroll(self, identity: Identity, access_token: str) -> None:
        enroll = enroll_totp(identity, self.ctx, access_token, previous_step=True)
        await self.driver.run(enroll)

    async def close(self) -> None:
        """Close the user-side HTTP session and the maths threads."""
        await self.driver.transport.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
