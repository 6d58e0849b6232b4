"""Test identities: who logs in, with what, and what a run learns about them.

An :class:`Identity` is leased by one virtual user at a time, so it is a plain mutable record:
flows update it as things happen (a TOTP step used, a device remembered or forgotten, a new
TOTP secret or password), and the next login of the same identity starts from there. The
identities file is JSON lines, one object per identity, written by provisioning.

What a run learned also outlives the run: :func:`save_learned` keeps each identity's current
state in ``FILE.learned`` beside the identities file (0600: it holds the same secrets), and
:func:`load_identities` starts the next run from there. Without it a second run would send a
TOTP code the first just used in the same 30 s step, a password a ``change_password`` run
replaced, or a TOTP secret a ``lost_phone`` run re-enrolled, and fail. A learned record applies
only to the very line it was learned from (a hash of it), so a re-provisioned file starts fresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .authenticator import Passkey

__all__ = [
    "DeviceCredentials",
    "Identity",
    "dump_identities",
    "learned_path",
    "load_identities",
    "save_learned",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCredentials:
    """A remembered device: its key, its group key and the device password (never sent)."""

    device_key: str
    device_group_key: str
    device_password: str = field(repr=False)


@dataclass(slots=True, kw_only=True)
class Identity:
    """One test user and its client-side state.

    ``last_totp_step`` is the 30 s step of the last TOTP code sent (Cognito rejects a code used
    twice); ``device`` is the remembered device, if any.
    """

    username: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    device: DeviceCredentials | None = None
    last_totp_step: int | None = None
    #: A registered passkey (its private key is a secret) and its signature counter.
    passkey: Passkey | None = field(default=None, repr=False)
    passkey_count: int = 0
    #: Where EMAIL_OTP and SMS_OTP codes go: an address on a reserved domain (RFC 2606) and a
    #: number in a fictional range (555-0100..0199), as provisioning makes them.
    email: str | None = None
    phone: str | None = None
    #: The group it was provisioned for (``capacity``'s embedded pool tags each identity with
    #: its group, :class:`loadtest.capacity.kinds.Group`, so an arrival leases only from its
    #: entry's group); ``None``: any entry that accepts it may lease it.
    group: str | None = None
    #: SMS MFA is on for this user (its sign-ins answer SMS_MFA, and USER_AUTH offers it no
    #: passwordless factor), as ``provision --sms-mfa`` records it.
    sms_mfa: bool = False
    #: E-mail MFA is on for this user, as ``provision --email-mfa`` records it.
    email_mfa: bool = False
    #: What a user SRP sign-in taught about this user: the SALT and USER_ID_FOR_SRP of its
    #: PASSWORD_VERIFIER (public: Cognito sends them to anyone who starts a sign-in), so a
    #: later run computes its x and g^x before the clock (:meth:`srp_fast.VerifierCache.prime`).
    srp_salt: str | None = None
    srp_user_id: str | None = None
    #: A hash of the identities-file line this identity was read from ("" if none).
    origin: str = field(default="", repr=False, compare=False)

    def remember_device(self, device: DeviceCredentials) -> None:
        """Keep a device confirmed during a login, for the next logins."""
        self.device = device

    def forget_device(self) -> None:
        """Drop a device Cognito no longer knows (``Device does not exist.``)."""
        self.device = None

    def learn_srp(self, *, salt: str, user_id: str) -> None:
        """Keep the SALT and USER_ID_FOR_SRP a PASSWORD_VERIFIER challenge sent."""
        self.srp_salt, self.srp_user_id = salt, user_id

    def use_totp_step(self, step: int) -> None:
        """Record that the code of ``step`` was sent; it will not be sent again."""
        if self.last_totp_step is not None and step <= self.last_totp_step:
            raise ValueError(f"TOTP step {step} is not after the last used {self.last_totp_step}")
        self.last_totp_step = step

    def to_json(self) -> dict[str, Any]:
        """The identities-file form (secrets included: the file is test data)."""
        data: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.totp_secret:
            data["totp_secret"] = self.totp_secret
        if self.last_totp_step is not None:
            data["last_totp_step"] = self.last_totp_step
        if self.device:
            data["device_key"] = self.device.device_key
            data["device_group_key"] = self.device.device_group_key
            data["device_password"] = self.device.device_password
        if self.email:
            data["email"] = self.email
        if self.phone:
            data["phone"] = self.phone
        if self.group:
            data["group"] = self.group
        if self.passkey:
            data["passkey"] = {**self.passkey.to_json(), "sign_count": str(self.passkey_count)}
        if self.sms_mfa:
            data["sms_mfa"] = True
        if self.email_mfa:
            data["email_mfa"] = True
        if self.srp_salt and self.srp_user_id:
            data["srp_salt"], data["srp_user_id"] = self.srp_salt, self.srp_user_id
        return data

    @classmethod
    def from_json(cls, data: object) -> Identity:
        """Parse one identities-file object; raises ``ValueError`` naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("an identity must be a JSON object")
        username, password = _text(data, "username"), _text(data, "password")
        return cls(
            username=username,
            password=password,
            totp_secret=_optional_text(data, "totp_secret"),
            device=_device_from(data),
            last_totp_step=_optional_int(data, "last_totp_step"),
            passkey=_passkey_from(data),
            passkey_count=int((data.get("passkey") or {}).get("sign_count", 0)),
            email=_optional_text(data, "email"),
            phone=_optional_text(data, "phone"),
            group=_optional_text(data, "group"),
            sms_mfa=data.get("sms_mfa") is True,
            email_mfa=data.get("email_mfa") is True,
            srp_salt=_optional_text(data, "srp_salt"),
            srp_user_id=_optional_text(data, "srp_user_id"),
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"identity field {key!r} must be a non-empty string")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    return None if data.get(key) in (None, "") else _text(data, key)


