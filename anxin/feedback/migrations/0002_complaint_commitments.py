"""The complaint clocks as this app drives them (FB-3, SLA-2), added as data.

The commitments seed already holds the complaint job kind and its two commitments (first
response 2 h, solution 48 h). Here: the ``reopened`` event, and the commitment that restarts
the 48-hour solution clock when a closed complaint is reopened (the first response was given
the first time round). If the seed's commitments are missing (a database set up without
them), they are created.
"""

from django.db import migrations

H = 3600
CHAIN = {
    "warning": {"roles": ["customer_service"]},
    "breach": {"roles": ["customer_service", "regional_manager"]},
    "escalation": {"roles": ["quality_auditor"]},
}
COMMITMENTS = [
    dict(code="complaint-first-response", name="投诉首次响应 2 小时", start_event="received",
         stop_event="first_response", target=2 * H, pause_states=[], escalate_after=2 * H),
    dict(code="complaint-solution", name="投诉解决 48 小时", start_event="received",
         stop_event="solved", target=48 * H, pause_states=["waiting_customer"],
         escalate_after=24 * H),
    dict(code="complaint-solution-reopened", name="重新打开的投诉解决 48 小时",
         start_event="reopened", stop_event="solved", target=48 * H,
         pause_states=["waiting_customer"], escalate_after=24 * H),
]
KIND = {
    "code": "complaint", "name": "投诉 Complaint",
    "events": ["received", "first_response", "investigating", "root_cause_found",
               "solution_proposed", "solved", "customer_confirmed", "closed", "withdrawn"],
    "states": ["received", "responded", "investigating", "waiting_customer", "solved",
               "confirmed", "closed", "withdrawn"],
    "pause_states": ["waiting_customer"], "terminal_events": ["withdrawn"],
}


def seed(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    kind, _ = JobKind.objects.get_or_create(code="complaint", defaults=KIND)
    if "reopened" not in kind.events:
        kind.events = list(kind.events) + ["reopened"]
        kind.save(update_fields=["events"])
    natural = Calendar.objects.filter(name="natural").first()
    if natural is None:
        return
    for spec in COMMITMENTS:
        spec = dict(spec)
        code = spec.pop("code")
        Commitment.objects.get_or_create(
            code=code,
            defaults=dict(spec, job_kind=kind, calendar=natural, escalation=CHAIN,
                          warning_percent=80),
        )


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Commitment").objects.filter(
        code="complaint-solution-reopened").delete()
    kind = apps.get_model("commitments", "JobKind").objects.filter(code="complaint").first()
    if kind is not None:
        kind.events = [e for e in kind.events if e != "reopened"]
        kind.save(update_fields=["events"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("commitments", "0004_alter_commitment_warning_percent"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
