"""The rescue job kind's events and states as this app uses them (first review send-back and
the third review), added to the commitments' job-kind data rather than to their code."""

from django.db import migrations

EXTRA = ["returned", "reviewed"]


def extend(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    kind = JobKind.objects.filter(code="rescue").first()
    if kind is None:
        return
    kind.events = list(kind.events) + [e for e in EXTRA if e not in kind.events]
    kind.states = list(kind.states) + [s for s in EXTRA if s not in kind.states]
    kind.save(update_fields=["events", "states"])


def shrink(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    kind = JobKind.objects.filter(code="rescue").first()
    if kind is None:
        return
    kind.events = [e for e in kind.events if e not in EXTRA]
    kind.states = [s for s in kind.states if s not in EXTRA]
    kind.save(update_fields=["events", "states"])


class Migration(migrations.Migration):
    dependencies = [
        ("rescue", "0001_initial"),
        ("commitments", "0003_seed_job_kinds_and_commitments"),
    ]
    operations = [migrations.RunPython(extend, shrink)]
