"""Seals: the history anchored outside the database, with a key the database does not hold.

A hash chain alone proves nothing to someone who can write the database: they edit an event,
recompute every hash after it and the case's head, and `verify` passes. So every write seals,
in the same transaction, an HMAC-SHA256 (key in the office data folder, `secrets/history.key`,
mode 0600, made by `award init`) over:

- each case's row as the engine left it (state, version, form, flags) and its chain head
  (subject `case:<id>`): an edited row, a recomputed chain, a deleted or added event all break it;
- the number of cases and the highest case id (subject `cases`): a case deleted with its events
  and its seal is missed by its own seal, not by this one;
- the roster's chain head and every member's grants, login and status (subject `roster`).

`award verify` recomputes each seal. What a seal cannot see: a whole database put back to an
older copy together with its seals (a backup restored). `award verify --publish FILE` appends the
current digest of every seal to an append-only file (or mails it) so that an office can compare
a later database with what it published; see README "History seals".

The HMAC comes from the standard library (`hmac`, `hashlib`); no package does this better.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import event as sa_event
from sqlmodel import Session, col, func, select

from .errors import DataError, TamperedHistory
from .history import ChainBreak
from .logs import logger
from .sealmac import KEY_NAME, mac, read_key, roster_member, roster_payload
from .store import CaseRow, Prepared, SealRow, StaffAccountRow, StaffChangeRow, StaffRow, values_of
from .timing.clock import utc_text

if TYPE_CHECKING:
    from .abc import Step
    from .engine import Engine

__all__ = ["KEY_NAME", "Sealer", "create_key", "install", "seal_roster"]

_LOGGER = logger(__name__)

_LOADED = "award_case_loaded"


def _remember_loaded(target: CaseRow, context: Any) -> None:
    """Keep each case row as this session first read it: the seal is checked against that."""
    session = getattr(context, "session", None)
    case_id = values_of(target)["id"]
    if session is not None and case_id is not None:
        session.info.setdefault(_LOADED, {}).setdefault(case_id, case_payload(target))


sa_event.listen(CaseRow, "load", _remember_loaded)


def create_key(folder: Path) -> tuple[Path, bool]:
    """Make the seal key in `folder` (mode 0600) unless it exists; returns (path, created)."""
    path = folder / KEY_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    except OSError as exc:
        raise DataError(f"无法创建历史封印密钥 {path}：{exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path, True


def _iso(moment: datetime | None) -> str | None:
    return utc_text(moment) if moment is not None else None


def case_payload(row: CaseRow) -> dict[str, Any]:
    """Everything of a case row that only the engine may change."""
    v = values_of(row)  # read twice a step, 18 values each: not through the ORM's attributes
    return {"id": v["id"], "ref": v["ref"], "procedure": v["procedure"],
            "definition_version": v["definition_version"], "definition_hash": v["definition_hash"],
            "round_id": v["round_id"], "party_id": v["party_id"], "track": v["track"], "state": v["state"],
            "version": v["version"], "data": v["data"], "closed": bool(v["closed"]), "held": bool(v["held"]),
            "events": v["events"], "head_hash": v["head_hash"], "entered_at": _iso(v["entered_at"]),
            "created_at": _iso(v["created_at"]), "updated_at": _iso(v["updated_at"])}


@dataclass(kw_only=True)
class Sealer:
    """Computes and checks seals with the key in the office data folder.

    Attributes:
        key_path: the key file (`secrets/history.key` in the office data folder).
    """

    key_path: Path
    _key: bytes | None = field(default=None, repr=False)

    def key(self, s: Session | None = None) -> bytes:
        """The key; made on first use if the database holds no seal yet (else its loss is an error)."""
        if self._key is not None:
            return self._key
        if not self.key_path.is_file():
            if s is not None and s.exec(select(SealRow.subject).limit(1)).first() is None:
                self.key_path.parent.mkdir(parents=True, exist_ok=True)
                create_key(self.key_path.parent)
            else:
                raise DataError(f"历史封印密钥 {self.key_path} 不存在：请从办公室的安全备份恢复该文件"
                                "（多台电脑共用一个数据库时，每台都须有同一把密钥）")
        self._key = read_key(self.key_path)
        return self._key

    def on_step(self, step: Step) -> None:
        """The `StepHook`: seal the step's case last, over what every other hook wrote."""
        self.seal_case(step.session, step.case, values_of(step.event)["wall_time"])

    def mac(self, s: Session | None, subject: str, payload: Any) -> str:
        return mac(self.key(s), subject, payload)

    def _put(self, s: Session, subject: str, payload: Any, now: datetime) -> None:
        """Write a seal: an UPDATE, or an INSERT for a new subject (every step writes one or two)."""
        values = {"subject": subject, "seal": self.mac(s, subject, payload), "sealed_at": now}
        if _UPDATE_SEAL.run(s, values).rowcount == 0:
            _INSERT_SEAL.run(s, values)

    @staticmethod
    def _cases_payload(s: Session, without: int | None = None) -> dict[str, Any]:
        q = select(func.count(col(CaseRow.id)), func.max(col(CaseRow.id)))
        if without is not None:
            q = q.where(col(CaseRow.id) != without)
        count, top = s.exec(q).one()
        return {"count": int(count or 0), "max_id": int(top or 0)}

    def seal_case(self, s: Session, row: CaseRow, now: datetime) -> None:
        """Seal one case's row and chain head (inside the step's transaction).

        Before sealing anew it checks the old seal against the row as this transaction first read it
        (kept by the `load` listener below), so a step never launders an edit made behind its back.

        Raises:
            TamperedHistory: the case row, its chain or the case count no longer match their seals (exit 7).
        """
        s.flush()
        payload = case_payload(row)
        case_id = payload["id"]
        subject = f"case:{case_id}"
        loaded = s.info.get(_LOADED, {}).get(case_id)
        if loaded is not None:  # the usual step: one UPDATE that matches only while the old seal is intact
            values = {"subject": subject, "seal": self.mac(s, subject, payload), "sealed_at": now,
                      "expected": self.mac(s, subject, loaded)}
            if _RESEAL.run(s, values).rowcount == 1:
                s.info[_LOADED][case_id] = payload
                return
        old = _seal_of(s, subject)  # no seal yet, or one that does not match: find out which
        if old is not None:
            if loaded is not None and not hmac.compare_digest(old, self.mac(s, subject, loaded)):
                raise TamperedHistory(f"{row.ref} 的案件记录或历史链与封印不符，已被绕过系统修改：本次操作未执行。"
                                      "请先用 award verify 查明并从备份恢复")
        else:
            prior = _seal_of(s, "cases")
            before = self._cases_payload(s, without=row.id)
            if prior is not None and not hmac.compare_digest(prior, self.mac(s, "cases", before)):
                raise TamperedHistory("案件总数或编号与封印不符：有案件被绕过系统删除或添加，本次操作未执行。"
                                      "请先用 award verify 查明")
        self._put(s, subject, payload, now)
        s.info.setdefault(_LOADED, {})[case_id] = payload  # a second step in this transaction starts from here
        if old is None:
            self._put(s, "cases", self._cases_payload(s), now)

    def check_roster(self, s: Session) -> None:
        """Refuse to trust a roster edited behind the engine's back (grants, logins, status).

        Raises:
            TamperedHistory: the roster does not match its seal (exit 7).
        """
        seal = s.get(SealRow, "roster")
        if seal is None:
            if s.exec(select(StaffChangeRow.id).limit(1)).first() is not None and self.key_path.is_file():
                raise TamperedHistory("工作人员名单没有封印（封印被删除）：名单不可信，请用 award verify 查明")
            return
        if not hmac.compare_digest(seal.seal, self.mac(s, "roster", self._roster_payload(s))):
            raise TamperedHistory("工作人员名单（角色、登录名、停用状态）与封印不符，已被绕过系统修改："
                                  "在查明之前不接受任何身份。请用 award verify 查明并从备份恢复")

    def seal_roster(self, s: Session, now: datetime) -> None:
        self._put(s, "roster", self._roster_payload(s), now)

    @staticmethod
    def _roster_payload(s: Session) -> dict[str, Any]:
        last = s.exec(select(StaffChangeRow).order_by(col(StaffChangeRow.seq).desc())).first()
        members = []
        accounts = {a.name: a for a in s.exec(select(StaffAccountRow)).all()}
        for r in s.exec(select(StaffRow).order_by(col(StaffRow.name))).all():
            account = accounts.get(r.name)
            members.append(roster_member(name=r.name, roles=r.roles, email=r.email,
                                         login=account.login if account else None,
                                         phone=account.phone if account else None,
                                         disabled=bool(account and account.disabled)))
        return roster_payload(last.hash if last else None, last.seq if last else 0, members)

    def seal_all(self, s: Session, now: datetime) -> int:
        """Seal every unsealed case and the roster (an upgrade from a database made before seals)."""
        n = 0
        for row in s.exec(select(CaseRow).order_by(col(CaseRow.id))).all():
            if s.get(SealRow, f"case:{row.id}") is None:
                self._put(s, f"case:{row.id}", case_payload(row), now)
                n += 1
        self._put(s, "cases", self._cases_payload(s), now)
        if s.get(SealRow, "roster") is None:
            self.seal_roster(s, now)
        return n

    def check(self, s: Session, rows: Sequence[CaseRow], *, whole: bool) -> list[ChainBreak]:
        """Every seal that no longer matches (`whole`: also the case count and the roster)."""
        out: list[ChainBreak] = []
        if not self.key_path.is_file() and s.exec(select(SealRow.subject).limit(1)).first() is None:
            return out  # nothing was ever sealed (a database older than seals): `award init` seals it
        for row in rows:
            seal = s.get(SealRow, f"case:{row.id}")
            if seal is None:
                out.append(ChainBreak(case_ref=row.ref, seq=None,
                                      reason="案件没有封印：案件是绕过系统写入的，或其封印被删除"))
            elif not hmac.compare_digest(seal.seal, self.mac(s, f"case:{row.id}", case_payload(row))):
                out.append(ChainBreak(case_ref=row.ref, seq=None,
                                      reason="案件记录或其历史链与封印不符：案件状态、表单或历史被绕过系统修改"
                                             "（即使重新计算了哈希链）"))
        if whole:
            ids = {f"case:{r.id}" for r in s.exec(select(CaseRow)).all()}
            for seal in s.exec(select(SealRow).where(col(SealRow.subject).startswith("case:"))).all():
                if seal.subject not in ids:
                    out.append(ChainBreak(case_ref=f"案件#{seal.subject.removeprefix('case:')}", seq=None,
                                          reason="已封印的案件不见了：案件被绕过系统删除"))
            cases = s.get(SealRow, "cases")
            if cases is not None and not hmac.compare_digest(cases.seal, self.mac(s, "cases",
                                                                                  self._cases_payload(s))):
                out.append(ChainBreak(case_ref="全部案件", seq=None,
                                      reason="案件总数或编号与封印不符：有案件被绕过系统删除或添加"))
            roster = s.get(SealRow, "roster")
            if roster is None:
                if s.exec(select(StaffChangeRow.id).limit(1)).first() is not None:
                    out.append(ChainBreak(case_ref="工作人员名单", seq=None, reason="名单没有封印：封印被删除"))
            elif not hmac.compare_digest(roster.seal, self.mac(s, "roster", self._roster_payload(s))):
                out.append(ChainBreak(case_ref="工作人员名单", seq=None,
                                      reason="名单（角色、登录名、停用状态）或其变更记录与封印不符：名单被绕过系统修改"))
        return out

    def digest(self, s: Session) -> str:
        """One HMAC over every seal: what `verify --publish` writes down outside the database."""
        rows = s.exec(select(SealRow).order_by(col(SealRow.subject))).all()
        return self.mac(s, "digest", [[r.subject, r.seal] for r in rows])


