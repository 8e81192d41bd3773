"""Seed data of the assurance app, kept as data administrators edit: the callback script,
the mystery-check checklists, the manager-callback commitment and the message templates."""

from django.db import migrations

H = 3600

QUESTIONS = [
    dict(code="overall", order=10, answer="score", required=True,
         purposes=["manager", "post_repair"], job_kinds=[],
         text_zh="您对本次服务的总体评价（1-5 分）？",
         text_en="How would you rate this service overall (1–5)?"),
    dict(code="fixed_first_time", order=20, answer="yes_no", required=True,
         purposes=["post_repair", "manager"], job_kinds=["workorder"],
         text_zh="车辆问题是否一次修好？", text_en="Was the problem fixed the first time?"),
    dict(code="price_explained", order=30, answer="yes_no", required=False,
         purposes=["post_repair", "manager"], job_kinds=["workorder"],
         text_zh="维修项目和费用是否事先向您说明并经您确认？",
         text_en="Were the work and its price explained and approved by you beforehand?"),
    dict(code="arrived_on_time", order=40, answer="yes_no", required=True,
         purposes=["manager", "post_repair"], job_kinds=["rescue"],
         text_zh="救援人员是否按承诺时间到达？",
         text_en="Did the rescue crew arrive within the promised time?"),
    dict(code="kept_informed", order=50, answer="yes_no", required=False,
         purposes=["manager", "post_repair"], job_kinds=["rescue"],
         text_zh="等待期间是否有人及时告知进度？",
         text_en="Were you kept informed while you waited?"),
    dict(code="staff_attitude", order=60, answer="score", required=False,
         purposes=["manager"], job_kinds=[],
         text_zh="服务人员的态度如何（1-5 分）？", text_en="How was the staff's attitude (1–5)?"),
    dict(code="suggestions", order=90, answer="text", required=False,
         purposes=["manager", "post_repair"], job_kinds=[],
         text_zh="您对我们还有什么意见或建议？",
         text_en="Anything else you would like us to improve?"),
]

CHECKLISTS = [
    dict(code="visit-outlet", name="暗访检查表：服务站到店", kind="visit", items=[
        {"code": "greeting", "zh": "3 分钟内有人接待并主动问候", "en": "Greeted within 3 minutes",
         "weight": 1},
        {"code": "entry_check", "zh": "接车时与客户共同环车检查并记录", "en":
         "Vehicle walk-round check done with the customer and recorded", "weight": 2},
        {"code": "quote_first", "zh": "施工前出示报价并取得客户确认", "en":
         "Quote shown and approved before work started", "weight": 2},
        {"code": "price_board", "zh": "统一价格公示清晰可见", "en": "National price list displayed",
         "weight": 1},
        {"code": "waiting_area", "zh": "休息区整洁，有进度告知", "en":
         "Clean waiting area with progress information", "weight": 1},
        {"code": "delivery_explain", "zh": "交车时讲解维修内容与质保期", "en":
         "Work and warranty explained at delivery", "weight": 2},
        {"code": "old_parts", "zh": "主动展示或交还旧件", "en": "Old parts shown or returned",
         "weight": 1},
    ]),
    dict(code="visit-rescue", name="暗访检查表：道路救援", kind="visit", items=[
        {"code": "answer_fast", "zh": "救援电话 3 声内接听", "en": "Rescue call answered within 3 rings",
         "weight": 1},
        {"code": "eta_given", "zh": "告知预计到达时间", "en": "Estimated arrival time given",
         "weight": 1},
        {"code": "on_time", "zh": "按承诺时间到达", "en": "Arrived on time", "weight": 2},
        {"code": "warning_sign", "zh": "现场放置警示标志", "en": "Warning sign placed", "weight": 2},
        {"code": "uniform", "zh": "着装规范、出示工牌", "en": "Uniform and ID badge", "weight": 1},
        {"code": "confirmation", "zh": "请客户签署救援服务确认单", "en":
         "Customer asked to sign the confirmation form", "weight": 1},
    ]),
    dict(code="simulated-complaint", name="模拟投诉检查表", kind="complaint", items=[
        {"code": "recorded", "zh": "投诉被完整记录并告知编号", "en":
         "Complaint recorded and a number given", "weight": 2},
        {"code": "first_response", "zh": "2 小时内首次响应", "en": "First response within 2 hours",
         "weight": 2},
        {"code": "polite", "zh": "态度耐心、不推诿", "en": "Patient, no passing the buck",
         "weight": 1},
        {"code": "solution_48h", "zh": "48 小时内提出解决方案", "en": "Solution within 48 hours",
         "weight": 2},
        {"code": "follow_up", "zh": "解决后回访确认", "en": "Followed up after the solution",
         "weight": 1},
    ]),
]

