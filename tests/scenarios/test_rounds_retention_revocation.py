"""Issue 14, points 19, 22 and 24, through the CLI: the rhythm and validity of rounds (SHA-3, SHA-41, SQA-1,
SQI-2), what a revocation sets going (SHA-35, SHA-36) and the 10-year retention of every case (SHA-39).

Each test failed before its change: it asserts the refusal (exit 3, the rule cited, nothing changed) or
what the seed requires to be recorded and shown.
"""

from __future__ import annotations

from tests.conftest import AwardRunner
from tests.scenarios.test_sha_refusals import (
    OPENED,
    PERSON,
    add_person,
    person_fill,
    ready,
    refused,
    submit,
    walk,
)


def ok(r):  # type: ignore[no-untyped-def]
    assert r.code == 0, r
    return r


def rounds(award: AwardRunner) -> list[str]:
    return [r["id"] for r in ok(award("round", "list", "--json")).json]


# ------------------------------------------------------------ point 19: SHA-3, SHA-41


def test_sha_round_off_the_two_year_rhythm_needs_a_recorded_decision(award: AwardRunner) -> None:
    ok(award("round", "open", "sha", "2026", now=OPENED))  # the first round is free
    r = award("round", "open", "sha", "2027", now="2027-03-01 09:00")
    refused(r, 3, "SHA-3", "上海市政府质量奖每2年评选一次，2027年离最近的 2026 年轮次相隔1年",
            '请加 --decision "文号或理由"')
    r = award("round", "open", "sha", "2026", "--id", "sha-2026b", now=OPENED)
    refused(r, 3, "SHA-3", "同一年已开启过轮次")
    assert rounds(award) == ["sha-2026"]
    # a round before the first is measured from the one after it; on the rhythm it needs nothing
    ok(award("round", "open", "sha", "2024", now="2024-03-01 09:00"))
    # the office decides: the decision, who took it and what it overrides stay with the round
    r = ok(award("round", "open", "sha", "2027", "--decision", "沪质奖审办〔2027〕1号：因故加办一届",
                 now="2027-03-01 09:00"))
    assert "开启决定：沪质奖审办〔2027〕1号：因故加办一届（wang 决定，已记入轮次记录）" in r.out
    shown = ok(award("round", "show", "sha-2027", "--json")).json
    assert shown["decision"]["decision"] == "沪质奖审办〔2027〕1号：因故加办一届"
    assert shown["decision"]["by"] == "wang" and shown["decision"]["at"] == "2027-03-01T09:00:00+08:00"
    assert [o["rule"] for o in shown["decision"]["overrides"]] == ["SHA-3"]
    text = ok(award("round", "show", "sha-2027")).out
    assert "开启决定：沪质奖审办〔2027〕1号：因故加办一届（wang 于 2027-03-01 09:00 决定）" in text
    assert "越过 [SHA-3]" in text


def test_sha_round_outside_the_measures_validity_needs_a_recorded_decision(award: AwardRunner) -> None:
    ok(award("round", "open", "sha", "2026", now=OPENED))
    r = award("round", "open", "sha", "2028", now="2028-03-01 09:00")
    refused(r, 3, "SHA-41", "有效期为2022年9月1日至2027年8月31日，2028年不在有效期内",
            "开启日期2028年3月1日不在办法有效期（2022年9月1日至2027年8月31日）内")
    assert "SHA-3" not in r.err  # 2028 keeps the two-year rhythm
    r = award("round", "open", "sha", "2020", now="2020-03-01 09:00")
    refused(r, 3, "SHA-41", "2020年不在有效期内")
    # an announcement dated after the measures expire is outside them too
    r = award("round", "open", "sha", "2024", "--date", "announced=2027-09-01", now="2024-01-02 09:00")
    refused(r, 3, "SHA-41", "申报通知发布日期2027年9月1日不在办法有效期")
    assert rounds(award) == ["sha-2026"]
    # only the office decides, and a decision nothing needs is a usage error
    r = award("round", "open", "sha", "2028", "--decision", "新办法", now="2028-03-01 09:00", who="li")
    refused(r, 3, "SHA-19", "只能由上海市政府质量奖的 市审定办 办理")
    r = award("round", "open", "sha", "2024", "--decision", "无需", now="2024-01-02 09:00")
    refused(r, 2, None, "符合上海市政府质量奖的评选周期和有效期，无需 --decision")
    assert rounds(award) == ["sha-2026"]
    ok(award("round", "open", "sha", "2028", "--decision", "沪府办规〔2027〕X号", now="2028-03-01 09:00"))
    rules = [o["rule"] for o in ok(award("round", "show", "sha-2028", "--json")).json["decision"]["overrides"]]
    assert rules == ["SHA-41", "SHA-41"]


