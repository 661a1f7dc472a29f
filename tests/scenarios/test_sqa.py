"""SQA: 上海市质量管理奖 (沪质协（2021）13号), every two years, driven through the CLI.

The same definition serves the 2021 and the 2023 rounds: the deadlines are round dates. Every refusal
asserts the exit code, the rule id and the Chinese reason; state is re-read with `show --json`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AwardRunner
from tests.helpers import resident_id, sets, uscc

MEMBER = uscc("91310000MA1FL1GF9")       # a member unit
OUTSIDER = uscc("91310115MA1H7GQX5")     # not (yet) a member
PERSON = resident_id("31010119700101001")

MATERIALS = ["paper_materials=是", "electronic_materials=是"]
REGISTRATION = ["registration_sealed=是", "registration_paper=是", "registration_electronic=电子邮件"]  # SQA-3.1


def state(award: AwardRunner, ref: str) -> dict:
    res = award("show", ref, "--json")
    assert res.code == 0, res
    return res.json


def open_round(award: AwardRunner, year: int, registration: str, submission: str,
               notice_end: str | None = None) -> None:
    notice = ["--date", f"award_notice_end={notice_end}"] if notice_end else []
    res = award("round", "open", "sqa", str(year), "--date", f"registration_deadline={registration}",
                "--date", f"submission_deadline={submission}", *notice, now=f"{year}-05-01 09:00")
    assert res.code == 0, res


@pytest.fixture
def sqa(award: AwardRunner) -> AwardRunner:
    """The 2021 round (registration by 30 June, submission by 15 August) and three parties."""
    open_round(award, 2021, "2021-06-30", "2021-08-15", "2021-10-25")
    for args in (
        ["--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", MEMBER, "--registered-on", "2010-01-01",
         "--email", "quality@jia.example.com", "--attr", "saq_member=是"],
        ["--kind", "organization", "--name", "上海乙精密制造有限公司", "--code", OUTSIDER, "--registered-on", "2008-04-10",
         "--email", "qm@yi.example.com"],
        ["--kind", "person", "--name", "陈质量", "--code", PERSON, "--email", "chen@example.com",
         "--attr", "saq_member=是"],
    ):
        res = award("party", "add", *args)
        assert res.code == 0, res
    return award


def register(award: AwardRunner, party: str = MEMBER, track: str = "organization", *, round_id: str = "sqa-2021",
             now: str = "2021-06-01 10:00", extra: list[str] | None = None) -> str:
    res = award("case", "new", "--party", party, "--round", round_id, "--track", track,
                *sets([*REGISTRATION, *(extra or [])]), "--json", now=now)
    assert res.code == 0, res
    assert res.json["state"] == "registered"
    return res.json["ref"]


def test_only_member_units_may_register(sqa: AwardRunner) -> None:
    res = sqa("case", "new", "--party", OUTSIDER, "--round", "sqa-2021", "--track", "organization",
              now="2021-06-01 10:00")
    assert res.code == 3, res
    assert "依据：SQA-1" in res.err
    assert "上海市质量管理奖只在上海市质量协会会员单位中组织申报（“上海市质量协会会员单位（个人奖为申报人所在单位）”尚未填写" in res.err
    assert sqa("party", "set", OUTSIDER, "--attr", "saq_member=否").code == 0
    res = sqa("case", "new", "--party", OUTSIDER, "--round", "sqa-2021", "--track", "organization",
              now="2021-06-01 10:00")
    assert res.code == 3 and "为“否”，须为“是”" in res.err, res

    assert sqa("party", "set", OUTSIDER, "--attr", "saq_member=是").code == 0
    ref = register(sqa, OUTSIDER)
    assert state(sqa, ref)["party"]["attrs"] == {"saq_member": True}


def test_registration_closes_at_the_end_of_the_registration_deadline(sqa: AwardRunner, tmp_path: Path) -> None:
    ref = register(sqa, now="2021-06-30 18:00")  # "6月30日前" includes 30 June
    view = state(sqa, ref)
    [timer] = view["timers"]
    assert (timer["trigger"], timer["last_day"], timer["rule"]) == ("lapse", "2021-08-15", "SQA-3.3")
    assert timer["due_at"].startswith("2021-08-16T00:00:00+08:00")  # 16 August 00:00 Asia/Shanghai

    res = sqa("case", "new", "--party", MEMBER, "--round", "sqa-2021", "--track", "project", now="2021-07-01 00:01")
    assert res.code == 3, res
    assert "依据：SQA-3.1" in res.err
    assert "报名须在报名截止日期前提交（“报名截止日期”为2021年6月30日 24:00，已过期）" in res.err

    [outbox] = sqa("outbox", "list", "--case", ref, "--json").json[:1]
    assert outbox["template"] == "registration_received" and outbox["recipient"] == "quality@jia.example.com"
    [letter] = [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "mail").glob("*.eml")][:1]
    assert letter  # delivered to the spool


def test_a_registration_that_never_submits_lapses_at_the_deadline(sqa: AwardRunner) -> None:
    ref = register(sqa)
    assert sqa("advance", ref, "start_coaching", now="2021-07-05 10:00").code == 0
    view = state(sqa, ref)
    assert view["state"] == "coaching"
    assert [t["trigger"] for t in view["timers"]] == ["lapse"]

    assert "触发 0 个" in sqa("tick", now="2021-08-15 23:59").out
    assert state(sqa, ref)["state"] == "coaching"

    # After the deadline, before the tick: the submission itself is refused.
    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-16 00:00:01")
    assert res.code == 3, res
    assert "依据：SQA-3.3" in res.err
    assert "申报材料须在提交截止日期前提交（“申报材料提交截止日期”为2021年8月15日 24:00，已过期）" in res.err

    res = sqa("tick", now="2021-08-16 00:05")
    assert res.code == 0 and "触发 1 个" in res.out, res
    view = state(sqa, ref)
    assert (view["state"], view["closed"]) == ("lapsed", True)
    assert view["state_label"] == "逾期未提交申报材料，报名失效"

    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-16 09:00")
    assert res.code == 3, res
    assert "当前状态“逾期未提交申报材料，报名失效”下不能办理“提交申报材料”（submit）" in res.err
    outbox = sqa("outbox", "list", "--case", ref, "--json").json
    assert {(o["template"], o["role"]) for o in outbox} >= {("lapsed", "applicant"), ("work_lapsed", "office")}


def test_organisation_award_2021_from_registration_to_commendation(sqa: AwardRunner) -> None:
    ref = register(sqa, extra=["contact_email=contact@jia.example.com"])
    assert sqa("advance", ref, "start_coaching", now="2021-06-15 10:00").code == 0

    res = sqa("advance", ref, "submit", now="2021-08-10 10:00")
    assert res.code == 3, res
    assert "依据：SQA-3.3" in res.err and "“已收到加盖公章的纸质申报材料（1正2副装订成册）”尚未填写" in res.err
    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-15 17:00", who="li")
    assert res.code == 3 and "只能由 市质协会员与现场工作部 执行" in res.err, res

    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-15 17:00")  # on the deadline day
    assert res.code == 0, res
    view = state(sqa, ref)
    assert view["state"] == "review" and view["timers"] == []
    assert "触发 0 个" in sqa("tick", now="2021-08-20 00:00").out

    assert sqa("advance", ref, "propose", now="2021-09-20 10:00", who="li").code == 3
    assert sqa("advance", ref, "propose", "--set", "review_opinion=管理成熟度高", now="2021-09-20 10:00",
               who="li").code == 0
    assert state(sqa, ref)["state"] == "committee_review"
    assert sqa("advance", ref, "committee_approve", now="2021-10-15 10:00", who="zhao").code == 0
    assert state(sqa, ref)["state"] == "award_notice"
    # SQA-3.4: the list is on public notice until the date the office set for the round; publication waits.
    res = sqa("advance", ref, "publish_results", "--set", "results_document=沪质协（2021）XX号", now="2021-10-20 10:00")
    assert res.code == 3 and "[SQA-3.4]" in res.err and "至2021年10月25日止" in res.err, res
    assert "触发 0 个" in sqa("tick", now="2021-10-25 23:59").out
    assert "触发 1 个" in sqa("tick", now="2021-10-26 00:01").out
    assert state(sqa, ref)["state"] == "notice_ended"
    res = sqa("advance", ref, "publish_results", "--set", "results_document=沪质协（2021）XX号", now="2021-11-01 10:00")
    assert res.code == 0, res
    view = state(sqa, ref)
    assert view["state"] == "awarded"
    assert [r["award"] for r in sqa("party", "show", MEMBER, "--json").json["records"]] == ["sqa_organization"]
    assert sqa("advance", ref, "commend", "--yes", now="2021-12-10 10:00").code == 0
    view = state(sqa, ref)
    assert (view["state"], view["closed"]) == ("commended", True)
    templates = [o["template"] for o in sqa("outbox", "list", "--case", ref, "--json").json]
    assert templates[:1] == ["registration_received"]
    assert {"application_received", "notice_started", "awarded"} <= set(templates)
    assert all(o["recipient"] in ("contact@jia.example.com", "office@example.gov.cn")
               for o in sqa("outbox", "list", "--case", ref, "--json").json)


def test_the_2023_round_is_the_same_definition_with_other_dates(sqa: AwardRunner) -> None:
    open_round(sqa, 2023, "2023-06-20", "2023-08-31")
    # 2021-style dates do not apply: a registration on 25 June 2023 is too late for 2023.
    res = sqa("case", "new", "--party", MEMBER, "--round", "sqa-2023", "--track", "project", now="2023-06-25 10:00")
    assert res.code == 3, res
    assert "“报名截止日期”为2023年6月20日 24:00，已过期" in res.err

    project = register(sqa, track="project", round_id="sqa-2023", now="2023-06-20 09:00")
    assert project == "SQA-2023-001"
    res = sqa("advance", project, "submit", *sets(MATERIALS), now="2023-08-20 10:00")
    assert res.code == 3, res
    assert "依据：SQA-2" in res.err and "“申报项目名称”" in res.err
    # 20 August is after the 2021 deadline but before the 2023 one.
    res = sqa("advance", project, "submit", *sets([*MATERIALS, "project_name=精益质量改进项目"]),
              now="2023-08-20 10:00")
    assert res.code == 0, res
    assert state(sqa, project)["state"] == "review"

    individual = register(sqa, PERSON, "individual", round_id="sqa-2023", now="2023-06-01 10:00")
    assert sqa("advance", individual, "start_coaching", now="2023-06-10 10:00").code == 0
    assert "触发 0 个" in sqa("tick", now="2023-08-31 23:00").out
    assert "触发 1 个" in sqa("tick", now="2023-09-01 00:00").out
    assert state(sqa, individual)["state"] == "lapsed"
    assert state(sqa, project)["state"] == "review"


def test_individual_award_needs_the_employer(sqa: AwardRunner) -> None:
    ref = register(sqa, PERSON, "individual")
    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-01 10:00")
    assert res.code == 3, res
    assert "[SQA-2] 以下内容尚未填写：“申报人所在单位”" in res.err
    res = sqa("advance", ref, "submit", *sets([*MATERIALS, "employer=上海甲质量科技有限公司"]), now="2021-08-01 10:00")
    assert res.code == 0, res
    assert state(sqa, ref)["state"] == "review"


def test_a_member_that_left_cannot_submit(sqa: AwardRunner) -> None:
    ref = register(sqa)
    assert sqa("party", "set", MEMBER, "--attr", "saq_member=否").code == 0
    res = sqa("advance", ref, "submit", *sets(MATERIALS), now="2021-08-01 10:00")
    assert res.code == 3, res
    assert "[SQA-1] 上海市质量管理奖只在上海市质量协会会员单位中组织申报" in res.err


def test_branches_that_end_a_case(sqa: AwardRunner) -> None:
    refs = [register(sqa, track=t) for t in ("organization", "project", "organization", "project")]
    extra = {refs[1]: ["project_name=项目甲"], refs[3]: ["project_name=项目乙"]}
    for ref in refs[:3] + refs[3:]:
        assert sqa("advance", ref, "submit", *sets([*MATERIALS, *extra.get(ref, [])]), now="2021-08-01 10:00").code == 0

    assert sqa("advance", refs[0], "not_proposed", "--yes", "--set", "review_opinion=尚未形成系统的管理模式",
               now="2021-09-20 10:00", who="li").code == 0
    assert sqa("advance", refs[1], "propose", "--set", "review_opinion=推荐", now="2021-09-20 10:00",
               who="li").code == 0
    res = sqa("advance", refs[1], "committee_reject", "--yes", now="2021-10-15 10:00", who="zhao")
    assert res.code == 3 and "须用 --comment 写明理由" in res.err, res
    assert sqa("advance", refs[1], "committee_reject", "--yes", "--comment", "择优未入选", now="2021-10-15 10:00",
               who="zhao").code == 0
    assert sqa("advance", refs[2], "propose", "--set", "review_opinion=推荐", now="2021-09-20 10:00",
               who="li").code == 0
    assert sqa("advance", refs[2], "committee_approve", now="2021-10-15 10:00", who="zhao").code == 0
    assert sqa("advance", refs[2], "disqualify", "--yes", "--comment", "公示期间收到实名异议，经核实数据不实",
               now="2021-10-25 10:00").code == 0
    assert sqa("advance", refs[3], "withdraw", "--yes", "--comment", "申报单位书面申请撤回", now="2021-09-01 10:00").code == 0

    finals = [state(sqa, r)["state"] for r in refs]
    assert finals == ["not_awarded", "not_awarded", "disqualified", "withdrawn"]
    assert sqa("party", "show", MEMBER, "--json").json["records"] == []
