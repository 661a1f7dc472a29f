"""The e-mail built for a message: headers, encodings, alternatives."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from award import notifiers
from award.notifiers.mime import build_email
from award.workflow.abc import Notifier
from award.workflow.values import Attachment

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


def test_documents_are_attached_with_their_names_and_types(make_message):
    """A Chinese file name (RFC 2231), a text report, a PDF and an image, next to the text and its HTML;
    every line of the written mail ends in CRLF and the whole mail is ASCII."""
    docs = (Attachment(filename="资料评审报告（SHA-2026-001）.txt", content="评审意见：良好".encode(),
                       mime_type="text/plain"),
            Attachment(filename="scan.pdf", content=b"%PDF-1.4\x00\x01", mime_type="application/pdf"),
            Attachment(filename="现场照片.png", content=b"\x89PNG\r\n", mime_type="image/png"))
    built = build_email(make_message(html="<p>贵单位</p>", attachments=docs, to="张三 <zhang@example.cn>, li@example.cn"),
                        sender="award@example.cn", sender_name="上海市质量奖评审办公室", reply_to="office@example.cn")
    raw = built.as_bytes()
    raw.decode("ascii")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["From"] == SENDER and parsed["Reply-To"] == "office@example.cn"
    assert parsed["To"] == "张三 <zhang@example.cn>, li@example.cn"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>贵单位</p>"
    got = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in parsed.iter_attachments()]
    assert got == [("资料评审报告（SHA-2026-001）.txt", "text/plain", "评审意见：良好"),
                   ("scan.pdf", "application/pdf", b"%PDF-1.4\x00\x01"),
                   ("现场照片.png", "image/png", b"\x89PNG\r\n")]
    assert raw.count(b"MIME-Version") == 1


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


def test_an_office_name_with_a_comma_stays_one_sender(make_message):
    built = build_email(make_message(), sender="award@example.cn", sender_name="质量奖办公室, 上海")
    assert reparse(built)["From"].addresses[0].display_name == "质量奖办公室, 上海"
    assert reparse(built)["From"].addresses[0].addr_spec == "award@example.cn"
    assert len(reparse(built)["From"].addresses) == 1
