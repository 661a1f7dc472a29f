"""芜湖市争创省级以上政府质量奖培育孵化（WHI）: the two-year cycle, driven through the CLI.

A round is one cycle (`round open whi 2025 --date cycle_start=2025-03-01`, ending two years later).
Each step re-reads the case with `award show CASE --json`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from tests.conftest import AwardRunner
from tests.helpers import resident_id, sets, uscc

CODES = {n: uscc(f"91340200{n:02d}MA2N0P1") for n in range(1, 10)}

CONDITIONS = [
    "address=芜湖市弋江区某某路1号", "contact_name=王质量", "contact_phone=0553-1234567",
    "nature=企业", "enterprise_type=私营企业", "size=中型", "industry=制造业", "leading_industry=智能家电,新材料",
    "profitable_3y=是", "accidents_3y=无", "complaints_dishonesty_3y=无", "proposed_class=B",
    "recommender_opinion=同意推荐", "registered_in_wuhu=是", "licensed_since=2018-05-01", "compliant=是",
    "quality_system_sound=是", "excellence_model_since=2021-01-01", "system_certified=是", "leading_results=是",
    "good_reputation=是", "no_failed_spot_check=是", "no_serious_violation=是", "legal_rep_no_criminal_record=是",
]

SURVEY = [
    "survey_station=弋江区质量基础设施“一站式”服务站",
    "survey_overview=主营智能家电零部件，员工800人，近3年营收分别为5.1亿元、5.6亿元、6.2亿元。",
    "survey_chief_quality_officer=设首席质量官，2021年起分步导入卓越绩效模式。",
    "survey_quality_capability=ISO 9001 体系运行良好，QC小组活跃，关键工序数控化率85%。",
    "survey_management_model=尚未归纳形成质量管理模式。",
    "survey_self_assessors=有自评师3名，每年开展一次自评。",
    "survey_local_awards=无相关信息。",
    "survey_provincial_honours=2023年安徽省专精特新中小企业。",
    "survey_strengths_weaknesses=优势：过程控制；不足：结果指标对比不足。",
    "survey_information_source=组织自我分析评价,质量基础设施“一站式”服务站点开展的分析评价",
    "survey_conclusion=建议纳入孵化。",
]


def setup_cycle(award: AwardRunner, year: int = 2025, start: str = "2025-03-01") -> None:
    r = award("round", "open", "whi", str(year), "--date", f"cycle_start={start}", now=f"{start} 09:00")
    assert r.code == 0, r
    assert award("staff", "add", "sun", "--login", "sun", "--role", "station@whi", who="admin").code == 0
    assert award("staff", "add", "qian", "--login", "qian", "--role", "county@whi", who="admin").code == 0


def add_org(award: AwardRunner, n: int, name: str | None = None) -> str:
    code = CODES[n]
    r = award("party", "add", "--kind", "organization", "--name", name or f"芜湖第{n}电器有限公司", "--code", code,
              "--registered-on", "2016-03-01", "--email", f"org{n}@example.com")
    assert r.code == 0, r
    return code


def show(award: AwardRunner, ref: str) -> dict[str, Any]:
    r = award("show", ref, "--json")
    assert r.code == 0, r
    return r.json


def recommender_code(name: str) -> str:
    """A recommending body's credit code (51…: a social organisation), stable for its name."""
    return uscc(f"51340200MJ{int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**7:07d}")


def add_recommender(award: AwardRunner, name: str) -> str:
    """Register a recommending body (WHI-3.2) in the party register, once; returns its code."""
    code = recommender_code(name)
    if award("party", "show", code, "--json").code == 4:
        r = award("party", "add", "--kind", "organization", "--name", name, "--code", code)
        assert r.code == 0, r
    return code


def open_case(award: AwardRunner, n: int, recommender: str, *, round_id: str = "whi-2025",
              now: str = "2025-03-10 09:00", extra: list[str] | None = None) -> str:
    code = add_recommender(award, recommender)
    r = award("case", "new", "--party", CODES[n], "--round", round_id, "--track", "pool",
              "--set", f"recommender={code}", *sets(extra or []), "--json", now=now)
    assert r.code == 0, r
    return r.json["ref"]


def to_classification(award: AwardRunner, n: int, recommender: str, *, round_id: str = "whi-2025",
                      when: tuple[str, str, str, str] = ("2025-03-10", "2025-03-12", "2025-04-20", "2025-04-28"),
                      extra: list[str] | None = None) -> str:
    """Open, submit, survey and approve: the case waits for the office's classification."""
    opened, submitted, surveyed, approved = when
    ref = open_case(award, n, recommender, round_id=round_id, now=f"{opened} 09:00")
    r = award("advance", ref, "submit", *sets(CONDITIONS + (extra or [])), now=f"{submitted} 10:00")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "survey"
    r = award("advance", ref, "complete_survey", *sets([*SURVEY, "survey_class=B"]), now=f"{surveyed} 15:00",
              who="sun")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "survey_review"
    r = award("advance", ref, "approve_survey", "--set", "survey_approval=同意，报市创奖办", now=f"{approved} 09:00",
              who="qian")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "classification"
    return ref


