"""Every check a definition must pass before a machine is built from it, and `award definitions check`.

`check_file` returns every problem (file, line, reason), never stopping at the first: staff fix a
definition in one go. Each part of a definition has its own check function below, run in the order
of `_PARTS`. `check_all` adds the templates and calendars of a definitions folder. No database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..effects import EFFECTS
from ..errors import Problem
from ..guards import GUARDS
from .check_notify import check_notifications
from .loader import LoadedFile, Rule
from .messages import reason_of
from .model import GuardCall, ProcessSpec

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = ["SYSTEM_ROLE", "check_all", "check_file", "spec_rules"]

SYSTEM_ROLE = "system"
"""The role of triggers only timers fire."""

_PARTY_COLUMNS = {"registered_on", "name", "kind", "code", "email", "phone", "district"}

Where = tuple[str | int, ...]


@dataclass(kw_only=True)
class _Check:
    """One definition under check, and the problems found so far."""

    loaded: LoadedFile
    spec: ProcessSpec
    rules: Mapping[str, Rule]
    states: set[str] = field(default_factory=set)
    out: list[Problem] = field(default_factory=list)

    def add(self, reason: str, *where: str | int) -> None:
        self.out.append(self.loaded.problem(reason, *where))


def check_file(loaded: LoadedFile, rules: Mapping[str, Rule]) -> list[Problem]:
    """All semantic problems of one parsed definition (parse problems are already in `loaded.problems`)."""
    if loaded.spec is None:
        return []
    c = _Check(loaded=loaded, spec=loaded.spec, rules=rules, states={s.name for s in loaded.spec.states})
    for part in _PARTS:
        part(c)
    return c.out


# ------------------------------------------------------------------------------ shared checks


def _rule_ok(c: _Check, rule: str | None, *where: str | int) -> None:
    if rule is not None and rule not in c.rules:
        c.add(f"规则编号 {rule!r} 不在规则目录 rules.yaml 中", *where)


def _field_ok(c: _Check, path: str, *where: str | int) -> None:
    spec = c.spec
    scope, _, name = path.rpartition(".")
    if scope == "party":
        if name not in _PARTY_COLUMNS and name not in spec.party_attributes:
            c.add(f"未知的申报主体属性 {name!r}", *where)
    elif scope == "round":
        if name != "year" and name not in spec.round_dates and name not in spec.round_properties:
            c.add(f"未知的轮次日期或属性 {name!r}", *where)
    elif scope in ("", "case", "before"):
        if name != "track" and name not in spec.fields:
            c.add(f"未知的表单字段 {name!r}", *where)
    else:
        c.add(f"字段路径 {path!r} 的前缀须为 party.、round.、before. 或省略", *where)


def _guards_ok(c: _Check, calls: Iterable[tuple[int, GuardCall]], *where: str | int) -> None:
    for i, call in calls:
        here = (*where, i)
        _rule_ok(c, call.rule, *here, "rule")
        for key, msg in GUARDS.problems(call.check, call.params):
            c.add(msg, *here, *([key] if key else []))
        for key in (call.when or {}):
            _field_ok(c, key, *here, "when")
        _guard_params_ok(c, call, here)
        for role in call.override or []:
            if role not in c.spec.roles:
                c.add(f"override 的角色 {role!r} 未在 roles 中定义", *here, "override")
        if call.check == "any_of":
            _guards_ok(c, _nested(c, call, here), *here, "any")


def _guard_params_ok(c: _Check, call: GuardCall, here: Where) -> None:
    params = call.params
    for key in ("field", "when_field", "other"):
        if isinstance(params.get(key), str):
            _field_ok(c, params[key], *here, key)
    for name in params.get("fields", []) if isinstance(params.get("fields"), list) else []:
        if isinstance(name, str):
            _field_ok(c, name, *here, "fields")
    states = params.get("states")
    for st in states if isinstance(states, list) else []:
        if st not in c.states:
            c.add(f"未知的状态 {st!r}", *here, "states")
    if call.check in ("before", "cycle_year") and params.get("date") not in c.spec.round_dates:
        c.add(f"未知的轮次日期 {params.get('date')!r}", *here, "date")


def _nested(c: _Check, call: GuardCall, here: Where) -> list[tuple[int, GuardCall]]:
    """The guards inside an `any_of`, each checked as a guard; a malformed one is a problem, not a crash."""
    items = call.params.get("any")
    out: list[tuple[int, GuardCall]] = []
    for j, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("check"), str):
            c.add("any_of 的 any 的每一项须是守卫条件，形如 {check: 名称, 参数: 值}", *here, "any", j)
            continue
        try:
            out.append((j, GuardCall.model_validate({"rule": call.rule, **item})))
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                c.add(f"any_of 的第 {j + 1} 项 {item['check']}：{key} {reason_of(err)}", *here, "any", j, key)
    return out


def _empty_list(c: _Check, model: Any, key: str, what: str, *where: str | int) -> None:
    """An explicit `key: []` is a deletion half done: say so rather than accept it silently."""
    if key in model.model_fields_set and not getattr(model, key):
        c.add(f"{what}的 {key} 是空列表：删除这一行，或写出内容", *where, key)


# ------------------------------------------------------------------------------ the parts


def _states(c: _Check) -> None:
    seen: set[str] = set()
    for i, s in enumerate(c.spec.states):
        if s.name in seen:
            c.add(f"状态 {s.name!r} 重复定义", "states", i, "name")
        seen.add(s.name)
        if not s.name.isascii() or not s.name.replace("_", "").isalnum():
            c.add(f"状态 id {s.name!r} 须为 ASCII 字母、数字和下划线（中文写在 label 里）", "states", i, "name")


def _tracks_and_starts(c: _Check) -> None:
    spec = c.spec
    for name, track in spec.tracks.items():
        for fname, value in track.fields.items():
            fs = spec.fields.get(fname)
            if fs is None:
                c.add(f"赛道 {name} 设定了未知字段 {fname!r}", "tracks", name, "fields", fname)
            elif fs.choices and value not in fs.choices:
                c.add(f"赛道 {name} 的 {fname}={value!r} 不在可选项中", "tracks", name, "fields", fname)
    if not spec.starts:
        c.add("至少需要一种案件开始方式（starts）", "starts")
    for name, start in spec.starts.items():
        if start.state not in c.states:
            c.add(f"开始方式 {name} 指向未知状态 {start.state!r}", "starts", name, "state")
        for fname in start.requires:
            _field_ok(c, fname, "starts", name, "requires")
        for role in start.roles:
            if role not in spec.roles:
                c.add(f"开始方式 {name} 的角色 {role!r} 未在 roles 中定义", "starts", name, "roles")



def _permissions(c: _Check) -> None:
    """Each track's and each piece of office work's rule is known; its roles are the definition's."""
    spec = c.spec
    for name, track in spec.tracks.items():
        _rule_ok(c, track.rule, "tracks", name, "rule")
    for work, perm in spec.permissions.items():
        _rule_ok(c, perm.rule, "permissions", work, "rule")
        for role in perm.roles:
            if role not in spec.roles:
                c.add(f"permissions.{work} 的角色 {role!r} 未在 roles 中定义", "permissions", work, "roles")


