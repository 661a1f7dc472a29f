"""The expert pools: experts, the organisations they serve or served, their registered coaching.

An expert belongs to one issuer's pool (a definition's `review.pool`). Experts are never deleted:
a disabled expert keeps their row, scores and history. How an expert joined is recorded:
appointed by the office, or added by the engine when a case they led was awarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ..abc import Clock
from ..errors import InvalidInput, NotFound, Refused
from ..inputs import row_id, single_line
from ..logs import logger
from ..review.tables import CoachingRow, ExpertRow, ServiceRow
from ..specs.catalog import Catalog
from ..specs.review import ReviewSpec
from ..store import Database, StaffRow
from ..values import Verdict
from ..views import Actor
from .identity import validate_uscc

__all__ = ["IMPORT_COLUMNS", "ExpertLookupError", "ExpertView", "Experts", "read_rows"]

_LOGGER = logger(__name__)

JOINED = {"appointed": "办公室聘任", "award": "获奖后列入（高层管理人员或获奖个人）", "import": "表格导入"}

IMPORT_COLUMNS = {
    "姓名": "name", "单位": "org_name", "统一社会信用代码": "org_code", "职务": "title",
    "专业领域": "specialities", "电子邮箱": "email", "电话": "phone", "工作人员账号": "staff",
}
"""Spreadsheet header -> field, for `award expert import` (专业领域: several, separated by 、 or ;)."""


class ExpertLookupError(NotFound):
    """No expert has this id or name in the pool."""

    kind = "专家"
    hint = "用 award expert list 列出，或用 award expert add 登记"


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpertView:
    """An expert as people and scripts see them.

    Attributes:
        joined_by: how they joined (appointed, award, import) and `joined_label` in Chinese.
        services: employment and consulting (kind, organisation, dates).
        coaching: registered coaching relationships.
    """

    id: int
    pool: str
    pool_label: str
    name: str
    org_name: str | None
    org_code: str | None
    title: str | None
    specialities: tuple[str, ...]
    email: str | None
    phone: str | None
    joined_by: str
    joined_label: str
    staff: str | None
    active: bool
    disabled_reason: str | None
    services: tuple[dict[str, Any], ...] = ()
    coaching: tuple[dict[str, Any], ...] = ()


def pools(catalog: Catalog) -> dict[str, ReviewSpec]:
    """Pool id -> the review key of a definition that uses it (the first, for its label and managers)."""
    out: dict[str, ReviewSpec] = {}
    for spec in catalog.specs():
        if spec.review is not None and spec.review.pool not in out:
            out[spec.review.pool] = spec.review
    return out


def is_manager(catalog: Catalog, actor: Actor, pool: str | None = None) -> bool:
    """The actor holds a role that runs the review of (a procedure of) this pool."""
    for spec in catalog.specs():
        if spec.review is not None and (pool is None or spec.review.pool == pool) \
                and set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)) & set(spec.review.managers):
            return True
    return False


def require_manager(catalog: Catalog, actor: Actor, pool: str | None, what: str) -> None:
    """Refuse (exit 3) unless the actor runs the review; the refusal names the roles needed."""
    if is_manager(catalog, actor, pool):
        return
    specs = [s for s in catalog.specs() if s.review is not None and (pool is None or s.review.pool == pool)]
    names = list(dict.fromkeys(s.roles.get(r, r) for s in specs if s.review is not None for r in s.review.managers))
    labels = "或".join(names) or "办公室"
    rule = specs[0].review.rules.pool if specs and specs[0].review is not None else ""
    raise Refused(f"{what}只能由{labels}办理；{actor.name} 没有该角色",
                  [Verdict(passed=False, guard="role", rule=rule, reason=f"角色不符（需要：{labels}）")])


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a .csv or .xlsx file as (line number, header -> text).

    Read by the generic spreadsheet reader (issue 12, `tabular.read_rows`): CSV in UTF-8, UTF-8 with
    BOM or GBK/GB18030 (as Excel on Chinese Windows saves it), .xlsx with merged cells filled, and its
    limits (regular files only, bounded size and rows). The contract stays: the first row is the header.
    """
    from .tabular import cell_text
    from .tabular import read_rows as read_cells

    table = [[cell_text(v) for v in r] for r in read_cells(path)]
    if not table:
        raise InvalidInput(f"{path.name} 是空文件：第一行应为表头（{'、'.join(IMPORT_COLUMNS)}）")
    header = [h.strip() for h in table[0]]
    return [(n, {h: (v or "").strip() for h, v in zip(header, r, strict=False) if h})
            for n, r in enumerate(table[1:], start=2) if any((v or "").strip() for v in r)]


