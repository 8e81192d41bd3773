"""The worker's public API: enqueue jobs, register handlers and periodic sweeps.

Registration happens at import time of each app's ``handlers`` module, which the app imports
in its ``AppConfig.ready`` (see :mod:`anxin.worker.apps`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf
from .models import Job

HandlerFn = Callable[[dict[str, Any], Job], None]
SweepFn = Callable[[dt.datetime], int]


@dataclass(frozen=True)
class Handler:
    kind: str
    fn: HandlerFn
    atomic: bool


@dataclass(frozen=True)
class Sweep:
    name: str
    fn: SweepFn
    every: dt.timedelta


_handlers: dict[str, Handler] = {}
_sweeps: dict[str, Sweep] = {}


class Defer(Exception):  # noqa: N818  (a control-flow signal, not an error)
    """Raised by a handler to run the job again at ``at`` without counting a failed try.

    For waits that are nobody's fault: quiet hours, a provider's open circuit breaker.
    """

    def __init__(self, at: dt.datetime, reason: str = "") -> None:
        super().__init__(reason or f"deferred to {at.isoformat()}")
        self.at = at
        self.reason = reason


class Retry(Exception):  # noqa: N818
    """Raised by a handler to count a failed try and run again at ``at`` (not the default
    back-off), e.g. when the handler keeps its own schedule on a row it owns."""

    def __init__(self, reason: str, at: dt.datetime | None = None) -> None:
        super().__init__(reason)
        self.at = at


def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Add a job, in the caller's transaction: it commits or rolls back with the change.

    With ``dedupe_key``, a second enqueue returns the job already there. The insert runs in a
    savepoint so that the duplicate's IntegrityError does not break the caller's transaction.
    """
    if run_at is not None and timezone.is_naive(run_at):
        raise ValueError("run_at must be an aware datetime")
    if dedupe_key is not None and (existing := _existing(dedupe_key)) is not None:
        return existing
    job = Job(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        run_at=run_at or timezone.now(),
        max_attempts=conf.max_attempts(),
    )
    try:
        with transaction.atomic():
            job.save(force_insert=True)
    except IntegrityError:
        if dedupe_key is None:
            raise
        # Another transaction inserted the same key between our look-up and our insert.
        return Job.objects.get(dedupe_key=dedupe_key)
    return job


def _existing(dedupe_key: str) -> Job | None:
    return Job.objects.filter(dedupe_key=dedupe_key).first()


def handler(kind: str, *, atomic: bool = True) -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn(payload, job)`` as the handler of jobs of ``kind``.

    Handlers must be idempotent: a job can run again after a crash. With ``atomic=True``
    (the default) the handler's writes and the job's "done" mark commit together, so database
    effects happen exactly once. ``atomic=False`` is for handlers that must commit a step
    before talking to the outside world (the notification sender marks a message "sending"
    before it calls the provider).
    """

    def register(fn: HandlerFn) -> HandlerFn:
        _handlers[kind] = Handler(kind=kind, fn=fn, atomic=atomic)
        return fn

    return register


def periodic(name: str, every_seconds: float) -> Callable[[SweepFn], SweepFn]:
    """Register ``fn(now) -> int`` to be called by a worker every ``every_seconds``.

    One worker runs each tick (the tick is claimed in the database). The sweep runs in one
    transaction and should do a bounded amount of work, returning how many things it did.
    """

    def register(fn: SweepFn) -> SweepFn:
        _sweeps[name] = Sweep(name=name, fn=fn, every=dt.timedelta(seconds=every_seconds))
        return fn

    return register


def get_handler(kind: str) -> Handler | None:
    return _handlers.get(kind)


def sweeps() -> list[Sweep]:
    return list(_sweeps.values())


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before try ``attempts + 1``: exponential, capped, with "equal jitter".

    Half the delay is fixed and half random, so retries of many jobs failing together (a
    provider outage) spread out instead of hitting the provider again in one burst.
    """
    base, cap = conf.backoff_base_seconds(), conf.backoff_cap_seconds()
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    jitter = (rng or random).uniform(0, delay / 2)
    return dt.timedelta(seconds=delay / 2 + jitter)
