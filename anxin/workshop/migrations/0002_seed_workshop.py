"""The workshop's data: job-kind vocabulary, the reassignment response commitment, message
templates, default checklist templates (三检), a starter national catalog, the policy row."""

from decimal import Decimal

from django.db import migrations

M = 60

APPOINTMENT_EVENTS = ["reassigned"]
APPOINTMENT_STATES = ["proposed", "declined"]
WORK_ORDER_STATES = [
    "reception",
    "diagnosis",
    "quotation",
    "approval",
    "approved",
    "in_work",
    "quality_check",
    "ready",
    "delivered",
    "settled",
    "cancelled",
]

COMMITMENT = dict(
    code="appointment-response-reassigned",
    name="预约改派后响应 30 分钟",
    start_event="reassigned",
    stop_event="responded",
    target=30 * M,
    warning_percent=80,
    escalation={
        "warning": {"roles": ["service_advisor"]},
        "breach": {"roles": ["service_advisor", "regional_manager"]},
    },
)

TEMPLATES = [
    (
        "workshop.appointment_confirmed",
        "sms",
        "zh-hans",
        False,
        "预约确认",
        "预约确认：您的预约{number}已确认，请于{slot}到{outlet}（{address}）。如需改期请致电网点。",
    ),
    (
        "workshop.appointment_confirmed",
        "sms",
        "en",
        False,
        "Appointment confirmed",
        "Appointment {number} is confirmed for {slot} at {outlet} ({address}).",
    ),
    (
        "workshop.appointment_proposed",
        "sms",
        "zh-hans",
        False,
        "预约改期建议",
        "预约{number}：{outlet}建议改为{proposed}到店，请回复网点或在预约页面确认。",
    ),
    (
        "workshop.appointment_proposed",
        "sms",
        "en",
        False,
        "Another slot proposed",
        "Appointment {number}: {outlet} proposes {proposed} instead; please confirm with the outlet.",
    ),
    (
        "workshop.appointment_declined",
        "sms",
        "zh-hans",
        False,
        "预约未能接受",
        "预约{number}：{outlet}暂无法接待，我们正在为您安排其他网点，稍后通知您。",
    ),
    (
        "workshop.appointment_declined",
        "sms",
        "en",
        False,
        "Appointment declined",
        "Appointment {number}: {outlet} cannot take it; we are arranging another outlet for you.",
    ),
    (
        "workshop.appointment_new",
        "sms",
        "zh-hans",
        True,
        "新预约待响应",
        "新预约{number}（{job_type}，{slot}）待响应，请在30分钟内确认、改期或说明原因拒绝。",
    ),
    (
        "workshop.appointment_new",
        "sms",
        "en",
        True,
        "New appointment to answer",
        "New appointment {number} ({job_type}, {slot}): answer within 30 minutes.",
    ),
    (
        "workshop.appointment_new",
        "email",
        "zh-hans",
        True,
        "新预约待响应",
        "新预约{number}（{job_type}，{slot}）待响应，请在30分钟内确认、改期或说明原因拒绝。",
    ),
    (
        "workshop.quote_ready",
        "sms",
        "zh-hans",
        False,
        "维修报价通知",
        "维修报价通知：{outlet}已为车辆{plate}（工单{number}）出具报价，您需支付{total}元。"
        "请到店签字确认或通过微信中的个人链接确认。",
    ),
    (
        "workshop.quote_ready",
        "sms",
        "en",
        False,
        "Quote ready",
        "{outlet} has quoted work order {number} for {plate}: you pay {total} CNY. Approve at the "
        "desk or by the personal link in WeChat.",
    ),
    (
        "workshop.quote_ready",
        "wechat",
        "zh-hans",
        False,
        "维修报价通知",
        "{outlet}已为车辆{plate}（工单{number}）出具报价，您需支付{total}元，请点击确认。",
    ),
    (
        "workshop.vehicle_ready",
        "sms",
        "zh-hans",
        False,
        "车辆完工通知",
        "车辆完工通知：您的车辆{plate}（工单{number}）已完工并通过竣工检验，可到{outlet}提车。",
    ),
    (
        "workshop.vehicle_ready",
        "sms",
        "en",
        False,
        "Vehicle ready",
        "Your vehicle {plate} (work order {number}) is ready for collection at {outlet}.",
    ),
    (
        "workshop.warranty_warning",
        "sms",
        "zh-hans",
        True,
        "三包预警",
        "三包预警：车辆{plate}（VIN {vin}）{what}{system}已达{value}，法定线为{legal}，"
        "请立即安排技术支持并向区域经理报告。",
    ),
    (
        "workshop.warranty_warning",
        "sms",
        "en",
        True,
        "Warranty-law warning",
        "Warranty-law warning: vehicle {plate} (VIN {vin}) {what} {system} reached {value}; the "
        "legal line is {legal}. Escalate now.",
    ),
    (
        "workshop.warranty_warning",
        "email",
        "zh-hans",
        True,
        "三包预警",
        "三包预警：车辆{plate}（VIN {vin}）{what}{system}已达{value}，法定线为{legal}，"
        "请立即安排技术支持并向区域经理报告。",
    ),
    (
        "workshop.expert_requested",
        "sms",
        "zh-hans",
        True,
        "远程专家求助",
        "远程专家求助：{outlet}的工单{number}（{model}）请求技术支持，请在5分钟内响应。",
    ),
    (
        "workshop.expert_requested",
        "sms",
        "en",
        True,
        "Expert request",
        "Expert request: work order {number} ({model}) at {outlet} needs support; answer within "
        "5 minutes.",
    ),
    (
        "workshop.expert_requested",
        "email",
        "zh-hans",
        True,
        "远程专家求助",
        "远程专家求助：{outlet}的工单{number}（{model}）请求技术支持，请在5分钟内响应。",
    ),
]


