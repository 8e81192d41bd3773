"""WeChat official-account template messages (公众号模板消息).

``POST /cgi-bin/message/template/send?access_token=...`` with the recipient's openid, the
template id and ``data`` as ``{"keyword": {"value": ...}}``. The access token comes from
``/cgi-bin/token`` and is cached in the process until shortly before it expires. A WeChat
message may carry a personal signed link (the SMS rules do not apply), passed as ``url``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

from .. import conf
from .base import ChannelAdapter, Outgoing, ProviderError, http_json

# errcodes meaning our token is stale: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}
# errcodes about this one message (unknown openid, user unsubscribed, bad template data).
PERMANENT_ERRORS = {40003, 43004, 43101, 47003, 40037}

_token_lock = threading.Lock()
_token: dict[str, tuple[str, float]] = {}


class WechatTemplate(ChannelAdapter):
    name = "wechat"

    def __init__(self) -> None:
        self.base_url = conf.get("ANXIN_WECHAT_API_URL", "https://api.weixin.qq.com").rstrip("/")
        self.app_id = conf.get("ANXIN_WECHAT_APP_ID")
        self.app_secret = conf.get("ANXIN_WECHAT_APP_SECRET")

    def access_token(self, *, refresh: bool = False) -> str:
        with _token_lock:
            cached = _token.get(self.app_id)
            if cached and not refresh and cached[1] > time.monotonic():
                return cached[0]
            query = urllib.parse.urlencode(
                {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
            )
            _status, data = http_json("GET", f"{self.base_url}/cgi-bin/token?{query}")
            token = data.get("access_token")
            if not token:
                raise ProviderError(f"wechat token: {data.get('errcode')} {data.get('errmsg')}")
            # Renew five minutes early so a token never expires between fetch and use.
            _token[self.app_id] = (
                str(token),
                time.monotonic() + int(data.get("expires_in", 7200)) - 300,
            )
            return str(token)

    def send(self, message: Outgoing) -> str:
        if not (self.app_id and self.app_secret):
            raise ProviderError("ANXIN_WECHAT_APP_ID/APP_SECRET are not set")
        params = dict(message.params)
        link = str(params.pop("url", "") or "")
        payload: dict[str, object] = {
            "touser": message.recipient,
            "template_id": message.template_id,
            "data": {k: {"value": str(v)} for k, v in params.items()},
            "client_msg_id": message.out_id,
        }
        if link:
            payload["url"] = link
        body = json.dumps(payload, ensure_ascii=False).encode()
        for refresh in (False, True):
            token = self.access_token(refresh=refresh)
            _status, data = http_json(
                "POST",
                f"{self.base_url}/cgi-bin/message/template/send?access_token={token}",
                body=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            code = int(data.get("errcode", -1))
            if code == 0:
                return str(data.get("msgid", ""))
            if code not in TOKEN_ERRORS:
                break
        raise ProviderError(
            f"wechat template send {code}: {data.get('errmsg', '')}",
            transient=code not in PERMANENT_ERRORS,
            code=str(code),
        )
