"""Who is acting (issue 14, points 1-5): identity proved by the OS login, `--as` for administrators only,
the shared-PC mode, roles that belong to their issuer, `system` reserved for the timer, a role on
every changing command, and a roster only an administrator changes.

Each refusal asserts its exit code, the rule it cites and that nothing changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from award.commands.context import os_login

from tests.helpers import ORG_DECLARATIONS, sets, uscc
from tests.scenarios.test_sha_refusals import OPENED, ORG, ROUND, add_org, ok, refused

NOTICE_AT = "2026-03-02 11:00"


@pytest.fixture
def office(award):
    ok(award("round", "open", "sha", "2026", now=OPENED))
    add_org(award)
    return award


def rejected(r, code: int, rule: str, *reasons: str) -> None:
    """A refusal of a bad value (exit 2): the rule it cites in `依据：` and each reason."""
    assert r.code == code, r
    assert any(line.startswith("依据：") and rule in line for line in r.err.splitlines()), r
    for reason in reasons:
        assert reason in r.err, r


def new_case(award) -> str:
    r = award("case", "new", "--party", ORG, "--round", ROUND, "--track", "gold_model", "--json", now=OPENED)
    ok(r)
    return str(r.json["ref"])


def state(award, ref: str) -> str:
    return str(award("show", ref, "--json").json["state"])


def events(award, ref: str) -> list[dict]:
    return list(award("history", ref, "--json").json["events"])


# ------------------------------------------------------------------- identity


def test_the_login_comes_from_the_operating_system_not_from_logname_or_user(monkeypatch) -> None:
    import pwd

    monkeypatch.setenv("LOGNAME", "system")
    monkeypatch.setenv("USER", "wang")
    monkeypatch.setenv("USERNAME", "wang")
    assert os_login() == pwd.getpwuid(os.getuid()).pw_name


def test_a_timed_transition_cannot_be_fired_by_hand(office) -> None:
    """SHA-20's notice ends only when the timer says so: not by the office, not by a login called system."""
    ref = new_case(office)
    ok(office("advance", ref, "start_internal_notice", now=NOTICE_AT))
    for who in ("wang", "system", "admin"):
        r = office("advance", ref, "internal_notice_elapsed", now="2026-03-02 11:01", who=who)
        refused(r, 3, "AWD-4")
    r = office("advance", ref, "internal_notice_elapsed", now="2026-03-02 11:01")
    refused(r, 3, "AWD-4", "定时触发，只能由定时任务", "[SHA-20]")
    r = office("--as", "system", "advance", ref, "internal_notice_elapsed", who="admin")
    refused(r, 4, None, "找不到工作人员 system")
    assert state(office, ref) == "internal_notice"
    ok(office("tick", now="2026-03-10 00:00", who=None))
    assert state(office, ref) == "ready"
    assert [e["actor"] for e in events(office, ref)][-1] == "system"


def test_system_is_a_reserved_name(office) -> None:
    r = office("staff", "add", "system", "--login", "sys", "--role", "office@sha", who="admin")
    rejected(r, 2, "AWD-4", "保留名")
    r = office("staff", "add", "System", "--login", "sys", "--role", "office@sha", who="admin")
    assert r.code == 2, r


def test_a_notice_ending_transition_checks_that_the_period_ran(office) -> None:
    """The guard on the timer's own trigger: a timer that fires early (bad data) is held, citing SHA-20."""
    from award.workflow.guards import GUARDS

    assert "period_elapsed" in GUARDS.names()
    ref = new_case(office)
    ok(office("advance", ref, "start_internal_notice", now=NOTICE_AT))
    show = office("show", ref, "--json", now="2026-03-03 09:00").json
    elapsed = next(t for t in show["triggers"] if t["trigger"] == "internal_notice_elapsed")
    failed = [v for v in elapsed["verdicts"] if not v["passed"]]
    assert failed and failed[0]["rule"] == "SHA-20" and "2026年3月9日" in failed[0]["reason"], failed