def _optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"identity field {key!r} must be an integer")
    return value


def _passkey_from(data: dict[str, Any]) -> Passkey | None:
    value = data.get("passkey")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("identity field 'passkey' must be an object")
    try:
        return Passkey.from_json(value)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError("identity field 'passkey' is not a passkey") from exc


def _device_from(data: dict[str, Any]) -> DeviceCredentials | None:
    if data.get("device_key") in (None, ""):
        return None
    return DeviceCredentials(
        device_key=_text(data, "device_key"),
        device_group_key=_text(data, "device_group_key"),
        device_password=_text(data, "device_password"),
    )


def load_identities(path: str | Path) -> list[Identity]:
    """Read an identities file (JSON lines), each identity as the last run left it (see the
    module docstring); errors name the line."""
    learned = _read_learned(learned_path(path))
    identities = []
    for number, line in _lines(Path(path)):
        try:
            origin = hashlib.sha256(line.strip().encode()).hexdigest()[:32]
            data = learned.get(origin) or json.loads(line)
            identities.append(Identity.from_json(data))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        identities[-1].origin = origin
    return identities


def learned_path(path: str | Path) -> Path:
    """Where runs keep what they learned about the users of an identities file."""
    return Path(f"{path}.learned")


def save_learned(identities: Iterable[Identity], path: str | Path) -> None:
    """Keep the current state of ``identities`` (read from the identities file ``path``) for
    the next run, merged with what other processes of this or earlier runs kept."""
    mine = {i.origin: i.to_json() for i in identities if i.origin}
    if not mine:
        return
    fd = os.open(learned_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    with open(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # processes of one run stop together
        kept = _parse_learned(handle.read()) | mine
        handle.seek(0)
        handle.truncate()
        handle.writelines(json.dumps({"origin": k, **v}, separators=(",", ":")) + "\n"
                          for k, v in kept.items())  # fmt: skip


def _read_learned(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return _parse_learned(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}


def _parse_learned(text: str) -> dict[str, dict[str, Any]]:
    """Learned records by origin; a line cut by a crash is skipped (that identity starts from
    its file line, as before any run)."""
    records: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("origin"), str):
            records[data.pop("origin")] = data
    return records


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def dump_identities(identities: Iterable[Identity], path: str | Path) -> None:
    """Write an identities file (JSON lines)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for identity in identities:
            handle.write(json.dumps(identity.to_json(), separators=(",", ":")) + "\n")
