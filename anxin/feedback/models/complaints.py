"""Complaints (投诉) with their stored transitions, the desk's classification labels and the
engineering cases that escalate repeated technical problems to R&D (FB-2, FB-3, FB-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet
from anxin.core.masking import mask_name, mask_phone
from anxin.core.validators import validate_phone

from ..choices import (
    OPEN_COMPLAINT_STATES,
    CaseState,
    ComplaintChannel,
    ComplaintClass,
    ComplaintState,
    ProblemKind,
    VehicleSystem,
)
from .common import JobLinked


class EngineeringCase(models.Model):
    """A problem handed to R&D (研发) because the same vehicle model keeps failing the same way.

    Opened automatically when the third consecutive technical complaint about the same model
    and the same fault code, part or system arrives; later complaints about it join the case.
    At most one case per (model, problem) is open at a time: a partial unique constraint makes
    two simultaneous third complaints open one case, not two.
    """

    number = models.CharField(_("case number"), max_length=32, unique=True)
    vehicle_model = models.CharField(_("vehicle model"), max_length=64)
    problem_kind = models.CharField(_("problem by"), max_length=12, choices=ProblemKind.choices)
    problem = models.CharField(_("problem"), max_length=64)
    state = models.CharField(
        _("state"), max_length=12, choices=CaseState.choices, default=CaseState.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    findings = models.TextField(_("R&D findings"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None  # R&D works nationally

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("engineering case")
        verbose_name_plural = _("engineering cases")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle_model", "problem_kind", "problem"],
                condition=~Q(state="closed"),
                name="feedback_one_open_case_per_problem",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.vehicle_model} · {self.problem}"

    @property
    def problem_label(self) -> str:
        if self.problem_kind == ProblemKind.SYSTEM:
            return str(dict(VehicleSystem.choices).get(self.problem, self.problem))
        return self.problem


class Complaint(JobLinked):
    """A customer's complaint, from intake to closure, with its deadlines and classification.

    ``state`` changes only through :mod:`anxin.feedback.actions` (conditional update on state
    and version; each change a :class:`ComplaintTransition` row). The classifier's proposal is
    kept next to the class the desk confirmed, so corrections become labelled data.
    """

    number = models.CharField(_("complaint number"), max_length=32, unique=True)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ComplaintState.choices,
        default=ComplaintState.RECEIVED,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(_("channel"), max_length=10, choices=ComplaintChannel.choices)
    text = models.TextField(_("complaint"), max_length=4000)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[validate_phone]
    )
    # The classification: the proposal as the classifier made it, then the desk's decision.
    proposed_class = models.CharField(
        _("proposed class"), max_length=10, choices=ComplaintClass.choices, blank=True
    )
    proposed_confidence = models.FloatField(_("confidence"), null=True, blank=True)
    proposal_unsure = models.BooleanField(_("classifier unsure"), default=False)
    category = models.CharField(
        _("class"), max_length=10, choices=ComplaintClass.choices, blank=True, db_index=True
    )
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    # The technical problem (FB-4): same model and same code, part or system.
    vehicle_model = models.CharField(_("vehicle model"), max_length=64, blank=True, db_index=True)
    system = models.CharField(_("system"), max_length=16, choices=VehicleSystem.choices, blank=True)
    part = models.CharField(_("part"), max_length=64, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=16, blank=True)
    engineering_case = models.ForeignKey(
        EngineeringCase,
        verbose_name=_("engineering case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    rating = models.ForeignKey(
        "feedback.Rating",
        verbose_name=_("rating"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["category", "vehicle_model", "received_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_COMPLAINT_STATES

    @property
    def effective_class(self) -> str:
        return self.category or ("" if self.proposal_unsure else self.proposed_class)

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def masked_contact_name(self) -> str:
        return mask_name(self.contact_name)

    def problem_keys(self) -> list[tuple[str, str]]:
        """The keys under which this complaint counts as "the same problem" as another."""
        keys = []
        if self.fault_code:
            keys.append((ProblemKind.FAULT_CODE.value, self.fault_code.strip().upper()))
        if self.part:
            keys.append((ProblemKind.PART.value, self.part.strip()))
        if self.system and self.system != VehicleSystem.OTHER:
            keys.append((ProblemKind.SYSTEM.value, self.system))
        return keys


class ComplaintTransition(models.Model):
    """One step of a complaint: the timeline on its page and the memory for KPIs."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=24, blank=True)
    from_state = models.CharField(max_length=20, choices=ComplaintState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ComplaintState.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "complaint__region"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("complaint transition")
        verbose_name_plural = _("complaint transitions")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_state or '∅'} → {self.to_state}"


class ClassificationLabel(models.Model):
    """A complaint text with the class customer service gave it: training data for retraining.

    Written whenever the desk confirms or corrects the classifier's proposal.
    """

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="label", null=True, blank=True
    )
    text = models.TextField(_("text"))
    job_kind = models.CharField(_("job kind"), max_length=16, blank=True)
    label = models.CharField(_("class"), max_length=10, choices=ComplaintClass.choices)
    proposed = models.CharField(
        _("proposed class"), max_length=10, choices=ComplaintClass.choices, blank=True
    )
    corrected = models.BooleanField(_("corrected the proposal"), default=False)
    at = models.DateTimeField(_("labelled at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "complaint__region"

    class Meta:
        ordering = ["-at"]
        verbose_name = _("classification label")
        verbose_name_plural = _("classification labels")

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:30]}"
