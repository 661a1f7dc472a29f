"""The hot path's prepared statements (`store.Prepared`): the same values SQLAlchemy would write, and the
session's own transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from award.workflow.store import Database, MetaRow, Prepared, database_url
from award.workflow.timing.clock import parse_moment
from freezegun import freeze_time
from sqlalchemy import DateTime, bindparam, insert, select
from sqlalchemy.dialects import sqlite

_META = MetaRow.__table__  # type: ignore[attr-defined]
_PUT = Prepared(lambda: insert(_META).values(key=bindparam("key"), value=bindparam("value")))
_GET = Prepared(lambda: select(_META.c.value).where(_META.c.key == bindparam("key")))


@pytest.fixture
def db(db_url: str) -> Database:
    database = Database(database_url(db_url))
    database.init(parse_moment("2026-01-05 09:00"))
    yield database
    database.dispose()


def test_a_statement_sees_what_the_same_transaction_wrote_and_a_rollback_takes_it_back(db: Database) -> None:
    with db.session() as s:
        _PUT.run(s, {"key": "a", "value": "1"})
        assert _GET.first(s, {"key": "a"}) == ("1",)  # the kept connection is the session's own
    with pytest.raises(RuntimeError), db.session() as s:
        _PUT.run(s, {"key": "b", "value": "2"})
        raise RuntimeError("the step fails after writing")
    with db.session() as s:  # a new transaction: the connection kept for the last one is not reused
        assert _GET.first(s, {"key": "b"}) is None
        assert _GET.first(s, {"key": "a"}) == ("1",)
        _PUT.run(s, {"key": "c", "value": "3"})
    with db.session() as s:
        assert s.get(MetaRow, "c") is not None


def test_one_session_through_a_commit_and_a_rollback_asks_for_its_connection_again(db: Database) -> None:
    from sqlmodel import Session

    with Session(db.engine) as s:
        _PUT.run(s, {"key": "x", "value": "1"})
        s.commit()
        _PUT.run(s, {"key": "y", "value": "2"})
        s.rollback()
        assert _GET.first(s, {"key": "x"}) == ("1",)
        assert _GET.first(s, {"key": "y"}) is None
        s.commit()


class _Sub(datetime):
    pass


@pytest.mark.parametrize("value", [
    datetime(2026, 3, 2, 9, 0),
    datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=8))),
    datetime(999, 1, 1, 0, 0, 0, 1),
    datetime(9999, 12, 31, 23, 59, 59),
    _Sub(2026, 5, 6, 7, 8, 9, 10),
    date(2026, 3, 2),
    None,
])
def test_the_fast_sqlite_datetime_writes_what_sqlalchemy_writes(value: object) -> None:
    from award.workflow.store import _fast_bind

    dialect = sqlite.dialect()
    kind = DateTime(timezone=True)
    general = kind.dialect_impl(dialect).bind_processor(dialect)
    assert _fast_bind(kind, dialect, general)(value) == general(value)


def test_the_fast_sqlite_datetime_takes_freezegun_times_the_general_way() -> None:
    from award.workflow.store import _fast_bind

    dialect = sqlite.dialect()
    kind = DateTime(timezone=True)
    general = kind.dialect_impl(dialect).bind_processor(dialect)
    with freeze_time("2026-10-12 08:30:00.25"):
        now = datetime.now(UTC)
        assert _fast_bind(kind, dialect, general)(now) == general(now) == "2026-10-12 08:30:00.250000"


@pytest.mark.parametrize("value", [
    datetime(2026, 3, 2, 9, 0),
    datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=8))),
    datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(999, 1, 1, 0, 0, 0, 1),
    datetime(9999, 12, 31, 23, 59, 59),
    _Sub(2026, 5, 6, 7, 8, 9, 10),
])
def test_the_text_of_a_moment_in_hashes_and_seals_is_unchanged(value: datetime) -> None:
    """Histories and seals written before `utc_text` must verify after it: the same text, to the character."""
    from award.workflow.timing.clock import utc, utc_text

    assert utc_text(value) == utc(value).isoformat(timespec="microseconds")


def test_the_text_of_a_frozen_moment_is_unchanged() -> None:
    from award.workflow.timing.clock import utc, utc_text

    with freeze_time("2026-10-12 08:30:00.25"):
        for now in (datetime.now(UTC), datetime.now(UTC).replace(tzinfo=None)):
            assert utc_text(now) == utc(now).isoformat(timespec="microseconds")


def test_the_seal_digest_is_the_hmac_of_the_canonical_payload() -> None:
    import hashlib
    import hmac
    import json

    from award.workflow.sealmac import mac

    key, payload = bytes(range(32)), {"ref": "SHA-2026-001", "data": {"名称": "上海"}, "closed": False}
    raw = json.dumps({"subject": "case:1", "payload": payload}, sort_keys=True, ensure_ascii=False,
                     separators=(",", ":"))
    assert mac(key, "case:1", payload) == hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()


def _pydantic_way(cls: type, values: dict[str, object]) -> object:
    from sqlalchemy.orm import instrumentation

    row = cls.model_construct(**values)  # type: ignore[attr-defined]
    instrumentation.manager_of_class(cls)._new_state_if_none(row)
    return row


@pytest.mark.parametrize("cls", ["CaseRow", "EventRow", "TimerRow", "OutboxRow"])
def test_construct_with_every_field_makes_what_model_construct_makes(cls: str) -> None:
    from award.workflow import store
    from sqlalchemy import inspect

    kind = getattr(store, cls)
    values = {name: f"v-{i}" for i, name in enumerate(kind.__pydantic_fields__)}
    fast, slow = store.construct(kind, **values), _pydantic_way(kind, dict(values))
    assert store._SHAPES[kind][1] is not None  # the direct way was taken
    assert {k: v for k, v in fast.__dict__.items() if k != "_sa_instance_state"} == \
        {k: v for k, v in slow.__dict__.items() if k != "_sa_instance_state"} == values
    for slot in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        assert getattr(fast, slot) == getattr(slow, slot), slot
    assert inspect(fast).transient and inspect(fast).class_ is kind
    fast.id = 7  # set through the ORM's instrumentation, as on a row pydantic made
    assert fast.id == 7 and fast.__dict__["id"] == 7


def test_construct_with_some_fields_takes_pydantic_defaults() -> None:
    from award.workflow.store import TimerRow, construct

    row = construct(TimerRow, id=None, case_id=1, entry_seq=1, state="s", kind="mark", rule="R", period="p",
                    basis="b", due_at=datetime(2026, 3, 2, tzinfo=UTC), created_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert row.status == "pending" and row.provisional is False and row.__pydantic_fields_set__ >= {"case_id"}


def _one_case(db: Database) -> datetime:
    """A round, a party and one case, written through the ORM; returns the moment they carry."""
    from award.workflow.store import CaseRow, PartyRow, RoundRow

    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with db.session() as s:
        party = PartyRow(kind="organization", name="上海某公司", code="91310000000000000X", created_at=at)
        s.add(RoundRow(id="sha-2026", procedure="sha", year=2026, title="2026年", opened_on=date(2026, 3, 2), created_at=at))
        s.add(party)
        s.flush()
        s.add(CaseRow(ref="SHA-2026-001", procedure="sha", definition_version=1, definition_hash="h",
                      round_id="sha-2026", party_id=party.id, track="organization", state="recommended",
                      data={"名称": "上海"}, entered_at=at, created_at=at, updated_at=at))
    return at


def test_an_attached_row_is_a_member_of_the_session_as_a_loaded_one_is(db: Database) -> None:
    """`attach` takes the ORM loader's steps itself: the row must then behave as one a query loaded, in the
    identity map, in queries, in the seal's `load` listener, when changed, rolled back and closed."""
    from award.workflow.seal import case_payload
    from award.workflow.store import CaseRow, attach
    from sqlalchemy import inspect
    from sqlalchemy.orm.util import identity_key

    table = CaseRow.__table__  # type: ignore[attr-defined]
    columns = tuple(c.name for c in table.columns)
    by_ref = Prepared(lambda: select(*(table.c[c] for c in columns)).where(table.c.ref == bindparam("ref")))
    _one_case(db)
    with db.session() as s:
        values = by_ref.first(s, {"ref": "SHA-2026-001"})
        row = attach(s, CaseRow, columns, values)
        state = inspect(row)
        assert state.persistent and state.session_id == s.hash_key and state.key == identity_key(CaseRow, row.id)
        assert s.get(CaseRow, row.id) is row and attach(s, CaseRow, columns, values) is row
        assert s.scalars(select(CaseRow)).one() is row  # a query finds this object, not a second copy
        assert not s.dirty and not s.new
        assert s.info["award_case_loaded"][row.id] == case_payload(row)  # the `load` event reached the seal
        row.state = "changed"
        assert row in s.dirty
    assert inspect(row).detached  # the block closed the session
    with db.session() as s:
        row = attach(s, CaseRow, columns, by_ref.first(s, {"ref": "SHA-2026-001"}))
        assert row.state == "changed"  # the change above was flushed and committed
        row.state = "rolled back"
        s.flush()
        s.rollback()
        assert "state" not in row.__dict__  # the rollback expired it, as a loaded row
        assert row.state == "changed" and s.get(CaseRow, row.id) is row  # read again under the same identity


