"""Work orders (工单, WS-2, WS-7): the record of service details of 三检一记录.

``state`` changes only through :mod:`anxin.workshop.actions`, each a conditional update on the
old state and ``version``; every change is a :class:`WorkOrderTransition` row. The milestone
timestamps are denormalised from the transitions for lists and KPIs.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import (
    ApprovalVia,
    ChargeTo,
    InspectionKind,
    JobType,
    PaymentMethod,
    VehicleSystem,
    WarrantyCover,
    WorkOrderState,
)
from .appointments import outlet_scope
from .catalog import MONEY

PCT = {
    "max_digits": 5,
    "decimal_places": 2,
    "default": Decimal("0"),
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_verification_code() -> str:
    """Ten characters without look-alikes (0/O, 1/I/L): read out on the phone, typed by hand."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class WorkOrder(models.Model):
    number = models.CharField(_("work order number"), max_length=32, unique=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=WorkOrderState.choices,
        default=WorkOrderState.RECEPTION,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    appointment = models.OneToOneField(
        "workshop.Appointment",
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_order",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    outlet = models.ForeignKey(
        "network.Outlet",
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    region = models.ForeignKey(
        "network.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    job_type = models.CharField(_("job type"), max_length=24, choices=JobType.choices)
    inspection_kind = models.CharField(
        _("inspection kind"), max_length=16, choices=InspectionKind.choices, blank=True
    )
    warranty_cover = models.CharField(
        _("warranty repair"), max_length=8, choices=WarrantyCover.choices, blank=True
    )
    high_voltage = models.BooleanField(
        _("high-voltage job"),
        default=False,
        help_text=_("Work on an EV/hybrid HV system: discharge and insulation check first."),
    )
    systems = models.JSONField(
        _("vehicle systems"),
        default=list,
        blank=True,
        help_text=_("Systems worked on (from the lines and the diagnosis): rework and 三包."),
    )
    complaint = models.TextField(_("customer's description"), blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    fault_codes = models.JSONField(_("fault codes (DTC)"), default=list, blank=True)
    mileage_km = models.PositiveIntegerField(_("mileage at reception (km)"), null=True, blank=True)
    oil_brand = models.CharField(_("oil brand"), max_length=100, blank=True)
    oil_grade = models.CharField(_("oil grade"), max_length=40, blank=True)
    promised_at = models.DateTimeField(_("promised completion"), null=True, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service advisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    technician = models.ForeignKey(
        "people.Staff",
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    # Fleet customers under a designated-repair contract (定点维修) get the contract's terms.
    contract = models.ForeignKey(
        "customers.RepairContract",
        verbose_name=_("designated-repair contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    labour_discount_pct = models.DecimalField(_("labour discount %"), **PCT)
    parts_discount_pct = models.DecimalField(_("parts discount %"), **PCT)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=0)
    # Rework (返修, WS-6): the first job of the chain this one returns to.
    rework_of = models.ForeignKey(
        "self",
        verbose_name=_("rework of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reworks",
    )
    rework_system = models.CharField(
        _("rework system"), max_length=24, choices=VehicleSystem.choices, blank=True
    )
    # The quote the customer approves (its lines and total at the moment it was sent).
    quote_version = models.PositiveIntegerField(_("quote version"), default=0)
    quote = models.JSONField(_("quote sent"), default=dict, blank=True)
    quote_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    quote_token_expires_at = models.DateTimeField(null=True, blank=True)
    approved_via = models.CharField(
        _("approved via"), max_length=16, choices=ApprovalVia.choices, blank=True
    )
    approved_by_name = models.CharField(_("approved by"), max_length=100, blank=True)
    approval_signature = models.TextField(_("signature (SVG)"), blank=True)
    rejection_reason = models.TextField(_("quote rejection reason"), blank=True)
    total_amount = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)
    customer_amount = models.DecimalField(_("customer pays"), default=Decimal("0"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), null=True, blank=True, **MONEY)
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices, blank=True
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # Electronic work order (电子工单, WS-5): code on the document, PDF rendered by the worker.
    verification_code = models.CharField(
        _("verification code"), max_length=16, default=new_verification_code, unique=True
    )
    ework_pdf = models.FileField(
        _("electronic work order (PDF)"), upload_to="workshop/ework/%Y/%m/", blank=True
    )
    ework_rendered_at = models.DateTimeField(_("PDF rendered at"), null=True, blank=True)
    # Milestones (denormalised from the transitions).
    received_at = models.DateTimeField(_("received at"), db_index=True)
    diagnosis_at = models.DateTimeField(_("diagnosis started"), null=True, blank=True)
    quoted_at = models.DateTimeField(_("quote prepared"), null=True, blank=True)
    approval_requested_at = models.DateTimeField(_("quote sent"), null=True, blank=True)
    approved_at = models.DateTimeField(_("quote approved"), null=True, blank=True)
    work_started_at = models.DateTimeField(_("work started"), null=True, blank=True)
    work_finished_at = models.DateTimeField(_("work finished"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, db_index=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "region"

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["vehicle", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def own_assignments(user: Any) -> Q | None:
        return outlet_scope(user, "outlet")

    @property
    def is_open(self) -> bool:
        from ..choices import WORK_ORDER_OPEN_STATES

        return self.state in WORK_ORDER_OPEN_STATES

    @property
    def is_rework(self) -> bool:
        return self.rework_of_id is not None

    @property
    def needs_oil_record(self) -> bool:
        return (
            self.labour_lines.filter(operation__is_oil_change=True).exists()
            or self.part_lines.filter(part__is_oil=True).exists()
        )

    def transition_at(self, state: str) -> Any:
        row = self.transitions.filter(to_state=state).order_by("at").first()
        return row.at if row else None


class WorkOrderTransition(models.Model):
    """One state change of a work order: the memory for KPIs, audits and the archive."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=WorkOrderState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=WorkOrderState.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "work_order__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("work order transition")
        verbose_name_plural = _("work order transitions")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.from_state or '∅'} → {self.to_state}"


class Line(models.Model):
    """What a quote line shares: price from the catalog, discount, who pays, warranty."""

    unit_price = models.DecimalField(_("unit price (national)"), **MONEY)
    discount_pct = models.DecimalField(_("discount %"), **PCT)
    amount = models.DecimalField(_("amount"), **MONEY)
    charge_to = models.CharField(
        _("charged to"), max_length=16, choices=ChargeTo.choices, default=ChargeTo.CUSTOMER
    )
    warranty_months = models.PositiveIntegerField(_("warranty (months)"), default=0)
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        abstract = True


class LabourLine(Line):
    """A labour operation on the work order: standard hours (quoted) and actual time (KPI-3)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="labour_lines")
    operation = models.ForeignKey(
        "workshop.LabourOperation",
        verbose_name=_("labour operation"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    standard_hours = models.DecimalField(_("standard hours"), max_digits=6, decimal_places=2)
    technician = models.ForeignKey(
        "people.Staff",
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labour_lines",
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    actual_hours = models.DecimalField(
        _("actual hours"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "work_order__region"

    class Meta:
        ordering = ["work_order", "pk"]
        verbose_name = _("labour line")
        verbose_name_plural = _("labour lines")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.operation_id}"

    @property
    def overrun_pct(self) -> Decimal | None:
        """Actual over standard time in percent (positive = over); KPI rules flag > 20."""
        if self.actual_hours is None or not self.standard_hours:
            return None
        return (self.actual_hours - self.standard_hours) * 100 / self.standard_hours


class PartLine(Line):
    """A catalog part on the work order; batch and supplier recorded when it is fitted (PRT-3)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="part_lines")
    part = models.ForeignKey(
        "workshop.Part", verbose_name=_("part"), on_delete=models.PROTECT, related_name="lines"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    batch_no = models.CharField(_("batch number"), max_length=64, blank=True)
    supplier = models.ForeignKey(
        "workshop.Supplier",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="part_lines",
    )
    fitted_at = models.DateTimeField(_("fitted at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "work_order__region"

    class Meta:
        ordering = ["work_order", "pk"]
        verbose_name = _("part line")
        verbose_name_plural = _("part lines")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.part_id} × {self.quantity}"