def _fields(c: _Check) -> None:
    triggers = set(c.spec.triggers())
    for name, fs in c.spec.fields.items():
        for st in fs.editable_in:
            if st != "*" and st not in c.states:
                c.add(f"字段 {name} 的 editable_in 含未知状态 {st!r}", "fields", name, "editable_in")
        for trig in fs.required_for:
            if trig not in triggers:
                c.add(f"字段 {name} 的 required_for 含未知触发 {trig!r}", "fields", name, "required_for")


def _transitions(c: _Check) -> None:
    roles = set(c.spec.roles) | {SYSTEM_ROLE}
    for i, t in enumerate(c.spec.transitions):
        where = ("transitions", i)
        if not t.source:
            c.add(f"触发 {t.trigger!r} 没有来源状态（source）", *where, "source")
        for src in t.source:
            if src != "*" and src not in c.states:
                c.add(f"触发 {t.trigger!r} 的来源状态 {src!r} 未定义", *where, "source")
            elif src != "*" and c.spec.state(src).final:
                c.add(f"触发 {t.trigger!r} 从终止状态 {src!r} 出发", *where, "source")
        if t.dest not in c.states:
            c.add(f"触发 {t.trigger!r} 的目标状态 {t.dest!r} 未定义", *where, "dest")
        for role in t.roles:
            if role not in roles:
                c.add(f"触发 {t.trigger!r} 的角色 {role!r} 未在 roles 中定义", *where, "roles")
        if not t.roles:
            c.add(f"触发 {t.trigger!r} 没有可执行的角色（roles）", *where, "roles")
        if "rule" not in t.model_fields_set:
            c.add(f"触发 {t.trigger!r} 没有写明所依据的规则（rule）：写上 rules.yaml 中的规则编号；"
                  "没有条款依据的（如撤回申报）写 rule: ~", *where)
        _rule_ok(c, t.rule, *where, "rule")
        _empty_list(c, t, "guards", f"触发 {t.trigger!r} ", *where)
        _guards_ok(c, enumerate(t.guards), *where, "guards")
        for fname in t.fields:
            if fname not in c.spec.fields:
                c.add(f"触发 {t.trigger!r} 可填写的字段 {fname!r} 未定义", *where, "fields")
        _effects_ok(c, t.effects, *where, "effects")


