"""`award definitions check` checks the review key and the scoring tables, naming file and line."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.test_loader import check, edit, folder, line_of, problem, run  # noqa: F401 - fixtures


def test_unknown_stage_state_and_leave_trigger(run, folder: Path) -> None:  # noqa: F811
    text = edit(folder, "      state: site_review\n", "      state: site_reveiw\n")
    problem(check(run, folder), folder, line_of(text, "state: site_reveiw"), "评审阶段 site 的状态 'site_reveiw' 未定义")
    edit(folder, "      state: site_reveiw\n", "      state: site_review\n")
    text = edit(folder, "leave: [complete_site_review]", "leave: [complete_evaluation]")
    problem(check(run, folder), folder, line_of(text, "leave: [complete_evaluation]"),
            "leave 触发 'complete_evaluation' 不能从状态")


def test_unknown_rule_and_more_scores_than_experts(run, folder: Path) -> None:  # noqa: F811
    text = edit(folder, "  rules: {pool: SHA-9,", "  rules: {pool: SHA-99,")
    problem(check(run, folder), folder, line_of(text, "pool: SHA-99"), "规则编号 'SHA-99' 不在规则目录")
    text = edit(folder, "      experts: 3\n      min_scores: 2\n      scoring: gbt19580-2012\n      leave: [complete",
                "      experts: 1\n      min_scores: 2\n      scoring: gbt19580-2012\n      leave: [complete")
    assert "min_scores 2 多于每案专家人数 1" in check(run, folder).err


def test_a_scoring_table_that_does_not_add_up(run, folder: Path) -> None:  # noqa: F811
    table = folder / "scoring" / "gbt19580-2012.yaml"
    text = table.read_text(encoding="utf-8").replace("points: 60, edition", "points: 61, edition")
    table.write_text(text, encoding="utf-8")
    r = check(run, folder)
    assert r.code == 6
    assert f"{table}:" in r.err and "类目 4.4 资源 的分值 130 不等于其条款分值之和 131" in r.err
    (folder / "scoring" / "gbt19580-2012.yaml").unlink()
    r = check(run, folder)
    assert r.code == 6 and "评分表文件不存在：scoring/gbt19580-2012.yaml" in r.err
