"""SQI: 卓越管理创新成果评价 (沪质协〔2024〕42号 and its 评价办法), driven through the CLI.

Every refusal asserts the exit code, the rule id and the Chinese reason. State is re-read with
`award show CASE --json` between steps.
"""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from tests.conftest import AwardRunner
from tests.helpers import resident_id, sets, uscc

PRIVATE = uscc("91310000MA1FL1GF9")          # 民营企业, registered 2015
STATE = uscc("91310000132211707")            # 国有企业, registered 2000
YOUNG = uscc("91310115MA1H7GQX5")            # registered 2022: not 3 years yet in 2024
PERSON = resident_id("31010119700101001")

OPEN = "2024-06-27 10:00"
BEFORE_DEADLINE = "2024-08-20 10:00"

ORG_CONDITIONS = [
    "registered_in_shanghai=是", "compliant=是", "improvement_activity_on=2023-11-15",
    "csr_report=是", "materials_received=是", "contact_email=quality@example.com",
    "title=以顾客为中心的卓越质量管理模式", "overview=公司简介。", "content=成果内容。", "results=管理成效。",
]
RECOMMENDER_OPINION = ["recommender_opinion=同意推荐", "recommender_opinion_on=2024-06-28", "recommender_sealed=是"]
PERSON_CONDITIONS = [
    "employer=上海某某精密制造有限公司", "employer_registered_in_shanghai=是", "quality_work_since=2010-03-01",
    "materials_received=是", "contact_email=person@example.com",
    "title=质量经验", "overview=所在组织简介。", "content=经验内容。",
]


def state(award: AwardRunner, ref: str) -> dict:
    res = award("show", ref, "--json")
    assert res.code == 0, res
    return res.json


