"""The e-mail built for a message: headers, encodings, alternatives."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from award import notifiers
from award.notifiers.mime import build_email
from award.workflow.abc import Notifier

SENDER = "上海市质量奖评审办公室 <award@example.cn>"


def reparse(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_headers_and_chinese_subject_survive_a_round_trip(make_message):
    message = make_message(headers={"X-Award-Case": "SHA-2026-001"})
    built = build_email(message, sender=SENDER, date=datetime(2026, 10, 12, 7, 0, tzinfo=UTC))
    raw = built.as_bytes()
    raw.decode("ascii")  # every header encoded (RFC 2047), bodies base64: safe for any server
    assert b"=?utf-8?" in raw
    parsed = reparse(built)
    assert parsed["Subject"] == message.subject
    assert parsed["Message-ID"] == message.message_id
    assert parsed["From"] == SENDER
    assert parsed["To"] == message.to
    assert parsed["Date"] == "Mon, 12 Oct 2026 07:00:00 +0000"
    assert parsed["X-Award-Case"] == "SHA-2026-001"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().replace("\r\n", "\n") == message.text


def test_html_alternative(make_message):
    parsed = reparse(build_email(make_message(html="<p>贵单位：A&amp;B</p>"), sender=SENDER))
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().startswith("上海甲乙丙质量科技有限公司")
    assert parsed.get_body(("html",)).get_content().strip() == "<p>贵单位：A&amp;B</p>"


def test_bare_message_id_gets_angle_brackets(make_message):
    assert build_email(make_message(message_id="outbox-1@award.local"), sender=SENDER)["Message-ID"] == (
        "<outbox-1@award.local>"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"subject": "通知\nBcc: victim@example.com"}, id="subject_injection"),
        pytest.param({"headers": {"X-Note": "a\r\nBcc: victim@example.com"}}, id="header_injection"),
        pytest.param({"headers": {"message-id": "<other@x>"}}, id="override_message_id"),
        pytest.param({"headers": {"To": "someone@else"}}, id="override_to"),
    ],
)
def test_unsafe_headers_are_refused(make_message, overrides):
    with pytest.raises(ValueError):
        build_email(make_message(**overrides), sender=SENDER)


def test_package_exports_every_notifier():
    assert notifiers.__all__ == sorted(notifiers.__all__)
    assert notifiers.__all__ == ["ConsoleNotifier", "DingtalkNotifier", "FeishuNotifier", "SmtpNotifier",
                                 "SpoolNotifier", "WebhookNotifier", "WecomNotifier"]
    channels = {name: getattr(notifiers, name).channel for name in notifiers.__all__}
    assert channels == {
        "ConsoleNotifier": "console",
        "DingtalkNotifier": "chat",
        "FeishuNotifier": "chat",
        "WecomNotifier": "chat",
        "SmtpNotifier": "email",
        "SpoolNotifier": "email",
        "WebhookNotifier": "webhook",
    }
    assert all(issubclass(getattr(notifiers, name), Notifier) for name in notifiers.__all__)