def item(code, label, label_en, kind="check", required=True, photo=False, **extra):
    return {
        "code": code,
        "label": label,
        "label_en": label_en,
        "kind": kind,
        "required": required,
        "photo_required": photo,
        **extra,
    }


ENTRY = [
    item("exterior", "外观检查（划痕、凹陷）", "Exterior (scratches, dents)"),
    item(
        "damage_photos",
        "车身四周及损伤照片",
        "Photos around the body and of damage",
        kind="photo",
        photo=True,
    ),
    item("mileage", "里程（km）", "Mileage (km)", kind="number", min=0, max=2000000),
    item("fuel_charge", "油量/电量（%）", "Fuel / charge (%)", kind="number", min=0, max=100),
    item("warning_lights", "仪表故障灯", "Dashboard warning lights"),
    item("valuables", "车内贵重物品已告知客户", "Valuables in the car pointed out to customer"),
    item(
        "seat_covers",
        "已铺设三件套（座椅套、方向盘套、脚垫）",
        "Seat, steering wheel and floor covers fitted",
    ),
]
IN_PROCESS = [
    item("procedure", "按维修工艺作业", "Work follows the repair procedure"),
    item("torque", "关键螺栓按规定扭矩紧固", "Critical bolts torqued to specification"),
    item("parts_genuine", "使用原厂配件，批次已登记", "Genuine parts used, batches recorded"),
    item("old_parts", "旧件已标识保留供客户查看", "Old parts labelled and kept for the customer"),
]
COMPLETION = [
    item("work_complete", "报修项目全部完成", "All work items completed"),
    item("road_test", "路试/功能测试正常", "Road test / function test passed"),
    item("no_leaks", "无渗漏", "No leaks"),
    item("fault_codes_cleared", "故障码已清除且无新故障码", "Fault codes cleared, none new"),
    item("clean", "车辆清洁，三件套已撤除", "Vehicle clean, covers removed"),
    item(
        "repair_photo", "维修完成部位照片", "Photo of the repaired area", kind="photo", photo=True
    ),
]
MAINTENANCE_COMPLETION = [
    item("work_complete", "保养项目全部完成", "All maintenance items completed"),
    item("oil_level", "机油液位正常", "Oil level correct"),
    item("no_leaks", "放油螺栓、滤清器无渗漏", "No leaks at drain plug and filter"),
    item("service_reminder", "保养提示已复位", "Service reminder reset"),
    item("clean", "车辆清洁，三件套已撤除", "Vehicle clean, covers removed"),
]
EV_IN_PROCESS = [
    item("hv_isolated", "高压系统已断电并挂牌上锁", "HV system isolated, lock-out tag-out"),
    item("insulated_tools", "使用绝缘工具和防护用品", "Insulated tools and PPE used"),
    item("procedure", "按维修工艺作业", "Work follows the repair procedure"),
    item("parts_genuine", "使用原厂配件，批次已登记", "Genuine parts used, batches recorded"),
]
ACCIDENT_ENTRY = ENTRY + [
    item("insurance_report", "保险报案号", "Insurance claim number", kind="text", required=False),
]

CHECKLISTS = [
    ("进厂检验（通用）", "entry", "", ENTRY),
    ("过程检验（通用）", "in_process", "", IN_PROCESS),
    ("竣工检验（通用）", "completion", "", COMPLETION),
    ("竣工检验（常规保养）", "completion", "maintenance", MAINTENANCE_COMPLETION),
    ("进厂检验（事故维修）", "entry", "accident_repair", ACCIDENT_ENTRY),
]

