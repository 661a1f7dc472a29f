"""WeCom, DingTalk and Feishu robots against a local HTTP server: documented payloads, signatures, error replies."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from award.notifiers import DingtalkNotifier, FeishuNotifier, WecomNotifier
from award.workflow.errors import ConfigError, DeliveryError
from award.workflow.values import Attachment, Message

from tests.fixtures_robot import robot_fixture  # noqa: F401 - fixture

AT = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)
MESSAGE = Message(message_id="<outbox-7.sha-2026-001.abc@award.local>", to="chat:office",
                  subject="资格审查结果公示中：上海甲质量科技有限公司（SHA-2026-001）",
                  text="资格审查通过。\n公示期至2026年10月13日止。",
                  attachments=(Attachment(filename="资料评审报告.txt", content="报告".encode()),))


def test_wecom_text_and_markdown_payloads(robot):
    WecomNotifier(url=robot.url("/cgi-bin/webhook/send?key=K")).send(MESSAGE)
    WecomNotifier(url=robot.url("/cgi-bin/webhook/send?key=K"), format="markdown").send(MESSAGE)
    text, markdown = robot.posts
    assert text.path == "/cgi-bin/webhook/send" and text.query == {"key": ["K"]}
    assert text.headers["Content-Type"] == "application/json; charset=utf-8"
    assert text.body == {"msgtype": "text", "text": {"content": (
        f"{MESSAGE.subject}\n{MESSAGE.text}\n附件（随电子邮件发送）：资料评审报告.txt")}}
    assert markdown.body["msgtype"] == "markdown"
    assert markdown.body["markdown"]["content"].startswith(f"**{MESSAGE.subject}**\n资格审查通过。")


def test_wecom_text_is_cut_to_its_documented_2048_bytes(robot):
    long = Message(message_id="<m@x>", to="chat:office", subject="长", text="质" * 3000)
    WecomNotifier(url=robot.url("/cgi-bin/webhook/send?key=K")).send(long)
    content = robot.posts[0].body["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and content.endswith("（全文见电子邮件或 award show）")


def test_dingtalk_signed_request_carries_timestamp_and_signature(robot):
    secret = "SEC0123456789abcdef"
    DingtalkNotifier(url=robot.url(), secret=secret, format="markdown", clock=lambda: AT).send(MESSAGE)
    [post] = robot.posts
    stamp = str(int(AT.timestamp() * 1000))
    assert post.query["access_token"] == ["T0KEN"] and post.query["timestamp"] == [stamp]
    # DingTalk's documented algorithm, computed here independently of the notifier
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert post.query["sign"] == [expected.decode()]  # parse_qs has URL-decoded it
    assert post.body["msgtype"] == "markdown"
    assert post.body["markdown"]["title"] == MESSAGE.subject
    assert post.body["markdown"]["text"].startswith(f"#### {MESSAGE.subject}\n\n资格审查通过。\n\n公示期至")


def test_dingtalk_unsigned_text(robot):
    DingtalkNotifier(url=robot.url()).send(MESSAGE)
    [post] = robot.posts
    assert "sign" not in post.query
    assert post.body == {"msgtype": "text", "text": {"content": (
        f"{MESSAGE.subject}\n{MESSAGE.text}\n附件（随电子邮件发送）：资料评审报告.txt")}}


def test_feishu_signature_goes_in_the_body(robot):
    secret = "feishu-secret"
    FeishuNotifier(url=robot.url("/open-apis/bot/v2/hook/H"), secret=secret, clock=lambda: AT).send(MESSAGE)
    robot.reply = {"code": 0, "msg": "success", "data": {}}
    FeishuNotifier(url=robot.url("/open-apis/bot/v2/hook/H"), format="markdown").send(MESSAGE)
    signed, card = robot.posts
    stamp = str(int(AT.timestamp()))
    expected = base64.b64encode(hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert signed.body == {"timestamp": stamp, "sign": expected, "msg_type": "text",
                           "content": {"text": f"{MESSAGE.subject}\n{MESSAGE.text}\n附件（随电子邮件发送）：资料评审报告.txt"}}
    assert card.body["msg_type"] == "interactive" and "sign" not in card.body
    assert card.body["card"]["header"]["title"] == {"tag": "plain_text", "content": MESSAGE.subject}
    assert card.body["card"]["elements"][0]["tag"] == "markdown"


@pytest.mark.parametrize(("make", "reply", "permanent", "words"), [
    pytest.param(lambda u: DingtalkNotifier(url=u, secret="wrong"), {"errcode": 310000, "errmsg": "sign not match"},
                 True, "错误码 310000：sign not match", id="dingtalk_bad_signature"),
    pytest.param(lambda u: DingtalkNotifier(url=u), {"errcode": 130101, "errmsg": "send too fast"},
                 False, "错误码 130101", id="dingtalk_too_fast"),
    pytest.param(lambda u: WecomNotifier(url=u), {"errcode": 93000, "errmsg": "invalid webhook url"},
                 True, "错误码 93000", id="wecom_bad_key"),
    pytest.param(lambda u: WecomNotifier(url=u), {"errcode": 45009, "errmsg": "api freq out of limit"},
                 False, "错误码 45009", id="wecom_rate_limit"),
    pytest.param(lambda u: FeishuNotifier(url=u), {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
                 True, "错误码 19021", id="feishu_bad_signature"),
    pytest.param(lambda u: FeishuNotifier(url=u), {"code": 11232, "msg": "frequency limited"},
                 False, "错误码 11232", id="feishu_rate_limit"),
])
def test_http_200_with_an_error_code_is_a_failure(robot, make, reply, permanent, words):
    robot.reply = reply
    with pytest.raises(DeliveryError) as caught:
        make(robot.url()).send(MESSAGE)
    assert caught.value.permanent is permanent and not caught.value.uncertain
    assert words in str(caught.value) and "拒收" in str(caught.value)
    assert "T0KEN" not in str(caught.value)  # the robot's key is not repeated in messages


def test_unreachable_robot_is_temporary():
    with pytest.raises(DeliveryError) as caught:
        WecomNotifier(url="http://127.0.0.1:9/cgi-bin/webhook/send?key=K", timeout=2).send(MESSAGE)
    assert not caught.value.permanent and "无法连接企业微信群机器人" in str(caught.value)


def test_a_robot_url_must_be_http():
    with pytest.raises(ConfigError, match="须以 https:// 开头"):
        DingtalkNotifier(url="oapi.dingtalk.com/robot/send?access_token=x")
