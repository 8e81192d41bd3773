"""Rollups kept current as records change, rebuilt from the sources, read by every screen.

Writing: :func:`refresh` re-reads a batch of source records, compares each one's new fact
with the stored one, and applies the difference to the affected cells (subtract the old
contribution, add the new), so the same record seen twice changes nothing and a correction
moves its contribution. Each touched cell is read once (locked on PostgreSQL) and written
once per batch: one event or ten thousand go through the same code.

Reading: :func:`aggregate` sums cells over a scope member and a period; :func:`figure`
turns the sum into an indicator's value. Counts, sums and histograms are integers, so the
incremental cells and a rebuild from scratch are equal exactly, not approximately.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction

from . import hist
from .catalog import INDICATORS, MEASURES, Indicator, Stat
from .facts import SOURCES, FactData, keys_of
from .models import Cell, Fact

CellKey = tuple[str, dt.date, str, str]


@dataclass
class Delta:
    n: int = 0
    num: int = 0
    total: int = 0
    region_id: int | None = None
    hist: dict[str, int] = field(default_factory=dict)

    def add(self, num: int, total: int, bucket: str | None, sign: int) -> None:
        self.n += sign
        self.num += sign * int(num)
        self.total += sign * int(total)
        if bucket is not None:
            hist.merge(self.hist, {bucket: 1}, sign)


def _add_fact(deltas: dict[CellKey, Delta], fact: Any, sign: int) -> None:
    for measure, (num, total, bucket) in fact.contrib.items():
        m = MEASURES.get(measure)
        if m is None:
            continue
        for scope in m.scopes:
            key = keys_of(fact, scope)
            if key is None:
                continue
            d = deltas.get((measure, fact.day, scope, key))
            if d is None:
                # The cell's region is its member's (see ``set_regions``), not the fact's.
                d = deltas[(measure, fact.day, scope, key)] = Delta()
            d.add(num, total, bucket, sign)


def set_regions(deltas: dict[CellKey, Delta]) -> None:
    """Give each cell the region of its scope member (the region itself for the region
    scopes; none for the network-wide ones): the same whatever facts made the cell and in
    whichever order, so that incremental cells and a rebuild agree, and a job whose region
    was changed to another than its city's does not move the city's cell."""
    from .scopes import member_regions

    wanted: dict[str, set[str]] = defaultdict(set)
    for _measure, _day, scope, key in deltas:
        wanted[scope].add(key)
    regions = {scope: member_regions(scope, keys) for scope, keys in wanted.items()}
    for (_measure, _day, scope, key), d in deltas.items():
        d.region_id = regions[scope][key]


def _same(stored: Fact, new: FactData) -> bool:
    row = new.as_row()
    return all(getattr(stored, k) == v for k, v in row.items())


def refresh(source: str, ids: Iterable[int]) -> int:
    """Bring the facts and cells of these source records up to date; returns how many facts
    changed. Call inside the transaction of the change (the job's signal does)."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    new = SOURCES[source].build(ids)
    with transaction.atomic():
        stored = {
            f.source_id: f
            for f in Fact.objects.select_for_update().filter(source=source, source_id__in=ids)
        }
        deltas: dict[CellKey, Delta] = {}
        create, update, delete = [], [], []
        for pk in ids:
            old, fresh = stored.get(pk), new.get(pk)
            if old is None and fresh is None:
                continue
            if old is not None and fresh is not None and _same(old, fresh):
                continue
            if old is not None:
                _add_fact(deltas, old, -1)
            if fresh is not None:
                _add_fact(deltas, fresh, +1)
                if old is None:
                    create.append(Fact(source=source, source_id=pk, **fresh.as_row()))
                else:
                    for k, v in fresh.as_row().items():
                        setattr(old, k, v)
                    update.append(old)
            else:
                delete.append(old.pk)
        if create:
            _insert_facts(create)
        if update:
            Fact.objects.bulk_update(update, list(FactData.__dataclass_fields__), batch_size=500)
        if delete:
            Fact.objects.filter(pk__in=delete).delete()
        apply_deltas(deltas)
    return len(create) + len(update) + len(delete)


def apply_deltas(deltas: dict[CellKey, Delta]) -> None:
    """Add the deltas to their cells: each cell read once and written once."""
    deltas = {k: d for k, d in deltas.items() if d.n or d.num or d.total or d.hist}
    if not deltas:
        return
    set_regions(deltas)
    for attempt in range(3):
        try:
            with transaction.atomic():  # a savepoint: a concurrent first insert loses quietly
                _apply(deltas)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _apply(deltas: dict[CellKey, Delta]) -> None:
    days = {k[1] for k in deltas}
    measures = {k[0] for k in deltas}
    keys = {k[3] for k in deltas}
    query = Cell.objects.select_for_update().filter(day__in=days, measure__in=measures)
    if len(keys) < 500:
        query = query.filter(key__in=keys)
    existing: dict[CellKey, list[Any]] = {}
    for pk, measure, day, scope, key, n, num, total, h in query.values_list(
        "id", "measure", "day", "scope", "key", "n", "num", "total", "hist"
    ):
        k = (measure, day, scope, key)
        if k in deltas:
            existing[k] = [pk, n, num, total, h or {}]
    create: list[Cell] = []
    update: list[Cell] = []
    delete: list[int] = []
    for k, d in deltas.items():
        row = existing.get(k)
        if row is None:
            create.append(
                Cell(
                    measure=k[0],
                    day=k[1],
                    scope=k[2],
                    key=k[3],
                    region_id=d.region_id,
                    n=d.n,
                    num=d.num,
                    total=d.total,
                    hist=dict(d.hist),
                )  # fmt: skip
            )
            continue
        pk, n, num, total, h = row
        cell = Cell(pk=pk, n=n + d.n, num=num + d.num, total=total + d.total)
        cell.hist = hist.merge(dict(h), d.hist)
        if cell.n == 0 and not cell.hist and not cell.num and not cell.total:
            delete.append(pk)
        else:
            update.append(cell)
    if create:
        _insert_cells(create)
    if update:
        _update_cells(update)
    if delete:
        Cell.objects.filter(pk__in=delete).delete()


def _json() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def _insert_facts(facts: list[Fact]) -> None:
    """Plain batched INSERTs (bulk_create's per-value preparation dominated the refresh)."""
    sql = (
        f"INSERT INTO {Fact._meta.db_table} (source, source_id, day, region_id, city_id, "  # noqa: S608 (table names from the code, values bound)
        f"outlet_id, unit_id, staff_id, model, fault, contrib) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {_json()})"
    )
    rows = [
        (f.source, f.source_id, f.day.isoformat() if connection.vendor == "sqlite" else f.day,
         f.region_id, f.city_id, f.outlet_id, f.unit_id, f.staff_id, f.model, f.fault,
         json.dumps(f.contrib, sort_keys=True))
        for f in facts
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _insert_cells(cells: list[Cell]) -> None:
    sql = (
        f"INSERT INTO {Cell._meta.db_table} (measure, day, scope, key, region_id, n, num, total, "  # noqa: S608 (table names from the code, values bound)
        f"hist) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {_json()})"
    )
    rows = [
        (c.measure, c.day.isoformat() if connection.vendor == "sqlite" else c.day, c.scope, c.key,
         c.region_id, c.n, c.num, c.total, json.dumps(c.hist, sort_keys=True))
        for c in cells
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _update_cells(cells: list[Cell]) -> None:
    """One parameterised UPDATE per cell, sent as a batch: Django's bulk_update builds a CASE
    expression per row and column, which costs more than the whole rest of the refresh."""
    table = Cell._meta.db_table
    sql = f"UPDATE {table} SET n = %s, num = %s, total = %s, hist = {_json()} WHERE id = %s"  # noqa: S608 (table names from the code, values bound)
    rows = [(c.n, c.num, c.total, json.dumps(c.hist, sort_keys=True), c.pk) for c in cells]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- rebuild -------------------------------------------------------------------------------
@dataclass
class Computed:
    facts: dict[tuple[str, int], FactData]
    cells: dict[CellKey, Delta]


def compute(sources: Iterable[str] | None = None, chunk: int = 5000) -> Computed:
    """Everything the rollups should hold, computed from the source records alone."""
    facts: dict[tuple[str, int], FactData] = {}
    cells: dict[CellKey, Delta] = {}
    for code in sources or SOURCES:
        source = SOURCES[code]
        if not source.available:
            continue
        for ids in source.all_ids(chunk):
            for pk, fact in source.build(ids).items():
                if fact is not None:
                    facts[(code, pk)] = fact
                    _add_fact(cells, fact, +1)
    kept = {k: d for k, d in cells.items() if d.n or d.hist}
    set_regions(kept)
    return Computed(facts, kept)


def _stored_cells(measures: set[str]) -> dict[CellKey, Delta]:
    out: dict[CellKey, Delta] = {}
    for c in Cell.objects.filter(measure__in=measures).iterator(chunk_size=5000):
        out[(c.measure, c.day, c.scope, c.key)] = Delta(
            n=c.n, num=c.num, total=c.total, region_id=c.region_id, hist=dict(c.hist or {})
        )
    return out


def differences(sources: Iterable[str] | None = None, limit: int = 20) -> list[str]:
    """Where the stored rollups differ from a computation from scratch (empty: they agree)."""
    codes = [c for c in (sources or SOURCES) if SOURCES[c].available]
    computed = compute(codes)
    measures = {m.code for m in MEASURES.values() if m.source in codes}
    stored = _stored_cells(measures)
    out = []
    for k in sorted(set(stored) | set(computed.cells), key=str):
        a, b = stored.get(k), computed.cells.get(k)
        if a != b:
            out.append(f"cell {k}: stored {a} ≠ computed {b}")
            if len(out) >= limit:
                return out
    stored_facts = {
        (f.source, f.source_id): f for f in Fact.objects.filter(source__in=codes).iterator()
    }
    for k in sorted(set(stored_facts) | set(computed.facts), key=str):
        a, b = stored_facts.get(k), computed.facts.get(k)
        if a is None or b is None or not _same(a, b):
            out.append(f"fact {k}: stored {a and a.contrib} ≠ computed {b and b.contrib}")
            if len(out) >= limit:
                break
    return out


def rebuild(sources: Iterable[str] | None = None) -> dict[str, int]:
    """Replace the facts and cells of ``sources`` with a computation from scratch."""
    codes = [c for c in (sources or SOURCES) if SOURCES[c].available]
    computed = compute(codes)
    measures = {m.code for m in MEASURES.values() if m.source in codes}
    with transaction.atomic():
        Fact.objects.filter(source__in=codes).delete()
        Cell.objects.filter(measure__in=measures).delete()
        Fact.objects.bulk_create(
            (Fact(source=s, source_id=pk, **f.as_row()) for (s, pk), f in computed.facts.items()),
            batch_size=2000,
        )
        Cell.objects.bulk_create(
            (
                Cell(
                    measure=k[0],
                    day=k[1],
                    scope=k[2],
                    key=k[3],
                    region_id=d.region_id,
                    n=d.n,
                    num=d.num,
                    total=d.total,
                    hist=d.hist,
                )  # fmt: skip
                for k, d in computed.cells.items()
            ),
            batch_size=2000,
        )
    return {"facts": len(computed.facts), "cells": len(computed.cells)}


# --- reading -------------------------------------------------------------------------------
@dataclass
class Agg:
    n: int = 0
    num: int = 0
    total: int = 0
    hist: dict[str, int] = field(default_factory=dict)

    def add(self, n: int, num: int, total: int, h: dict[str, int]) -> None:
        self.n += n
        self.num += num
        self.total += total
        hist.merge(self.hist, h)


def aggregate_many(
    measures: Iterable[str],
    scope: str,
    keys: Iterable[str] | None,
    start: dt.date,
    end: dt.date,
    *,
    by_day: bool = False,
) -> dict[tuple[str, str], Agg] | dict[tuple[str, str, dt.date], Agg]:
    """Sums of cells per (measure, key) — or per (measure, key, day) — over [start, end]."""
    query = Cell.objects.filter(
        scope=scope, measure__in=list(measures), day__gte=start, day__lte=end
    )
    if keys is not None:
        query = query.filter(key__in=list(keys))
    out: dict[Any, Agg] = defaultdict(Agg)
    for measure, key, day, n, num, total, h in query.values_list(
        "measure", "key", "day", "n", "num", "total", "hist"
    ):
        out[(measure, key, day) if by_day else (measure, key)].add(n, num, total, h or {})
    return dict(out)


def aggregate(measure: str, scope: str, key: str, start: dt.date, end: dt.date) -> Agg:
    return aggregate_many([measure], scope, [key], start, end).get((measure, key), Agg())


@dataclass
class Figure:
    indicator: Indicator
    value: float | None
    n: int
    num: int = 0
    lower_bound: bool = False
    note: str = ""

    @property
    def meets(self) -> bool | None:
        return self.indicator.meets(self.value)


def value_of(ind: Indicator, agg: Agg) -> tuple[float | None, bool]:
    """An indicator's value from a sum of cells: (value, is only a lower bound)."""
    if agg.n <= 0:
        return None, False
    if ind.stat == Stat.MEAN:
        return agg.total / agg.n / 60000, False
    if ind.stat == Stat.SHARE:
        return 100.0 * agg.num / agg.n, False
    if ind.stat in (Stat.P50, Stat.P90):
        m = MEASURES[ind.measure or ""]
        q = 0.5 if ind.stat == Stat.P50 else 0.9
        seconds, bound = hist.percentile(agg.hist, q, m.bucket_seconds or 1, m.limit_seconds or 0)
        return (None if seconds is None else seconds / 60), bound
    raise ValueError(ind.stat)


def figure(code: str, scope: str, key: str, start: dt.date, end: dt.date) -> Figure:
    from . import snapshots
    from .facts import source_available

    ind = INDICATORS[code]
    if ind.stat == Stat.SNAPSHOT:
        return snapshots.figure(ind, scope, key, end)
    measure = MEASURES[ind.measure or ""]
    if not source_available(measure.source):
        return Figure(ind, None, 0, note="no data source yet")
    if scope not in measure.scopes:
        return Figure(ind, None, 0, note="not kept at this scope")
    agg = aggregate(measure.code, scope, key, start, end)
    value, bound = value_of(ind, agg)
    return Figure(ind, value, agg.n, agg.num, lower_bound=bound)


def figures(
    codes: Iterable[str], scope: str, key: str, start: dt.date, end: dt.date
) -> dict[str, Figure]:
    """Several indicators for one member and period with one query for all their cells."""
    from . import snapshots
    from .facts import source_available

    inds = [INDICATORS[c] for c in codes]
    wanted = {
        i.measure
        for i in inds
        if i.measure and scope in MEASURES[i.measure].scopes
        and source_available(MEASURES[i.measure].source)
    }  # fmt: skip
    sums = aggregate_many(wanted, scope, [key], start, end) if wanted else {}
    out: dict[str, Figure] = {}
    for ind in inds:
        if ind.stat == Stat.SNAPSHOT:
            out[ind.code] = snapshots.figure(ind, scope, key, end)
            continue
        m = MEASURES[ind.measure or ""]
        if not source_available(m.source):
            out[ind.code] = Figure(ind, None, 0, note="no data source yet")
        elif scope not in m.scopes:
            out[ind.code] = Figure(ind, None, 0, note="not kept at this scope")
        else:
            agg = sums.get((m.code, key), Agg())
            value, bound = value_of(ind, agg)
            out[ind.code] = Figure(ind, value, agg.n, agg.num, lower_bound=bound)
    return out
