"""The tamper-evident change log (SEC-3)."""

import json
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from anxin.audit.changelog import verify
from anxin.audit.context import acting_as
from anxin.audit.models import ChainHead, ChangeLogEntry


def test_create_update_delete_are_recorded_with_actor_before_and_after(dispatcher, outlet):
    with acting_as(dispatcher, request_id="req-42"):
        outlet.daily_capacity = 35
        outlet.save()
        pk = outlet.pk
        outlet.delete()
    entries = list(ChangeLogEntry.objects.filter(model="network.outlet", object_pk=str(pk)))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    update = entries[1]
    assert update.actor_id == dispatcher.pk and update.actor_label == "dispatcher_east"
    assert update.request_id == "req-42"
    assert json.loads(update.before)["daily_capacity"] == 20
    assert json.loads(update.after)["daily_capacity"] == 35
    assert entries[2].after == ""


def test_a_save_that_changes_nothing_is_not_logged(outlet):
    before = ChangeLogEntry.objects.count()
    outlet.save()
    assert ChangeLogEntry.objects.count() == before


def test_passwords_never_reach_the_log(dispatcher):
    entry = ChangeLogEntry.objects.filter(
        model="accounts.user", object_pk=str(dispatcher.pk)
    ).first()
    assert json.loads(entry.after)["password"] == "***"


def test_the_chain_verifies(outlet, unit):
    verdict = verify()
    assert verdict.ok and verdict.checked == ChangeLogEntry.objects.count() >= 4


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_editing_a_stored_entry_is_detected_and_named(outlet, unit):
    target = ChangeLogEntry.objects.filter(model="network.outlet").first()
    _raw(
        "UPDATE audit_changelogentry SET after = %s WHERE seq = %s",
        [target.after.replace("20", "99"), target.seq],
    )
    verdict = verify()
    assert not verdict.ok and verdict.broken_seq == target.seq
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        call_command("verify_changelog")


def test_deleting_an_entry_in_the_middle_is_detected(outlet, unit):
    middle = ChangeLogEntry.objects.order_by("seq")[1]
    _raw("DELETE FROM audit_changelogentry WHERE seq = %s", [middle.seq])
    verdict = verify()
    assert not verdict.ok and verdict.broken_seq == middle.seq


def test_deleting_the_newest_entry_is_detected(outlet, unit):
    last = ChangeLogEntry.objects.order_by("-seq").first()
    _raw("DELETE FROM audit_changelogentry WHERE seq = %s", [last.seq])
    assert not verify().ok


def test_reordering_entries_is_detected(outlet, unit):
    a, b = ChangeLogEntry.objects.order_by("seq")[:2]
    _raw(
        "UPDATE audit_changelogentry SET seq = seq + 1000000 WHERE seq IN (%s, %s)", [a.seq, b.seq]
    )
    _raw("UPDATE audit_changelogentry SET seq = %s WHERE seq = %s", [a.seq, b.seq + 1000000])
    _raw("UPDATE audit_changelogentry SET seq = %s WHERE seq = %s", [b.seq, a.seq + 1000000])
    verdict = verify()
    assert not verdict.ok and verdict.broken_seq == a.seq


def test_the_head_counts_every_entry(outlet):
    head = ChainHead.objects.get()
    assert head.last_seq == ChangeLogEntry.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_fails_after_an_entry_is_edited_with_sqlite3(tmp_path):
    """The issue's own check: edit one stored entry by hand with sqlite3, the command fails."""
    if connection.vendor != "sqlite":
        pytest.skip("this check edits an SQLite file by hand; the ORM tests above cover PostgreSQL")
    db = tmp_path / "audit.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "anxin.cli", *args], env=env, capture_output=True, text=True
        )

    assert run("migrate", "-v0").returncode == 0
    assert (
        run(
            "shell",
            "-c",
            "from anxin.network.models import Region; Region.objects.create(code='x', name='X')",
        ).returncode
        == 0
    )
    ok = run("verify-changelog")
    assert ok.returncode == 0, ok.stderr
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE audit_changelogentry SET actor_label = 'someone-else' WHERE seq = 1")
    broken = run("verify-changelog")
    assert broken.returncode != 0
    assert "#1" in broken.stderr
