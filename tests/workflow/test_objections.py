"""Objections during a public notice (SHA-32), through `award objection file|resolve`, and their timers.

The qualification notice used throughout is published on Wednesday 2026-05-06 10:00: five working days
are 05-07, 05-08, Saturday 05-09 (a make-up working day after Labour Day), 05-11 and 05-12, so the notice
has run its full length at 2026-05-13 00:00.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.fixtures_sha import (
    events,
    iso,
    office_fixture,  # noqa: F401 - fixtures
    shanghai,
)

PUBLISHED = "2026-05-06 10:00"
DUE = "2026-05-13 00:00"
ELAPSED = "qualification_notice_elapsed"


@pytest.fixture
def noticed(office):
    """(office, case ref) with the qualification notice running."""
    ref = office.in_notice(PUBLISHED)
    assert shanghai(office.timer(ref, ELAPSED)["due_at"]) == DUE
    return office, ref


def file(o, ref, *extra, now="2026-05-08 09:00", by="张三", contact="13800000000", reason="获奖证书存疑"):
    args = ["objection", "file", ref]
    if by is not None:
        args += ["--by", by]
    if contact is not None:
        args += ["--contact", contact]
    if reason is not None:
        args += ["--reason", reason]
    return o.run(*args, *extra, now=now)


def resolve(o, objection_id, outcome, *, now, reason="经核查"):
    return o.run("objection", "resolve", str(objection_id), f"--{outcome}", "--reason", reason, now=now)


def tick(o, now):
    result = o.run("tick", "--json", now=now)
    assert result.code == 0, result
    return result.json


# --- who may object, and when -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,detail",
    [
        pytest.param({"by": ""}, "实名", id="empty_name"),
        pytest.param({"by": "   "}, "实名", id="blank_name"),
        pytest.param({"contact": ""}, "联系方式", id="empty_contact"),
        pytest.param({"reason": ""}, "理由", id="empty_reason"),
        pytest.param({"reason": " \n "}, "理由", id="blank_reason"),
    ],
)
def test_objection_needs_a_real_name_contact_and_reason(noticed, kwargs, detail):
    o, ref = noticed
    result = file(o, ref, **kwargs)
    assert result.code == 2, result
    assert detail in result.err and "SHA-32" in result.err
    shown = o.show(ref)
    assert shown["held"] is False and shown["objections"] == []


@pytest.mark.parametrize("missing", ["by", "reason"])
def test_missing_option_names_the_rule(noticed, missing):
    o, ref = noticed
    result = file(o, ref, **{missing: None})
    assert result.code == 2, result
    assert "SHA-32" in result.err


def test_objection_outside_a_notice_is_refused(office):
    ref = office.in_review(PUBLISHED)  # qualification review: no notice runs
    result = file(office, ref, now=PUBLISHED)
    assert result.code == 3, result
    assert "不在公示期内" in result.err and "SHA-32" in result.err


def test_objection_after_the_notice_has_elapsed_is_refused(noticed):
    o, ref = noticed
    # Due but no tick has run yet: the case still shows the notice state, yet the notice is over.
    late = file(o, ref, now="2026-05-13 00:00")
    assert late.code == 3, late
    assert "不在公示期内" in late.err and "SHA-32" in late.err
    assert tick(o, "2026-05-13 00:10")["fired"]
    after = file(o, ref, now="2026-05-13 09:00")
    assert after.code == 3, after
    assert o.show(ref)["objections"] == []


def test_objection_in_the_last_minute_of_the_notice_is_accepted(noticed):
    o, ref = noticed
    result = file(o, ref, now="2026-05-12 23:59")
    assert result.code == 0, result
    assert o.show(ref)["held"] is True


# --- holding, dismissing, upholding -------------------------------------------------------------------


def test_objection_holds_the_case_and_is_recorded_with_its_evidence(noticed, tmp_path):
    o, ref = noticed
    proof = tmp_path / "证明材料.pdf"
    proof.write_bytes(b"%PDF-1.4 scanned certificate")
    result = file(o, ref, "--evidence", str(proof), reason="获奖证书系伪造")
    assert result.code == 0, result
    assert "案件暂停" in result.out

    shown = o.show(ref)
    assert shown["held"] is True and shown["state"] == "qualification_notice"
    [objection] = shown["objections"]
    assert (objection["status"], objection["filed_by"], objection["reason"]) == ("open", "张三", "获奖证书系伪造")
    [filed] = events(o.history(ref), "objection_filed")
    assert filed["business_time"] == iso("2026-05-08 09:00")
    assert filed["comment"] == "获奖证书系伪造"
    assert filed["detail"]["by"] == "张三" and filed["detail"]["objection"] == objection["id"]
    assert filed["detail"]["evidence"] == [{"file": "证明材料.pdf", "bytes": proof.stat().st_size,
                                            "sha256": hashlib.sha256(proof.read_bytes()).hexdigest()}]


def test_unreadable_evidence_is_refused_and_files_nothing(noticed, tmp_path):
    o, ref = noticed
    result = file(o, ref, "--evidence", str(tmp_path / "missing.pdf"))
    assert result.code == 2, result
    assert "missing.pdf" in result.err
    assert o.show(ref)["objections"] == []


def test_dismissed_objection_lets_the_case_move_on_only_when_the_notice_has_run_its_length(noticed):
    o, ref = noticed
    assert file(o, ref, now="2026-05-08 09:00").code == 0
    [objection] = o.show(ref)["objections"]
    dismissed = resolve(o, objection["id"], "dismiss", now="2026-05-11 10:00", reason="经核查，证书属实")
    assert dismissed.code == 0, dismissed
    assert "公示期满后" in dismissed.out
    shown = o.show(ref)
    assert shown["held"] is False and shown["state"] == "qualification_notice"

    assert tick(o, "2026-05-12 23:59") == {"fired": [], "held": [], "failed": []}
    assert o.show(ref)["state"] == "qualification_notice"
    fired = tick(o, DUE)
    assert [f[1] for f in fired["fired"]] == [ref]
    history = o.history(ref)
    assert history[-1]["trigger"] == ELAPSED and history[-1]["dest"] == "material_review"
    assert history[-1]["business_time"] == iso(DUE)  # dismissed in time: due as planned
    [resolved] = events(history, "objection_resolved")
    assert resolved["detail"] == {"objection": objection["id"], "outcome": "dismissed",
                                  "actor": {"identity": "bound", "login": "wang"}}
    assert resolved["comment"] == "经核查，证书属实" and resolved["actor"] == "wang"


def test_case_stays_held_until_every_objection_is_resolved(noticed):
    o, ref = noticed
    assert file(o, ref, now="2026-05-07 09:00", by="张三").code == 0
    assert file(o, ref, now="2026-05-08 09:00", by="上海某某公司", reason="现场评审材料不实").code == 0
    first, second = o.show(ref)["objections"]
    assert resolve(o, first["id"], "dismiss", now="2026-05-11 09:00").code == 0
    assert o.show(ref)["held"] is True
    assert tick(o, "2026-05-13 08:00")["held"]  # due, but one objection is still open
    assert resolve(o, second["id"], "dismiss", now="2026-05-13 10:00").code == 0
    assert o.show(ref)["held"] is False
    assert [f[1] for f in tick(o, "2026-05-13 10:01")["fired"]] == [ref]


def test_upheld_objection_disqualifies_at_once(noticed):
    o, ref = noticed
    assert file(o, ref, now="2026-05-08 09:00").code == 0
    [objection] = o.show(ref)["objections"]
    upheld = resolve(o, objection["id"], "uphold", now="2026-05-09 11:00", reason="证书确系伪造")
    assert upheld.code == 0, upheld
    assert "异议成立" in upheld.out

    shown = o.show(ref)
    assert shown["state"] == "disqualified" and shown["closed"] is True and shown["held"] is False
    assert shown["timers"] == []  # the notice's timer is cancelled with the state it belonged to
    assert tick(o, "2026-05-13 08:00") == {"fired": [], "held": [], "failed": []}
    history = o.history(ref)
    assert [e["kind"] for e in history[-3:]] == ["objection_filed", "objection_resolved", "transition"]
    last = history[-1]
    assert (last["trigger"], last["source"], last["dest"]) == ("disqualify", "qualification_notice", "disqualified")
    assert last["business_time"] == iso("2026-05-09 11:00")
    assert last["comment"] == "证书确系伪造" and last["detail"]["objection"] == objection["id"]


def test_resolving_twice_or_an_unknown_objection(noticed):
    o, ref = noticed
    assert file(o, ref).code == 0
    [objection] = o.show(ref)["objections"]
    assert resolve(o, objection["id"], "dismiss", now="2026-05-09 09:00").code == 0
    again = resolve(o, objection["id"], "uphold", now="2026-05-09 10:00")
    assert again.code == 2 and "已处理" in again.err, again
    assert o.show(ref)["state"] == "qualification_notice"
    unknown = resolve(o, 999, "dismiss", now="2026-05-09 10:00")
    assert unknown.code == 4, unknown
    no_outcome = o.run("objection", "resolve", str(objection["id"]), "--reason", "x", now="2026-05-09 10:00")
    assert no_outcome.code == 2 and "--dismiss" in no_outcome.err
