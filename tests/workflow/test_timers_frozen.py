"""The one injected clock under freezegun: with no `--now`, the system clock is the business clock, and a
notice started just before a real holiday falls due by the official arrangement."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.helpers import ORG_DECLARATIONS, gold_model_in_internal_notice, sets, uscc

ORG = uscc("91310000MA1FL1GF9")


@pytest.fixture
def in_qualification_review(award) -> str:
    ref = gold_model_in_internal_notice(award, code=ORG, year=2025, opened="2025-06-02 09:00",
                                        notice_at="2025-06-02 10:00")
    assert award("tick", now="2025-06-10 00:00", who=None).code == 0
    r = award("advance", ref, "submit", *sets(ORG_DECLARATIONS), now="2025-06-10 09:00")
    assert r.code == 0, r
    r = award("checklist", "record", ref, "--all", "--finding", "符合", now="2025-06-10 09:30", who="li")
    assert r.code == 0, r
    return ref


@pytest.mark.parametrize(
    ("published", "last_day", "due_at"),
    [
        # 10-01..10-08 off (National Day and Mid-Autumn 2025); 10-09 1, 10-10 2; Sat 10-11 make-up day 3;
        # 10-13 4, 10-14 5 -> due 2025-10-15 00:00 Asia/Shanghai (2025-10-14 16:00 UTC)
        ("2025-09-30 09:30:00+08:00", "2025-10-14", "2025-10-15T00:00:00+08:00"),
        # Sat 02-14 make-up day 1; 02-15..02-23 off (Spring Festival 2026); 02-24 2, 02-25 3, 02-26 4, 02-27 5
        ("2026-02-13 10:00:00+08:00", "2026-02-27", "2026-02-28T00:00:00+08:00"),
    ],
    ids=["national_day_2025_makeup_saturday", "spring_festival_2026_makeup_saturday_first"],
)
def test_notice_under_a_frozen_system_clock(award, in_qualification_review, published, last_day, due_at):
    ref = in_qualification_review
    with freeze_time(published):
        r = award("advance", ref, "pass_qualification", who="li")
        assert r.code == 0, r
        view = award("show", ref, "--json").json
    [timer] = [t for t in view["timers"] if t["trigger"] == "qualification_notice_elapsed"]
    assert (timer["last_day"], timer["due_at"]) == (last_day, due_at)

    with freeze_time(f"{last_day} 23:59:00+08:00"):  # the notice's last day: nothing is due yet
        assert "触发 0 个" in award("tick", who=None).out
        assert award("show", ref, "--json").json["state"] == "qualification_notice"
    with freeze_time(due_at.replace("16:00:00", "16:01:00")):
        r = award("tick", who=None)
        assert "触发 1 个" in r.out, r
        history = award("history", ref, "--json").json["events"]
    fired = history[-1]
    assert fired["trigger"] == "qualification_notice_elapsed" and fired["dest"] == "material_review"
    assert fired["business_time"] == due_at  # the event happened when the notice ended, not when the tick ran
