"""The office's registers: parties and their award history, the staff roster, and rounds.

These are the facts cases stand on. Each write is one transaction; a file
import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..abc import Clock
from ..errors import InvalidInput, PartyLookupError, Refused, RoundLookupError
from ..inputs import row_id, single_line
from ..labels import PARTY_KINDS
from ..logs import logger
from ..officeviews import RoundView, StaffView
from ..reads import page
from ..readviews import party_view
from ..seal import Sealer
from ..specs.catalog import Catalog
from ..specs.fields import parse_value
from ..specs.model import ProcessSpec
from ..store import AuditRow, CaseRow, Database, PartyRecordRow, PartyRow, RoundRow, utc
from ..timing.clock import cn_date, local_date, parse_moment, start_of_day
from ..timing.periods import add_years
from ..values import Verdict
from ..views import Actor, PartyView, RecordView
from .identity import mask_resident_id, validate_resident_id, validate_uscc
from .staff import ADMIN, Roster, authorize, authorize_any

__all__ = ["PARTY_KINDS", "Office", "party_names"]

_LOGGER = logger(__name__)


ROUND_DECISION = "round_decision"
"""The office's audit entry for a round opened off the rhythm or outside the validity (`rounds:`)."""


@dataclass(kw_only=True, slots=True)
class Office:
    """Parties, staff and rounds, kept in the database."""

    db: Database
    catalog: Catalog
    clock: Clock
    sealer: Sealer | None = None

    # ------------------------------------------------------------------ staff

    def roster(self) -> Roster:
        """The staff roster, sealed with the engine's key when it has one."""
        return Roster(db=self.db, catalog=self.catalog, clock=self.clock, sealer=self.sealer)

    def staff_add(self, name: str, roles: Sequence[str], email: str | None = None, *,
                  login: str | None = None) -> StaffView:
        """In-process set-up (scripts, tests): add a member with grants `role@scope`, bound to `login`.

        The CLI never calls this: `award staff add` goes through `Roster.add`, which requires an
        administrator. Code that can call the engine directly already holds the database.
        """
        setup = Actor(name="（程序内设置）", roles=(f"{ADMIN}@*",), on_roster=True, identity="in-process")
        return self.roster().add(setup, name, roles, login=login or name, email=email)

    def staff_list(self) -> list[StaffView]:
        return self.roster().members()

    def actor(self, name: str | None, login: str | None = None) -> Actor:
        """In-process callers: the member `name` (or the one bound to `login`) as an actor."""
        roster = self.roster()
        if name is not None:
            return roster.member(name)
        return roster.resolve(login=login, as_name=None, mode="bound")

    # ---------------------------------------------------------------- parties

    def _validate_code(self, kind: str, code: str) -> str:
        if kind == "organization":
            return validate_uscc(code)
        return validate_resident_id(code, today=local_date(self.clock()))

    def party_add(
        self,
        *,
        kind: str,
        name: str,
        code: str,
        registered_on: date | None = None,
        email: str | None = None,
        phone: str | None = None,
        district: str | None = None,
        attrs: Mapping[str, str] | None = None,
        actor: Actor | None = None,
    ) -> PartyView:
        """Register an organisation (USCC) or a person (resident ID number).

        `actor` is checked against the definitions' `permissions.parties` (the CLI always passes it;
        None only for in-process set-up code).
        """
        if actor is not None:
            authorize_any(actor, self.catalog, "parties", "登记申报主体")
        if kind not in PARTY_KINDS:
            raise InvalidInput(f"申报主体类型须为 organization（组织）或 person（个人），收到 {kind!r}")
        name = single_line(name, "名称（--name）")
        email, phone, district = (single_line(v, what) if v else None for v, what in
                                  ((email, "电子邮箱（--email）"), (phone, "电话（--phone）"), (district, "所在区（--district）")))
        code = self._validate_code(kind, single_line(code, "代码（--code）", max_chars=40))
        if kind == "person" and registered_on is not None:
            raise InvalidInput("个人没有登记注册日期（--registered-on 只用于组织）")
        parsed = self._parse_attrs(attrs or {})
        with self.db.session() as s:
            if s.exec(select(PartyRow).where(PartyRow.code == code)).first() is not None:
                shown = code if kind == "organization" else mask_resident_id(code)
                raise InvalidInput(f"代码 {shown} 已登记过；用 award party show {shown} 查看")
            if kind == "organization":  # a registered name is unique; the code tells persons apart
                same = s.exec(select(PartyRow).where(PartyRow.name == name.strip(),
                                                     PartyRow.kind == "organization")).first()
                if same is not None:
                    raise InvalidInput(f"已有同名组织 #{same.id} {same.name}（{same.code}）；组织名称须唯一，"
                                       "请核对名称或代码（若是同一单位，用 award party set 修改）")
            row = PartyRow(kind=kind, name=name.strip(), code=code, registered_on=registered_on, email=email,
                           phone=phone, district=district, attrs=parsed, created_at=self.clock())
            s.add(row)
            s.flush()
            return self._party_view(s, row, history=False)

    def _parse_attrs(self, attrs: Mapping[str, str]) -> dict[str, Any]:
        specs: dict[str, Any] = {}
        for spec in self.catalog.specs():
            specs.update(spec.party_attributes)
        out: dict[str, Any] = {}
        for key, raw in attrs.items():
            if key not in specs:
                known = "、".join(specs) or "（无）"
                raise InvalidInput(f"没有申报主体属性 {key!r}；可用：{known}")
            out[key] = parse_value(key, specs[key], raw)
        return out

    def party_set(self, ref: str, attrs: Mapping[str, str], *, actor: Actor | None = None) -> PartyView:
        """Change a party's attributes (e.g. SAQ membership); `actor` as in `party_add`."""
        if actor is not None:
            authorize_any(actor, self.catalog, "parties", "修改申报主体")
        parsed = self._parse_attrs(attrs)
        with self.db.session() as s:
            row = self._party_row(s, ref)
            row.attrs = {**row.attrs, **parsed}
            s.add(row)
            s.flush()
            return self._party_view(s, row, history=True)

    def _party_row(self, s: Session, ref: str | int) -> PartyRow:
        text = str(ref).strip()
        row: PartyRow | None = None
        if (number := row_id(text)) is not None and len(text) < 10:
            row = s.get(PartyRow, number)
        if row is None:
            row = s.exec(select(PartyRow).where(PartyRow.code == text.upper())).first()
        if row is None:
            named = s.exec(select(PartyRow).where(PartyRow.name == text).order_by(PartyRow.id)).all()  # type: ignore[arg-type]
            if len(named) > 1:  # two persons may share a name: never pick one silently
                listed = "；".join(f"#{r.id} {PARTY_KINDS[r.kind]} {r.name}（"
                                  f"{r.code if r.kind == 'organization' else mask_resident_id(r.code)}）" for r in named)
                raise InvalidInput(f"名称“{text}”对应 {len(named)} 个申报主体：{listed}；请改用编号（#后的数字）或代码")
            row = named[0] if named else None
        if row is None:
            shown = mask_resident_id(text) if len(text) == 18 and text[:17].isdigit() else text
            raise PartyLookupError(shown)
        return row

    def party_show(self, ref: str) -> PartyView:
        with self.db.session() as s:
            return self._party_view(s, self._party_row(s, ref), history=True)

    def party_list(self, kind: str | None = None, *, limit: int | None = None, offset: int = 0) -> list[PartyView]:
        """Parties by id (`limit`/`offset`: one page)."""
        with self.db.session() as s:
            q = select(PartyRow)
            if kind:
                q = q.where(PartyRow.kind == kind)
            q = page(q.order_by(PartyRow.id), limit, offset)  # type: ignore[arg-type]
            return [self._party_view(s, r, history=False) for r in s.exec(q).all()]

    def _party_view(self, s: Session, row: PartyRow, *, history: bool) -> PartyView:
        assert row.id is not None
        records: tuple[RecordView, ...] = ()
        cases: tuple[dict[str, Any], ...] = ()
        if history:
            from ..revocations import record_checklist

            recs = s.exec(select(PartyRecordRow).where(PartyRecordRow.party_id == row.id)
                          .order_by(PartyRecordRow.awarded_on)).all()  # type: ignore[arg-type]
            refs = {c.id: c.ref for c in s.exec(select(CaseRow).where(CaseRow.party_id == row.id)).all()}
            records = tuple(
                RecordView(procedure=r.procedure, award=r.award, label=r.label, awarded_on=r.awarded_on,
                           revoked_on=r.revoked_on, bar_until=r.bar_until, reason=r.reason, source=r.source,
                           case_ref=refs.get(r.case_id) if r.case_id else None, id=r.id, rule=r.rule,
                           recovery=tuple(record_checklist(s, self, r)))
                for r in recs
            )
            case_rows = s.exec(select(CaseRow).where(CaseRow.party_id == row.id).order_by(CaseRow.id)).all()  # type: ignore[arg-type]
            cases = tuple({"ref": c.ref, "round": c.round_id, "track": c.track, "state": c.state,
                           "state_label": self._state_label(c.procedure, c.definition_version, c.state)}
                          for c in case_rows)
        return party_view(row, records=records, cases=cases)

    def _state_label(self, procedure: str, version: str, state: str) -> str:
        try:
            return self.catalog.get(procedure, version).label_of(state)
        except LookupError:
            return state

    # ----------------------------------------------------------------- rounds

    def round_open(
        self,
        *,
        procedure: str,
        year: int,
        title: str | None = None,
        opened_on: date | None = None,
        dates: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        round_id: str | None = None,
        actor: Actor | None = None,
        decision: str | None = None,
        wall_clock: Clock | None = None,
    ) -> RoundView:
        """Open a round of a procedure; its named dates and properties are checked against the definition.

        A round off the definition's rhythm or outside the regulation's validity (`rounds:`) is refused
        unless `decision` records the office's decision (a document number or a reason); the decision,
        who took it and the rules it overrides go into the office's audit, shown with the round.

        Raises:
            Refused: off the rhythm or outside the validity, and no decision (exit 3).
            InvalidInput: a bad date or property, a round that exists, a decision nothing needs (exit 2).
        """
        spec = self.catalog.get(procedure)
        if actor is not None:
            authorize(actor, spec, "rounds", f"开启{spec.title}轮次")
        if decision is not None:
            decision = single_line(decision, "开启决定（--decision）", max_chars=500).strip() or None
            if decision is None:
                raise InvalidInput("--decision 须写明决定的文号或理由")
        title = single_line(title, "轮次名称（--title）") if title is not None else None
        if round_id is not None:
            round_id = single_line(round_id, "轮次编号（--id）", max_chars=64)
        parsed_dates: dict[str, str] = {}
        for key, raw in (dates or {}).items():
            if key not in spec.round_dates:
                known = "、".join(f"{k}（{v.label}）" for k, v in spec.round_dates.items()) or "（无）"
                raise InvalidInput(f"流程 {procedure} 的轮次没有日期 {key!r}；可用：{known}")
            try:
                moment = parse_moment(raw)
                if spec.round_dates[key].deadline and _bare_date(raw):  # "by 30 June" includes 30 June
                    moment = start_of_day(local_date(moment) + timedelta(days=1))
                parsed_dates[key] = moment.isoformat()
            except ValueError as exc:
                raise InvalidInput(f"轮次日期 {key}：{exc}") from None
        for key, dspec in spec.round_dates.items():  # e.g. a cycle's end: its start plus two years
            derive = dspec.years_after
            if key not in parsed_dates and derive is not None and derive.date in parsed_dates:
                from datetime import UTC, datetime

                from ..timing.clock import SHANGHAI

                start = datetime.fromisoformat(parsed_dates[derive.date]).astimezone(SHANGHAI)
                moment = add_years(start, derive.years)
                parsed_dates[key] = moment.astimezone(UTC).isoformat()
        missing = [f"{k}（{v.label}）" for k, v in spec.round_dates.items() if v.required and k not in parsed_dates]
        if missing:
            raise InvalidInput(f"流程 {procedure} 的轮次必须给出日期：{'、'.join(missing)}（--date NAME=YYYY-MM-DD[ HH:MM]）")
        parsed_props: dict[str, Any] = {}
        for key, raw in (properties or {}).items():
            if key not in spec.round_properties:
                known = "、".join(spec.round_properties) or "（无）"
                raise InvalidInput(f"流程 {procedure} 的轮次没有属性 {key!r}；可用：{known}")
            parsed_props[key] = parse_value(key, spec.round_properties[key], raw)
        rid = round_id or f"{procedure}-{year}"
        opened = opened_on or local_date(self.clock())
        with self.db.session() as s:
            if s.get(RoundRow, rid) is not None:
                raise InvalidInput(f"轮次 {rid} 已存在；用 award round show {rid} 查看")
            overrides = self._round_rules(s, spec, year, opened, parsed_dates)
            if overrides and decision is None:
                who = "、".join(spec.roles.get(r, r) for r in spec.permissions["rounds"].roles) \
                    if "rounds" in spec.permissions else "办公室"
                raise Refused(f"不能开启轮次 {rid}：如{who}决定仍要开启，请加 --decision \"文号或理由\"，"
                              "决定及决定人将记入轮次记录", overrides)
            if decision is not None and not overrides:
                raise InvalidInput(f"轮次 {rid} 符合{spec.title}的评选周期和有效期，无需 --decision")
            row = RoundRow(id=rid, procedure=procedure, year=year, title=title or f"{year}年{spec.title}",
                           opened_on=opened, dates=parsed_dates, properties=parsed_props, created_at=self.clock())
            try:
                s.add(row)
                s.flush()
            except IntegrityError:
                raise InvalidInput(f"轮次 {rid} 已存在") from None
            if decision is not None:
                assert actor is not None, "a decision is the office's: the caller names who took it"
                s.add(AuditRow(kind=ROUND_DECISION, actor=actor.name, reason=decision,
                               data={"v": 1, "round": rid, "procedure": procedure, "year": year,
                                     "overrides": [{"rule": v.rule, "reason": v.reason} for v in overrides],
                                     "by": actor.provenance()},
                               business_time=self.clock(), wall_time=(wall_clock or self.clock)()))
                s.flush()
            return self._round_view(s, row, spec)

    def _round_rules(self, s: Session, spec: ProcessSpec, year: int, opened: date,
                     dates: Mapping[str, str]) -> list[Verdict]:
        """What a new round of `year` breaks of the definition's `rounds:` (rhythm, validity), as failed verdicts."""
        out: list[Verdict] = []
        if spec.rounds is None:
            return out
        every, valid = spec.rounds.every, spec.rounds.valid
        if every is not None:
            years = [r.year for r in s.exec(select(RoundRow).where(RoundRow.procedure == spec.id)).all()]
            earlier = [y for y in years if y <= year]
            nearest = max(earlier) if earlier else (min(years) if years else None)  # the first round is free
            if nearest is not None and (nearest == year or abs(year - nearest) % every.years):
                gap = "同一年已开启过轮次" if nearest == year else f"离最近的 {nearest} 年轮次相隔{abs(year - nearest)}年"
                out.append(Verdict(passed=False, guard="rounds", rule=every.rule,
                                   reason=f"{spec.title}每{every.years}年评选一次，{year}年{gap}"))
        if valid is not None:
            span = f"{cn_date(valid.since)}至{cn_date(valid.until)}"
            if year < valid.since.year or year > valid.until.year:
                out.append(Verdict(passed=False, guard="rounds", rule=valid.rule,
                                   reason=f"{spec.title}所依据的办法有效期为{span}，{year}年不在有效期内"))
            if not valid.since <= opened <= valid.until:
                out.append(Verdict(passed=False, guard="rounds", rule=valid.rule,
                                   reason=f"开启日期{cn_date(opened)}不在办法有效期（{span}）内"))
            for key, value in dates.items():
                day = local_date(datetime.fromisoformat(value))
                if not valid.since <= day <= valid.until:
                    out.append(Verdict(passed=False, guard="rounds", rule=valid.rule,
                                       reason=f"{spec.round_dates[key].label}{cn_date(day)}不在办法有效期（{span}）内"))
        return out

    def round_row(self, s: Session, rid: str) -> RoundRow:
        row = s.get(RoundRow, rid)
        if row is None:
            raise RoundLookupError(rid)
        return row

    def round_show(self, rid: str) -> RoundView:
        with self.db.session() as s:
            row = self.round_row(s, rid)
            return self._round_view(s, row, self.catalog.get(row.procedure))

    def round_list(self, procedure: str | None = None) -> list[RoundView]:
        with self.db.session() as s:
            q = select(RoundRow).order_by(RoundRow.procedure, RoundRow.year)  # type: ignore[arg-type]
            if procedure:
                q = q.where(RoundRow.procedure == procedure)
            return [self._round_view(s, r, self.catalog.get(r.procedure)) for r in s.exec(q).all()]

    def _round_view(self, s: Session, row: RoundRow, spec: ProcessSpec) -> RoundView:
        counts = dict(s.exec(select(CaseRow.state, func.count()).where(CaseRow.round_id == row.id)
                             .group_by(CaseRow.state)).all())
        decided = next((a for a in s.exec(select(AuditRow).where(AuditRow.kind == ROUND_DECISION)).all()
                        if a.data.get("round") == row.id), None)
        decision = None if decided is None else {
            "decision": decided.reason, "by": decided.actor, "at": utc(decided.business_time),
            "overrides": list(decided.data.get("overrides", []))}
        return RoundView(id=row.id, procedure=row.procedure, procedure_title=spec.title, year=row.year,
                         title=row.title, opened_on=row.opened_on,
                         dates={k: datetime.fromisoformat(v) for k, v in row.dates.items()},
                         properties=dict(row.properties), cases_by_state={spec.label_of(k): v for k, v in counts.items()},
                         decision=decision)


def _bare_date(text: str) -> bool:
    """Whether a round date was given as a date alone (no time of day)."""
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _bar(revoked_on: date | None, years: int | None) -> date | None:
    """The re-application bar a revocation brings, by the definition's `revocation_bar_years`."""
    if revoked_on is None or not years:
        return None
    return add_years(revoked_on, years)


def party_names(s: Session, codes: Iterable[str]) -> dict[str, str]:
    """Registered parties' names by code (what a `party` field, such as a recommender, stores), in one query."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {code: name for code, name in s.exec(select(PartyRow.code, PartyRow.name)
                                                .where(col(PartyRow.code).in_(wanted))).all()}
