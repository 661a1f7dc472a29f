"""SHA refusals through the CLI: eligibility (SHA-16, SHA-17), the same-year and five-year bars (SHA-18),
revocation bars (SHA-35, SHA-36), quotas (SHA-3), intake, imports, roles, triggers and bad values.

Every refusal asserts the exit code, the rule id (in the `[SHA-n]` line and in `依据：`) and the reason.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.helpers import ORG_DECLARATIONS, PERSON_DECLARATIONS, resident_id, sets, uscc

ROUND = "sha-2026"
OPENED = "2026-03-02 09:00"
SUBMIT = "2026-03-10 09:30"  # the internal notice opened 2026-03-02 11:00 ran out at 2026-03-10 00:00

ORG = uscc("91310000MA1FL1GF9")
ORG_2 = uscc("91310115MA1H7GQX5")
PERSON = resident_id("31010119800101001")



def refused(r, code: int, rule: str | None, *reasons: str) -> None:
    """A refusal: its exit code, the rule in `[rule]` and `依据：`, each reason, and never a traceback."""
    assert r.code == code, r
    assert "Traceback" not in r.err, r
    if rule is not None:
        assert f"[{rule}]" in r.err, r
        assert any(line.startswith("依据：") and rule in line.split("：", 1)[1].split("、")
                   for line in r.err.splitlines()), r
    for reason in reasons:
        assert reason in r.err, r


def ok(r) -> None:
    assert r.code == 0, r


@pytest.fixture
def office(award):
    ok(award("round", "open", "sha", "2026", now=OPENED))
    return award


def add_org(award, code: str = ORG, registered_on: str = "2015-06-01", name: str = "上海甲质量科技有限公司") -> None:
    ok(award("party", "add", "--kind", "organization", "--name", name, "--code", code,
             "--registered-on", registered_on, "--email", "quality@jia.example.com", "--district", "浦东新区"))


def add_person(award, code: str = PERSON, name: str = "陈质量") -> None:
    ok(award("party", "add", "--kind", "person", "--name", name, "--code", code, "--email", "chen@example.com"))


def import_awards(award, folder: Path, text: str):
    path = folder / "past-awards.csv"
    path.write_text(text, encoding="utf-8")
    return award("party", "import-awards", str(path))


def ready(award, party: str, track: str, *, round_id: str = ROUND, opened: str = OPENED) -> str:
    """Open a case and let its internal notice (SHA-20) run out: it waits for `submit`."""
    r = award("case", "new", "--party", party, "--round", round_id, "--track", track, "--json", now=opened)
    ok(r)
    ref = r.json["ref"]
    ok(award("advance", ref, "start_internal_notice", now=opened))
    ok(award("tick", now=_plus_days(opened, 14), who=None))
    assert award("show", ref, "--json").json["state"] == "ready"
    return ref


def _plus_days(moment: str, days: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.strptime(moment, "%Y-%m-%d %H:%M") + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


def submit(award, ref: str, fill: list[str], now: str = SUBMIT):
    return award("advance", ref, "submit", *sets(fill), now=now)


def state(award, ref: str) -> str:
    return award("show", ref, "--json").json["state"]


def replace(items: list[str], **values: str) -> list[str]:
    """Declarations with some answers changed."""
    out = [i for i in items if i.partition("=")[0] not in values]
    return out + [f"{k}={v}" for k, v in values.items()]


def person_fill(since: str, **values: str) -> list[str]:
    return replace([*PERSON_DECLARATIONS, f"quality_work_since={since}"], **values)


LATER = [  # (trigger, now, who, fill) from qualification review to the award
    ("checklist", "2026-03-19 10:00", "li", []),
    ("pass_qualification", "2026-03-20 10:00", "li", []),
    ("tick", "2026-03-28 00:05", None, []),
    ("select_for_site_review", "2026-05-15 10:00", "wang", ["material_review_report=报告"]),
    ("complete_site_review", "2026-07-10 10:00", "li", ["site_review_report=报告"]),
    ("complete_evaluation", "2026-08-20 10:00", "li", ["evaluation_report=报告"]),
    ("propose", "2026-09-01 10:00", "wang", []),
    ("committee_approve", "2026-09-15 10:00", "zhao", []),
    ("approve", "2026-09-28 09:00", "wang", ["approval_document=沪审定委〔2026〕5号"]),
    ("tick", "2026-10-11 00:05", None, []),
    ("commend", "2026-10-20 09:00", "wang", ["award_document=沪府〔2026〕88号"]),
]


def walk(award, ref: str, until: str) -> None:
    """Drive a submitted case with the steps of LATER up to and including `until`."""
    for trigger, now, who, fill in LATER:
        if trigger == "tick":
            ok(award("tick", now=now, who=None))
        elif trigger == "checklist":
            ok(award("checklist", "record", ref, "--all", "--finding", "符合", now=now, who=who))
        else:
            ok(award("advance", ref, trigger, "--yes", *sets(fill), now=now, who=who))
        if trigger == until:
            return
    raise AssertionError(f"no step {until}")


# ----------------------------------------------------------------- SHA-16: models


@pytest.mark.parametrize(
    ("registered_on", "refusal"),
    [
        pytest.param("2023-04-10", "“登记注册日期”为2023年4月10日，至2026年3月10日满2年，不满3年（须至2026年4月10日方满）",
                     id="gold_model_2y11m"),
        pytest.param("2023-03-10", None, id="gold_model_exactly_3y"),
    ],
)
def test_gold_model_operating_years(office, registered_on: str, refusal: str | None) -> None:
    add_org(office, registered_on=registered_on)
    ref = ready(office, ORG, "gold_model")
    r = submit(office, ref, ORG_DECLARATIONS)
    if refusal is None:
        ok(r)
        assert state(office, ref) == "qualification_review"
        return
    refused(r, 3, "SHA-16", f"{ref}：不能执行“提交申报”", refusal)
    assert r.err.count("  - [") == 1  # only the failed guard is listed
    assert state(office, ref) == "ready"


@pytest.mark.parametrize(
    ("field", "label"),
    [
        pytest.param("no_loss_5y", "近5年未发生亏损（政策性亏损除外）", id="loss_in_5y"),
        pytest.param("no_major_accident", "近5年无重大质量、安全、环境污染、公共卫生、食品药品安全等事故", id="major_accident"),
        pytest.param("no_major_complaint", "无重大质量投诉", id="major_complaint"),
        pytest.param("no_serious_dishonesty", "无严重失信行为", id="serious_dishonesty"),
        pytest.param("chief_quality_officer", "实施首席质量官制度", id="no_chief_quality_officer"),
    ],
)
def test_model_declaration_false(office, field: str, label: str) -> None:
    add_org(office)
    ref = ready(office, ORG, "gold_model")
    r = submit(office, ref, replace(ORG_DECLARATIONS, **{field: "否"}))
    refused(r, 3, "SHA-16", f"[SHA-16] “{label}”为“否”，须为“是”")
    assert state(office, ref) == "ready"


@pytest.mark.parametrize(
    ("awarded_on", "refusal"),
    [
        pytest.param(None, "申报市长质量奖先进质量管理模式须获得上海市质量金奖3年以上（无此前获奖记录", id="mayor_model_no_gold"),
        pytest.param("2024-03-01", "申报市长质量奖先进质量管理模式须获得上海市质量金奖3年以上（于2024年3月1日获得"
                     "2024年上海市质量金奖·先进质量管理模式，至2026年3月10日不满3年（须至2027年3月1日方满））",
                     id="mayor_model_gold_2y_before"),
        pytest.param("2022-03-01", None, id="mayor_model_gold_4y_before"),
    ],
)
def test_mayor_model_needs_gold_3y_before(office, tmp_path: Path, awarded_on: str | None, refusal: str | None) -> None:
    add_org(office, registered_on="2008-04-10")
    if awarded_on:
        ok(import_awards(office, tmp_path, f"code,procedure,award,awarded_on\n{ORG},sha,gold_model,{awarded_on}\n"))
    ref = ready(office, ORG, "mayor_model")
    r = submit(office, ref, ORG_DECLARATIONS)
    if refusal is None:
        ok(r)
        return
    refused(r, 3, "SHA-16", refusal)
    assert state(office, ref) == "ready"


# ------------------------------------------------------------- SHA-17: achievements


@pytest.mark.parametrize(
    ("track", "fill", "refusal"),
    [
        pytest.param("gold_achievement", person_fill("2022-03-10"),
                     "“在本市从事质量工作起始日期”为2022年3月10日，至2026年3月10日满4年，不满5年（须至2027年3月10日方满）",
                     id="gold_achievement_4y"),
        pytest.param("gold_achievement", person_fill("2021-03-10"), None, id="gold_achievement_5y"),
        pytest.param("mayor_achievement", person_fill("2017-03-10", long_term_research="否"),
                     "以下条件均不满足：“在本市从事质量工作起始日期”为2017年3月10日，至2026年3月10日满9年，不满10年"
                     "（须至2027年3月10日方满）；“长期从事质量管理理论研究”为“否”，须为“是”",
                     id="mayor_achievement_9y_no_research"),
        pytest.param("mayor_achievement", person_fill("2017-03-10", long_term_research="是"), None,
                     id="mayor_achievement_9y_research"),
        pytest.param("gold_achievement",
                     person_fill("2015-03-01", is_principal="是", no_major_accident="否", no_major_complaint="是",
                                 no_serious_dishonesty="是"),
                     "申报个人为组织主要负责人的，其所在组织近5年应无重大事故（“近5年无重大质量、安全、环境污染、公共卫生、"
                     "食品药品安全等事故”为“否”，须为“是”）",
                     id="principal_organisation_accident"),
        pytest.param("gold_achievement", person_fill("2015-03-01", is_principal="否", no_major_accident="否"), None,
                     id="not_principal_accident_not_asked"),
    ],
)
def test_achievement_conditions(office, track: str, fill: list[str], refusal: str | None) -> None:
    add_person(office)
    ref = ready(office, PERSON, track)
    r = submit(office, ref, fill)
    if refusal is None:
        ok(r)
        assert state(office, ref) == "qualification_review"
        return
    refused(r, 3, "SHA-17", refusal)
    assert state(office, ref) == "ready"


# ---------------------------------------------------------------- SHA-18: bars


def test_district_award_same_year(office) -> None:
    add_org(office)
    ref = ready(office, ORG, "gold_model")
    r = submit(office, ref, replace(ORG_DECLARATIONS, district_award_same_year="是"))
    refused(r, 3, "SHA-18", "不得在同一年内同时申报市、区两级政府质量奖（“本年度同时申报区级政府质量奖”为“是”，须为“否”）")
    assert "SHA-16" not in r.err


def test_award_2021_bars_the_same_award_until_2026_12_20(office, tmp_path: Path) -> None:
    add_org(office)
    ok(import_awards(office, tmp_path, f"code,procedure,award,awarded_on\n{ORG},sha,gold_model,2021-12-20\n"))
    r = office("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED)
    refused(r, 3, "SHA-18", "不能为 上海甲质量科技有限公司 开启上海市质量金奖·先进质量管理模式案件",
            "已于2021年12月20日获得2021年上海市质量金奖·先进质量管理模式，5年内不得再次申报，2026年12月20日起方可申报")
    assert office("cases", "--json").json == []
    # Another award (the mayor's, SHA-16 needs the gold one 3 years before) is open to the same party.
    ok(office("case", "new", "--party", ORG, "--round", ROUND, "--track", "mayor_model", now=OPENED))


def test_second_case_same_party_same_round(office) -> None:
    add_org(office)
    ok(office("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED))
    r = office("case", "new", "--party", ORG, "--round", ROUND, "--track", "mayor_model", now=OPENED)
    refused(r, 3, "AWD-6", "同一申报主体本轮只能有一件申报（本系统的受理规则）（该申报主体本轮已有案件 SHA-2026-001（填报申报材料），不得重复申报）")
    assert [c["ref"] for c in office("cases", "--json").json] == ["SHA-2026-001"]


# ------------------------------------------------------------ SHA-35, SHA-36: revocations


@pytest.mark.parametrize(
    ("trigger", "rule", "reason"),
    [
        pytest.param("revoke_false_material", "SHA-35", "提供虚假材料或采取不正当手段骗取奖励", id="false_material_SHA-35"),
        pytest.param("revoke_accident", "SHA-36", "获奖后发生重大事故或其他违反质量奖宗旨与原则的重大事项",
                     id="accident_SHA-36"),
    ],
)
def test_revoked_award_bars_for_5_years(office, tmp_path: Path, trigger: str, rule: str, reason: str) -> None:
    add_person(office)
    ref = ready(office, PERSON, "gold_achievement")
    ok(submit(office, ref, person_fill("2015-03-01")))
    walk(office, ref, "commend")
    assert state(office, ref) == "awarded"

    r = office("advance", ref, trigger, "--yes", now="2026-10-21 09:00")
    refused(r, 3, rule, "须用 --comment 写明理由")
    ok(office("advance", ref, trigger, "--yes", "--comment", "经查实", now="2026-10-21 09:00"))
    assert state(office, ref) == "revoked"
    records = office("party", "show", PERSON, "--json").json["records"]
    assert [(x["revoked_on"], x["bar_until"], x["reason"]) for x in records] == [("2026-10-21", "2031-10-21", reason)]
    notices = [m for m in (email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                           for p in (tmp_path / "mail").glob("*.eml")) if "撤销" in str(m["Subject"])]
    assert notices, "the revocation notice was not sent"
    body = notices[0].get_body(("plain",)).get_content()
    assert f"根据{rule}" in body and "2031年10月21日前不接受再次申报" in body

    ok(office("round", "open", "sha", "2028", "--decision", "新办法施行后继续评选", now="2028-03-01 09:00"))  # SHA-41
    r = office("case", "new", "--party", PERSON, "--round", "sha-2028", "--track", "mayor_achievement",
               now="2028-03-01 09:00")
    refused(r, 3, rule, f"2026年上海市质量金奖·先进质量管理成果已于2026年10月21日被撤销（{reason}），2031年10月21日前不接受再次申报")
    assert office("show", "SHA-2028-001").code == 4


# ---------------------------------------------------------------------- SHA-3: quotas


def test_mayor_quota_models_and_achievements_together(office, tmp_path: Path) -> None:
    """SHA-3: at most 4 Mayor's awards per round, models and achievements together: the 5th is refused."""
    orgs = [uscc(f"9131000{i}MA1FL1GF9") for i in (1, 2)]
    people = [resident_id(f"3101011980010100{i}") for i in (3, 4, 5)]
    for i, code in enumerate(orgs):
        add_org(office, code, registered_on="2008-04-10", name=f"上海{i}号公司")
    for i, code in enumerate(people):
        add_person(office, code, name=f"个人{i}")
    ok(import_awards(office, tmp_path, "code,procedure,award,awarded_on\n"
                     + "".join(f"{c},sha,gold_model,2021-12-20\n" for c in orgs)))
    tracks = ["mayor_model"] * 2 + ["mayor_achievement"] * 3
    for code, track in zip([*orgs, *people], tracks, strict=True):
        ok(office("case", "new", "--party", code, "--round", ROUND, "--track", track, now=OPENED))
    ok(office("advance", "--round", ROUND, "--state", "draft", "start_internal_notice", now=OPENED))
    ok(office("tick", now="2026-03-10 00:05", who=None))
    for n, track in enumerate(tracks, start=1):
        fill = ORG_DECLARATIONS if track == "mayor_model" else person_fill("2009-07-01")
        ok(submit(office, f"SHA-2026-{n:03d}", fill))
    for trigger, now, who, fill in LATER[:7]:
        if trigger == "tick":
            ok(office("tick", now=now, who=None))
            continue
        if trigger == "checklist":
            for n in range(1, len(tracks) + 1):
                ok(office("checklist", "record", f"SHA-2026-{n:03d}", "--all", "--finding", "符合", now=now, who=who))
            continue
        source = {"pass_qualification": "qualification_review", "select_for_site_review": "material_review",
                  "complete_site_review": "site_review", "complete_evaluation": "evaluation",
                  "propose": "evaluated"}[trigger]
        ok(office("advance", "--round", ROUND, "--state", source, trigger, *sets(fill), now=now, who=who))

    quota = "上海市市长质量奖（模式与成果合计）本轮名额为4个，已有4个，不能再增加"
    batch = office("advance", "--round", ROUND, "--state", "committee_review", "committee_approve", who="zhao",
                   now="2026-09-15 10:00")
    assert batch.code == 3, batch
    assert "共 5 件，成功 4 件，未推进 1 件" in batch.out
    assert "SHA-2026-005：未推进" in batch.out and f"[SHA-3] {quota}" in batch.out
    r = office("advance", "SHA-2026-005", "committee_approve", who="zhao", now="2026-09-15 11:00")
    refused(r, 3, "SHA-3", quota)
    states = {c["ref"]: c["state"] for c in office("cases", "--json").json}
    assert sorted(states.values()) == ["approval"] * 4 + ["committee_review"]
    # Leaving the counted states frees a place (a withdrawal before the notice).
    ok(office("advance", "SHA-2026-001", "withdraw", "--yes", "--comment", "主动撤回", now="2026-09-16 09:00"))
    ok(office("advance", "SHA-2026-005", "committee_approve", who="zhao", now="2026-09-16 10:00"))


