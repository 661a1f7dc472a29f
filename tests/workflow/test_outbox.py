"""The transactional outbox against real servers: SMTP (aiosmtpd) and a webhook (http.server) on 127.0.0.1.

Delivery runs on the wall clock (the business clock is `--now`); backoff is crossed with freezegun
(`real_asyncio=True`: the SMTP server's event loop keeps real time).
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from award.notifiers import WebhookNotifier
from award.notifiers.spool import spool_filename
from award.workflow.engine import Engine
from award.workflow.notify.deployment import Addresses, Deployment, NotifierConfig
from award.workflow.notify.outbox import install as install_outbox
from award.workflow.notify.outbox import message_id
from award.workflow.store import CaseRow, EventRow, OutboxRow, utc
from award.workflow.timing.clock import system_clock
from award.workflow.timing.timers import install as install_timers
from freezegun import freeze_time
from sqlmodel import col, select

from tests.fixtures_sha import office_fixture, open_office, sha_definitions  # noqa: F401 - fixtures
from tests.fixtures_smtp import HOST, SmtpService, smtp_server_fixture  # noqa: F401 - fixtures

PASSED = "2026-09-30 09:00"  # qualification notice: last day 2026-10-13 (National Day, Sat 10-10 make-up day)
TEMPLATE = "qualification_passed"


def smtp_deployment(path: Path, port: int, *, office: bool = True, delivery: str = "{inline: true}") -> Path:
    text = ("office:\n  email: [office@example.gov.cn]\n" if office else "") + (
        "districts:\n  浦东新区: {email: [pudong@example.gov.cn]}\n"
        f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {port}, security: none, "
        "sender: award-office@example.gov.cn, timeout: 5}\n"
        + (f"delivery: {delivery}\n" if delivery else ""))
    path.write_text(text, encoding="utf-8")
    return path


def rows(o, template: str | None = None) -> list[OutboxRow]:
    with o.engine.db.session() as s:
        q = select(OutboxRow).order_by(col(OutboxRow.id))
        if template:
            q = q.where(OutboxRow.template == template)
        return list(s.exec(q).all())


def row_message_id(o, row: OutboxRow) -> str:
    with o.engine.db.session() as s:
        case = s.get(CaseRow, row.case_id)
        assert case is not None
        return message_id(row, case.ref, o.engine.db.installation())


def deliver(o, **kw) -> str:
    result = o.run("outbox", "deliver", **kw)
    assert result.code == 0, result
    return result.out.splitlines()[0]


@pytest.fixture
def smtp():
    """An SMTP server of this test's own, which the test may stop and start again."""
    service = SmtpService().start()
    yield service
    service.stop()


def smtp_office(db_url, tmp_path, port: int, *, deliver: bool = True, **kw):
    return open_office(db_url, tmp_path, smtp_deployment(tmp_path / "deployment.yaml", port, **kw),
                       deliver=deliver)


# --- SMTP -------------------------------------------------------------------------------------------


def test_chinese_mail_arrives_exactly_once(db_url, tmp_path, smtp_server):
    o = smtp_office(db_url, tmp_path, smtp_server.port)
    ref = o.in_review(PASSED)
    first_new = len(smtp_server.handler.received)

    passed = o.run("advance", ref, "pass_qualification", now=PASSED, who="li")
    assert passed.code == 0, passed
    assert deliver(o) == "发出 0 条，稍后重试 0 条，失败 0 条"

    [row] = rows(o, TEMPLATE)
    assert (row.status, row.attempts, row.recipient) == ("sent", 1, "applicant@example.com")
    mid = row_message_id(o, row)
    arrived = [r for r in smtp_server.handler.received[first_new:] if r.message["Message-ID"] == mid]
    assert len(arrived) == 1
    mail = arrived[0].message
    assert arrived[0].rcpt_tos == ["applicant@example.com"]
    assert mail["Subject"] == f"资格审查通过，进入公示（{ref}）"
    assert mail["X-Award-Case"] == ref
    body = mail.get_content()
    assert "上海第1质量科技有限公司：" in body
    assert "公示期为5个工作日，至2026年10月13日止（第二十二条）" in body
    assert "上海市政府质量奖审定委员会办公室" in body
    o.engine.db.dispose()


