"""One SHA case from recommendation to award: every recipient gets its own letter, the office's chat its notices.

Driven through the CLI as an office would: clerks' commands only write the outbox; one
`award outbox deliver` (the cron deliverer, with the secrets in its environment) sends to a real
SMTP server (aiosmtpd) and a DingTalk robot stand-in (signed). Then every message is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from email import message_from_bytes
from email.header import decode_header, make_header

from tests.conftest import make_runner
from tests.fixtures_robot import robot_fixture  # noqa: F401 - fixture
from tests.fixtures_smtp import HOST, smtp_server_fixture  # noqa: F401 - fixture
from tests.helpers import ORG_DECLARATIONS, sets, uscc

ORG = uscc("91310000MA1FL7GF9")
PARTY = "上海乙质量科技有限公司"
SECRET = "SECdingtalk-test-secret"
APPLICANT, PARTY_MAIL, RECOMMENDER = "applicant@example.com", "org@example.com", "rec@pudong.example.gov.cn"
OFFICE, DISTRICT, REVIEWER, COMMITTEE = ("office@example.gov.cn", "pudong@example.gov.cn", "li@example.gov.cn",
                                         "zhao@example.gov.cn")


def test_each_recipient_gets_its_own_letter_from_recommendation_to_award(db_url, tmp_path, smtp_server, robot, monkeypatch):
    deployment = tmp_path / "deployment.yaml"
    deployment.write_text(
        f"office: {{name: 上海市政府质量奖审定委员会办公室, email: [{OFFICE}]}}\n"
        f"districts: {{浦东新区: {{email: [{DISTRICT}]}}}}\n"
        "notifiers:\n"
        f"  email: {{kind: smtp, host: {HOST}, port: {smtp_server.port}, security: none,"
        " sender: award-office@example.gov.cn, reply_to: office@example.gov.cn, timeout: 5}\n"
        f"  chat: {{kind: dingtalk, url: '{robot.url()}', secret_env: AWARD_TEST_DINGTALK_SECRET, format: markdown}}\n",
        encoding="utf-8")
    award = make_runner(db_url, tmp_path, deployment)
    monkeypatch.delenv("AWARD_TEST_DINGTALK_SECRET", raising=False)  # the clerks' shells have no secret

    def ok(*args, now=None, who="wang"):
        r = award(*args, now=now, who=who)
        assert r.code == 0 and "Traceback" not in r.err, r
        return r

    ok("init", "--admin", "admin", "--login", "admin", who=None)
    for name, role, mail in (("wang", "office", None), ("li", "reviewer", REVIEWER), ("zhao", "committee", COMMITTEE)):
        ok("staff", "add", name, "--login", name, "--role", f"{role}@shanghai", *(["--email", mail] if mail else []),
           who="admin")
    ok("round", "open", "sha", "2026", now="2026-03-02 09:00")
    ok("party", "add", "--kind", "organization", "--name", PARTY, "--code", ORG, "--registered-on", "2015-06-01",
       "--district", "浦东新区", "--email", PARTY_MAIL)
    ref = ok("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model", "--start", "recommend",
             "--set", "recommender=浦东新区市场监督管理局", "--set", f"recommender_email={RECOMMENDER}", "--json",
             now="2026-03-02 09:00").json["ref"]

    def step(trigger, now, *fill, who="wang"):
        ok("advance", ref, trigger, *sets(list(fill)), now=now, who=who)

    step("confirm_willingness", "2026-03-02 10:00")
    step("start_internal_notice", "2026-03-02 11:00")
    ok("tick", now="2026-03-10 00:05", who=None)
    step("submit", "2026-03-10 09:30", *ORG_DECLARATIONS)
    ok("checklist", "record", ref, "--all", "--finding", "符合", now="2026-03-19 10:00", who="li")
    step("pass_qualification", "2026-03-20 10:00", "qualification_opinion=符合申报条件", who="li")
    ok("tick", now="2026-04-01 00:05", who=None)
    step("select_for_site_review", "2026-04-02 10:00", "material_review_report=资料评审报告：建议加强数字化质量管理。")
    step("complete_site_review", "2026-04-10 10:00", "site_review_report=现场评审报告：领导作用突出。", who="li")
    step("complete_evaluation", "2026-04-20 10:00", "evaluation_report=综合评价报告：建议授奖。", who="li")
    step("propose", "2026-04-21 10:00")
    step("committee_approve", "2026-04-22 10:00", who="zhao")
    step("approve", "2026-04-23 10:00", "approval_document=沪审定委〔2026〕5号")
    ok("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "申报材料数据存疑",
       now="2026-04-24 10:00")
    held = ok("tick", "--json", now="2026-05-10 00:05", who=None).json
    assert [h[1] for h in held["held"]] == [ref], held
    ok("objection", "resolve", "1", "--dismiss", "--reason", "经核查，数据属实", now="2026-05-11 09:00")
    ok("tick", now="2026-05-11 09:05", who=None)
    step("commend", "2026-05-11 10:00", "award_document=沪府〔2026〕88号")

    # Nothing reached anyone yet: delivery belongs to the deliverer, which has the secret.
    assert {r["status"] for r in ok("outbox", "list", "--json").json} == {"pending"}
    monkeypatch.setenv("AWARD_TEST_DINGTALK_SECRET", SECRET)
    before = len(smtp_server.handler.received)
    sent = ok("outbox", "deliver")
    assert ", 失败 0 条" not in sent.out and "失败 0 条" in sent.out and "稍后重试 0 条" in sent.out, sent
    assert {r["status"] for r in ok("outbox", "list", "--json").json} == {"sent"}

    letters: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for received in smtp_server.handler.received[before:]:
        mail = received.message
        if mail["X-Award-Case"] != ref:
            continue
        raw_from = message_from_bytes(received.content)["From"]  # decoded as RFC 2047 says
        assert str(make_header(decode_header(raw_from))) == "上海市政府质量奖审定委员会办公室 <award-office@example.gov.cn>"
        body = (mail.get_body(("plain",)) or mail).get_content()
        for to in received.rcpt_tos:
            letters[to].append((str(mail["Subject"]), body))

    applicant = letters[PARTY_MAIL] + letters[APPLICANT]
    assert len(applicant) >= 8
    for subject, body in applicant:  # addressed to the applicant, never a work notice
        assert body.startswith(f"{PARTY}："), (subject, body)
        assert "【" not in subject and "award advance" not in body
    assert any("请确认是否申报" in s for s, _ in letters[PARTY_MAIL])
    assert [s for s, _ in letters[APPLICANT]][-1] == f"祝贺获得上海市质量金奖·先进质量管理模式（{ref}）"
    [awarded] = [r.message for r in smtp_server.handler.received[before:]
                 if APPLICANT in r.rcpt_tos and str(r.message["Subject"]).startswith("祝贺获得")]
    html = awarded.get_body(("html",))
    assert html is not None and "<strong>上海市质量金奖·先进质量管理模式</strong>" in html.get_content()
    assert any(s.startswith("关于公示期间异议的处理结果") and "经核查，数据属实" in b for s, b in letters[APPLICANT])

    [(subject, body)] = letters[RECOMMENDER]
    assert subject == f"已收到贵单位对{PARTY}的推荐（{ref}）" and body.startswith("浦东新区市场监督管理局：")

    office = letters[OFFICE]
    assert office and all(s.startswith("【工作通知】") for s, _ in office), office
    assert not any("收到您的" in b or "您申报" in b for _, b in office)  # not the applicant's letter
    new_application = next(b for s, b in office if s.startswith("【工作通知】新申报待资格审查"))
    assert f"award advance {ref} pass_qualification" in new_application  # what to do next
    assert any(s.startswith("【工作通知】收到异议") and "award objection resolve" in b for s, b in office)
    assert any(s.startswith("【工作通知】异议已处理") for s, _ in office)

    [(subject, body)] = letters[DISTRICT]
    assert subject == f"贵区{PARTY}获得上海市质量金奖·先进质量管理模式（抄送，{ref}）"
    assert body.startswith("浦东新区市场监督管理局：") and "第三十八条" in body and "第1次：2027年5月11日前" in body

    [(subject, body)] = letters[REVIEWER]
    assert subject.startswith("【评审任务】") and "第二十九条" in body
    [(subject, body)] = letters[COMMITTEE]
    assert subject.startswith("【审议事项】") and "综合评价报告：建议授奖。" in body

    # The office's group chat: notices with their end date, the objection, the held timer, signed.
    titles = [p.body["markdown"]["title"] for p in robot.posts]
    assert titles == [f"资格审查结果公示中：{PARTY}（{ref}）", f"拟获奖名单公示中：{PARTY}（{ref}）",
                      f"收到异议：{PARTY}（{ref}）", f"期满暂缓：{PARTY}（{ref}）"], titles
    assert "公示期至2026年3月27日止" in robot.posts[0].body["markdown"]["text"]
    assert "异议" in robot.posts[3].body["markdown"]["text"]
    for post in robot.posts:
        stamp = post.query["timestamp"][0]
        digest = hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
        assert post.query["sign"] == [base64.b64encode(digest).decode()]


def test_material_review_feedback_carries_the_report_as_an_attachment(db_url, tmp_path, smtp_server):
    from tests.fixtures_sha import open_office

    deployment = tmp_path / "deployment.yaml"
    deployment.write_text(
        f"office: {{email: [{OFFICE}]}}\n"
        f"notifiers:\n  email: {{kind: smtp, host: {HOST}, port: {smtp_server.port}, security: none,"
        " sender: award-office@example.gov.cn, timeout: 5}\n", encoding="utf-8")
    o = open_office(db_url, tmp_path, deployment)
    ref = o.in_notice("2026-09-30 09:00")
    o.tick("2026-10-20 09:00")
    report = "资料评审报告：结果指标不足，建议完善测量体系。"
    r = o.run("advance", ref, "not_selected", "--yes", "--set", f"material_review_report={report}", now="2026-10-21 10:00")
    assert r.code == 0, r
    before = len(smtp_server.handler.received)
    assert o.run("outbox", "deliver").code == 0
    [mail] = [m.message for m in smtp_server.handler.received[before:]
              if str(m.message["Subject"]).startswith("资料评审报告反馈")]
    [part] = list(mail.iter_attachments())
    assert part.get_filename() == f"资料评审报告（{ref}）.txt"
    text = part.get_content()
    assert report in text and "申报方：上海第1质量科技有限公司" in text
    assert "全文另见附件" in mail.get_body(("plain",)).get_content()
    o.engine.db.dispose()
