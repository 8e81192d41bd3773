"""The rescue app's own message templates, kept as data like every other template."""

from django.db import migrations

ROWS = [
    {"code": "rescue.compliance_sent_back", "channel": "sms", "language": "zh-hans", "urgent": True,
     "name": "现场审核退回", "body": "现场审核退回：救援单{job_no}需整改：{reasons}。请按要求处理。"},
    {"code": "rescue.compliance_sent_back", "channel": "sms", "language": "en", "urgent": True,
     "name": "On-site review sent back",
     "body": "On-site review sent back: job {job_no} needs correction: {reasons}. Please act now."},
]


def seed(apps, schema_editor):
    template = apps.get_model("notifications", "MessageTemplate")
    for row in ROWS:
        keys = {"code", "channel", "language"}
        template.objects.update_or_create(
            **{k: row[k] for k in keys}, defaults={k: v for k, v in row.items() if k not in keys}
        )


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code="rescue.compliance_sent_back"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rescue", "0002_rescue_job_kind_vocabulary"),
        ("notifications", "0002_seed_templates"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