def _seals() -> Any:
    return SealRow.__table__  # type: ignore[attr-defined]


_SEAL_OF = Prepared(lambda: select(_seals().c.seal).where(_seals().c.subject == bindparam("subject")))
_UPDATE_SEAL = Prepared(lambda: update(_seals()).where(_seals().c.subject == bindparam("subject"))
                        .values(seal=bindparam("seal"), sealed_at=bindparam("sealed_at")))
_RESEAL = Prepared(lambda: update(_seals()).where(_seals().c.subject == bindparam("subject"),
                                                  _seals().c.seal == bindparam("expected"))
                   .values(seal=bindparam("seal"), sealed_at=bindparam("sealed_at")))
_INSERT_SEAL = Prepared(lambda: insert(_seals()).values(subject=bindparam("subject"), seal=bindparam("seal"),
                                                       sealed_at=bindparam("sealed_at")))


def _seal_of(s: Session, subject: str) -> str | None:
    found = _SEAL_OF.first(s, {"subject": subject})
    return str(found[0]) if found is not None else None


def seal_roster(s: Session, now: datetime, sealer: Sealer | None) -> None:
    """Seal the roster after a change (no sealer: an engine built without one, e.g. in-process set-up)."""
    if sealer is not None:
        sealer.seal_roster(s, now)


def install(engine: Engine, key_path: Path) -> Sealer:
    """Seal every step's case inside its transaction (the last step hook), and check seals in `verify`."""
    engine.seal = Sealer(key_path=key_path)
    return engine.seal
