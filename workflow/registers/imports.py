"""Bulk import of the office's registers from spreadsheets: parties and past awards.

All rows or none: the whole file is read and checked first (every problem of every row reported at
once, with its row and column), and only a clean file is written, in one transaction. Importing the
same file again changes nothing: a party is matched by its code (credit code or resident ID number),
an award record by party, procedure, award and year. A changed row updates what it names and the
change is kept in the party's history (`office_audit`). `dry_run` reports the same plan and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..abc import Clock
from ..errors import InvalidInput
from ..specs.fields import parse_value
from ..specs.model import FieldSpec
from ..store import AuditRow, PartyRecordRow, PartyRow
from ..timing.clock import local_date
from ..views import Actor
from .identity import mask_resident_id, validate_resident_id, validate_uscc
from .office import PARTY_KINDS, Office, _bar
from .staff import authorize_any
from .tabular import Column, Row, Table, TableProblem, read_table

__all__ = ["Change", "ImportReport", "award_columns", "import_awards", "import_parties", "party_columns"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """What one row does: `new`, `changed` (with the fields) or `unchanged`."""

    line: int
    action: str
    subject: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportReport:
    """The plan (dry run) or the result of an import."""

    kind: str
    file: str
    encoding: str | None
    dry_run: bool
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


_BASE_PARTY_COLUMNS = (
    Column(key="code", label="统一社会信用代码", aliases=("身份证号", "身份证号码", "公民身份号码", "代码", "信用代码"),
           required=True, hint="组织填统一社会信用代码，个人填身份证号"),
    Column(key="name", label="名称", aliases=("单位名称", "企业名称", "组织名称", "姓名", "申报主体"), required=True),
    Column(key="kind", label="类型", aliases=("主体类型", "申报主体类型"), type="choice", choices=PARTY_KINDS,
           hint="组织 或 个人；不填则按代码判断"),
    Column(key="registered_on", label="登记注册日期", aliases=("成立日期", "注册日期"), type="date"),
    Column(key="email", label="电子邮箱", aliases=("邮箱", "电子邮件", "email")),
    Column(key="phone", label="电话", aliases=("联系电话", "手机", "手机号")),
    Column(key="district", label="所在区", aliases=("区", "所属区", "区县")),
)


_CONTACT_SPECS = {"email": FieldSpec(label="电子邮箱", type="email"), "phone": FieldSpec(label="电话", type="phone")}


def _attr_specs(office: Office) -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for spec in office.catalog.specs():
        specs.update(spec.party_attributes)
    return specs


def party_columns(office: Office) -> list[Column]:
    """The parties file: the fixed columns, then each party attribute a definition declares (by its label)."""
    extra = [Column(key=f"attr:{k}", label=v.label, aliases=(k,),
                    hint=("可选：" + "、".join(v.choices.values())) if v.choices else
                    ("是 或 否" if v.type == "bool" else ""))
             for k, v in _attr_specs(office).items()]
    return [*_BASE_PARTY_COLUMNS, *extra]


def award_columns(office: Office) -> list[Column]:
    """The past-awards file."""
    procedures = {s.id: s.title for s in office.catalog.specs()}
    return [
        Column(key="code", label="统一社会信用代码", aliases=("身份证号", "身份证号码", "代码", "信用代码"), required=True),
        Column(key="name", label="名称", aliases=("单位名称", "企业名称", "姓名"),
               hint="可不填；填了则须与已登记的名称一致"),
        Column(key="procedure", label="流程", aliases=("奖项类别", "评选活动"), type="choice", choices=procedures,
               required=True),
        Column(key="award", label="奖项", aliases=("获奖类别", "奖项名称"), required=True,
               hint="奖项名称，与流程定义中的赛道名称一致（或其代号）"),
        Column(key="awarded_on", label="获奖日期", aliases=("获奖年份", "获奖时间", "授奖日期"), type="year_or_date",
               required=True, hint="日期；只有年份时按该年12月31日计"),
        Column(key="label", label="获奖名称", aliases=("荣誉名称",)),
        Column(key="revoked_on", label="撤销日期", type="date"),
        Column(key="reason", label="撤销原因", aliases=("原因",)),
        Column(key="rule", label="撤销依据", aliases=("依据",)),
    ]


def _fail(path: Path, problems: Sequence[TableProblem], what: str) -> None:
    """Every problem of the file, in row order, as one error; the caller's transaction rolls back."""
    ordered = sorted(problems, key=lambda p: (p.line, p.column or ""))
    Table(path=path, rows=(), problems=tuple(ordered), headers={}, encoding=None).raise_if_problems(what)


