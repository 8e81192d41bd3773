"""Aliyun SMS (阿里云短信服务, Dysmsapi 2017-05-25) over its RPC API.

Signature (RPC style, ``SignatureVersion=1.0``): percent-encode every parameter name and
value (RFC 3986: unreserved characters kept, space as %20), sort by name, join as
``k=v&k=v``; the string to sign is ``METHOD&%2F&`` + percent-encode(that query); the
``Signature`` parameter is base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

Our message id travels as ``OutId``; ``QuerySendDetails`` lists a phone's messages of a day
with their ``OutId``, which is how a try interrupted by a crash is resolved.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
import zoneinfo
from typing import Any

from django.utils import timezone

from .. import conf
from .base import ChannelAdapter, LookupResult, Outcome, Outgoing, ProviderError, http_json

VERSION = "2017-05-25"
# Errors about one message; anything else is the provider's or our account's problem.
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.PARAM_NOT_SUPPORT_URL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.MOBILE_COUNT_OVER_LIMIT",
}
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def percent_encode(value: str) -> str:
    # quote() keeps only A-Z a-z 0-9 - _ . ~ with safe="", which is exactly RFC 3986.
    return urllib.parse.quote(str(value), safe="")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(ChannelAdapter):
    name = "aliyun"

    def __init__(self) -> None:
        self.base_url = conf.get("ANXIN_ALIYUN_SMS_URL", "https://dysmsapi.aliyuncs.com/")
        self.key_id = conf.get("ANXIN_ALIYUN_ACCESS_KEY_ID")
        self.secret = conf.get("ANXIN_ALIYUN_ACCESS_KEY_SECRET")
        self.sign_name = conf.get("ANXIN_ALIYUN_SIGN_NAME", "安心服务")
        self.region = conf.get("ANXIN_ALIYUN_REGION", "cn-hangzhou")

    def call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        if not (self.key_id and self.secret):
            raise ProviderError("ANXIN_ALIYUN_ACCESS_KEY_ID/SECRET are not set")
        query = {
            "AccessKeyId": self.key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            **params,
        }
        query["Signature"] = sign(query, self.secret)
        url = f"{self.base_url.rstrip('/')}/?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"
        status, data = http_json("GET", url)
        code = str(data.get("Code", ""))
        if code != "OK":
            raise ProviderError(
                f"aliyun {action} HTTP {status} {code}: {data.get('Message', '')}",
                transient=code not in PERMANENT_CODES,
                code=code,
            )
        return data

    def send(self, message: Outgoing) -> str:
        if not message.template_id:
            raise ProviderError("the SMS template has no Aliyun TemplateCode", transient=False)
        data = self.call(
            "SendSms",
            {
                "PhoneNumbers": message.recipient,
                "SignName": self.sign_name,
                "TemplateCode": message.template_id,
                "TemplateParam": json.dumps(
                    {k: str(v) for k, v in message.params.items()}, ensure_ascii=False
                ),
                "OutId": message.out_id,
            },
        )
        return str(data.get("BizId", ""))

    def lookup(self, message: Outgoing) -> LookupResult:
        start = (message.since or timezone.now()).astimezone(CHINA).date()
        today = timezone.now().astimezone(CHINA).date()
        day = start
        while day <= today:
            page = 1
            while True:
                data = self.call(
                    "QuerySendDetails",
                    {
                        "PhoneNumber": message.recipient,
                        "SendDate": day.strftime("%Y%m%d"),
                        "PageSize": "50",
                        "CurrentPage": str(page),
                    },
                )
                rows = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for row in rows:
                    if row.get("OutId") == message.out_id:
                        return LookupResult(Outcome.DELIVERED, str(row.get("BizId", "")))
                if page * 50 >= int(data.get("TotalCount") or 0) or not rows:
                    break
                page += 1
            day += dt.timedelta(days=1)
        return LookupResult(Outcome.NOT_SENT)
