"""``teardown``: delete the synthetic users of an identities file, or every user with a prefix.

Nothing without the synthetic prefix (``lt-``) is deleted: a file holding one such name, or a
prefix not starting with it, is refused before any call. Listing by prefix collects every page
of ``ListUsers`` (``username ^= "<prefix>"``) first and deletes after, so deleting does not move
the pages under the listing, and each listed name is checked against the prefix again. Deletes
are AdminDeleteUser (UserUpdate, 25 RPS by default), paced and retried like provisioning; a user
that is already gone counts as deleted.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.flows import load_identities
from loadtest.protocol.errors import UserNotFound
from loadtest.protocol.names import Operation
from loadtest.target.config import TargetConfig

from .clients import Admin, admin_client
from .naming import SYNTHETIC_PREFIX, NotSynthetic, check_synthetic
from .progress import Progress, ProgressPrinter
from .ratelimit import Backoff, Limiter, RateLimits
from .runner import Interrupt, run_jobs

__all__ = ["TeardownReport", "TeardownSettings", "synthetic_names", "teardown"]

_PAGE = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class TeardownSettings:
    """What to delete: the users of ``identities``, or those whose name starts with ``prefix``."""

    target: TargetConfig
    identities: Path | None = None
    prefix: str | None = None
    limits: RateLimits = field(default_factory=RateLimits)
    backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = 16
    call_timeout: float = 120.0
    dry_run: bool = False
    #: Delete the identities file's users even without the synthetic prefix (never by prefix).
    force_non_synthetic: bool = False

    def __post_init__(self) -> None:
        if (self.identities is None) == (self.prefix is None):
            raise ValueError("give exactly one of an identities file and a prefix")
        if self.force_non_synthetic and self.prefix is not None:
            raise ValueError(
                "--force-non-synthetic deletes only the users an identities file names, "
                "never every user with a prefix"
            )
        if self.prefix is not None:
            check_synthetic(self.prefix)
            if '"' in self.prefix or "\\" in self.prefix:
                raise ValueError(f"prefix {self.prefix!r} may not hold quotes or backslashes")


@dataclass(frozen=True, slots=True, kw_only=True)
class TeardownReport:
    """Users found, deleted (or already gone), failed; whether Ctrl-C cut it short. A dry
    run only finds."""

    found: int
    deleted: int
    already_gone: int
    failed: int
    seconds: float
    interrupted: bool = False
    signal_number: int | None = None

    @property
    def exit_code(self) -> int:
        """0 all gone; 130/143 interrupted; 1 some deletes failed."""
        if self.interrupted:
            return 128 + (self.signal_number or 2)
        return 1 if self.failed else 0


def synthetic_names(path: Path, *, force: bool = False) -> list[str]:
    """The user names of an identities file; :class:`NotSynthetic` if any lacks the prefix,
    unless ``force``."""
    names = [identity.username for identity in load_identities(path)]
    wrong = [name for name in names if not name.startswith(SYNTHETIC_PREFIX)]
    if wrong and not force:
        raise NotSynthetic(
            f"{path} holds {len(wrong)} user(s) without the synthetic prefix "
            f"{SYNTHETIC_PREFIX!r} (e.g. {wrong[0]!r}): refusing to delete any"
        )
    return list(dict.fromkeys(names))


async def teardown(
    settings: TeardownSettings,
    *,
    printer: ProgressPrinter | None = None,
    interrupt: Interrupt | None = None,
    handle_signals: bool = False,
) -> TeardownReport:
    """Delete the users the settings name; see the module docstring."""
    printer = printer or ProgressPrinter()
    interrupt = interrupt or Interrupt()
    force = settings.force_non_synthetic
    names = synthetic_names(settings.identities, force=force) if settings.identities else None
    limiter = Limiter(settings.limits, settings.backoff)
    loop = asyncio.get_running_loop()
    async with admin_client(settings.target, connections=settings.concurrency) as client:
        admin = Admin(client, limiter, settings.target.pool_id)
        if names is None:
            assert settings.prefix is not None
            names = await list_prefixed(admin, settings.prefix)
        if settings.dry_run:
            printer.say(_would_delete(names, settings.target.pool_id))
            return TeardownReport(found=len(names), deleted=0, already_gone=0, failed=0, seconds=0)
        what = "listed" if force else "synthetic"
        printer.say(f"deleting {len(names)} {what} users from {settings.target.pool_id}")
        deleter = _Deleter(admin, force=force)
        started = loop.time()
        guard = interrupt.handling_signals(printer) if handle_signals else nullcontext()
        with guard:
            outcome = await run_jobs(
                names,
                deleter,
                on_done=lambda _name, _deleted: None,
                describe=str,
                concurrency=settings.concurrency,
                timeout=settings.call_timeout,
                progress=Progress(verb="deleted", total=len(names), started=started),
                printer=printer,
                interrupt=interrupt,
                throttles=lambda: limiter.stats.total,
            )
    return TeardownReport(
        found=len(names),
        deleted=outcome.done - deleter.already_gone,
        already_gone=deleter.already_gone,
        failed=outcome.failed,
        seconds=loop.time() - started,
        interrupted=outcome.interrupted,
        signal_number=interrupt.signal_number,
    )


def _would_delete(names: list[str], pool_id: str) -> str:
    shown = ", ".join(names[:3]) + (f", ... {names[-1]}" if len(names) > 3 else "")
    return f"dry run: would delete {len(names)} synthetic users from {pool_id}: {shown}"


class _Deleter:
    """AdminDeleteUser of one synthetic user (any listed user when forced); counts those that
    were already gone."""

    def __init__(self, admin: Admin, *, force: bool = False) -> None:
        self.admin = admin
        self.already_gone = 0
        self.force = force

    async def __call__(self, name: str) -> None:
        username = name if self.force else check_synthetic(name)
        try:
            await self.admin.call(Operation.ADMIN_DELETE_USER, Username=username)
        except UserNotFound:
            self.already_gone += 1


async def list_prefixed(admin: Admin, prefix: str) -> list[str]:
    """Every user name starting with ``prefix``, sorted (all ListUsers pages, checked again)."""
    check_synthetic(prefix)
    names: list[str] = []
    token: str | None = None
    while True:
        page = await admin.call(
            Operation.LIST_USERS,
            Filter=f'username ^= "{prefix}"',
            Limit=_PAGE,
            **({"PaginationToken": token} if token else {}),
        )
        names.extend(u["Username"] for u in page.get("Users", []))
        token = page.get("PaginationToken")
        if not token:
            break
    return sorted({name for name in names if name.startswith(prefix)})