def _shown(kind: str, code: str) -> str:
    return code if kind == "organization" else mask_resident_id(code)


def _audit(s: Session, *, kind: str, party_id: int | None, actor: Actor, now: Any, wall: Any,
           data: dict[str, Any], reason: str | None = None) -> None:
    s.add(AuditRow(kind=kind, party_id=party_id, actor=actor.name, reason=reason, data={"v": 1, **data},
                   business_time=now, wall_time=wall))


def _read(office: Office, path: Path, columns: Sequence[Column], encoding: str | None,
          progress: Progress | None) -> Table:
    return read_table(path, columns, encoding=encoding, progress=progress)


def _plan_parties(office: Office, table: Table) -> tuple[list[tuple[Row, dict[str, Any]]], list[TableProblem]]:
    """Every row checked on its own (codes and their check characters, dates, contacts, attributes)."""
    attr_specs = _attr_specs(office)
    today = local_date(office.clock())
    problems: list[TableProblem] = list(table.problems)
    planned: list[tuple[Row, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    names_in_file: dict[str, tuple[int, str]] = {}
    for row in table.rows:
        v, h = row.values, table.headers
        if "code" not in v or "name" not in v:
            continue  # reported by the reader
        code_raw = str(v.get("code", ""))
        kind = v.get("kind")
        code = None
        for candidate in ([kind] if kind else ["organization", "person"]):
            try:
                code = validate_uscc(code_raw) if candidate == "organization" else \
                    validate_resident_id(code_raw, today=today)
                kind = candidate
                break
            except InvalidInput as exc:
                if kind:
                    problems.append(TableProblem(line=row.line, column=h["code"], message=str(exc)))
        if code is None:
            if not kind:
                problems.append(TableProblem(line=row.line, column=h["code"], message=(
                    f"{mask_resident_id(code_raw) if len(code_raw) == 18 else code_raw} 既不是有效的统一社会信用代码，"
                    "也不是有效的身份证号（请核对校验位）")))
            continue
        if code in seen:
            problems.append(TableProblem(line=row.line, column=h["code"],
                                         message=f"与第{seen[code]}行是同一代码，同一文件中只能出现一次"))
            continue
        seen[code] = row.line
        fields: dict[str, Any] = {"kind": kind, "code": code, "name": str(v["name"]).strip()}
        if kind == "organization":
            earlier = names_in_file.get(fields["name"])
            if earlier is not None and earlier[1] != code:
                problems.append(TableProblem(line=row.line, column=h["name"], message=(
                    f"与第{earlier[0]}行同名而代码不同；组织名称须唯一，请核对")))
            names_in_file[fields["name"]] = (row.line, code)
        if "registered_on" in v:
            if kind == "person":
                problems.append(TableProblem(line=row.line, column=h["registered_on"], message="个人没有登记注册日期"))
            elif v["registered_on"] > today:
                problems.append(TableProblem(line=row.line, column=h["registered_on"], message="日期在未来"))
            fields["registered_on"] = v["registered_on"]
        for key, fspec in _CONTACT_SPECS.items():
            if key in v:
                try:
                    fields[key] = parse_value(key, fspec, str(v[key]).strip())
                except InvalidInput as exc:
                    problems.append(TableProblem(line=row.line, column=h[key], message=str(exc)))
        if "district" in v:
            fields["district"] = str(v["district"]).strip()
        attrs: dict[str, Any] = {}
        for key, spec in attr_specs.items():
            if f"attr:{key}" in v:
                try:
                    attrs[key] = parse_value(key, spec, str(v[f"attr:{key}"]).strip())
                except InvalidInput as exc:
                    problems.append(TableProblem(line=row.line, column=h[f"attr:{key}"], message=str(exc)))
        fields["attrs"] = attrs
        planned.append((row, fields))
    return planned, problems


def import_parties(office: Office, path: Path, *, actor: Actor, wall_clock: Clock, dry_run: bool = False,
                   encoding: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Register or update the parties of a file (matched by code); all rows or none.

    Raises:
        InvalidInput: listing every bad row and column; nothing is written.
    """
    authorize_any(actor, office.catalog, "parties", "导入申报主体")  # AWD-5: the office registers parties
    table = _read(office, path, party_columns(office), encoding, progress)
    if not table.rows:
        table.raise_if_problems("申报主体名单")
    planned, problems = _plan_parties(office, table)
    now, wall = office.clock(), wall_clock()
    changes: list[Change] = []
    with office.db.session() as s:
        for row, fields in planned:
            existing = s.exec(select(PartyRow).where(PartyRow.code == fields["code"])).first()
            if existing is None or existing.name != fields["name"]:
                clash = s.exec(select(PartyRow).where(PartyRow.name == fields["name"],
                                                      PartyRow.kind == "organization")).first()
                if fields["kind"] == "organization" and clash is not None and clash.code != fields["code"]:
                    problems.append(TableProblem(line=row.line, column=table.headers["name"], message=(
                        f"已有同名组织 #{clash.id}（{clash.code}）；组织名称须唯一，请核对代码或名称")))
                    continue
            subject = f"{fields['name']}（{_shown(fields['kind'], fields['code'])}）"
            if existing is None:
                changes.append(Change(line=row.line, action="new", subject=subject))
                if not dry_run:
                    party = PartyRow(kind=fields["kind"], name=fields["name"], code=fields["code"],
                                     registered_on=fields.get("registered_on"), email=fields.get("email"),
                                     phone=fields.get("phone"), district=fields.get("district"),
                                     attrs=fields["attrs"], created_at=now)
                    s.add(party)
                    s.flush()
                    _audit(s, kind="party_imported", party_id=party.id, actor=actor, now=now, wall=wall,
                           data={"file": path.name, "line": row.line})
                continue
            if existing.kind != fields["kind"]:
                problems.append(TableProblem(line=row.line, column=table.headers.get("kind", table.headers["code"]),
                                             message=f"已登记为{PARTY_KINDS[existing.kind]}，不能改为"
                                                     f"{PARTY_KINDS[fields['kind']]}"))
                continue
            diff = _party_diff(existing, fields)
            if not diff:
                changes.append(Change(line=row.line, action="unchanged", subject=subject))
                continue
            changes.append(Change(line=row.line, action="changed", subject=subject, fields=tuple(diff)))
            if not dry_run:
                for key, (_old, new) in diff.items():
                    if key.startswith("attr:"):
                        existing.attrs = {**existing.attrs, key[5:]: new}
                    else:
                        setattr(existing, key, new)
                s.add(existing)
                _audit(s, kind="party_changed", party_id=existing.id, actor=actor, now=now, wall=wall,
                       data={"file": path.name, "line": row.line,
                             "changes": {k: [_j(o), _j(n)] for k, (o, n) in diff.items()}})
        if problems:
            s.rollback()
            _fail(path, problems, "申报主体名单")
        if dry_run:
            s.rollback()
    return ImportReport(kind="parties", file=path.name, encoding=table.encoding, dry_run=dry_run,
                        changes=tuple(changes))


_PARTY_LABELS = {"name": "名称", "registered_on": "登记注册日期", "email": "电子邮箱", "phone": "电话",
                 "district": "所在区"}


def _party_diff(row: PartyRow, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Only what the file names and differs: a blank cell never erases what is registered."""
    diff: dict[str, tuple[Any, Any]] = {}
    for key in _PARTY_LABELS:
        if key in fields and fields[key] not in (None, "") and getattr(row, key) != fields[key]:
            diff[key] = (getattr(row, key), fields[key])
    for key, value in fields["attrs"].items():
        if value is not None and row.attrs.get(key) != value:
            diff[f"attr:{key}"] = (row.attrs.get(key), value)
    return diff


def _j(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def import_awards(office: Office, path: Path, *, actor: Actor, wall_clock: Clock, dry_run: bool = False,
                  encoding: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Load awards won before the system existed (matched by party, procedure, award and year); all or none.

    Raises:
        InvalidInput: listing every bad row and column; nothing is written.
    """
    authorize_any(actor, office.catalog, "parties", "导入获奖记录")  # AWD-5: the office registers parties
    table = _read(office, path, award_columns(office), encoding, progress)
    if not table.rows:
        table.raise_if_problems("获奖记录")
    today = local_date(office.clock())
    problems: list[TableProblem] = list(table.problems)
    notes: list[str] = []
    changes: list[Change] = []
    h = table.headers
    now, wall = office.clock(), wall_clock()
    seen: dict[tuple[int, str, str, int], int] = {}
    with office.db.session() as s:
        for row in table.rows:
            v = row.values
            if not {"code", "procedure", "award", "awarded_on"} <= set(v):
                continue  # reported by the reader
            code = str(v["code"]).strip().upper()
            party = s.exec(select(PartyRow).where(PartyRow.code == code)).first()
            if party is None:
                shown = mask_resident_id(code) if len(code) == 18 and code[:17].isdigit() else code
                problems.append(TableProblem(line=row.line, column=h["code"], message=(
                    f"{shown} 未登记；先用 award import parties 或 award party add 登记该申报主体")))
                continue
            if "name" in v and str(v["name"]).strip() != party.name:
                problems.append(TableProblem(line=row.line, column=h["name"], message=(
                    f"该代码登记的名称是“{party.name}”，与“{v['name']}”不符；请核对代码")))
            spec = office.catalog.get(v["procedure"])
            awards = {t.award or k: t for k, t in spec.tracks.items()}
            by_label = {t.label: key for key, t in awards.items()}
            award = str(v["award"]).strip()
            award = by_label.get(award, award)
            if award not in awards:
                options = "、".join(t.label for t in awards.values())
                problems.append(TableProblem(line=row.line, column=h["award"],
                                             message=f"{spec.title}没有奖项 {v['award']!r}；可写：{options}"))
                continue
            track = awards[award]
            if track.party != party.kind:
                problems.append(TableProblem(line=row.line, column=h["award"], message=(
                    f"{track.label}只授予{PARTY_KINDS[track.party]}，而 {party.name} 是{PARTY_KINDS[party.kind]}")))
                continue
            awarded = v["awarded_on"]
            if isinstance(awarded, int):
                notes.append(f"第{row.line}行只有获奖年份 {awarded}，按 {awarded}年12月31日 计"
                             "（对五年内不得再申报与“获奖满N年”两条规则都是从严的读法）")
                awarded = date(awarded, 12, 31)
            if awarded > today:
                problems.append(TableProblem(line=row.line, column=h["awarded_on"], message="获奖日期在未来"))
                continue
            revoked = v.get("revoked_on")
            if revoked is not None and revoked < awarded:
                problems.append(TableProblem(line=row.line, column=h["revoked_on"], message="撤销日期早于获奖日期"))
                continue
            assert party.id is not None
            key = (party.id, spec.id, award, awarded.year)
            if key in seen:
                problems.append(TableProblem(line=row.line, column=h["award"],
                                             message=f"与第{seen[key]}行是同一年的同一奖项"))
                continue
            seen[key] = row.line
            label = str(v.get("label") or "").strip() or f"{awarded.year}年{track.label}"
            fields = {"awarded_on": awarded, "label": label, "revoked_on": revoked,
                      "reason": v.get("reason") or None, "rule": v.get("rule") or None,
                      "bar_until": _bar(revoked, spec.revocation_bar_years)}
            subject = f"{party.name}：{label}"
            existing = [r for r in s.exec(select(PartyRecordRow).where(
                PartyRecordRow.party_id == party.id, PartyRecordRow.procedure == spec.id,
                PartyRecordRow.award == award)).all() if r.awarded_on.year == awarded.year]
            if not existing:
                changes.append(Change(line=row.line, action="new", subject=subject))
                if not dry_run:
                    s.add(PartyRecordRow(party_id=party.id, procedure=spec.id, award=award, source="import",
                                         created_at=now, **fields))
                    _audit(s, kind="record_imported", party_id=party.id, actor=actor, now=now, wall=wall,
                           data={"file": path.name, "line": row.line, "award": award,
                                 "awarded_on": awarded.isoformat()})
                continue
            record = existing[0]
            diff = {k: (getattr(record, k), val) for k, val in fields.items()
                    if getattr(record, k) != val and not (k == "label" and "label" not in v)}
            if not diff:
                changes.append(Change(line=row.line, action="unchanged", subject=subject))
                continue
            if record.source != "import":
                problems.append(TableProblem(line=row.line, column=h["award"], message=(
                    "这条获奖记录来自本系统办结的案件，不能用导入修改；如需更正请用 award party record")))
                continue
            changes.append(Change(line=row.line, action="changed", subject=subject, fields=tuple(diff)))
            if not dry_run:
                for k, (_old, new) in diff.items():
                    setattr(record, k, new)
                s.add(record)
                _audit(s, kind="record_changed", party_id=party.id, actor=actor, now=now, wall=wall,
                       data={"file": path.name, "line": row.line,
                             "changes": {k: [_j(o), _j(n)] for k, (o, n) in diff.items()}})
        if problems:
            s.rollback()
            _fail(path, problems, "获奖记录")
        if dry_run:
            s.rollback()
    return ImportReport(kind="awards", file=path.name, encoding=table.encoding, dry_run=dry_run,
                        changes=tuple(changes), notes=tuple(notes))
