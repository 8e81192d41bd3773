"""Durations as people write them in commitments: ``30m``, ``2h``, ``48h``, ``3d``, ``1h30m``.

Plain Python (no Django), shared by the clocks, the ``sla`` command and the simulator. A bare
number is refused rather than guessed: "2" could be minutes, hours or days, and a deadline off
by a factor of sixty is worse than an error message.
"""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_TOKEN = re.compile(r"(\d+)([dhms])")


class DurationError(ValueError):
    """A duration that cannot be read unambiguously; the message says why."""


def parse_duration(text: str, *, allow_zero: bool = False) -> dt.timedelta:
    """Read ``text`` (e.g. ``"1h30m"``) as a timedelta; refuse ambiguous or negative input.

    Units: ``d`` = 24 hours of the calendar's time, ``h``, ``m``, ``s``; each at most once,
    largest first. On a working calendar ``3d`` therefore means 72 working hours, so working
    targets are written in hours (``48h``) and whole days are meant for the natural calendar.
    """
    if not isinstance(text, str):
        raise DurationError(f"a duration must be text such as 30m or 2h, not {text!r}")
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise DurationError("the duration is empty: write it like 30m, 2h, 48h, 3d or 1h30m")
    if raw.startswith("-"):
        raise DurationError(f"{text!r} is negative: a target must lie in the future")
    if raw.startswith("+"):
        raw = raw[1:]
    if raw.isdigit():
        raise DurationError(
            f"{text!r} is ambiguous: it has no unit; write {raw}m, {raw}h or {raw}d"
        )
    pos, seconds, seen = 0, 0, []
    for match in _TOKEN.finditer(raw):
        if match.start() != pos:
            break
        unit = match.group(2)
        if unit in seen:
            raise DurationError(f"{text!r} names the unit {unit!r} twice")
        if seen and _UNITS[unit] > _UNITS[seen[-1]]:
            raise DurationError(f"{text!r}: write the larger units first, as in 1h30m")
        seen.append(unit)
        seconds += int(match.group(1)) * _UNITS[unit]
        pos = match.end()
    if pos != len(raw) or not seen:
        raise DurationError(
            f"{text!r} is not a duration: write it like 30m, 2h, 48h, 3d or 1h30m "
            "(units d, h, m, s)"
        )
    if seconds == 0 and not allow_zero:
        raise DurationError(f"{text!r} is zero: a target must be longer than nothing")
    return dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """The shortest text :func:`parse_duration` reads back as ``value`` (whole seconds)."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total == 0:
        return "0m"
    parts = []
    # "48h" is how short deadlines are written; whole weeks and the like read better in days.
    if total % 86400 == 0 and total > 2 * 86400:
        return f"{sign}{total // 86400}d"
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)
