"""A history event written by a newer award (its payload's "v" above ours) is refused, not guessed at (exit 6)."""

from __future__ import annotations

from award.workflow.history import event_hash
from award.workflow.store import PAYLOAD_VERSION, CaseRow, EventRow, SealRow
from sqlalchemy import delete, update
from sqlmodel import col, select

from tests.fixtures_sha import office_fixture  # noqa: F401 - fixtures


def test_every_event_carries_the_payload_version(office) -> None:
    ref = office.new_case(at="2026-03-02 09:00")
    with office.engine.db.session() as s:
        events = s.exec(select(EventRow)).all()
        assert events and {e.data["v"] for e in events} == {PAYLOAD_VERSION}
    assert office.run("history", ref).code == 0


def test_a_newer_payload_is_refused_with_a_clean_error(office) -> None:
    ref = office.new_case(at="2026-03-02 09:00")
    with office.engine.db.session() as s:  # as a newer award would have written it, chain intact
        case = s.exec(select(CaseRow).where(CaseRow.ref == ref)).one()
        event = s.exec(select(EventRow).where(EventRow.case_id == case.id)).one()
        event.data = {**event.data, "v": PAYLOAD_VERSION + 1}
        event.hash = event_hash(event)
        s.add(event)
        s.execute(update(CaseRow).where(col(CaseRow.id) == case.id).values(head_hash=event.hash))
    with office.engine.db.session() as s:  # a newer award seals what it writes with the office's key too
        case = s.exec(select(CaseRow).where(CaseRow.ref == ref)).one()
        assert office.engine.seal is not None
        s.execute(delete(SealRow).where(col(SealRow.subject) == f"case:{case.id}"))
        office.engine.seal.seal_all(s, office.engine.clock())
    assert office.run("verify", ref).code == 0  # not tampered: only newer
    r = office.run("history", ref)
    assert r.code == 6, r
    assert f"案件历史第1条记录的格式版本为 {PAYLOAD_VERSION + 1}，本程序只能读取版本 {PAYLOAD_VERSION}" in r.err, r
    assert "请升级 award" in r.err and "Traceback" not in r.err, r
