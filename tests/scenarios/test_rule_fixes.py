"""Rules the definitions got wrong (issue 14, points 9-18), each replayed through the CLI.

Every test here failed before its fix: it asserts the refusal (exit 3, the rule it cites, nothing
changed) or the behaviour the seed requires.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AwardRunner
from tests.helpers import PERSON_DECLARATIONS, sets
from tests.scenarios import test_sqi as sqi_steps
from tests.scenarios import test_whi as whi
from tests.scenarios.test_sha_refusals import (
    OPENED,
    ORG,
    PERSON,
    ROUND,
    add_org,
    add_person,
    ok,
    ready,
    refused,
)


def state(award: AwardRunner, ref: str) -> str:
    return str(award("show", ref, "--json").json["state"])


# ------------------------------------------------------------------- SHA


def test_sha17_the_principal_question_must_be_answered(award: AwardRunner) -> None:
    """Point 9: a blank `is_principal` used to skip the principal clause; now it is asked at submission."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_person(award)
    ref = ready(award, PERSON, "gold_achievement")
    fill = [d for d in PERSON_DECLARATIONS if not d.startswith("is_principal=")] + ["quality_work_since=2015-03-01"]
    r = award("advance", ref, "submit", *sets(fill), now="2026-03-20 09:00")
    refused(r, 3, "SHA-17", "须写明申报个人是否为所在组织主要负责人")
    assert state(award, ref) == "ready"
    # A principal must also answer for the organisation: no major accident etc.
    r = award("advance", ref, "submit", *sets([*fill, "is_principal=是"]), now="2026-03-20 09:00")
    refused(r, 3, "SHA-17", "其所在组织近5年应无重大事故")
    ok(award("advance", ref, "submit", *sets([*fill, "is_principal=否"]), now="2026-03-20 09:00"))


def test_one_case_per_round_cites_the_offices_own_rule(award: AwardRunner) -> None:
    """Point 15: the intake rule is the project's (AWD-6), not SHA-18 (which bars the same year's district award)."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_org(award)
    ok(award("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED))
    r = award("case", "new", "--party", ORG, "--round", ROUND, "--track", "mayor_model", now=OPENED)
    refused(r, 3, "AWD-6", "同一申报主体本轮只能有一件申报")
    assert "SHA-18" not in r.err.split("依据：")[1]


def test_an_organisation_cannot_open_an_achievement_case_and_the_refusal_cites_sha2(award: AwardRunner) -> None:
    """Point 6: the refusal names SHA-2 (achievements are for individuals)."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_org(award)
    r = award("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_achievement", now=OPENED)
    refused(r, 3, "SHA-2", "只接受个人申报")


