"""The rating invitation's notices (FB-1), kept as data like every other template.

The SMS is a neutral service-completion notice (服务完成通知): SMS providers refuse rating or
survey invitations and variable links, so it carries the fixed address of the lookup page on
the operator's domain (``ANXIN_PUBLIC_BASE_URL``) and the short lookup code. WeChat may carry
the personal signed link.
"""

from django.db import migrations

from anxin.notifications.conf import public_base_url


def rows(base):
    return [
        {"code": "feedback.service_completed", "channel": "sms", "language": "zh-hans",
         "urgent": False, "name": "服务完成通知",
         "body": f"服务完成通知：您的{{service}}已于{{finished_at}}完成。服务记录及意见反馈请访问 "
                 f"{base}/feedback/q 输入查询码{{code}}。"},
        {"code": "feedback.service_completed", "channel": "sms", "language": "en",
         "urgent": False, "name": "Service completion notice",
         "body": f"Service completed: your {{service}} was finished at {{finished_at}}. "
                 f"Service record and feedback: {base}/feedback/q with lookup code {{code}}."},
        {"code": "feedback.service_completed", "channel": "wechat", "language": "zh-hans",
         "urgent": False, "name": "服务完成通知",
         "body": "您的{service}已于{finished_at}完成，查询码{code}。欢迎告诉我们您的意见：{url}"},
    ]


def seed(apps, schema_editor):
    template = apps.get_model("notifications", "MessageTemplate")
    for row in rows(public_base_url()):
        keys = {"code", "channel", "language"}
        template.objects.update_or_create(
            **{k: row[k] for k in keys}, defaults={k: v for k, v in row.items() if k not in keys}
        )


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code="feedback.service_completed").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_complaint_commitments"),
        ("notifications", "0002_seed_templates"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
