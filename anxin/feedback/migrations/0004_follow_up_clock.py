"""The low-rating follow-up's clock (差评回访), added as data: customer service calls the customer
back within 24 hours of the low rating (``opened`` → ``contacted``), warned at 80 %, breached
and escalated like the complaint clocks. Closing a follow-up ends its clocks."""

from django.db import migrations

H = 3600
CHAIN = {
    "warning": {"roles": ["customer_service"]},
    "breach": {"roles": ["customer_service", "regional_manager"]},
    "escalation": {"roles": ["quality_auditor"]},
}
KIND = {
    "code": "rating_follow_up", "name": "差评回访 Low-rating follow-up",
    "events": ["opened", "contacted", "closed"], "states": ["open", "contacted", "closed"],
    "pause_states": [], "terminal_events": ["closed"],
}
COMMITMENT = dict(code="rating-follow-up-contact", name="差评回访 24 小时", start_event="opened",
                  stop_event="contacted", target=24 * H, pause_states=[], escalate_after=24 * H)


def seed(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    kind, _ = JobKind.objects.get_or_create(code=KIND["code"], defaults=KIND)
    natural = Calendar.objects.filter(name="natural").first()
    if natural is None:
        return
    spec = dict(COMMITMENT)
    code = spec.pop("code")
    Commitment.objects.get_or_create(
        code=code,
        defaults=dict(spec, job_kind=kind, calendar=natural, escalation=CHAIN,
                      warning_percent=80),
    )


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Commitment").objects.filter(code=COMMITMENT["code"]).delete()
    apps.get_model("commitments", "JobKind").objects.filter(code=KIND["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0003_message_templates"),
        ("commitments", "0004_alter_commitment_warning_percent"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
