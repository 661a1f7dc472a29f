"""Guards: named, parameterised checks that definitions may call, each returning a `Verdict`.

A definition can name only a guard registered here (never a dotted path:
`transitions` would import it). Each guard declares its parameters as a
pydantic model, so `award definitions check` catches a wrong parameter before
any case meets it. A guard is a pure function of `CaseFacts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .facts import CaseFacts, applies, matches, resolve
from .logs import logger
from .specs.messages import reason_of
from .specs.model import GuardCall
from .timing.clock import cn_date as _cn
from .timing.clock import local_date
from .timing.periods import add_years
from .values import Verdict

__all__ = ["GUARDS", "Registry", "add_years", "evaluate", "evaluate_all", "years_between"]

_LOGGER = logger(__name__)

P = TypeVar("P", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


class Params(BaseModel):
    """Base of every guard's and effect's parameters: frozen, and a typo is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # a schema is built when a call of the guard is first checked, not for every guard at import


@dataclass(frozen=True, kw_only=True, slots=True)
class Entry(Generic[F]):
    """One registered callable with its parameter model and a one-line description."""

    name: str
    fn: F
    params: type[Params]
    doc: str
    round_scoped: bool = False


class Registry(Generic[F]):
    """Names -> callables. Definitions reach code only through a registry."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[F]] = {}

    def register(self, name: str, params: type[Params], *, round_scoped: bool = False) -> Callable[[F], F]:
        """Register `fn` under `name`; `round_scoped` guards count other cases of the round."""

        def decorate(fn: F) -> F:
            doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else name
            self._entries[name] = Entry(name=name, fn=fn, params=params, doc=doc, round_scoped=round_scoped)
            return fn

        return decorate

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Entry[F]:
        return self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def validate(self, name: str, params: dict[str, Any]) -> list[str]:
        """Problems with a call's name or parameters, in Chinese (empty when fine)."""
        return [msg for _key, msg in self.problems(name, params)]

    def problems(self, name: str, params: dict[str, Any]) -> list[tuple[str | None, str]]:
        """Like `validate`, each problem with the parameter it is about (for its line in the file)."""
        if name not in self._entries:
            return [(None, f"未注册的{self.kind} {name!r}；可用：{', '.join(self.names())}")]
        try:
            self._entries[name].params.model_validate(params)
        except ValidationError as exc:
            out: list[tuple[str | None, str]] = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                key = str(err["loc"][0]) if err["loc"] and err["type"] != "missing" else None
                if err["type"] == "extra_forbid" or err["type"] == "extra_forbidden":
                    out.append((key, f"{self.kind} {name} 没有参数 {loc!r}"))
                elif err["type"] == "missing":
                    out.append((key, f"{self.kind} {name} 缺少参数 {loc!r}"))
                else:
                    out.append((key, f"{self.kind} {name} 的参数 {loc}: {reason_of(err)}"))
            return out
        return []


GuardFn = Callable[[CaseFacts, Any], tuple[Any, ...]]
"""A guard returns (passed, reason) or (passed, reason, rule) to cite a more specific rule."""
GUARDS: Registry[GuardFn] = Registry("守卫条件")


def evaluate(call: GuardCall, facts: CaseFacts) -> Verdict | None:
    """Run one guard call; None when its `when` condition does not apply to this case."""
    if not applies(call, facts.data):
        return None
    entry = GUARDS.get(call.check)
    params = entry.params.model_validate(call.params)
    passed, reason, *specific = entry.fn(facts, params)
    if not passed and call.reason:
        reason = f"{call.reason}（{reason}）"
    rule = specific[0] if specific and specific[0] else call.rule
    if not passed and call.override:  # "in principle": the office may excuse it for this case, with a reason
        excused = facts.overrides.get(call.rule)
        if excused is not None:
            return Verdict(passed=True, guard=call.check, rule=rule, reason=f"{reason}；{excused}", overridden=True)
        who = "、".join(facts.spec.roles.get(r, r) for r in call.override)
        reason = f"{reason}。此为“原则上”的规定：{who}确需破例的，可加 --override \"理由\" 准许，理由记入历史"
    return Verdict(passed=passed, guard=call.check, rule=rule, reason=reason)


