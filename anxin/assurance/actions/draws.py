"""The monthly manager-callback draw (CB-1) and the quarterly audit draw (CB-2).

Each draw stores its seed, rate, population (keys with their strata) and the population's
SHA-256; :func:`verify_draw` runs it again from the stored population and compares, and
re-reads the population from the job records to show it was not changed afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.api.base import Conflict
from anxin.network.models import Region
from anxin.notifications.api import notify

from .. import periods, records, sampling
from ..choices import CallbackPurpose, DrawPurpose
from ..models import Draw
from ..records import ServiceRecord
from .callbacks import create_callback
from .common import actor_or_none, require_role

CALLBACK_RATE = Fraction(1, 10)
AUDIT_RATE = Fraction(1, 5)
RATES = {DrawPurpose.CALLBACK: CALLBACK_RATE, DrawPurpose.AUDIT: AUDIT_RATE}


def callback_units(recs: list[ServiceRecord]) -> dict[str, ServiceRecord]:
    """Served customers: one unit per customer (their last service of the period decides the
    stratum and the job the call is about); a job without a known customer counts alone."""
    latest: dict[str, ServiceRecord] = {}
    for rec in sorted(recs, key=lambda r: (r.served_at, r.key)):
        latest[rec.customer_key] = rec
    return latest


def audit_units(recs: list[ServiceRecord]) -> dict[str, ServiceRecord]:
    return {rec.key: rec for rec in recs}


def population(purpose: str, region: Region, period: periods.Period) -> tuple[dict, list[str]]:
    recs, notes = records.served(region.pk, period.start, period.end)
    units = callback_units(recs) if purpose == DrawPurpose.CALLBACK else audit_units(recs)
    return units, notes


def regional_manager(region: Region) -> User | None:
    return (
        User.objects.filter(is_active=True, role=Role.REGIONAL_MANAGER, region=region)
        .order_by("pk")
        .first()
    )


def _period(purpose: str, label: str) -> periods.Period:
    return periods.month(label) if purpose == DrawPurpose.CALLBACK else periods.quarter(label)


def make_draw(
    purpose: str,
    region: Region,
    label: str,
    *,
    seed: int | None = None,
    actor: Any = None,
    at: dt.datetime | None = None,
) -> tuple[Draw, dict[str, ServiceRecord], list[str], bool]:
    """Store the draw (once per purpose, region and period); returns (draw, chosen records,
    notes, created). A repeated call returns the stored draw; asking for another seed then is
    refused, so nobody can redraw until the sample suits them."""
    period = _period(purpose, label)
    at = at or timezone.now()
    if period.end > at:
        raise ValidationError({"period": _("%(p)s has not ended yet") % {"p": period.label}})
    existing = Draw.objects.filter(purpose=purpose, region=region, period=period.label).first()
    if existing is not None:
        if seed is not None and seed != existing.seed:
            raise Conflict(
                _("%(p)s was already drawn with seed %(s)d")
                % {"p": period.label, "s": existing.seed},
                {"draw": existing.pk, "seed": existing.seed},
            )
        return existing, {}, [], False
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seed < 2**63:
        raise ValidationError({"seed": _("the seed must be a non-negative integer")})
    units, notes = population(purpose, region, period)
    sample = sampling.draw(
        [sampling.Unit(key, rec.stratum) for key, rec in units.items()],
        rate=RATES[purpose],
        seed=seed,
    )
    draw = Draw(
        purpose=purpose,
        region=region,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        seed=seed,
        rate=str(RATES[purpose]),
        population_size=sample.population_size,
        population_hash=sample.population_hash,
        population=sorted([key, rec.stratum] for key, rec in units.items()),
        strata=sample.strata,
        sample=sample.chosen,
        drawn_at=at,
        drawn_by=actor_or_none(actor),
    )
    try:
        with transaction.atomic():
            draw.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(_("another draw of this period was just made"), {}) from exc
    return draw, {key: units[key] for key in sample.chosen}, notes, True


def draw_callbacks(
    region: Region, month: str, *, seed: int | None = None, actor: Any = None, at: Any = None
) -> Draw:
    """Draw 10% of the month's served customers, by outlet (rescue: by base), and give the
    calls to the region's manager (经理联系制度)."""
    if actor is not None:
        require_role(actor, Draw)
    at = at or timezone.now()
    with transaction.atomic():
        draw, chosen, _notes, created = make_draw(
            DrawPurpose.CALLBACK, region, month, seed=seed, actor=actor, at=at
        )
        if not created:
            return draw
        manager = regional_manager(region)
        for key in draw.sample:
            create_callback(
                chosen[key],
                CallbackPurpose.MANAGER,
                at=at,
                draw=draw,
                assignee=manager,
                assignee_role=Role.REGIONAL_MANAGER,
            )
        if manager is not None and manager.email:
            notify(
                job_ref=f"draw:{draw.pk}",
                purpose="assigned",
                template="assurance.callbacks_drawn",
                recipient=manager.email,
                channel="email",
                context={"month": draw.period, "count": len(draw.sample), "region": region.name},
            )
    return draw


@dataclass
class DrawCheck:
    sample_reproduced: bool
    stored_hash_ok: bool
    population_unchanged: bool
    current_size: int
    current_hash: str
    notes: list[str]

    @property
    def ok(self) -> bool:
        return self.sample_reproduced and self.stored_hash_ok and self.population_unchanged


def verify_draw(draw: Draw) -> DrawCheck:
    """Run the draw again: from the stored population and seed, and from today's records."""
    stored = [sampling.Unit(key, stratum) for key, stratum in draw.population]
    again = sampling.draw(stored, rate=Fraction(draw.rate), seed=draw.seed)
    units, notes = population(draw.purpose, draw.region, _period(draw.purpose, draw.period))
    current_hash = sampling.population_hash(units)
    return DrawCheck(
        sample_reproduced=again.chosen == list(draw.sample),
        stored_hash_ok=again.population_hash == draw.population_hash,
        population_unchanged=current_hash == draw.population_hash,
        current_size=len(units),
        current_hash=current_hash,
        notes=notes,
    )


def draw_all_callbacks(
    month: str, *, seed: int | None = None, actor: Any = None, at: Any = None
) -> list[Draw]:
    return [
        draw_callbacks(region, month, seed=seed, actor=actor, at=at)
        for region in Region.objects.order_by("code")
    ]
