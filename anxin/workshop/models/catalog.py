"""The national price catalog (PRT-1): parts and labour operations with one price each.

One price for the whole network (统一定价): a work order line copies the catalog's price when it
is added, so a later price change does not rewrite quotes already shown to a customer.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import VehicleSystem

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Supplier(models.Model):
    """A parts supplier (PRT-3): recorded on every part fitted, for traceability and recalls."""

    code = models.CharField(_("supplier code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    genuine = models.BooleanField(_("genuine-parts supplier"), default=True)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None  # national reference data

    class Meta:
        ordering = ["code"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class Part(models.Model):
    """A genuine part with its one national price and the warranty its fitting carries."""

    code = models.CharField(_("part number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    system = models.CharField(
        _("vehicle system"), max_length=24, choices=VehicleSystem.choices, db_index=True
    )
    unit = models.CharField(_("unit"), max_length=16, default="件")
    national_price = models.DecimalField(_("national price (CNY)"), **MONEY)
    warranty_months = models.PositiveIntegerField(_("warranty (months)"), default=12)
    is_oil = models.BooleanField(
        _("engine oil"),
        default=False,
        help_text=_("Fitting it is an oil change: the oil's brand and grade must be recorded."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("part")
        verbose_name_plural = _("parts catalog")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LabourOperation(models.Model):
    """A labour operation (工时项目) with its standard hours and one national price."""

    code = models.CharField(_("operation code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    system = models.CharField(
        _("vehicle system"), max_length=24, choices=VehicleSystem.choices, db_index=True
    )
    standard_hours = models.DecimalField(
        _("standard hours"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    national_price = models.DecimalField(_("national price (CNY)"), **MONEY)
    warranty_months = models.PositiveIntegerField(_("warranty (months)"), default=3)
    is_oil_change = models.BooleanField(
        _("oil change"),
        default=False,
        help_text=_("The oil's brand and grade must be recorded before the work order closes."),
    )
    high_voltage = models.BooleanField(
        _("high-voltage work"),
        default=False,
        help_text=_("Work on the HV system: needs the discharge and insulation check first."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
