"""Delivery owned by one place: clerks never need the SMTP secret, and the outbox says what really happened.

Against real servers on 127.0.0.1: aiosmtpd (with AUTH, and one that answers after the client's
timeout) and a local robot. The CLI is driven in-process as a clerk and as the deliverer would run it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from award.workflow.engine import Engine
from award.workflow.errors import DeliveryError
from award.workflow.notify.deployment import Deployment, NotifierConfig
from award.workflow.notify.outbox import install as install_outbox
from award.workflow.store import OutboxRow
from award.workflow.timing.clock import system_clock
from award.workflow.timing.timers import install as install_timers
from sqlmodel import col, select

from tests.fixtures_robot import robot_fixture  # noqa: F401 - fixture
from tests.fixtures_sha import open_office
from tests.fixtures_smtp import HOST, RecordingHandler, free_port, smtp_server_fixture  # noqa: F401 - fixture

# aiosmtpd 1.4 warns about its own Session.login_data inside its server thread on every AUTH
pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

PASSED = "2026-09-30 09:00"
PASSWORD = "s3cret-not-shared"


class _Auth:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


class _SlowHandler(RecordingHandler):
    """Takes the whole message, then answers after the client has given up waiting."""

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(3)
        return reply


def _server(handler, **kw) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **kw)
    controller.start()
    return controller, port


@pytest.fixture
def auth_smtp():
    handler = RecordingHandler()
    # AUTH offered without TLS on loopback (not "required": aiosmtpd warns on each connection then)
    controller, port = _server(handler, authenticator=_Auth(), auth_require_tls=False)
    yield handler, port
    controller.stop()


def deployment(path: Path, port: int, *, inline: bool = False, timeout: int = 5, extra: str = "") -> Path:
    path.write_text(
        "office:\n  name: 上海市政府质量奖审定委员会办公室\n  email: [office@example.gov.cn]\n"
        "districts:\n  浦东新区: {email: [pudong@example.gov.cn]}\n"
        f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {port}, security: none, username: award,\n"
        f"          password_env: AWARD_TEST_SMTP_PASSWORD, sender: award-office@example.gov.cn, timeout: {timeout},\n"
        "          reply_to: office@example.gov.cn}\n" + extra +
        f"delivery: {{max_attempts: 3, backoff_seconds: 60, inline: {'true' if inline else 'false'}}}\n",
        encoding="utf-8")
    return path


def from_header(raw: bytes) -> str:
    from email import message_from_bytes
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message_from_bytes(raw)["From"])))


def rows(o) -> list[OutboxRow]:
    with o.engine.db.session() as s:
        return list(s.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())


def test_a_clerk_without_the_smtp_password_advances_and_the_deliverer_sends(db_url, tmp_path, auth_smtp, monkeypatch):
    handler, port = auth_smtp
    monkeypatch.delenv("AWARD_TEST_SMTP_PASSWORD", raising=False)
    o = open_office(db_url, tmp_path, deployment(tmp_path / "deployment.yaml", port),
                    deliver=True)
    ref = o.in_review(PASSED)
    passed = o.run("advance", ref, "pass_qualification", now=PASSED, who="li")
    assert passed.code == 0 and "Traceback" not in passed.err + passed.out, passed
    waiting = [r for r in rows(o) if r.status == "pending"]
    assert waiting and all(r.attempts == 0 for r in waiting)  # written, not touched: delivery is not the clerk's

    # the cron deliverer started without the secret: recorded on every row, no traceback
    run = o.run("outbox", "deliver")
    assert run.code == 0 and "Traceback" not in run.err, run
    assert run.out.startswith(f"发出 0 条，稍后重试 {len(waiting)} 条，失败 0 条"), run
    assert "环境变量 AWARD_TEST_SMTP_PASSWORD 未设置" in run.err and "再试" in run.err
    listed = {r["id"]: r for r in o.run("outbox", "list", "--json").json}
    for r in waiting:
        shown = listed[r.id]
        assert (shown["status"], shown["attempts"]) == ("pending", 1)
        assert "AWARD_TEST_SMTP_PASSWORD" in shown["last_error"] and shown["next_attempt_at"]
    table = o.run("outbox", "list").out
    assert "待发送" in table and "下次尝试" in table

    # nothing is due now: the run says why instead of "发出 0 条，失败 0 条"
    idle = o.run("outbox", "deliver")
    assert "没有到期待发的通知" in idle.err and f"{len(waiting)} 条在等待重试" in idle.err, idle

    # `retry` reports what really happened to the row
    still = o.run("outbox", "retry", str(waiting[0].id))
    assert still.code == 0 and "这次仍未发出" in still.out and "AWARD_TEST_SMTP_PASSWORD" in still.out, still

    monkeypatch.setenv("AWARD_TEST_SMTP_PASSWORD", PASSWORD)
    fixed = o.run("outbox", "retry", str(waiting[0].id))
    assert fixed.out.startswith(f"通知 #{waiting[0].id} 已发出"), fixed
    [mail] = [m.message for m in handler.received]
    # decoded as RFC 2047 says (the stdlib's structured parser puts a space between two encoded words)
    assert from_header(handler.received[0].content) == "上海市政府质量奖审定委员会办公室 <award-office@example.gov.cn>"
    assert mail["Reply-To"] == "office@example.gov.cn"
    assert mail["Message-ID"].startswith(f"<outbox-{waiting[0].id}.")
    o.engine.db.dispose()


def test_inline_delivery_without_the_secret_records_the_error_on_the_row(db_url, tmp_path, auth_smtp, monkeypatch):
    _, port = auth_smtp
    monkeypatch.delenv("AWARD_TEST_SMTP_PASSWORD", raising=False)
    o = open_office(db_url, tmp_path,
                    deployment(tmp_path / "deployment.yaml", port, inline=True), deliver=True)
    ref = o.in_review(PASSED)
    passed = o.run("advance", ref, "pass_qualification", now=PASSED, who="li")
    assert passed.code == 0 and "Traceback" not in passed.err, passed
    [row] = [r for r in rows(o) if r.template == "qualification_passed"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "AWARD_TEST_SMTP_PASSWORD" in (row.last_error or "")
    o.engine.db.dispose()


def test_a_server_answering_after_the_timeout_gets_one_copy_and_the_row_says_possibly_sent(db_url, tmp_path, monkeypatch):
    handler = _SlowHandler()
    controller, port = _server(handler)
    try:
        path = tmp_path / "deployment.yaml"
        path.write_text(
            "office:\n  email: [office@example.gov.cn]\n"
            f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {port}, security: none, "
            "sender: award-office@example.gov.cn, timeout: 1}\n"
            "delivery: {max_attempts: 5, backoff_seconds: 1}\n", encoding="utf-8")
        o = open_office(db_url, tmp_path, path, deliver=True)
        ref = o.in_review(PASSED)
        assert o.run("advance", ref, "pass_qualification", now=PASSED, who="li").code == 0
        first = o.run("outbox", "deliver", "--limit", "1")
        assert "可能已发出 1 条" in first.out and "为免重复不再自动重发" in first.err, first
        [row] = [r for r in rows(o) if r.status == "uncertain"]
        time.sleep(1.2)  # past any backoff: an ordinary failure would be due again now
        again = o.run("outbox", "deliver")
        assert f"#{row.id}" not in again.out + again.err, again
        copies = [r for r in handler.received if r.message["Message-ID"].startswith(f"<outbox-{row.id}.")]
        assert len(copies) == 1  # not one copy per attempt
        listed = [r for r in o.run("outbox", "list", "--failed", "--json").json if r["id"] == row.id]
        assert listed[0]["status_label"] == "可能已发出（服务器未答复）"
        o.engine.db.dispose()
    finally:
        controller.stop()


class _AlwaysBusy:
    """A notifier that always fails temporarily, counting its calls (what a run does with a failing row)."""

    channel = "email"
    outcome = "sent"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def send(self, message) -> None:
        self.calls.append(message.message_id)
        raise DeliveryError("451 稍后再试")


def test_one_run_never_tries_the_same_row_twice(db_url, tmp_path):
    o = open_office(db_url, tmp_path)
    o.in_review(PASSED)
    ticks = iter(range(10_000))
    base = system_clock()

    def jumping():  # the wall clock leaps an hour per reading: every backoff has passed at once
        return base + timedelta(hours=next(ticks))

    engine = Engine(db=o.engine.db, catalog=o.engine.catalog, clock=o.engine.clock, wall_clock=jumping,
                    calendar=o.engine.calendar)
    install_timers(engine)
    busy = _AlwaysBusy()
    outbox = install_outbox(engine, deliver=False, notifiers={"email": busy},  # type: ignore[dict-item]
                            deployment=Deployment(notifiers={"email": NotifierConfig(kind="console")}))
    due = [r for r in rows(o) if r.status == "pending"]
    report = outbox.deliver(limit=50)
    assert len(busy.calls) == len(due) == len(set(busy.calls))  # each row once, though due again at once
    assert sorted(rid for rid, _, _ in report.retrying) == sorted(r.id for r in due)
    assert {r.attempts for r in rows(o) if r.id in {d.id for d in due}} == {1}


def test_a_delivery_that_finally_fails_is_told_to_the_office_chat_and_kept_in_the_history(db_url, tmp_path, smtp_server,
                                                                                        robot):
    path = tmp_path / "deployment.yaml"
    path.write_text(
        "office:\n  email: [nobody@example.gov.cn]\n"  # the server refuses this mailbox: 550, permanent
        f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {smtp_server.port}, security: none, "
        "sender: award-office@example.gov.cn, timeout: 5}\n"
        f"  chat: {{kind: wecom, url: '{robot.url('/cgi-bin/webhook/send?key=K')}'}}\n", encoding="utf-8")
    o = open_office(db_url, tmp_path, path, deliver=True)
    ref = o.in_review(PASSED)
    run = o.run("outbox", "deliver")
    assert run.code == 0, run
    [failed] = [r for r in rows(o) if r.status == "failed" and r.template == "work_application_received"]
    assert "拒绝收件人" in (failed.last_error or "")
    told = [p.body["text"]["content"] for p in robot.posts if "通知未能送达" in p.body["text"]["content"]]
    assert len(told) == 1 and f"通知 #{failed.id}" in told[0] and "nobody@example.gov.cn" in told[0], told
    assert "award outbox retry" in told[0]
    history = o.run("history", ref).out
    assert "通知最终未能送达" in history and "delivery_failed" not in history
    assert o.run("outbox", "deliver").code == 0
    assert len([p for p in robot.posts if "通知未能送达" in p.body["text"]["content"]]) == 1  # told once
    o.engine.db.dispose()


class _Recording:
    channel = "email"
    outcome = "sent"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message) -> None:
        self.sent.append(message.message_id)


@pytest.mark.sqlite_only("the race it stages (another claim between one row's SELECT and its UPDATE) is the "
                        "one-row claim's; PostgreSQL's batch claim locks its rows first (FOR UPDATE SKIP LOCKED), "
                        "and tests/workflow/test_outbox_batches.py runs two real deliverers there")
def test_rows_lost_to_a_concurrent_claimer_do_not_count_against_the_limit(db_url, tmp_path):
    from sqlalchemy import event

    o = open_office(db_url, tmp_path)
    o.in_review(PASSED)
    engine = Engine(db=o.engine.db, catalog=o.engine.catalog, clock=o.engine.clock, wall_clock=system_clock,
                    calendar=o.engine.calendar)
    install_timers(engine)
    recording = _Recording()
    outbox = install_outbox(engine, deliver=False, notifiers={"email": recording},  # type: ignore[dict-item]
                            deployment=Deployment(notifiers={"email": NotifierConfig(kind="console")}))
    due = [r.id for r in rows(o) if r.status == "pending"]
    assert len(due) >= 3
    stolen: list[int] = []

    def another_deliverer_first(conn, cursor, statement, parameters, context, executemany):
        # Between our SELECT and our claiming UPDATE of the first row, another deliverer claims it.
        if not stolen and statement.lstrip().upper().startswith("UPDATE OUTBOX SET STATUS"):
            stolen.append(due[0])
            mark = "?" if engine.db.is_sqlite else "%s"  # the driver's own placeholder (sqlite3, psycopg)
            cursor.execute(f"UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = {mark}", (due[0],))

    event.listen(engine.db.engine, "before_cursor_execute", another_deliverer_first)
    try:
        report = outbox.deliver(limit=2)
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", another_deliverer_first)
    assert stolen == [due[0]] and report.lost == 1
    assert report.sent == due[1:3]  # the limit counts rows this run delivered, not the one it lost
    assert len(recording.sent) == 2