def test_the_values_of_a_row_are_its_attributes_and_an_expired_row_is_read_back(db: Database) -> None:
    """`values_of` reads a row's `__dict__` (the hash, the seal and the step read the case and event whole);
    a row the session expired lacks values there, and is read through its attributes, which load them."""
    from award.workflow.history import event_hash
    from award.workflow.seal import case_payload
    from award.workflow.store import CaseRow, EventRow, values_of

    at = _one_case(db)
    with db.session() as s:
        row = s.scalars(select(CaseRow)).one()
        read = {name: getattr(row, name) for name in CaseRow.__pydantic_fields__}
        assert values_of(row) is row.__dict__ and dict(values_of(row)) | read == dict(values_of(row))
        s.expire(row)  # what a commit does with expire_on_commit (the engine's sessions keep them)
        assert "state" not in row.__dict__
        again = values_of(row)
        assert again is not row.__dict__ and again == read  # read through the attributes, which loaded them
        assert values_of(row) is row.__dict__
        assert case_payload(row)["state"] == "recommended" and case_payload(row)["data"] == {"名称": "上海"}
    event = EventRow(case_id=1, seq=1, kind="created", actor="wang", business_time=at, wall_time=at, data={},
                     prev_hash="0" * 64, hash="")
    assert event_hash(event) == event_hash({name: getattr(event, name) for name in EventRow.__pydantic_fields__})


