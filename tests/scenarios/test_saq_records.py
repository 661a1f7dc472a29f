"""What the SAQ's two notices ask to be recorded (issue 14, point 26), through the CLI.

SQA 三（一）: the registration form, sealed, on paper (1 copy) and electronically, by the deadline.
SQI-8 and 附件2/3 五: a recommended case carries its recommender's sealed, dated opinion.
SQI notice 二（三）4: after publication the certificate is issued (number, date), shown with the winners.
Every test here failed before its change.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AwardRunner
from tests.helpers import sets
from tests.scenarios import test_sqa as sqa_steps
from tests.scenarios import test_sqi as sqi_steps
from tests.scenarios.test_sha_refusals import ok, refused


def _sqa(award: AwardRunner) -> None:
    sqa_steps.open_round(award, 2021, "2021-06-30", "2021-08-15", "2021-10-25")
    ok(award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", sqa_steps.MEMBER,
             "--registered-on", "2010-01-01", "--attr", "saq_member=是", "--email", "q@member.example.com"))


def test_sqa31_a_registration_records_the_sealed_form_on_paper_and_electronically(award: AwardRunner) -> None:
    _sqa(award)
    new = ("case", "new", "--party", sqa_steps.MEMBER, "--round", "sqa-2021", "--track", "organization")
    r = award(*new, now="2021-06-01 09:00")
    refused(r, 3, "SQA-3.1", "报名表须加盖组织公章", "报名表须提交纸质版（1份）", "报名表须同时提交电子版")
    assert award("cases", "--json").json == []  # nothing was opened
    r = award(*new, *sets(["registration_sealed=否", "registration_paper=是", "registration_electronic=U盘"]),
              now="2021-06-01 09:00")
    refused(r, 3, "SQA-3.1", "“报名表已加盖组织公章”为“否”")
    r = award(*new, *sets(["registration_electronic=传真"]), now="2021-06-01 09:00")
    assert r.code == 2 and "传真" in r.err, r
    r = award(*new, *sets(sqa_steps.REGISTRATION), "--json", now="2021-06-01 09:00")
    ok(r)
    data = r.json["data"]
    assert (data["registration_sealed"], data["registration_paper"], data["registration_electronic"]) == (
        True, True, "email")
    shown = award("show", r.json["ref"]).out
    assert "报名表已加盖组织公章" in shown and "电子邮件" in shown
    # the submission checks the registration again: a form changed to unsealed cannot be submitted
    ref = r.json["ref"]
    ok(award("advance", ref, "start_coaching", "--set", "registration_sealed=否", now="2021-07-01 09:00"))
    r = award("advance", ref, "submit", *sets(sqa_steps.MATERIALS), now="2021-08-10 10:00")
    refused(r, 3, "SQA-3.1", "报名表须加盖组织公章")


def test_sqi8_a_recommended_case_needs_the_recommenders_sealed_dated_opinion(award: AwardRunner) -> None:
    ok(award("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now=sqi_steps.OPEN))
    ok(award("party", "add", "--kind", "organization", "--name", "上海乙国有资产经营有限公司", "--code", sqi_steps.STATE,
             "--registered-on", "2000-01-01", "--email", "info@example.com"))
    r = award("case", "new", "--party", sqi_steps.STATE, "--round", "sqi-2024", "--track", "model", "--start",
              "recommend", *sets(["recommender=上海某某集团有限公司", "recommender_kind=group", "ownership=state_owned"]),
              "--json", now="2024-07-01 09:00")
    ok(r)
    ref = r.json["ref"]
    r = award("advance", ref, "submit", *sets(sqi_steps.ORG_CONDITIONS), now=sqi_steps.BEFORE_DEADLINE)
    refused(r, 3, "SQI-8", "经推荐申报的须有推荐单位的推荐意见及日期", "推荐意见须加盖推荐单位公章")
    assert award("show", ref, "--json").json["state"] == "draft"
    opinion = ["recommender_opinion=该成果创新性强，同意推荐", "recommender_opinion_on=2024-07-15", "recommender_sealed=是",
               "unit_opinion=同意申报", "unit_opinion_on=2024-07-10"]
    ok(award("advance", ref, "submit", *sets([*sqi_steps.ORG_CONDITIONS, *opinion]), now=sqi_steps.BEFORE_DEADLINE))
    shown = award("show", ref).out
    assert "推荐单位推荐意见" in shown and "该成果创新性强，同意推荐" in shown and "2024年7月15日" in shown


def test_sqi_a_direct_application_needs_no_recommenders_opinion(award: AwardRunner) -> None:
    ok(award("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now=sqi_steps.OPEN))
    ok(award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", sqi_steps.PRIVATE,
             "--registered-on", "2015-06-01", "--email", "info@example.com"))
    ref = sqi_steps.submitted(award)
    assert award("show", ref, "--json").json["state"] == "condition_review"


def test_sqi_the_certificate_is_issued_after_publication_and_listed_with_the_winners(
        award: AwardRunner, tmp_path: Path) -> None:
    ok(award("round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now=sqi_steps.OPEN))
    ok(award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", sqi_steps.PRIVATE,
             "--registered-on", "2015-06-01", "--email", "info@example.com"))
    ref = sqi_steps.submitted(award)
    sqi_steps.to_approval(award, ref)
    ok(award("advance", ref, "approve", "--set", "grade=优秀级", now="2024-10-25 10:00", who="zhao"))
    ok(award("tick", now="2024-11-02 00:05", who=None))
    view = award("show", ref, "--json").json
    assert (view["state"], view["closed"]) == ("published", False)
    # the certificate needs its number and date, and only the secretariat issues it
    r = award("advance", ref, "issue_certificate", now="2024-11-20 10:00")
    refused(r, 3, "SQI-N2.3.4", "成果评价证书编号", "成果评价证书颁发日期")
    cert = ["certificate_number=SAQ-2024-CX-018", "certificate_issued_on=2024-11-20"]
    r = award("advance", ref, "issue_certificate", *sets(cert), now="2024-11-20 10:00", who="li")
    refused(r, 3, "SQI-N2.3.4")
    ok(award("advance", ref, "issue_certificate", "--yes", *sets(cert), now="2024-11-20 10:00"))
    view = award("show", ref, "--json").json
    assert (view["state"], view["closed"]) == ("certified", True)
    assert view["data"]["certificate_number"] == "SAQ-2024-CX-018"
    assert "成果评价证书编号" in award("show", ref).out
    # the winner is told, with the number and the date in Chinese
    letters = [o for o in award("outbox", "list", "--case", ref, "--json").json if o["template"] == "certificate_issued"]
    assert [o["recipient"] for o in letters] == ["quality@example.com"]
    # the winners' list and its export carry the grade and the certificate
    winners = award("round", "winners", "sqi-2024", "--json").json
    assert [w["award_fields"] for w in winners] == [
        {"评价等级": "优秀级", "成果评价证书编号": "SAQ-2024-CX-018", "成果评价证书颁发日期": "2024年11月20日"}]
    out = tmp_path / "获奖名单.csv"
    ok(award("round", "winners", "sqi-2024", "-o", str(out)))
    header, row = out.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert "成果评价证书编号" in header and "SAQ-2024-CX-018" in row and "2024年11月20日" in row
