"""The notifications outbox: every message is a row written before any provider is called.

Business code calls :func:`anxin.notifications.api.notify` inside its transaction; the worker
sends the message through a channel (SMS via Aliyun or Tencent Cloud, WeChat template
messages, e-mail, or the development console).
"""