SUPPLIERS = [
    ("SUP-OEM", "安心汽车零部件总成中心", True),
    ("SUP-CATL", "宁德时代新能源科技股份有限公司", True),
    ("SUP-BOSCH", "博世汽车部件（苏州）有限公司", True),
    ("SUP-CASTROL", "嘉实多（上海）管理有限公司", True),
    ("SUP-MICHELIN", "米其林（中国）投资有限公司", True),
]
# code, name, system, unit, price, warranty months, is_oil
PARTS = [
    ("P-OIL-0W20", "全合成机油 0W-20（4L）", "lubrication", "桶", "368.00", 6, True),
    ("P-OIL-5W30", "全合成机油 5W-30（4L）", "lubrication", "桶", "328.00", 6, True),
    ("P-FLT-OIL", "机油滤清器", "lubrication", "件", "58.00", 6, False),
    ("P-FLT-AIR", "空气滤清器", "engine", "件", "96.00", 6, False),
    ("P-FLT-CAB", "空调滤清器", "air_conditioning", "件", "88.00", 6, False),
    ("P-BRK-PAD-F", "前制动片（套）", "brakes", "套", "420.00", 12, False),
    ("P-BRK-PAD-R", "后制动片（套）", "brakes", "套", "360.00", 12, False),
    ("P-BRK-DISC-F", "前制动盘", "brakes", "件", "560.00", 12, False),
    ("P-BRK-FLUID", "制动液 DOT4（1L）", "brakes", "瓶", "85.00", 12, False),
    ("P-SPARK", "火花塞", "engine", "件", "75.00", 12, False),
    ("P-BATT-12V", "12V 低压蓄电池", "electrical", "件", "780.00", 12, False),
    ("P-HV-MODULE", "动力电池模组", "hv_battery", "件", "6800.00", 24, False),
    ("P-HV-BMS", "电池管理系统（BMS）主控板", "hv_battery", "件", "3200.00", 24, False),
    ("P-HV-CONTACTOR", "高压主继电器", "hv_battery", "件", "980.00", 24, False),
    ("P-MOTOR-CTRL", "驱动电机控制器", "drive_motor", "件", "5600.00", 24, False),
    ("P-OBC", "车载充电机（OBC）", "charging", "件", "3800.00", 24, False),
    ("P-CHG-PORT", "交流充电口总成", "charging", "件", "860.00", 12, False),
    ("P-SHOCK-F", "前减震器", "suspension", "件", "980.00", 12, False),
    ("P-TIE-ROD", "转向横拉杆球头", "steering", "件", "260.00", 12, False),
    ("P-TYRE-225", "轮胎 225/55 R18", "tyres", "条", "950.00", 12, False),
    ("P-WIPER", "雨刮片（对）", "body", "对", "120.00", 6, False),
    ("P-BUMPER-F", "前保险杠皮", "body", "件", "1450.00", 12, False),
    ("P-HEADLAMP", "前大灯总成", "electrical", "件", "2600.00", 12, False),
    ("P-AC-GAS", "空调制冷剂 R1234yf（500g）", "air_conditioning", "瓶", "420.00", 6, False),
    ("P-TRANS-FLUID", "变速箱油（1L）", "transmission", "瓶", "110.00", 6, False),
]
# code, name, system, standard hours, price, warranty months, oil change, high voltage
LABOUR = [
    ("L-OIL-CHANGE", "更换机油及机油滤清器", "lubrication", "0.50", "80.00", 3, True, False),
    ("L-MAINT-BASIC", "常规保养检查（28项）", "general", "1.00", "160.00", 3, False, False),
    ("L-BRK-PAD-F", "更换前制动片", "brakes", "0.80", "150.00", 6, False, False),
    ("L-BRK-PAD-R", "更换后制动片", "brakes", "0.80", "150.00", 6, False, False),
    ("L-BRK-DISC-F", "更换前制动盘", "brakes", "1.20", "220.00", 6, False, False),
    ("L-BRK-FLUID", "更换制动液", "brakes", "0.60", "120.00", 6, False, False),
    ("L-DIAG", "电脑故障诊断", "general", "0.50", "100.00", 0, False, False),
    ("L-DIAG-800V", "800V 高压系统诊断", "hv_battery", "1.00", "260.00", 0, False, True),
    ("L-HV-MODULE", "更换动力电池模组", "hv_battery", "4.00", "1200.00", 24, False, True),
    ("L-HV-BMS", "更换电池管理系统主控板", "hv_battery", "2.50", "750.00", 24, False, True),
    ("L-HV-CONTACTOR", "更换高压主继电器", "hv_battery", "2.00", "600.00", 24, False, True),
    ("L-MOTOR-CTRL", "更换驱动电机控制器", "drive_motor", "3.00", "900.00", 24, False, True),
    ("L-OBC", "更换车载充电机", "charging", "2.00", "600.00", 12, False, True),
    ("L-CHG-PORT", "更换交流充电口", "charging", "1.00", "300.00", 12, False, True),
    ("L-BATT-12V", "更换12V蓄电池", "electrical", "0.40", "80.00", 6, False, False),
    ("L-SHOCK-F", "更换前减震器（单侧）", "suspension", "1.50", "280.00", 6, False, False),
    ("L-TIE-ROD", "更换转向横拉杆球头并做四轮定位", "steering", "1.20", "260.00", 6, False, False),
    ("L-TYRE", "更换轮胎并动平衡（每条）", "tyres", "0.30", "60.00", 3, False, False),
    ("L-ALIGN", "四轮定位", "suspension", "0.80", "180.00", 3, False, False),
    ("L-BUMPER-F", "更换前保险杠皮", "body", "2.00", "360.00", 12, False, False),
    ("L-PAINT-PANEL", "钣金喷漆（每面）", "body", "3.00", "600.00", 12, False, False),
    ("L-HEADLAMP", "更换前大灯总成", "electrical", "1.00", "200.00", 6, False, False),
    (
        "L-AC-SERVICE",
        "空调系统检漏及加注制冷剂",
        "air_conditioning",
        "1.00",
        "200.00",
        3,
        False,
        False,
    ),
    ("L-TRANS-FLUID", "更换变速箱油", "transmission", "1.00", "200.00", 6, False, False),
    ("L-ENGINE-DIAG", "发动机故障检修", "engine", "2.00", "400.00", 6, False, False),
    ("L-INSPECT-SAFETY", "安全性能检验", "general", "1.00", "150.00", 0, False, False),
    ("L-INSPECT-EMISSION", "排放检验", "engine", "0.80", "120.00", 0, False, False),
    ("L-INSPECT-PERF", "综合性能检验", "general", "1.50", "220.00", 0, False, False),
]