def next_attempt(o, row_id: int) -> datetime:
    with o.engine.db.session() as s:
        row = s.get(OutboxRow, row_id)
        assert row is not None
        return utc(row.next_attempt_at)


def test_server_down_rows_back_off_and_arrive_once_when_it_returns(db_url, tmp_path, smtp):
    o = smtp_office(db_url, tmp_path, smtp.port, delivery="{max_attempts: 6, backoff_seconds: 60, inline: true}")
    ref = o.in_review(PASSED)
    smtp.stop()

    sent_at = system_clock()
    assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0  # committed
    waiting = [r for r in rows(o) if r.status != "sent" and "无地址" not in r.recipient]
    assert waiting and {(r.template, r.status, r.attempts) for r in waiting} == {(TEMPLATE, "pending", 1)}
    assert all("无法连接邮件服务器" in (r.last_error or "") for r in waiting)
    row_id = waiting[0].id
    first = next_attempt(o, row_id)
    assert sent_at + timedelta(seconds=60) <= first <= system_clock() + timedelta(seconds=60)

    assert deliver(o) == "发出 0 条，稍后重试 0 条，失败 0 条"  # not due yet

    at = first
    for attempt, delay in ((2, 120), (3, 240)):
        with freeze_time(at + timedelta(seconds=1), real_asyncio=True):
            assert deliver(o) == f"发出 0 条，稍后重试 {len(waiting)} 条，失败 0 条"
            [row] = [r for r in rows(o) if r.id == row_id]
            assert (row.status, row.attempts) == ("pending", attempt)
            assert next_attempt(o, row_id) == at + timedelta(seconds=1 + delay)  # 60 * 2**(attempts-1)
        at = next_attempt(o, row_id)

    smtp.start()
    with freeze_time(at + timedelta(seconds=1), real_asyncio=True):
        assert deliver(o) == f"发出 {len(waiting)} 条，稍后重试 0 条，失败 0 条"
        assert deliver(o) == "发出 0 条，稍后重试 0 条，失败 0 条"
    for r in waiting:
        [row] = [x for x in rows(o) if x.id == r.id]
        assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)
        assert len(smtp.handler.with_message_id(row_message_id(o, row))) == 1
    o.engine.db.dispose()


def test_after_max_attempts_the_row_is_failed_listed_and_retried_by_hand(db_url, tmp_path, smtp):
    o = smtp_office(db_url, tmp_path, smtp.port, delivery="{max_attempts: 2, backoff_seconds: 60, inline: true}")
    ref = o.in_review(PASSED)
    smtp.stop()
    assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0
    [row] = rows(o, TEMPLATE)
    assert (row.status, row.attempts) == ("pending", 1)

    with freeze_time(next_attempt(o, row.id) + timedelta(seconds=1), real_asyncio=True):
        result = o.run("outbox", "deliver")
        assert result.out.startswith("发出 0 条，稍后重试 0 条，失败 1 条"), result
        assert f"#{row.id} 失败：无法连接邮件服务器 {HOST}:{smtp.port}" in result.err
    with freeze_time(system_clock() + timedelta(days=1), real_asyncio=True):
        assert deliver(o) == "发出 0 条，稍后重试 0 条，失败 0 条"  # a failed row waits for a person

    failed = o.run("outbox", "list", "--failed", "--json")
    assert [(r["id"], r["template"], r["status"], r["attempts"]) for r in failed.json
            if "无地址" not in r["recipient"]] == [(row.id, TEMPLATE, "failed", 2)]
    shown = o.run("outbox", "list", "--failed")
    assert TEMPLATE in shown.out and "发送失败" in shown.out  # statuses are shown in Chinese

    smtp.start()
    retried = o.run("outbox", "retry", str(row.id))
    assert retried.code == 0, retried
    assert retried.out.startswith(f"通知 #{row.id} 已发出：applicant@example.com"), retried
    [row] = rows(o, TEMPLATE)
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(smtp.handler.with_message_id(row_message_id(o, row))) == 1
    again = o.run("outbox", "retry", str(row.id))
    assert again.code == 2 and "不再重发" in again.err, again
    o.engine.db.dispose()


