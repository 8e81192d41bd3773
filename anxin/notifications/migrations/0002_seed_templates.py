"""Seed the message templates the product ships with (editable afterwards in the admin).

The service-completion SMS links to a fixed page on the operator's domain
(``ANXIN_PUBLIC_BASE_URL`` at install time) with a short lookup code: SMS providers refuse
variable links and rating invitations.
"""

from django.db import migrations

from anxin.notifications.conf import public_base_url


def templates(base: str) -> list[dict]:
    return [
        # Rescue progress goes day and night: a stranded driver at 2 a.m. wants to know.
        {"code": "rescue.progress", "channel": "sms", "language": "zh-hans", "urgent": True,
         "name": "救援进度通知",
         "body": "救援进度通知：您的救援单{job_no}当前进度：{status}，预计{eta}到达。"
                 "如有疑问请致电{hotline}。"},
        {"code": "rescue.progress", "channel": "sms", "language": "en", "urgent": True,
         "name": "Rescue progress update",
         "body": "Rescue update: job {job_no} is now {status}; expected arrival {eta}. "
                 "Questions: call {hotline}."},
        {"code": "rescue.progress", "channel": "wechat", "language": "zh-hans", "urgent": True,
         "name": "救援进度通知",
         "body": "救援单{job_no}当前进度：{status}，预计{eta}到达。"},
        {"code": "sla.warning", "channel": "sms", "language": "zh-hans", "urgent": True,
         "name": "服务承诺预警",
         "body": "服务承诺预警：{job_ref}的“{commitment}”将于{due}到期（剩余{remaining}），"
                 "请及时处理。"},
        {"code": "sla.warning", "channel": "sms", "language": "en", "urgent": True,
         "name": "SLA warning",
         "body": "Commitment warning: \"{commitment}\" on {job_ref} is due at {due} "
                 "({remaining} left). Please act now."},
        {"code": "sla.warning", "channel": "email", "language": "zh-hans", "urgent": True,
         "name": "服务承诺预警", "subject": "服务承诺预警：{job_ref}",
         "body": "{job_ref}的“{commitment}”将于{due}到期，剩余{remaining}。请及时处理。"},
        {"code": "sla.warning", "channel": "email", "language": "en", "urgent": True,
         "name": "SLA warning", "subject": "Commitment warning: {job_ref}",
         "body": "\"{commitment}\" on {job_ref} is due at {due}; {remaining} left."},
        {"code": "sla.breach", "channel": "sms", "language": "zh-hans", "urgent": True,
         "name": "服务承诺超时升级",
         "body": "服务承诺超时升级：{job_ref}的“{commitment}”已于{due}超时，"
                 "已超出{overdue}，现升级由您跟进处理。"},
        {"code": "sla.breach", "channel": "sms", "language": "en", "urgent": True,
         "name": "SLA breach escalation",
         "body": "Commitment breached: \"{commitment}\" on {job_ref} was due at {due} and is "
                 "{overdue} overdue; escalated to you."},
        {"code": "sla.breach", "channel": "email", "language": "zh-hans", "urgent": True,
         "name": "服务承诺超时升级", "subject": "服务承诺超时升级：{job_ref}",
         "body": "{job_ref}的“{commitment}”已于{due}超时，已超出{overdue}，现升级由您跟进处理。"},
        {"code": "sla.breach", "channel": "email", "language": "en", "urgent": True,
         "name": "SLA breach escalation", "subject": "Commitment breached: {job_ref}",
         "body": "\"{commitment}\" on {job_ref} was due at {due} and is {overdue} overdue; "
                 "it is escalated to you."},
        {"code": "service.completed", "channel": "sms", "language": "zh-hans", "urgent": False,
         "name": "服务完成通知",
         "body": f"服务完成通知：您的{{service}}已于{{finished_at}}完成。服务记录请访问 "
                 f"{base}/q 输入查询码{{code}}查看。"},
        {"code": "service.completed", "channel": "sms", "language": "en", "urgent": False,
         "name": "Service completion notice",
         "body": f"Service completed: your {{service}} was finished at {{finished_at}}. "
                 f"See the record at {base}/q with lookup code {{code}}."},
        # WeChat may carry the personal, expiring link (passed as "url" in the context).
        {"code": "service.completed", "channel": "wechat", "language": "zh-hans",
         "urgent": False, "name": "服务完成通知",
         "body": "您的{service}已于{finished_at}完成，查询码{code}。"},
    ]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for row in templates(public_base_url()):
        MessageTemplate.objects.update_or_create(
            code=row["code"], channel=row["channel"], language=row["language"],
            defaults={k: v for k, v in row.items() if k not in {"code", "channel", "language"}},
        )


def unseed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for row in templates(public_base_url()):
        MessageTemplate.objects.filter(code=row["code"], channel=row["channel"],
                                       language=row["language"]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