# ------------------------------------------------------------------- import-awards


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        pytest.param(f"{uscc('91310101MA1FPX0A1')},sha,gold_model,2021-12-20",
                     "第4行“code”列：91310101MA1FPX0A1G 未登记", id="unknown_party_code"),
        pytest.param(f"{ORG},sha,silver_model,2021-12-20", "第4行“award”列：上海市政府质量奖没有奖项 'silver_model'",
                     id="unknown_award"),
        pytest.param(f"{ORG},sha,gold_model,2021-13-01", "第4行“awarded_on”列：2021-13-01 不是存在的日期",
                     id="date_that_does_not_exist"),
        pytest.param(f"{PERSON},sha,gold_model,2021-12-20",
                     "第4行“award”列：上海市质量金奖·先进质量管理模式只授予组织，而 陈质量 是个人",
                     id="model_award_for_a_person"),
    ],
)
def test_import_awards_bad_row_loads_nothing(office, tmp_path: Path, bad_row: str, message: str) -> None:
    add_org(office)
    add_person(office)
    text = (f"code,procedure,award,awarded_on\n{ORG},sha,gold_model,2020-12-20\n"
            f"{PERSON},sha,gold_achievement,2020-12-20\n{bad_row}\n")
    r = import_awards(office, tmp_path, text)
    refused(r, 2, None, message, "整个文件均未导入")
    assert office("party", "show", ORG, "--json").json["records"] == []
    assert office("party", "show", PERSON, "--json").json["records"] == []


