"""On-site evidence and reviews of a rescue job (RSC-3, RSC-4, RSC-5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from .jobs import RescueJob


class OfJob(models.Model):
    """A record that belongs to one rescue job: it is seen by whoever may see the job."""

    objects = RestrictedQuerySet.as_manager()
    region_lookup = "job__region"

    class Meta:
        abstract = True


class ChecklistItem(models.TextChoices):
    WARNING_SIGN = "warning_sign", _("Warning sign placed")
    BELONGINGS = "belongings", _("Customer's belongings moved to safety")
    PROCEDURE = "procedure", _("Procedure followed")
    VEHICLE_SECURED = "vehicle_secured", _("Vehicle secured for transport")
    HV_ISOLATED = "hv_isolated", _("High-voltage system isolated (EV)")


# Items every job must have ticked before the compliance review may accept it.
REQUIRED_CHECKLIST = (ChecklistItem.WARNING_SIGN, ChecklistItem.BELONGINGS, ChecklistItem.PROCEDURE)


class JobPhoto(OfJob):
    """A photo from the scene, re-encoded; EXIF time and place kept here, stripped from the file."""

    job = models.ForeignKey(RescueJob, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="rescue/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True)
    taken_lat = models.FloatField(_("taken at latitude (EXIF)"), null=True, blank=True)
    taken_lon = models.FloatField(_("taken at longitude (EXIF)"), null=True, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("on-site photo")
        verbose_name_plural = _("on-site photos")

    def __str__(self) -> str:
        return f"{self.job} photo {self.pk}"


class JobNote(OfJob):
    """A progress note from the crew or the desk."""

    job = models.ForeignKey(RescueJob, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"))
    at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self) -> str:
        return f"{self.job}: {self.text[:40]}"


class JobChecklistTick(OfJob):
    """One checklist item confirmed on site by a named crew member."""

    job = models.ForeignKey(RescueJob, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(_("item"), max_length=32, choices=ChecklistItem.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "item"], name="rescue_checklist_once")
        ]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")

    def __str__(self) -> str:
        return f"{self.job}: {self.item}"


class ComplianceReview(OfJob):
    """二级审核: the regional manager's in-progress compliance review of the scene."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        SENT_BACK = "sent_back", _("Sent back")

    job = models.ForeignKey(RescueJob, on_delete=models.CASCADE, related_name="compliance_reviews")
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    reasons = models.TextField(_("reasons"), blank=True)
    at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at"]
        verbose_name = _("compliance review")
        verbose_name_plural = _("compliance reviews")

    def __str__(self) -> str:
        return f"{self.job}: {self.verdict}"


class ConfirmationForm(OfJob):
    """救援服务确认单: what was done, times and advice, signed by the customer (RSC-4)."""

    job = models.OneToOneField(RescueJob, on_delete=models.CASCADE, related_name="confirmation")
    work_done = models.TextField(_("work done"))
    follow_up_advice = models.TextField(_("follow-up advice"), blank=True)
    signature_svg = models.TextField(_("customer signature"), blank=True)
    signed_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rescue service confirmation form")
        verbose_name_plural = _("rescue service confirmation forms")

    def __str__(self) -> str:
        return f"{self.job} confirmation"

    @property
    def is_signed(self) -> bool:
        return bool(self.signature_svg and self.signed_at)


class FinalReview(OfJob):
    """三级审核: customer service's final review of the process and the customer's feedback."""

    job = models.OneToOneField(RescueJob, on_delete=models.CASCADE, related_name="final_review")
    process_ok = models.BooleanField(_("process complete and correct"))
    findings = models.TextField(_("findings"), blank=True)
    at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("final review")
        verbose_name_plural = _("final reviews")

    def __str__(self) -> str:
        return f"{self.job} final review"
