"""Assignment, recusal and who may read a case (issue 10, points 2-4 and 9), through the CLI."""

from __future__ import annotations

from collections import Counter

from tests.review.conftest import NOW, Review, items, make_review

ROUND = "sha-2026"


def _loads(review: Review) -> Counter[str]:
    panel = review.ok("panel", "show", "--round", ROUND, "--json").json
    return Counter({m["name"]: m["load"] for m in panel["members"]})


def test_round_assignment_is_balanced_and_never_gives_a_conflicted_expert(review_any: Review) -> None:
    review = review_any
    o = review.office
    # 张一 registered coaching of case 1's applicant (SHA-14); 张二's organisation belongs to the same group as case 2's.
    review.ok("expert", "relation", "张一", "--kind", "coaching", "--org-code", review.codes[0], "--from", "2025-01-01")
    review.ok("expert", "group", "--member", review.codes[1], "--group", review.experts["张二"][2])
    r = review.ok("review", "assign", "--round", ROUND, "--stage", "material", "--json")
    got = [(a["case_ref"], a["expert"]) for a in r.json]
    assert len(got) == 4 * 3
    assert (review.refs[0], "张一") not in got and (review.refs[1], "张二") not in got
    per_case = Counter(ref for ref, _ in got)
    assert set(per_case.values()) == {3}
    loads = _loads(review)
    assert max(loads.values()) - min(loads.values()) <= 1, loads
    # The detected conflicts are on record with kind, source and reason, and in the cases' history.
    listed = review.ok("expert", "conflict", "list", "--json").json
    assert {(c["expert"], c["party"], c["kind"], c["source"]) for c in listed} == {
        ("张一", o.show(review.refs[0])["party"]["name"], "coaching", "detected"),
        ("张二", o.show(review.refs[1])["party"]["name"], "same_group", "detected"),
    }
    kinds = [e["kind"] for e in review.history(review.refs[0])]
    assert "conflict_recorded" in kinds
    # By hand, the registered coach is refused citing the coaching rule (SHA-14).
    r = review.run("review", "assign", review.refs[0], "--stage", "site", "--expert", "张一")
    assert r.code == 3 and "已备案的指导关系" in r.err and "[SHA-14]" in r.err
    # Running it again assigns nobody twice (every case has its three).
    again = review.run("review", "assign", "--round", ROUND, "--stage", "material", "--json")
    assert again.code == 0 and again.json == []


def test_only_panel_members_and_never_a_conflicted_one_by_hand(office) -> None:
    review = make_review(office, cases=1, experts=4, panel=False)
    review.ok("panel", "form", "--round", ROUND, "--expert", "张一", "--expert", "张二", "--expert", "张三")
    ref = review.refs[0]
    r = review.run("review", "assign", ref, "--stage", "material", "--expert", "张四")
    assert r.code == 3
    assert "张四 不是 sha-2026 评审组的成员" in r.err and "SHA-10" in r.err
    review.ok("expert", "conflict", "add", "张一", "--party", review.codes[0], "--kind", "employment",
              "--reason", "2024年前在申报单位任质量总监", "--declared")
    r = review.run("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二")
    assert r.code == 3
    assert "张一 与申报方" in r.err and "近年在申报方任职" in r.err and "SHA-29" in r.err
    assert review.ok("review", "assignments", ref, "--json").json == []  # refused as a whole: nothing assigned
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张二", "--expert", "张三")
    r = review.run("review", "assign", ref, "--stage", "material", "--expert", "张二")
    assert r.code == 3 and "已分配" in r.err