def evaluate_all(calls: list[GuardCall], facts: CaseFacts) -> list[Verdict]:
    """Every applicable guard's verdict: a refusal lists all failures, not just the first."""
    return [v for v in (evaluate(c, facts) for c in calls) if v is not None]


# ---------------------------------------------------------------- date arithmetic


def years_between(start: date, end: date) -> int:
    """Whole years from start to end (anniversaries reached)."""
    years = end.year - start.year
    if add_years(start, years) > end:
        years -= 1
    return years


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------- built-in guards


class YearsSince(Params):
    field: str
    at_least: int = Field(gt=0, le=100)


@GUARDS.register("years_since", YearsSince)
def years_since(facts: CaseFacts, p: YearsSince) -> tuple[bool, str]:
    """A date field lies at least N whole years before today (operation, quality work)."""
    label = facts.label(p.field)
    start = _as_date(resolve(facts, p.field))
    if start is None:
        return False, f"“{label}”尚未填写，无法判断是否满{p.at_least}年"
    years = years_between(start, facts.today)
    since = f"“{label}”为{_cn(start)}，至{_cn(facts.today)}"
    if years >= p.at_least:
        return True, f"{since}已满{p.at_least}年"
    return False, f"{since}满{years}年，不满{p.at_least}年（须至{_cn(add_years(start, p.at_least))}方满）"


class AtLeast(Params):
    field: str
    min: float = Field(allow_inf_nan=False, ge=-1e15, le=1e15)


@GUARDS.register("at_least", AtLeast)
def at_least(facts: CaseFacts, p: AtLeast) -> tuple[bool, str]:
    """A number field is at least `min`."""
    label = facts.label(p.field)
    value = resolve(facts, p.field)
    if value is None:
        return False, f"“{label}”尚未填写"
    if float(value) >= p.min:
        return True, f"“{label}”为{value}，不少于{p.min:g}"
    return False, f"“{label}”为{value}，少于{p.min:g}"


class Declared(Params):
    field: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")


@GUARDS.register("declared", Declared)
def declared(facts: CaseFacts, p: Declared) -> tuple[bool, str]:
    """A field (form, party attribute or round property) has the required value, or one of `in`."""
    label = facts.label(p.field)
    value = resolve(facts, p.field)
    allowed = p.in_ if p.in_ is not None else [p.equals]
    shown = "、".join(f"“{facts.display(p.field, a)}”" for a in allowed)
    if value is None:
        return False, f"“{label}”尚未填写（须为{shown}）"
    if value in allowed:
        return True, f"“{label}”为“{facts.display(p.field, value)}”"
    return False, f"“{label}”为“{facts.display(p.field, value)}”，须为{shown}"


class Filled(Params):
    fields: list[str]


@GUARDS.register("filled", Filled)
def filled(facts: CaseFacts, p: Filled) -> tuple[bool, str]:
    """Every named field has a value (material complete)."""
    missing = [facts.label(f) for f in p.fields if resolve(facts, f) in (None, "", [])]
    if missing:
        return False, "以下内容尚未填写：" + "、".join(f"“{m}”" for m in missing)
    return True, "所需内容已填写完整"


class AnyOf(Params):
    any: list[dict[str, Any]]


@GUARDS.register("any_of", AnyOf)
def any_of(facts: CaseFacts, p: AnyOf) -> tuple[bool, str]:
    """Passes when any of the nested guards passes (e.g. 10 years of quality work, or long-term research)."""
    reasons = []
    for raw in p.any:
        call = GuardCall.model_validate({"rule": "-", **raw})
        verdict = evaluate(call, facts)
        if verdict is None:
            continue
        if verdict.passed:
            return True, verdict.reason
        reasons.append(verdict.reason)
    return False, "以下条件均不满足：" + "；".join(reasons)


class PriorAward(Params):
    award: list[str]
    procedure: str | None = None
    min_years: int = Field(default=0, ge=0, le=100)


