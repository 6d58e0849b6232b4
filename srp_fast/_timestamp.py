"""TIMESTAMP, as Cognito's PASSWORD_VERIFIER expects it: ``EEE MMM d HH:mm:ss UTC yyyy``.

The day of month is not zero-padded (``Thu Mar 5 09:04:11 UTC 2026``). A server parses the
client's text leniently, as Java's ``SimpleDateFormat`` would, then re-renders it canonically
before building the HMAC message, so a zero-padded day or a wrong weekday parses but fails the
proof (measured on real Cognito; see cognito-facts §11).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ._errors import MalformedTimestamp

__all__ = ["canonical_timestamp", "format_timestamp", "parse_timestamp"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZONES = {"UTC": UTC, "GMT": UTC}

_PATTERN = re.compile(
    r"(?P<wd>[A-Za-z]{3}) (?P<mon>[A-Za-z]{3}) (?P<day>\d{1,2}) "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) (?P<zone>[A-Za-z]{3}) (?P<year>\d{4})"
)


def format_timestamp(moment: datetime) -> str:
    """Render a moment the way Cognito clients do (converted to UTC; day not zero-padded)."""
    t = moment.astimezone(UTC) if moment.tzinfo else moment
    return (
        f"{_WEEKDAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} UTC {t.year}"
    )


def parse_timestamp(text: object) -> datetime:
    """Parse a client TIMESTAMP into an aware UTC datetime.

    Accepted like Java's parser: English names in any case, any weekday name, ``UTC`` or ``GMT``,
    a one- or two-digit day. Anything else raises :class:`MalformedTimestamp`.
    """
    if not isinstance(text, str):
        raise MalformedTimestamp(repr(text))
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise MalformedTimestamp(text)
    weekday, month = match["wd"].title(), match["mon"].title()
    zone = _ZONES.get(match["zone"].upper())
    if weekday not in _WEEKDAYS or month not in _MONTHS or zone is None:
        raise MalformedTimestamp(text)
    try:
        moment = datetime(
            int(match["year"]),
            _MONTHS.index(month) + 1,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise MalformedTimestamp(text) from exc
    return moment.astimezone(UTC)


def canonical_timestamp(text: object) -> str:
    """The canonical rendering of a client TIMESTAMP: what the server's HMAC is built over."""
    return format_timestamp(parse_timestamp(text))
