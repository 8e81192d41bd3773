"""Job kinds and their service commitments (服务承诺): SLA-1 and SLA-2 as data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.roles import Role
from anxin.customers.models import CustomerTier
from anxin.network.choices import AreaType

from ..choices import Measure, Priority, Stage
from ..durations import format_duration
from .calendars import Calendar

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _codes(value: Any, what: str) -> list[str]:
    """A list of lower-case codes, or a ValidationError naming the bad entry."""
    if not isinstance(value, list):
        raise ValidationError(_("%(what)s must be a list of codes.") % {"what": what})
    for item in value:
        if not isinstance(item, str) or not _CODE.match(item):
            raise ValidationError(
                _("%(what)s: %(item)r is not a code (lower-case letters, digits, _).")
                % {"what": what, "item": item}
            )
    return value


class JobKind(models.Model):
    """A kind of job that clocks run on (rescue, appointment, complaint, ...).

    The kind is data: its event vocabulary (what can happen to such a job), its states, and
    the events that close it (which stop every clock). A new kind needs no code, only a row.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    events = models.JSONField(_("events"), default=list, help_text=_("Event codes of the job."))
    states = models.JSONField(
        _("states"), default=list, blank=True, help_text=_("State codes the job can be in.")
    )
    pause_states = models.JSONField(
        _("pause states"),
        default=list,
        blank=True,
        help_text=_("States that usually stop the clock (e.g. waiting for the customer)."),
    )
    terminal_events = models.JSONField(
        _("closing events"),
        default=list,
        blank=True,
        help_text=_("Events that close the job and cancel its open clocks (e.g. cancelled)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("job kind")
        verbose_name_plural = _("job kinds")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for field in ("events", "states", "pause_states", "terminal_events"):
            try:
                _codes(getattr(self, field), str(self._meta.get_field(field).verbose_name))
            except ValidationError as exc:
                errors[field] = exc
        if errors:
            raise ValidationError(errors)
        if not self.events:
            raise ValidationError({"events": _("A job kind needs at least one event.")})
        if set(self.pause_states) - set(self.states):
            raise ValidationError({"pause_states": _("Pause states must be among the states.")})
        if set(self.terminal_events) - set(self.events):
            raise ValidationError(
                {"terminal_events": _("Closing events must be among the events.")}
            )


class Commitment(models.Model):
    """A service commitment (服务承诺): on which jobs a clock starts, stops, pauses, and its target.

    Either a deadline (``target``, warned at ``warning_percent`` of it) or a recurring duty
    (``every``, e.g. a progress update to the customer every 30 minutes while the job is open).
    Conditions left empty match any job. Each change of the terms raises ``version``; running
    clocks keep a snapshot of the terms they started under, so an edit never moves their
    deadlines.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    job_kind = models.ForeignKey(
        JobKind, verbose_name=_("job kind"), on_delete=models.PROTECT, related_name="commitments"
    )
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.CharField(_("area"), max_length=8, choices=AreaType.choices, blank=True)
    tier = models.CharField(
        _("customer tier"), max_length=16, choices=CustomerTier.choices, blank=True
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True)
    start_event = models.CharField(_("start event"), max_length=32)
    stop_event = models.CharField(_("stop event"), max_length=32)
    pause_states = models.JSONField(_("pause states"), default=list, blank=True)
    # Durations are whole seconds (exact, and plain numbers in the change log); the admin reads
    # and writes them as text such as 30m or 48h.
    target = models.PositiveIntegerField(_("target"), null=True, blank=True)
    every = models.PositiveIntegerField(
        _("repeat every"),
        null=True,
        blank=True,
        help_text=_("For a recurring duty instead of a deadline."),
    )
    measure = models.CharField(
        _("measured as"), max_length=8, choices=Measure.choices, default=Measure.EACH
    )
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="commitments"
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning point (percent of target)"), null=True, blank=True, default=80
    )
    escalation = models.JSONField(
        _("escalation chain"),
        default=dict,
        blank=True,
        help_text=_(
            'Who is told at each stage, e.g. {"warning": {"roles": ["dispatcher"]}, '
            '"breach": {"roles": ["regional_manager"], "users": ["li.wei"]}, '
            '"escalation": {"roles": ["quality_auditor"]}}'
        ),
    )
    escalate_after = models.PositiveIntegerField(
        _("escalate after breach by"), null=True, blank=True
    )
    notice_template = models.CharField(
        _("customer notice template"),
        max_length=64,
        blank=True,
        help_text=_("Template of a recurring customer update."),
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Fields whose change is a new version of the commitment's terms.
    TERM_FIELDS = (
        "name",
        "job_kind_id",
        "region_id",
        "area",
        "tier",
        "priority",
        "start_event",
        "stop_event",
        "pause_states",
        "target",
        "every",
        "measure",
        "calendar_id",
        "warning_percent",
        "escalation",
        "escalate_after",
        "notice_template",
    )

    class Meta:
        ordering = ["job_kind", "code"]
        verbose_name = _("service commitment")
        verbose_name_plural = _("service commitments")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values(*self.TERM_FIELDS).first()
            if stored is not None and any(stored[f] != getattr(self, f) for f in self.TERM_FIELDS):
                self.version = (
                    type(self).objects.filter(pk=self.pk).values_list("version", flat=True).get()
                ) + 1
        super().save(*args, **kwargs)

    @property
    def recurring(self) -> bool:
        return self.every is not None

    @property
    def target_duration(self) -> dt.timedelta | None:
        return None if self.target is None else dt.timedelta(seconds=self.target)

    @property
    def every_duration(self) -> dt.timedelta | None:
        return None if self.every is None else dt.timedelta(seconds=self.every)

    @property
    def target_text(self) -> str:
        if self.every is not None:
            return _("every %(every)s") % {"every": format_duration(self.every_duration)}
        return format_duration(self.target_duration) if self.target is not None else ""

    def terms(self) -> dict[str, Any]:
        """The terms a clock keeps for its whole life (JSON-ready)."""
        return {
            "code": self.code,
            "name": self.name,
            "version": self.version,
            "job_kind": self.job_kind.code,
            "start_event": self.start_event,
            "stop_event": self.stop_event,
            "pause_states": list(self.pause_states or []),
            "target_seconds": self.target,
            "every_seconds": self.every,
            "measure": self.measure,
            "calendar": self.calendar.name,
            "warning_percent": self.warning_percent,
            "escalation": self.escalation or {},
            "escalate_after_seconds": self.escalate_after,
            "notice_template": self.notice_template,
        }

    def matches(self, attrs: dict[str, Any]) -> bool:
        """Whether a job with these attributes falls under the commitment's conditions."""
        region = attrs.get("region_id", attrs.get("region"))
        wanted = [
            (self.region_id, None if region is None else int(region)),
            (self.area or None, attrs.get("area")),
            (self.tier or None, attrs.get("tier")),
            (self.priority or None, attrs.get("priority")),
        ]
        return all(need is None or need == have for need, have in wanted)

    # --- validation (refuse with the reason) -----------------------------------------------
    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}

        def refuse(field: str, message: Any) -> None:
            errors.setdefault(field, []).append(message)

        kind = self.job_kind if self.job_kind_id else None
        if kind is not None:
            if self.start_event and self.start_event not in kind.events:
                refuse(
                    "start_event",
                    _("%(event)r is not an event of %(kind)s jobs (%(known)s).")
                    % {
                        "event": self.start_event,
                        "kind": kind.code,
                        "known": ", ".join(kind.events),
                    },
                )
            if self.stop_event and self.stop_event not in kind.events:
                refuse(
                    "stop_event",
                    _(
                        "The stop event %(event)r can never happen: %(kind)s jobs "
                        "have no such event (%(known)s)."
                    )
                    % {
                        "event": self.stop_event,
                        "kind": kind.code,
                        "known": ", ".join(kind.events),
                    },
                )
            try:
                states = _codes(self.pause_states, str(_("pause states")))
                unknown = set(states) - set(kind.states)
                if unknown:
                    refuse(
                        "pause_states",
                        _("%(kind)s jobs have no state(s) %(states)s.")
                        % {"kind": kind.code, "states": ", ".join(sorted(unknown))},
                    )
            except ValidationError as exc:
                refuse("pause_states", exc)
        if self.start_event and self.start_event == self.stop_event:
            refuse(
                "stop_event",
                _(
                    "The stop event can never happen: it is the start event, so "
                    "the clock would stop as it starts."
                ),
            )
        if (self.target is None) == (self.every is None):
            refuse("target", _("Give either a target or a repeat interval, not both or neither."))
        for field in ("target", "every", "escalate_after"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                refuse(
                    field,
                    _("The duration must be positive, not %(value)s.")
                    % {"value": format_duration(dt.timedelta(seconds=value))},
                )
        if self.warning_percent is not None and not 0 < self.warning_percent < 100:
            refuse(
                "warning_percent",
                _("The warning point must lie between 0 and 100%% of the target, not %(value)s.")
                % {"value": self.warning_percent},
            )
        self._clean_escalation(refuse)
        if errors:
            raise ValidationError(errors)

    def _clean_escalation(self, refuse: Any) -> None:
        chain = self.escalation or {}
        if not isinstance(chain, dict):
            refuse("escalation", _("The escalation chain must map stages to recipients."))
            return
        unknown = set(chain) - set(Stage.values)
        if unknown:
            refuse(
                "escalation",
                _("Unknown stage(s) %(stages)s: use %(known)s.")
                % {"stages": ", ".join(sorted(unknown)), "known": ", ".join(Stage.values)},
            )
        from anxin.accounts.models import User

        for stage, who in chain.items():
            if not isinstance(who, dict) or set(who) - {"roles", "users"}:
                refuse("escalation", _("%(stage)s: give roles and/or users.") % {"stage": stage})
                continue
            bad_roles = set(who.get("roles") or []) - set(Role.values)
            if bad_roles:
                refuse(
                    "escalation",
                    _("%(stage)s: unknown role(s) %(roles)s.")
                    % {"stage": stage, "roles": ", ".join(sorted(bad_roles))},
                )
            names = set(who.get("users") or [])
            missing = names - set(
                User.objects.filter(username__in=names).values_list("username", flat=True)
            )
            if missing:
                refuse(
                    "escalation",
                    _("%(stage)s: no user(s) %(users)s.")
                    % {"stage": stage, "users": ", ".join(sorted(missing))},
                )
        if Stage.ESCALATION in chain and self.escalate_after is None:
            refuse("escalate_after", _("Say how long after the breach the escalation goes out."))
