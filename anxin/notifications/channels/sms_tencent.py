"""Tencent Cloud SMS (腾讯云短信, API 2021-01-11) with TC3-HMAC-SHA256 signing.

Signing: the canonical request is ``POST\\n/\\n\\n`` + the canonical headers
(``content-type:...\\nhost:...\\n``) + ``\\n`` + the signed header names + ``\\n`` +
hex(SHA-256(body)). The string to sign is ``TC3-HMAC-SHA256\\n{timestamp}\\n{date}/sms/
tc3_request\\n`` + hex(SHA-256(canonical request)); the key is derived by HMAC-SHA256 chained
over the UTC date, the service and ``tc3_request`` starting from ``"TC3" + SecretKey``.

Our message id travels as ``SessionContext``, which the status pull
(``PullSmsSendStatusByPhoneNumber``) returns with each delivery report: a try interrupted by a
crash is resolved as delivered when its report is there, and otherwise left for a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

from django.utils import timezone

from .. import conf
from .base import ChannelAdapter, LookupResult, Outcome, Outgoing, ProviderError, http_json

VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
PERMANENT_PREFIXES = (
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "FailedOperation.MissingTemplateToModify",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def authorization(
    *, secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int
) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            # Canonical headers: names and values lower-cased, each line ending in a newline.
            f"content-type:{CONTENT_TYPE.lower()}\nhost:{host.lower()}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def e164(phone: str) -> str:
    phone = phone.strip()
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentSms(ChannelAdapter):
    name = "tencent"

    def __init__(self) -> None:
        self.base_url = conf.get("ANXIN_TENCENT_SMS_URL", "https://sms.tencentcloudapi.com/")
        self.secret_id = conf.get("ANXIN_TENCENT_SECRET_ID")
        self.secret_key = conf.get("ANXIN_TENCENT_SECRET_KEY")
        self.app_id = conf.get("ANXIN_TENCENT_SMS_APP_ID")
        self.sign_name = conf.get("ANXIN_TENCENT_SIGN_NAME", "安心服务")
        self.region = conf.get("ANXIN_TENCENT_REGION", "ap-guangzhou")

    def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not (self.secret_id and self.secret_key and self.app_id):
            raise ProviderError("ANXIN_TENCENT_SECRET_ID/SECRET_KEY/SMS_APP_ID are not set")
        body = json.dumps(payload, ensure_ascii=False).encode()
        host = urllib.parse.urlsplit(self.base_url).netloc
        timestamp = int(timezone.now().timestamp())
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
            "Authorization": authorization(
                secret_id=self.secret_id,
                secret_key=self.secret_key,
                host=host,
                body=body,
                timestamp=timestamp,
            ),
        }
        status, data = http_json("POST", self.base_url, body=body, headers=headers)
        response = data.get("Response") or {}
        error = response.get("Error")
        if error:
            code = str(error.get("Code", ""))
            raise ProviderError(
                f"tencent {action} HTTP {status} {code}: {error.get('Message', '')}",
                transient=not code.startswith(PERMANENT_PREFIXES),
                code=code,
            )
        return dict(response)

    def send(self, message: Outgoing) -> str:
        if not message.template_id:
            raise ProviderError("the SMS template has no Tencent TemplateId", transient=False)
        response = self.call(
            "SendSms",
            {
                "PhoneNumberSet": [e164(message.recipient)],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": message.template_id,
                # Tencent's parameters are positional: the order the placeholders appear in.
                "TemplateParamSet": [str(message.params.get(k, "")) for k in message.param_order],
                "SessionContext": message.out_id,
            },
        )
        statuses = response.get("SendStatusSet") or [{}]
        first = statuses[0]
        code = str(first.get("Code", ""))
        if code != "Ok":
            raise ProviderError(
                f"tencent SendSms {code}: {first.get('Message', '')}",
                transient=not code.startswith(PERMANENT_PREFIXES),
                code=code,
            )
        return str(first.get("SerialNo", ""))

    def lookup(self, message: Outgoing) -> LookupResult:
        begin = int((message.since or timezone.now()).timestamp()) - 60
        offset = 0
        while True:
            response = self.call(
                "PullSmsSendStatusByPhoneNumber",
                {
                    "BeginTime": begin,
                    "EndTime": int(timezone.now().timestamp()) + 60,
                    "Offset": offset,
                    "Limit": 100,
                    "PhoneNumber": e164(message.recipient),
                    "SmsSdkAppId": self.app_id,
                },
            )
            rows = response.get("PullSmsSendStatusSet") or []
            for row in rows:
                if row.get("SessionContext") == message.out_id:
                    return LookupResult(Outcome.DELIVERED, str(row.get("SerialNo", "")))
            if len(rows) < 100:
                # Status rows arrive with the handset's delivery report, which can lag by
                # minutes: absence is no proof the provider never took the message.
                return LookupResult(Outcome.UNKNOWN)
            offset += 100