def seed(apps, schema_editor):
    JobKind = apps.get_model("commitments", "JobKind")
    Calendar = apps.get_model("commitments", "Calendar")
    Commitment = apps.get_model("commitments", "Commitment")
    kind = JobKind.objects.filter(code="appointment").first()
    if kind is not None:
        kind.events = list(kind.events) + [e for e in APPOINTMENT_EVENTS if e not in kind.events]
        kind.states = list(kind.states) + [s for s in APPOINTMENT_STATES if s not in kind.states]
        kind.save(update_fields=["events", "states"])
        calendar = Calendar.objects.filter(name="cn-workday").first()
        if calendar is not None:
            spec = dict(COMMITMENT)
            Commitment.objects.get_or_create(
                code=spec.pop("code"),
                defaults={**spec, "job_kind": kind, "calendar": calendar, "pause_states": []},
            )
    kind = JobKind.objects.filter(code="work_order").first()
    if kind is not None:
        extra = ["opened", *WORK_ORDER_STATES]
        kind.events = list(kind.events) + [e for e in extra if e not in kind.events]
        kind.states = list(kind.states) + [s for s in WORK_ORDER_STATES if s not in kind.states]
        kind.save(update_fields=["events", "states"])
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, channel, language, urgent, name, body in TEMPLATES:
        MessageTemplate.objects.update_or_create(
            code=code,
            channel=channel,
            language=language,
            defaults={
                "urgent": urgent,
                "name": name,
                "body": body,
                "subject": name if channel == "email" else "",
            },
        )
    Checklist = apps.get_model("workshop", "ChecklistTemplate")
    for name, stage, job_type, items in CHECKLISTS:
        Checklist.objects.get_or_create(
            name=name, stage=stage, job_type=job_type, defaults={"items": items}
        )
    Supplier = apps.get_model("workshop", "Supplier")
    for code, name, genuine in SUPPLIERS:
        Supplier.objects.get_or_create(code=code, defaults={"name": name, "genuine": genuine})
    Part = apps.get_model("workshop", "Part")
    for code, name, system, unit, price, months, is_oil in PARTS:
        Part.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "system": system,
                "unit": unit,
                "national_price": Decimal(price),
                "warranty_months": months,
                "is_oil": is_oil,
            },
        )
    Labour = apps.get_model("workshop", "LabourOperation")
    for code, name, system, hours, price, months, oil, hv in LABOUR:
        Labour.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "system": system,
                "standard_hours": Decimal(hours),
                "national_price": Decimal(price),
                "warranty_months": months,
                "is_oil_change": oil,
                "high_voltage": hv,
            },
        )
    apps.get_model("workshop", "WorkshopPolicy").objects.get_or_create(pk=1)


def unseed(apps, schema_editor):
    apps.get_model("commitments", "Commitment").objects.filter(code=COMMITMENT["code"]).delete()
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__startswith="workshop."
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workshop", "0001_initial"),
        ("commitments", "0004_alter_commitment_warning_percent"),
        ("notifications", "0002_seed_templates"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
