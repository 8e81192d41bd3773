"""Claim and run due jobs and periodic sweeps.

Claims are conditional UPDATEs that repeat the "is it due?" condition in their WHERE clause,
so of several workers racing for a row exactly one updates it: PostgreSQL re-checks the
condition after waiting for the row lock, SQLite serialises writers. No advisory locks and
no ``SELECT ... FOR UPDATE SKIP LOCKED``, so both databases take the same path.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from anxin.audit.context import acting_as

from .api import Defer, Retry, backoff, get_handler, sweeps
from .models import Job, PeriodicRun

log = logging.getLogger("anxin.worker")

ERROR_LIMIT = 4000


class LeaseLost(Exception):  # noqa: N818
    """Our lease ran out and another worker claimed the job; our run must not count."""


def due(now: dt.datetime) -> Q:
    """Jobs a worker may claim at ``now``: waiting and due, or abandoned by a dead worker."""
    waiting = Q(state__in=[Job.State.QUEUED, Job.State.FAILED], run_at__lte=now)
    abandoned = Q(state=Job.State.RUNNING, lease_until__lt=now)
    return waiting | abandoned


def claim(job_id: int, *, worker_id: str, now: dt.datetime, lease_seconds: int) -> Job | None:
    """Take the job for ``lease_seconds`` if it is still claimable; None if someone else won."""
    won = Job.objects.filter(due(now), id=job_id).update(
        state=Job.State.RUNNING,
        lease_until=now + dt.timedelta(seconds=lease_seconds),
        locked_by=worker_id,
        attempts=F("attempts") + 1,
    )
    if won != 1:
        return None
    return Job.objects.filter(id=job_id, locked_by=worker_id, state=Job.State.RUNNING).first()


def _ours(job: Job, worker_id: str) -> Q:
    return Q(id=job.pk, state=Job.State.RUNNING, locked_by=worker_id)


def _mark_done(job: Job, worker_id: str, now: dt.datetime) -> bool:
    return bool(
        Job.objects.filter(_ours(job, worker_id)).update(
            state=Job.State.DONE, finished_at=now, lease_until=None, last_error=""
        )
    )


def _mark_failed(
    job: Job, worker_id: str, now: dt.datetime, error: str, at: dt.datetime | None = None
) -> str:
    if job.attempts >= job.max_attempts:
        fields = {"state": Job.State.DEAD, "finished_at": now}
    else:
        fields = {"state": Job.State.FAILED, "run_at": at or now + backoff(job.attempts)}
    Job.objects.filter(_ours(job, worker_id)).update(
        lease_until=None, last_error=error[-ERROR_LIMIT:], **fields
    )
    return str(fields["state"])


def _mark_deferred(job: Job, worker_id: str, at: dt.datetime, reason: str) -> None:
    # A deferral is nobody's failure, so the try taken by the claim is given back.
    Job.objects.filter(_ours(job, worker_id)).update(
        state=Job.State.QUEUED,
        run_at=at,
        lease_until=None,
        attempts=F("attempts") - 1,
        last_error=reason[:ERROR_LIMIT],
    )


def run_job(job: Job, *, worker_id: str, now: dt.datetime | None = None) -> str:
    """Run a claimed job and record the outcome; returns the job's new state."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    if job.attempts > job.max_attempts:
        # Claimed again after crashing the worker max_attempts times: a poison pill.
        return _mark_failed(job, worker_id, clock(), "abandoned by the worker too many times")
    spec = get_handler(job.kind)
    if spec is None:
        return _mark_failed(job, worker_id, clock(), f"no handler registered for {job.kind!r}")
    with acting_as(label=f"worker:{worker_id}", request_id=f"job-{job.pk}"):
        try:
            if spec.atomic:
                with transaction.atomic():
                    spec.fn(job.payload, job)
                    if not _mark_done(job, worker_id, clock()):
                        raise LeaseLost(f"job {job.pk} was claimed by another worker")
            else:
                spec.fn(job.payload, job)
                if not _mark_done(job, worker_id, clock()):
                    log.warning("job %s finished after its lease was taken over", job.pk)
            return Job.State.DONE
        except LeaseLost as exc:
            log.warning("%s; its writes were rolled back", exc)
            return Job.State.RUNNING
        except Defer as exc:
            _mark_deferred(job, worker_id, exc.at, exc.reason)
            log.info("job %s %s deferred to %s: %s", job.pk, job.kind, exc.at, exc.reason)
            return Job.State.QUEUED
        except Retry as exc:
            state = _mark_failed(job, worker_id, clock(), str(exc), exc.at)
        except Exception:
            state = _mark_failed(job, worker_id, clock(), traceback.format_exc())
        log.warning(
            "job %s %s try %s/%s failed, now %s",
            job.pk,
            job.kind,
            job.attempts,
            job.max_attempts,
            state,
        )
        return state


def run_due_sweeps(*, worker_id: str, now: dt.datetime) -> int:
    """Run each registered sweep whose tick is due and claimed by us; returns their total."""
    total = 0
    for sweep in sweeps():
        row = PeriodicRun.objects.filter(name=sweep.name).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = PeriodicRun.objects.create(name=sweep.name, next_run_at=now)
            except IntegrityError:
                row = PeriodicRun.objects.get(name=sweep.name)
        if row.next_run_at > now:
            continue
        claimed = PeriodicRun.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
            next_run_at=now + sweep.every, last_started_at=now, locked_by=worker_id
        )
        if not claimed:
            continue
        with acting_as(label=f"worker:{worker_id}", request_id=f"sweep-{sweep.name}"):
            try:
                with transaction.atomic():
                    count = int(sweep.fn(now))
            except Exception:
                log.exception("sweep %s failed", sweep.name)
                PeriodicRun.objects.filter(pk=row.pk).update(
                    last_error=traceback.format_exc()[-ERROR_LIMIT:], last_finished_at=now
                )
                continue
        PeriodicRun.objects.filter(pk=row.pk).update(
            last_count=count, last_error="", last_finished_at=now
        )
        if count:
            log.info("sweep %s did %s", sweep.name, count)
        total += count
    return total


def run_once(
    *,
    worker_id: str,
    batch: int = 50,
    lease_seconds: int = 60,
    now: dt.datetime | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Run due sweeps, then claim and run up to ``batch`` due jobs, one at a time.

    Jobs are claimed one by one just before they run, so a long batch never holds leases on
    jobs it has not started. ``stop`` is polled between jobs (the command's SIGTERM flag).
    Returns how many jobs ran plus what the sweeps did; 0 means there was nothing to do.
    """
    started = now or timezone.now()
    done = run_due_sweeps(worker_id=worker_id, now=started)
    candidates = list(
        Job.objects.filter(due(started))
        .order_by("run_at", "id")
        .values_list("id", flat=True)[:batch]
    )
    for job_id in candidates:
        if stop is not None and stop():
            break
        at = now or timezone.now()
        job = claim(job_id, worker_id=worker_id, now=at, lease_seconds=lease_seconds)
        if job is None:
            continue  # another worker got there first
        state = run_job(job, worker_id=worker_id, now=now)
        log.debug("job %s %s -> %s", job.pk, job.kind, state)
        done += 1
    return done