@GUARDS.register("prior_award", PriorAward)
def prior_award(facts: CaseFacts, p: PriorAward) -> tuple[bool, str]:
    """The party won one of these awards (not revoked) at least `min_years` before today."""
    procedure = p.procedure or facts.spec.id
    held = [
        r
        for r in facts.party.records
        if r.procedure == procedure and r.award in p.award and r.revoked_on is None
    ]
    if not held:
        return False, "无此前获奖记录（可用 award import awards 导入系统启用前的获奖记录）"
    ok = [r for r in held if add_years(r.awarded_on, p.min_years) <= facts.today]
    best = max(held, key=lambda r: r.awarded_on)
    if ok:
        r = max(ok, key=lambda r: r.awarded_on)
        return True, f"已于{_cn(r.awarded_on)}获得{r.label}，至今满{p.min_years}年"
    return False, (
        f"于{_cn(best.awarded_on)}获得{best.label}，至{_cn(facts.today)}不满{p.min_years}年"
        f"（须至{_cn(add_years(best.awarded_on, p.min_years))}方满）"
    )


class NoAwardWithin(Params):
    years: int = Field(gt=0, le=100)
    award: list[str] | None = None
    procedure: str | None = None


@GUARDS.register("no_award_within", NoAwardWithin)
def no_award_within(facts: CaseFacts, p: NoAwardWithin) -> tuple[bool, str]:
    """The party has not won the same award within the last N years (re-application bar)."""
    procedure = p.procedure or facts.spec.id
    track = facts.spec.tracks[facts.track]
    awards = p.award or [track.award or facts.track]
    for r in facts.party.records:
        if r.procedure != procedure or r.award not in awards or r.revoked_on is not None:
            continue
        until = add_years(r.awarded_on, p.years)
        if facts.today < until:
            return False, (
                f"已于{_cn(r.awarded_on)}获得{r.label}，{p.years}年内不得再次申报，"
                f"{_cn(until)}起方可申报"
            )
    return True, f"近{p.years}年未获得同一奖项"


class NoBar(Params):
    procedure: str | None = None


@GUARDS.register("no_bar", NoBar)
def no_bar(facts: CaseFacts, p: NoBar) -> tuple[bool, str, str | None]:
    """No revocation bar is in force against the party for this procedure."""
    procedure = p.procedure or facts.spec.id
    for r in facts.party.records:
        if r.procedure == procedure and r.bar_until is not None and facts.today < r.bar_until:
            revoked = _cn(r.revoked_on) if r.revoked_on else "此前"
            return False, (
                f"{r.label}已于{revoked}被撤销（{r.reason or '撤销'}），"
                f"{_cn(r.bar_until)}前不接受再次申报"
            ), r.rule
    return True, "无撤销奖励后的禁止申报期", None


class NoOtherCase(Params):
    scope: str = Field(default="round", pattern="^(round|year)$")
    procedures: list[str] | None = None


@GUARDS.register("no_other_case", NoOtherCase)
def no_other_case(facts: CaseFacts, p: NoOtherCase) -> tuple[bool, str]:
    """The party has no other live case in the same round (or the same year, across procedures)."""
    for other in facts.party.other_cases:
        if other.get("closed"):
            continue
        if p.procedures is not None and other["procedure"] not in p.procedures:
            continue
        same = other["round"] == facts.round.id if p.scope == "round" else other["year"] == facts.round.year
        if same:
            where = "本轮" if p.scope == "round" else f"{facts.round.year}年"
            return False, f"该申报主体{where}已有案件 {other['ref']}（{other['state_label']}），不得重复申报"
    return True, "无重复申报"


class Quota(Params):
    pass


@GUARDS.register("quota", Quota, round_scoped=True)
def quota(facts: CaseFacts, p: Quota) -> tuple[bool, str]:
    """The round's per-award limits on winners are not exceeded by this case."""
    spec = facts.spec.quotas
    if spec is None:
        return True, "本流程无名额限制"
    data = {**facts.data, "track": facts.track}
    for limit in spec.limits:
        if not matches(data, limit.where):
            continue
        taken = facts.count_cases(states=spec.count_states, where=limit.where)
        if taken + 1 > limit.max:
            return False, f"{limit.label}本轮名额为{limit.max}个，已有{taken}个，不能再增加"
    return True, "未超出本轮名额"