def test_sqa_every_two_years_and_sqi_once_a_year(award: AwardRunner) -> None:
    """SQA-1 (每2年组织一次) and SQI-2 (每年开展): the seeds give a rhythm and no validity."""
    sqa = ["--date", "registration_deadline=2021-06-30", "--date", "submission_deadline=2021-08-15"]
    ok(award("round", "open", "sqa", "2021", *sqa, now="2021-05-06 09:00"))
    r = award("round", "open", "sqa", "2022", *sqa, now="2022-05-06 09:00")
    refused(r, 3, "SQA-1", "上海市质量管理奖每2年评选一次")
    ok(award("round", "open", "sqa", "2031", *sqa, now="2031-05-06 09:00"))  # no validity: any later year
    sqi = ["--date", "submission_deadline=2024-08-23 15:00"]
    ok(award("round", "open", "sqi", "2024", *sqi, now="2024-06-27 09:00"))
    ok(award("round", "open", "sqi", "2025", *sqi, now="2025-06-27 09:00"))
    r = award("round", "open", "sqi", "2025", "--id", "sqi-2025b", *sqi, now="2025-06-27 09:00")
    refused(r, 3, "SQI-2", "同一年已开启过轮次")


# ------------------------------------------------------------ point 24: SHA-39


def awarded_person(award: AwardRunner) -> str:
    """A gold achievement case walked to `awarded` (commended 2026-10-20)."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_person(award)
    ref = ready(award, PERSON, "gold_achievement")
    ok(submit(award, ref, person_fill("2015-03-01")))
    walk(award, ref, "commend")
    return ref


def test_every_outcome_is_kept_ten_years_and_shown(award: AwardRunner) -> None:
    """A case rejected at qualification review is kept 10 years too (before: only awarded cases had a mark)."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_person(award)
    ref = ready(award, PERSON, "gold_achievement")
    before = ok(award("show", ref, "--json")).json["retention"]
    assert (before["until"], before["marks"], before["rule"]) == (None, [], "SHA-39")
    assert "申报评审材料：办结后保存10年（SHA-39）" in ok(award("show", ref)).out
    ok(submit(award, ref, person_fill("2015-03-01")))
    ok(award("advance", ref, "reject_qualification", "--yes", "--comment", "材料不完整",
             "--set", "qualification_opinion=不符合条件", now="2026-03-20 10:00", who="li"))
    case = ok(award("show", ref, "--json")).json
    assert case["closed"] is True and case["timers"] == []  # the state's timers; the retention is the case's
    assert case["retention"]["until"] == "2036-03-20"
    assert [(m["state"], m["until"], m["status"]) for m in case["retention"]["marks"]] == [
        ("rejected", "2036-03-20", "pending")]
    assert "申报评审材料保存至 2036年3月20日（SHA-39；“资格审查未通过”起至2036年3月20日）" in ok(award("show", ref)).out
    # nothing happens before the period has run; then the mark is set, and the history stays whole
    fired = ok(award("tick", "--json", now="2036-03-20 23:00", who=None)).json["fired"]
    assert fired == []
    fired = ok(award("tick", "--json", now="2036-03-21 00:05", who=None)).json["fired"]
    assert [(f[1], f[2], f[3]) for f in fired] == [(ref, "申报评审材料保存期满", "SHA-39")]
    events = ok(award("history", ref, "--json")).json["events"]
    assert events[0]["kind"] == "created" and events[-1]["kind"] == "marked"
    assert ok(award("verify", who=None)).out


