"""Channel adapters behind one interface (:class:`~.base.ChannelAdapter`).

Which adapter serves a channel is a setting: ``ANXIN_SMS_PROVIDER`` (``console`` in
development, ``aliyun`` or ``tencent``), WeChat when an official account is configured,
Django's e-mail backend for e-mail.
"""

from __future__ import annotations

from .. import conf
from .base import ChannelAdapter, LookupResult, Outcome, Outgoing, ProviderError
from .console import ConsoleChannel
from .email import EmailChannel
from .sms_aliyun import AliyunSms
from .sms_tencent import TencentSms
from .wechat import WechatTemplate

__all__ = ["ChannelAdapter", "LookupResult", "Outcome", "Outgoing", "ProviderError", "adapter_for"]

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "console": ConsoleChannel,
    "aliyun": AliyunSms,
    "tencent": TencentSms,
    "wechat": WechatTemplate,
    "email": EmailChannel,
}


def adapter_for(channel: str) -> ChannelAdapter:
    """The adapter that sends on ``channel`` (sms, wechat, email) under current settings."""
    if channel == "sms":
        name = conf.sms_provider()
    elif channel == "wechat":
        name = conf.wechat_provider()
    elif channel == "email":
        name = "email"
    else:
        raise ValueError(f"unknown channel {channel!r}")
    if name not in ADAPTERS:
        raise ValueError(f"unknown provider {name!r} for channel {channel!r}")
    return ADAPTERS[name]()
