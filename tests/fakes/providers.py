"""Local fake SMS and WeChat servers that verify each request's signature.

The signature checks are written again here from the providers' documentation, on purpose
without importing the adapters' code, so an adapter that signs wrongly fails its test.
Each server runs ``http.server`` in a thread on 127.0.0.1 with a random port.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def rfc3986(text: str) -> str:
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


class FakeServer:
    """Base: a threaded HTTP server whose handler calls ``self.handle(request)``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sends: collections.Counter[str] = collections.Counter()
        self.records: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.failures_left = 0
        self.failure_code = ""
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, data = fake.handle(self.command, self.path, dict(self.headers), body)
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, times: int, code: str) -> None:
        """Answer the next ``times`` send calls with the provider error ``code``."""
        self.failures_left, self.failure_code = times, code

    def _take_failure(self) -> str:
        with self.lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return self.failure_code
        return ""

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class FakeAliyun(FakeServer):
    """Dysmsapi: ``SendSms`` and ``QuerySendDetails``, RPC signature checked."""

    def __init__(self, key_id: str = "test-key", secret: str = "test-secret") -> None:
        super().__init__()
        self.key_id, self.secret = key_id, secret
        self.nonces: set[str] = set()

    def signature_ok(self, method: str, params: dict[str, str]) -> bool:
        given = params.pop("Signature", "")
        canonical = "&".join(f"{rfc3986(k)}={rfc3986(params[k])}" for k in sorted(params))
        to_sign = "&".join([method, rfc3986("/"), rfc3986(canonical)])
        expected = base64.b64encode(
            hmac.new((self.secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        return hmac.compare_digest(given, expected)

    def handle(self, method, path, headers, body):
        params = dict(
            urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query, keep_blank_values=True)
        )
        with self.lock:
            replay = params.get("SignatureNonce") in self.nonces
            self.nonces.add(params.get("SignatureNonce", ""))
        if (
            params.get("AccessKeyId") != self.key_id
            or replay
            or params.get("SignatureMethod") != "HMAC-SHA1"
            or not self.signature_ok(method, dict(params))
        ):
            with self.lock:
                self.bad_signatures += 1
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "RequestId": uuid.uuid4().hex,
            }
        # The documented format is ISO 8601 in UTC with a Z; anything else is refused.
        dt.datetime.strptime(params["Timestamp"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
        if params["Action"] == "SendSms":
            if code := self._take_failure():
                return 200, {"Code": code, "Message": "simulated", "RequestId": "r"}
            biz_id = uuid.uuid4().hex[:20]
            with self.lock:
                self.sends[params["OutId"]] += 1
                self.records.append(
                    {
                        "PhoneNum": params["PhoneNumbers"],
                        "OutId": params["OutId"],
                        "BizId": biz_id,
                        "TemplateCode": params["TemplateCode"],
                        "TemplateParam": json.loads(params["TemplateParam"]),
                        "SendStatus": 3,
                        "SendDate": time.strftime("%Y%m%d"),
                    }
                )
            if self.delay:
                time.sleep(self.delay)  # widen the window between "taken" and "answered"
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "r"}
        if params["Action"] == "QuerySendDetails":
            with self.lock:
                rows = [r for r in self.records if r["PhoneNum"] == params["PhoneNumber"]]
            size, page = int(params["PageSize"]), int(params["CurrentPage"])
            chunk = rows[(page - 1) * size : page * size]
            return 200, {
                "Code": "OK",
                "Message": "OK",
                "TotalCount": len(rows),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": chunk},
                "RequestId": "r",
            }
        return 404, {"Code": "InvalidAction.NotFound", "Message": params["Action"]}


class FakeTencent(FakeServer):
    """Tencent Cloud SMS ``SendSms``, TC3-HMAC-SHA256 Authorization checked."""

    def __init__(self, secret_id: str = "AKIDtest", secret_key: str = "tc-secret") -> None:
        super().__init__()
        self.secret_id, self.secret_key = secret_id, secret_key

    def signature_ok(self, headers: dict[str, str], body: bytes) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        auth = lower.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        credential = parts.get("Credential", "")
        secret_id, _, scope = credential.partition("/")
        timestamp = lower.get("x-tc-timestamp", "0")
        day = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).date().isoformat()
        if (
            algorithm != "TC3-HMAC-SHA256"
            or secret_id != self.secret_id
            or scope != f"{day}/sms/tc3_request"
        ):
            return False
        signed = parts.get("SignedHeaders", "").split(";")
        # Documented: header names and values lower-cased and trimmed, each line ending in \n.
        canonical_headers = "".join(f"{h}:{lower[h].strip().lower()}\n" for h in signed)
        canonical = (
            f"POST\n/\n\n{canonical_headers}\n{';'.join(signed)}\n"
            f"{hashlib.sha256(body).hexdigest()}"
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
            f"{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        key = ("TC3" + self.secret_key).encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(parts.get("Signature", ""), expected)

    def handle(self, method, path, headers, body):
        if method != "POST" or not self.signature_ok(headers, body):
            with self.lock:
                self.bad_signatures += 1
            return 200, {
                "Response": {
                    "Error": {
                        "Code": "AuthFailure.SignatureFailure",
                        "Message": "signature mismatch",
                    },
                    "RequestId": "r",
                }
            }
        payload = json.loads(body)
        action = {k.lower(): v for k, v in headers.items()}["x-tc-action"]
        if action == "SendSms":
            if code := self._take_failure():
                return 200, {
                    "Response": {"Error": {"Code": code, "Message": "simulated"}, "RequestId": "r"}
                }
            with self.lock:
                self.sends[payload["SessionContext"]] += 1
                self.records.append(payload)
            return 200, {
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": uuid.uuid4().hex,
                            "PhoneNumber": payload["PhoneNumberSet"][0],
                            "Fee": 1,
                            "SessionContext": payload["SessionContext"],
                            "Code": "Ok",
                            "Message": "send success",
                            "IsoCode": "CN",
                        }
                    ],
                    "RequestId": "r",
                }
            }
        return 200, {
            "Response": {"Error": {"Code": "InvalidAction", "Message": action}, "RequestId": "r"}
        }


class FakeWechat(FakeServer):
    """WeChat ``/cgi-bin/token`` and ``/cgi-bin/message/template/send``."""

    def __init__(self, app_id: str = "wx-test", app_secret: str = "wx-secret") -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens: set[str] = set()
        self.token_requests = 0

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def handle(self, method, path, headers, body):
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/cgi-bin/token":
            self.token_requests += 1
            if (query.get("appid"), query.get("secret")) != (self.app_id, self.app_secret):
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return 200, {"access_token": token, "expires_in": 7200}
        if url.path == "/cgi-bin/message/template/send":
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            payload = json.loads(body)
            with self.lock:
                self.sends[payload["client_msg_id"]] += 1
                self.records.append(payload)
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332}
        return 404, {"errcode": 404, "errmsg": "not found"}
