"""Entering conflicts of interest: declared by the expert or entered by the office, with immediate recusal.

Only the office changes (withdraws) an entry; the expert may declare. Adding a conflict, or a
fact that reveals one (a group relation, employment, coaching), recuses the expert at once
from every case of the applicant; each change is written into those cases' history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from ..errors import InvalidInput, RecordLookupError, Refused
from ..registers.conflicts import KINDS, SOURCES, ConflictView, record, view
from ..registers.experts import Experts, is_manager, require_manager
from ..registers.identity import validate_uscc
from ..store import CaseRow, PartyRow
from ..values import Verdict
from ..views import Actor
from .access import linked_experts
from .record import note
from .recusal import end_work, refresh
from .tables import ConflictRow, ExpertRow, GroupRelationRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["add_conflict", "add_group", "list_conflicts", "withdraw_conflict"]


def _review_cases(engine: Engine, cases: list[CaseRow], pool: str) -> list[CaseRow]:
    out = []
    for c in cases:
        spec = engine.spec_of(c)
        if spec.review is not None and spec.review.pool == pool:
            out.append(c)
    return out


def add_conflict(engine: Engine, *, expert_ref: str, party_ref: str, kind: str, reason: str, declared: bool,
                 actor: Actor) -> ConflictView:
    """Record a conflict; the expert's assignments on the applicant's cases end and their scores drop out."""
    if kind not in KINDS:
        raise InvalidInput(f"没有利害关系类别 {kind!r}；可选：" + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
    if not reason.strip():
        raise InvalidInput("利害关系须用 --reason 写明事实")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        expert = registry.row(s, expert_ref)
        mine = {e.id for e in linked_experts(s, actor)}
        own = expert.id in mine
        if not own:
            require_manager(engine.catalog, actor, expert.pool, "录入利害关系")
        source = "declared" if own or declared else "office"
        party = engine.office._party_row(s, party_ref)
        now = engine.clock()
        row = record(s, expert=expert, party=party, kind=kind, source=source, reason=reason.strip(), by=actor.name,
                     now=now)
        rules = {sp.review.pool: sp.review.rules.recusal for sp in engine.catalog.specs() if sp.review is not None}
        cases = _review_cases(engine, list(s.exec(select(CaseRow).where(CaseRow.party_id == party.id)
                                                  .order_by(col(CaseRow.id))).all()), expert.pool)
        for c in cases:
            note(engine, s, c, kind="conflict_recorded", actor=actor, comment=row.reason,
                 data={"ids": {"conflict": row.id, "expert": expert.id, "kind": kind, "source": source},
                       "expert_name": expert.name, "kind_label": KINDS[kind], "source_label": SOURCES[source],
                       "rule": rules.get(expert.pool, "")})
        end_work(engine, s, expert=expert, cases=cases, actor=actor,
                 reason=f"利害关系（{KINDS[kind]}：{row.reason}），依规回避")
        result = view(row, expert, party)
    engine.after_commit()
    return result


def withdraw_conflict(engine: Engine, conflict_id: int, *, reason: str, actor: Actor) -> ConflictView:
    """Withdraw an entry found wrong (the office only); the recusal it caused stays in the history."""
    if not reason.strip():
        raise InvalidInput("撤销利害关系记录须用 --reason 写明理由")
    with engine.db.session() as s:
        row = s.get(ConflictRow, conflict_id)
        if row is None:
            raise RecordLookupError(f"利害关系 #{conflict_id}")
        expert = s.get(ExpertRow, row.expert_id)
        party = s.get(PartyRow, row.party_id)
        assert expert is not None and party is not None
        if not is_manager(engine.catalog, actor, expert.pool):
            raise Refused("只有办公室可以撤销利害关系记录",
                          [Verdict(passed=False, guard="role", rule="", reason=f"{actor.name} 没有办公室角色")])
        if row.withdrawn_at is not None:
            raise InvalidInput(f"利害关系 #{conflict_id} 已撤销")
        if row.source == "detected":
            raise InvalidInput("系统检测到的利害关系来自登记的事实：请更正专家的单位、任职、指导或集团关系记录")
        row.withdrawn_at, row.withdrawn_by, row.withdrawn_reason = engine.clock(), actor.name, reason.strip()
        s.add(row)
        s.flush()
        for c in _review_cases(engine, list(s.exec(select(CaseRow).where(CaseRow.party_id == party.id)).all()),
                               expert.pool):
            note(engine, s, c, kind="conflict_withdrawn", actor=actor, comment=reason.strip(),
                 data={"ids": {"conflict": row.id, "expert": expert.id}, "expert_name": expert.name})
        result = view(row, expert, party)
    engine.after_commit()
    return result


def list_conflicts(engine: Engine, *, expert_ref: str | None = None, party_ref: str | None = None,
                   include_withdrawn: bool = False) -> list[ConflictView]:
    """Conflicts on record (detection is refreshed first, so what the records show is listed)."""
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        eid = registry.row(s, expert_ref).id if expert_ref else None
        pid = engine.office._party_row(s, party_ref).id if party_ref else None
    refresh(engine, expert_ids=[eid] if eid else None, party_ids=[pid] if pid else None)
    with engine.db.session() as s:
        q = select(ConflictRow, ExpertRow, PartyRow).join(ExpertRow, col(ConflictRow.expert_id) == col(ExpertRow.id)) \
            .join(PartyRow, col(ConflictRow.party_id) == col(PartyRow.id)).order_by(col(ConflictRow.id))
        if eid:
            q = q.where(ConflictRow.expert_id == eid)
        if pid:
            q = q.where(ConflictRow.party_id == pid)
        if not include_withdrawn:
            q = q.where(col(ConflictRow.withdrawn_at).is_(None))
        return [view(c, e, p) for c, e, p in s.exec(q).all()]


def add_group(engine: Engine, *, member_code: str, group_code: str, group_name: str | None, actor: Actor) -> int:
    """Record that an organisation belongs to a group company; experts of the group are recused from it."""
    member, group = validate_uscc(member_code), validate_uscc(group_code)
    if member == group:
        raise InvalidInput("成员单位与集团公司的统一社会信用代码相同")
    require_manager(engine.catalog, actor, None, "登记集团关系")
    with engine.db.session() as s:
        exists = s.exec(select(GroupRelationRow).where(GroupRelationRow.member_code == member,
                                                       GroupRelationRow.group_code == group)).first()
        if exists is not None:
            raise InvalidInput(f"已登记：{member} 属于集团 {group}")
        row = GroupRelationRow(member_code=member, group_code=group, group_name=group_name, entered_by=actor.name,
                               entered_at=engine.clock())
        s.add(row)
        s.flush()
        assert row.id is not None
        rid = row.id
    refresh(engine)
    return rid


def add_relation(engine: Engine, expert_ref: str, *, kind: str, org_code: str, org_name: str | None,
                 start: object, end: object, actor: Actor) -> object:
    """Record employment, consulting or registered coaching, then recuse wherever it reveals a conflict."""
    from datetime import date

    if kind not in ("employment", "consulting", "coaching"):
        raise InvalidInput(f"关系类别须为 employment（任职）、consulting（咨询）或 coaching（备案的指导关系），收到 {kind!r}")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    assert start is None or isinstance(start, date)
    assert end is None or isinstance(end, date)
    result = registry.add_service(expert_ref, kind=kind, org_code=org_code, org_name=org_name, start=start, end=end,
                                  actor=actor)
    refresh(engine, expert_ids=[result.id])
    return registry.show(str(result.id))
