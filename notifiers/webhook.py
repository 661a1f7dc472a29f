"""POST messages to a webhook (an office system, or an enterprise chat robot) with `urllib`."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from award.workflow.abc import Notifier
from award.workflow.errors import ConfigError, DeliveryError
from award.workflow.logs import logger
from award.workflow.values import Message

__all__ = ["WebhookNotifier"]

_LOGGER = logger(__name__)

Shape = Literal["json", "text"]

TEMPORARY_STATUSES = frozenset({408, 425, 429})
"""4xx replies that mean "not now" (timeout, too early, too many requests): retried, not given up."""

_USER_AGENT = "award-notifier/1"


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Do not follow redirects: urllib would turn a redirected POST into a GET and call it delivered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} 不能写成 JSON")


class WebhookNotifier(Notifier):
    """POSTs each message as JSON, with its id as the `Idempotency-Key` header.

    Shapes:
        json: `{"message_id", "to", "subject", "text", "meta"}`, for an office system.
        text: `{"msgtype": "text", "text": {"content": subject + "\\n" + text}}`, the form enterprise
            chat robots (WeCom, DingTalk) accept. Such robots answer 200 with `{"errcode": N}` even
            when they refuse; a non-zero errcode is a temporary failure (often a rate limit).

    A 2xx reply is delivered. 5xx, 408, 425, 429, a timeout or a network error is temporary; any
    other 4xx, and a 3xx (redirects are not followed), is permanent.

    Attributes:
        channel: `webhook`.
        url: the default target, used when `Message.to` is not itself an http(s) URL.
        shape: `json` or `text`.
        timeout: seconds for the whole request.
    """

    channel: ClassVar[str] = "webhook"

    def __init__(self, *, url: str | None = None, shape: Shape = "json", timeout: float = 10) -> None:
        if url is not None and not _is_http(url):
            raise ConfigError(f"webhook 地址须以 http:// 或 https:// 开头，收到 {url!r}")
        if shape not in ("json", "text"):
            raise ConfigError(f"webhook 的 shape 应为 json 或 text，收到 {shape!r}")
        self.url = url
        self.shape: Shape = shape
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def target(self, message: Message) -> str:
        """The URL a message goes to: its `to` when that is an http(s) URL, else the configured `url`.

        Raises:
            DeliveryError: permanent, when there is neither.
        """
        if _is_http(message.to):
            return message.to
        if self.url is None:
            raise DeliveryError(
                f"通知 {message.message_id} 的收件地址 {message.to!r} 不是 http(s) 地址，"
                "且未配置默认 webhook 地址",
                permanent=True,
            )
        return self.url

    def body(self, message: Message) -> bytes:
        """The request body in the configured shape, UTF-8 JSON with Chinese kept as is.

        Raises:
            TypeError: when `message.meta` holds a value JSON cannot carry (dates are written ISO).
        """
        payload: dict[str, Any]
        if self.shape == "text":
            payload = {"msgtype": "text", "text": {"content": f"{message.subject}\n{message.text}"}}
        else:
            payload = {
                "message_id": message.message_id,
                "to": message.to,
                "subject": message.subject,
                "text": message.text,
                "meta": message.meta,
            }
        return json.dumps(payload, ensure_ascii=False, default=_json_default).encode("utf-8")

    def send(self, message: Message) -> None:
        """POST one message.

        Raises:
            DeliveryError: see the class docstring for which failures are permanent.
        """
        url = self.target(message)
        try:
            data = self.body(message)
        except TypeError as exc:
            raise DeliveryError(f"通知 {message.message_id} 无法写成 JSON：{exc}", permanent=True) from exc
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.message_id,
                "User-Agent": _USER_AGENT,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                reply = response.read(4096)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read(500).decode("utf-8", errors="replace").strip()
            permanent = exc.code < 500 and exc.code not in TEMPORARY_STATUSES
            advice = "请核对 webhook 地址和内容格式" if permanent else "稍后重试"
            raise DeliveryError(
                f"webhook {url} 回复 {exc.code} {exc.reason}{('：' + detail) if detail else ''}；{advice}",
                permanent=permanent,
            ) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DeliveryError(
                f"无法连接 webhook {url}（{reason or type(exc).__name__}）；稍后重试", permanent=False
            ) from exc
        if self.shape == "text":
            self._check_robot_reply(url, reply)
        _LOGGER.info("webhook: sent %s (%s)", message.message_id, status)

    @staticmethod
    def _check_robot_reply(url: str, reply: bytes) -> None:
        """A chat robot says no with `{"errcode": N, "errmsg": ...}` inside a 200 reply."""
        try:
            parsed = json.loads(reply)
        except ValueError:
            return
        if isinstance(parsed, dict) and parsed.get("errcode") not in (None, 0):
            raise DeliveryError(
                f"webhook {url} 拒收（errcode {parsed.get('errcode')}：{parsed.get('errmsg', '')}）"
                "；稍后重试",
                permanent=False,
            )