@dataclass(kw_only=True, slots=True)
class Experts:
    """The expert pools, kept in the database; every write is one transaction."""

    db: Database
    catalog: Catalog
    clock: Clock

    def _pool(self, pool: str) -> ReviewSpec:
        known = pools(self.catalog)
        if pool not in known:
            options = "、".join(f"{k}（{v.pool_label}）" for k, v in known.items()) or "无（没有流程定义 review）"
            raise InvalidInput(f"没有专家库 {pool!r}；可选：{options}")
        return known[pool]

    def add(self, *, pool: str, name: str, org_name: str | None, org_code: str | None, title: str | None,
            specialities: Sequence[str], email: str | None, phone: str | None, staff: str | None,
            actor: Actor, joined_by: str = "appointed") -> ExpertView:
        """Add an expert to a pool (the office's act)."""

        self._pool(pool)
        require_manager(self.catalog, actor, pool, "登记专家")
        fields = _clean(name=name, org_code=org_code)
        with self.db.session() as s:
            if staff is not None and s.get(StaffRow, staff) is None:
                raise InvalidInput(f"工作人员名单中没有 {staff!r}：先用 award staff add {staff} --role ROLE 登记")
            self._refuse_duplicate(s, pool, fields["name"], fields["org_code"])
            row = ExpertRow(pool=pool, name=fields["name"], org_name=org_name, org_code=fields["org_code"],
                            title=title, specialities=[x for x in specialities if x], email=email, phone=phone,
                            staff=staff, joined_by=joined_by, created_by=actor.name, created_at=self.clock())
            s.add(row)
            s.flush()
            return self._view(s, row)

    def import_file(self, *, pool: str, path: Path, actor: Actor) -> list[ExpertView]:
        """Add every expert of a spreadsheet, all or nothing; a bad row is named with its line."""

        self._pool(pool)
        require_manager(self.catalog, actor, pool, "导入专家")
        rows = read_rows(path)
        problems: list[str] = []
        parsed: list[dict[str, Any]] = []
        for line, raw in rows:
            unknown = [h for h in raw if h not in IMPORT_COLUMNS]
            if unknown:
                problems.append(f"第{line}行：未知的列 {'、'.join(unknown)}（可用列：{'、'.join(IMPORT_COLUMNS)}）")
                continue
            item: dict[str, Any] = {IMPORT_COLUMNS[h]: v or None for h, v in raw.items()}
            try:
                item.update(_clean(name=item.get("name") or "", org_code=item.get("org_code")))
            except InvalidInput as exc:
                problems.append(f"第{line}行：{exc}")
                continue
            spec_text = item.pop("specialities", None) or ""
            item["specialities"] = [x.strip() for x in spec_text.replace("；", "、").replace(";", "、").split("、")
                                    if x.strip()]
            parsed.append({"line": line, **item})
        if problems:
            raise InvalidInput(f"{path.name} 未导入任何专家：\n" + "\n".join(problems))
        out = []
        with self.db.session() as s:
            seen: set[tuple[str, str | None]] = set()
            for item in parsed:
                key = (item["name"], item.get("org_code"))
                if key in seen:
                    raise InvalidInput(f"{path.name} 未导入任何专家：第{item['line']}行与前面的行重复（{item['name']}）")
                seen.add(key)
                self._refuse_duplicate(s, pool, item["name"], item.get("org_code"),
                                       where=f"{path.name} 第{item['line']}行：")
                row = ExpertRow(pool=pool, name=item["name"], org_name=item.get("org_name"),
                                org_code=item.get("org_code"), title=item.get("title"),
                                specialities=item["specialities"], email=item.get("email"), phone=item.get("phone"),
                                staff=item.get("staff"), joined_by="import", created_by=actor.name,
                                created_at=self.clock())
                s.add(row)
                s.flush()
                out.append(self._view(s, row))
        return out

    def _refuse_duplicate(self, s: Session, pool: str, name: str, org_code: str | None, where: str = "") -> None:

        q = select(ExpertRow).where(ExpertRow.pool == pool, ExpertRow.name == name)
        for other in s.exec(q).all():
            if other.org_code == org_code:
                raise InvalidInput(f"{where}专家库中已有 {name}（{other.org_name or org_code or '无单位'}，编号 {other.id}）")

    def row(self, s: Session, ref: str | int, pool: str | None = None) -> Any:
        """An expert by id, or by name when the name is unique (in the pool)."""

        text = str(ref).strip()
        if (number := row_id(text)) is not None:
            found = s.get(ExpertRow, number)
            if found is not None and (pool is None or found.pool == pool):
                return found
        q = select(ExpertRow).where(ExpertRow.name == text)
        if pool is not None:
            q = q.where(ExpertRow.pool == pool)
        rows = s.exec(q).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            ids = "、".join(f"{r.id}（{r.org_name or ''}）" for r in rows)
            raise InvalidInput(f"有多位专家名为 {text}：请用编号指定（{ids}）")
        raise ExpertLookupError(text)

    def linked(self, s: Session, actor: Actor) -> list[Any]:
        """The expert records this actor (a staff member) is linked to."""

        return list(s.exec(select(ExpertRow).where(ExpertRow.staff == actor.name)).all())

    def show(self, ref: str) -> ExpertView:
        with self.db.session() as s:
            return self._view(s, self.row(s, ref))

    def list(self, pool: str | None = None, *, include_disabled: bool = False) -> list[ExpertView]:

        with self.db.session() as s:
            q = select(ExpertRow).order_by(col(ExpertRow.id))
            if pool is not None:
                self._pool(pool)
                q = q.where(ExpertRow.pool == pool)
            if not include_disabled:
                q = q.where(col(ExpertRow.active).is_(True))
            return [self._view(s, r) for r in s.exec(q).all()]

    def disable(self, ref: str, *, reason: str, actor: Actor) -> ExpertView:
        """Take an expert out of service; their records stay."""
        if not reason.strip():
            raise InvalidInput("停用专家须用 --reason 写明理由")
        with self.db.session() as s:
            row = self.row(s, ref)
            require_manager(self.catalog, actor, row.pool, "停用专家")
            if not row.active:
                raise InvalidInput(f"专家 {row.name} 已停用（{row.disabled_reason}）")
            row.active, row.disabled_reason = False, reason.strip()
            s.add(row)
            s.flush()
            return self._view(s, row)

    def add_service(self, ref: str, *, kind: str, org_code: str, org_name: str | None, start: date | None,
                    end: date | None, actor: Actor) -> ExpertView:
        """Record employment by or consulting for an organisation (read by conflict detection)."""

        code = validate_uscc(org_code)
        if start and end and end < start:
            raise InvalidInput(f"结束日期 {end} 早于开始日期 {start}")
        with self.db.session() as s:
            row = self.row(s, ref)
            require_manager(self.catalog, actor, row.pool, "登记专家的任职、咨询或指导关系")
            if kind == "coaching":
                s.add(CoachingRow(expert_id=row.id, org_code=code, org_name=org_name, start=start, end=end,
                                  entered_by=actor.name, entered_at=self.clock()))
            else:
                s.add(ServiceRow(expert_id=row.id, kind=kind, org_code=code, org_name=org_name, start=start, end=end,
                                 entered_by=actor.name, entered_at=self.clock()))
            s.flush()
            return self._view(s, row)

    def _view(self, s: Session, row: Any) -> ExpertView:

        label = pools(self.catalog).get(row.pool)
        services = s.exec(select(ServiceRow).where(ServiceRow.expert_id == row.id).order_by(col(ServiceRow.id))).all()
        coaching = s.exec(select(CoachingRow).where(CoachingRow.expert_id == row.id)
                          .order_by(col(CoachingRow.id))).all()
        return ExpertView(
            id=row.id, pool=row.pool, pool_label=label.pool_label if label else row.pool, name=row.name,
            org_name=row.org_name, org_code=row.org_code, title=row.title, specialities=tuple(row.specialities),
            email=row.email, phone=row.phone, joined_by=row.joined_by, joined_label=JOINED.get(row.joined_by, row.joined_by),
            staff=row.staff, active=row.active, disabled_reason=row.disabled_reason,
            services=tuple({"kind": v.kind, "org_code": v.org_code, "org_name": v.org_name, "start": v.start,
                            "end": v.end} for v in services),
            coaching=tuple({"org_code": c.org_code, "org_name": c.org_name, "start": c.start, "end": c.end}
                           for c in coaching),
        )


def _clean(*, name: str, org_code: str | None) -> dict[str, Any]:
    if not name.strip():
        raise InvalidInput("专家须有姓名")
    return {"name": single_line(name, "专家姓名"), "org_code": validate_uscc(org_code) if org_code else None}


def add_winners(s: Session, *, pool: str, people: Iterable[tuple[str, str | None]], org_name: str | None,
                org_code: str | None, case_id: int, now: Any) -> list[str]:
    """Add a winner's senior managers (or the winning person) to the pool; those already there stay as they are."""

    added = []
    for name, title in people:
        exists = s.exec(select(ExpertRow).where(ExpertRow.pool == pool, ExpertRow.name == name,
                                                ExpertRow.org_code == org_code)).first()
        if exists is not None:
            continue
        s.add(ExpertRow(pool=pool, name=name, org_name=org_name, org_code=org_code, title=title, joined_by="award",
                        joined_case=case_id, created_by="system", created_at=now))
        added.append(name)
    s.flush()
    return added
