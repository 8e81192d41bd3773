"""The state a demo build carries from step to step, and how its rows are written.

Rows are written with ``bulk_create`` (one INSERT per few hundred rows) and their change-log
entries are appended in batches, because the per-save signal appends one chain entry per row
and takes minutes for the thousands of customers and vehicles of the demo city.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from anxin.audit.changelog import change_for, record, snapshot
from anxin.audit.signals import tracked

# How far back the demo's recorded history goes (customers registered, consents, ...).
HISTORY_DAYS = 56
BATCH = 500
# The change log is appended in chunks so one chain transaction never holds many thousands
# of entries in memory at once.
LOG_CHUNK = 2000

M = TypeVar("M", bound=models.Model)


@dataclass
class Demo:
    """One build: the seeded random source, the moment the history ends, and what exists."""

    rng: random.Random
    as_of: dt.datetime
    regions: dict[str, Any] = field(default_factory=dict)
    cities: dict[str, Any] = field(default_factory=dict)
    outlets: dict[str, Any] = field(default_factory=dict)
    bases: dict[str, Any] = field(default_factory=dict)
    units: list[Any] = field(default_factory=list)
    staff: list[Any] = field(default_factory=list)
    # The staff member each demo login is tied to (username -> Staff).
    login_staff: dict[str, Any] = field(default_factory=dict)
    fleets: list[Any] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)
    vehicles: list[Any] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)
    plates: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.as_of)

    def past_moment(
        self,
        within_days: int,
        start_hour: int = 8,
        end_hour: int = 21,
        not_before: dt.datetime | None = None,
    ) -> dt.datetime:
        """A local working-hours moment in the last ``within_days`` days, before ``as_of``."""
        for _ in range(20):
            day = self.today - dt.timedelta(days=self.rng.randrange(within_days))
            seconds = self.rng.randrange(start_hour * 3600, end_hour * 3600)
            naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
            moment = timezone.make_aware(naive, timezone.get_default_timezone())
            if moment < self.as_of and (not_before is None or moment >= not_before):
                return moment
        # Late constraints (a customer registered minutes ago) leave no room for a draw.
        return not_before if not_before is not None and not_before < self.as_of else self.as_of

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))


def persist(demo: Demo, objs: Sequence[M], *, dated: Sequence[str] = ()) -> list[M]:
    """Insert rows in bulk and append one ``create`` entry per row to the change log.

    ``dated`` names ``auto_now_add`` fields whose historical values the rows already carry
    (when a review was made, a box ticked): kept instead of being stamped with the clock.
    Models exempt from the change log (clocks, GPS fixes) get no entries, as when saved.
    """
    if not objs:
        return []
    model = type(objs[0])
    with historical(model, dated):
        created = model.objects.bulk_create(objs, batch_size=BATCH)
    # SQLite (RETURNING, 3.35+) and PostgreSQL both hand back the new keys; the change log
    # needs them, so a backend that does not is an error rather than a silent gap.
    if any(obj.pk is None for obj in created):
        raise RuntimeError(f"bulk_create did not return primary keys for {model._meta.label}")
    if tracked(model):
        log_created(created)
    demo.counts[model._meta.label_lower] += len(created)
    return list(created)


@contextlib.contextmanager
def historical(model: type[models.Model], names: Sequence[str]) -> Iterator[None]:
    """Let ``auto_now_add`` fields keep the values set on the rows, for one bulk insert.

    ``bulk_create`` stamps such fields with the current time; writing the history back with a
    second UPDATE per row would double the cost. The build runs in one thread, and the flag
    is restored even if the insert fails.
    """
    fields = [model._meta.get_field(name) for name in names]
    for f in fields:
        if not getattr(f, "auto_now_add", False):
            raise ValueError(f"{model._meta.label}.{f.name} is not an auto_now_add field")
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


def log_created(objs: Sequence[models.Model]) -> None:
    for start in range(0, len(objs), LOG_CHUNK):
        chunk = objs[start : start + LOG_CHUNK]
        record([change_for(obj, "create", None, snapshot(obj)) for obj in chunk])
