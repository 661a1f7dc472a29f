"""A review panel per round, formed from the pool; it ends with the round (or when the office dissolves it).

Only members of a round's panel can be assigned to its cases. Breaches of discipline are
recorded against a member: a warning, or disqualification, which ends their work on the round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from ..errors import InvalidInput, NotFound, Refused
from ..registers.experts import Experts, require_manager
from ..specs.model import ProcessSpec
from ..specs.review import ReviewSpec
from ..store import CaseRow, RoundRow, utc
from ..values import Verdict
from ..views import Actor
from .record import note
from .recusal import end_work
from .tables import AssignmentRow, PanelMemberRow, PanelRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["MemberView", "PanelView", "dissolve", "form", "round_review", "sanction", "show"]

STATUS = {"active": "在组", "warned": "已警告", "removed": "已取消评审资格"}


class PanelLookupError(NotFound):
    """The round has no panel yet."""

    kind = "评审组"
    hint = "用 award panel form --round ROUND --expert ... 组建"


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberView:
    """A panel member, their standing and how many active assignments they carry in the round."""

    expert_id: int
    name: str
    org_name: str | None
    status: str
    status_label: str
    sanctions: tuple[dict[str, Any], ...]
    load: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PanelView:
    """A round's panel; `ended` with its reason once the round's review work is over."""

    round_id: str
    procedure: str
    pool: str
    pool_label: str
    formed_by: str
    formed_at: datetime
    ended: bool
    ended_reason: str | None
    members: tuple[MemberView, ...]


def round_review(engine: Engine, s: Session, round_id: str) -> tuple[RoundRow, ProcessSpec, ReviewSpec]:
    """The round, its definition and review key; refuses a procedure without an expert review."""
    round_row = engine.office.round_row(s, round_id)
    spec = engine.catalog.get(round_row.procedure)
    if spec.review is None:
        raise InvalidInput(f"流程 {spec.title} 没有专家评审（定义中无 review）")
    return round_row, spec, spec.review


def panel_row(s: Session, round_id: str) -> PanelRow:
    row = s.exec(select(PanelRow).where(PanelRow.round_id == round_id)).first()
    if row is None:
        raise PanelLookupError(round_id)
    return row


def ended_reason(s: Session, panel: PanelRow) -> str | None:
    """Why a panel is over: dissolved by the office, or every case of its round closed (the round's work is done)."""
    if panel.dissolved_at is not None:
        return f"已由 {panel.dissolved_by} 撤销"
    cases = s.exec(select(CaseRow.closed).where(CaseRow.round_id == panel.round_id)).all()
    if cases and all(cases):
        return "本轮评审工作已结束（全部案件已办结），评审组自动撤销"
    return None


def require_open(s: Session, panel: PanelRow, review: ReviewSpec) -> None:
    why = ended_reason(s, panel)
    if why is not None:
        raise Refused(f"{panel.round_id} 的评审组已撤销：{why}",
                      [Verdict(passed=False, guard="panel", rule=review.rules.panel, reason="评审组随当届评审结束而撤销")])


def form(engine: Engine, round_id: str, experts: Sequence[str], actor: Actor) -> PanelView:
    """Form the round's panel (or add members to it) from the pool of the round's procedure."""
    if not experts:
        raise InvalidInput("组建评审组须用 --expert 指定至少一位专家（编号或姓名，可重复）")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        _round_row, spec, review = round_review(engine, s, round_id)
        require_manager(engine.catalog, actor, review.pool, "组建评审组")
        panel = s.exec(select(PanelRow).where(PanelRow.round_id == round_id)).first()
        now = engine.clock()
        if panel is None:
            panel = PanelRow(round_id=round_id, formed_by=actor.name, formed_at=now)
            s.add(panel)
            s.flush()
        require_open(s, panel, review)
        for ref in experts:
            expert = registry.row(s, ref, review.pool)
            if not expert.active:
                raise InvalidInput(f"专家 {expert.name} 已停用（{expert.disabled_reason}），不能加入评审组")
            exists = s.exec(select(PanelMemberRow).where(PanelMemberRow.panel_id == panel.id,
                                                         PanelMemberRow.expert_id == expert.id)).first()
            if exists is None:
                s.add(PanelMemberRow(panel_id=panel.id or 0, expert_id=expert.id, added_by=actor.name, added_at=now))
        s.flush()
        return _view(s, panel, spec, review)


def show(engine: Engine, round_id: str) -> PanelView:
    with engine.db.session() as s:
        _round, spec, review = round_review(engine, s, round_id)
        return _view(s, panel_row(s, round_id), spec, review)


def dissolve(engine: Engine, round_id: str, actor: Actor) -> PanelView:
    """End the panel before every case is closed (the office decides the round's review work is over)."""
    with engine.db.session() as s:
        _round, spec, review = round_review(engine, s, round_id)
        require_manager(engine.catalog, actor, review.pool, "撤销评审组")
        panel = panel_row(s, round_id)
        require_open(s, panel, review)
        panel.dissolved_at, panel.dissolved_by = engine.clock(), actor.name
        s.add(panel)
        s.flush()
        return _view(s, panel, spec, review)


def sanction(engine: Engine, round_id: str, expert_ref: str, *, kind: str, reason: str, actor: Actor) -> PanelView:
    """Record a warning or a disqualification against a member (a breach of review discipline)."""
    if kind not in ("warning", "disqualification"):
        raise InvalidInput(f"处理方式须为 warning（警告）或 disqualification（取消评审资格），收到 {kind!r}")
    if not reason.strip():
        raise InvalidInput("处理评审纪律问题须用 --reason 写明事实和理由")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        _round, spec, review = round_review(engine, s, round_id)
        require_manager(engine.catalog, actor, review.pool, "处理评审纪律问题")
        panel = panel_row(s, round_id)
        expert = registry.row(s, expert_ref, review.pool)
        member = s.exec(select(PanelMemberRow).where(PanelMemberRow.panel_id == panel.id,
                                                     PanelMemberRow.expert_id == expert.id)).first()
        if member is None:
            raise InvalidInput(f"{expert.name} 不是 {round_id} 评审组的成员")
        if member.status == "removed":
            raise InvalidInput(f"{expert.name} 已被取消本轮评审资格")
        now = engine.clock()
        member.sanctions = [*member.sanctions, {"kind": kind, "reason": reason.strip(), "by": actor.name,
                                                "at": now.isoformat(), "rule": review.rules.discipline}]
        member.status = "removed" if kind == "disqualification" else "warned"
        s.add(member)
        s.flush()
        cases = s.exec(select(CaseRow).join(AssignmentRow, col(AssignmentRow.case_id) == col(CaseRow.id))
                       .where(CaseRow.round_id == round_id, AssignmentRow.expert_id == expert.id)).all()
        if kind == "warning":
            for c in {c.id: c for c in cases}.values():
                note(engine, s, c, kind="review_warning", actor=actor, comment=reason.strip(),
                     data={"ids": {"expert": expert.id}, "expert_name": expert.name, "rule": review.rules.discipline})
        else:
            end_work(engine, s, expert=expert, cases=list({c.id: c for c in cases}.values()), actor=actor,
                     reason=f"取消评审资格：{reason.strip()}", kind="review_disqualified")
        view = _view(s, panel, spec, review)
    engine.after_commit()
    return view


def member_status(s: Session, round_id: str, expert_id: int) -> str | None:
    """`active`, `warned`, `disqualified`, or None when not on the round's panel."""
    row = s.exec(select(PanelMemberRow).join(PanelRow, col(PanelMemberRow.panel_id) == col(PanelRow.id))
                 .where(PanelRow.round_id == round_id, PanelMemberRow.expert_id == expert_id)).first()
    return row.status if row else None


def _view(s: Session, panel: PanelRow, spec: ProcessSpec, review: ReviewSpec) -> PanelView:
    from .tables import ExpertRow

    members = s.exec(select(PanelMemberRow, ExpertRow).join(ExpertRow, col(PanelMemberRow.expert_id) == col(ExpertRow.id))
                     .where(PanelMemberRow.panel_id == panel.id).order_by(col(ExpertRow.id))).all()
    out = []
    for m, e in members:
        load = len(s.exec(select(AssignmentRow.id).join(CaseRow, col(AssignmentRow.case_id) == col(CaseRow.id))
                          .where(CaseRow.round_id == panel.round_id, AssignmentRow.expert_id == e.id,
                                 col(AssignmentRow.ended_at).is_(None))).all())
        assert e.id is not None
        out.append(MemberView(expert_id=e.id, name=e.name, org_name=e.org_name, status=m.status,
                              status_label=STATUS.get(m.status, m.status), sanctions=tuple(m.sanctions), load=load))
    why = ended_reason(s, panel)
    return PanelView(round_id=panel.round_id, procedure=spec.id, pool=review.pool, pool_label=review.pool_label,
                     formed_by=panel.formed_by, formed_at=utc(panel.formed_at), ended=why is not None,
                     ended_reason=why, members=tuple(out))
