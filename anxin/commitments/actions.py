"""Writes to commitments outside the admin: define and change a commitment, with the reasons.

The admin's form and these functions run the same :meth:`Commitment.clean`; these add what a
form's widgets would otherwise guarantee (a calendar and job kind given by name, durations
written as text such as ``30m``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .durations import DurationError, parse_duration
from .models import Calendar, Commitment, JobKind

DURATION_FIELDS = ("target", "every", "escalate_after")


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    errors: dict[str, list[str]] = {}
    calendar = values.get("calendar")
    if isinstance(calendar, str):
        found = Calendar.objects.filter(name=calendar).first()
        if found is None:
            known = ", ".join(Calendar.objects.values_list("name", flat=True)) or "-"
            errors["calendar"] = [
                _("Unknown calendar %(name)r (known: %(known)s).")
                % {"name": calendar, "known": known}
            ]
        values["calendar"] = found
    kind = values.get("job_kind")
    if isinstance(kind, str):
        found_kind = JobKind.objects.filter(code=kind).first()
        if found_kind is None:
            errors["job_kind"] = [_("Unknown job kind %(kind)r.") % {"kind": kind}]
        values["job_kind"] = found_kind
    for field in DURATION_FIELDS:
        value = values.get(field)
        if isinstance(value, str):
            try:
                value = parse_duration(value)
            except DurationError as exc:
                errors[field] = [str(exc)]
                continue
        if isinstance(value, dt.timedelta):
            if value <= dt.timedelta(0):
                errors[field] = [
                    _("The duration must be positive, not %(value)s.") % {"value": value}
                ]
            values[field] = int(value.total_seconds())
    if "pause_states" not in values and isinstance(values.get("job_kind"), JobKind):
        # A commitment pauses where its job kind usually does, unless told otherwise.
        values["pause_states"] = list(values["job_kind"].pause_states)
    if errors:
        raise ValidationError(errors)
    return values


def define_commitment(**values: Any) -> Commitment:
    """Create a commitment; ``calendar`` and ``job_kind`` may be names, durations text
    (``"30m"``) or timedeltas."""
    commitment = Commitment(**_resolve(values))
    commitment.full_clean()
    with transaction.atomic():
        commitment.save()
    return commitment


def change_commitment(commitment: Commitment, **changes: Any) -> Commitment:
    """Change a commitment's terms: a new version; clocks already running keep theirs."""
    changes.setdefault("pause_states", commitment.pause_states)
    for field, value in _resolve(changes).items():
        setattr(commitment, field, value)
    commitment.full_clean()
    with transaction.atomic():
        commitment.save()
    return commitment