class MaxPer(Params):
    field: str
    max: int = Field(ge=1, le=100_000)
    states: list[str] | None = None


@GUARDS.register("max_per", MaxPer, round_scoped=True)
def max_per(facts: CaseFacts, p: MaxPer) -> tuple[bool, str]:
    """At most `max` cases of the round share this field's value (e.g. per recommender)."""
    value = resolve(facts, p.field)
    label = facts.label(p.field)
    if value in (None, ""):
        return True, f"未填写“{label}”，不受此限"
    same: Any = value
    spec = facts.spec.fields.get(p.field)
    if spec is not None and spec.type == "party" and value in facts.names:
        same = [value, facts.names[value]]  # a case from before the register held its registered name as text
    taken = facts.count_cases(states=p.states, where={p.field: same})
    if taken + 1 > p.max:
        return False, f"“{label}”为“{facts.display(p.field, value)}”的案件本轮已有{taken}个，每轮不超过{p.max}个"
    return True, f"“{facts.display(p.field, value)}”本轮已有{taken}个，未超过{p.max}个"


class NotMoreThan(Params):
    """`leaving`: the case leaves the counted states with this step (a removal, a withdrawal)."""

    field: str
    value: Any
    than: Any
    states: list[str] | None = None
    leaving: bool = False


@GUARDS.register("count_not_above", NotMoreThan, round_scoped=True)
def count_not_above(facts: CaseFacts, p: NotMoreThan) -> tuple[bool, str]:
    """After this step, cases with field=value must not outnumber those with field=than."""
    label = facts.label(p.field)
    mine = None if p.leaving else resolve(facts, p.field)
    count_value = facts.count_cases(states=p.states, where={p.field: p.value}) + (1 if mine == p.value else 0)
    count_than = facts.count_cases(states=p.states, where={p.field: p.than}) + (1 if mine == p.than else 0)
    a, b = facts.display(p.field, p.value), facts.display(p.field, p.than)
    if count_value > count_than:
        return False, f"此次{label}后“{a}”将有{count_value}个，多于“{b}”的{count_than}个"
    return True, f"“{a}”{count_value}个，不多于“{b}”{count_than}个"


class Deadline(Params):
    date: str
    inclusive: bool = True


@GUARDS.register("before", Deadline)
def before(facts: CaseFacts, p: Deadline) -> tuple[bool, str]:
    """Now is before a round date (a submission deadline)."""
    label = facts.label(f"round.{p.date}")
    moment = resolve(facts, f"round.{p.date}")
    if moment is None:
        return False, f"本轮未设定“{label}”"
    if isinstance(moment, datetime):
        ok = facts.now <= moment if p.inclusive else facts.now < moment
        return ok, f"“{label}”为{facts.display('', moment)}" + ("" if ok else "，已过期")
    day = _as_date(moment)
    assert day is not None
    ok = facts.today <= day
    return ok, f"“{label}”为{_cn(day)}" + ("" if ok else "，已过期")


class NoOpenObjection(Params):
    pass


@GUARDS.register("no_open_objection", NoOpenObjection)
def no_open_objection(facts: CaseFacts, p: NoOpenObjection) -> tuple[bool, str]:
    """No objection filed against the case is still open."""
    if facts.open_objections:
        return False, f"有{facts.open_objections}件异议尚未处理完毕，案件暂停"
    return True, "无未处理的异议"


class MaxChars(Params):
    field: str
    max: int = Field(gt=0, le=1_000_000)
    when_field: str | None = None


@GUARDS.register("max_chars", MaxChars)
def max_chars(facts: CaseFacts, p: MaxChars) -> tuple[bool, str]:
    """A text is no longer than `max` characters, counted as the office counts them."""
    from .specs.fields import count_chars

    value = resolve(facts, p.field) or ""
    n = count_chars(str(value))
    label = facts.label(p.field)
    if n > p.max:
        return False, f"“{label}”共{n}字，超过{p.max}字的上限"
    return True, f"“{label}”共{n}字，未超过{p.max}字"