def test_a_conflicted_or_unassigned_expert_reads_nothing_of_the_case(review: Review, tmp_path) -> None:
    ref = review.refs[0]
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二",
              "--expert", "张三")
    review.ok("review", "score", ref, "--stage", "material", *items(0.6), who="zhang1")
    review.ok("expert", "conflict", "add", "张二", "--party", review.codes[0], "--kind", "other",
              "--reason", "配偶在申报单位任副总经理")
    export = str(tmp_path / "out.xlsx")
    for login, why in (("zhang2", "存在利害关系"), ("zhang4", "未被分配评审")):
        for args in (("show", ref), ("show", ref, "--json"), ("history", ref), ("history", ref, "--json"),
                     ("review", "scores", ref), ("review", "scores", ref, "--json"),
                     ("review", "assignments", ref, "--json")):
            r = review.run(*args, who=login)
            assert r.code == 3, (args, r)
            assert why in r.err and "SHA-29" in r.err, (args, r)
            assert "600" not in r.out and r.out == ""
        r = review.run("review", "score", ref, "--stage", "material", *items(0.9), who=login)
        assert r.code == 3 and why in r.err and "SHA-29" in r.err
        # Lists and exports leave the case out for this reader.
        rank = review.ok("ranking", "--round", ROUND, "--stage", "material", "--json", who=login).json
        assert ref not in [c["ref"] for cases in rank["tracks"].values() for c in cases]
        assert rank["hidden"] >= 1
        review.ok("review", "export", "--round", ROUND, "--format", "xlsx", "-o", export, who=login)
        from openpyxl import load_workbook

        wb = load_workbook(export)
        assert all(ref not in str(cell.value) for ws in wb.worksheets for row in ws.iter_rows() for cell in row)
    # An assigned expert free of conflict reads it; the office reads every attempt in the history.
    assert review.run("show", ref, "--json", who="zhang1").code == 0
    refused = [e for e in review.history(ref) if e["kind"] in ("access_refused", "score_refused")]
    assert {e["actor"] for e in refused} == {"zhang2", "zhang4"}
    assert len(refused) == 2 * 8
    assert all(e["detail"]["rule"] == "SHA-29" for e in refused)


def test_a_conflict_found_after_scoring_drops_the_score_and_keeps_it_marked(review_any: Review) -> None:
    review = review_any
    ref = review.refs[0]
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二",
              "--expert", "张三")
    review.ok("review", "score", ref, "--stage", "material", *items(0.5), who="zhang1")
    review.ok("review", "score", ref, "--stage", "material", *items(0.7), who="zhang2")
    review.ok("review", "score", ref, "--stage", "material", *items(0.9), who="zhang3")

    def line() -> dict:
        rank = review.ok("ranking", "--round", ROUND, "--stage", "material", "--json").json
        return next(c for cases in rank["tracks"].values() for c in cases if c["ref"] == ref)

    assert (line()["mean"], line()["count"]) == (700.0, 3)
    # The office records that 张三 consulted for the applicant last year: recused at once.
    review.ok("expert", "relation", "张三", "--kind", "consulting", "--org-code", review.codes[0],
              "--from", "2024-03-01", "--to", "2025-06-30")
    assert (line()["mean"], line()["count"]) == (600.0, 2)
    scores = review.ok("review", "scores", ref, "--json").json
    marked = {s["expert"]: (s["counted"], s["note"]) for s in scores["scores"]}
    assert marked["张一"] == (True, None) and marked["张二"] == (True, None)
    assert marked["张三"][0] is False and "已回避" in marked["张三"][1] and "咨询" in marked["张三"][1]
    assert scores["totals"]["material"]["count"] == 2
    recused = [e for e in review.history(ref) if e["kind"] == "review_recused"]
    assert len(recused) == 1 and recused[0]["detail"]["expert_name"] == "张三"
    assert "900.0" in recused[0]["detail"]["scores_dropped"]
    ended = {a["expert"]: a["end_reason"] for a in review.ok("review", "assignments", ref, "--json").json}
    assert ended["张一"] is None and "回避" in ended["张三"]
    assert review.run("history", ref, who="zhang3").code == 3


def test_disqualification_ends_work_and_a_warning_is_recorded(review: Review) -> None:
    ref = review.refs[0]
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二")
    review.ok("review", "score", ref, "--stage", "material", *items(0.8), who="zhang1")
    review.ok("panel", "sanction", "--round", ROUND, "--expert", "张二", "--kind", "warning", "--reason", "迟交评分")
    review.ok("panel", "sanction", "--round", ROUND, "--expert", "张一", "--kind", "disqualification",
              "--reason", "私下接触申报单位")
    members = {m["name"]: m for m in review.ok("panel", "show", "--round", ROUND, "--json").json["members"]}
    assert members["张二"]["status"] == "warned" and members["张二"]["sanctions"][0]["rule"] == "SHA-29"
    warned = [e for e in review.history(ref) if e["kind"] == "review_warning"]
    assert len(warned) == 1 and warned[0]["comment"] == "迟交评分" and warned[0]["detail"]["expert_name"] == "张二"
    removed = next(e for e in review.history(ref) if e["kind"] == "review_disqualified")
    assert removed["detail"]["expert_name"] == "张一"
    assert members["张一"]["status_label"] == "已取消评审资格" and members["张一"]["load"] == 0
    r = review.run("review", "assign", review.refs[1], "--stage", "material", "--expert", "张一")
    assert r.code == 3 and "已被取消本轮评审资格" in r.err
    assert review.ok("review", "scores", ref, "--json").json["totals"]["material"]["count"] == 0
    assert review.run("show", ref, who="zhang1").code == 3


