"""Account codes: send one through the message sink, then check what the user types.

One owner for the life of a code (sign-up confirmation, password reset, attribute
verification): :func:`issue` draws it through :func:`.messages.send_code` and keeps it pending;
:func:`redeem` checks a guess and consumes the code, raising Cognito's errors:

- no code pending (never sent, or already used) -> ``ExpiredCodeException`` (a reused code);
- past its lifetime -> ``ExpiredCodeException`` ``Invalid code provided, please request a code
  again.`` (cognito-facts §3.1);
- wrong -> ``CodeMismatchException`` ``Invalid verification code provided, please try again.``;
  after :data:`MAX_WRONG` wrong guesses the code is dropped and ``LimitExceededException``
  ``Attempt limit exceeded, please try after some time.`` answers (the limit is a guess; the
  message is §3.1's).

Lifetimes: 24 h for sign-up and attribute codes, 1 h for password-reset codes (the Developer
Guide; see docs/account-journey.md), after the pool's time scale.
"""

from __future__ import annotations

import hmac
from types import MappingProxyType

from loadtest.protocol.errors import CodeMismatch, ExpiredCode, LimitExceeded, Messages

from .context import PoolContext
from .messages import Medium, Purpose, code_delivery_details, send_code
from .records import Pool, User
from .store import MessageRecord, PendingCode

__all__ = ["LIFETIME_S", "MAX_WRONG", "delivery_medium", "issue", "redeem", "send"]

#: Seconds a code stays good, by purpose (model seconds: the pool's time scale applies).
LIFETIME_S: MappingProxyType[Purpose, float] = MappingProxyType(
    {
        Purpose.SIGN_UP: 24 * 3600.0,
        Purpose.VERIFY_ATTRIBUTE: 24 * 3600.0,
        Purpose.FORGOT_PASSWORD: 3600.0,
    }
)

#: Wrong guesses a pending code survives (a guess: Cognito does not publish it).
MAX_WRONG = 5


def delivery_medium(pool: Pool, user: User, *, verified_only: bool) -> Medium | None:
    """Where a code for ``user`` would go: e-mail first, then SMS; None if nowhere.

    Sign-up codes go to the pool's auto-verified attributes; recovery codes only to a verified
    address (``email_verified`` / ``phone_number_verified``).
    """
    for medium in (Medium.EMAIL, Medium.SMS):
        name = medium.attribute
        if not user.attributes.get(name):
            continue
        if verified_only and user.attributes.get(f"{name}_verified") != "true":
            continue
        if not verified_only and name not in pool.auto_verified:
            continue
        return medium
    return None


def send(
    ctx: PoolContext, user: User, medium: Medium, purpose: Purpose, *, digits: int | None = None
) -> MessageRecord:
    """Draw a code for ``purpose`` and send it to the user's address for ``medium`` (the sink).

    The one way a code reaches a user, for account codes and sign-in codes alike; the caller
    decides how the code is kept and checked.
    """
    return send_code(
        ctx.messages,
        pool_id=user.pool_id,
        username=user.username,
        medium=medium,
        destination=user.attributes[medium.attribute],
        purpose=purpose,
        now=ctx.now(),
        digits=digits,
    )


def issue(
    ctx: PoolContext, user: User, purpose: Purpose, medium: Medium, attribute: str = ""
) -> dict[str, str]:
    """Send a new code (replacing any pending one) and return its CodeDeliveryDetails."""
    now = ctx.now()
    message = send(ctx, user, medium, purpose)
    pending = PendingCode(
        pool_id=user.pool_id,
        sub=user.sub,
        purpose=str(purpose),
        attribute=attribute,
        code=message.code,
        expires=now + ctx.scale.seconds(LIFETIME_S[purpose]),
        wrong=0,
    )
    ctx.store.codes.put(pending)
    return code_delivery_details(message)


def redeem(ctx: PoolContext, user: User, purpose: Purpose, given: str, attribute: str = "") -> None:
    """Consume the pending code if ``given`` matches it; raise Cognito's error otherwise."""
    pending = ctx.store.codes.get(user.pool_id, user.sub, str(purpose), attribute)
    if pending is None:
        raise ExpiredCode(Messages.CODE_EXPIRED)
    if pending.expires <= ctx.now():
        ctx.store.codes.drop(pending)
        raise ExpiredCode(Messages.CODE_EXPIRED)
    if not hmac.compare_digest(pending.code.encode(), given.encode()):
        if pending.wrong + 1 >= MAX_WRONG:
            ctx.store.codes.drop(pending)
            raise LimitExceeded(Messages.ATTEMPT_LIMIT)
        ctx.store.codes.count_wrong(pending)
        raise CodeMismatch(Messages.CODE_MISMATCH)
    if not ctx.store.codes.consume(pending):
        raise ExpiredCode(Messages.CODE_EXPIRED)
