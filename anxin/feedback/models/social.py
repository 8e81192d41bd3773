"""Social-media posts mentioning the brands (FB-7) and the imports that brought them in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.accounts.permissions import RestrictedQuerySet

from ..choices import Platform, Sentiment


class SocialImport(models.Model):
    """One import of posts (file or API push): what was kept and which rows were refused."""

    source = models.CharField(_("source"), max_length=200)
    at = models.DateTimeField(_("imported at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows_kept = models.PositiveIntegerField(_("rows kept"), default=0)
    rows_refused = models.PositiveIntegerField(_("rows refused"), default=0)
    errors = models.JSONField(_("errors by row"), default=list, blank=True)

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None

    class Meta:
        ordering = ["-at"]
        verbose_name = _("social-media import")
        verbose_name_plural = _("social-media imports")

    def __str__(self) -> str:
        return f"{self.source} ({self.rows_kept}/{self.rows_refused})"


class SocialPost(models.Model):
    """A public post about a brand or model, with its sentiment and topics (舆情)."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(_("post id"), max_length=100)
    author = models.CharField(_("author"), max_length=100, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    text = models.TextField(_("text"), max_length=5000)
    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    brands = models.JSONField(_("brands mentioned"), default=list, blank=True)
    models_mentioned = models.JSONField(_("models mentioned"), default=list, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices)
    sentiment_score = models.FloatField(_("sentiment score"), default=0.0)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    complaint = models.OneToOneField(
        "feedback.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="social_post",
    )
    batch = models.ForeignKey(
        SocialImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    imported_at = models.DateTimeField(_("imported at"))

    objects = RestrictedQuerySet.as_manager()
    region_lookup = None  # public posts; the complaints they become are region-scoped

    class Meta:
        ordering = ["-posted_at"]
        verbose_name = _("social-media post")
        verbose_name_plural = _("social-media posts")
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="feedback_post_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.external_id}"

    @property
    def is_relevant(self) -> bool:
        return bool(self.brands or self.models_mentioned)