def test_a_submit_during_the_internal_notice_cites_sha20_and_its_last_day(award: AwardRunner) -> None:
    """Point 6: no empty `[]`: the refusal names the running notice's rule and the day it ends."""
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_org(award)
    ok(award("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED))
    ok(award("advance", "SHA-2026-001", "start_internal_notice", now="2026-03-02 11:00"))
    r = award("advance", "SHA-2026-001", "submit", now="2026-03-04 09:00")
    refused(r, 3, "SHA-20", "“内部公示中”尚未结束", "至2026年3月9日止")
    assert "[]" not in r.err


def test_sha33_a_yearly_report_goes_to_the_office_and_the_district_bureau(award: AwardRunner, tmp_path: Path) -> None:
    """Point 18: a submitted report is sent on to the 市审定办 and the district bureau (and only the office records it)."""
    from tests.scenarios import test_sha_tracks as tracks

    ok(award("round", "open", "sha", "2026", now=OPENED))
    walk = tracks.to_awarded(award, tracks.ORG_A, "gold_model")
    report = tmp_path / "质量绩效报告2027.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    r = award("report", "submit", walk.ref, "--year", "1", "--file", str(report), now="2027-09-01 09:00", who="li")
    refused(r, 3, "SHA-33")
    ok(award("report", "submit", walk.ref, "--year", "1", "--file", str(report), now="2027-09-01 09:00"))
    rows = [r for r in award("outbox", "list", "--case", walk.ref, "--json").json if r["template"] == "report_received"]
    assert {r["recipient"] for r in rows} == {"office@example.gov.cn", "pudong@example.gov.cn"}, rows


# ------------------------------------------------------------------- SQI


def test_sqi_benchmark_grade_needs_the_expert_panel_review(award: AwardRunner) -> None:
    """Point 11 (notice 二（三）2): a case recommended straight after the preliminary review cannot be 标杆级."""
    _sqi_round(award)
    ref = sqi_steps.submitted(award)
    now = "2024-09-20 10:00"
    ok(award("advance", ref, "pass_conditions", "--set", "condition_opinion=符合条件", now=now))
    ok(award("advance", ref, "recommend_after_preliminary", "--set", "preliminary_opinion=推荐", now=now, who="li"))
    r = award("advance", ref, "approve", "--set", "grade=标杆级", now="2024-09-27 10:00", who="zhao")
    refused(r, 3, "SQI-N2.3.2", "未经专家会审")
    assert state(award, ref) == "approval"
    ok(award("advance", ref, "approve", "--set", "grade=优秀级", now="2024-09-27 10:00", who="zhao"))


def test_sqi_ownership_and_specialised_sme_are_two_questions(award: AwardRunner) -> None:
    """Point 17 (附件2/3): a state-owned 专精特新 SME may apply directly; one choice could not say so."""
    _sqi_round(award)
    r = award("case", "new", "--party", sqi_steps.PRIVATE, "--round", "sqi-2024", "--track", "practice", "--start",
              "direct", *sets(["ownership=在沪央企、国有企业", "specialised_sme=是"]), "--json", now="2024-07-01 09:00")
    ok(r)
    assert r.json["data"]["ownership"] == "state_owned" and r.json["data"]["specialised_sme"] is True


def _sqi_round(award: AwardRunner) -> None:
    ok(award("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now="2024-06-27 09:00"))
    ok(award("party", "add", "--kind", "organization", "--name", "上海某某民营科技有限公司", "--code", sqi_steps.PRIVATE,
             "--registered-on", "2015-06-01", "--email", "q@private.example.com"))


# ------------------------------------------------------------------- WHI


def test_whi41_the_survey_is_the_stations_and_its_approval_the_county_offices(award: AwardRunner) -> None:
    """Point 13: the 市创奖办 (wang) can neither do the survey nor approve it."""
    whi.setup_cycle(award)
    whi.add_org(award, 1)
    ref = whi.open_case(award, 1, "弋江区质量发展委员会")
    ok(award("advance", ref, "submit", *sets(whi.CONDITIONS), now="2025-03-12 10:00"))
    r = award("advance", ref, "complete_survey", *sets([*whi.SURVEY, "survey_class=B"]), now="2025-04-20 15:00")
    refused(r, 3, "WHI-4.1", "质量基础设施“一站式”服务站")
    ok(award("advance", ref, "complete_survey", *sets([*whi.SURVEY, "survey_class=B"]), now="2025-04-20 15:00",
             who="sun"))
    r = award("advance", ref, "approve_survey", "--set", "survey_approval=同意", now="2025-04-28 09:00")
    refused(r, 3, "WHI-4.1", "县市区、开发区质量发展委员会办公室")
    assert state(award, ref) == "survey_review"


def test_whi42_d_never_above_c_after_a_removal_or_withdrawal(award: AwardRunner) -> None:
    """Point 12: removing or withdrawing the only C organisation would leave a D alone: refused until reclassified."""
    whi.setup_cycle(award)
    for n in (1, 2, 3):
        whi.add_org(award, n)
    c = whi.admit(award, 1, "芜湖市家电行业协会", "C")
    d = whi.admit(award, 2, "芜湖市汽车零部件行业协会", "D")
    r = award("advance", c, "withdraw", "--yes", "--comment", "自愿退出", now="2025-06-01 09:00")
    refused(r, 3, "WHI-4.2", "退出后D类组织将多于C类组织")
    r = award("advance", c, "remove_accident", "--yes", "--comment", "发生重大安全事故", now="2025-06-01 09:00")
    refused(r, 3, "WHI-4.2", "移出后D类组织将多于C类组织")
    assert state(award, c) == "incubating"
    # The recorded way out: reclassify the D organisation first (with its reason), then the C one may leave.
    ok(award("advance", d, "reclassify", "--set", "class=C", "--comment", "诊断后调整为C类", now="2025-06-02 09:00"))
    ok(award("advance", c, "remove_accident", "--yes", "--comment", "发生重大安全事故", now="2025-06-03 09:00"))
    assert state(award, c) == "removed"
    # A D organisation may always leave.
    e = whi.admit(award, 3, "三山经济开发区质量发展委员会", "D")
    ok(award("advance", e, "withdraw", "--yes", "--comment", "自愿退出", now="2025-06-04 09:00"))


# ------------------------------------------------------------------- SQA


def test_sqa34_the_list_goes_on_public_notice_and_an_objection_holds_publication(award: AwardRunner) -> None:
    """Point 14: the committee's list is publicly noticed until the round's date; an objection holds it."""
    from tests.scenarios import test_sqa as steps

    steps.open_round(award, 2021, "2021-06-30", "2021-08-15", "2021-10-25")
    ok(award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", steps.MEMBER,
             "--registered-on", "2010-01-01", "--attr", "saq_member=是", "--email", "q@member.example.com"))
    r = award("case", "new", "--party", steps.MEMBER, "--round", "sqa-2021", "--track", "organization",
              *sets(steps.REGISTRATION), "--json", now="2021-06-01 09:00")
    ok(r)
    ref = r.json["ref"]
    ok(award("advance", ref, "submit", *sets(steps.MATERIALS), now="2021-08-10 10:00"))
    ok(award("advance", ref, "propose", "--set", "review_opinion=推荐", now="2021-09-20 10:00", who="li"))
    ok(award("advance", ref, "committee_approve", now="2021-10-15 10:00", who="zhao"))
    ok(award("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "数据不实",
             now="2021-10-20 10:00"))
    assert "触发 0 个" in award("tick", now="2021-10-26 00:05", who=None).out
    assert state(award, ref) == "award_notice"
    r = award("advance", ref, "publish_results", "--set", "results_document=沪质协（2021）XX号", now="2021-11-01 10:00")
    refused(r, 3, "SQA-3.4")
    ok(award("objection", "resolve", "1", "--dismiss", "--reason", "经核实数据属实", now="2021-11-02 10:00"))
    ok(award("tick", now="2021-11-02 10:05", who=None))
    assert state(award, ref) == "notice_ended"
    ok(award("advance", ref, "publish_results", "--set", "results_document=沪质协（2021）XX号", now="2021-11-03 10:00"))
    assert state(award, ref) == "awarded"


def test_sha19_the_help_example_opens_an_announced_round(award: AwardRunner) -> None:
    """Point 20: `award --help` opens a round with `--date announced=`; the round keeps the announcement date."""
    r = award("--help", who=None)
    assert "award round open sha 2026 --date announced=2026-03-02" in r.out
    r = award("round", "open", "sha", "2026", "--date", "announced=2026-03-02", "--json", now=OPENED)
    ok(r)
    assert r.json["dates"]["announced"].startswith("2026-03-0")
    shown = award("round", "show", "sha-2026")
    assert "申报通知发布日期：2026-03-02" in shown.out, shown
