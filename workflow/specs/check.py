"""Every check a definition must pass before a machine is built from it.

`check_file` returns every problem (file, line, reason), never stopping at
the first: staff fix a definition in one go. No database is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..effects import EFFECTS
from ..errors import Problem
from ..guards import GUARDS
from .check_notify import check_notifications
from .loader import LoadedFile, Rule
from .model import GuardCall, ProcessSpec

__all__ = ["SYSTEM_ROLE", "check_file"]

SYSTEM_ROLE = "system"
"""The role of triggers only timers fire."""

_PARTY_COLUMNS = {"registered_on", "name", "kind", "code", "email", "phone", "district"}


def check_file(loaded: LoadedFile, rules: Mapping[str, Rule]) -> list[Problem]:
    """All semantic problems of one parsed definition (parse problems are already in `loaded.problems`)."""
    spec = loaded.spec
    if spec is None:
        return []
    out: list[Problem] = []
    p = loaded.problem
    states = [s.name for s in spec.states]
    state_set = set(states)

    # States: unique, ASCII ids.
    seen: set[str] = set()
    for i, s in enumerate(spec.states):
        if s.name in seen:
            out.append(p(f"状态 {s.name!r} 重复定义", "states", i, "name"))
        seen.add(s.name)
        if not s.name.isascii() or not s.name.replace("_", "").isalnum():
            out.append(p(f"状态 id {s.name!r} 须为 ASCII 字母、数字和下划线（中文写在 label 里）", "states", i, "name"))

    def rule_ok(rule: str | None, *where: str | int) -> None:
        if rule is not None and rule not in rules:
            out.append(p(f"规则编号 {rule!r} 不在规则目录 rules.yaml 中", *where))

    def field_ok(path: str, *where: str | int) -> None:
        scope, _, name = path.rpartition(".")
        if scope == "party":
            if name not in _PARTY_COLUMNS and name not in spec.party_attributes:
                out.append(p(f"未知的申报主体属性 {name!r}", *where))
        elif scope == "round":
            if name != "year" and name not in spec.round_dates and name not in spec.round_properties:
                out.append(p(f"未知的轮次日期或属性 {name!r}", *where))
        elif scope in ("", "case", "before"):
            if name != "track" and name not in spec.fields:
                out.append(p(f"未知的表单字段 {name!r}", *where))
        else:
            out.append(p(f"字段路径 {path!r} 的前缀须为 party.、round.、before. 或省略", *where))

    def guards_ok(calls: Iterable[GuardCall], *where: str | int) -> None:
        for i, call in enumerate(calls):
            here = (*where, i)
            rule_ok(call.rule, *here, "rule")
            for msg in GUARDS.validate(call.check, call.params):
                out.append(p(msg, *here))
            for key in (call.when or {}):
                field_ok(key, *here, "when")
            params = call.params
            for key in ("field", "when_field", "other"):
                if isinstance(params.get(key), str):
                    field_ok(params[key], *here, key)
            for name in params.get("fields", []) if isinstance(params.get("fields"), list) else []:
                field_ok(name, *here, "fields")
            for st in params.get("states") or []:
                if st not in state_set:
                    out.append(p(f"未知的状态 {st!r}", *here, "states"))
            if call.check == "any_of":
                nested = [GuardCall.model_validate({"rule": call.rule, **g}) for g in params.get("any", [])
                          if isinstance(g, dict) and "check" in g]
                guards_ok(nested, *here, "any")
            if call.check in ("before", "cycle_year") and params.get("date") not in spec.round_dates:
                out.append(p(f"未知的轮次日期 {params.get('date')!r}", *here, "date"))

    # Tracks and starts.
    for name, track in spec.tracks.items():
        for field, value in track.fields.items():
            fs = spec.fields.get(field)
            if fs is None:
                out.append(p(f"赛道 {name} 设定了未知字段 {field!r}", "tracks", name, "fields", field))
            elif fs.choices and value not in fs.choices:
                out.append(p(f"赛道 {name} 的 {field}={value!r} 不在可选项中", "tracks", name, "fields", field))
    if not spec.starts:
        out.append(p("至少需要一种案件开始方式（starts）", "starts"))
    for name, start in spec.starts.items():
        if start.state not in state_set:
            out.append(p(f"开始方式 {name} 指向未知状态 {start.state!r}", "starts", name, "state"))
        for field in start.requires:
            field_ok(field, "starts", name, "requires")
        for role in start.roles:
            if role not in spec.roles:
                out.append(p(f"开始方式 {name} 的角色 {role!r} 未在 roles 中定义", "starts", name, "roles"))

    for name, track in spec.tracks.items():
        rule_ok(track.rule, "tracks", name, "rule")
    for work, perm in spec.permissions.items():
        rule_ok(perm.rule, "permissions", work, "rule")
        for role in perm.roles:
            if role not in spec.roles:
                out.append(p(f"permissions.{work} 的角色 {role!r} 未在 roles 中定义", "permissions", work, "roles"))

    # Fields.
    triggers = set(spec.triggers())
    for name, fs in spec.fields.items():
        for st in fs.editable_in:
            if st != "*" and st not in state_set:
                out.append(p(f"字段 {name} 的 editable_in 含未知状态 {st!r}", "fields", name, "editable_in"))
        for trig in fs.required_for:
            if trig not in triggers:
                out.append(p(f"字段 {name} 的 required_for 含未知触发 {trig!r}", "fields", name, "required_for"))

    # Transitions.
    roles = set(spec.roles) | {SYSTEM_ROLE}
    for i, t in enumerate(spec.transitions):
        where = ("transitions", i)
        if not t.source:
            out.append(p(f"触发 {t.trigger!r} 没有来源状态（source）", *where, "source"))
        for src in t.source:
            if src != "*" and src not in state_set:
                out.append(p(f"触发 {t.trigger!r} 的来源状态 {src!r} 未定义", *where, "source"))
            elif src != "*" and spec.state(src).final:
                out.append(p(f"触发 {t.trigger!r} 从终止状态 {src!r} 出发", *where, "source"))
        if t.dest not in state_set:
            out.append(p(f"触发 {t.trigger!r} 的目标状态 {t.dest!r} 未定义", *where, "dest"))
        for role in t.roles:
            if role not in roles:
                out.append(p(f"触发 {t.trigger!r} 的角色 {role!r} 未在 roles 中定义", *where, "roles"))
        if not t.roles:
            out.append(p(f"触发 {t.trigger!r} 没有可执行的角色（roles）", *where, "roles"))
        guards_ok(t.guards, *where, "guards")
        rule_ok(t.rule, *where, "rule")
        for field in t.fields:
            if field not in spec.fields:
                out.append(p(f"触发 {t.trigger!r} 可填写的字段 {field!r} 未定义", *where, "fields"))
        for j, eff in enumerate(t.effects):
            effect_name = eff.get("effect")
            params = {k: v for k, v in eff.items() if k != "effect"}
            if not isinstance(effect_name, str):
                out.append(p("effects 的每一项须有 effect: 名称", *where, "effects", j))
                continue
            for msg in EFFECTS.validate(effect_name, params):
                out.append(p(msg, *where, "effects", j))
    pairs: dict[tuple[str, str], int] = {}
    for i, t in enumerate(spec.transitions):
        for src in t.source:
            if (t.trigger, src) in pairs:
                out.append(p(f"触发 {t.trigger!r} 从状态 {src!r} 出发定义了两次", "transitions", i, "trigger"))
            pairs[(t.trigger, src)] = i

    # Timers.
    for i, s in enumerate(spec.states):
        for j, timer in enumerate(s.timers):
            at: tuple[str | int, ...] = ("states", i, "timers", j)
            rule_ok(timer.rule, *at, "rule")
            if timer.trigger is not None:
                fired = spec.transition(timer.trigger, s.name)
                if fired is None:
                    out.append(p(f"定时触发 {timer.trigger!r} 不能从状态 {s.name!r} 出发", *at, "trigger"))
                elif SYSTEM_ROLE not in fired.roles:
                    out.append(p(f"定时触发 {timer.trigger!r} 的 roles 须包含 system", *at, "trigger"))
            if timer.at is not None and timer.at not in spec.round_dates:
                out.append(p(f"定时的日期 {timer.at!r} 不是本流程的轮次日期（round_dates）", *at, "at"))
            for text in (timer.after, timer.every, *timer.remind):
                if text is not None:
                    problem = _period_problem(text, remind=text in timer.remind)
                    if problem:
                        out.append(p(problem, *at))
        if s.objection_upheld is not None and spec.transition(s.objection_upheld, s.name) is None:
            out.append(p(f"异议成立时的触发 {s.objection_upheld!r} 不能从状态 {s.name!r} 出发",
                         "states", i, "objection_upheld"))
        if s.objection_upheld is not None and not s.notice:
            out.append(p("只有公示状态（notice: true）才能设 objection_upheld", "states", i, "objection_upheld"))

    # Round dates computed from another round date.
    for name, rd in spec.round_dates.items():
        if rd.years_after is not None and (rd.years_after.date not in spec.round_dates or rd.years_after.date == name):
            out.append(p(f"轮次日期 {name} 的 years_after.date {rd.years_after.date!r} 须为另一个轮次日期",
                         "round_dates", name, "years_after", "date"))

    # Intake, quotas, recipients.
    guards_ok(spec.intake, "intake")
    if spec.quotas is not None:
        for st in spec.quotas.count_states:
            if st not in state_set:
                out.append(p(f"名额统计的状态 {st!r} 未定义", "quotas", "count_states"))
        for j, limit in enumerate(spec.quotas.limits):
            rule_ok(limit.rule, "quotas", "limits", j, "rule")
            for key in limit.where:
                field_ok(key, "quotas", "limits", j, "where")
    for role, path in spec.recipients.items():
        if path.startswith(("office", "config.")):
            continue
        if path.startswith("staff."):
            if path.removeprefix("staff.") not in spec.roles:
                out.append(p(f"通知对象 {role} 指向未定义的角色 {path!r}", "recipients", role))
            continue
        for option in path.split("|"):
            field_ok(option.strip(), "recipients", role)

    out += check_notifications(spec, p)

    # Reachability and dead ends.
    reachable = {s.state for s in spec.starts.values() if s.state in state_set}
    frontier = list(reachable)
    while frontier:
        here = frontier.pop()
        for t in spec.transitions_from(here):
            if t.dest in state_set and t.dest not in reachable:
                reachable.add(t.dest)
                frontier.append(t.dest)
    for i, s in enumerate(spec.states):
        if s.name not in reachable:
            out.append(p(f"状态 {s.name!r} 从任何开始状态都无法到达", "states", i, "name"))
        if not s.final and not spec.transitions_from(s.name):
            out.append(p(f"状态 {s.name!r} 不是终止状态，却没有任何触发可以离开", "states", i, "name"))
    from .review_check import check_review

    out += check_review(loaded, rules)
    return out


def _period_problem(text: str, *, remind: bool) -> str | None:
    from ..timing.periods import parse_offset, parse_period

    try:
        (parse_offset if remind else parse_period)(text)
    except ValueError as exc:
        return str(exc)
    return None


def spec_rules(spec: ProcessSpec) -> set[str]:
    """Every rule id a definition cites (for `definitions show`)."""
    ids = {g.rule for t in spec.transitions for g in t.guards}
    ids |= {t.rule for t in spec.transitions if t.rule}
    ids |= {tm.rule for s in spec.states for tm in s.timers}
    ids |= {g.rule for g in spec.intake}
    if spec.quotas:
        ids |= {q.rule for q in spec.quotas.limits}
    if spec.review is not None:
        ids |= set(spec.review.rules.model_dump().values()) | {st.rule for st in spec.review.stages.values()}
        ids |= {st.shortlist.rule for st in spec.review.stages.values() if st.shortlist is not None}
        if spec.review.join_pool is not None:
            ids.add(spec.review.join_pool.rule)
    return ids