class WithinYears(Params):
    field: str
    years: int = Field(gt=0, le=100)


@GUARDS.register("within_years", WithinYears)
def within_years(facts: CaseFacts, p: WithinYears) -> tuple[bool, str]:
    """A date field lies within the last N years up to today (an activity taken part in recently)."""
    label = facts.label(p.field)
    day = _as_date(resolve(facts, p.field))
    if day is None:
        return False, f"“{label}”尚未填写，无法判断是否在近{p.years}年内"
    if day > facts.today:
        return False, f"“{label}”为{_cn(day)}，晚于今天（{_cn(facts.today)}）"
    since = add_years(facts.today, -p.years)
    if day < since:
        return False, f"“{label}”为{_cn(day)}，不在近{p.years}年内（须不早于{_cn(since)}）"
    return True, f"“{label}”为{_cn(day)}，在近{p.years}年内"


def day_period(text: str | None) -> str | None:
    """A guard's `after` period, checked when the definition loads: working or natural days only."""
    from .timing.periods import parse_period

    if text is not None and parse_period(text).kind not in ("working_days", "natural_days"):
        raise ValueError(f"期限须为工作日或自然日（如 5 working days），收到 {text!r}")
    return text


class WithinPeriod(Params):
    """`after`: the period the definition fixes; or `field`: a `period` field the step entering the state
    filled (a time limit the office sets per request: `10个工作日`, or a deadline `2024-09-30`)."""

    after: str | None = None
    field: str | None = None

    @field_validator("after")
    @classmethod
    def _period(cls, text: str | None) -> str | None:
        return day_period(text)

    @model_validator(mode="after")
    def _one(self) -> WithinPeriod:
        if (self.after is None) == (self.field is None):
            raise ValueError("within_period 须且只能给出 after（固定期限）或 field（本次要求时填写的期限字段）之一")
        return self


@GUARDS.register("within_period", WithinPeriod)
def within_period(facts: CaseFacts, p: WithinPeriod) -> tuple[bool, str]:
    """Now is within a period counted from entering the current state (a time limit set with a request)."""
    from .timing.periods import describe, due, parse_period

    if facts.entered_at is None:
        return True, "案件尚未进入任何状态，不受此期限限制"
    text = p.after
    if p.field is not None:
        text = resolve(facts, f"before.{p.field}")  # the limit as set when the state was entered
        if not isinstance(text, str) or not text.strip():
            return False, f"“{facts.label(p.field)}”未填写，无法判断是否在期限内"
    assert text is not None
    period = parse_period(text)
    if period.kind == "working_days" and facts.calendar is None:
        return False, "未配置工作日日历，无法计算期限"
    d = due(period, facts.entered_at, facts.calendar, start_day_counts=facts.spec.start_day_counts)  # type: ignore[arg-type]
    state = facts.spec.label_of(facts.state)
    limit = describe(period, facts.spec.start_day_counts, start_label="进入该状态当日")
    last = d.last_day or local_date(d.at)
    if facts.now < d.at:
        return True, f"“{state}”的期限为{limit}，至{_cn(last)}止，未逾期"
    return False, f"“{state}”的期限为{limit}，已于{_cn(last)}届满，现已逾期"


class CycleYear(Params):
    date: str
    field: str
    years: dict[int, list[Any]]


