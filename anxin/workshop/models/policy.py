"""The workshop's tunable rules, kept as data an administrator edits (one row)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkshopPolicy(models.Model):
    """Rework window, 三包 warning and legal lines, slot length, quote-link validity.

    One row (pk 1); :meth:`current` creates it with the defaults when missing so the rules
    never depend on a migration having run in a test database.
    """

    rework_window_days = models.PositiveIntegerField(
        _("rework window (days)"), default=30, validators=[MinValueValidator(1)]
    )
    warranty_warn_days = models.PositiveIntegerField(
        _("三包 warning: cumulative repair days"), default=25
    )
    warranty_legal_days = models.PositiveIntegerField(
        _("三包 legal line: cumulative repair days"), default=35
    )
    warranty_warn_repairs = models.PositiveIntegerField(
        _("三包 warning: repairs of the same serious fault"), default=4
    )
    warranty_legal_repairs = models.PositiveIntegerField(
        _("三包 legal line: repairs of the same serious fault"), default=5
    )
    slot_minutes = models.PositiveIntegerField(
        _("appointment slot (minutes)"), default=60, validators=[MinValueValidator(15)]
    )
    quote_link_days = models.PositiveIntegerField(_("quote link valid (days)"), default=7)
    min_insulation_ohm_per_volt = models.PositiveIntegerField(
        _("minimum insulation resistance (Ω/V)"), default=500
    )
    max_residual_voltage = models.PositiveIntegerField(
        _("maximum residual voltage after discharge (V)"), default=60
    )

    class Meta:
        verbose_name = _("workshop policy")
        verbose_name_plural = _("workshop policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> WorkshopPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
