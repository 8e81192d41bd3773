"""Staff and their certifications (PPL-1): who may do which work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role
from anxin.core.validators import validate_phone


class Skill(models.TextChoices):
    TOWING = "towing", _("Towing operation")
    DIAGNOSIS = "diagnosis", _("Vehicle fault diagnosis")
    SPECIAL_ROADS = "special_roads", _("Special road conditions")
    EV_HV = "ev_hv", _("EV high-voltage (three-electric) systems")
    CAN_DIAGNOSTICS = "can_diagnostics", _("CAN bus diagnostics")
    THEORY_EXAM = "theory_exam", _("Theory exam")
    PRACTICAL_TEST = "practical_test", _("Practical test")
    PSYCH_ASSESSMENT = "psych_assessment", _("Psychological assessment")


class Staff(models.Model):
    """A member of staff in the network: dispatcher, crew member, advisor, manager, ..."""

    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone])
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="staff"
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    base = models.ForeignKey(
        "network.RescueBase",
        verbose_name=_("rescue base"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    unit = models.ForeignKey(
        "network.RescueUnit",
        verbose_name=_("crew of unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crew",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        if user.role == Role.TECHNICIAN:
            return Q(base_id=user.base_id) if user.base_id else Q(pk__in=[])
        return None

    def clean(self) -> None:
        if self.outlet_id and self.region_id and self.outlet.region_id != self.region_id:
            raise ValidationError({"outlet": _("The outlet belongs to another region.")})
        if self.base_id and self.region_id and self.base.region_id != self.region_id:
            raise ValidationError({"base": _("The rescue base belongs to another region.")})

    def holds(self, skill: str, on: dt.date | None = None) -> bool:
        """Whether this person holds an unexpired certificate for ``skill`` on the day."""
        day = on or timezone.localdate()
        return self.certifications.filter(
            skill=skill, issued_on__lte=day, expires_on__gte=day
        ).exists()


class Certification(models.Model):
    """A certificate with its expiry: work that needs it is not assigned without it (PPL-3)."""

    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    skill = models.CharField(_("skill"), max_length=32, choices=Skill.choices)
    certificate_no = models.CharField(_("certificate number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "staff__region"

    class Meta:
        ordering = ["staff", "skill"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return f"{self.staff.name}: {self.get_skill_display()}"

    def clean(self) -> None:
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValidationError({"expires_on": _("Expiry is before the issue date.")})
