"""The background worker: jobs commit with their change, are claimed once, survive crashes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from anxin.worker import api
from anxin.worker.api import Defer, enqueue, handler, periodic
from anxin.worker.models import Job, PeriodicRun
from anxin.worker.runner import claim, run_once

from .conftest import logged_in

pytestmark = pytest.mark.usefixtures("core_sweeps_only")

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent
calls: list[str] = []


@handler("test.ok")
def ok(payload: dict, job: Job) -> None:
    calls.append(payload["name"])


@handler("test.boom")
def boom(payload: dict, job: Job) -> None:
    raise RuntimeError("provider on fire")


@handler("test.defer")
def later(payload: dict, job: Job) -> None:
    raise Defer(T0 + dt.timedelta(hours=1), "not yet")


@handler("test.stolen")
def stolen(payload: dict, job: Job) -> None:
    enqueue("test.ok", {"name": "side effect"})
    # Meanwhile our lease ran out and another worker claimed the job.
    Job.objects.filter(pk=job.pk).update(locked_by="other-worker")


sweeps: list[dt.datetime] = []


@periodic("test.sweep", every_seconds=60)
def sweep(now: dt.datetime) -> int:
    sweeps.append(now)
    return 0


@pytest.fixture(autouse=True)
def fresh_calls():
    calls.clear()
    sweeps.clear()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_enqueued_in_a_transaction_that_rolls_back_does_not_exist():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        enqueue("test.ok", {"name": "lost"})
        1 / 0  # noqa: B018
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_enqueued_in_a_transaction_that_commits_exists():
    with transaction.atomic():
        job = enqueue("test.ok", {"name": "kept"}, dedupe_key="k-1")
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED


@pytest.mark.django_db
def test_a_second_enqueue_with_the_same_key_returns_the_first_job():
    first = enqueue("test.ok", {"name": "a"}, dedupe_key="once")
    second = enqueue("test.ok", {"name": "b"}, dedupe_key="once")
    assert second.pk == first.pk
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_duplicate_insert_race_does_not_break_the_callers_transaction(monkeypatch):
    first = enqueue("test.ok", {"name": "a"}, dedupe_key="race")
    # As if a concurrent transaction inserted between our look-up and our insert.
    monkeypatch.setattr(api, "_existing", lambda key: None)
    with transaction.atomic():
        again = enqueue("test.ok", {"name": "b"}, dedupe_key="race")
        enqueue("test.ok", {"name": "c"})  # the transaction is still usable
    assert again.pk == first.pk
    assert Job.objects.count() == 2


@pytest.mark.django_db
def test_enqueue_refuses_a_naive_run_at():
    with pytest.raises(ValueError):
        enqueue("test.ok", {}, run_at=dt.datetime(2026, 1, 1, 8, 0))  # noqa: DTZ001


@pytest.mark.django_db
def test_of_two_workers_claiming_the_same_job_only_one_wins():
    job = enqueue("test.ok", {"name": "x"}, run_at=T0)
    assert claim(job.pk, worker_id="a", now=T0, lease_seconds=60) is not None
    assert claim(job.pk, worker_id="b", now=T0, lease_seconds=60) is None
    assert Job.objects.get(pk=job.pk).locked_by == "a"


@pytest.mark.django_db
def test_two_workers_in_turn_run_a_job_once():
    enqueue("test.ok", {"name": "x"}, run_at=T0)
    assert run_once(worker_id="a", now=T0) == 1
    assert run_once(worker_id="b", now=T0) == 0
    assert calls == ["x"]
    assert Job.objects.get().state == Job.State.DONE


@pytest.mark.django_db
def test_a_job_waits_for_its_run_at():
    enqueue("test.ok", {"name": "later"}, run_at=T0 + dt.timedelta(minutes=5))
    assert run_once(worker_id="a", now=T0) == 0
    assert run_once(worker_id="a", now=T0 + dt.timedelta(minutes=5)) == 1


@pytest.mark.django_db
def test_a_job_abandoned_by_a_killed_worker_is_picked_up_after_its_lease():
    job = enqueue("test.ok", {"name": "orphan"}, run_at=T0)
    claim(job.pk, worker_id="killed", now=T0, lease_seconds=60)  # ...and the worker dies
    assert run_once(worker_id="b", now=T0 + dt.timedelta(seconds=30)) == 0
    assert run_once(worker_id="b", now=T0 + dt.timedelta(seconds=61)) == 1
    job.refresh_from_db()
    assert (job.state, job.locked_by, job.attempts) == (Job.State.DONE, "b", 2)
    assert calls == ["orphan"]


@pytest.mark.django_db
def test_a_failing_handler_retries_with_growing_back_off_then_goes_dead(settings):
    settings.ANXIN_WORKER_BACKOFF_BASE = 10
    job = enqueue("test.boom", {}, run_at=T0)
    now, delays = T0, []
    for _ in range(job.max_attempts - 1):
        assert run_once(worker_id="a", now=now) == 1
        job.refresh_from_db()
        assert job.state == Job.State.FAILED and "provider on fire" in job.last_error
        delays.append((job.run_at - now).total_seconds())
        assert run_once(worker_id="a", now=job.run_at - dt.timedelta(seconds=1)) == 0
        now = job.run_at
    run_once(worker_id="a", now=now)
    job.refresh_from_db()
    assert job.state == Job.State.DEAD and job.attempts == job.max_attempts
    # Equal jitter: try n waits between half and all of 10 s * 2^(n-1).
    for n, delay in enumerate(delays, start=1):
        assert 5 * 2 ** (n - 1) <= delay <= 10 * 2 ** (n - 1)
    assert run_once(worker_id="a", now=now + dt.timedelta(days=1)) == 0


@pytest.mark.django_db
def test_a_deferred_job_runs_later_without_using_up_a_try():
    job = enqueue("test.defer", {}, run_at=T0)
    run_once(worker_id="a", now=T0)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.run_at) == (
        Job.State.QUEUED,
        0,
        T0 + dt.timedelta(hours=1),
    )


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_rolls_back_the_handlers_writes():
    job = enqueue("test.stolen", {}, run_at=T0)
    run_once(worker_id="a", now=T0)
    job.refresh_from_db()
    # (The simulated steal is rolled back with the rest here; in life it is the other
    # worker's committed claim.) The job is not marked done by us, and our writes are gone.
    assert job.state == Job.State.RUNNING
    assert not Job.objects.filter(kind="test.ok").exists()


@pytest.mark.django_db
def test_a_job_without_a_handler_fails_with_the_reason():
    job = enqueue("test.nobody-handles-this", {}, run_at=T0)
    run_once(worker_id="a", now=T0)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "no handler" in job.last_error


@pytest.mark.django_db
def test_a_periodic_sweep_runs_once_per_tick_whatever_the_number_of_workers():
    run_once(worker_id="a", now=T0)
    run_once(worker_id="b", now=T0 + dt.timedelta(seconds=30))
    assert sweeps == [T0]
    run_once(worker_id="b", now=T0 + dt.timedelta(seconds=60))
    assert sweeps == [T0, T0 + dt.timedelta(seconds=60)]
    assert PeriodicRun.objects.get(name="test.sweep").locked_by == "b"


@pytest.mark.django_db
def test_the_worker_command_runs_a_batch_with_once():
    from django.core.management import call_command

    enqueue("test.ok", {"name": "cmd"})
    call_command("worker", "--once", "--id", "cmd-worker")
    assert calls == ["cmd"]
    assert Job.objects.get().locked_by == "cmd-worker"


@pytest.mark.django_db
def test_an_administrator_requeues_a_dead_job(admin_user):
    dead = Job.objects.create(
        kind="test.ok", payload={"name": "again"}, state=Job.State.DEAD, attempts=5
    )
    running = Job.objects.create(kind="test.ok", state=Job.State.RUNNING, attempts=1)
    response = logged_in(admin_user).post(
        "/admin/worker/job/", {"action": "retry", "_selected_action": [dead.pk, running.pk]}
    )
    assert response.status_code == 302
    dead.refresh_from_db()
    running.refresh_from_db()
    assert (dead.state, dead.attempts) == (Job.State.QUEUED, 0)
    assert running.state == Job.State.RUNNING  # untouched: it is already on its way


# --- The crash test ------------------------------------------------------------------------


def database_url_for_child() -> str:
    """The URL of the test database, for the worker process to open the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if connection.is_in_memory_db():
            pytest.skip(
                "the worker process cannot open an in-memory database: run with "
                "ANXIN_TEST_SQLITE=/tmp/anxin-test.sqlite3"
            )
        return f"sqlite:///{Path(name).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db['HOST']}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "worker",
            "--id",
            name,
            "--lease-seconds",
            "2",
            "--sleep",
            "0.2",
            "--batch",
            "100",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def counts() -> tuple[int, int]:
    from anxin.notifications.models import Message

    return (
        Job.objects.filter(kind="test.record", state=Job.State.DONE).count(),
        Message.objects.filter(state=Message.State.SENT).count(),
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killing_the_worker_mid_batch_loses_and_repeats_nothing(settings):
    from anxin.notifications.api import notify
    from anxin.notifications.models import Message, MessageTemplate

    from .fakes.kill_handlers import TABLE
    from .fakes.providers import FakeAliyun

    n = 1000
    settings.ANXIN_QUIET_HOURS = ""
    url = database_url_for_child()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (job_id bigint PRIMARY KEY, worker varchar(100))")
    try:
        MessageTemplate.objects.update_or_create(
            code="kill.test",
            channel="sms",
            language="zh-hans",
            defaults={"body": "救援单{job_no}进度：{status}", "provider_template_id": "SMS_1"},
        )
        with transaction.atomic():
            # The jobs in bulk (enqueue is tested above), due between the messages so that the
            # kill lands among both kinds; the messages through the real API.
            jobs = []
            for i in range(n):
                notify(
                    job_ref=f"rescue:{i}",
                    purpose="progress",
                    template="kill.test",
                    recipient=f"138{i:08d}",
                    context={"job_no": i, "status": "en route"},
                )
                jobs.append(
                    Job(kind="test.record", payload={"sleep": 0.001}, run_at=timezone.now())
                )
            Job.objects.bulk_create(jobs)
        with FakeAliyun() as fake:
            fake.delay = 0.003
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "anxin.settings",
                "ANXIN_WORKER_MODULES": "tests.fakes.kill_handlers",
                "ANXIN_SMS_PROVIDER": "aliyun",
                "ANXIN_ALIYUN_SMS_URL": fake.url,
                "ANXIN_ALIYUN_ACCESS_KEY_ID": fake.key_id,
                "ANXIN_ALIYUN_ACCESS_KEY_SECRET": fake.secret,
                "ANXIN_QUIET_HOURS": "",
                "ANXIN_LOG_LEVEL": "WARNING",
            }
            started = time.monotonic()
            first = start_worker(env, "first")
            deadline = time.monotonic() + 40
            while sum(counts()) < 2 * n // 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            done_at_kill = counts()
            in_flight = (
                Job.objects.filter(state=Job.State.RUNNING).count(),
                Message.objects.filter(state=Message.State.SENDING).count(),
            )
            assert 0 < sum(done_at_kill) < 2 * n, "the kill must land mid-batch"

            # Two workers after the restart: they race for the same rows, which must not make
            # anything run twice either.
            restarted = [start_worker(env, "second-a"), start_worker(env, "second-b")]
            deadline = time.monotonic() + 40
            while counts() != (n, n) and time.monotonic() < deadline:
                time.sleep(0.1)
            for worker in restarted:
                worker.send_signal(signal.SIGTERM)  # a clean stop, for good measure
            for worker in restarted:
                _out, err = worker.communicate(timeout=15)
                assert worker.returncode == 0, err.decode()[-2000:]

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), count(DISTINCT job_id) FROM {TABLE}")  # noqa: S608
            executions, distinct = cursor.fetchone()
        assert counts() == (n, n)
        assert executions == distinct == n  # every job ran exactly once
        assert len(fake.sends) == n and set(fake.sends.values()) == {1}  # each SMS sent once
        assert fake.bad_signatures == 0
        assert not Job.objects.exclude(state=Job.State.DONE).exists()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT worker, count(*) FROM {TABLE} GROUP BY worker")  # noqa: S608
            by_worker = dict(cursor.fetchall())
        print(
            f"\nkill test on {connection.vendor} ({time.monotonic() - started:.1f}s of work): "
            f"at kill done={done_at_kill} "
            f"in flight (jobs running, messages sending)={in_flight}; "
            f"after restart executions={executions}, sends={sum(fake.sends.values())}, "
            f"jobs by worker={by_worker}"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {TABLE}")