@GUARDS.register("cycle_year", CycleYear)
def cycle_year(facts: CaseFacts, p: CycleYear) -> tuple[bool, str]:
    """Today's year of the cycle (counted from a round date) is the year `years` gives for the field's value."""
    from datetime import timedelta

    start_label = facts.label(f"round.{p.date}")
    start = _as_date(resolve(facts, f"round.{p.date}"))
    if start is None:
        return False, f"本轮未设定“{start_label}”，无法判断当前是周期的第几年"
    label, value = facts.label(p.field), resolve(facts, p.field)
    if value is None:
        return False, f"“{label}”尚未填写，无法判断应在周期的第几年开展"
    if facts.today < start:
        return False, f"周期自{_cn(start)}开始，{_cn(facts.today)}尚未开始"
    year = years_between(start, facts.today) + 1
    first, last = add_years(start, year - 1), add_years(start, year) - timedelta(days=1)
    now = f"{_cn(facts.today)}是周期（自{_cn(start)}起）第{year}年（{_cn(first)}至{_cn(last)}）"
    shown = facts.display(p.field, value)
    if value in p.years.get(year, []):
        return True, f"{now}，“{label}”为“{shown}”的安排在第{year}年"
    due = [y for y, values in sorted(p.years.items()) if value in values]
    if not due:
        return False, f"{now}；“{label}”为“{shown}”的不在任何一年的安排中"
    when = "、".join(
        f"第{y}年（{_cn(add_years(start, y - 1))}至{_cn(add_years(start, y) - timedelta(days=1))}）" for y in due)
    return False, f"{now}；“{label}”为“{shown}”的应安排在{when}"


class SameAs(Params):
    field: str
    other: str


@GUARDS.register("same_as", SameAs)
def same_as(facts: CaseFacts, p: SameAs) -> tuple[bool, str]:
    """A field has the same value as another field (a step meant for one class reaches only that class)."""
    label, other = facts.label(p.field), facts.label(p.other)
    value, expected = resolve(facts, p.field), resolve(facts, p.other)
    if value is None or expected is None:
        missing = "、".join(f"“{facts.label(f)}”" for f, v in ((p.field, value), (p.other, expected)) if v is None)
        return False, f"{missing}尚未填写"
    a, b = facts.display(p.field, value), facts.display(p.other, expected)
    if value == expected:
        return True, f"“{label}”与“{other}”均为“{a}”"
    return False, f"“{label}”为“{a}”，而“{other}”为“{b}”，两者须一致"


class NoLiveCase(Params):
    """`other_rounds`: count only cases of other rounds (this round's own duplicate is another rule's)."""

    procedures: list[str] | None = None
    other_rounds: bool = False


@GUARDS.register("no_live_case", NoLiveCase)
def no_live_case(facts: CaseFacts, p: NoLiveCase) -> tuple[bool, str]:
    """The party has no other open case of these procedures (default: this one) in any round."""
    procedures = p.procedures or [facts.spec.id]
    for other in facts.party.other_cases:
        if other.get("closed") or other["procedure"] not in procedures:
            continue
        if p.other_rounds and other["round"] == facts.round.id:
            continue
        where = f"（{other['round']}）" if p.other_rounds else ""
        return False, f"该主体已有尚未办结的案件 {other['ref']}{where}（{other['state_label']}），不得重复申报"
    return True, "无尚未办结的同类案件"


class FilledIfPriorCase(Params):
    fields: list[str]
    procedure: str | None = None
    states: list[str] | None = None


@GUARDS.register("filled_if_prior_case", FilledIfPriorCase)
def filled_if_prior_case(facts: CaseFacts, p: FilledIfPriorCase) -> tuple[bool, str]:
    """If the party had a case of this procedure in an earlier round (in `states`), the fields must be filled."""
    procedure = p.procedure or facts.spec.id
    prior = [
        o for o in facts.party.other_cases
        if o["procedure"] == procedure and o["round"] != facts.round.id and o["year"] <= facts.round.year
        and (p.states is None or o.get("state") in p.states)
    ]
    if not prior:
        return True, "此前未参加过本流程，无需提供"
    refs = "、".join(f"{o['ref']}（{o['state_label']}）" for o in prior)
    missing = [facts.label(f) for f in p.fields if resolve(facts, f) in (None, "", [])]
    if missing:
        return False, f"该主体此前已有案件 {refs}，再次申请须提供：" + "、".join(f"“{m}”" for m in missing)
    return True, f"该主体此前已有案件 {refs}，已提供" + "、".join(f"“{facts.label(f)}”" for f in p.fields)


from . import casework as _casework  # noqa: F401  (registers checklist_complete, recheck)
from . import entries as _entries  # noqa: F401  (registers no_open_entry)
from . import notice_guards as _notice_guards  # noqa: F401  (registers period_elapsed)