# ----------------------------------------------------------- roles, triggers, lookups


def test_reviewer_cannot_approve(office) -> None:
    add_person(office)
    ref = ready(office, PERSON, "gold_achievement")
    ok(submit(office, ref, person_fill("2015-03-01")))
    walk(office, ref, "committee_approve")
    r = office("advance", ref, "approve", "--set", "approval_document=沪审定委〔2026〕5号", now="2026-09-28 09:00",
               who="li")
    refused(r, 3, "SHA-26", "“报批通过，发布拟获奖名单公示”只能由 市审定办 执行；li 在上海市政府质量奖中的角色为：评审组",
            "角色不符（需要：市审定办）")
    assert state(office, ref) == "approval"


def test_a_login_on_no_roster_is_a_stranger(office) -> None:
    add_org(office)
    r = office("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", who="nobody")
    refused(r, 3, "AWD-1", "系统登录名 nobody 不是在册的工作人员")
    assert office("cases", "--json").json == []


def test_unknown_staff_name(office) -> None:
    add_org(office)
    r = office("--as", "nobody", "case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model",
               who="admin")
    refused(r, 4, None, "找不到工作人员 nobody（用 award staff add NAME --login LOGIN --role ROLE@SCOPE 登记）")


def test_trigger_not_available_lists_the_available_ones(office) -> None:
    add_org(office)
    ok(office("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED))
    r = office("advance", "SHA-2026-001", "submit", *sets(ORG_DECLARATIONS), now=OPENED)
    refused(r, 3, None, "SHA-2026-001：当前状态“填报申报材料”下不能办理“提交申报”（submit）；"
                        "此状态可用：开始内部公示（start_internal_notice）、撤回申报（withdraw）")
    r = office("advance", "SHA-2026-001", "approvee", now=OPENED)  # no such trigger: a usage error, nearest first
    refused(r, 2, None, "流程“上海市政府质量奖”没有“approvee”这一操作；此案件现在可用（相近的在前）："
                        "开始内部公示（start_internal_notice）、撤回申报（withdraw）")
    assert state(office, "SHA-2026-001") == "draft"


def test_unknown_case(office) -> None:
    for args in (["show", "SHA-2026-999"], ["advance", "SHA-2026-999", "submit"], ["history", "SHA-2026-999"]):
        refused(office(*args), 4, None, "找不到案件 SHA-2026-999（用 award cases 列出案件）")


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        pytest.param("colour=red", "流程“上海市政府质量奖”没有字段“colour”；可用字段：level（奖项）", id="unknown_field"),
        pytest.param("district_award_same_year=maybe",
                     "“本年度同时申报区级政府质量奖”（district_award_same_year）须为 是/否（yes/no），收到 'maybe'",
                     id="bool_maybe"),
        pytest.param("quality_work_since=2026-02-30",
                     "“在本市从事质量工作起始日期”（quality_work_since）须为日期 YYYY-MM-DD，收到 '2026-02-30'",
                     id="date_2026_02_30"),
        pytest.param("contact_email=wang.example.com",
                     "“联系人电子邮箱”（contact_email）不是有效的电子邮件地址：'wang.example.com'", id="bad_email"),
        pytest.param("material_review_report=好", "“资料评审报告及改进建议”（material_review_report）在“填报申报材料”状态下不能修改",
                     id="field_not_editable_now"),
        pytest.param("level", "--set 需要 字段=值 的形式，收到 'level'", id="no_equals_sign"),
    ],
)
def test_bad_set_value(office, assignment: str, message: str) -> None:
    add_org(office)
    ok(office("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", now=OPENED))
    r = office("advance", "SHA-2026-001", "start_internal_notice", "--set", assignment, now=OPENED)
    refused(r, 2, None, message)
    assert state(office, "SHA-2026-001") == "draft"
    add_org(office, ORG_2, name="上海乙精密制造有限公司")
    r = office("case", "new", "--party", ORG_2, "--round", ROUND, "--track", "gold_model", "--set", assignment)
    refused(r, 2, None, message)  # the same check when a case is opened
    assert [c["ref"] for c in office("cases", "--json").json] == ["SHA-2026-001"]
