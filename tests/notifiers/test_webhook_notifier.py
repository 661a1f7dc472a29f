"""WebhookNotifier against a real http.server on 127.0.0.1."""

from __future__ import annotations

from datetime import date

import pytest
from award.notifiers import WebhookNotifier
from award.workflow.errors import ConfigError, DeliveryError


def test_json_shape(http_server, make_message):
    message = make_message(to="评审办公室", meta={"case": "SHA-2026-001", "due": date(2026, 10, 12)})
    WebhookNotifier(url=f"{http_server.base_url}/ok").send(message)
    [request] = http_server.with_key(message.message_id)
    assert request.path == "/ok"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Idempotency-Key"] == message.message_id
    assert request.json() == {
        "message_id": message.message_id,
        "to": "评审办公室",
        "subject": message.subject,
        "text": message.text,
        "meta": {"case": "SHA-2026-001", "due": "2026-10-12"},
    }
    assert "质量金奖".encode() in request.body  # Chinese kept as UTF-8, not \\u escapes


def test_text_shape_for_chat_robots(http_server, make_message):
    message = make_message(to=f"{http_server.base_url}/robot")
    WebhookNotifier(shape="text").send(message)
    [request] = http_server.with_key(message.message_id)
    assert request.json() == {"msgtype": "text", "text": {"content": message.subject + "\n" + message.text}}


def test_url_in_message_wins_over_configured_url(http_server, make_message):
    message = make_message(to=f"{http_server.base_url}/accepted")
    WebhookNotifier(url=f"{http_server.base_url}/ok").send(message)
    assert [r.path for r in http_server.with_key(message.message_id)] == ["/accepted"]


@pytest.mark.parametrize(
    "path,permanent,shown",
    [
        pytest.param("/broken", False, "500", id="server_error_temporary"),
        pytest.param("/unavailable", False, "503", id="unavailable_temporary"),
        pytest.param("/slow-down", False, "429", id="too_many_requests_temporary"),
        pytest.param("/missing", True, "404", id="not_found_permanent"),
        pytest.param("/bad", True, "400 Bad Request：内容格式错误", id="bad_request_permanent"),
        pytest.param("/moved", True, "302", id="redirect_not_followed_permanent"),
        pytest.param("/robot-refuses", False, "errcode 45009", id="robot_errcode_temporary"),
    ],
)
def test_failures(http_server, make_message, path, permanent, shown):
    message = make_message()
    shape = "text" if path.startswith("/robot") else "json"
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier(url=http_server.base_url + path, shape=shape).send(message)
    assert caught.value.permanent is permanent
    assert shown in str(caught.value)
    assert [r.path for r in http_server.with_key(message.message_id)] == [path]  # tried once, no redirect


def test_connection_refused_is_temporary(unused_port, make_message):
    with pytest.raises(DeliveryError, match="无法连接 webhook") as caught:
        WebhookNotifier(url=f"http://127.0.0.1:{unused_port}/hook").send(make_message())
    assert caught.value.permanent is False


def test_timeout_is_temporary(silent_port, make_message):
    with pytest.raises(DeliveryError, match="无法连接 webhook") as caught:
        WebhookNotifier(url=f"http://127.0.0.1:{silent_port}/hook", timeout=0.3).send(make_message())
    assert caught.value.permanent is False


def test_no_url_at_all_is_permanent(make_message):
    with pytest.raises(DeliveryError, match="未配置默认 webhook 地址") as caught:
        WebhookNotifier().send(make_message(to="评审办公室"))
    assert caught.value.permanent is True


def test_meta_that_is_not_json_is_permanent(http_server, make_message):
    with pytest.raises(DeliveryError) as caught:
        WebhookNotifier(url=f"{http_server.base_url}/ok").send(make_message(meta={"x": object()}))
    assert caught.value.permanent is True


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.cn/hook", "example.cn/hook"])
def test_only_http_urls_are_configurable(url):
    with pytest.raises(ConfigError):
        WebhookNotifier(url=url)


def test_non_http_to_is_not_used_as_url(http_server, make_message):
    message = make_message(to="file:///etc/passwd")
    WebhookNotifier(url=f"{http_server.base_url}/ok").send(message)
    assert [r.path for r in http_server.with_key(message.message_id)] == ["/ok"]
