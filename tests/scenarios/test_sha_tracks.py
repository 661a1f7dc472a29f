"""SHA scenarios through the CLI: each of the four tracks from application (or recommendation) to `awarded`,
and the branches that end a case early (rejected, not selected, withdrawn, declined, not awarded).

Business time moves with `--now`; every public notice is stepped with `award tick` just before and just
after its due time, computed as `award calendar due` computes it. The case is re-read with `show --json`
after every step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import ORG_DECLARATIONS, PERSON_DECLARATIONS, resident_id, sets, uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUND = "sha-2026"
OPENED = "2026-03-02 09:00"

ORG_A = uscc("91310000MA1FL1GF9")  # registered 2015: gold model, recommended (SHA-21)
ORG_B = uscc("91310115MA1H7GQX5")  # registered 2008, Gold Award 2021: mayor model
PERSON_C = resident_id("31010119800101001")  # quality work since 2015: gold achievement
PERSON_D = resident_id("31011519750615002")  # quality work since 2009: mayor achievement

PARTIES = {
    ORG_A: ["--kind", "organization", "--name", "上海甲质量科技有限公司", "--registered-on", "2015-06-01",
            "--district", "浦东新区", "--email", "quality@jia.example.com"],
    ORG_B: ["--kind", "organization", "--name", "上海乙精密制造有限公司", "--registered-on", "2008-04-10",
            "--district", "浦东新区", "--email", "qm@yi.example.com"],
    PERSON_C: ["--kind", "person", "--name", "陈质量", "--email", "chen@example.com", "--district", "浦东新区"],
    PERSON_D: ["--kind", "person", "--name", "邓卓越", "--email", "deng@example.com", "--district", "浦东新区"],
}

GOLD_2021 = "code,procedure,award,awarded_on\n{code},sha,gold_model,2021-12-20\n"



def local(moment: datetime) -> str:
    """An aware moment as a `--now` value (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def utc_iso(now: str) -> str:
    """A `--now` value as the ISO string the JSON views print (ISO 8601, +08:00)."""
    return datetime.strptime(now, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).isoformat()


def register(award, code: str, *, gold_award_in: Path | None = None) -> None:
    """Register a party; with `gold_award_in`, also import its 2021 Gold Award (won before the system)."""
    r = award("party", "add", "--code", code, *PARTIES[code])
    assert r.code == 0, r
    if gold_award_in is not None:
        csv = gold_award_in / "past-awards.csv"
        csv.write_text(GOLD_2021.format(code=code), encoding="utf-8")
        r = award("party", "import-awards", str(csv))
        assert r.code == 0 and "已导入 1 条获奖记录" in r.out, r


@pytest.fixture
def office(award):
    """The 2026 round is open (announced 2026-03-02, a Monday)."""
    r = award("round", "open", "sha", "2026", now=OPENED)
    assert r.code == 0, r
    return award


class Walk:
    """Drives one case through the CLI, re-reading it after every step and remembering each step for history."""

    def __init__(self, award, ref: str) -> None:
        self.award = award
        self.ref = ref
        self.steps: list[tuple[str, str]] = []  # (trigger, business time as UTC ISO)

    def show(self) -> dict:
        r = self.award("show", self.ref, "--json")
        assert r.code == 0, r
        return r.json

    def do(self, trigger: str, now: str, *, who: str = "wang", fill: list[str] = (), comment: str | None = None,
           expect: str) -> dict:
        extra = ["--comment", comment] if comment else []
        r = self.award("advance", self.ref, trigger, "--yes", *sets(list(fill)), *extra, now=now, who=who)
        assert r.code == 0, r
        self.steps.append((trigger, utc_iso(now)))
        case = self.show()
        assert case["state"] == expect, case["state"]
        assert case["entered_at"] == utc_iso(now)
        return case

    def notice(self, trigger: str, started: str, *, expect: str) -> datetime:
        """Let a 5-working-day notice that started at `started` run out: nothing fires a minute early."""
        r = self.award("calendar", "due", started, "5 working days", "--json", who=None)
        assert r.code == 0, r
        due = datetime.fromisoformat(r.json["at"])
        timers = [t for t in self.show()["timers"] if t["trigger"] == trigger]
        assert [t["due_at"] for t in timers] == [due.isoformat()], timers
        early = self.award("tick", "--json", now=local(due - timedelta(minutes=1)), who=None)
        assert early.code == 0 and early.json["fired"] == [], early
        late = self.award("tick", "--json", now=local(due + timedelta(minutes=5)), who=None)
        assert late.code == 0, late
        assert [(f[1], f[2]) for f in late.json["fired"]] == [(self.ref, TIMER_LABELS[trigger])], late
        self.steps.append((trigger, due.isoformat()))
        assert self.show()["state"] == expect
        return due


TIMER_LABELS = {"internal_notice_elapsed": "内部公示期满", "qualification_notice_elapsed": "资格审查公示期满无异议"}


def open_case(award, code: str, track: str, *, start: str = "apply") -> Walk:
    extra = ["--start", "recommend", "--set", "recommender=上海市经济和信息化委员会"] if start == "recommend" else []
    r = award("case", "new", "--party", code, "--round", ROUND, "--track", track, *extra, "--json", now=OPENED)
    assert r.code == 0, r
    walk = Walk(award, r.json["ref"])
    walk.steps.append((start, utc_iso(OPENED)))
    return walk


def declarations(track: str) -> list[str]:
    if track.endswith("model"):
        return list(ORG_DECLARATIONS)
    since = "2015-03-01" if track == "gold_achievement" else "2009-07-01"
    return [*PERSON_DECLARATIONS, f"quality_work_since={since}"]


def to_material_review(walk: Walk, track: str) -> None:
    walk.do("start_internal_notice", "2026-03-02 11:00", expect="internal_notice")
    walk.notice("internal_notice_elapsed", "2026-03-02 11:00", expect="ready")
    walk.do("submit", "2026-03-10 09:30", fill=declarations(track), expect="qualification_review")
    r = walk.award("checklist", "record", walk.ref, "--all", "--finding", "符合", now="2026-03-19 10:00", who="li")
    assert r.code == 0, r
    walk.do("pass_qualification", "2026-03-20 10:00", who="li", fill=["qualification_opinion=符合申报条件"],
            expect="qualification_notice")
    walk.notice("qualification_notice_elapsed", "2026-03-20 10:00", expect="material_review")


def to_committee(walk: Walk, track: str) -> None:
    to_material_review(walk, track)
    walk.do("select_for_site_review", "2026-05-15 10:00", fill=["material_review_report=过程管理较好，建议加强数字化。"],
            expect="site_review")
    walk.do("complete_site_review", "2026-07-10 10:00", who="li", fill=["site_review_report=领导作用突出。"],
            expect="evaluation")
    walk.do("complete_evaluation", "2026-08-20 10:00", who="li", fill=["evaluation_report=建议授奖。"],
            expect="evaluated")
    walk.do("propose", "2026-09-01 10:00", expect="committee_review")


def to_awarded(award, code: str, track: str, *, commended: str = "2026-10-20 09:00") -> Walk:
    """A registered party's case of the open 2026 round, walked to 已获奖 (commended on `commended`)."""
    register(award, code)
    walk = open_case(award, code, track)
    to_committee(walk, track)
    walk.do("committee_approve", "2026-09-15 10:00", who="zhao", expect="approval")
    walk.do("approve", "2026-09-28 09:00", fill=["approval_document=沪审定委〔2026〕5号"], expect="award_notice")
    fired = award("tick", now="2026-10-11 00:05", who=None)
    assert fired.code == 0, fired
    walk.do("commend", commended, fill=["award_document=沪府〔2026〕88号"], expect="awarded")
    return walk


# ----------------------------------------------------------------------- the tracks

TRACKS = [
    pytest.param("gold_model", ORG_A, "recommend", id="gold_model_recommended"),
    pytest.param("mayor_model", ORG_B, "apply", id="mayor_model_gold_award_2021"),
    pytest.param("gold_achievement", PERSON_C, "apply", id="gold_achievement_11y"),
    pytest.param("mayor_achievement", PERSON_D, "apply", id="mayor_achievement_16y"),
]


@pytest.mark.parametrize(("track", "code", "start"), TRACKS)
def test_track_to_awarded(office, tmp_path: Path, track: str, code: str, start: str) -> None:
    began = datetime.now(UTC)
    register(office, code, gold_award_in=tmp_path if track == "mayor_model" else None)
    walk = open_case(office, code, track, start=start)
    case = walk.show()
    assert case["track"] == track
    if start == "recommend":
        assert case["state"] == "recommended"
        walk.do("confirm_willingness", "2026-03-02 10:00", expect="draft")
    else:
        assert case["state"] == "draft"

    to_committee(walk, track)
    walk.do("committee_approve", "2026-09-15 10:00", who="zhao", expect="approval")
    walk.do("approve", "2026-09-28 09:00", fill=["approval_document=沪审定委〔2026〕5号"], expect="award_notice")

    # The award notice crosses the 2026 National Day holiday: Oct 1-7 off, Saturday Oct 10 a make-up working day.
    r = office("calendar", "due", "2026-09-28 09:00", "5 working days", "--json", who=None)
    assert (r.json["last_day"], r.json["at"]) == ("2026-10-10", "2026-10-11T00:00:00+08:00")
    nothing = office("tick", "--json", now="2026-10-10 12:00", who=None)
    assert nothing.code == 0 and nothing.json["fired"] == [], nothing
    assert walk.show()["state"] == "award_notice"
    fired = office("tick", "--json", now="2026-10-11 00:05", who=None)
    assert [f[1] for f in fired.json["fired"]] == [walk.ref], fired
    walk.steps.append(("award_notice_elapsed", "2026-10-11T00:00:00+08:00"))
    assert walk.show()["state"] == "commendation"

    case = walk.do("commend", "2026-10-20 09:00", fill=["award_document=沪府〔2026〕88号"], expect="awarded")
    assert case["closed"] is False  # revocation stays possible
    assert {t["trigger"] for t in case["triggers"]} == {"revoke_false_material", "revoke_accident"}
    assert {t["duty"] for t in case["timers"] if t["kind"] == "duty"} == {"quality_report", "follow_up"}  # SHA-33, SHA-38

    # History: one event per step, in order, with business time and real (wall) time.
    r = office("history", walk.ref, "--json")
    assert r.code == 0, r
    events = r.json["events"]
    # A winning person joins the expert pool as the award is made (SHA-33): one more event, after the step.
    joined = [e for e in events if e["kind"] == "experts_joined"]
    assert len(joined) == (1 if case["party"]["kind"] == "person" else 0)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    # The review panel's checklist findings (SHA-16/17) are events of their own, recorded before the decision.
    findings = [e for e in events if e["kind"] == "checklist_finding"]
    assert findings and {e["actor"] for e in findings} == {"li"}
    events = [e for e in events if e["kind"] not in ("experts_joined", "checklist_finding")]
    assert [(e["trigger"], e["business_time"]) for e in events] == walk.steps
    ended = datetime.now(UTC)
    for e in events:
        assert began - timedelta(seconds=1) <= datetime.fromisoformat(e["wall_time"]) <= ended
    assert events[-1]["actor"] == "wang" and events[-1]["role"] == "office"
    assert [e["actor"] for e in events if e["trigger"].endswith("_elapsed")] == ["system"] * 3

    # The party's history now holds the award (SHA-18's five-year bar and SHA-16's mayor rule read it).
    party = office("party", "show", code, "--json").json
    won = [rec for rec in party["records"] if rec["source"] == "case"]
    assert [(rec["award"], rec["awarded_on"], rec["case_ref"], rec["revoked_on"]) for rec in won] == [
        (track, "2026-10-20", walk.ref, None)]
    assert won[0]["label"] == f"2026年{case['track_label']}"

    templates = [row["template"] for row in office("outbox", "list", "--case", walk.ref, "--json").json]
    assert templates[-2:] == ["awarded", "district_awarded"]  # the applicant's letter, the district bureau's copy
    assert office("verify", who=None).code == 0


# ------------------------------------------------------------------------ branches


def test_reject_qualification_needs_a_comment(office) -> None:
    register(office, ORG_A)
    walk = open_case(office, ORG_A, "gold_model")
    walk.do("start_internal_notice", "2026-03-02 11:00", expect="internal_notice")
    walk.notice("internal_notice_elapsed", "2026-03-02 11:00", expect="ready")
    walk.do("submit", "2026-03-10 09:30", fill=declarations("gold_model"), expect="qualification_review")

    r = office("advance", walk.ref, "reject_qualification", "--yes", now="2026-03-20 10:00", who="li")
    assert r.code == 3, r
    assert "[SHA-22] “资格审查不通过”须用 --comment 写明理由" in r.err
    assert "依据：SHA-22" in r.err
    assert walk.show()["state"] == "qualification_review"

    case = walk.do("reject_qualification", "2026-03-20 10:00", who="li", comment="营业执照复印件缺失",
                   fill=["qualification_opinion=材料不完整"], expect="rejected")
    assert case["closed"] is True and case["triggers"] == [] and case["timers"] == []
    events = office("history", walk.ref, "--json").json["events"]
    assert (events[-1]["comment"], events[-1]["role"]) == ("营业执照复印件缺失", "reviewer")
    rows = office("outbox", "list", "--case", walk.ref, "--json").json
    assert ("qualification_rejected", "applicant@example.com") in {(o["template"], o["recipient"]) for o in rows}


def test_not_selected_needs_the_report_and_sends_feedback(office) -> None:
    register(office, PERSON_C)
    walk = open_case(office, PERSON_C, "gold_achievement")
    to_material_review(walk, "gold_achievement")

    r = office("advance", walk.ref, "not_selected", "--yes", now="2026-05-15 10:00")
    assert r.code == 3, r
    assert "[SHA-23] 尚未填写：“资料评审报告及改进建议”（material_review_report）" in r.err
    assert "依据：SHA-23" in r.err

    walk.do("not_selected", "2026-05-15 10:00", fill=["material_review_report=结果指标不足，建议完善测量体系。"],
            expect="not_selected")
    rows = office("outbox", "list", "--case", walk.ref, "--json").json
    feedback = [o for o in rows if o["template"] == "material_review_feedback"]
    assert [(o["recipient"], o["role"], o["status"]) for o in feedback] == [("person@example.com", "applicant", "spooled")]
    assert walk.ref in feedback[0]["subject"]


def test_withdraw_cancels_the_running_notice(office) -> None:
    register(office, ORG_A)
    walk = open_case(office, ORG_A, "gold_model")
    walk.do("start_internal_notice", "2026-03-02 11:00", expect="internal_notice")
    assert [t["trigger"] for t in walk.show()["timers"]] == ["internal_notice_elapsed"]

    r = office("advance", walk.ref, "withdraw", "--yes", now="2026-03-04 09:00")
    assert r.code == 3 and "[SHA-" not in r.err and "须用 --comment 写明理由" in r.err, r
    case = walk.do("withdraw", "2026-03-04 09:00", comment="企业决定明年再申报", expect="withdrawn")
    assert case["closed"] is True and case["timers"] == []
    late = office("tick", "--json", now="2026-03-10 00:05", who=None)
    assert late.json["fired"] == [], late
    assert walk.show()["state"] == "withdrawn"


def test_decline_after_recommendation(office) -> None:
    register(office, ORG_A)
    walk = open_case(office, ORG_A, "gold_model", start="recommend")
    rows = office("outbox", "list", "--case", walk.ref, "--json").json
    assert [o["template"] for o in rows] == ["willingness_request", "recommendation_received", "work_recommended"]
    case = walk.do("decline", "2026-03-05 10:00", comment="企业暂无申报意愿", expect="declined")
    assert case["closed"] is True
    assert [e["trigger"] for e in office("history", walk.ref, "--json").json["events"]] == ["recommend", "decline"]
    # A declined recommendation does not block an application in the same round.
    r = office("case", "new", "--party", ORG_A, "--round", ROUND, "--track", "gold_model", now="2026-03-06 09:00")
    assert r.code == 0, r


def test_committee_reject(office) -> None:
    register(office, PERSON_D)
    walk = open_case(office, PERSON_D, "mayor_achievement")
    to_committee(walk, "mayor_achievement")

    r = office("advance", walk.ref, "committee_reject", "--yes", now="2026-09-15 10:00", who="zhao")
    assert r.code == 3 and "[SHA-26] “市审定委审议未通过”须用 --comment 写明理由" in r.err, r
    case = walk.do("committee_reject", "2026-09-15 10:00", who="zhao", comment="审议票数未过半", expect="not_awarded")
    assert case["closed"] is True
    party = office("party", "show", PERSON_D, "--json").json
    assert party["records"] == []
    assert office("verify", who=None).code == 0
