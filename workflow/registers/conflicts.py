"""Conflicts of interest between experts and applicants: declared, entered by the office, or detected.

Detection reads only recorded facts: the expert's organisation (credit code) against the
applicant's, recorded group relations, employment or consulting within the look-back years the
definition sets, and coaching relationships the expert registered. Each conflict keeps its kind,
source, reason, who entered it and when; a withdrawn one keeps its row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from ..guards import add_years
from ..review.tables import CoachingRow, ConflictRow, ExpertRow, GroupRelationRow, ServiceRow
from ..specs.review import ReviewSpec
from ..store import PartyRow, utc

__all__ = ["KINDS", "SOURCES", "ConflictView", "active", "detect", "ensure_detected", "groups_of", "record", "rule_of"]

KINDS = {
    "same_org": "与申报方为同一单位",
    "same_group": "与申报方属同一集团",
    "employment": "近年在申报方任职",
    "consulting": "近年为申报方提供咨询服务",
    "coaching": "已备案的指导关系",
    "other": "其他利害关系",
}
SOURCES = {"declared": "本人申报", "office": "办公室录入", "detected": "系统检测"}


@dataclass(frozen=True, kw_only=True, slots=True)
class ConflictView:
    """A conflict as listed; `active` is false once withdrawn."""

    id: int
    expert_id: int
    expert: str
    party_id: int
    party: str
    kind: str
    kind_label: str
    source: str
    source_label: str
    reason: str
    entered_by: str
    entered_at: datetime
    active: bool
    withdrawn_reason: str | None


def rule_of(review: ReviewSpec, kind: str) -> str:
    """The rule a recusal cites: registered coaching has its own (the coaching rule), the rest the recusal rule."""
    return review.rules.coaching if kind == "coaching" else review.rules.recusal


def groups_of(s: Session, code: str) -> set[str]:
    """The organisation itself and every group company a recorded relation puts it in (and their members)."""
    found = {code}
    frontier = [code]
    while frontier:
        here = frontier.pop()
        rows = s.exec(select(GroupRelationRow).where(
            (col(GroupRelationRow.member_code) == here) | (col(GroupRelationRow.group_code) == here))).all()
        for r in rows:
            for c in (r.member_code, r.group_code):
                if c not in found:
                    found.add(c)
                    frontier.append(c)
    return found


def _recent(end: date | None, today: date, years: int) -> bool:
    return end is None or end >= add_years(today, -years)


def detect(s: Session, review: ReviewSpec, expert: ExpertRow, party: PartyRow, today: date,
           applicant_orgs: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(kind, reason) for every conflict the recorded facts show between this expert and this applicant.

    `applicant_orgs`: the organisation names an individual applicant's cases give (their employer).
    """
    out: list[tuple[str, str]] = []
    orgs = {o.strip() for o in applicant_orgs if o and o.strip()}
    if party.kind == "person" and expert.org_name and expert.org_name.strip() in orgs:
        out.append(("same_org", f"{expert.name} 所在单位 {expert.org_name} 即申报人 {party.name} 的所在单位"))
    code = party.code
    years = review.conflict_years
    if expert.org_code and expert.org_code == code:
        out.append(("same_org", f"{expert.name} 所在单位即申报方 {party.name}（统一社会信用代码 {code}）"))
    elif expert.org_code and code in groups_of(s, expert.org_code):
        out.append(("same_group", (f"{expert.name} 所在单位 {expert.org_name or expert.org_code} 与申报方 "
                                  f"{party.name} 属同一集团（已登记的集团关系）")))
    for v in s.exec(select(ServiceRow).where(ServiceRow.expert_id == expert.id, ServiceRow.org_code == code)).all():
        if _recent(v.end, today, years):
            until = f"至{v.end.year}年{v.end.month}月{v.end.day}日" if v.end else "至今"
            out.append((v.kind, (f"{expert.name} {until}{'在申报方任职' if v.kind == 'employment' else '为申报方提供咨询'}"
                                f"（{years}年内）")))
    for c in s.exec(select(CoachingRow).where(CoachingRow.expert_id == expert.id, CoachingRow.org_code == code)).all():
        if _recent(c.end, today, years):
            out.append(("coaching", f"{expert.name} 已备案担任申报方 {party.name} 的指导专家"))
    return out


def active(s: Session, expert_id: int, party_id: int) -> list[ConflictRow]:
    return list(s.exec(select(ConflictRow).where(ConflictRow.expert_id == expert_id, ConflictRow.party_id == party_id,
                                                 col(ConflictRow.withdrawn_at).is_(None))).all())


def record(s: Session, *, expert: ExpertRow, party: PartyRow, kind: str, source: str, reason: str, by: str,
           now: datetime) -> ConflictRow:
    assert expert.id is not None and party.id is not None
    row = ConflictRow(expert_id=expert.id, party_id=party.id, kind=kind, source=source, reason=reason,
                      entered_by=by, entered_at=now)
    s.add(row)
    s.flush()
    return row


def ensure_detected(s: Session, review: ReviewSpec, expert: ExpertRow, party: PartyRow, today: date,
                    now: datetime, applicant_orgs: Iterable[str] = ()) -> tuple[list[ConflictRow], list[ConflictRow]]:
    """Store each detected conflict not yet on record; return (every active conflict, the newly stored)."""
    assert expert.id is not None and party.id is not None
    stored = active(s, expert.id, party.id)
    have = {(c.kind, c.source) for c in stored}
    new = [record(s, expert=expert, party=party, kind=kind, source="detected", reason=reason, by="system", now=now)
           for kind, reason in detect(s, review, expert, party, today, applicant_orgs)
           if (kind, "detected") not in have]
    return [*stored, *new], new


def view(row: ConflictRow, expert: ExpertRow, party: PartyRow) -> ConflictView:
    assert row.id is not None
    return ConflictView(id=row.id, expert_id=row.expert_id, expert=expert.name, party_id=row.party_id, party=party.name,
                        kind=row.kind, kind_label=KINDS.get(row.kind, row.kind), source=row.source,
                        source_label=SOURCES.get(row.source, row.source), reason=row.reason,
                        entered_by=row.entered_by, entered_at=utc(row.entered_at), active=row.withdrawn_at is None,
                        withdrawn_reason=row.withdrawn_reason)