def test_a_stranger_reads_nothing_personal_and_changes_nothing(office) -> None:
    ref = new_case(office)
    for args in (["show", ref], ["history", ref], ["cases"], ["party", "show", ORG], ["party", "list"],
                 ["staff", "list"], ["staff", "history"], ["outbox", "list"], ["timers", "list"]):
        r = office(*args, who="mallory")
        refused(r, 3, "AWD-1", "系统登录名 mallory 不是在册的工作人员")
        assert ORG not in r.out + r.err and "上海甲" not in r.out + r.err
    r = office("staff", "add", "mallory", "--login", "mallory", "--role", "committee@sha", who="mallory")
    refused(r, 3, "AWD-1")
    r = office("round", "open", "sha", "2028", who="mallory")
    refused(r, 3, "AWD-1")
    assert [s["name"] for s in office("staff", "list", "--json").json] == ["admin", "li", "wang", "zhao"]


def test_only_an_administrator_changes_the_roster(office) -> None:
    r = office("staff", "add", "mallory", "--login", "mallory", "--role", "committee@sha", who="wang")
    refused(r, 3, "AWD-2", "只有系统管理员可以改动工作人员名单")
    r = office("staff", "disable", "li", "--reason", "x", who="zhao")
    refused(r, 3, "AWD-2")
    assert "mallory" not in {s["name"] for s in office("staff", "list", "--json").json}
    ok(office("staff", "add", "qian", "--login", "qianli", "--role", "office@sha", who="admin"))
    assert office("whoami", "--json", who="qianli").json["name"] == "qian"


def test_a_role_needs_its_issuer(office) -> None:
    r = office("staff", "add", "sun", "--login", "sun", "--role", "office", who="admin")
    rejected(r, 2, "AWD-3", "须写明所属的流程或发布机关")
    r = office("staff", "add", "sun", "--login", "sun", "--role", "station@sha", who="admin")
    rejected(r, 2, "AWD-3", "没有角色 'station'")


def test_a_role_of_one_procedure_never_satisfies_another(office) -> None:
    """The SAQ secretariat (office@sqi) is not the 市审定办: it cannot move an SHA case or open its round."""
    ref = new_case(office)
    ok(office("staff", "add", "zhou", "--login", "zhou", "--role", "office@sqi", "--role", "committee@saq",
              who="admin"))
    r = office("advance", ref, "start_internal_notice", now=NOTICE_AT, who="zhou")
    refused(r, 3, "AWD-3", "office@sqi", "不适用于本流程")
    assert "[SHA-20]" in r.err
    r = office("round", "open", "sha", "2028", who="zhou")
    refused(r, 3, "SHA-19", "只能由上海市政府质量奖的 市审定办 办理")
    ok(office("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", who="zhou"))
    assert state(office, ref) == "draft"


def test_delegation_is_for_administrators_and_history_records_both(office) -> None:
    ref = new_case(office)
    r = office("--as", "wang", "advance", ref, "start_internal_notice", now=NOTICE_AT, who="li")
    refused(r, 3, "AWD-2", "li 不能使用 --as")
    r = office("--as", "wang", "advance", ref, "start_internal_notice", now=NOTICE_AT, who="mallory")
    refused(r, 3, "AWD-2")
    assert state(office, ref) == "draft"
    ok(office("--as", "wang", "advance", ref, "start_internal_notice", now=NOTICE_AT, who="admin"))
    last = events(office, ref)[-1]
    assert last["actor"] == "wang"
    assert last["detail"]["actor"] == {"identity": "delegated", "entered_by": "admin", "login": "admin"}
    first = events(office, ref)[0]
    assert first["detail"]["actor"] == {"identity": "bound", "login": "wang"}
    assert "由 admin 代为操作" in office("history", ref).out


