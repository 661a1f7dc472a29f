"""`award case correct`: a mistaken step is corrected by a new event; history is never edited, verify passes."""

from __future__ import annotations

from tests.fixtures_sha import (
    events,
    office_fixture,  # noqa: F401 - fixtures
)


def _outbox(office, ref):
    result = office.run("outbox", "list", "--case", ref, "--json")
    assert result.code == 0, result
    return result.json


def test_correcting_a_pass_cancels_its_timer_and_withdraws_its_unsent_notice(office):
    ref = office.in_review("2026-05-06 09:00")
    before = office.history(ref)
    office.at("2026-05-06 10:00")
    wrong = office.run("advance", ref, "pass_qualification", now="2026-05-06 10:00", who="li")
    assert wrong.code == 0, wrong
    timer = office.timer(ref, "qualification_notice_elapsed")
    notices = [o for o in _outbox(office, ref) if o["template"] == "qualification_passed"]
    assert notices and all(o["status"] == "pending" for o in notices)

    fixed = office.run("case", "correct", ref, "--to", "资格审查中", "--reason", "误操作：材料尚未核完",
                       now="2026-05-06 11:00")
    assert fixed.code == 0, fixed
    assert "资格审查结果公示中 → 资格审查中" in fixed.out
    assert f"已取消定时 #{timer['id']}：资格审查公示期满" in fixed.out
    assert "已撤回未发出的通知" in fixed.out
    shown = office.show(ref)
    assert shown["state"] == "qualification_review" and shown["timers"] == []
    assert {o["status"] for o in _outbox(office, ref) if o["template"] == "qualification_passed"} == {"cancelled"}
    history = office.history(ref)
    assert history[:len(before) + 1] == [*before, history[len(before)]]  # nothing edited, only appended
    correction = events(history, "correction")[-1]
    assert correction["source"] == "qualification_notice" and correction["dest"] == "qualification_review"
    assert correction["comment"] == "误操作：材料尚未核完" and correction["actor"] == "wang"
    assert office.run("verify").code == 0
    # the right step can now be taken again
    assert office.run("advance", ref, "pass_qualification", now="2026-05-07 09:00", who="li").code == 0


def test_a_notice_already_sent_is_named_since_mail_cannot_be_recalled(office):
    ref = office.in_review("2026-05-06 09:00")
    assert office.run("advance", ref, "pass_qualification", now="2026-05-06 10:00", who="li").code == 0
    assert office.run("outbox", "deliver").code == 0
    sent = [o for o in _outbox(office, ref) if o["template"] == "qualification_passed"]
    assert sent and all(o["status"] in ("sent", "spooled") for o in sent), sent
    fixed = office.run("case", "correct", ref, "--to", "qualification_review", "--reason", "误操作",
                       now="2026-05-06 11:00")
    assert fixed.code == 0, fixed
    assert f"通知 #{sent[0]['id']} 已发给" in fixed.out and "无法撤回" in fixed.out
    assert {o["status"] for o in _outbox(office, ref) if o["template"] == "qualification_passed"} <= {"sent", "spooled"}


def test_restoring_a_timed_state_plans_its_timer_again(office):
    ref = office.in_notice("2026-05-06 10:00")
    first_due = office.timer(ref, "qualification_notice_elapsed")["due_at"]
    office.tick("2026-05-20 09:00")
    assert office.show(ref)["state"] == "material_review"
    # from when the notice was first published: the period has run, the next tick moves it on again
    kept = office.run("case", "correct", ref, "--to", "qualification_notice", "--reason", "公示期内漏收一份异议",
                      now="2026-05-20 10:00")
    assert kept.code == 0, kept
    assert office.timer(ref, "qualification_notice_elapsed")["due_at"] == first_due
    # or counted again from now
    office.tick("2026-05-20 11:00")
    again = office.run("case", "correct", ref, "--to", "qualification_notice", "--reason", "重新公示",
                       "--restart", now="2026-05-20 12:00")
    assert again.code == 0, again
    assert "自现在重新起算" in again.out
    assert office.timer(ref, "qualification_notice_elapsed")["due_at"] > first_due
    assert office.run("verify").code == 0


def test_a_wrongly_rejected_case_is_reopened(office):
    ref = office.in_review("2026-05-06 09:00")
    office.advance(ref, "reject_qualification", at="2026-05-06 10:00", who="li", comment="误判")
    assert office.show(ref)["closed"] is True
    reopened = office.run("case", "correct", ref, "--to", "qualification_review", "--reason", "驳回有误",
                          now="2026-05-07 09:00")
    assert reopened.code == 0, reopened
    shown = office.show(ref)
    assert shown["state"] == "qualification_review" and shown["closed"] is False
    assert office.run("verify").code == 0


def test_a_correction_needs_the_office_a_reason_and_a_state_the_case_was_in(office):
    ref = office.in_review("2026-05-06 09:00")
    assert office.run("advance", ref, "pass_qualification", now="2026-05-06 10:00", who="li").code == 0
    by_reviewer = office.run("case", "correct", ref, "--to", "qualification_review", "--reason", "x", who="li",
                             now="2026-05-06 11:00")
    assert by_reviewer.code == 3 and "更正案件只能由 市审定办 执行" in by_reviewer.err
    no_reason = office.run("case", "correct", ref, "--to", "qualification_review", now="2026-05-06 11:00")
    assert no_reason.code == 2 and "--reason" in no_reason.err
    never = office.run("case", "correct", ref, "--to", "site_review", "--reason", "x", now="2026-05-06 11:00")
    assert never.code == 3 and "本案此前未处于该状态" in never.err and "资格审查中（qualification_review）" in never.err
    typo = office.run("case", "correct", ref, "--to", "qualification_reveiw", "--reason", "x",
                      now="2026-05-06 11:00")
    assert typo.code == 4 and "您是否要找：资格审查中（qualification_review）" in typo.err
    assert office.show(ref)["state"] == "qualification_notice"


def test_the_withdrawn_award_record_follows_a_corrected_commendation(office):
    ref = office.in_commendation("2026-05-06 10:00")
    office.advance(ref, "commend", at="2026-07-20 10:00", sets=["award_document=沪府〔2026〕1号"])
    party = office.show(ref)["party"]["code"]
    fixed = office.run("case", "correct", ref, "--to", "commendation", "--reason", "表彰文号有误，待重新发文",
                       now="2026-07-21 10:00")
    assert fixed.code == 0, fixed
    assert "授奖记录已标为撤回" in fixed.out
    records = office.run("party", "show", party, "--json").json["records"]
    assert records and all(r["revoked_on"] for r in records), records
