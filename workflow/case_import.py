"""Open many cases of a round from a spreadsheet (`award import cases FILE --round R`): all rows or none.

Each row is one `case new`: the party (credit code / ID number), the track, the start and form fields,
checked by the same engine code (roles, fields, intake guards, quotas). All rows run in ONE database
transaction: the engine works on a `_Batch` database whose sessions are that one transaction, so a
later row sees the cases opened before it (numbering, quotas, per-recommender limits) and nothing is
committed unless every row passed; `dry_run` rolls back even then. Re-importing the same file
changes nothing: a party that already has a case on that track in that round is left as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from .errors import AwardError, InvalidInput
from .registers.imports import Change, ImportReport
from .registers.tabular import Column, TableProblem, parse_cn_date, read_table
from .store import CaseRow, Database, PartyRow
from .views import Actor

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["case_columns", "import_cases"]


class _Batch(Database):
    """The same database, every `session()` being one shared transaction (committed by the importer)."""

    def __init__(self, base: Database, shared: Session) -> None:
        self.__dict__.update(base.__dict__)
        self._shared = shared

    @contextmanager
    def session(self) -> Iterator[Session]:
        yield self._shared
        self._shared.flush()

    one_statement = session  # no write of the import leaves its one transaction


def case_columns(engine: Engine, round_id: str) -> tuple[Any, list[Column]]:
    """The spec of the round and the columns of its cases file (the form fields by label or id)."""
    with engine.db.session() as s:
        spec = engine.catalog.get(engine.office.round_row(s, round_id).procedure)
    base = [
        Column(key="code", label="统一社会信用代码", aliases=("身份证号", "身份证号码", "代码"), required=True),
        Column(key="track", label="赛道", aliases=("奖项", "申报类别", "类别"), type="choice",
               choices={k: t.label for k, t in spec.tracks.items()}, required=True),
        Column(key="start", label="开始方式", aliases=("申报方式",), type="choice",
               choices={k: v.label for k, v in spec.starts.items()}),
        Column(key="comment", label="说明", aliases=("备注",)),
    ]
    fields = [Column(key=f"field:{k}", label=f.label, aliases=(k,)) for k, f in spec.fields.items()]
    return spec, [*base, *fields]


def import_cases(engine: Engine, path: Path, *, round_id: str, actor: Actor, dry_run: bool = False,
                 encoding: str | None = None, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Open the cases of a file in one transaction; every refusal of every row reported, nothing written.

    Raises:
        InvalidInput: listing each bad row (a bad cell, an unknown party, a refused intake guard with its rule).
    """
    spec, columns = case_columns(engine, round_id)
    table = read_table(path, columns, encoding=encoding, progress=progress)
    if not table.rows:
        table.raise_if_problems("案件名单")
    problems: list[TableProblem] = list(table.problems)
    changes: list[Change] = []
    h = table.headers
    with engine.db.session() as shared:
        quiet = dataclasses.replace(engine.outbox, deliver_after_commit=False) if engine.outbox else None
        batch = dataclasses.replace(engine, db=_Batch(engine.db, shared), outbox=quiet)  # delivered at the end
        seen: dict[tuple[str, str], int] = {}
        for row in table.rows:
            v = row.values
            if "code" not in v or "track" not in v:
                continue
            code = str(v["code"]).strip().upper()
            party = shared.exec(select(PartyRow).where(PartyRow.code == code)).first()
            if party is None:
                problems.append(TableProblem(line=row.line, column=h["code"], message=(
                    "该代码未登记；先用 award import parties 登记申报主体")))
                continue
            key = (code, v["track"])
            if key in seen:
                problems.append(TableProblem(line=row.line, column=h["code"],
                                             message=f"与第{seen[key]}行是同一申报主体的同一赛道"))
                continue
            seen[key] = row.line
            subject = f"{party.name}：{spec.tracks[v['track']].label}"
            existing = shared.exec(select(CaseRow).where(CaseRow.party_id == party.id, CaseRow.round_id == round_id,
                                                         CaseRow.track == v["track"])).first()
            if existing is not None:
                changes.append(Change(line=row.line, action="unchanged", subject=f"{subject}（{existing.ref}）"))
                continue
            sets = []
            for key_name, value in v.items():
                if not key_name.startswith("field:"):
                    continue
                name = key_name.removeprefix("field:")
                text = str(value).strip()
                if spec.fields[name].type == "date":
                    try:
                        text = parse_cn_date(value).isoformat()
                    except ValueError:
                        pass  # kept as written: the engine's field check refuses it with the row, like any bad value
                sets.append(f"{name}={text}")
            try:
                view = batch.case_new(party=code, round_id=round_id, track=v["track"], start=v.get("start"),
                                      sets=sets, actor=actor, comment=v.get("comment") or None)
            except AwardError as exc:
                rules = f"（依据 {'、'.join(exc.rules)}）" if exc.rules else ""
                problems.append(TableProblem(line=row.line, column=None,
                                             message=str(exc).replace("\n", " ") + rules))
                continue
            changes.append(Change(line=row.line, action="new", subject=f"{subject}（{view.ref}）"))
        if problems:
            shared.rollback()
            ordered = sorted(problems, key=lambda p: (p.line, p.column or ""))
            raise InvalidInput(f"{path.name}：案件名单有 {len(ordered)} 处错误，整个文件均未导入：\n"
                               + "\n".join(f"  {p}" for p in ordered) + "\n改正后重新导入即可")
        if dry_run:
            shared.rollback()
    if not dry_run:
        engine.after_commit()
    return ImportReport(kind="cases", file=path.name, encoding=table.encoding, dry_run=dry_run,
                        changes=tuple(changes))