def test_a_revocation_keeps_the_awards_retention_and_adds_its_own(award: AwardRunner) -> None:
    """SHA-39: a revocation does not cancel the award's mark (before: leaving `awarded` cancelled it)."""
    ref = awarded_person(award)
    assert ok(award("show", ref, "--json")).json["retention"]["until"] == "2036-10-20"
    ok(award("advance", ref, "revoke_accident", "--yes", "--comment", "获奖后发生重大质量事故",
             now="2027-05-10 09:00"))
    keep = ok(award("show", ref, "--json")).json["retention"]
    assert [(m["state"], m["until"], m["status"]) for m in keep["marks"]] == [
        ("awarded", "2036-10-20", "pending"), ("revoked", "2037-05-10", "pending")]
    assert keep["until"] == "2037-05-10"
    timers = ok(award("timers", "list", "--case", ref, "--json")).json
    assert sorted(t["status"] for t in timers if t["kind"] == "retention") == ["pending", "pending"]


def test_no_code_deletes_case_history_or_files() -> None:
    """SHA-39: nothing in the engine or the commands deletes a case, its history, its timers or its files;
    the one delete is an imported award record entered by mistake, kept in the party's history."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = {str(p.relative_to(root)) for folder in ("workflow", "commands") for p in (root / folder).rglob("*.py")
             if "migrations" not in p.parts and re.search(r"\.delete\(|\bdelete\(|DELETE FROM|\.unlink\(",
                                                          p.read_text(encoding="utf-8"))}
    assert found == {"workflow/registers/parties.py", "workflow/attachments.py", "workflow/timing/calendar_years.py"}
    # attachments.py removes only its own temporary file before the rename; calendar_years.py likewise
    for name in ("workflow/attachments.py", "workflow/timing/calendar_years.py"):
        lines = [line for line in (root / name).read_text(encoding="utf-8").splitlines() if "unlink(" in line]
        assert all("tmp" in line or "temporary" in line for line in lines), lines


# ------------------------------------------------------------ point 22: SHA-35, SHA-36


def items(case_or_record: dict) -> dict[str, str]:
    return {i["item"]: i["status"] for i in case_or_record["recovery"]}


def test_revocation_for_false_material_lists_and_records_what_it_sets_going(award: AwardRunner) -> None:
    """SHA-35: plaque, certificate, bonus and the two platforms, each recorded with its date (and reference)."""
    ref = awarded_person(award)
    assert ok(award("show", ref, "--json")).json["recovery"] == []
    r = award("revocation", "record", ref, "plaque", "--status", "done", now="2026-10-25 09:00")
    refused(r, 3, "SHA-35", "奖励尚未撤销")
    ok(award("advance", ref, "revoke_false_material", "--yes", "--comment", "经查实提供虚假材料",
             now="2026-10-21 09:00"))
    case = ok(award("show", ref, "--json")).json
    assert items(case) == {"plaque": "pending", "certificate": "pending", "bonus": "pending",
                           "credit_platform": "pending", "supervision_platform": "pending"}
    assert {i["rule"] for i in case["recovery"]} == {"SHA-35"}
    text = ok(award("show", ref)).out
    assert "撤销后的事项" in text and "纳入本市社会公共信用信息平台" in text and "待办理" in text

    # only the office records them; a platform entry needs its reference; a failure needs its reason
    r = award("revocation", "record", ref, "plaque", "--status", "done", now="2026-10-25 09:00", who="li")
    refused(r, 3, "SHA-35", "只能由上海市政府质量奖的 市审定办 办理")
    r = award("revocation", "record", ref, "plaque", "--status", "done", now="2026-10-25 09:00", who="mallory")
    refused(r, 3, "AWD-1", "系统登录名 mallory 不是在册的工作人员")
    r = award("revocation", "record", ref, "credit_platform", "--status", "done", now="2026-10-25 09:00")
    refused(r, 2, None, "“纳入本市社会公共信用信息平台”须用 --ref 写明纳入平台的编号或文号")
    r = award("revocation", "record", ref, "bonus", "--status", "failed", now="2026-10-25 09:00")
    refused(r, 2, None, "无法完成的，须用 --note 写明原因")
    r = award("revocation", "record", ref, "medal", "--status", "done", now="2026-10-25 09:00")
    refused(r, 2, None, "依据 SHA-35 撤销后没有事项 'medal'；可登记：plaque（收回奖牌）")
    r = award("revocation", "record", ref, "plaque", "--status", "done", "--on", "2026-10-01", now="2026-10-25 09:00")
    refused(r, 2, None, "日期2026年10月1日早于撤销日期2026年10月21日")
    assert set(items(ok(award("show", ref, "--json")).json).values()) == {"pending"}

    r = ok(award("revocation", "record", ref, "plaque", "--status", "done", "--on", "2026-10-28",
                 now="2026-10-28 10:00"))
    assert "SHA-2026-001：已登记“收回奖牌”已完成（2026年10月28日）" in r.out and "尚待办理：收回证书" in r.out
    r = award("revocation", "record", ref, "收回奖牌", "--status", "done", now="2026-10-28 10:00")
    refused(r, 2, None, "“收回奖牌”已于2026年10月28日登记为已完成")
    ok(award("revocation", "record", ref, "收回证书", "--status", "done", now="2026-10-28 10:00"))
    ok(award("revocation", "record", ref, "bonus", "--status", "failed", "--note", "获奖人已出境，奖金暂无法追缴",
             now="2026-11-02 10:00"))
    ok(award("revocation", "record", ref, "credit_platform", "--status", "done", "--ref", "沪信用〔2026〕17号",
             now="2026-11-03 10:00"))
    r = ok(award("revocation", "record", ref, "supervision_platform", "--status", "done", "--ref", "JG-2026-0042",
                 now="2026-11-03 11:00", who="wang"))
    assert "撤销后的事项已全部登记" in r.out
    case = ok(award("show", ref, "--json")).json
    done = {i["item"]: (i["status"], i["on"], i["reference"], i["by"]) for i in case["recovery"]}
    assert done["credit_platform"] == ("done", "2026-11-03", "沪信用〔2026〕17号", "wang")
    assert done["bonus"][0] == "failed"
    events = [e for e in ok(award("history", ref, "--json")).json["events"] if e["kind"] == "recovery_recorded"]
    assert [e["detail"]["item"] for e in events] == ["plaque", "certificate", "bonus", "credit_platform",
                                                    "supervision_platform"]
    assert ok(award("verify", who=None)).code == 0


def test_revocation_after_an_accident_sets_no_platform_entry(award: AwardRunner) -> None:
    """SHA-36 recovers plaque, certificate and bonus; the platforms are SHA-35's alone."""
    ref = awarded_person(award)
    ok(award("advance", ref, "revoke_accident", "--yes", "--comment", "获奖后发生重大事故", now="2027-05-10 09:00"))
    case = ok(award("show", ref, "--json")).json
    assert items(case) == {"plaque": "pending", "certificate": "pending", "bonus": "pending"}
    assert {i["rule"] for i in case["recovery"]} == {"SHA-36"}
    r = award("revocation", "record", ref, "credit_platform", "--status", "done", "--ref", "x", now="2027-05-11 09:00")
    refused(r, 2, None, "依据 SHA-36 撤销后没有事项 'credit_platform'")


