"""上海市政府质量奖培育孵化池（SHI）, driven through the CLI; and 培评分离 (SHI-2.3) against SHA.

Each step re-reads the case with `award show CASE --json`.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import AwardRunner
from tests.helpers import ORG_DECLARATIONS, sets, uscc

OLD = uscc("91310115MA1K4RH01")     # registered 2015
YOUNG = uscc("91310104MA1K4RH02")   # registered 2021-11-08
OTHER = uscc("91310101MA1K4RH03")   # never in the pool

FORM = [
    "address=上海市浦东新区张江路100号", "contact_name=李明", "department=质量管理部", "contact_phone=021-50001234",
    "contact_email=liming@example.com", "nature=市场主体", "market_entity_type=企业·私营企业", "size=中型",
    "industry=制造业", "leading_industry=集成电路,高端装备", "profitable_3y=是", "accidents_3y=无",
    "complaints_dishonesty_3y=无", "honours_3y=2023年上海市质量标杆", "submitted_as=电子文档",
    "registered_in_shanghai=是", "compliant_licensed=是",
]


def setup(award: AwardRunner) -> None:
    assert award("round", "open", "shi", "2024", now="2024-01-02 09:00").code == 0
    for code, name, registered in ((OLD, "上海张江精密仪器有限公司", "2015-06-01"),
                                   (YOUNG, "上海徐汇新材料有限公司", "2021-11-08"),
                                   (OTHER, "上海闵行智能装备有限公司", "2012-04-10")):
        r = award("party", "add", "--kind", "organization", "--name", name, "--code", code,
                  "--registered-on", registered, "--email", f"{code[-4:].lower()}@example.com", "--district", "浦东新区")
        assert r.code == 0, r


def show(award: AwardRunner, ref: str) -> dict[str, Any]:
    r = award("show", ref, "--json")
    assert r.code == 0, r
    return r.json


def new_case(award: AwardRunner, party: str, *args: str, now: str = "2024-09-23 09:00") -> str:
    r = award("case", "new", "--party", party, "--round", "shi-2024", "--track", "pool", *args, "--json", now=now)
    assert r.code == 0, r
    return r.json["ref"]


def templates(award: AwardRunner, ref: str) -> list[str]:
    return [row["template"] for row in award("outbox", "list", "--case", ref, "--json").json]


def admitted(award: AwardRunner, party: str = OLD) -> str:
    ref = new_case(award, party)
    r = award("advance", ref, "admit", *sets(FORM), now="2024-10-08 10:00")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "in_pool"
    return ref


# ------------------------------------------------------------------ application, admission, activities


def test_application_admission_and_the_activities_of_the_pool(award: AwardRunner) -> None:
    setup(award)
    ref = new_case(award, OLD)
    case = show(award, ref)
    assert case["state"] == "applied"
    # The form's required items (attachment) must be filled before admission.
    r = award("advance", ref, "admit", now="2024-10-08 10:00")
    assert r.code == 3, r
    assert "“地址”（address）" in r.err and "“组织性质”（nature）" in r.err and "“电子邮箱”（contact_email）" in r.err
    # A market entity states its type.
    r = award("advance", ref, "admit", *sets([*FORM, "market_entity_type="]), now="2024-10-08 10:00")
    assert r.code == 3 and "[SHI-3.1] 以下内容尚未填写：“市场主体类型”" in r.err
    r = award("advance", ref, "admit", *sets(FORM), "--set", "admission_opinion=符合申报条件", now="2024-10-08 10:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "in_pool"
    assert case["data"]["leading_industry"] == ["integrated_circuit", "high_end_equipment"]
    assert case["data"]["accidents_3y"] == "none" and case["data"]["profitable_3y"] is True

    # SHI-4: each activity is a self-transition that records what was done (a comment is required).
    activities = [
        ("record_foundation_teaching", "2024年10月16日 GB/T 19580《卓越绩效评价准则》解读集中授课"),
        ("record_advanced_guidance", "2024年11月6日 专题辅导：先进质量管理模式提炼"),
        ("record_self_evaluation", "对照 GB/T 19580 完成首轮自我评价，识别改进项12项"),
        ("record_mass_activity", "开展“5S”现场管理，注册QC小组5个"),
    ]
    r = award("advance", ref, "record_foundation_teaching", now="2024-10-09 09:00")
    assert r.code == 3 and "须用 --comment 写明理由" in r.err
    for i, (trigger, note) in enumerate(activities):
        r = award("advance", ref, trigger, "--comment", note, now=f"2024-10-{10 + i} 09:00")
        assert r.code == 0, r
        assert show(award, ref)["state"] == "in_pool"
    r = award("advance", ref, "record_expert_coaching", "--comment", "个性化质量诊断", now="2024-12-02 09:00")
    assert r.code == 3 and "指导专家" in r.err
    r = award("advance", ref, "record_expert_coaching", "--set", "coaching_expert=张卓越（市政府质量奖专家库）",
              "--comment", "个性化质量诊断与帮扶", now="2024-12-02 09:00")
    assert r.code == 0, r
    r = award("history", ref, "--json")
    assert r.code == 0, r
    recorded = [e for e in r.json["events"] if e["source"] == "in_pool" and e["dest"] == "in_pool"]
    assert [e["trigger"] for e in recorded] == [t for t, _ in activities] + ["record_expert_coaching"]
    assert recorded[0]["comment"].startswith("2024年10月16日 GB/T 19580")
    assert templates(award, ref) == ["application_received", "admitted", "activity_notice", "activity_notice",
                                     "activity_notice"]

    # Leaving is voluntary (SHI-2.3); the case is then closed.
    r = award("advance", ref, "leave", "--yes", "--comment", "本单位自愿退出", now="2025-03-03 09:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "left" and case["closed"]
    assert templates(award, ref)[-1] == "left"
    r = award("advance", ref, "record_self_evaluation", "--comment", "x", now="2025-03-04 09:00")
    assert r.code == 3


def test_recommendation_is_a_second_way_in(award: AwardRunner) -> None:
    setup(award)
    r = award("case", "new", "--party", OLD, "--round", "shi-2024", "--track", "pool", "--start", "recommend",
              now="2024-09-23 09:00")
    assert r.code == 2 and "推荐单位" in r.err
    ref = new_case(award, OLD, "--start", "recommend", "--set", "recommender=上海市集成电路行业协会",
                   "--set", "recommender_opinion=质量管理水平领先，推荐参加")
    assert show(award, ref)["state"] == "recommended"
    assert templates(award, ref) == ["participation_request"]
    r = award("advance", ref, "confirm_willingness", now="2024-09-25 09:00")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "applied"
    assert award("advance", ref, "admit", *sets(FORM), now="2024-10-08 10:00").code == 0
    case = show(award, ref)
    assert case["state"] == "in_pool" and case["data"]["recommender"] == "上海市集成电路行业协会"
    # A recommended organisation may decline: participation is voluntary.
    ref2 = new_case(award, OTHER, "--start", "recommend", "--set", "recommender=张教授（质量专家）")
    assert award("advance", ref2, "decline", "--yes", now="2024-09-26 09:00").code == 0
    assert show(award, ref2)["state"] == "declined"


# ------------------------------------------------------------------ SHI-3.1 admission conditions


def test_admission_refused_two_years_eleven_months_after_registration(award: AwardRunner) -> None:
    setup(award)
    ref = new_case(award, YOUNG)
    # Registered 2021-11-08: on 2024-10-08 (the first working day after National Day) it is 2 years 11 months.
    r = award("advance", ref, "admit", *sets(FORM), now="2024-10-08 10:00")
    assert r.code == 3, r
    assert "[SHI-3.1] 须生产经营或开展活动3年以上" in r.err
    assert "“登记注册日期”为2021年11月8日，至2024年10月8日满2年，不满3年（须至2024年11月8日方满）" in r.err
    assert "依据：SHI-3.1" in r.err
    assert show(award, ref)["state"] == "applied"
    # One day short is still short; on the third anniversary it is admitted.
    r = award("advance", ref, "admit", *sets(FORM), now="2024-11-07 17:00")
    assert r.code == 3 and "不满3年" in r.err
    r = award("advance", ref, "admit", *sets(FORM), now="2024-11-08 09:00")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "in_pool"


def test_admission_refused_after_accident_complaint_or_without_licence(award: AwardRunner) -> None:
    setup(award)
    ref = new_case(award, OLD)
    bad = [*FORM, "accidents_3y=有", "complaints_dishonesty_3y=有", "compliant_licensed=否", "registered_in_shanghai=否"]
    r = award("advance", ref, "admit", *sets(bad), now="2024-10-08 10:00")
    assert r.code == 3, r
    for text in ("近3年内不得有重大质量、安全、环境污染、公共卫生、食品安全等事故",
                 "“近三年有无重大质量、安全、环境、公共卫生、食品安全等事故”为“有”，须为“无”",
                 "近3年内不得有重大质量投诉或严重失信行为",
                 "须符合产业导向、环保、节能减排、安全生产、质量等法律法规及政策要求并具备相关资质或证照",
                 "须在本市行政区域内登记注册或依法设立"):
        assert text in r.err
    # The office records its refusal with a reason.
    r = award("advance", ref, "reject", "--yes", now="2024-10-08 11:00")
    assert r.code == 3 and "--comment" in r.err
    r = award("advance", ref, "reject", "--yes", "--comment", "近三年发生重大安全事故", now="2024-10-08 11:00")
    assert r.code == 0, r
    assert show(award, ref)["state"] == "not_admitted"
    assert templates(award, ref)[-1] == "not_admitted"


def test_a_pool_member_cannot_apply_again(award: AwardRunner) -> None:
    setup(award)
    ref = admitted(award)
    r = award("case", "new", "--party", OLD, "--round", "shi-2024", "--track", "pool", now="2024-12-02 09:00")
    assert r.code == 3 and "SHI-3" in r.err and f"已有尚未办结的案件 {ref}（在培育孵化池中）" in r.err
    assert award("round", "open", "shi", "2025", now="2025-01-02 09:00").code == 0
    r = award("case", "new", "--party", OLD, "--round", "shi-2025", "--track", "pool", now="2025-01-06 09:00")
    assert r.code == 3 and "已在培育孵化池中或已有待审核的申报" in r.err


# ------------------------------------------------------------------ SHI-3 removal


def test_removal_after_a_major_accident(award: AwardRunner) -> None:
    setup(award)
    ref = admitted(award)
    r = award("advance", ref, "remove_accident", "--yes", now="2025-02-10 09:00")
    assert r.code == 3 and "须用 --comment 写明理由" in r.err
    assert show(award, ref)["state"] == "in_pool"
    r = award("advance", ref, "remove_accident", "--yes", "--comment", "2025年2月5日发生重大生产安全事故（经应急管理部门认定）",
              now="2025-02-10 09:00")
    assert r.code == 0, r
    case = show(award, ref)
    assert case["state"] == "removed" and case["closed"]
    assert templates(award, ref)[-1] == "removed"
    mail = award("outbox", "list", "--case", ref, "--json").json[-1]
    assert mail["recipient"] == "liming@example.com"
    assert mail["subject"] == f"移出上海市政府质量奖培育孵化池的通知（{ref}）"
    r = award("advance", ref, "record_foundation_teaching", "--comment", "x", now="2025-02-11 09:00")
    assert r.code == 3


# ------------------------------------------------------------------ SHI-2.3 培评分离


def _sha_submit(award: AwardRunner, code: str, *extra: str) -> tuple[str, Any]:
    """A gold-model SHA case, its internal notice across Qingming 2026 (SHA-20), then `submit`."""
    r = award("case", "new", "--party", code, "--round", "sha-2026", "--track", "gold_model", "--json",
              now="2026-03-30 09:00")
    assert r.code == 0, r
    ref = r.json["ref"]
    assert award("advance", ref, "start_internal_notice", now="2026-04-01 10:00").code == 0
    # 5 working days from 2026-04-01: 04-02, 04-03, (04-04..06 清明节 off), 04-07, 04-08, 04-09.
    assert award("tick", now="2026-04-09 18:00").code == 0
    assert show(award, ref)["state"] == "internal_notice"
    assert award("tick", now="2026-04-10 00:05").code == 0
    assert show(award, ref)["state"] == "ready"
    return ref, award("advance", ref, "submit", *sets([*ORG_DECLARATIONS, *extra]), now="2026-04-10 09:30")


def test_award_application_does_not_depend_on_incubation(award: AwardRunner) -> None:
    setup(award)
    assert award("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    ref, r = _sha_submit(award, OTHER)
    assert r.code == 0, r                       # never in the pool, yet it passes every SHA-16/18 guard
    case = show(award, ref)
    assert case["state"] == "qualification_review"
    submitted = award("history", ref, "--json").json["events"][-1]
    verdicts = submitted["detail"]["verdicts"]
    assert submitted["trigger"] == "submit" and len(verdicts) >= 10
    assert all(v["passed"] for v in verdicts)
    assert {v["rule"] for v in verdicts} <= {"SHA-16", "SHA-18", "SHA-35"}


def test_a_pool_member_gets_no_advantage_in_the_award(award: AwardRunner) -> None:
    setup(award)
    admitted(award, OLD)
    assert award("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    # The same missing condition refuses a pool member and a non-member alike, with the same rules.
    _, member = _sha_submit(award, OLD, "chief_quality_officer=否")
    _, outsider = _sha_submit(award, OTHER, "chief_quality_officer=否")
    assert member.code == outsider.code == 3
    rules = [line.split("]")[0] for line in member.err.splitlines() if line.strip().startswith("- [")]
    assert rules == [line.split("]")[0] for line in outsider.err.splitlines() if line.strip().startswith("- [")]
    assert "SHI" not in member.err and "孵化" not in member.err


def test_no_sha_guard_reads_the_incubation_pool() -> None:
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.specs.loader import bundled_definitions

    catalog = load_catalog(bundled_definitions())
    sha = catalog.get("sha")

    def calls(guards: Any) -> Any:
        for g in guards:
            yield g
            if g.check == "any_of":
                from award.workflow.specs.model import GuardCall

                yield from calls([GuardCall.model_validate({"rule": g.rule, **n}) for n in g.params["any"]])

    every = [*calls(sha.intake), *(c for t in sha.transitions for c in calls(t.guards))]
    assert every, "sha.yaml has guards"
    for call in every:
        text = repr((call.check, call.rule, call.when, call.params)).lower()
        assert "shi" not in text and "孵化" not in text, call
        assert not call.rule.startswith("SHI"), call
    assert all("shi" not in f and "孵化" not in fs.label for f, fs in sha.fields.items())
