"""The service network (NET-1, NET-2, NET-5): where help comes from."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.accounts.roles import Role
from anxin.core.validators import (
    validate_latitude,
    validate_longitude,
    validate_phone,
    validate_plate,
)

from .choices import AreaType, UnitCapability, UnitKind, UnitStatus


class Located(models.Model):
    """A WGS-84 position. Converted to GCJ-02/BD-09 only at the map edge."""

    lat = models.FloatField(_("latitude (WGS-84)"), validators=[validate_latitude])
    lon = models.FloatField(_("longitude (WGS-84)"), validators=[validate_longitude])

    class Meta:
        abstract = True


class Region(models.Model):
    """A sales/service region (大区), the unit of responsibility for a regional manager."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "pk"

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class City(Located):
    """A city with its centre point; rescue coverage (24h) is counted per city."""

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="cities"
    )
    code = models.CharField(_("administrative code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name


class Outlet(Located):
    """A service outlet (网点): a dealer workshop or authorised repair shop."""

    code = models.CharField(_("outlet code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="outlets"
    )
    city = models.ForeignKey(
        City, verbose_name=_("city"), on_delete=models.PROTECT, related_name="outlets"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    opens_at = models.TimeField(_("opens at"), default="08:30")
    closes_at = models.TimeField(_("closes at"), default="17:30")
    open_24h = models.BooleanField(_("24-hour service"), default=False)
    ev_high_voltage = models.BooleanField(_("EV high-voltage repair"), default=False)
    diag_800v = models.BooleanField(_("800V diagnostics"), default=False)
    body_shop = models.BooleanField(_("body shop"), default=False)
    tow_reception = models.BooleanField(_("tow reception"), default=True)
    daily_capacity = models.PositiveIntegerField(_("daily capacity (vehicles)"), default=20)
    bays = models.PositiveIntegerField(_("service bays"), default=6)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["code"]
        verbose_name = _("service outlet")
        verbose_name_plural = _("service outlets")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.city_id and self.region_id and self.city.region_id != self.region_id:
            raise ValidationError({"city": _("The city belongs to another region.")})
        if (
            not self.open_24h
            and self.opens_at
            and self.closes_at
            and self.opens_at >= self.closes_at
        ):
            raise ValidationError({"closes_at": _("Closing time must be after opening time.")})

    @property
    def capabilities(self) -> list[str]:
        names = ("ev_high_voltage", "diag_800v", "body_shop", "tow_reception")
        return [n for n in names if getattr(self, n)]

    def current_qualification(self, on: Any = None) -> OutletQualification | None:
        day = on or timezone.localdate()
        return (
            self.qualifications.filter(valid_from__lte=day, expires_on__gte=day)
            .order_by("-expires_on")
            .first()
        )


class OutletQualification(models.Model):
    """A repair-shop qualification (维修厂资质): licence and its expiry. Expired blocks assignment."""

    class Grade(models.TextChoices):
        CLASS_1 = "class_1", _("Class I vehicle repair")
        CLASS_2 = "class_2", _("Class II vehicle repair")
        CLASS_3 = "class_3", _("Class III special repair")

    outlet = models.ForeignKey(
        Outlet, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="qualifications"
    )
    licence_number = models.CharField(_("licence number"), max_length=64, unique=True)
    grade = models.CharField(
        _("grade"), max_length=16, choices=Grade.choices, default=Grade.CLASS_1
    )
    valid_from = models.DateField(_("valid from"))
    expires_on = models.DateField(_("expires on"))
    facilities = models.TextField(_("facilities"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "outlet__region"

    class Meta:
        ordering = ["outlet", "-expires_on"]
        verbose_name = _("repair shop qualification")
        verbose_name_plural = _("repair shop qualifications")

    def __str__(self) -> str:
        return self.licence_number

    def clean(self) -> None:
        if self.valid_from and self.expires_on and self.expires_on < self.valid_from:
            raise ValidationError({"expires_on": _("Expiry is before the start of validity.")})

    @property
    def is_valid(self) -> bool:
        today = timezone.localdate()
        return self.valid_from <= today <= self.expires_on


class OutletEquipment(models.Model):
    """An item on an outlet's equipment list, with its calibration date (NET-5)."""

    outlet = models.ForeignKey(
        Outlet, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="equipment"
    )
    name = models.CharField(_("name"), max_length=200)
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    calibrated_on = models.DateField(_("calibrated on"), null=True, blank=True)
    calibration_due = models.DateField(_("calibration due"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "outlet__region"

    class Meta:
        ordering = ["outlet", "name"]
        verbose_name = _("outlet equipment")
        verbose_name_plural = _("outlet equipment")

    def __str__(self) -> str:
        return self.name


class RescueBase(Located):
    """A rescue base (救援基地) where units are stationed between jobs."""

    code = models.CharField(_("base code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="bases"
    )
    city = models.ForeignKey(
        City, verbose_name=_("city"), on_delete=models.PROTECT, related_name="bases"
    )
    area_type = models.CharField(
        _("area type"), max_length=8, choices=AreaType.choices, default=AreaType.URBAN
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    open_24h = models.BooleanField(_("24-hour rescue"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["code"]
        verbose_name = _("rescue base")
        verbose_name_plural = _("rescue bases")

    def __str__(self) -> str:
        return self.name


class RescueUnit(models.Model):
    """A tow truck, flatbed or service van with its crew, equipment, status and last position."""

    code = models.CharField(_("unit code"), max_length=32, unique=True)
    plate = models.CharField(_("plate"), max_length=16, unique=True, validators=[validate_plate])
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    base = models.ForeignKey(
        RescueBase, verbose_name=_("home base"), on_delete=models.PROTECT, related_name="units"
    )
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=UnitStatus.choices,
        default=UnitStatus.AVAILABLE,
        db_index=True,
    )
    last_lat = models.FloatField(
        _("last latitude"), null=True, blank=True, validators=[validate_latitude]
    )
    last_lon = models.FloatField(
        _("last longitude"), null=True, blank=True, validators=[validate_longitude]
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    shift_start = models.TimeField(_("shift start"), default="00:00")
    shift_end = models.TimeField(_("shift end"), default="23:59:59")
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "base__region"

    class Meta:
        ordering = ["code"]
        verbose_name = _("rescue unit")
        verbose_name_plural = _("rescue units")

    def __str__(self) -> str:
        return f"{self.code} {self.plate}"

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        if user.role == Role.TECHNICIAN:
            return Q(base_id=user.base_id) if user.base_id else Q(pk__in=[])
        return None

    def clean(self) -> None:
        unknown = sorted(set(self.capabilities or []) - set(UnitCapability.values))
        if unknown:
            raise ValidationError(
                {"capabilities": _("Unknown capabilities: %(c)s") % {"c": ", ".join(unknown)}}
            )
        if (self.last_lat is None) != (self.last_lon is None):
            raise ValidationError({"last_lon": _("Give both latitude and longitude, or neither.")})


class UnitDailyCheck(models.Model):
    """设备状态表: the crew's daily pre-work check of a unit (AST-2).

    A unit whose check for today is missing or failed is not dispatchable.
    """

    unit = models.ForeignKey(
        RescueUnit,
        verbose_name=_("rescue unit"),
        on_delete=models.CASCADE,
        related_name="daily_checks",
    )
    day = models.DateField(_("day"))
    passed = models.BooleanField(_("passed"))
    items = models.JSONField(_("items checked"), default=dict, blank=True)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        "people.Staff",
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "unit__base__region"

    class Meta:
        ordering = ["-day", "unit"]
        verbose_name = _("daily equipment check")
        verbose_name_plural = _("daily equipment checks")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="one_daily_check_per_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.day}: {'✓' if self.passed else '✗'}"


class UnitPosition(models.Model):
    """A GPS fix of a rescue unit (JT/T 808 terminals or the crew's phone)."""

    changelog_exempt = (
        True  # a high-volume stream, its own record; the unit's last position is logged
    )

    unit = models.ForeignKey(RescueUnit, on_delete=models.CASCADE, related_name="positions")
    at = models.DateTimeField(db_index=True)
    lat = models.FloatField()
    lon = models.FloatField()
    speed_kmh = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "unit__base__region"

    class Meta:
        ordering = ["unit", "at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "at"], name="one_fix_per_unit_instant")
        ]
        verbose_name = _("unit position")
        verbose_name_plural = _("unit positions")

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.at:%Y-%m-%d %H:%M:%S}"