def test_the_shared_mode_requires_as_and_records_it_unauthenticated(office) -> None:
    ref = new_case(office)
    Path(os.environ["AWARD_HOME"], "award.toml").write_text('identity = "shared"\n', encoding="utf-8")
    r = office("advance", ref, "start_internal_notice", now=NOTICE_AT)
    refused(r, 3, "AWD-1", "共用电脑模式")
    ok(office("--as", "wang", "advance", ref, "start_internal_notice", now=NOTICE_AT, who="pc"))
    refused(office("history", ref, who="pc"), 3, "AWD-1")  # reads need --as too in the shared mode
    r = office("--as", "li", "history", ref, "--json", who="pc")
    ok(r)
    assert r.json["events"][-1]["detail"]["actor"] == {"identity": "shared", "login": "pc"}
    assert "共用电脑（未经验证）" in office("--as", "li", "history", ref, who="pc").out


def test_a_disabled_member_can_neither_act_nor_read(office) -> None:
    ref = new_case(office)
    ok(office("staff", "disable", "wang", "--reason", "调离审定办", who="admin"))
    refused(office("advance", ref, "start_internal_notice", now=NOTICE_AT), 3, "AWD-1", "已停用")
    refused(office("show", ref), 3, "AWD-1")
    ok(office("staff", "set", "wang", "--phone", "021-12345678", "--email", "w@example.gov.cn", who="admin"))
    ok(office("staff", "enable", "wang", "--reason", "返岗", who="admin"))
    ok(office("advance", ref, "start_internal_notice", now=NOTICE_AT))
    kinds = [(c["kind"], c["actor"]) for c in office("staff", "history", "wang", "--json").json]
    assert kinds == [("added", "admin"), ("disabled", "admin"), ("updated", "admin"), ("enabled", "admin")]
    changed = office("staff", "history", "wang", "--json").json[2]["data"]
    assert changed["after"] == {"email": "w@example.gov.cn", "phone": "021-12345678"}


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        pytest.param(["round", "open", "sha", "2028"], "SHA-19", id="round_open"),
        pytest.param(["party", "add", "--kind", "organization", "--name", "上海乙公司", "--code",
                      uscc("91310115MA1H7GQX5")], "AWD-5", id="party_add"),
        pytest.param(["party", "set", ORG, "--attr", "saq_member=是"], "AWD-5", id="party_set"),
        pytest.param(["timers", "retry", "1"], "AWD-5", id="timers_retry"),
    ],
)
def test_every_changing_command_checks_a_role(office, args: list[str], rule: str) -> None:
    """li is a reviewer: a member, but not the office that does this work."""
    ref = new_case(office)
    ok(office("advance", ref, "start_internal_notice", now=NOTICE_AT))
    r = office(*args, who="li")
    refused(r, 3, rule)


def test_an_objection_is_resolved_by_the_body_the_seed_names(office, tmp_path: Path) -> None:
    ref = new_case(office)
    ok(office("advance", ref, "start_internal_notice", now=NOTICE_AT))
    ok(office("tick", now="2026-03-10 00:00", who=None))
    ok(office("advance", ref, "submit", *sets(ORG_DECLARATIONS), now="2026-03-10 09:30"))
    ok(office("checklist", "record", ref, "--all", "--finding", "符合", now="2026-03-11 09:00", who="li"))
    ok(office("advance", ref, "pass_qualification", "--set", "qualification_opinion=符合", now="2026-03-11 09:00",
              who="li"))
    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4 evidence")
    r = office("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "材料不实",
               "--evidence", str(proof), now="2026-03-12 09:00", who="li")
    refused(r, 3, "SHA-32", "只能由上海市政府质量奖的 市审定办 办理")
    ok(office("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "材料不实",
              "--evidence", str(proof), now="2026-03-12 09:00"))
    r = office("objection", "resolve", "1", "--dismiss", "--reason", "经核查材料属实", now="2026-03-13 09:00", who="zhao")
    refused(r, 3, "SHA-32")
    ok(office("objection", "resolve", "1", "--dismiss", "--reason", "经核查材料属实", now="2026-03-13 09:00"))
