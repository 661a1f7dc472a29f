"""Scores against GB/T 19580-2012, ranking with ties, the shortlist and its notifications (issue 10, points 5-6)."""

from __future__ import annotations

from email import message_from_bytes, policy

from tests.review.conftest import Review, items

ROUND = "sha-2026"


def _assign_all(review: Review) -> None:
    review.ok("review", "assign", "--round", ROUND, "--stage", "material")


def _assigned(review: Review, ref: str) -> list[str]:
    return [review.experts[a["expert"]][1] for a in review.ok("review", "assignments", ref, "--json").json
            if a["ended_at"] is None]


def test_scores_are_checked_against_the_table(review: Review) -> None:
    ref = review.refs[0]
    _assign_all(review)
    login = _assigned(review, ref)[0]
    r = review.run("review", "score", ref, "--stage", "material", *items(0.5, **{"4_1_2": 51}), who=login)
    assert r.code == 2 and "4.1.2 高层领导的作用 的得分须为 0 到 50 之间的数" in r.err
    r = review.run("review", "score", ref, "--stage", "material", *items(0.5), "--item", "4.8.1=3", who=login)
    assert r.code == 2 and "没有条款 4.8.1" in r.err
    r = review.run("review", "score", ref, "--stage", "material", "--item", "4.1.2=40", who=login)
    assert r.code == 2 and "尚未评分的条款" in r.err and "4.7.7 领导方面的结果" in r.err
    r = review.run("review", "score", ref, "--stage", "material", *items(0.5, **{"4_2_2": -1}), who=login)
    assert r.code == 2 and "4.2.2" in r.err
    r = review.run("review", "score", ref, "--stage", "site", *items(0.5), who=login)
    assert r.code == 3 and "未被分配评审" in r.err
    assert review.ok("review", "scores", ref, "--json").json["scores"] == []  # nothing stored
    r = review.ok("review", "score", ref, "--stage", "material", *items(0.7), "--json", who=login)
    assert r.json["total"] == 700.0 and r.json["categories"]["4.7"] == 280.0
    # A second score by the same expert replaces the first, which stays, marked.
    review.ok("review", "score", ref, "--stage", "material", *items(0.8), who=login)
    scores = review.ok("review", "scores", ref, "--json").json
    assert [(s["total"], s["counted"]) for s in scores["scores"]] == [(700.0, False), (800.0, True)]
    assert scores["totals"]["material"] == {"mean": 800.0, "count": 1, "categories": scores["totals"]["material"]
                                            ["categories"], "label": "资料评审"}


def test_ranking_per_track_breaks_ties_by_results_then_count(review: Review) -> None:
    _assign_all(review)
    a, b, c, d = review.refs
    plan = {  # the same total 600 for a, b and c; b has more in 4.7 results; c fewer scores
        a: [items(0.6), items(0.6)],
        b: [items(0.6, **{"4_1_2": 20, "4_7_2": 58}), items(0.6, **{"4_1_2": 20, "4_7_2": 58})],
        c: [items(0.6), items(0.6), items(0.6)],
        d: [items(0.8), items(0.8)],
    }
    for ref, scores in plan.items():
        for login, args in zip(_assigned(review, ref), scores, strict=False):
            review.ok("review", "score", ref, "--stage", "material", *args, who=login)
    r = review.ok("ranking", "--round", ROUND, "--stage", "material", "--json").json
    lines = r["tracks"]["gold_model"]
    assert [(x["ref"], x["rank"], x["tied"], x["mean"], x["count"]) for x in lines] == [
        (d, 1, False, 800.0, 2), (b, 2, True, 600.0, 2), (c, 2, True, 600.0, 3), (a, 2, True, 600.0, 2)]
    assert "按“4.7 结果”类目平均分从高到低，再按有效评分份数从多到少，再按案件编号先后" in r["order"]
    table = review.ok("ranking", "--round", ROUND, "--stage", "material").out
    assert "2（并列）" in table and "排序规则" in table


def test_a_stage_with_experts_needs_its_minimum_scores_before_the_case_leaves(review: Review) -> None:
    ref = review.refs[0]
    _assign_all(review)
    logins = _assigned(review, ref)
    review.ok("review", "score", ref, "--stage", "material", *items(0.6), who=logins[0])
    r = review.run("advance", ref, "select_for_site_review", "--set", "material_review_report=报告")
    assert r.code == 3 and "资料评审只有 1 份有效评分，离开本阶段至少需要 2 份" in r.err and "SHA-23" in r.err
    assert review.office.show(ref)["state"] == "material_review"
    r = review.run("review", "shortlist", "--round", ROUND, "--stage", "material", "--top", "1")
    assert r.code == 3 and "评分尚未完成" in r.err
    review.ok("review", "score", ref, "--stage", "material", *items(0.6), who=logins[1])
    review.ok("advance", ref, "select_for_site_review", "--set", "material_review_report=报告")


def test_shortlist_selects_the_top_and_sends_the_rest_their_report(review: Review) -> None:
    _assign_all(review)
    for i, ref in enumerate(review.refs):
        for login in _assigned(review, ref)[:2]:
            review.ok("review", "score", ref, "--stage", "material", *items(0.5 + 0.1 * i),
                      "--comment", f"建议{i}加强过程管理", who=login)
    r = review.ok("review", "shortlist", "--round", ROUND, "--stage", "material", "--top", "2", "--json").json
    chosen = {x["case"]: x["selected"] for x in r}
    assert chosen == {review.refs[0]: False, review.refs[1]: False, review.refs[2]: True, review.refs[3]: True}
    states = {ref: review.office.show(ref)["state"] for ref in review.refs}
    assert states == {review.refs[0]: "not_selected", review.refs[1]: "not_selected",
                      review.refs[2]: "site_review", review.refs[3]: "site_review"}
    report = dict(review.office.show(review.refs[0])["data"])["material_review_report"]
    assert "2 位专家评分，平均 500.0 分" in report and "建议0加强过程管理" in report
    review.office.run("outbox", "deliver", who="wang")
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in review.office.spool()]
    feedback = [m for m in mails if "资料评审" in str(m["Subject"]) and "applicant@example.com" in str(m["To"])]
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in feedback]  # type: ignore[union-attr]
    assert len([b for b in bodies if "建议0加强过程管理" in b or "建议1加强过程管理" in b]) == 2, [
        str(m["Subject"]) for m in mails]


def test_shortlist_by_name_and_refusals(review: Review) -> None:
    _assign_all(review)
    for ref in review.refs:
        for login in _assigned(review, ref)[:2]:
            review.ok("review", "score", ref, "--stage", "material", *items(0.6), who=login)
    r = review.run("review", "shortlist", "--round", ROUND, "--stage", "material")
    assert r.code == 2 and "--top N" in r.err
    r = review.run("review", "shortlist", "--round", ROUND, "--stage", "material", "--case", "SHA-2026-099")
    assert r.code == 2 and "SHA-2026-099 不在" in r.err
    r = review.run("review", "shortlist", "--round", ROUND, "--stage", "material", "--top", "1", who="zhang1")
    assert r.code == 3
    review.ok("review", "shortlist", "--round", ROUND, "--stage", "material", "--case", review.refs[1])
    assert [review.office.show(ref)["state"] for ref in review.refs] == [
        "not_selected", "site_review", "not_selected", "not_selected"]
