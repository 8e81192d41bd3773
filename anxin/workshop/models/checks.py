"""Three checks and one record (三检一记录, WS-3) and the high-voltage safety step (WS-4)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import InspectionStage, JobType


class ChecklistTemplate(models.Model):
    """The items of one inspection stage, for one job type (blank: every job type).

    ``items`` is a list of ``{"code", "label", "label_en", "kind", "required",
    "photo_required"}``; ``kind`` is one of :class:`anxin.workshop.choices.ItemKind`. The most
    specific active template wins (job type before the general one).
    """

    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(_("stage"), max_length=16, choices=InspectionStage.choices)
    job_type = models.CharField(_("job type"), max_length=24, choices=JobType.choices, blank=True)
    items = models.JSONField(_("items"), default=list)
    active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["stage", "job_type", "pk"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    """One of the three checks of a work order, signed off by a named responsible person."""

    work_order = models.ForeignKey(
        "workshop.WorkOrder", on_delete=models.CASCADE, related_name="inspections"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=InspectionStage.choices)
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField(_("items (copied from the template)"), default=list)
    results = models.JSONField(_("results"), default=dict, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    responsible = models.ForeignKey(
        "people.Staff",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("opened at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "work_order__region"

    class Meta:
        ordering = ["work_order", "created_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.UniqueConstraint(fields=["work_order", "stage"], name="one_inspection_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.stage}"

    @property
    def is_complete(self) -> bool:
        return self.signed_at is not None


class InspectionPhoto(models.Model):
    """A photo for an inspection item (damage on entry, the repaired part, ...), re-encoded."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    item = models.CharField(_("checklist item"), max_length=40)
    image = models.ImageField(_("photo"), upload_to="workshop/inspections/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "inspection__work_order__region"

    class Meta:
        ordering = ["inspection", "uploaded_at", "pk"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item}"


class HVSafetyCheck(models.Model):
    """The discharge and insulation check before HV work (WS-4), by an HV-certified technician.

    Stored only when it passes the policy's limits and the technician's certificate is valid;
    the certificate used is kept so an audit can see which one it was.
    """

    work_order = models.ForeignKey(
        "workshop.WorkOrder", on_delete=models.CASCADE, related_name="hv_checks"
    )
    technician = models.ForeignKey(
        "people.Staff", verbose_name=_("technician"), on_delete=models.PROTECT, related_name="+"
    )
    certification = models.ForeignKey(
        "people.Certification",
        verbose_name=_("HV certificate"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    discharged = models.BooleanField(_("HV system discharged"))
    residual_voltage = models.DecimalField(
        _("residual voltage (V)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
    )
    insulation_mohm = models.DecimalField(
        _("insulation resistance (MΩ)"),
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
    )
    nominal_voltage = models.PositiveIntegerField(_("system voltage (V)"), default=400)
    remarks = models.TextField(_("remarks"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "work_order__region"

    class Meta:
        ordering = ["work_order", "recorded_at"]
        verbose_name = _("HV discharge and insulation check")
        verbose_name_plural = _("HV discharge and insulation checks")

    def __str__(self) -> str:
        return f"{self.work_order_id} HV {self.recorded_at:%Y-%m-%d %H:%M}"
