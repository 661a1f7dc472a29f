"""SmtpNotifier against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import pytest
from award.notifiers import SmtpNotifier
from award.workflow.errors import ConfigError, DeliveryError

SENDER = "上海市质量奖评审办公室 <award@example.cn>"


def notifier(server, **overrides):
    values = {"host": server.host, "port": server.port, "security": "none", "sender": SENDER, "timeout": 5}
    values.update(overrides)
    return SmtpNotifier(**values)


def test_chinese_mail_arrives_intact_exactly_once(smtp_server, make_message):
    message = make_message(to="张三 <zhang@example.cn>", html="<p>贵单位的申报材料已受理。</p>")
    notifier(smtp_server).send(message)
    [received] = smtp_server.handler.with_message_id(message.message_id)
    assert received.mail_from == "award@example.cn"
    assert received.rcpt_tos == ["zhang@example.cn"]
    mail = received.message
    assert mail["Subject"] == message.subject
    assert mail["Message-ID"] == message.message_id
    assert mail["To"] == "张三 <zhang@example.cn>"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == message.text
    assert mail.get_body(("html",)).get_content().strip() == "<p>贵单位的申报材料已受理。</p>"


def test_each_send_is_one_delivery(smtp_server, make_message):
    smtp = notifier(smtp_server)
    first, second = make_message(), make_message()
    smtp.send(first)
    smtp.send(second)
    assert len(smtp_server.handler.with_message_id(first.message_id)) == 1
    assert len(smtp_server.handler.with_message_id(second.message_id)) == 1


def test_server_down_is_temporary(unused_port, make_message):
    smtp = SmtpNotifier(host="127.0.0.1", port=unused_port, security="none", sender=SENDER, timeout=2)
    with pytest.raises(DeliveryError, match="无法连接邮件服务器") as caught:
        smtp.send(make_message())
    assert caught.value.permanent is False


def test_hung_server_times_out_as_temporary(silent_port, make_message):
    smtp = SmtpNotifier(host="127.0.0.1", port=silent_port, security="none", sender=SENDER, timeout=0.3)
    with pytest.raises(DeliveryError) as caught:
        smtp.send(make_message())
    assert caught.value.permanent is False


@pytest.mark.parametrize(
    "local,permanent,reply",
    [
        pytest.param("nobody", True, "550 5.1.1 No such user here", id="rcpt_550_permanent"),
        pytest.param("busy", False, "450 4.2.1 Mailbox busy", id="rcpt_450_temporary"),
    ],
)
def test_refused_recipient(smtp_server, make_message, local, permanent, reply):
    message = make_message(to=f"{local}@example.cn")
    with pytest.raises(DeliveryError, match="拒绝收件人") as caught:
        notifier(smtp_server).send(message)
    assert caught.value.permanent is permanent
    assert reply in str(caught.value)
    assert smtp_server.handler.with_message_id(message.message_id) == []


@pytest.mark.parametrize(
    "local,permanent,reply",
    [
        pytest.param("spamtrap", True, "554 5.7.1", id="data_554_permanent"),
        pytest.param("greylist", False, "451 4.7.1", id="data_451_temporary"),
    ],
)
def test_refused_data(smtp_server, make_message, local, permanent, reply):
    with pytest.raises(DeliveryError, match="拒收邮件内容") as caught:
        notifier(smtp_server).send(make_message(to=f"{local}@example.cn"))
    assert caught.value.permanent is permanent
    assert reply in str(caught.value)


def test_refused_sender_is_permanent(smtp_server, make_message):
    with pytest.raises(DeliveryError, match="拒绝发件人") as caught:
        notifier(smtp_server, sender="blocked@example.cn").send(make_message())
    assert caught.value.permanent is True
    assert "553 5.7.1 Sender address rejected" in str(caught.value)


def test_failed_login_is_permanent(auth_smtp_server, make_message):
    smtp = notifier(auth_smtp_server, username="award", password="wrong")
    with pytest.raises(DeliveryError, match="登录失败") as caught:
        smtp.send(make_message())
    assert caught.value.permanent is True
    assert "535" in str(caught.value)
    assert "wrong" not in str(caught.value)


def test_login_without_auth_support_is_permanent(smtp_server, make_message):
    with pytest.raises(DeliveryError, match="不支持") as caught:
        notifier(smtp_server, username="award", password="secret").send(make_message())
    assert caught.value.permanent is True


def test_starttls_without_server_support_is_permanent(smtp_server, make_message):
    with pytest.raises(DeliveryError, match="不支持") as caught:
        notifier(smtp_server, security="starttls").send(make_message())
    assert caught.value.permanent is True


def test_bad_header_is_permanent_and_sends_nothing(smtp_server, make_message):
    message = make_message(subject="通知\r\nBcc: victim@example.com")
    with pytest.raises(DeliveryError) as caught:
        notifier(smtp_server).send(message)
    assert caught.value.permanent is True


@pytest.mark.parametrize(
    "overrides",
    [pytest.param({"security": "tls"}, id="unknown_security"), pytest.param({"username": "award"}, id="no_password")],
)
def test_bad_configuration(overrides):
    with pytest.raises(ConfigError):
        SmtpNotifier(host="127.0.0.1", port=25, sender=SENDER, **overrides)
