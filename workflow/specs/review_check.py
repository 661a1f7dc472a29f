"""Checks of a definition's `review:` key: stages name real states and triggers, rules exist, tables add up."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import Problem
from .loader import LoadedFile, Rule

__all__ = ["check_review"]


def check_review(loaded: LoadedFile, rules: Mapping[str, Rule]) -> list[Problem]:
    """Every problem of the review key (file and line), and of the scoring tables it names."""
    from ..review.scoring import check_table_file

    spec = loaded.spec
    if spec is None or spec.review is None:
        return []
    review = spec.review
    p = loaded.problem
    out: list[Problem] = []
    states = {s.name for s in spec.states}
    triggers = set(spec.triggers())

    def rule_ok(rule: str, *where: str | int) -> None:
        if rule not in rules:
            out.append(p(f"规则编号 {rule!r} 不在规则目录 rules.yaml 中", "review", *where))

    for name, rule in review.rules.model_dump().items():
        rule_ok(rule, "rules", name)
    seen_states: dict[str, str] = {}
    tables: set[str] = set()
    for sid, stage in review.stages.items():
        at = ("stages", sid)
        rule_ok(stage.rule, *at, "rule")
        if stage.state not in states:
            out.append(p(f"评审阶段 {sid} 的状态 {stage.state!r} 未定义", "review", *at, "state"))
        elif stage.state in seen_states:
            out.append(p(f"评审阶段 {sid} 与 {seen_states[stage.state]} 属于同一状态 {stage.state!r}",
                         "review", *at, "state"))
        seen_states[stage.state] = sid
        for trig in stage.leave:
            if trig not in triggers or (stage.state in states and spec.transition(trig, stage.state) is None):
                out.append(p(f"评审阶段 {sid} 的 leave 触发 {trig!r} 不能从状态 {stage.state!r} 出发",
                             "review", *at, "leave"))
        if stage.min_scores and stage.scoring is None:
            out.append(p(f"评审阶段 {sid} 没有评分表（scoring），不能要求 min_scores", "review", *at, "min_scores"))
        if stage.min_scores > stage.experts:
            out.append(p(f"评审阶段 {sid} 的 min_scores {stage.min_scores} 多于每案专家人数 {stage.experts}",
                         "review", *at, "min_scores"))
        if stage.scoring is not None:
            tables.add(stage.scoring)
        if stage.tie_break is not None and stage.scoring is None:
            out.append(p(f"评审阶段 {sid} 没有评分表，不能按类目 {stage.tie_break!r} 排序", "review", *at, "tie_break"))
        if stage.shortlist is not None:
            sl = stage.shortlist
            rule_ok(sl.rule, *at, "shortlist", "rule")
            for key, trig in (("select", sl.select), ("reject", sl.reject)):
                if stage.state in states and spec.transition(trig, stage.state) is None:
                    out.append(p(f"评审阶段 {sid} 的 shortlist.{key} 触发 {trig!r} 不能从状态 {stage.state!r} 出发",
                                 "review", *at, "shortlist", key))
            if sl.report_field is not None and sl.report_field not in spec.fields:
                out.append(p(f"评审阶段 {sid} 的报告字段 {sl.report_field!r} 未定义", "review", *at, "shortlist",
                             "report_field"))
    if review.join_pool is not None:
        rule_ok(review.join_pool.rule, "join_pool", "rule")
        for trig in review.join_pool.triggers:
            if trig not in triggers:
                out.append(p(f"join_pool 的触发 {trig!r} 未定义", "review", "join_pool", "triggers"))
        for key in ("field", "person_org_field"):
            name = getattr(review.join_pool, key)
            if name is not None and name not in spec.fields:
                out.append(p(f"join_pool 的字段 {name!r} 未定义", "review", "join_pool", key))
    if review.applicant_org_field is not None and review.applicant_org_field not in spec.fields:
        out.append(p(f"applicant_org_field 的字段 {review.applicant_org_field!r} 未定义", "review",
                     "applicant_org_field"))
    folder = loaded.path.parent
    for table_id in sorted(tables):
        out += check_table_file(folder, table_id)
    for sid, stage in review.stages.items():
        if stage.scoring is None or stage.tie_break is None or any(
                q.file.endswith(f"{stage.scoring}.yaml") for q in out):
            continue
        from ..review.scoring import load_table

        table = load_table(folder, stage.scoring)
        if stage.tie_break not in {c.clause for c in table.categories}:
            out.append(p(f"评审阶段 {sid} 的 tie_break {stage.tie_break!r} 不是评分表 {table.id} 的类目",
                         "review", "stages", sid, "tie_break"))
    return out
