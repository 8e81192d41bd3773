"""The customer's notices carry the way to their personal page (quote, 电子工单, appointment).

SMS providers accept a link only as a fixed address on the operator's registered domain and
the notices must not carry personal data (no plate, no name): each SMS names the record's
number, the fixed lookup page ``{base}/workshop/l/`` and the short lookup code that opens the
personal page there. Kept as data like every other template; ``unseed`` restores 0002's text.
"""

from django.db import migrations

from anxin.notifications.conf import public_base_url


def rows(base):
    page = f"{base}/workshop/l/"
    return [
        ("workshop.quote_ready", "sms", "zh-hans", "维修报价通知",
         f"维修报价通知：{{outlet}}已为工单{{number}}出具报价，您需支付{{total}}元。"
         f"请访问 {page} 输入工单号及查询码{{code}}查看并确认，或到店签字确认。"),
        ("workshop.quote_ready", "sms", "en", "Quote ready",
         f"{{outlet}} has quoted work order {{number}}: you pay {{total}} CNY. Review and approve "
         f"at {page} with lookup code {{code}}, or at the desk."),
        ("workshop.ework_ready", "sms", "zh-hans", "电子工单通知",
         f"电子工单通知：您在{{outlet}}的工单{{number}}已交车，电子工单（含质保信息）请访问 "
         f"{page} 输入工单号及查询码{{code}}查看。"),
        ("workshop.ework_ready", "sms", "en", "Electronic work order",
         f"Work order {{number}} at {{outlet}} is delivered. Your electronic work order "
         f"(with warranty details): {page} with lookup code {{code}}."),
        ("workshop.vehicle_ready", "sms", "zh-hans", "车辆完工通知",
         "车辆完工通知：您的工单{number}已完工并通过竣工检验，可到{outlet}提车。"),
        ("workshop.vehicle_ready", "sms", "en", "Vehicle ready",
         "Work order {number} is finished and passed the final check: collect at {outlet}."),
        ("workshop.appointment_confirmed", "sms", "zh-hans", "预约确认",
         f"预约确认：您的预约{{number}}已确认，请于{{slot}}到{{outlet}}（{{address}}）。"
         f"查看或取消请访问 {page} 输入预约号及查询码{{code}}。"),
        ("workshop.appointment_confirmed", "sms", "en", "Appointment confirmed",
         f"Appointment {{number}} is confirmed for {{slot}} at {{outlet}} ({{address}}). "
         f"View or cancel: {page} with lookup code {{code}}."),
        ("workshop.appointment_proposed", "sms", "zh-hans", "预约改期建议",
         f"预约{{number}}：{{outlet}}建议改为{{proposed}}到店。请访问 {page} "
         f"输入预约号及查询码{{code}}确认，或致电网点。"),
        ("workshop.appointment_proposed", "sms", "en", "Another slot proposed",
         f"Appointment {{number}}: {{outlet}} proposes {{proposed}} instead. Confirm at {page} "
         f"with lookup code {{code}}, or call the outlet."),
        ("workshop.appointment_declined", "sms", "zh-hans", "预约未能接受",
         f"预约{{number}}：{{outlet}}暂无法接待，我们正在为您安排其他网点。进度请访问 {page} "
         f"输入预约号及查询码{{code}}查看。"),
        ("workshop.appointment_declined", "sms", "en", "Appointment declined",
         f"Appointment {{number}}: {{outlet}} cannot take it; we are arranging another outlet. "
         f"Progress: {page} with lookup code {{code}}."),
    ]


def seed(apps, schema_editor):
    template = apps.get_model("notifications", "MessageTemplate")
    for code, channel, language, name, body in rows(public_base_url()):
        template.objects.update_or_create(
            code=code,
            channel=channel,
            language=language,
            defaults={"name": name, "body": body, "urgent": False, "active": True},
        )


def unseed(apps, schema_editor):
    from importlib import import_module

    previous = import_module("anxin.workshop.migrations.0002_seed_workshop")
    template = apps.get_model("notifications", "MessageTemplate")
    template.objects.filter(code="workshop.ework_ready").delete()
    for code, channel, language, urgent, name, body in previous.TEMPLATES:
        template.objects.filter(code=code, channel=channel, language=language).update(
            name=name, body=body, urgent=urgent
        )


class Migration(migrations.Migration):
    dependencies = [
        ("workshop", "0002_seed_workshop"),
        ("notifications", "0002_seed_templates"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