def test_the_panel_ends_with_the_round(review: Review) -> None:
    review.ok("panel", "dissolve", "--round", ROUND)
    r = review.run("review", "assign", "--round", ROUND, "--stage", "material")
    assert r.code == 3 and "评审组已撤销" in r.err and "SHA-10" in r.err
    assert review.ok("panel", "show", "--round", ROUND, "--json").json["ended"] is True
    assert NOW


def test_a_conflicted_expert_cannot_move_the_case_and_a_disabled_one_cannot_score(review: Review) -> None:
    ref = review.refs[0]
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二")
    review.ok("review", "score", ref, "--stage", "material", *items(0.6), who="zhang1")
    review.ok("expert", "disable", "张二", "--reason", "身体原因退出")
    r = review.run("review", "score", ref, "--stage", "material", *items(0.6), who="zhang2")
    assert r.code == 3 and "张二 已停用" in r.err
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张三")
    review.ok("review", "score", ref, "--stage", "material", *items(0.7), who="zhang3")
    review.ok("advance", ref, "select_for_site_review", "--set", "material_review_report=资料评审报告")
    review.ok("expert", "conflict", "add", "张四", "--party", review.codes[0], "--kind", "same_org",
              "--reason", "2026年起在申报单位兼职")
    r = review.run("advance", ref, "complete_site_review", "--set", "site_review_report=现场评审报告", who="zhang4")
    assert r.code == 3 and "zhang4 须回避" in r.err and "SHA-29" in r.err
    assert review.office.show(ref)["state"] == "site_review"
    review.ok("advance", ref, "complete_site_review", "--set", "site_review_report=现场评审报告", who="li")


def test_only_the_office_withdraws_a_conflict_and_the_history_keeps_both(review: Review) -> None:
    ref = review.refs[0]
    r = review.ok("expert", "conflict", "add", "张一", "--party", review.codes[0], "--kind", "other",
                  "--reason", "曾共同承担课题", who="zhang1").out
    assert "本人申报" in r
    listed = review.ok("expert", "conflict", "list", "--party", review.codes[0], "--json").json
    cid = next(c["id"] for c in listed if c["expert"] == "张一")
    r = review.run("expert", "conflict", "withdraw", str(cid), "--reason", "不是利害关系", who="zhang1")
    assert r.code == 3 and "只有办公室可以撤销" in r.err
    review.ok("expert", "conflict", "withdraw", str(cid), "--reason", "课题已于十年前结束，经核实不构成利害关系")
    assert all(c["id"] != cid for c in review.ok("expert", "conflict", "list", "--json").json)
    gone = [c for c in review.ok("expert", "conflict", "list", "--all", "--json").json if c["id"] == cid]
    assert gone[0]["active"] is False and "十年前" in gone[0]["withdrawn_reason"]
    kinds = [e["kind"] for e in review.history(ref)]
    assert kinds.count("conflict_recorded") == 1 and kinds.count("conflict_withdrawn") == 1
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一")
    review.ok("expert", "relation", "张二", "--kind", "employment", "--org-code", review.codes[0], "--from", "2020-01-01")
    detected = next(c for c in review.ok("expert", "conflict", "list", "--expert", "张二", "--json").json)
    assert detected["source"] == "detected" and detected["kind"] == "employment"
    r = review.run("expert", "conflict", "withdraw", str(detected["id"]), "--reason", "误报")
    assert r.code == 2 and "请更正专家的单位、任职、指导或集团关系记录" in r.err
