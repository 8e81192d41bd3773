"""Seed the review/investigation job kind and deadlines, the seeds' alert rules (KPI-3) and
the alert message templates, as data administrators edit afterwards."""

from django.db import migrations

D = 24 * 3600

JOB_KIND = {
    "code": "quality_review", "name": "质量复核/调查 Quality review",
    "events": ["review_opened", "investigation_opened", "closed", "cancelled"],
    "states": ["open", "closed", "cancelled"],
    "pause_states": [], "terminal_events": ["cancelled"],
}
COMMITMENTS = [
    dict(code="quality-review-5d", name="质量复核 5 个工作日", start_event="review_opened",
         stop_event="closed", target=5 * 8 * 3600, calendar="cn-workday",
         escalation={"warning": {"roles": ["regional_manager"]},
                     "breach": {"roles": ["regional_manager", "quality_auditor"]}}),
    dict(code="quality-investigation-10d", name="重点调查 10 个工作日",
         start_event="investigation_opened", stop_event="closed", target=10 * 8 * 3600,
         calendar="cn-workday",
         escalation={"warning": {"roles": ["quality_auditor"]},
                     "breach": {"roles": ["quality_auditor", "regional_manager"]}}),
]
RULES = [
    dict(code="repair-over-standard", name="维修工时超标准 20% 开启复核",
         indicator="repair_within_standard", scope="outlet", test="each", threshold=20.0,
         min_sample=1, action="review", owner_role="service_advisor",
         notify_roles=["regional_manager"]),
    dict(code="battery-rework-region", name="区域电池更换返修率超过 5% 开启重点调查",
         indicator="rework_rate", scope="region_fault", filter_fault="hv_battery",
         test="funnel", threshold=5.0, sigma=2.0, min_sample=20, action="investigation",
         owner_role="quality_auditor", notify_roles=["regional_manager"]),
    dict(code="response-time-unit", name="救援单元15分钟到达率低于网络控制限",
         indicator="rescue_within_15", scope="unit", test="p_chart", threshold=None, sigma=3.0,
         min_sample=15, action="review", owner_role="regional_manager",
         notify_roles=["dispatcher"]),
]
TEMPLATES = [
    {"code": "quality.task_opened", "channel": "sms", "language": "zh-hans", "urgent": False,
     "name": "质量复核任务", "body": "质量预警：{rule}（{scope}：{value}）。已开启{kind}{number}，"
                                      "请于{due}前处理。"},
    {"code": "quality.task_opened", "channel": "sms", "language": "en", "urgent": False,
     "name": "Quality review task", "body": "Quality alert: {rule} ({scope}: {value}). {kind} "
                                             "{number} is open; due {due}."},
    {"code": "quality.task_opened", "channel": "email", "language": "zh-hans", "urgent": False,
     "name": "质量复核任务", "subject": "质量预警：{rule}",
     "body": "{rule}（{scope}：{value}）。已开启{kind}{number}，请于{due}前处理。"},
    {"code": "quality.task_opened", "channel": "email", "language": "en", "urgent": False,
     "name": "Quality review task", "subject": "Quality alert: {rule}",
     "body": "{rule} ({scope}: {value}). {kind} {number} is open; due {due}."},
]


def seed(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    AlertRule = apps.get_model("quality", "AlertRule")
    Template = apps.get_model("notifications", "MessageTemplate")
    kind, _ = JobKind.objects.get_or_create(code=JOB_KIND["code"], defaults=JOB_KIND)
    calendars = {c.name: c for c in Calendar.objects.all()}
    for spec in COMMITMENTS:
        spec = dict(spec)
        spec["job_kind"] = kind
        spec["calendar"] = calendars.get(spec["calendar"]) or calendars["natural"]
        Commitment.objects.get_or_create(code=spec.pop("code"), defaults=spec)
    for spec in RULES:
        spec = dict(spec)
        AlertRule.objects.get_or_create(code=spec.pop("code"), defaults=spec)
    for row in TEMPLATES:
        keys = {"code", "channel", "language"}
        Template.objects.update_or_create(
            **{k: row[k] for k in keys}, defaults={k: v for k, v in row.items() if k not in keys}
        )


def unseed(apps, schema_editor):
    apps.get_model("quality", "AlertRule").objects.filter(
        code__in=[r["code"] for r in RULES]).delete()
    apps.get_model("commitments", "Commitment").objects.filter(
        code__in=[c["code"] for c in COMMITMENTS]).delete()
    apps.get_model("commitments", "JobKind").objects.filter(code=JOB_KIND["code"]).delete()
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code="quality.task_opened").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("commitments", "0003_seed_job_kinds_and_commitments"),
        ("notifications", "0002_seed_templates"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
