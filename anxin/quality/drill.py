"""Drill-down: the records behind any figure (KPI-2).

A figure is a sum of cells; the cells are sums of facts; each fact names its source record.
So the records behind a figure are the facts of the same measure, scope member and period,
read back through the permission filter of their own model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from anxin.accounts.permissions import restrict

from .catalog import INDICATORS, MEASURES
from .facts import SOURCES
from .models import Fact


def facts_behind(
    measure: str, scope: str, key: str, start: dt.date, end: dt.date, *, failing: bool = False
) -> Any:
    query = Fact.objects.filter(day__gte=start, day__lte=end, contrib__has_key=measure)
    if scope in ("region", "city", "outlet", "unit", "staff"):
        query = query.filter(**{f"{scope}_id": int(key)})
    elif scope in ("model", "fault"):
        query = query.filter(**{scope: key})
    elif scope == "region_fault":
        region, _sep, fault = key.partition("|")
        query = query.filter(region_id=int(region), fault=fault)
    if failing:
        query = query.filter(**{f"contrib__{measure}__0": 0})
    return query.order_by("day", "source_id")


@dataclass
class Row:
    source: str
    pk: int
    number: str
    day: dt.date
    value_minutes: float | None
    ok: bool
    url: str
    state: str


def records(
    user: Any,
    indicator: str,
    scope: str,
    key: str,
    start: dt.date,
    end: dt.date,
    *,
    failing: bool = False,
    limit: int = 500,
) -> tuple[list[Row], int]:
    """(rows the user may see, total facts behind the figure)."""
    ind = INDICATORS[indicator]
    if ind.measure is None:
        return [], 0
    measure = MEASURES[ind.measure]
    query = facts_behind(measure.code, scope, key, start, end, failing=failing)
    total = query.count()
    facts = list(query[:limit])
    model = SOURCES[measure.source].model()
    if model is None:
        return [], total
    visible = restrict(model._default_manager.filter(pk__in=[f.source_id for f in facts]), user)
    by_pk = {obj.pk: obj for obj in visible}
    rows = []
    for f in facts:
        obj = by_pk.get(f.source_id)
        if obj is None:
            continue
        num, value, _bucket = f.contrib[measure.code]
        rows.append(
            Row(
                source=measure.source,
                pk=f.source_id,
                number=str(getattr(obj, "number", "") or obj),
                day=f.day,
                value_minutes=round(value / 60000, 2) if measure.bucket_seconds else None,
                ok=bool(num),
                url=_url(measure.source, obj),
                state=str(getattr(obj, "get_state_display", lambda: "")()),
            )
        )
    return rows, total


def _url(source: str, obj: Any) -> str:
    names = {"rescue": "rescue:job", "workorder": "workshop:order", "unitcheck": ""}
    name = names.get(source)
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    if not name:
        return ""
    try:
        return reverse(name, args=[obj.pk])
    except NoReverseMatch:
        return ""