def admit(award: AwardRunner, n: int, recommender: str, cls: str, *, now: str = "2025-05-06 09:00") -> str:
    ref = to_classification(award, n, recommender)
    r = award("advance", ref, "classify", "--set", f"class={cls}", now=now)
    assert r.code == 0, r
    case = show(award, ref)
    assert (case["state"], case["data"]["class"]) == ("incubating", cls)
    return ref


def templates(award: AwardRunner, ref: str) -> list[str]:
    r = award("outbox", "list", "--case", ref, "--json")
    assert r.code == 0, r
    return [row["template"] for row in r.json]


# ------------------------------------------------------------------ the whole cycle


def test_round_is_a_two_year_cycle(award: AwardRunner) -> None:
    setup_cycle(award)
    r = award("round", "show", "whi-2025", "--json")
    assert r.code == 0, r
    dates = r.json["dates"]
    assert dates["cycle_start"].startswith("2025-03-01T00:00:00+08:00")  # 2025-03-01 00:00 Asia/Shanghai
    assert dates["cycle_end"].startswith("2027-03-01T00:00:00+08:00")  # two years later
    r = award("round", "open", "whi", "2024", "--date", "cycle_end=2026-03-01")
    assert r.code == 2 and "cycle_start" in r.err
    # 29 February: the cycle ends on 28 February two years later (Asia/Shanghai, not UTC).
    r = award("round", "open", "whi", "2024", "--date", "cycle_start=2024-02-29", "--json")
    assert r.code == 0, r
    assert r.json["dates"]["cycle_end"].startswith("2026-02-28T00:00:00+08:00")
    # A cycle_end given explicitly is kept.
    r = award("round", "open", "whi", "2023", "--date", "cycle_start=2023-07-01", "--date", "cycle_end=2025-06-30",
              "--json")
    assert r.code == 0 and r.json["dates"]["cycle_end"].startswith("2025-06-30T00:00:00+08:00")


