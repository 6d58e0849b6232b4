"""Per-user hourly limits on code and password operations, when the pool is told to keep them.

Cognito counts, per user and hour, ForgotPassword with ConfirmForgotPassword, ResendConfirmation
Code, ConfirmSignUp, ChangePassword, GetUserAttributeVerificationCode and VerifyUserAttribute
(:data:`loadtest.protocol.quotas.HOURLY_USER_LIMITS`, cognito-facts §5); beyond a limit it
answers ``LimitExceededException`` ``Attempt limit exceeded, please try after some time.``
(§3.1). Every call that names an existing user counts, whatever its outcome (a guess); the hour
is the pool's, after ``--time-scale``.

The local pool keeps them only with ``--user-code-limits`` (``PoolContext.code_limits``): the
ready scenarios reuse a handful of identities far faster than an hour allows, so a default of
on would fail them; a plan against a real pool must size its identities to stay under the
limits (docs/account-journey.md).
"""

from __future__ import annotations

from loadtest.protocol.errors import LimitExceeded, Messages
from loadtest.protocol.names import Operation
from loadtest.protocol.quotas import HOURLY_USER_LIMITS

from .context import PoolContext
from .records import User

__all__ = ["HOUR_S", "charge"]

HOUR_S = 3600.0


def charge(ctx: PoolContext, user: User, operation: Operation) -> None:
    """Count ``operation`` for ``user``; ``LimitExceededException`` past its hourly limit."""
    limit = HOURLY_USER_LIMITS.get(operation)
    if limit is None or not ctx.code_limits:
        return
    window = ctx.scale.seconds(HOUR_S)
    if not ctx.store.users.count_hourly(
        user, limit.group, limit.count, now=ctx.now(), window=window
    ):
        raise LimitExceeded(Messages.ATTEMPT_LIMIT)