def _effects_ok(c: _Check, effects: Iterable[dict[str, Any]], *where: str | int) -> None:
    for j, eff in enumerate(effects):
        effect_name = eff.get("effect")
        if not isinstance(effect_name, str):
            c.add("effects 的每一项须有 effect: 名称", *where, j)
            continue
        for key, msg in EFFECTS.problems(effect_name, {k: v for k, v in eff.items() if k != "effect"}):
            c.add(msg, *where, j, *([key] if key else []))


def _transition_pairs(c: _Check) -> None:
    pairs: set[tuple[str, str]] = set()
    for i, t in enumerate(c.spec.transitions):
        for src in t.source:
            if (t.trigger, src) in pairs:
                c.add(f"触发 {t.trigger!r} 从状态 {src!r} 出发定义了两次", "transitions", i, "trigger")
            pairs.add((t.trigger, src))


def _timers(c: _Check) -> None:
    spec = c.spec
    for i, s in enumerate(spec.states):
        for j, timer in enumerate(s.timers):
            at: Where = ("states", i, "timers", j)
            _rule_ok(c, timer.rule, *at, "rule")
            if timer.trigger is not None:
                fired = spec.transition(timer.trigger, s.name)
                if fired is None:
                    c.add(f"定时触发 {timer.trigger!r} 不能从状态 {s.name!r} 出发", *at, "trigger")
                elif SYSTEM_ROLE not in fired.roles:
                    c.add(f"定时触发 {timer.trigger!r} 的 roles 须包含 system", *at, "trigger")
            if timer.after_field is not None and (timer.after_field not in spec.fields
                                                   or spec.fields[timer.after_field].type != "period"):
                c.add(f"定时的 after_field {timer.after_field!r} 须为本流程 type: period 的字段", *at, "after_field")
            if timer.at is not None and timer.at not in spec.round_dates:
                c.add(f"定时的日期 {timer.at!r} 不是本流程的轮次日期（round_dates）", *at, "at")
            for role in timer.roles:
                if role not in spec.roles:
                    c.add(f"义务 {timer.duty!r} 的角色 {role!r} 未在 roles 中定义", *at, "roles")
            for text in (timer.after, timer.every, *timer.remind):
                problem = _period_problem(text, remind=text in timer.remind) if text is not None else None
                if problem:
                    c.add(problem, *at)
        _objection_upheld_ok(c, i)


def _objection_upheld_ok(c: _Check, i: int) -> None:
    s = c.spec.states[i]
    if s.objection_upheld is not None and c.spec.transition(s.objection_upheld, s.name) is None:
        c.add(f"异议成立时的触发 {s.objection_upheld!r} 不能从状态 {s.name!r} 出发", "states", i, "objection_upheld")
    if s.objection_upheld is not None and not s.notice:
        c.add("只有公示状态（notice: true）才能设 objection_upheld", "states", i, "objection_upheld")


def _round_dates(c: _Check) -> None:
    for name, rd in c.spec.round_dates.items():
        if rd.years_after is not None and (rd.years_after.date not in c.spec.round_dates
                                           or rd.years_after.date == name):
            c.add(f"轮次日期 {name} 的 years_after.date {rd.years_after.date!r} 须为另一个轮次日期",
                  "round_dates", name, "years_after", "date")