CRASH_AFTER_SEND = textwrap.dedent("""\
    import os, sys
    from award.cli import Settings, build_engine
    from award.workflow.abc import Notifier

    settings = Settings(db=sys.argv[1], definitions=None, now=None, as_name=None, deployment=sys.argv[2],
                        deliver=False)
    engine = build_engine(settings)
    outbox = engine.outbox
    smtp = outbox.notifier("email")

    class CrashAfterSend(Notifier):
        channel = "email"

        def send(self, message):
            smtp.send(message)  # delivered ...
            os._exit(1)  # ... and the process dies before the row is marked sent

    outbox.channels = lambda channel: CrashAfterSend()
    outbox.deliver()
    sys.exit("not reached")
""")


def test_crash_between_send_and_record_repeats_at_most_once_with_the_same_message_id(db_url, tmp_path, smtp):
    o = smtp_office(db_url, tmp_path, smtp.port, deliver=False)
    ref = o.in_review(PASSED)
    assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0
    pending = [r for r in rows(o) if r.status == "pending"]
    assert len(pending) >= 3 and TEMPLATE in {r.template for r in pending}
    o.engine.db.dispose()

    crashed = subprocess.run([sys.executable, "-c", CRASH_AFTER_SEND, o.db, str(o.deployment)], check=False,
                             cwd=tmp_path, env=o.subprocess_env(), capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 1, crashed
    first = pending[0]
    mid = row_message_id(o, first)
    assert len(smtp.handler.with_message_id(mid)) == 1
    [row] = [r for r in rows(o) if r.id == first.id]
    assert (row.status, row.attempts) == ("sending", 1)  # claimed, sent, never recorded

    # SQLite claims one row at a time: only the row in flight waits for its lease. PostgreSQL claims a
    # batch (FOR UPDATE SKIP LOCKED): the crashed deliverer's whole batch waits for the lease, then goes.
    from award.workflow.notify.delivery import BATCH

    waiting = 1 if o.engine.db.is_sqlite else min(len(pending), BATCH)
    assert deliver(o) == f"发出 {len(pending) - waiting} 条，稍后重试 0 条，失败 0 条"  # its lease still runs
    with freeze_time(system_clock() + timedelta(minutes=11), real_asyncio=True):
        assert deliver(o) == f"发出 {waiting} 条，稍后重试 0 条，失败 0 条"  # the lease expired: sent again
        assert deliver(o) == "发出 0 条，稍后重试 0 条，失败 0 条"
    [row] = [r for r in rows(o) if r.id == first.id]
    assert (row.status, row.attempts) == ("sent", 2)
    repeats = smtp.handler.with_message_id(mid)
    assert len(repeats) == 2  # one repeat, with the same Message-ID, for the receiver to drop
    assert repeats[0].content.split(b"\r\nDate:")[0] == repeats[1].content.split(b"\r\nDate:")[0]
    for other in pending[1:]:
        assert len(smtp.handler.with_message_id(row_message_id(o, other))) == 1
    o.engine.db.dispose()


def test_notification_without_an_address_is_a_failed_row_saying_how_to_fix_it(db_url, tmp_path, smtp):
    o = smtp_office(db_url, tmp_path, smtp.port, office=False)
    o.in_review(PASSED)  # `submit` tells the applicant and the office: the office has no address

    failed = [r for r in o.run("outbox", "list", "--failed", "--json").json if r["role"] == "office"]
    assert [(r["template"], r["recipient"], r["status"], r["attempts"]) for r in failed] == [
        ("work_application_received", "（office：无地址）", "failed", 0)]
    assert failed[0]["last_error"] == "没有审定办的地址：请在部署文件的 office 中填写（见 README“部署文件”）"
    assert "没有审定办的地址" in o.run("outbox", "list", "--failed").out
    # the applicant's copy went out all the same
    assert [r["status"] for r in o.run("outbox", "list", "--json").json
            if r["template"] == "application_received" and r["role"] == "applicant"] == ["sent"]

    still = o.run("outbox", "retry", str(failed[0]["id"]))
    assert still.code == 6 and "没有审定办的地址" in still.err, still

    smtp_deployment(o.deployment, smtp.port, office=True)  # the office fills in its address
    fixed = o.run("outbox", "retry", str(failed[0]["id"]))
    assert fixed.code == 0, fixed
    [row] = [r for r in rows(o) if r.id == failed[0]["id"]]
    assert (row.status, row.recipient) == ("sent", "office@example.gov.cn")
    assert len(smtp.handler.with_message_id(row_message_id(o, row))) == 1
    o.engine.db.dispose()


def test_no_deliver_leaves_rows_pending_until_outbox_deliver(office):
    o = office  # spool deployment; the fixture runs every command with --no-deliver
    ref = o.in_review(PASSED)
    assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0
    assert o.spool() == []
    listed = o.run("outbox", "list", "--case", ref, "--json").json
    waiting = [r for r in listed if r["status"] == "pending"]
    assert TEMPLATE in {r["template"] for r in waiting} and all(r["attempts"] == 0 for r in waiting)

    assert deliver(o, deliver=True) == f"发出 0 条，写入邮件目录 {len(waiting)} 条（尚未发给任何人），稍后重试 0 条，失败 0 条"
    assert len(o.spool()) == len(waiting)
    assert {r["status"] for r in o.run("outbox", "list", "--case", ref, "--json").json
            if r["id"] in {w["id"] for w in waiting}} == {"spooled"}  # a file in a folder has reached nobody


# --- webhook (no definition sends on the webhook channel: the outbox API directly) -------------------


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.path, dict(self.headers.items()), body))  # type: ignore[attr-defined]
        reply = b'{"errcode":0,"errmsg":"ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def robot():
    """A chat-robot webhook on 127.0.0.1 that records each POST."""
    server = ThreadingHTTPServer((HOST, 0), _Hook)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_webhook_row_is_posted_once_with_its_message_id(office, robot, monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    ref = office.in_review(PASSED)
    url = f"http://{HOST}:{robot.server_address[1]}/robot/send?key=test"
    engine = Engine(db=office.engine.db, catalog=office.engine.catalog, clock=office.engine.clock,
                    wall_clock=system_clock, calendar=office.engine.calendar)
    install_timers(engine)
    outbox = install_outbox(
        engine, deliver=False,
        deployment=Deployment(office=Addresses(webhook=url),
                              notifiers={"webhook": NotifierConfig(kind="webhook", shape="text")}),
        notifiers={"webhook": WebhookNotifier(shape="text", timeout=5)})
    before = {r.id for r in rows(office) if r.status == "pending"}
    with engine.db.session() as s:
        case = s.exec(select(CaseRow).where(CaseRow.ref == ref)).one()
        event = s.exec(select(EventRow).where(EventRow.case_id == case.id).order_by(col(EventRow.seq).desc())).first()
        assert event is not None and case.id is not None and event.id is not None
        now = system_clock()
        row = OutboxRow(event_id=event.id, case_id=case.id, template="objection_filed", channel="webhook",
                        role="office", recipient=url, subject=f"收到异议：上海第1质量科技有限公司（{ref}）",
                        body="案件已暂停（第三十二条）。", created_at=now, next_attempt_at=now)
        s.add(row)
        s.flush()
        row_id = row.id

    report = outbox.deliver()

    assert report.sent == [row_id] and report.retrying == []
    # the set-up's e-mail rows have no notifier in this outbox: failed, visible, never lost
    assert {rid for rid, _ in report.failed} == before
    assert all("部署文件没有为渠道 email 配置通知方式" in error for _, error in report.failed)
    [(path, headers, body)] = robot.requests
    assert path == "/robot/send?key=test"
    assert headers["Idempotency-Key"] == f"<outbox-{row_id}.{ref.lower()}.{engine.db.installation()}@award.local>"
    assert json.loads(body) == {"msgtype": "text", "text": {
        "content": f"收到异议：上海第1质量科技有限公司（{ref}）\n案件已暂停（第三十二条）。"}}
    assert outbox.deliver().sent == []
    assert len(robot.requests) == 1
    [sent] = [r for r in rows(office) if r.id == row_id]
    assert (sent.status, sent.attempts) == ("sent", 1)


# --- templates ----------------------------------------------------------------------------------------


def test_template_typo_in_a_copied_folder_is_caught_with_file_and_line(office, tmp_path):
    folder = sha_definitions(tmp_path / "definitions")
    clean = office.run("definitions", "check", str(folder), who=None)
    assert clean.code == 0, clean
    template = folder / "templates" / "sha" / f"{TEMPLATE}.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    [number] = [i for i, line in enumerate(lines, start=1) if "{{ party.name }}：" in line]
    lines[number - 1] = lines[number - 1].replace("party.name", "party.nmae")
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = office.run("definitions", "check", str(folder), who=None)
    assert result.code == 6, result
    assert f"{template}:{number}: 模板变量未定义" in result.err and "nmae" in result.err
    as_json = office.run("definitions", "check", str(folder), "--json", who=None)
    assert as_json.code == 6 and as_json.json["ok"] is False
    [problem] = as_json.json["problems"]
    assert (problem["file"], problem["line"]) == (str(template), number)


@pytest.mark.parametrize("expression", ["party.__class__.__mro__", "''.__class__", "case.form.__class__",
                                        "party|attr('__class__')"])
def test_sandbox_escape_in_a_template_is_refused_by_check(office, tmp_path, expression):
    folder = sha_definitions(tmp_path / "definitions")
    template = folder / "templates" / "sha" / "objection_filed.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("异议理由：", "异议理由：{{ " + expression + " }}"), encoding="utf-8")
    result = office.run("definitions", "check", str(folder), who=None)
    assert result.code == 6, result
    assert str(template) in result.err and "安全沙箱拒绝" in result.err


def test_dates_in_a_spooled_mail_read_like_2026年10月13日(db_url, tmp_path):
    o = open_office(db_url, tmp_path, deliver=True)  # spool folder tmp_path/mail
    ref = o.in_review(PASSED)
    assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0
    [row] = rows(o, TEMPLATE)
    assert row.status == "spooled"
    path = o.workdir / "mail" / spool_filename(row_message_id(o, row))
    raw = path.read_bytes()
    assert "2026年".encode() not in raw  # encoded on the wire (RFC 2047 subject, base64 body)
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == f"资格审查通过，进入公示（{ref}）"
    body = mail.get_content()
    assert "至2026年10月13日止" in body
    assert "2026-10-13" not in body and "2026年10月013日" not in body
    o.engine.db.dispose()


def test_tick_delivers_the_notifications_of_the_steps_it_fires(db_url, tmp_path):
    o = open_office(db_url, tmp_path, deliver=True)  # spool folder tmp_path/mail
    ref = o.in_commendation("2026-05-06 10:00")
    assert o.run("advance", ref, "commend", "--yes", "--set", "award_document=沪府〔2026〕88号", now="2026-10-20 09:00").code == 0
    [awarded] = [r for r in rows(o, "awarded") if r.role == "applicant"]
    assert "第1次：2027年10月20日前" in awarded.body and "第3次：2029年10月20日前" in awarded.body

    assert o.run("tick", now="2027-09-20 00:00", deliver=False).code == 0
    [first] = rows(o, "report_reminder")
    assert first.status == "pending"  # --no-deliver: left for `award outbox deliver`
    # the winner's report reminder (SHA-33) and the district bureau's follow-up reminder (SHA-38)
    assert deliver(o) == "发出 0 条，写入邮件目录 2 条（尚未发给任何人），稍后重试 0 条，失败 0 条"

    assert o.run("tick", now="2028-09-20 00:00").code == 0
    second = rows(o, "report_reminder")[1]
    assert (second.status, second.recipient) == ("spooled", "applicant@example.com")
    mail = email.message_from_bytes((o.workdir / "mail" / spool_filename(row_message_id(o, second))).read_bytes(),
                                    policy=email.policy.default)
    assert mail["Subject"] == f"请按时报送质量绩效报告（{ref}）"
    assert "请于2028年10月20日前报送第2次《上海市政府质量奖质量绩效报告》" in mail.get_content()
    o.engine.db.dispose()