def test_an_imported_award_is_revoked_by_command_with_its_bar_and_items(award: AwardRunner, tmp_path) -> None:
    """SHA-35/36 for an award won before the system: revoked by command (role-checked, cited), barred 5 years."""
    from tests.scenarios.test_sha_refusals import ORG, add_org, import_awards

    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_org(award)
    ok(import_awards(award, tmp_path, "code,procedure,award,awarded_on,revoked_on,rule\n"
                     f"{ORG},sha,gold_model,2021-12-20,,\n{ORG},sha,gold_model,2013-12-20,2015-03-01,SHA-35\n"))
    old, rec = ok(award("party", "show", ORG, "--json")).json["records"]
    rid = str(rec["id"])
    # a revocation imported with its record was carried out before the system: nothing to record here
    assert old["revoked_on"] == "2015-03-01" and old["recovery"] == []
    r = award("revocation", "record", ORG, "plaque", "--record", str(old["id"]), "--status", "done",
              now="2026-04-01 09:00")
    refused(r, 2, None, "的撤销是随记录导入的（在系统启用前办理），其收回情况不在本系统登记")
    r = award("revocation", "revoke-record", ORG, rid, "--rule", "SHA-35", "--yes", now="2026-04-01 09:00", who="li")
    refused(r, 3, "SHA-35", "只能由上海市政府质量奖的 市审定办 办理")
    r = award("revocation", "revoke-record", ORG, rid, "--rule", "SHA-35", "--yes", now="2026-04-01 09:00",
              who="mallory")
    refused(r, 3, "AWD-1")
    r = award("revocation", "revoke-record", ORG, rid, "--rule", "SHA-18", "--yes", now="2026-04-01 09:00")
    refused(r, 2, None, "撤销依据须为：SHA-35（提供虚假材料或采取不正当手段骗取奖励）、SHA-36")
    r = award("revocation", "record", ORG, "plaque", "--record", rid, "--status", "done", now="2026-04-01 09:00")
    refused(r, 3, "SHA-35", "奖励尚未撤销")
    assert ok(award("party", "show", ORG, "--json")).json["records"][1]["revoked_on"] is None

    r = ok(award("revocation", "revoke-record", ORG, rid, "--rule", "SHA-35", "--reason", "经查2021年申报材料不实",
                 "--yes", now="2026-04-01 09:00"))
    assert "已撤销 上海甲质量科技有限公司 的“" in r.out and "2031年4月1日前不接受再次申报" in r.out
    assert "尚待办理：收回奖牌（plaque）" in r.out
    rec = ok(award("party", "show", ORG, "--json")).json["records"][1]
    assert (rec["revoked_on"], rec["bar_until"], rec["rule"], rec["reason"]) == (
        "2026-04-01", "2031-04-01", "SHA-35", "经查2021年申报材料不实")
    assert set(items(rec).values()) == {"pending"} and len(rec["recovery"]) == 5
    r = award("revocation", "revoke-record", ORG, rid, "--rule", "SHA-35", "--yes", now="2026-04-02 09:00")
    refused(r, 2, None, "已于2026年4月1日撤销")

    # the five-year bar holds at intake, citing the rule
    r = award("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model", now="2026-04-02 09:00")
    refused(r, 3, "SHA-35", "2031年4月1日前不接受再次申报")

    ok(award("revocation", "record", ORG, "plaque", "--record", rid, "--status", "done", now="2026-04-10 09:00"))
    ok(award("revocation", "record", ORG, "credit_platform", "--record", rid, "--status", "done",
             "--ref", "沪信用〔2026〕3号", now="2026-04-10 09:00"))
    rec = ok(award("party", "show", ORG, "--json")).json["records"][1]
    assert items(rec) == {"plaque": "done", "certificate": "pending", "bonus": "pending",
                          "credit_platform": "done", "supervision_platform": "pending"}
    shown = ok(award("party", "show", ORG)).out
    assert "撤销后的事项：尚待办理 收回证书、追缴奖金等物质奖励、纳入事中事后综合监管平台" in shown
    kinds = [e["kind"] for e in ok(award("party", "history", ORG, "--json")).json["history"]]
    assert kinds[-3:] == ["record_revoked", "recovery_recorded", "recovery_recorded"]