def _entries(c: _Check) -> None:
    for name, entry in c.spec.entries.items():
        where = ("entries", name)
        _rule_ok(c, entry.rule, *where, "rule")
        for st in entry.states:
            if st not in c.states:
                c.add(f"记录事项 {name} 的状态 {st!r} 未定义", *where, "states")
        for role in [*entry.roles, *(entry.answer.roles if entry.answer else [])]:
            if role not in c.spec.roles:
                c.add(f"记录事项 {name} 的角色 {role!r} 未在 roles 中定义", *where)
        if not entry.roles:
            c.add(f"记录事项 {name} 没有可登记的角色（roles）", *where, "roles")
        if entry.answer is not None and not entry.answer.roles:
            c.add(f"记录事项 {name} 的答复没有可登记的角色（roles）", *where, "answer", "roles")
    for i, t in enumerate(c.spec.transitions):
        for j, g in enumerate(t.guards):
            if g.check != "no_open_entry":
                continue
            named = c.spec.entries.get(str(g.params.get("entry")))
            if named is None or named.answer is None:
                c.add(f"记录事项 {g.params.get('entry')!r} 未在 entries 中定义，或没有答复（answer）", "transitions", i,
                      "guards", j, "entry")


def _rounds_retention_recovery(c: _Check) -> None:
    """The rhythm, validity, retention and recovery items each cite a known rule; retention names real states."""
    spec = c.spec
    if spec.rounds is not None:
        for key in ("every", "valid"):
            part = getattr(spec.rounds, key)
            if part is not None:
                _rule_ok(c, part.rule, "rounds", key, "rule")
    if spec.retention is not None:
        _rule_ok(c, spec.retention.rule, "retention", "rule")
        for name in spec.retention.also:
            if name not in c.states:
                c.add(f"保存期限的状态 {name!r} 未定义", "retention", "also")
    revoking = {e.get("rule") for t in spec.transitions for e in t.effects if e.get("effect") == "revoke_award"}
    for key, item in spec.recovery.items():
        for rule in item.rules:
            _rule_ok(c, rule, "recovery", key, "rules")
            if rule not in revoking:
                c.add(f"撤销后事项 {key} 的规则 {rule!r} 不是任何撤销奖励（revoke_award）所依据的规则",
                      "recovery", key, "rules")


def _intake_and_quotas(c: _Check) -> None:
    spec = c.spec
    _empty_list(c, spec, "intake", "流程")
    _guards_ok(c, enumerate(spec.intake), "intake")
    if spec.quotas is None:
        return
    for st in spec.quotas.count_states:
        if st not in c.states:
            c.add(f"名额统计的状态 {st!r} 未定义", "quotas", "count_states")
    for j, limit in enumerate(spec.quotas.limits):
        _rule_ok(c, limit.rule, "quotas", "limits", j, "rule")
        for key in limit.where:
            _field_ok(c, key, "quotas", "limits", j, "where")


def _recipients(c: _Check) -> None:
    for role, path in c.spec.recipients.items():
        if path.startswith(("office", "config.")):
            continue
        if path.startswith("staff."):
            if path.removeprefix("staff.") not in c.spec.roles:
                c.add(f"通知对象 {role} 指向未定义的角色 {path!r}", "recipients", role)
            continue
        for option in path.split("|"):
            _field_ok(c, option.strip(), "recipients", role)


def _notifications(c: _Check) -> None:
    """Event kinds of `on_events`, recipients and their letters: `check_notify.py` holds the language."""
    c.out += check_notifications(c.spec, c.loaded.problem)


def _reachability(c: _Check) -> None:
    spec = c.spec
    reachable = {s.state for s in spec.starts.values() if s.state in c.states}
    frontier = list(reachable)
    while frontier:
        here = frontier.pop()
        for t in spec.transitions_from(here):
            if t.dest in c.states and t.dest not in reachable:
                reachable.add(t.dest)
                frontier.append(t.dest)
    for i, s in enumerate(spec.states):
        if s.name not in reachable:
            c.add(f"状态 {s.name!r} 从任何开始状态都无法到达", "states", i, "name")
        if not s.final and not spec.transitions_from(s.name):
            c.add(f"状态 {s.name!r} 不是终止状态，却没有任何触发可以离开", "states", i, "name")