TEMPLATES = [
    {"code": "assurance.callbacks_drawn", "channel": "email", "language": "zh-hans",
     "name": "经理回访抽样", "subject": "{month} 经理回访名单（{count} 位客户）",
     "body": "{region}{month}的经理回访抽样已完成，共 {count} 位客户，请在回访工作台中完成回访。"},
    {"code": "assurance.callbacks_drawn", "channel": "email", "language": "en",
     "name": "Manager callbacks drawn", "subject": "Callbacks for {month}: {count} customers",
     "body": "The manager callback draw for {region}, {month} is done: {count} customers to call."},
    {"code": "assurance.improvement_assigned", "channel": "email", "language": "zh-hans",
     "name": "整改任务", "subject": "整改任务 {number}",
     "body": "您负责整改任务{number}：{title}，请于{due_date}前完成。{finding}"},
    {"code": "assurance.improvement_assigned", "channel": "email", "language": "en",
     "name": "Improvement action", "subject": "Improvement action {number}",
     "body": "You own improvement action {number}: {title}, due {due_date}. {finding}"},
    {"code": "assurance.improvement_reopened", "channel": "email", "language": "zh-hans",
     "name": "整改验证未通过", "subject": "整改 {number} 回访验证未通过",
     "body": "整改任务{number}（{title}）回访验证未通过：{finding}。请重新整改，期限{due_date}。"},
    {"code": "assurance.improvement_reopened", "channel": "email", "language": "en",
     "name": "Improvement reopened", "subject": "Improvement {number} failed verification",
     "body": "Improvement action {number} ({title}) failed its callback verification: {finding}."
             " Due {due_date}."},
]

MANAGER_COMMITMENT = dict(
    code="manager-callback-14d", name="经理联系制度回访 14 天内", start_event="drawn",
    stop_event="completed", target=14 * 24 * H, warning_percent=80,
    escalation={"warning": {"roles": ["regional_manager"]},
                "breach": {"roles": ["regional_manager", "quality_auditor"]}},
)


def seed(apps, schema_editor):
    Question = apps.get_model("assurance", "ScriptQuestion")
    for q in QUESTIONS:
        q = dict(q)
        Question.objects.get_or_create(code=q.pop("code"), defaults=q)
    Checklist = apps.get_model("assurance", "ChecklistTemplate")
    for c in CHECKLISTS:
        c = dict(c)
        Checklist.objects.get_or_create(code=c.pop("code"), defaults=c)
    Template = apps.get_model("notifications", "MessageTemplate")
    for row in TEMPLATES:
        keys = {"code", "channel", "language"}
        Template.objects.update_or_create(
            **{k: row[k] for k in keys}, defaults={k: v for k, v in row.items() if k not in keys}
        )
    JobKind = apps.get_model("commitments", "JobKind")
    kind = JobKind.objects.filter(code="callback").first()
    if kind is None:
        return
    if "drawn" not in kind.events:
        kind.events = list(kind.events) + ["drawn"]
        kind.save(update_fields=["events"])
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    calendar = Calendar.objects.filter(name="natural").first()
    if calendar is not None:
        spec = dict(MANAGER_COMMITMENT)
        Commitment.objects.get_or_create(
            code=spec.pop("code"), defaults={**spec, "job_kind": kind, "calendar": calendar}
        )


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Commitment").objects.filter(
        code=MANAGER_COMMITMENT["code"]).delete()
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__startswith="assurance.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assurance", "0001_initial"),
        ("notifications", "0002_seed_templates"),
        ("commitments", "0004_alter_commitment_warning_percent"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
