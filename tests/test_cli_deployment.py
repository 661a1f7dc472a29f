"""`award deployment check` and `award outbox test`: a wrong deployment is refused naming the key, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import make_runner
from tests.fixtures_robot import robot_fixture  # noqa: F401 - fixture
from tests.fixtures_smtp import HOST, smtp_server_fixture  # noqa: F401 - fixture


@pytest.fixture
def run(tmp_path: Path):
    return make_runner(str(tmp_path / "award.db"), tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deployment.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "words"), [
    pytest.param("notifiers:\n  email: {kind: smtp, host: smtp.example.gov.cn}\n",
                 ["deployment.yaml:2: notifiers.email", "smtp 缺少 port"], id="smtp_without_port"),
    pytest.param("notifiers:\n  email: {kind: smtp, port: 587}\n",
                 ["notifiers.email", "host（邮件服务器地址）"], id="smtp_without_host"),
    pytest.param("notifiers:\n  email: {kind: smtp, host: h, port: 587, username: award}\n",
                 ["password_env 或 password_file"], id="smtp_user_without_password_source"),
    pytest.param("notifiers:\n  chat: {kind: dingtalk, format: markdown}\n",
                 ["notifiers.chat", "url、url_env 或 url_file"], id="robot_without_url"),
    pytest.param("notifiers:\n  email: {kind: smtp, host: h, port: 70000}\n",
                 ["notifiers.email.port"], id="port_out_of_range"),
    pytest.param("delivery: {inline: maybe}\n", ["delivery.inline"], id="inline_not_a_bool"),
])
def test_incomplete_notifier_settings_are_refused_naming_the_key(run, tmp_path, text, words):
    path = write(tmp_path, text)
    for args in (("deployment", "check", str(path)), ("--deployment", str(path), "outbox", "list")):
        r = run(*args, who=None)  # `deployment check`, and any command that starts with the file
        assert r.code == 6, r
        assert "Traceback" not in r.err and "部署文件有误" in r.err
        for word in words:
            assert word in r.err, (word, r.err)


BOMB = "".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]\n"] +
               [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
                for i in range(1, 12)] + ["office: {email: *a11}\n"])


def test_a_yaml_alias_bomb_is_refused_in_bounded_time(run, tmp_path):
    path = write(tmp_path, BOMB)  # 9**12 items once expanded
    started = time.monotonic()
    r = run("deployment", "check", str(path), who=None)
    assert time.monotonic() - started < 5
    assert r.code == 6 and "不允许使用 YAML 锚点和别名" in r.err and "deployment.yaml:1" in r.err, r


def test_a_good_file_is_described_with_what_each_channel_needs(run, tmp_path, monkeypatch):
    monkeypatch.delenv("AWARD_SMTP_PASSWORD", raising=False)
    path = write(tmp_path, (
        "office: {name: 上海市政府质量奖审定委员会办公室, email: [office@example.gov.cn]}\n"
        "districts: {浦东新区: {email: [pudong@example.gov.cn]}}\n"
        "notifiers:\n"
        "  email: {kind: smtp, host: smtp.example.gov.cn, port: 465, security: ssl, username: award,\n"
        "          password_env: AWARD_SMTP_PASSWORD, sender: award@example.gov.cn}\n"
        "  chat: {kind: dingtalk, url: 'https://oapi.dingtalk.com/robot/send?access_token=x', secret_file: dingtalk.secret}\n"))
    r = run("deployment", "check", str(path), who=None)
    assert r.code == 0, r
    assert "格式正确" in r.out and "上海市政府质量奖审定委员会办公室" in r.out
    assert "本进程读不到，投递进程须有" in r.out  # not an error: a clerk's shell has no secrets
    assert "由 award scheduler 或 award outbox deliver 投递" in r.out
    report = run("deployment", "check", str(path), "--json", who=None).json
    assert [c["kind"] for c in report["channels"]] == ["smtp", "dingtalk"]


def test_without_a_deployment_file_nothing_claims_to_reach_a_person(run, tmp_path):
    r = run("deployment", "check", who=None)
    assert r.code == 6 and "不会发给任何人" in r.err, r


def test_outbox_test_sends_through_each_channel(run, tmp_path, smtp_server, robot):
    path = write(tmp_path, (
        "office: {name: 审定办, email: [office@example.gov.cn]}\n"
        f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {smtp_server.port}, security: none, "
        "sender: award@example.gov.cn, timeout: 5}\n"
        f"  chat: {{kind: wecom, url: '{robot.url('/cgi-bin/webhook/send?key=K')}'}}\n"
        "  spool: {kind: spool}\n"))
    assert run("init", "--admin", "wang", "--login", "wang", who=None).code == 0
    before = len(smtp_server.handler.received)
    r = run("--deployment", str(path), "outbox", "test", "--to", "wang@example.gov.cn", who=None)
    assert r.code == 0, r
    assert "email：成功，已发出（wang@example.gov.cn）" in r.out
    assert "chat：成功，已发出" in r.out
    assert "spool：成功，已写入邮件目录（未发给任何人）" in r.out
    [mail] = [m.message for m in smtp_server.handler.received[before:]]
    assert mail["To"] == "wang@example.gov.cn" and "测试" in mail["Subject"]
    assert robot.posts[0].body["msgtype"] == "text"
    assert run("--deployment", str(path), "outbox", "list", "--json", who="wang").json == []  # nothing queued

    robot.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    bad = run("--deployment", str(path), "outbox", "test", "--to", "wang@example.gov.cn", who=None)
    assert bad.code == 6 and "chat：失败，企业微信群机器人拒收（错误码 93000" in bad.out, bad


def test_without_a_deployment_file_mail_is_spooled_in_the_office_data_folder_and_says_so(tmp_path, monkeypatch):
    import os

    from tests.helpers import ORG_DECLARATIONS, sets, uscc

    home = Path(os.environ["AWARD_HOME"])
    elsewhere = tmp_path / "clerk-desk"
    elsewhere.mkdir()
    run = make_runner(str(tmp_path / "award.db"), elsewhere)  # no --deployment; the clerk stands elsewhere
    assert run("init", "--admin", "admin", "--login", "admin", who=None).code == 0
    assert run("staff", "add", "wang", "--login", "wang", "--role", "office@sha", who="admin").code == 0
    assert run("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    code = uscc("91310000MA1FL8GF9")
    assert run("party", "add", "--kind", "organization", "--name", "上海丙公司", "--code", code,
               "--registered-on", "2015-06-01", "--email", "bing@example.com").code == 0
    ref = run("case", "new", "--party", code, "--round", "sha-2026", "--track", "gold_model", "--json",
              now="2026-03-02 09:00").json["ref"]
    assert run("advance", ref, "start_internal_notice", now="2026-03-02 11:00").code == 0
    assert run("tick", now="2026-03-10 00:05", who=None).code == 0
    assert run("advance", ref, "submit", *sets(list(ORG_DECLARATIONS)), now="2026-03-10 09:30").code == 0
    delivered = run("outbox", "deliver")
    assert "写入邮件目录" in delivered.out and "尚未发给任何人" in delivered.out, delivered
    listed = run("outbox", "list", "--json").json
    assert "sent" not in {r["status"] for r in listed}  # nothing claims to have reached a person
    assert {r["status"] for r in listed if r["role"] == "applicant"} == {"spooled"}
    assert [r["last_error"] for r in listed if r["role"] == "office"] == ["没有审定办的地址：请在部署文件的 office 中填写（见 README“部署文件”）"]
    assert list((home / "spool").glob("*.eml")) and not list(elsewhere.rglob("*.eml"))