def test_a_remembered_text_is_never_another_moments() -> None:
    """`utc_text` and `sqlite_datetime` remember recent moments by identity: the same instant in another
    zone (equal, same hash) keeps its own wall-clock text, and a full cache starts over, never mixes."""
    from award.workflow.timing.clock import sqlite_datetime, utc, utc_text

    base = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    moments = [base + timedelta(seconds=i) for i in range(200)]
    moments += [m.astimezone(timezone(timedelta(hours=8))) for m in moments[:20]]  # equal to the first 20
    moments += [m.replace(tzinfo=None) for m in moments[:20]]
    for _ in range(2):  # the second pass reads what the first remembered (or wrote again)
        for m in moments:
            assert utc_text(m) == utc(m).isoformat(timespec="microseconds")
            assert sqlite_datetime(m) == m.isoformat(" ", "microseconds")[:26]
    assert sqlite_datetime(moments[200]) == "2026-03-02 09:00:00.000000"  # Shanghai's wall clock, not UTC's


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [1.5, None, True, False, -0.0, 1e300], "中文": "引号\"、反斜杠\\、换行\n、制表\t"},
    {"nested": {"z": {"y": [{"x": 1}]}}, "date": date(2026, 3, 2), "moment": datetime(2026, 3, 2, 9, 0)},
    "只是一句话", 12345678901234567890, 3.25, None, [], {},
    {"emoji": "🙂", "control": "\x00\x1f", "surrogate-free": "\u2028\u2029"},
])
def test_canonical_json_is_json_dumps_with_the_canonical_options(value: object) -> None:
    """Hashes and seals written with `json.dumps` must verify with the encoder built once."""
    import json

    from award.workflow.canonical import canonical_json

    assert canonical_json(value) == json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                               default=str)


def test_committed_values_are_what_set_committed_value_leaves(db: Database) -> None:
    """`committed` writes an unmodified row's `__dict__` directly; a row with a pending change takes
    SQLAlchemy's own way, which also drops that change. Either way nothing is left to flush."""
    from award.workflow.store import CaseRow, committed
    from sqlalchemy import inspect

    _one_case(db)
    with db.session() as s:
        row = s.scalars(select(CaseRow)).one()
        committed(row, state="moved", version=2)
        assert (row.state, row.version) == ("moved", 2) and not inspect(row).modified and row not in s.dirty
        row.track = "changed by hand"  # a pending change: the slow way, as set_committed_value does
        committed(row, track="as written", events=3)
        assert (row.track, row.events) == ("as written", 3)
        assert not inspect(row).attrs.track.history.has_changes()  # the change by hand is dropped
        s.expire(row, ["state"])  # an expired attribute: the slow way too, and it is no longer expired
        committed(row, state="again")
        assert row.__dict__["state"] == "again" and "state" not in inspect(row).expired_attributes
    with db.session() as s:  # nothing was flushed: the values were the database's already, as far as the ORM knows
        assert tuple(s.execute(select(CaseRow.state, CaseRow.track)).one()) == ("recommended", "organization")