def test_cycle_from_application_to_its_end(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    ref = to_classification(award, 1, "芜湖市家电行业协会")
    case = show(award, ref)
    assert case["data"]["proposed_class"] == "B" and case["data"]["survey_class"] == "B"
    assert templates(award, ref) == ["application_received", "survey_reported"]

    # The office decides the class (WHI-4.2): the case enters the pool, and the cycle's end is timed.
    r = award("advance", ref, "classify", "--set", "class=B", "--set", "decision_note=同意调查结论", now="2025-05-06 09:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "incubating"
    timers = {t["kind"]: t for t in case["timers"]}
    assert timers["transition"]["trigger"] == "end_cycle"
    assert timers["transition"]["due_at"].startswith("2027-03-01T00:00:00+08:00")
    assert timers["reminder"]["due_at"].startswith("2026-12-31T00:00:00+08:00")  # 60 days before 2027-03-01
    ids = sorted(t["id"] for t in case["timers"])

    # B is taught in the first year (WHI-4.3); the station revisits (WHI-4.4): self-transitions keep the timers.
    r = award("advance", ref, "record_teaching", "--set", "teaching_class=B",
              "--comment", "2025年6月12日提高型教学：GB/Z 19579 与系统性自我评价", now="2025-06-03 09:00")
    assert r.code == 0, r
    r = award("advance", ref, "record_revisit", "--comment", "回访：自评师培养进展顺利", now="2025-11-18 10:00", who="sun")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "incubating"
    assert sorted(t["id"] for t in case["timers"]) == ids

    # The reminder, then the end of the cycle (a timed transition at the round's cycle_end).
    assert "已触发" not in award("tick", "-v", now="2026-12-30 23:00").out
    assert award("tick", "-v", now="2026-12-31 08:00").code == 0
    assert show(award, ref)["state"] == "incubating"
    r = award("tick", "-v", now="2027-02-28 23:59")
    assert show(award, ref)["state"] == "incubating"
    r = award("tick", "-v", now="2027-03-01 00:05")
    assert r.code == 0 and "孵化周期届满" in r.out
    case = show(award, ref)
    assert case["state"] == "cycle_ended" and case["closed"]
    assert templates(award, ref) == ["application_received", "survey_reported", "admitted", "teaching_notice",
                                     "cycle_ending_reminder", "cycle_ended"]
    body = award("outbox", "list", "--case", ref, "--json").json
    subjects = [row["subject"] for row in body]
    assert "已纳入创奖孵化池：B类" in subjects[2]


def test_survey_is_done_by_the_station_and_approved_by_the_county_office(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    ref = open_case(award, 1, "弋江区质量发展委员会")
    assert award("advance", ref, "submit", *sets(CONDITIONS), now="2025-03-12 10:00").code == 0
    # A reviewer of another procedure is neither the station nor the county office.
    r = award("advance", ref, "complete_survey", *sets([*SURVEY, "survey_class=C"]), now="2025-04-20 15:00", who="li")
    assert r.code == 3 and "一站式" in r.err
    # All nine sections of attachment 2 are required, the last with a proposed class.
    r = award("advance", ref, "complete_survey", *sets(SURVEY[:5]), now="2025-04-20 15:00", who="sun")
    assert r.code == 3, r
    assert "七、近三年获得省级及以上质量品牌类" in r.err and "九、调查结论的孵化分类建议" in r.err
    assert show(award, ref)["state"] == "survey"
    r = award("advance", ref, "complete_survey", *sets([*SURVEY, "survey_class=不满足A类标准"]), now="2025-04-20 15:00",
              who="sun")
    assert r.code == 0, r
    # The county office returns the report for a supplement (a reason is required), then approves it.
    r = award("advance", ref, "return_survey", now="2025-04-22 09:00", who="qian")
    assert r.code == 3 and "--comment" in r.err
    r = award("advance", ref, "return_survey", "--comment", "请补充近3年营收", now="2025-04-22 09:00", who="qian")
    assert r.code == 0 and show(award, ref)["state"] == "survey"
    r = award("advance", ref, "complete_survey", "--set", "survey_overview=补充：近3年营收5.1、5.6、6.2亿元",
              now="2025-04-25 09:00", who="sun")
    assert r.code == 0, r
    r = award("advance", ref, "approve_survey", now="2025-04-28 09:00", who="qian")
    assert r.code == 3 and "审定意见" in r.err
    r = award("advance", ref, "approve_survey", "--set", "survey_approval=同意", now="2025-04-28 09:00", who="qian")
    assert r.code == 0, r
    assert "survey_reported" in templates(award, ref)
    # The survey found the organisation below class A: the office does not admit it.
    r = award("advance", ref, "not_admit", "--yes", "--comment", "调查结论认为尚不满足A类标准", now="2025-05-06 09:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "not_admitted" and case["closed"]
    assert templates(award, ref)[-1] == "not_admitted"


def test_application_conditions(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    ref = open_case(award, 1, "芜湖市质量协会")
    bad = [*CONDITIONS, "licensed_since=2022-05-01", "excellence_model_since=2024-03-01", "system_certified=否",
           "accidents_3y=有", "legal_rep_no_criminal_record=否"]
    r = award("advance", ref, "submit", *sets(bad), now="2025-03-12 10:00")
    assert r.code == 3, r
    for text in ("[WHI-3.1] 须具有3年以上的相应资质或证照", "满2年，不满3年（须至2025年5月1日方满）",
                 "组织内部须持续导入卓越绩效管理模式2年以上", "满1年，不满2年",
                 "须已通过GB/T 19001质量管理体系认证或其他相关体系认证",
                 "近3年内不得有重大质量、安全、环境污染、公共卫生等事故", "法定代表人须无犯罪记录"):
        assert text in r.err
    assert show(award, ref)["state"] == "draft"
    # An enterprise names its type; "其他" says what it is.
    r = award("advance", ref, "submit", *sets([*CONDITIONS, "nature=其他", "enterprise_type="]), now="2025-03-12 10:00")
    assert r.code == 3 and "组织性质（其他，请注明）" in r.err
    assert award("advance", ref, "submit", *sets(CONDITIONS), now="2025-03-12 10:00").code == 0
    assert show(award, ref)["state"] == "survey"


# ------------------------------------------------------------------ WHI-3.2 two organisations per recommender


def test_third_organisation_from_one_recommender_is_refused(award: AwardRunner) -> None:
    setup_cycle(award)
    for n in (1, 2, 3, 4):
        add_org(award, n)
    admit(award, 1, "芜湖市家电行业协会", "A")
    admit(award, 2, "芜湖市家电行业协会", "B")
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=芜湖市家电行业协会", now="2025-05-08 09:00")
    assert r.code == 3, r
    assert "WHI-3.2" in r.err
    assert "每个推荐单位每个孵化周期内推荐不超过2个组织" in r.err
    assert f"“推荐单位”为“芜湖市家电行业协会（{recommender_code('芜湖市家电行业协会')}）”的案件本轮已有2个" in r.err
    # Another recommender may recommend it in the same cycle.
    ref3 = open_case(award, 3, "鸠江区质量发展委员会", now="2025-05-08 09:00")
    assert show(award, ref3)["state"] == "draft"


def test_recommendations_waiting_for_the_survey_count_too(award: AwardRunner) -> None:
    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    ref1 = open_case(award, 1, "芜湖市质量协会")
    open_case(award, 2, "芜湖市质量协会")
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=芜湖市质量协会", now="2025-03-11 09:00")
    assert r.code == 3 and "WHI-3.2" in r.err and "每轮不超过2个" in r.err
    # A recommendation withdrawn frees its place.
    assert award("advance", ref1, "withdraw", "--yes", "--comment", "组织放弃申请", now="2025-03-12 09:00").code == 0
    ref3 = open_case(award, 3, "芜湖市质量协会", now="2025-03-12 10:00")
    assert show(award, ref3)["state"] == "draft"


# ------------------------------------------------------------------ WHI-4.2 classes


def test_d_may_never_outnumber_c(award: AwardRunner) -> None:
    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    ref1 = to_classification(award, 1, "芜湖市家电行业协会")
    # The first organisation classified D would make 1 D against 0 C.
    r = award("advance", ref1, "classify", "--set", "class=D", now="2025-05-06 09:00")
    assert r.code == 3, r
    assert "[WHI-4.2] D类组织数量不得超过C类组织数量" in r.err
    assert "此次孵化分类后“D类”将有1个，多于“C类”的0个" in r.err
    assert show(award, ref1)["state"] == "classification"
    assert award("advance", ref1, "classify", "--set", "class=C", now="2025-05-06 09:00").code == 0
    ref2 = admit(award, 2, "芜湖市汽车零部件行业协会", "D")
    ref3 = to_classification(award, 3, "三山经济开发区质量发展委员会")
    r = award("advance", ref3, "classify", "--set", "class=D", now="2025-05-07 09:00")
    assert r.code == 3 and "WHI-4.2" in r.err and "“D类”将有2个，多于“C类”的1个" in r.err
    assert award("advance", ref3, "classify", "--set", "class=C", now="2025-05-07 09:00").code == 0
    assert [show(award, ref)["data"]["class"] for ref in (ref1, ref2, ref3)] == ["C", "D", "C"]


def test_reclassification_of_c_and_d_during_the_cycle(award: AwardRunner) -> None:
    setup_cycle(award)
    for n in (1, 2, 3, 4):
        add_org(award, n)
    ref_c1 = admit(award, 1, "推荐单位甲", "C")
    ref_c2 = admit(award, 2, "推荐单位乙", "C")
    ref_d = admit(award, 3, "推荐单位丙", "D")
    ref_a = admit(award, 4, "推荐单位丁", "A")
    timers = sorted(t["id"] for t in show(award, ref_c1)["timers"])

    # Only C and D organisations are reclassified (WHI-4.2), and only between C and D.
    r = award("advance", ref_a, "reclassify", "--set", "class=C", "--comment", "推广成效显著", now="2026-04-01 09:00")
    assert r.code == 3 and "WHI-4.2" in r.err
    assert "只有C类、D类组织可在孵化期间调整分类" in r.err and "“本次办理前的孵化分类”为“A类”" in r.err
    r = award("advance", ref_c1, "reclassify", "--set", "class=B", "--comment", "推广不足", now="2026-04-01 09:00")
    assert r.code == 3 and "C类、D类组织只在C类与D类之间调整" in r.err
    r = award("advance", ref_c1, "reclassify", "--comment", "无变化", now="2026-04-01 09:00")
    assert r.code == 3 and "调整分类须改为另一类" in r.err
    r = award("advance", ref_c1, "reclassify", "--set", "class=D", now="2026-04-01 09:00")
    assert r.code == 3 and "--comment" in r.err

    # C -> D: 2 D against 1 C is fine? No: D 2 > C 1 is refused; the counts are checked at every reclassification.
    r = award("advance", ref_c1, "reclassify", "--set", "class=D", "--comment", "全员导入", now="2026-04-01 09:00")
    assert r.code == 3 and "此次孵化分类后“D类”将有2个，多于“C类”的1个" in r.err
    assert show(award, ref_c1)["data"]["class"] == "C"
    # D -> C is always within the rule; then C -> D is possible again (1 D, 2 C ... 2 D, 1 C refused; 1 D, 2 C ok).
    r = award("advance", ref_d, "reclassify", "--set", "class=C", "--comment", "推广范围缩小", now="2026-04-02 09:00")
    assert r.code == 0, r
    r = award("advance", ref_c1, "reclassify", "--set", "class=D", "--comment", "已全员导入", now="2026-04-03 09:00")
    assert r.code == 0, r
    assert [show(award, ref)["data"]["class"] for ref in (ref_c1, ref_c2, ref_d, ref_a)] == ["D", "C", "C", "A"]
    case = show(award, ref_c1)
    assert case["state"] == "incubating"
    assert sorted(t["id"] for t in case["timers"]) == timers          # a self-transition keeps the timers
    assert templates(award, ref_c1)[-1] == "reclassified"


# ------------------------------------------------------------------ WHI-4.3 teaching by year of the cycle


def test_each_class_is_taught_in_its_year(award: AwardRunner) -> None:
    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    ref_a = admit(award, 1, "推荐单位甲", "A")
    ref_c = admit(award, 2, "推荐单位乙", "C")
    ref_d = admit(award, 3, "推荐单位丙", "D", now="2025-05-07 09:00")

    # First year (2025-03-01 .. 2026-02-28): A and B.
    r = award("advance", ref_a, "record_teaching", "--set", "teaching_class=A",
              "--comment", "2025年6月10日至11日卓越绩效基础理论培训班（集中授课）", now="2025-06-02 09:00")
    assert r.code == 0, r
    r = award("advance", ref_c, "record_teaching", "--set", "teaching_class=C",
              "--comment", "中高层管理者能力提升班（圆桌教学）", now="2026-02-27 09:00")
    assert r.code == 3, r
    assert "[WHI-4.3] 每个孵化周期第一年对A类、B类组织教学，第二年对C类、D类组织教学和指导" in r.err
    assert "2026年2月27日是周期（自2025年3月1日起）第1年（2025年3月1日至2026年2月28日）" in r.err
    assert "“孵化分类”为“C类”的应安排在第2年（2026年3月1日至2027年2月28日）" in r.err

    # A teaching announced to the C organisations only reaches class C.
    r = award("advance", "--round", "whi-2025", "--state", "incubating", "record_teaching",
              "--set", "teaching_class=C", "--comment", "2026年3月18日中高层管理者能力提升班（圆桌教学）",
              now="2026-03-02 09:00")
    out = r.out + r.err
    assert "成功 1 件" in out
    assert "“本次教学面向的孵化分类”为“C类（精准型教学）”，而“孵化分类”为“D类”" in out
    assert templates(award, ref_c)[-1] == "teaching_notice"
    assert templates(award, ref_d)[-1] == "admitted"
    # Second year (2026-03-01 .. 2027-02-28): C and D; A no longer.
    r = award("advance", ref_d, "record_teaching", "--set", "teaching_class=D",
              "--comment", "“零距离”现场诊断", now="2026-03-05 09:00")
    assert r.code == 0, r
    r = award("advance", ref_a, "record_teaching", "--set", "teaching_class=A",
              "--comment", "基础理论培训班第二期", now="2026-03-05 09:00")
    assert r.code == 3 and "“孵化分类”为“A类”的应安排在第1年（2025年3月1日至2026年2月28日）" in r.err
    mails = award("outbox", "list", "--case", ref_c, "--json").json
    assert mails[-1]["subject"] == f"分类教学通知：C类（精准型教学）（{ref_c}）"


# ------------------------------------------------------------------ WHI-4.4 another cycle


def test_another_cycle_needs_the_self_evaluation_report(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    add_org(award, 2)
    ref = admit(award, 1, "芜湖市家电行业协会", "B")
    assert award("tick", "-v", now="2027-03-01 00:10").code == 0
    assert show(award, ref)["state"] == "cycle_ended"

    r = award("round", "open", "whi", "2027", "--date", "cycle_start=2027-03-01", now="2027-03-01 09:00")
    assert r.code == 0, r
    ref2 = open_case(award, 1, "芜湖市家电行业协会", round_id="whi-2027", now="2027-03-08 09:00")
    r = award("advance", ref2, "submit", *sets(CONDITIONS), now="2027-03-09 10:00")
    assert r.code == 3, r
    assert "WHI-4.4" in r.err
    assert "参与多周期孵化的组织须提供原孵化周期时间内的组织自我评价报告" in r.err
    assert f"该主体此前已有案件 {ref}（本孵化周期已结束），再次申请须提供：“原孵化周期内的组织自我评价报告”" in r.err
    assert show(award, ref2)["state"] == "draft"
    r = award("advance", ref2, "submit", *sets(CONDITIONS),
              "--set", "self_evaluation_report=2025—2027孵化周期自我评价报告：对照GB/T 19580自评得分520分……",
              now="2027-03-09 10:30")
    assert r.code == 0, r
    assert show(award, ref2)["state"] == "survey"
    # An organisation new to the pool needs no such report.
    ref3 = open_case(award, 2, "鸠江区质量发展委员会", round_id="whi-2027", now="2027-03-08 09:00")
    assert award("advance", ref3, "submit", *sets(CONDITIONS), now="2027-03-09 11:00").code == 0


def test_one_application_per_organisation_per_cycle(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    open_case(award, 1, "芜湖市质量协会")
    add_recommender(award, "鸠江区质量发展委员会")
    r = award("case", "new", "--party", CODES[1], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=鸠江区质量发展委员会", now="2025-03-11 09:00")
    assert r.code == 3 and "同一组织每个孵化周期只能申请一次" in r.err


# ------------------------------------------------------------------ WHI-3 removal


def test_removal_after_a_major_accident(award: AwardRunner) -> None:
    setup_cycle(award)
    add_org(award, 1)
    ref = admit(award, 1, "芜湖市家电行业协会", "C")
    r = award("advance", ref, "remove_accident", "--yes", now="2026-01-20 09:00")
    assert r.code == 3 and "须用 --comment 写明理由" in r.err
    assert show(award, ref)["state"] == "incubating"
    r = award("advance", ref, "remove_accident", "--yes", "--comment", "2026年1月15日发生重大安全生产事故（市应急管理局认定）",
              now="2026-01-20 09:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "removed" and case["closed"]
    assert case["timers"] == []                  # the cycle's end no longer concerns it
    assert templates(award, ref)[-1] == "removed"
    r = award("advance", ref, "record_teaching", "--set", "teaching_class=C", "--comment", "x", now="2026-03-05 09:00")
    assert r.code == 3
    # Its recommendation still counts in this cycle: the recommender has one place left.
    add_org(award, 2)
    add_org(award, 3)
    open_case(award, 2, "芜湖市家电行业协会", now="2026-01-21 09:00")
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=芜湖市家电行业协会", now="2026-01-21 09:00")
    assert r.code == 3 and "WHI-3.2" in r.err


# ------------------------------------------------------------------ issue 14, point 16


def test_no_new_cycle_while_still_incubating_in_the_previous_one(award: AwardRunner) -> None:
    """WHI-4.4: an organisation applies for another cycle only once its cycle has ended."""
    setup_cycle(award)
    add_org(award, 1)
    ref = admit(award, 1, "芜湖市家电行业协会", "B")
    # A second, overlapping cycle is opened a year later: the organisation is still in the pool.
    assert award("round", "open", "whi", "2026", "--date", "cycle_start=2026-03-01", now="2026-03-01 09:00").code == 0
    code = add_recommender(award, "鸠江区质量发展委员会")
    r = award("case", "new", "--party", CODES[1], "--round", "whi-2026", "--track", "pool",
              "--set", f"recommender={code}", now="2026-03-02 09:00")
    assert r.code == 3, r
    assert "[WHI-4.4] 一个孵化周期结束后方可重新申请参加新的孵化周期" in r.err
    assert f"已有尚未办结的案件 {ref}（whi-2025）（在创奖孵化池中（本孵化周期））" in r.err
    assert award("cases", "--round", "whi-2026", "--json").json == []
    # Once its cycle has ended (the timer, 2027-03-01), it may apply anew.
    assert award("tick", now="2027-03-01 00:10").code == 0
    assert show(award, ref)["state"] == "cycle_ended"
    r = award("case", "new", "--party", CODES[1], "--round", "whi-2026", "--track", "pool",
              "--set", f"recommender={code}", "--json", now="2027-03-02 09:00")
    assert r.code == 0, r


def test_recommenders_are_registered_parties_matched_by_code(award: AwardRunner, tmp_path: Path) -> None:
    """WHI-3.2: the cap counts recommendations by the recommender's registered identity, not its spelling."""
    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    # A recommender not in the register is bad input: exit 2, nothing opened.
    r = award("case", "new", "--party", CODES[1], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=芜湖市家电协会", now="2025-03-10 09:00")
    assert r.code == 2 and "须为已登记的单位：芜湖市家电协会 未登记" in r.err and "award party add" in r.err, r
    assert award("cases", "--round", "whi-2025", "--json").json == []
    # A person is not a recommending body.
    person = resident_id("34020219800101123")
    assert award("party", "add", "--kind", "person", "--name", "张三", "--code", person).code == 0
    r = award("case", "new", "--party", CODES[1], "--round", "whi-2025", "--track", "pool",
              "--set", f"recommender={person}", now="2025-03-10 09:00")
    assert r.code == 2 and "须为组织，张三 是个人" in r.err and person not in r.err, r
    # Registered once, it is named by its code (or its registered name): both are the same recommender.
    code = add_recommender(award, "芜湖市家电行业协会")
    ref1 = open_case(award, 1, "芜湖市家电行业协会")
    assert show(award, ref1)["data"]["recommender"] == code
    form = {row[0]: row[2] for row in show(award, ref1)["form"]}
    assert form["recommender"] == f"芜湖市家电行业协会（{code}）"
    r = award("case", "new", "--party", CODES[2], "--round", "whi-2025", "--track", "pool",
              "--set", "recommender=芜湖市家电行业协会", "--json", now="2025-03-10 09:10")
    assert r.code == 0 and show(award, r.json["ref"])["data"]["recommender"] == code
    out = tmp_path / "案件.csv"
    assert award("cases", "--round", "whi-2025", "--output", "csv", "-o", str(out)).code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    column = rows[0].index("推荐单位")
    assert {row[column] for row in rows[1:]} == {f"芜湖市家电行业协会（{code}）"}
    # Renaming the body changes nothing about whom it recommended: the third is over the cap.
    assert award("party", "set", code, "--name", "芜湖市家用电器行业协会").code == 0
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", f"recommender={code}", now="2025-03-11 09:00")
    assert r.code == 3 and "[WHI-3.2]" in r.err, r
    assert f"“推荐单位”为“芜湖市家用电器行业协会（{code}）”的案件本轮已有2个" in r.err


def test_the_cap_of_two_holds_in_principle_and_the_office_may_override_it_with_a_reason(award: AwardRunner) -> None:
    """WHI-3.2 原则上: refused by default (exit 3, citing the rule and how to override); the 市创奖办 may
    excuse it for one case with `--override "理由"`, recorded with who and why, and later steps honour it."""
    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    code = add_recommender(award, "芜湖市家电行业协会")
    admit(award, 1, "芜湖市家电行业协会", "A")
    admit(award, 2, "芜湖市家电行业协会", "B")
    new = ["case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool", "--set", f"recommender={code}"]
    r = award(*new, now="2025-05-08 09:00")
    assert r.code == 3, r
    assert "[WHI-3.2] 原则上每个推荐单位每个孵化周期内推荐不超过2个组织" in r.err
    assert "市创奖办确需破例的，可加 --override \"理由\" 准许" in r.err
    # Only the 市创奖办 may excuse it: the station may not, and an empty reason is no reason.
    r = award(*new, "--override", "行业龙头", now="2025-05-08 09:00", who="sun")
    assert r.code == 3 and "WHI-3.2" in r.err and "市创奖办" in r.err, r
    r = award(*new, "--override", "  ", now="2025-05-08 09:00")
    assert r.code == 2 and "须写明破例准许的理由" in r.err, r
    assert award("cases", "--round", "whi-2025", "--json").json.__len__() == 2
    # An override where nothing is refused is refused as bad input (nothing to excuse).
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", f"recommender={add_recommender(award, '鸠江区质量发展委员会')}", "--override", "无需",
              now="2025-05-08 09:00")
    assert r.code == 2 and "无需破例" in r.err, r
    # The office excuses it, with a reason: recorded in the first event with who and why.
    r = award(*new, "--override", "经市创奖办2025年第3次主任会议研究同意（该行业为先导产业）", "--json", now="2025-05-08 09:00")
    assert r.code == 0, r
    ref = r.json["ref"]
    events = award("history", ref, "--json").json["events"]
    first = events[0]
    assert first["actor"] == "wang"
    assert first["detail"]["override"] == {"rules": ["WHI-3.2"],
                                           "reason": "经市创奖办2025年第3次主任会议研究同意（该行业为先导产业）"}
    cap = next(v for v in first["detail"]["verdicts"] if v["guard"] == "max_per")
    assert cap["passed"] and cap["overridden"] and "wang破例准许" in cap["reason"]
    text = award("history", ref).out  # the table wraps long cells: the label and the start of the reason
    assert "破例准许：经市创奖办" in text
    # Later steps that count the same cap honour the recorded decision: no second override is needed.
    r = award("advance", ref, "submit", *sets(CONDITIONS), now="2025-05-09 10:00")
    assert r.code == 0, r
    r = award("advance", ref, "complete_survey", *sets([*SURVEY, "survey_class=B"]), now="2025-05-20 15:00", who="sun")
    assert r.code == 0, r
    r = award("advance", ref, "approve_survey", "--set", "survey_approval=同意", now="2025-05-22 09:00", who="qian")
    assert r.code == 0, r
    r = award("advance", ref, "classify", "--set", "class=B", "--json", now="2025-05-26 09:00")
    assert r.code == 0, r
    cap = next(v for v in r.json["verdicts"] if v["guard"] == "max_per")
    assert cap["passed"] and "已由wang于2025年5月8日破例准许" in cap["reason"]
    assert show(award, ref)["state"] == "incubating"


# ------------------------------------------------------------------ issue 14, point 26 (Wuhu)


def test_self_evaluations_and_help_requests_during_the_cycle_are_recorded(award: AwardRunner) -> None:
    """WHI-4.4: during incubation the organisation's self-evaluations and its requests for help to the local
    one-stop service station are recorded with date and content; the station answers a request."""
    setup_cycle(award)
    add_org(award, 1)
    ref = to_classification(award, 1, "芜湖市家电行业协会")
    # Not yet in the pool: nothing of the cycle's own to record.
    r = award("entry", "add", ref, "self_evaluation", "--text", "自评", now="2025-05-05 09:00")
    assert r.code == 3 and "[WHI-4.4]" in r.err and "只在在创奖孵化池中（本孵化周期）期间登记" in r.err, r
    assert award("advance", ref, "classify", "--set", "class=B", now="2025-05-06 09:00").code == 0

    r = award("entry", "add", ref, "self_evaluation", "--on", "2025-12-15",
              "--text", "对照GB/T 19580开展自我评价：420分，过程管理为弱项", "--json", now="2025-12-16 09:00", who="sun")
    assert r.code == 0, r
    evaluation = r.json["number"]
    r = award("entry", "add", ref, "个性化需求求助（向属地“一站式”服务站）",
              "--text", "希望协助开展自评师培训", "--on", "2026-01-05", "--json", now="2026-01-05 10:00")
    assert r.code == 0, r
    request = r.json["number"]
    # Who answers is the station (the seed: 向属地“一站式”服务站点寻求帮扶), not the 市创奖办.
    r = award("entry", "answer", ref, str(request), "--text", "已安排", now="2026-01-08 09:00")
    assert r.code == 3 and "WHI-4.4" in r.err and "一站式" in r.err, r
    # Bad input changes nothing: an unknown entry, an empty text, a date in the future, a number that is no entry.
    r = award("entry", "add", ref, "visit", "--text", "x", now="2026-01-08 09:00")
    assert r.code == 2 and "self_evaluation（组织自我评价（对照GB/T 19580））" in r.err, r
    assert award("entry", "add", ref, "help_request", "--text", " ", now="2026-01-08 09:00").code == 2
    r = award("entry", "add", ref, "help_request", "--text", "x", "--on", "2026-02-01", now="2026-01-08 09:00")
    assert r.code == 2 and "晚于今天" in r.err, r
    assert award("entry", "answer", ref, "1", "--text", "x", now="2026-01-08 09:00", who="sun").code == 4
    assert award("entry", "answer", ref, str(evaluation), "--text", "x", now="2026-01-08 09:00",
                 who="sun").code == 2  # a self-evaluation is not answered
    r = award("entry", "answer", ref, str(request), "--on", "2026-01-08", "--text", "已安排自评师培训两期",
              now="2026-01-08 09:00", who="sun")
    assert r.code == 0 and "服务站帮扶答复" in r.out, r
    r = award("entry", "answer", ref, str(request), "--text", "再答一次", now="2026-01-09 09:00", who="sun")
    assert r.code == 2 and "已答复" in r.err, r
    # A stranger (no roster entry) records nothing.
    assert award("entry", "add", ref, "help_request", "--text", "x", now="2026-01-08 09:00", who="mallory").code == 3

    entries = show(award, ref)["entries"]
    assert [(e["entry"], e["on"], e["by"]) for e in entries] == [
        ("self_evaluation", "2025-12-15", "sun"), ("help_request", "2026-01-05", "wang")]
    assert entries[0]["answer"] is None and entries[0]["rule"] == "WHI-4.4"
    assert entries[1]["answer"]["text"] == "已安排自评师培训两期" and entries[1]["answer"]["by"] == "sun"
    assert award("entry", "list", ref, "--json").json == entries
    people = award("show", ref).out
    assert "记录事项" in people and "2025年12月15日" in people
    kinds = [e["kind"] for e in award("history", ref, "--json").json["events"]]
    assert kinds[-3:] == ["entry_recorded", "entry_recorded", "entry_answered"]
    assert award("verify", ref).code == 0
    # After the cycle, nothing more is recorded on it.
    assert award("tick", now="2027-03-01 00:10").code == 0
    assert award("entry", "add", ref, "self_evaluation", "--text", "x", now="2027-03-02 09:00").code == 3


def test_a_recommendation_recorded_as_text_before_the_register_still_counts(award: AwardRunner, db_file: str) -> None:
    """Migration: a case opened before recommenders were registered keeps its text; when the text is the
    recommender's registered name, it counts towards that recommender's cap of two."""
    from award.workflow.store import CaseRow
    from sqlalchemy import select, update

    from tests.helpers import _engine

    setup_cycle(award)
    for n in (1, 2, 3):
        add_org(award, n)
    ref1 = open_case(award, 1, "芜湖市质量协会")
    engine = _engine(db_file)  # what release 0.1.0 stored: the name as typed (either backend)
    try:
        with engine.begin() as con:
            data = con.execute(select(CaseRow.data).where(CaseRow.ref == ref1)).scalar_one()
            con.execute(update(CaseRow).where(CaseRow.ref == ref1).values(data={**data, "recommender": "芜湖市质量协会"}))
    finally:
        engine.dispose()
    open_case(award, 2, "芜湖市质量协会", now="2025-03-10 09:10")
    r = award("case", "new", "--party", CODES[3], "--round", "whi-2025", "--track", "pool",
              "--set", f"recommender={recommender_code('芜湖市质量协会')}", now="2025-03-10 09:20")
    assert r.code == 3 and "[WHI-3.2]" in r.err and "本轮已有2个" in r.err, r