@pytest.fixture
def sqi(award: AwardRunner) -> AwardRunner:
    """A 2024 round (deadline 2024-08-23 15:00) and three parties."""
    res = award("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now=OPEN)
    assert res.code == 0, res
    for kind, name, code, reg in [
        ("organization", "上海甲质量科技有限公司", PRIVATE, "2015-06-01"),
        ("organization", "上海乙国有资产经营有限公司", STATE, "2000-01-01"),
        ("organization", "上海丙新创科技有限公司", YOUNG, "2022-03-01"),
    ]:
        res = award("party", "add", "--kind", kind, "--name", name, "--code", code, "--registered-on", reg,
                    "--email", "info@example.com")
        assert res.code == 0, res
    res = award("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON,
                "--email", "chen@example.com")
    assert res.code == 0, res
    return award


def open_case(award: AwardRunner, party: str = PRIVATE, track: str = "model", *, direct: bool = True,
              extra: list[str] | None = None, now: str = "2024-07-01 09:00") -> str:
    if direct:
        args = ["--start", "direct", *sets(["ownership=private", *(extra or [])])]
    else:
        args = ["--start", "recommend",
                *sets(["recommender=上海某某集团有限公司", "recommender_kind=group", *RECOMMENDER_OPINION,
                       *(extra or [])])]
    res = award("case", "new", "--party", party, "--round", "sqi-2024", "--track", track, *args, "--json", now=now)
    assert res.code == 0, res
    return res.json["ref"]


def submitted(award: AwardRunner, **kw: object) -> str:
    """A model case submitted before the deadline, now in condition review."""
    ref = open_case(award, **kw)  # type: ignore[arg-type]
    res = award("advance", ref, "submit", *sets(ORG_CONDITIONS), now=BEFORE_DEADLINE)
    assert res.code == 0, res
    assert state(award, ref)["state"] == "condition_review"
    checklist_met(award, ref)
    return ref


def checklist_met(award: AwardRunner, ref: str, now: str = BEFORE_DEADLINE) -> None:
    """The secretariat finds every condition-review checklist item 符合 (SQI-5/6)."""
    res = award("checklist", "record", ref, "--all", "--finding", "符合", now=now)
    assert res.code == 0, res


def to_approval(award: AwardRunner, ref: str, now: str = "2024-09-20 10:00") -> None:
    checklist_met(award, ref, now)
    assert award("advance", ref, "pass_conditions", "--set", "condition_opinion=符合条件", now=now).code == 0
    assert award("advance", ref, "shortlist", "--set", "preliminary_opinion=进入专家会审", now=now, who="li").code == 0
    assert award("advance", ref, "recommend", "--set", "panel_opinion=推荐", now=now, who="li").code == 0
    assert state(award, ref)["state"] == "approval"


def mails(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every spooled e-mail."""
    out = []
    for path in sorted((tmp_path / "mail").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        out.append((str(msg["To"]), str(msg["Subject"]), body.get_content() if body else ""))
    return out


# ---------------------------------------------------------------- report length limits (SQI-A2, SQI-A3)


def test_a_31_character_title_is_refused_naming_the_field_and_the_limit(sqi: AwardRunner) -> None:
    title31 = "卓" * 31
    res = sqi("case", "new", "--party", PRIVATE, "--round", "sqi-2024", "--track", "model", "--start", "direct",
              *sets(["ownership=private", f"title={title31}"]), now="2024-07-01 09:00")
    assert res.code == 2, res
    assert "“成果标题”（title）共31字，超过30字的上限" in res.err

    ref = open_case(sqi)
    res = sqi("advance", ref, "submit", *sets([*ORG_CONDITIONS, f"title={title31}"]), now=BEFORE_DEADLINE)
    assert res.code == 2, res
    assert "成果标题" in res.err and "30字" in res.err
    assert state(sqi, ref)["state"] == "draft"

    # 30 characters, with spaces that the office does not count, is accepted.
    res = sqi("advance", ref, "submit", *sets([*ORG_CONDITIONS, "title=" + "卓越 " * 15]), now=BEFORE_DEADLINE)
    assert res.code == 0, res
    assert state(sqi, ref)["data"]["title"] == ("卓越 " * 15).strip()


def test_content_limit_is_8000_for_organisations_and_5000_for_individuals(sqi: AwardRunner) -> None:
    ref = open_case(sqi)
    res = sqi("advance", ref, "submit", *sets([*ORG_CONDITIONS, "content=" + "字" * 8001]), now=BEFORE_DEADLINE)
    assert res.code == 2, res
    assert "“成果内容”（content）共8001字，超过8000字的上限" in res.err
    res = sqi("advance", ref, "submit", *sets([*ORG_CONDITIONS, "overview=" + "概" * 2001]), now=BEFORE_DEADLINE)
    assert res.code == 2, res
    assert "“组织概述”（overview）共2001字，超过2000字的上限" in res.err
    res = sqi("advance", ref, "submit", *sets([*ORG_CONDITIONS, "content=" + "字" * 5001]), now=BEFORE_DEADLINE)
    assert res.code == 0, res

    person = open_case(sqi, PERSON, "experience")
    res = sqi("advance", person, "submit", *sets([*PERSON_CONDITIONS, "content=" + "字" * 5001]), now=BEFORE_DEADLINE)
    assert res.code == 3, res
    assert "[SQI-A3]" in res.err
    assert "“成果内容”共5001字，超过5000字的上限" in res.err
    assert state(sqi, person)["state"] == "draft"
    res = sqi("advance", person, "submit", *sets([*PERSON_CONDITIONS, "content=" + "字" * 5000]), now=BEFORE_DEADLINE)
    assert res.code == 0, res


def test_the_report_is_required(sqi: AwardRunner) -> None:
    ref = open_case(sqi)
    without = [s for s in ORG_CONDITIONS if not s.startswith(("title=", "content="))]
    res = sqi("advance", ref, "submit", *sets(without), now=BEFORE_DEADLINE)
    assert res.code == 3, res
    assert "[SQI-N2.3.1]" in res.err
    assert "尚未填写：“成果标题”（title）、“成果内容”（content）" in res.err


# ---------------------------------------------------------------- recommendation or direct application (SQI-8)


def test_a_state_owned_enterprise_cannot_apply_directly(sqi: AwardRunner) -> None:
    res = sqi("case", "new", "--party", STATE, "--round", "sqi-2024", "--track", "model", "--start", "direct",
              "--set", "ownership=state_owned", now="2024-07-01 09:00")
    assert res.code == 3, res
    assert "[SQI-8]" in res.err and "依据：SQI-8" in res.err
    assert "只有外商企业、民营企业、专精特新中小企业可直接申报" in res.err
    assert "“申报单位类型”为“在沪央企、国有企业”" in res.err
    assert sqi("cases", "--json").json == []

    # Without a declared type, a direct application is refused too.
    res = sqi("case", "new", "--party", STATE, "--round", "sqi-2024", "--track", "model", "--start", "direct",
              now="2024-07-01 09:00")
    assert res.code == 3, res
    assert "[SQI-8]" in res.err

    # Recommended by its group company, the same enterprise may apply.
    ref = open_case(sqi, STATE, direct=False, extra=["ownership=state_owned"])
    assert state(sqi, ref)["state"] == "draft"
    res = sqi("advance", ref, "submit", *sets(ORG_CONDITIONS), now=BEFORE_DEADLINE)
    assert res.code == 0, res


def test_foreign_private_and_specialised_smes_may_apply_directly(sqi: AwardRunner) -> None:
    for answers in (["ownership=private"], ["ownership=foreign"], ["ownership=民营企业"],
                    # 附件2/3 ask two questions: a state-owned enterprise may be a 专精特新 SME (issue 14, point 17)
                    ["ownership=state_owned", "specialised_sme=是"], ["specialised_sme=是"]):
        res = sqi("case", "new", "--party", STATE, "--round", "sqi-2024", "--track", "practice", "--start", "direct",
                  *sets(answers), "--json", now="2024-07-01 09:00")
        assert res.code == 0, (answers, res)
        assert res.json["state"] == "draft"
    # A direct applicant that changes its type afterwards is refused at submission.
    res = sqi("advance", res.json["ref"], "submit",
              *sets([*ORG_CONDITIONS, "ownership=state_owned", "specialised_sme=否"]), now=BEFORE_DEADLINE)
    assert res.code == 3, res
    assert "[SQI-8]" in res.err and "“申报单位类型”为“在沪央企、国有企业”" in res.err
    # A recommendation names the recommender and its kind.
    res = sqi("case", "new", "--party", STATE, "--round", "sqi-2024", "--track", "model", "--start", "recommend",
              now="2024-07-01 09:00")
    assert res.code == 2, res
    assert "以“经推荐申报（SQI-8）”开启案件须填写：推荐单位、推荐单位类别" in res.err


# ---------------------------------------------------------------- conditions (SQI-5, SQI-6)


def test_organisation_conditions(sqi: AwardRunner) -> None:
    ref = open_case(sqi, YOUNG)
    res = sqi("advance", ref, "submit",
              *sets([*ORG_CONDITIONS, "improvement_activity_on=2022-08-19", "csr_report=否"]), now=BEFORE_DEADLINE)
    assert res.code == 3, res
    assert "依据：SQI-5" in res.err
    assert "须生产经营3年以上（“登记注册日期”为2022年3月1日，至2024年8月20日满2年，不满3年" in res.err
    assert "近2年内参与过" in res.err and "“最近一次参与本市、区两级政府相关部门或市质协组织的质量提升活动的日期”为2022年8月19日，不在近2年内（须不早于2022年8月20日）" in res.err
    assert "“发布社会责任报告或披露ESG相关信息”为“否”" in res.err
    assert state(sqi, ref)["state"] == "draft"

    ok = open_case(sqi)
    res = sqi("advance", ok, "submit", *sets([*ORG_CONDITIONS, "improvement_activity_on=2022-08-20"]),
              now=BEFORE_DEADLINE)
    assert res.code == 0, res


def test_individual_conditions(sqi: AwardRunner) -> None:
    ref = open_case(sqi, PERSON, "experience")
    res = sqi("advance", ref, "submit",
              *sets([*PERSON_CONDITIONS, "quality_work_since=2015-01-01", "employer_registered_in_shanghai=否"]),
              now=BEFORE_DEADLINE)
    assert res.code == 3, res
    assert "依据：SQI-6" in res.err
    assert "须从事质量或质量相关工作10年以上" in res.err and "满9年，不满10年" in res.err
    assert "申报人须为在本市行政区域内登记注册组织的职工" in res.err
    res = sqi("advance", ref, "submit", *sets(PERSON_CONDITIONS), now=BEFORE_DEADLINE)
    assert res.code == 0, res
    # An organisation cannot apply on the individual track.
    res = sqi("case", "new", "--party", PRIVATE, "--round", "sqi-2024", "--track", "experience", "--start", "direct",
              "--set", "ownership=private", now="2024-07-01 09:00")
    assert res.code == 3, res
    assert "只接受个人申报" in res.err


# ---------------------------------------------------------------- the submission deadline with its hour


def test_submission_closes_at_15_00_on_23_august_2024(sqi: AwardRunner) -> None:
    late = open_case(sqi)
    res = sqi("advance", late, "submit", *sets(ORG_CONDITIONS), now="2024-08-23 15:01")
    assert res.code == 3, res
    assert "依据：SQI-N2.3.1" in res.err
    assert "申报材料须在报送截止时间前报送（“材料报送截止时间”为2024年8月23日 15:00，已过期）" in res.err
    assert state(sqi, late)["state"] == "draft"

    on_time = open_case(sqi)
    res = sqi("advance", on_time, "submit", *sets(ORG_CONDITIONS), now="2024-08-23 15:00")
    assert res.code == 0, res
    assert state(sqi, on_time)["state"] == "condition_review"


def test_every_year_is_a_round_of_the_same_definition(sqi: AwardRunner) -> None:
    res = sqi("round", "open", "sqi", "2025", "--date", "submission_deadline=2025-08-22 17:00", now="2025-06-01 09:00")
    assert res.code == 0, res
    res = sqi("case", "new", "--party", PRIVATE, "--round", "sqi-2025", "--track", "model", "--start", "direct",
              "--set", "ownership=private", "--json", now="2025-07-01 09:00")
    assert res.code == 0, res
    ref = res.json["ref"]
    assert ref == "SQI-2025-001"
    # 15:01 would be too late in 2024; in 2025 the deadline is 17:00.
    assert sqi("advance", ref, "submit", *sets(ORG_CONDITIONS), now="2025-08-22 15:01").code == 0
    late = sqi("case", "new", "--party", STATE, "--round", "sqi-2025", "--track", "model", "--start", "direct",
               "--set", "ownership=foreign", "--json", now="2025-07-01 09:00").json["ref"]
    res = sqi("advance", late, "submit", *sets(ORG_CONDITIONS), now="2025-08-22 17:01")
    assert res.code == 3, res
    assert "2025年8月22日 17:00，已过期" in res.err


# ---------------------------------------------------------------- condition review and supplements (SQI-9)


def test_a_supplement_that_comes_a_day_late_is_refused_by_itself(sqi: AwardRunner, tmp_path: Path) -> None:
    ref = submitted(sqi)
    # Thursday 12 September 2024: 5 working days, the request day not counted: 13 (Fri), 14 (Saturday, a
    # make-up working day), 18, 19, 20 September (15-17 are the Mid-Autumn holiday).
    res = sqi("advance", ref, "request_supplement", "--set", "supplement_items=请补充近三年质量提升活动证明材料",
              "--set", "supplement_deadline=5个工作日", now="2024-09-12 10:00")
    assert res.code == 0, res
    view = state(sqi, ref)
    assert view["state"] == "supplement_requested"
    [timer] = view["timers"]
    assert (timer["trigger"], timer["last_day"], timer["rule"]) == ("supplement_overdue", "2024-09-20", "SQI-9")
    assert timer["due_at"].startswith("2024-09-21T00:00:00+08:00")  # 21 September 00:00 Asia/Shanghai
    [letter] = [m for m in mails(tmp_path) if "请限期补充材料" in m[1]]
    assert letter[0] == "quality@example.com"
    assert "请补充近三年质量提升活动证明材料" in letter[2] and "请于2024年9月20日（含当日）前提供" in letter[2]

    # A day late, before the timer has run: refused by the guard.
    res = sqi("advance", ref, "supply", "--set", "csr_report=是", now="2024-09-21 09:00")
    assert res.code == 3, res
    assert "依据：SQI-9" in res.err
    assert "补充材料须在规定时间内提供（“限期补充材料中”的期限为5个工作日（进入该状态当日不计），已于2024年9月20日届满，现已逾期）" in res.err
    assert state(sqi, ref)["state"] == "supplement_requested"

    # The tick on the last day does nothing; the one after it refuses the case by itself.
    assert "触发 0 个" in sqi("tick", "-v", now="2024-09-20 23:59").out
    assert state(sqi, ref)["state"] == "supplement_requested"
    res = sqi("tick", "-v", now="2024-09-21 00:05")
    assert res.code == 0 and "触发 1 个" in res.out, res
    view = state(sqi, ref)
    assert (view["state"], view["closed"]) == ("refused", True)
    assert view["state_label"] == "逾期未补充材料，条件审查不予通过"

    res = sqi("advance", ref, "supply", now="2024-09-21 09:00")
    assert res.code == 3, res
    assert "当前状态“逾期未补充材料，条件审查不予通过”下不能办理“在规定时间内补充材料”（supply）" in res.err
    assert sqi("outbox", "deliver").code == 0  # a tick leaves its notifications to the deliverer
    assert any("逾期未补充材料" in m[1] and m[0] == "quality@example.com" for m in mails(tmp_path))


def test_a_supplement_in_time_returns_to_condition_review(sqi: AwardRunner) -> None:
    ref = submitted(sqi)
    res = sqi("advance", ref, "request_supplement", now="2024-09-12 10:00")
    assert res.code == 3, res
    assert "[SQI-9] 尚未填写：“需补充的材料或说明”（supplement_items）" in res.err
    assert sqi("advance", ref, "request_supplement", "--set", "supplement_items=请说明ESG披露情况",
               "--set", "supplement_deadline=5 working days", now="2024-09-12 10:00").code == 0
    res = sqi("advance", ref, "supply", "--set", "results=补充的管理成效说明。", now="2024-09-20 23:00")
    assert res.code == 0, res
    view = state(sqi, ref)
    assert view["state"] == "condition_review" and view["timers"] == []
    assert "触发 0 个" in sqi("tick", "-v", now="2024-10-01 00:00").out
    assert state(sqi, ref)["state"] == "condition_review"
    assert sqi("advance", ref, "pass_conditions", now="2024-09-23 10:00").code == 0


def test_condition_review_may_reject(sqi: AwardRunner, tmp_path: Path) -> None:
    ref = submitted(sqi)
    res = sqi("advance", ref, "reject_conditions", "--yes", now="2024-09-02 10:00")
    assert res.code == 3 and "须用 --comment 写明理由" in res.err, res
    res = sqi("advance", ref, "reject_conditions", "--yes", "--comment", "证实性材料不完整", now="2024-09-02 10:00")
    assert res.code == 0, res
    assert state(sqi, ref)["state"] == "rejected"
    assert any("条件审查结果通知" in m[1] and "证实性材料不完整" in m[2] for m in mails(tmp_path))


# ---------------------------------------------------------------- review, approval, publicity, publication


def test_publicity_crosses_national_day_with_an_objection_then_publication(sqi: AwardRunner, tmp_path: Path) -> None:
    ref = submitted(sqi)
    to_approval(sqi, ref)
    res = sqi("advance", ref, "approve", now="2024-09-27 10:00", who="zhao")
    assert res.code == 3, res
    assert "尚未填写：“评价等级”（grade）" in res.err
    res = sqi("advance", ref, "approve", "--set", "grade=标杆级", now="2024-09-27 10:00", who="zhao")
    assert res.code == 0, res
    view = state(sqi, ref)
    assert (view["state"], view["data"]["grade"]) == ("publicity", "benchmark")
    [timer] = view["timers"]
    # 7 natural days from 28 September: National Day (1-7 October) does not stretch it.
    assert (timer["trigger"], timer["last_day"], timer["rule"]) == ("publicity_elapsed", "2024-10-04", "SQI-13")
    [letter] = [m for m in mails(tmp_path) if "审定结果公示" in m[1]]
    assert "评价等级为标杆级" in letter[2] and "公示时间为7个自然日，至2024年10月4日止" in letter[2]

    res = sqi("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "成果数据与年报不符",
              now="2024-10-01 10:00")
    assert res.code == 0, res
    view = state(sqi, ref)
    assert view["held"] is True
    [objection] = view["objections"]
    assert objection["status"] == "open"

    assert "触发 0 个" in sqi("tick", "-v", now="2024-10-04 23:00").out
    res = sqi("tick", "-v", now="2024-10-05 00:10")
    assert "暂缓 1 个" in res.out and "SQI-17" not in res.err, res
    assert "有1件异议尚未处理完毕" in res.out
    assert state(sqi, ref)["state"] == "publicity"

    res = sqi("objection", "resolve", str(objection["id"]), "--dismiss", "--reason", "经核查，数据口径一致",
              now="2024-10-08 10:00")
    assert res.code == 0, res
    assert state(sqi, ref)["held"] is False
    res = sqi("tick", "-v", now="2024-10-08 10:05")
    assert "触发 1 个" in res.out, res
    view = state(sqi, ref)
    assert (view["state"], view["closed"]) == ("published", False)  # the certificate is still to be issued
    assert view["state_label"] == "评价结果已发布，待颁发成果评价证书"
    party = sqi("party", "show", PRIVATE, "--json").json
    assert [r["award"] for r in party["records"]] == ["sqi_model"]
    assert sqi("outbox", "deliver").code == 0
    [letter] = [m for m in mails(tmp_path) if "评价结果发布" in m[1]]
    assert "获评2024年卓越质量管理模式（组织）标杆级" in letter[2]
    assert any("收到异议" in m[1] for m in mails(tmp_path))


def test_publicity_without_objection_publishes_after_seven_natural_days(sqi: AwardRunner) -> None:
    ref = submitted(sqi)
    to_approval(sqi, ref)
    assert sqi("advance", ref, "approve", "--set", "grade=excellent", now="2024-10-25 10:00", who="zhao").code == 0
    assert "触发 0 个" in sqi("tick", "-v", now="2024-11-01 23:59").out
    assert "触发 1 个" in sqi("tick", "-v", now="2024-11-02 00:00").out
    assert state(sqi, ref)["state"] == "published"


def test_an_upheld_objection_cancels_the_result(sqi: AwardRunner) -> None:
    ref = submitted(sqi)
    to_approval(sqi, ref)
    res = sqi("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "不实",
              now="2024-09-25 10:00")
    assert res.code == 3, res
    assert "不在公示期内" in res.err
    assert sqi("advance", ref, "approve", "--set", "grade=advancing", now="2024-09-27 10:00", who="zhao").code == 0
    res = sqi("objection", "file", ref, "--by", "李四", "--contact", "lisi@example.com", "--reason", "成果抄袭",
              now="2024-09-30 10:00")
    assert res.code == 0, res
    oid = state(sqi, ref)["objections"][0]["id"]
    res = sqi("objection", "resolve", str(oid), "--uphold", "--reason", "经核实，成果内容与他人成果雷同",
              now="2024-10-08 10:00")
    assert res.code == 0, res
    view = state(sqi, ref)
    assert (view["state"], view["closed"]) == ("cancelled", True)
    assert "触发 0 个" in sqi("tick", "-v", now="2024-10-10 00:00").out


def test_site_verification_only_when_the_office_asks(sqi: AwardRunner, tmp_path: Path) -> None:
    ref = submitted(sqi)
    assert sqi("advance", ref, "pass_conditions", now="2024-09-02 10:00").code == 0
    assert sqi("advance", ref, "shortlist", "--set", "preliminary_opinion=入围", now="2024-09-10 10:00",
               who="li").code == 0
    res = sqi("advance", ref, "request_site_verification", now="2024-09-20 10:00", who="li")
    assert res.code == 3, res
    assert "只能由 市质协秘书处（会员与质量推进部） 执行" in res.err
    res = sqi("advance", ref, "request_site_verification", "--set", "panel_opinion=需现场验证管理实践",
              now="2024-09-20 10:00")
    assert res.code == 0, res
    assert state(sqi, ref)["state"] == "site_verification"
    assert any("现场验证安排" in m[1] for m in mails(tmp_path))
    res = sqi("advance", ref, "verify_and_recommend", now="2024-10-08 10:00", who="li")
    assert res.code == 3 and "“现场验证情况”（site_report）" in res.err, res
    res = sqi("advance", ref, "verify_and_recommend", "--set", "site_report=现场访谈验证属实",
              now="2024-10-08 10:00", who="li")
    assert res.code == 0, res
    assert state(sqi, ref)["state"] == "approval"


BRANCHES = [
    ([("not_shortlisted", ["preliminary_opinion=创新性不足"], "li", None)], "not_shortlisted"),
    ([("recommend_after_preliminary", ["preliminary_opinion=推荐优秀级"], "li", None),
      ("not_approve", [], "zhao", "审定未通过")], "not_approved"),
    ([("shortlist", ["preliminary_opinion=入围"], "li", None),
      ("not_recommend", ["panel_opinion=答辩不充分"], "li", None)], "not_recommended"),
    ([("shortlist", ["preliminary_opinion=入围"], "li", None),
      ("request_site_verification", [], "wang", None),
      ("verify_not_recommend", ["site_report=实践与报告不符"], "li", None)], "not_recommended"),
    ([("withdraw", [], "wang", "申报单位书面申请撤回")], "withdrawn"),
]


def test_review_branches(sqi: AwardRunner) -> None:
    refs = [submitted(sqi) for _ in BRANCHES]
    for ref, (steps, final) in zip(refs, BRANCHES, strict=True):
        assert sqi("advance", ref, "pass_conditions", now="2024-09-02 10:00").code == 0
        for trigger, values, who, comment in steps:
            args = ["advance", ref, trigger, "--yes", *sets(values)] + (["--comment", comment] if comment else [])
            res = sqi(*args, now="2024-09-20 10:00", who=who)
            assert res.code == 0, (ref, trigger, res)
        view = state(sqi, ref)
        assert (view["state"], view["closed"]) == (final, True), ref


def test_an_individual_goes_all_the_way(sqi: AwardRunner) -> None:
    ref = open_case(sqi, PERSON, "experience", direct=False)
    assert sqi("advance", ref, "submit", *sets(PERSON_CONDITIONS), now=BEFORE_DEADLINE).code == 0
    to_approval(sqi, ref)
    assert sqi("advance", ref, "approve", "--set", "grade=优秀级", now="2024-10-25 10:00", who="zhao").code == 0
    assert "触发 1 个" in sqi("tick", "-v", now="2024-11-02 00:00").out
    view = state(sqi, ref)
    assert (view["state"], view["data"]["category"], view["data"]["grade"]) == ("published", "experience", "excellent")
