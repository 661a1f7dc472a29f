"""The lists an office publishes or files: a round's winners, the public-notice list of a round and a
notice state (with its period from the stored timers, i.e. from the official calendar), objections.

Read-only; resident ID numbers are masked here like everywhere else (an export may unmask them
through `parties.reveal_codes`, which records the request).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ..errors import InvalidInput
from ..officeviews import NoticeList
from ..reads import page
from ..specs.catalog import Catalog
from ..specs.fields import display
from ..store import CaseRow, Database, ObjectionRow, PartyRecordRow, PartyRow, RoundRow, TimerRow, utc
from ..timing.clock import local_date
from .identity import mask_resident_id
from .office import party_names

__all__ = ["NoticeList", "notice_list", "objections", "winners"]


def _code(p: PartyRow) -> str:
    return p.code if p.kind == "organization" else mask_resident_id(p.code)


def _round(s: Session, round_id: str) -> RoundRow:
    from ..errors import RoundLookupError

    row = s.get(RoundRow, round_id)
    if row is None:
        raise RoundLookupError(round_id)
    return row


def winners(db: Database, catalog: Catalog, round_id: str) -> list[dict[str, Any]]:
    """The awards won through this round's cases (revoked ones marked), in case order."""
    with db.session() as s:
        _round(s, round_id)
        q = (select(PartyRecordRow, CaseRow, PartyRow)
             .join(CaseRow, col(PartyRecordRow.case_id) == col(CaseRow.id))
             .join(PartyRow, col(PartyRecordRow.party_id) == col(PartyRow.id))
             .where(CaseRow.round_id == round_id).order_by(col(CaseRow.id)))
        out = []
        for rec, case, party in s.exec(q).all():
            spec = catalog.get(case.procedure, case.definition_version)
            out.append({"ref": case.ref, "party_id": party.id, "party": party.name, "code": _code(party),
                        "district": party.district, "track": case.track, "track_label": spec.tracks[case.track].label,
                        "award": rec.award, "label": rec.label, "awarded_on": rec.awarded_on,
                        "revoked_on": rec.revoked_on, "state_label": spec.label_of(case.state),
                        "award_fields": {spec.fields[f].label: display(spec.fields[f], case.data.get(f))
                                         if case.data.get(f) is not None else "" for f in spec.award_fields}})
        return out


def notice_list(db: Database, catalog: Catalog, round_id: str, state: str | None) -> NoticeList:
    """The cases of a round now in a notice state; `state` may be omitted when the procedure has one notice.

    Raises:
        InvalidInput: the state is unknown, or several notice states exist and none was named.
    """
    from ..objections import _objection_rule

    with db.session() as s:
        rnd = _round(s, round_id)
        spec = catalog.get(rnd.procedure)
        notices = [st.name for st in spec.states if st.notice]
        if state is None:
            if len(notices) != 1:
                options = "、".join(f"{n}（{spec.label_of(n)}）" for n in notices) or "（无）"
                raise InvalidInput(f"请用 --notice 指定公示：{options}")
            state = notices[0]
        if state not in spec.state_map:
            options = "、".join(f"{n}（{spec.label_of(n)}）" for n in notices) or "（无）"
            raise InvalidInput(f"流程 {spec.id} 没有状态 {state!r}；公示有：{options}")
        st = spec.state(state)
        rows = s.exec(select(CaseRow, PartyRow).join(PartyRow, col(CaseRow.party_id) == col(PartyRow.id))
                      .where(CaseRow.round_id == round_id, CaseRow.state == state).order_by(col(CaseRow.id))).all()
        entries = []
        firsts: list[date] = []
        lasts: list[date] = []
        provisional = False
        names = party_names(s, (str(case.data[f]) for case, _p in rows for f in spec.listed
                                if spec.fields[f].type == "party" and case.data.get(f)))
        for case, party in rows:
            timer = s.exec(select(TimerRow).where(TimerRow.case_id == case.id, TimerRow.state == state,
                                                  TimerRow.kind == "transition")
                           .order_by(col(TimerRow.id).desc())).first()
            firsts.append(local_date(utc(case.entered_at)))
            if timer is not None and timer.last_day is not None:
                lasts.append(timer.last_day)
                provisional = provisional or timer.provisional
            entries.append({"ref": case.ref, "party_id": party.id, "party": party.name, "code": _code(party),
                            "district": party.district or "", "track": case.track,
                            "track_label": spec.tracks[case.track].label,
                            "listed": {spec.fields[f].label: display(spec.fields[f], case.data.get(f), names)
                                       if case.data.get(f) is not None else "" for f in spec.listed}})
        timer_spec = next((t for t in st.timers if t.trigger), None)
        return NoticeList(
            round_id=rnd.id, round_title=rnd.title, procedure=spec.id, procedure_title=spec.title,
            source=spec.source or "", state=state, state_label=st.label, entries=tuple(entries),
            first_day=min(firsts) if firsts else None, last_day=max(lasts) if lasts else None,
            period=timer_spec.after if timer_spec else None, rule=timer_spec.rule if timer_spec else None,
            objection_rule=_objection_rule(spec), provisional=provisional)


_OBJECTION_STATUS = {"open": "待处理", "dismissed": "不成立", "upheld": "成立"}


def objections(db: Database, catalog: Catalog, *, round_id: str | None = None,
               status: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Objections, oldest first, with their case and party (`limit`/`offset`: one page)."""
    with db.session() as s:
        q = (select(ObjectionRow, CaseRow, PartyRow).join(CaseRow, col(ObjectionRow.case_id) == col(CaseRow.id))
             .join(PartyRow, col(CaseRow.party_id) == col(PartyRow.id)))
        if round_id:
            q = q.where(CaseRow.round_id == round_id)
        if status:
            q = q.where(ObjectionRow.status == status)
        out = []
        for o, case, party in s.exec(page(q.order_by(col(ObjectionRow.id)), limit, offset)).all():
            spec = catalog.get(case.procedure, case.definition_version)
            out.append({"id": o.id, "ref": case.ref, "party": party.name, "state": o.state,
                        "state_label": spec.label_of(o.state), "filed_by": o.filed_by, "contact": o.contact,
                        "reason": o.reason, "evidence": [e.get("file") for e in o.evidence],
                        "status": o.status, "status_label": _OBJECTION_STATUS.get(o.status, o.status),
                        "resolution": o.resolution, "resolved_by": o.resolved_by,
                        "filed_at": utc(o.filed_at).isoformat(),
                        "resolved_at": utc(o.resolved_at).isoformat() if o.resolved_at else None})
        return out
