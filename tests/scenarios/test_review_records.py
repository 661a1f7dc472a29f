"""The qualification review's own records (issue 14, points 21, 25 and 10), driven through the CLI.

SHA-22: written consultation of other departments, per case (who was asked, when, the answer), and no
qualification decision while an answer is still awaited. SHA-16/17, SQI-5/6: the conditions that need
the reviewer's judgement are checklist items, each with its finding; the decision is guarded. SQI-9:
the supplement's time limit is set per request, and condition review re-checks SQI-5/6/8 after it.
Every test here fails without the change.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AwardRunner
from tests.helpers import ORG_DECLARATIONS, PERSON_DECLARATIONS, sets
from tests.scenarios import test_sqi as sqi_steps
from tests.scenarios.test_sha_refusals import OPENED, ORG, PERSON, add_org, add_person, ok, ready, refused
from tests.scenarios.test_sqi import sqi  # noqa: F401 - fixture

SUBMIT = "2026-03-10 09:30"
REVIEW = "2026-03-16 10:00"


def show(award: AwardRunner, ref: str) -> dict:
    r = award("show", ref, "--json")
    ok(r)
    return r.json


def in_review(award: AwardRunner, party: str = ORG, track: str = "gold_model") -> str:
    ok(award("round", "open", "sha", "2026", now=OPENED))
    if track.endswith("model"):
        add_org(award, party)
        fill = ORG_DECLARATIONS
    else:
        add_person(award, party)
        fill = [*PERSON_DECLARATIONS, "quality_work_since=2015-03-01"]
    ref = ready(award, party, track)
    ok(award("advance", ref, "submit", *sets(fill), now=SUBMIT))
    return ref


# ------------------------------------------------------------------- SHA-22 written consultation


def test_sha22_a_written_consultation_is_recorded_and_holds_the_decision_until_answered(
        award: AwardRunner, tmp_path: Path) -> None:
    ref = in_review(award)
    ok(award("checklist", "record", ref, "--all", "--finding", "符合", now=REVIEW, who="li"))
    letter = tmp_path / "征求意见函.pdf"
    letter.write_bytes(b"%PDF-1.4 letter")
    reply = tmp_path / "复函.pdf"
    reply.write_bytes(b"%PDF-1.4 reply")

    # A consultation is an entry of sha.yaml: only the office sends letters, only during the review,
    # addressed to a department, dated no later than today.
    ask = ["entry", "add", ref, "consultation"]
    refused(award(*ask, "--to", "市生态环境局", "--on", "2026-03-12", now=REVIEW, who="li"),
            3, "SHA-22", "只能由 市审定办 执行")
    refused(award(*ask, "--on", "2026-03-12", now=REVIEW), 2, None, "--to", "征求意见部门")
    refused(award(*ask, "--to", "市生态环境局", "--on", "2026-03-17", now=REVIEW), 2, None, "晚于今天")
    r = award(*ask, "--to", "市生态环境局", "--on", "2026-03-12", "--file", str(letter),
              "--text", "近5年有无环境违法记录", "--json", now=REVIEW)
    ok(r)
    first = r.json["number"]
    r = award("entry", "add", ref, "书面征求相关部门意见", "--to", "市应急管理局", "--on", "2026-03-13", now=REVIEW)
    ok(r)
    assert "（市应急管理局）" in r.out and "award entry answer" in r.out
    second = next(e["number"] for e in award("entry", "list", ref, "--json").json if e["to"] == "市应急管理局")

    # The decision waits for every answer, naming who has not answered, the date and the rule.
    r = award("advance", ref, "pass_qualification", now=REVIEW, who="li")
    refused(r, 3, "SHA-22", "尚有2件“书面征求相关部门意见”未收到复函",
            f"#{first}（征求意见部门：市生态环境局，2026年3月12日）")
    assert show(award, ref)["state"] == "qualification_review"

    answer = ["entry", "answer", ref]
    refused(award(*answer, "999", "--on", "2026-03-15", "--text", "无", now=REVIEW), 4, None)
    refused(award(*answer, str(first), "--on", "2026-03-11", "--text", "无", now=REVIEW), 2, None,
            "早于", "2026年3月12日")
    refused(award(*answer, str(first), "--on", "2026-03-15", "--text", " ", now=REVIEW), 2, None, "--text")
    refused(award(*answer, str(first), "--on", "2026-03-15", "--text", "无", now=REVIEW, who="li"), 3, "SHA-22")
    ok(award(*answer, str(first), "--on", "2026-03-15", "--text", "近5年无环境违法记录", "--file", str(reply),
             now=REVIEW))
    refused(award(*answer, str(first), "--on", "2026-03-15", "--text", "再记一次", now=REVIEW), 2,
            None, "已答复（2026年3月15日）")
    r = award("advance", ref, "pass_qualification", now=REVIEW, who="li")
    refused(r, 3, "SHA-22", "尚有1件“书面征求相关部门意见”未收到复函", "市应急管理局")

    listed = award("entry", "list", ref, "--json")
    ok(listed)
    asked = [e for e in listed.json if e["entry"] == "consultation"]
    assert [(e["number"], e["to"], e["on"], e["text"], e["open"]) for e in asked] == [
        (first, "市生态环境局", "2026-03-12", "近5年有无环境违法记录", False),
        (second, "市应急管理局", "2026-03-13", None, True)]
    assert asked[0]["files"] == ["征求意见函.pdf"] and asked[0]["answer"]["files"] == ["复函.pdf"]
    assert asked[0]["answer"]["on"] == "2026-03-15" and asked[0]["answer"]["text"] == "近5年无环境违法记录"
    files = award("case", "files", ref, "--json").json
    assert {f["name"] for f in files} >= {"征求意见函.pdf", "复函.pdf"}
    people = award("entry", "list", ref)
    assert "市生态环境局" in people.out and "2026年3月15日" in people.out and "待复函" in people.out
    assert [e["to"] for e in show(award, ref)["entries"]] == ["市生态环境局", "市应急管理局"]

    ok(award(*answer, str(second), "--on", "2026-03-16", "--text", "无生产安全事故记录", now=REVIEW))
    kinds = [e["kind"] for e in award("history", ref, "--json").json["events"]]
    assert kinds.count("entry_recorded") == 2 and kinds.count("entry_answered") == 2
    history = award("history", ref).out
    assert "书面征求相关部门意见" in history and "市应急管理局" in history

    ok(award("advance", ref, "pass_qualification", now=REVIEW, who="li"))
    assert show(award, ref)["state"] == "qualification_notice"
    # Outside the review no new letter is sent; a late reply would still be recorded (any_state).
    refused(award(*ask, "--to", "市税务局", "--on", "2026-03-16", now=REVIEW), 3, "SHA-22",
            "只在资格审查中期间登记")
    assert award("verify").code == 0


def test_sha22_a_reply_arriving_after_the_review_is_still_recorded(award: AwardRunner) -> None:
    """The answer is declared `any_state: true`: a reply is a fact whenever it comes."""
    ref = in_review(award)
    ok(award("checklist", "record", ref, "--all", "--finding", "符合", now=REVIEW, who="li"))
    r = award("entry", "add", ref, "consultation", "--to", "市税务局", "--on", "2026-03-12", "--json", now=REVIEW)
    ok(r)
    number = r.json["number"]
    ok(award("advance", ref, "reject_qualification", "--set", "qualification_opinion=不符合申报条件",
             "--comment", "不符合申报条件", "--yes", now=REVIEW, who="li"))
    assert show(award, ref)["state"] != "qualification_review"
    r = award("entry", "answer", ref, str(number), "--on", "2026-03-20", "--text", "无欠税记录",
              now="2026-03-20 10:00")
    ok(r)
    assert "复函" in r.out


# ------------------------------------------------------------------- SHA-16/17 checklist


def test_sha16_the_reviewers_conditions_are_a_checklist_with_a_finding_each(award: AwardRunner) -> None:
    ref = in_review(award)
    items = show(award, ref)["checklist"]
    assert [(i["item"], i["rule"], i["finding"]) for i in items] == [
        ("gold_results", "SHA-16", None), ("gold_leading", "SHA-16", None), ("responsibility", "SHA-16", None)]

    r = award("advance", ref, "pass_qualification", now=REVIEW, who="li")
    refused(r, 3, "SHA-16", "尚未核查", "质量工作成绩显著", "gold_leading")
    # Who records: the review panel or the office, during the review; not the committee.
    refused(award("checklist", "record", ref, "1", "--finding", "符合", now=REVIEW, who="zhao"), 3, "SHA-22")
    refused(award("checklist", "record", ref, "gold_leading", "--finding", "不符合", now=REVIEW, who="li"), 2, None,
            "--note")
    refused(award("checklist", "record", ref, "gold_leading", "--finding", "大概", now=REVIEW, who="li"), 2, None,
            "符合、不符合 或 待补充")
    refused(award("checklist", "record", ref, "mayor_culture", "--finding", "符合", now=REVIEW, who="li"), 2, None,
            "没有适用于本案的项目")

    ok(award("checklist", "record", ref, "1", "responsibility", "--finding", "符合", now=REVIEW, who="li"))
    ok(award("checklist", "record", ref, "领先水平", "--finding", "不符合", "--note", "主要指标低于行业平均",
             now=REVIEW, who="li"))
    r = award("advance", ref, "pass_qualification", now=REVIEW, who="li")
    refused(r, 3, "SHA-16", "不符合：“主要经济、技术和质量等指标上年度处于本市同行业领先水平")
    assert show(award, ref)["state"] == "qualification_review"

    ok(award("checklist", "record", ref, "gold_leading", "--finding", "待补充", "--note", "请补充上年度行业排名",
             now=REVIEW, who="li"))
    refused(award("advance", ref, "pass_qualification", now=REVIEW, who="li"), 3, "SHA-16", "待补充")
    ok(award("checklist", "record", ref, "gold_leading", "--finding", "符合", "--note", "补充排名后核实",
             now=REVIEW, who="wang"))
    view = award("checklist", "show", ref, "--json").json
    [cl] = view["checklists"]
    assert cl["rule"] == "SHA-22"
    assert [(i["item"], i["finding_label"], i["by"]) for i in cl["items"]] == [
        ("gold_results", "符合", "li"), ("gold_leading", "符合", "wang"), ("responsibility", "符合", "li")]
    people = award("show", ref)
    assert "核查表" in people.out and "补充排名后核实" in people.out
    history = award("history", ref)
    assert "记录核查意见" in history.out and "核查意见：不符合" in history.out

    ok(award("advance", ref, "pass_qualification", now=REVIEW, who="li"))
    refused(award("checklist", "record", ref, "1", "--finding", "符合", now=REVIEW, who="li"), 3, "SHA-22",
            "没有可记录的核查表")


def test_sha17_an_achievement_is_checked_on_contribution_and_renown(award: AwardRunner) -> None:
    ref = in_review(award, PERSON, "mayor_achievement")
    assert [(i["item"], i["rule"]) for i in show(award, ref)["checklist"]] == [
        ("mayor_contribution", "SHA-17"), ("mayor_renown", "SHA-17")]
    refused(award("advance", ref, "pass_qualification", now=REVIEW, who="li"), 3, "SHA-17", "广泛的知名度")
    ok(award("checklist", "record", ref, "--all", "--finding", "符合", now=REVIEW, who="li"))
    ok(award("advance", ref, "pass_qualification", now=REVIEW, who="li"))


# ------------------------------------------------------------------- SQI-9 supplements, SQI-5/6 checklist


def _sqi_submitted(award: AwardRunner, **kw: object) -> str:
    ref = sqi_steps.open_case(award, **kw)  # type: ignore[arg-type]
    ok(award("advance", ref, "submit", *sets(sqi_steps.ORG_CONDITIONS), now=sqi_steps.BEFORE_DEADLINE))
    return ref


def test_sqi9_the_secretariat_sets_the_supplement_limit_per_request(sqi: AwardRunner) -> None:  # noqa: F811
    ref = _sqi_submitted(sqi)
    ask = ["advance", ref, "request_supplement", "--set", "supplement_items=请补充ESG披露材料"]
    refused(sqi(*ask, now="2024-09-12 10:00"), 3, "SQI-9", "补充材料期限")
    refused(sqi(*ask, "--set", "supplement_deadline=下周", now="2024-09-12 10:00"), 2, None, "补充材料期限")
    # 10 working days from Thursday 12 September 2024, the request day not counted: 13, 14 (make-up Saturday),
    # 18, 19, 20, 23, 24, 25, 26, 27 September.
    ok(sqi(*ask, "--set", "supplement_deadline=10个工作日", now="2024-09-12 10:00"))
    [timer] = show(sqi, ref)["timers"]
    assert (timer["trigger"], timer["last_day"], timer["rule"]) == ("supplement_overdue", "2024-09-27", "SQI-9")
    assert timer["period"] == "10个工作日"
    # Past the fixed 5 working days of before (20 September), still in time.
    ok(sqi("advance", ref, "supply", "--set", "results=补充说明。", now="2024-09-26 10:00"))
    assert show(sqi, ref)["state"] == "condition_review"

    other = _sqi_submitted(sqi, party=sqi_steps.STATE, direct=False)
    ok(sqi("advance", other, "request_supplement", "--set", "supplement_items=请补充证明",
           "--set", "supplement_deadline=2024-09-30", now="2024-09-12 10:00"))
    [timer] = show(sqi, other)["timers"]
    assert timer["last_day"] == "2024-09-30" and timer["due_at"].startswith("2024-10-01T00:00:00+08:00")
    refused(sqi("advance", other, "supply", now="2024-10-01 09:00"), 3, "SQI-9", "已于2024年9月30日届满")
    assert "触发 1 个" in sqi("tick", "-v", now="2024-10-01 00:05").out
    assert show(sqi, other)["state"] == "refused"


def test_sqi9_condition_review_rechecks_the_conditions_after_a_supplement(sqi: AwardRunner) -> None:  # noqa: F811
    ref = _sqi_submitted(sqi)
    ok(sqi("checklist", "record", ref, "--all", "--finding", "符合", now="2024-09-02 10:00"))
    ok(sqi("advance", ref, "request_supplement", "--set", "supplement_items=请说明ESG披露情况",
           "--set", "supplement_deadline=5个工作日", now="2024-09-02 10:00"))
    # The supplement shows there is no ESG disclosure after all: condition review may not pass it.
    ok(sqi("advance", ref, "supply", "--set", "csr_report=否", now="2024-09-04 10:00"))
    r = sqi("advance", ref, "pass_conditions", now="2024-09-05 10:00")
    refused(r, 3, "SQI-5", "重新核查“报送申报材料”时的SQI-5、SQI-6、SQI-8条件")
    assert show(sqi, ref)["state"] == "condition_review"
    ok(sqi("advance", ref, "reject_conditions", "--yes", "--comment", "未发布社会责任报告", now="2024-09-05 10:00"))


def test_sqi5_and_sqi6_judgements_are_the_secretariats_checklist(sqi: AwardRunner) -> None:  # noqa: F811
    ref = _sqi_submitted(sqi)
    assert [i["item"] for i in show(sqi, ref)["checklist"]] == ["results", "leading", "activity_results"]
    refused(sqi("advance", ref, "pass_conditions", now="2024-09-02 10:00"), 3, "SQI-5", "条件审查核查表", "尚未核查")
    ok(sqi("checklist", "record", ref, "--all", "--finding", "符合", now="2024-09-02 10:00"))
    ok(sqi("advance", ref, "pass_conditions", now="2024-09-02 10:00"))

    person = sqi_steps.open_case(sqi, party=sqi_steps.PERSON, track="experience")
    ok(sqi("advance", person, "submit", *sets(sqi_steps.PERSON_CONDITIONS), now=sqi_steps.BEFORE_DEADLINE))
    assert [(i["item"], i["rule"]) for i in show(sqi, person)["checklist"]] == [
        ("conduct", "SQI-6"), ("contribution", "SQI-6"), ("renown", "SQI-6")]
    ok(sqi("checklist", "record", person, "renown", "--finding", "不符合", "--note", "行业影响力不足",
           now="2024-09-02 10:00"))
    refused(sqi("advance", person, "pass_conditions", now="2024-09-02 10:00"), 3, "SQI-6", "不符合", "renown")
    # SQI's applicant no longer declares "leading" itself: the field is gone from the form.
    refused(sqi("advance", ref, "shortlist", "--set", "leading=是", now="2024-09-03 10:00", who="li"), 2, None)
