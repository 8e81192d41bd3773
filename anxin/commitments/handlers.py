"""The commitments sweep: warnings, breaches, escalations and recurring customer updates.

Registered with the worker (imported from :meth:`CommitmentsConfig.ready`). Each transition is
claimed with a conditional UPDATE repeating its old value in the WHERE clause (``warned_at IS
NULL AND warn_at <= now AND state = 'running'``), and the Breach row and the outbox messages
are written in the same savepoint as the claim. Of two workers only one claim matches; a worker
killed mid-way rolls back claim and messages together, so the next sweep does the work once.

Staff are reached by the linked ``Staff.phone`` (SMS) when the user has a staff record, else
by e-mail, else the outbox stores the message as suppressed (the record shows who was missed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.accounts.roles import NATIONAL_ROLES
from anxin.notifications.api import notify
from anxin.worker.api import periodic

from . import calendars
from .api import record_breach
from .choices import (
    FALLBACK_TEMPLATES,
    PROGRESS_TEMPLATE,
    STAGE_TEMPLATES,
    ClockEventKind,
    ClockState,
    Stage,
)
from .durations import format_duration
from .models import Clock, ClockEvent

log = logging.getLogger("anxin.commitments")

# Bounded work per tick (the worker runs a sweep in one transaction); the rest waits 15 s.
BATCH = 200


@dataclass(frozen=True)
class CustomerNotice:
    """How and what to tell a job's customer: the template's values come from the job app."""

    channel: str
    recipient: str
    language: str = "zh-hans"
    context: dict[str, Any] = field(default_factory=dict)


ContactResolver = Callable[[str], CustomerNotice | None]
_contacts: dict[str, ContactResolver] = {}


def register_customer_contact(job_kind: str, resolver: ContactResolver) -> None:
    """Let a job app say how its customer is reached and what the update says.

    ``resolver(job_id)`` returns a :class:`CustomerNotice` whose context fills the template
    (``rescue.progress`` wants ``job_no``, ``status``, ``eta``, ``hotline``), or None. Without
    a resolver, the clock's attributes given at the start event are used: ``customer_phone``
    (SMS) or ``customer_recipient`` + ``customer_channel``, and ``status``, ``eta``.
    """
    _contacts[job_kind] = resolver


def customer_notice(clock: Clock) -> CustomerNotice | None:
    resolver = _contacts.get(clock.job_kind)
    if resolver is not None:
        return resolver(clock.job_id)
    attrs = clock.attrs
    language = str(attrs.get("language", "zh-hans"))
    if attrs.get("customer_phone"):
        channel, recipient = "sms", str(attrs["customer_phone"])
    elif attrs.get("customer_recipient"):
        channel = str(attrs.get("customer_channel", "sms"))
        recipient = str(attrs["customer_recipient"])
    else:
        return None
    with translation.override(language):
        context = {
            "job_no": clock.job_id,
            "status": attrs.get("status") or str(_("in progress")),
            "eta": attrs.get("eta") or str(_("to be confirmed")),
            "hotline": getattr(settings, "ANXIN_SERVICE_HOTLINE", ""),
        }
    return CustomerNotice(channel, recipient, language, context)


def staff_contact(user: User) -> tuple[str, str]:
    """(channel, recipient) for a member of staff: the staff record's phone, else e-mail.

    Someone with neither gets an SMS row with no recipient, which the outbox stores as
    suppressed: the record shows the message was due and why it could not go.
    """
    try:
        staff = user.staff
    except ObjectDoesNotExist:
        staff = None
    if staff is not None and staff.phone:
        return "sms", staff.phone
    if user.email:
        return "email", user.email
    return "sms", ""


def recipients(clock: Clock, stage: str) -> list[User]:
    """The escalation chain's people for ``stage``: listed users, and roles in the job's region.

    National roles (quality, emergency command, ...) are told whatever the region.
    """
    who = (clock.terms.get("escalation") or {}).get(stage) or {}
    roles, names = who.get("roles") or [], who.get("users") or []
    if not roles and not names:
        return []
    by_role = Q(role__in=roles)
    if clock.region_id is not None:
        by_role &= (
            Q(region_id=clock.region_id) | Q(role__in=NATIONAL_ROLES) | Q(region__isnull=True)
        )
    people = User.objects.filter(is_active=True).filter(by_role | Q(username__in=names))
    return list(people.select_related("staff").order_by("pk"))


def _context(clock: Clock, now: dt.datetime) -> dict[str, Any]:
    """Values for the ``sla.*`` templates (wall-clock remaining/overdue: it is a message)."""
    tz = timezone.get_default_timezone()
    due = clock.due_at.astimezone(tz) if clock.due_at else None
    left = int((clock.due_at - now).total_seconds()) if clock.due_at else 0
    return {
        "commitment": clock.terms.get("name", ""),
        "code": clock.terms.get("code", ""),
        "job_ref": clock.job_ref,
        "job_kind": clock.job_kind,
        "job_id": clock.job_id,
        "target": format_duration(clock.target) if clock.target else "",
        "due": due.strftime("%Y-%m-%d %H:%M") if due else "",
        "remaining": format_duration(dt.timedelta(seconds=max(0, left))),
        "overdue": format_duration(dt.timedelta(seconds=max(0, -left))),
    }


def tell_staff(clock: Clock, stage: str, now: dt.datetime) -> int:
    """Write one outbox message per person of the chain for ``stage``; returns how many."""
    template = STAGE_TEMPLATES[Stage(stage)]
    context = _context(clock, now)
    sent = 0
    for user in recipients(clock, stage):
        channel, recipient = staff_contact(user)
        # The person is part of the purpose: the outbox keys messages by (job, purpose,
        # sequence, channel), and two dispatchers on SMS must each get theirs.
        purpose = f"{STAGE_TEMPLATES[Stage(stage)]}:clock{clock.pk}:user{user.pk}"
        for code in dict.fromkeys([template, FALLBACK_TEMPLATES.get(template, template)]):
            try:
                notify(
                    job_ref=clock.job_ref,
                    purpose=purpose,
                    template=code,
                    recipient=recipient,
                    channel=channel,
                    context=context,
                    sequence=0,
                    language="zh-hans",
                    urgent=stage != Stage.WARNING,
                )
                break
            except LookupError:
                # No wording for this stage on this channel: the next, more general one.
                if code == FALLBACK_TEMPLATES.get(template, template):
                    raise
        sent += 1
    if not sent:
        log.warning("clock %s: nobody to tell at %s", clock.pk, stage)
    return sent


# --- the transitions, each claimed by a conditional update --------------------------------
def _running() -> Q:
    return Q(state=ClockState.RUNNING)


def warning_due(now: dt.datetime) -> Q:
    return _running() & Q(warned_at__isnull=True, warn_at__lte=now)


def breach_due(now: dt.datetime) -> Q:
    return _running() & Q(breached_at__isnull=True, due_at__lte=now)


def escalation_due(now: dt.datetime) -> Q:
    return _running() & Q(
        escalated_at__isnull=True, breached_at__isnull=False, escalate_at__lte=now
    )


def update_due(now: dt.datetime) -> Q:
    return _running() & Q(next_fire_at__lte=now)


def fire_warning(pk: int, now: dt.datetime) -> bool:
    if not Clock.objects.filter(warning_due(now), pk=pk).update(warned_at=now):
        return False
    clock = Clock.objects.get(pk=pk)
    # A warning the sweep reaches only after the deadline would arrive with the breach
    # notice: it is marked done but not sent.
    stale = clock.due_at is not None and clock.due_at <= now
    told = 0 if stale else tell_staff(clock, Stage.WARNING, now)
    ClockEvent.objects.create(
        clock=clock, at=now, kind=ClockEventKind.WARNED, detail={"told": told, "stale": stale}
    )
    return True


def fire_breach(pk: int, now: dt.datetime) -> bool:
    clock = Clock.objects.get(pk=pk)
    if record_breach(clock, at=now, condition=breach_due(now)) is None:
        return False
    tell_staff(clock, Stage.BREACH, now)
    return True


def fire_escalation(pk: int, now: dt.datetime) -> bool:
    if not Clock.objects.filter(escalation_due(now), pk=pk).update(escalated_at=now):
        return False
    clock = Clock.objects.get(pk=pk)
    told = tell_staff(clock, Stage.ESCALATION, now)
    ClockEvent.objects.create(
        clock=clock, at=now, kind=ClockEventKind.ESCALATED, detail={"told": told}
    )
    return True


def fire_update(pk: int, now: dt.datetime) -> bool:
    """Send the customer's next progress update (RSC-2) with the next sequence number."""
    clock = Clock.objects.get(pk=pk)
    if clock.every is None or clock.next_fire_at is None:
        return False
    name = clock.terms["calendar"]
    following = calendars.due(name, clock.next_fire_at, clock.every).at
    if following <= now:
        # The worker was down for several periods: one update now, not a burst of them.
        following = calendars.due(name, now, clock.every).at
    sequence = clock.sequence + 1
    won = Clock.objects.filter(
        update_due(now), pk=pk, sequence=clock.sequence, next_fire_at=clock.next_fire_at
    ).update(sequence=sequence, next_fire_at=following)
    if not won:
        return False
    contact = customer_notice(clock)
    if contact is not None:
        notify(
            job_ref=clock.job_ref,
            purpose=f"{PROGRESS_TEMPLATE}:clock{clock.pk}",
            template=clock.terms.get("notice_template") or PROGRESS_TEMPLATE,
            recipient=contact.recipient,
            channel=contact.channel,
            sequence=sequence,
            language=contact.language,
            urgent=True,
            context={**_context(clock, now), "sequence": sequence, **contact.context},
        )
    else:
        log.warning("clock %s: no customer contact for the progress update", clock.pk)
    ClockEvent.objects.create(
        clock=clock,
        at=now,
        kind=ClockEventKind.PROGRESS,
        detail={"sequence": sequence, "sent": contact is not None},
    )
    return True


TRANSITIONS: list[tuple[Callable[[dt.datetime], Q], str, Callable[[int, dt.datetime], bool]]] = [
    # Breaches before escalations, so a breach and its escalation due in the same tick both go.
    (warning_due, "warn_at", fire_warning),
    (breach_due, "due_at", fire_breach),
    (escalation_due, "escalate_at", fire_escalation),
    (update_due, "next_fire_at", fire_update),
]


@periodic("commitments.sweep", every_seconds=15)
def sweep(now: dt.datetime) -> int:
    """Fire every warning, breach, escalation and customer update due at ``now``."""
    done = 0
    for condition, order, fire in TRANSITIONS:
        pks = list(
            Clock.objects.filter(condition(now))
            .order_by(order, "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        for pk in pks:
            try:
                with transaction.atomic():  # claim, Breach row and messages stand or fall together
                    done += fire(pk, now)
            except Exception:
                # One bad clock (a template missing, a calendar deleted) must not hold up the
                # others; its claim rolled back, so the next tick tries it again.
                log.exception("commitments sweep: clock %s failed", pk)
    return done