def _casework(c: _Check) -> None:
    """Checklists: known states, roles, rules and item conditions (SHA-16/17, SQI-5/6)."""
    spec = c.spec
    parts: list[tuple[tuple[str, ...], Any]] = [(("checklists", name), cl) for name, cl in spec.checklists.items()]
    for where, part in parts:
        _rule_ok(c, part.rule, *where, "rule")
        for st in part.states:
            if st not in c.states:
                c.add(f"未知的状态 {st!r}", *where, "states")
        for role in part.roles:
            if role not in spec.roles:
                c.add(f"角色 {role!r} 未在 roles 中定义", *where, "roles")
        for item_id, item in getattr(part, "items", {}).items():
            _rule_ok(c, item.rule, *where, "items", item_id, "rule")
            for key in item.when or {}:
                _field_ok(c, key, *where, "items", item_id, "when")
    for i, t in enumerate(spec.transitions):
        for j, g in enumerate(t.guards):
            if g.check == "checklist_complete" and g.params.get("checklist") not in spec.checklists:
                c.add(f"核查表 {g.params.get('checklist')!r} 未在 checklists 中定义", "transitions", i, "guards", j,
                      "checklist")
            if g.check == "recheck" and g.params.get("trigger") not in spec.triggers():
                c.add(f"重新核查的触发 {g.params.get('trigger')!r} 未定义", "transitions", i, "guards", j, "trigger")


def _review(c: _Check) -> None:
    from .review_check import check_review

    c.out += check_review(c.loaded, c.rules)


_PARTS = (_states, _tracks_and_starts, _permissions, _fields, _transitions, _transition_pairs, _timers, _round_dates,
          _rounds_retention_recovery, _intake_and_quotas, _entries, _recipients, _notifications, _reachability,
          _casework, _review)


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
    ids |= {e.rule for e in spec.entries.values()}
    ids |= {cl.rule for cl in spec.checklists.values()} | {i.rule for cl in spec.checklists.values()
                                                            for i in cl.items.values()}
    if spec.rounds is not None:
        ids |= {p.rule for p in (spec.rounds.every, spec.rounds.valid) if p is not None}
    if spec.retention is not None:
        ids.add(spec.retention.rule)
    ids |= {r for item in spec.recovery.values() for r in item.rules}
    if spec.quotas:
        ids |= {q.rule for q in spec.quotas.limits}
    if spec.review is not None:
        ids |= set(spec.review.rules.model_dump().values()) | {st.rule for st in spec.review.stages.values()}
        ids |= {st.shortlist.rule for st in spec.review.stages.values() if st.shortlist is not None}
        if spec.review.join_pool is not None:
            ids.add(spec.review.join_pool.rule)
    return ids


def check_all(root: Path) -> tuple[list[Problem], str]:
    """`award definitions check`: every problem under a definitions folder (or one file), and a summary."""
    from ..notify.context import check_templates
    from ..timing.calendar import OfficialCalendar
    from .catalog import load_catalog

    catalog = load_catalog(root)
    problems = list(catalog.problems)
    folder = root if root.is_dir() else root.parent
    templates = 0
    if (folder / "templates").is_dir():
        found, templates = check_templates(catalog, folder / "templates")
        problems += found
        from ..notify.documents import check_documents

        problems += check_documents(catalog, folder / "templates")
    calendar_dir = folder / "calendars"
    if calendar_dir.is_dir():
        problems += OfficialCalendar(files_dir=calendar_dir).problems()
    if (folder / "templates").is_dir():
        problems += _archived_templates(catalog, folder / "templates")
    archived = f"（另有 {len(catalog.archived)} 个已发布的旧版本）" if catalog.archived else ""
    summary = f"{len(catalog.specs())} 个流程定义{archived}，{len(catalog.rules)} 条规则，{templates} 个通知模板"
    return problems, summary


def _archived_templates(catalog: Catalog, root: Path) -> list[Problem]:
    """Every template an archived version sends must still exist: its running cases still notify."""
    from ..notify.templates import TemplateSet
    from .check_notify import notifications

    tset = TemplateSet(root)
    problems: list[Problem] = []
    for spec in catalog.archived:
        names = set(tset.names(spec.id)) if (root / spec.id).is_dir() else set()
        loaded = next((f for f in catalog.files if f.spec is spec), None)
        for n, where in notifications(spec):
            for _, template in n.letters():
                if template and template not in names:
                    problems.append(Problem(file=str(catalog.file_of(spec)), line=loaded.line(*where) if loaded else None,
                                            reason=(f"已发布的版本 {spec.version} 仍在使用通知模板 {spec.id}/{template}.j2，"
                                                    f"但它已不在 {root / spec.id} 中：按此版本办理的案件将无法发出通知；"
                                                    "请恢复该模板")))
    return problems
