"""The job kinds and the seeds' service commitments (SLA-2), as data administrators edit."""

from django.db import migrations

M = 60  # durations are stored in seconds
H = 3600

JOB_KINDS = [
    {
        "code": "rescue", "name": "道路救援 Road rescue",
        "events": ["created", "checked", "dispatched", "accepted", "en_route", "arrived",
                   "working", "towing", "completed", "confirmed", "cancelled"],
        "states": ["created", "checked", "dispatched", "accepted", "en_route", "arrived",
                   "working", "towing", "waiting_customer", "completed", "confirmed",
                   "cancelled"],
        "pause_states": ["waiting_customer"], "terminal_events": ["cancelled"],
    },
    {
        "code": "appointment", "name": "预约 Appointment",
        "events": ["booked", "responded", "confirmed", "arrived", "no_show", "cancelled"],
        "states": ["booked", "responded", "confirmed", "arrived", "no_show", "cancelled"],
        "pause_states": [], "terminal_events": ["no_show", "cancelled"],
    },
    {
        "code": "work_order", "name": "维修工单 Work order",
        "events": ["opened", "received", "quoted", "approved", "work_started", "work_done",
                   "inspected", "delivered", "settled", "closed", "cancelled"],
        "states": ["reception", "consultation", "quotation", "awaiting_approval",
                   "waiting_parts", "in_work", "acceptance", "settlement", "delivered",
                   "closed", "cancelled"],
        "pause_states": ["awaiting_approval", "waiting_parts"], "terminal_events": ["cancelled"],
    },
    {
        "code": "complaint", "name": "投诉 Complaint",
        "events": ["received", "first_response", "investigating", "root_cause_found",
                   "solution_proposed", "solved", "customer_confirmed", "closed", "withdrawn"],
        "states": ["received", "responded", "investigating", "waiting_customer", "solved",
                   "confirmed", "closed", "withdrawn"],
        "pause_states": ["waiting_customer"], "terminal_events": ["withdrawn"],
    },
    {
        "code": "expert_request", "name": "远程专家支持 Remote expert request",
        "events": ["requested", "answered", "resolved", "cancelled"],
        "states": ["open", "answered", "resolved", "cancelled"],
        "pause_states": [], "terminal_events": ["cancelled"],
    },
    {
        "code": "callback", "name": "回访 Callback",
        "events": ["scheduled", "attempted", "completed", "cancelled"],
        "states": ["scheduled", "in_progress", "completed", "cancelled"],
        "pause_states": [], "terminal_events": ["cancelled"],
    },
]

DISPATCH_CHAIN = {
    "warning": {"roles": ["dispatcher"]},
    "breach": {"roles": ["dispatcher", "regional_manager"]},
    "escalation": {"roles": ["emergency_commander"]},
}
COMPLAINT_CHAIN = {
    "warning": {"roles": ["customer_service"]},
    "breach": {"roles": ["customer_service", "regional_manager"]},
    "escalation": {"roles": ["quality_auditor"]},
}

COMMITMENTS = [
    dict(code="appointment-response", name="预约响应 30 分钟", job_kind="appointment",
         start_event="booked", stop_event="responded", target=30 * M, calendar="cn-workday",
         escalation={"warning": {"roles": ["service_advisor"]},
                     "breach": {"roles": ["service_advisor", "regional_manager"]}}),
    dict(code="repair-arrival", name="常规维修 2 小时到达", job_kind="rescue",
         priority="routine", start_event="created", stop_event="arrived", target=2 * H,
         calendar="natural", escalation=DISPATCH_CHAIN, escalate_after=30 * M),
    dict(code="rescue-response", name="救援响应 15 分钟（平均）", job_kind="rescue",
         start_event="created", stop_event="arrived", target=15 * M, calendar="natural",
         measure="mean", escalation={"warning": {"roles": ["dispatcher"]},
                                     "breach": {"roles": ["dispatcher"]}}),
    dict(code="emergency-arrival-urban", name="紧急救援到达 市区 30 分钟", job_kind="rescue",
         priority="emergency", area="urban", start_event="created", stop_event="arrived",
         target=30 * M, calendar="natural", escalation=DISPATCH_CHAIN, escalate_after=15 * M),
    dict(code="emergency-arrival-remote", name="紧急救援到达 偏远地区 50 分钟",
         job_kind="rescue", priority="emergency", area="remote", start_event="created",
         stop_event="arrived", target=50 * M, calendar="natural", escalation=DISPATCH_CHAIN,
         escalate_after=15 * M),
    dict(code="complaint-first-response", name="投诉首次响应 2 小时", job_kind="complaint",
         start_event="received", stop_event="first_response", target=2 * H,
         calendar="natural", pause_states=[], escalation=COMPLAINT_CHAIN,
         escalate_after=2 * H),
    dict(code="complaint-solution", name="投诉解决 48 小时", job_kind="complaint",
         start_event="received", stop_event="solved", target=48 * H, calendar="natural",
         pause_states=["waiting_customer"], escalation=COMPLAINT_CHAIN,
         escalate_after=24 * H),
    dict(code="expert-response", name="远程专家响应 5 分钟（平均）", job_kind="expert_request",
         start_event="requested", stop_event="answered", target=5 * M, calendar="natural",
         measure="mean", escalation={"breach": {"roles": ["regional_manager"]}}),
    dict(code="rescue-progress-update", name="救援进度告知 每 30 分钟", job_kind="rescue",
         start_event="created", stop_event="completed", every=30 * M, calendar="natural",
         warning_percent=None, notice_template="rescue.progress",
         # The customer keeps hearing from us while the crew waits on them.
         pause_states=[]),
    dict(code="callback-7d", name="维修后回访 7 天内", job_kind="callback",
         start_event="scheduled", stop_event="completed", target=7 * 24 * H,
         calendar="natural", escalation={"warning": {"roles": ["regional_manager"]},
                                         "breach": {"roles": ["regional_manager",
                                                              "customer_service"]}}),
]


def seed(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    kinds = {}
    for spec in JOB_KINDS:
        kinds[spec["code"]], _ = JobKind.objects.get_or_create(code=spec["code"], defaults=spec)
    calendars = {c.name: c for c in Calendar.objects.all()}
    for spec in COMMITMENTS:
        spec = dict(spec)
        spec["job_kind"] = kinds[spec["job_kind"]]
        spec.setdefault("pause_states", list(spec["job_kind"].pause_states))
        spec["calendar"] = calendars[spec["calendar"]]
        spec.setdefault("warning_percent", 80)
        Commitment.objects.get_or_create(code=spec.pop("code"), defaults=spec)


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Commitment").objects.filter(
        code__in=[c["code"] for c in COMMITMENTS]).delete()
    apps.get_model("commitments", "JobKind").objects.filter(
        code__in=[k["code"] for k in JOB_KINDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("commitments", "0002_seed_calendars")]
    operations = [migrations.RunPython(seed, unseed)]
