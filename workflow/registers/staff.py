"""The staff roster and who is acting: identity is proved by the OS login, never taken from a name.

The trust model (README, "Who is acting"):

- A roster member is bound to one OS login (`award staff add wang --login wangfang --role office@sha`).
  The CLI learns the login from the operating system (`pwd.getpwuid(os.getuid())`), not from
  `LOGNAME`/`USER`, which anyone can set. The actor of a command is the member bound to that login.
- `--as NAME` is delegation: only a member holding the administrator role (`admin`) may use it, and
  history records both the member acted for and the administrator who typed it.
- `identity = "shared"` in award.toml (one office PC, one OS account for everybody) makes `--as`
  required and records every such step as unauthenticated: the name is claimed, not proved.
- A grant is `role@scope`: a procedure id (`office@sha`) or an issuer id (`office@shanghai`); only
  the administrator's grant is `admin@*`. A role of one procedure never satisfies another's.
- The name `system` is reserved: the timer acts as an `Actor` with `timer=True` that only the engine
  builds; no roster member or login can become it.
- Every roster change is a hash-chained `StaffChangeRow`, sealed like case histories.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..abc import Clock
from ..canonical import canonical_json
from ..errors import ConflictError, InvalidInput, Refused, StaffLookupError
from ..logs import logger
from ..officeviews import StaffView
from ..seal import Sealer, seal_roster
from ..specs.catalog import Catalog
from ..specs.model import ProcessSpec
from ..store import Database, StaffAccountRow, StaffChangeRow, StaffRow, utc
from ..timing.clock import utc_text
from ..values import Verdict
from ..views import Actor

__all__ = [
    "ADMIN",
    "RESERVED",
    "Roster",
    "authorize",
    "change_hash",
    "parse_grants",
    "require_member",
]

_LOGGER = logger(__name__)

ADMIN = "admin"
ADMIN_LABEL = "系统管理员"
RESERVED = frozenset({"system", "timer", "root-timer"})
_GENESIS = "0" * 64

#: Office rules of the project's own (definitions/rules.yaml), cited by every refusal here.
RULE_IDENTITY, RULE_ROSTER, RULE_ISSUER, RULE_TIMER, RULE_DUTY = "AWD-1", "AWD-2", "AWD-3", "AWD-4", "AWD-5"


def _refuse(summary: str, rule: str, reason: str) -> Refused:
    return Refused(summary, [Verdict(passed=False, guard="identity", rule=rule, reason=reason)])


def scopes(catalog: Catalog) -> dict[str, str]:
    """Every scope a grant may name: procedure ids and issuer ids -> their Chinese names."""
    out: dict[str, str] = {}
    for spec in catalog.specs():
        out.setdefault(spec.id, spec.title)
        if spec.issuer is not None:
            out.setdefault(spec.issuer.id, spec.issuer.label)
    return out


def parse_grants(catalog: Catalog, roles: Sequence[str], default_scopes: Sequence[str] = ()) -> list[str]:
    """`office@sha`, or `office` with `--for sha` -> canonical grants; refuse a role without a scope.

    Raises:
        InvalidInput: an unknown role or scope, a role the scope's procedures do not have, or no scope.
    """
    known = scopes(catalog)
    out: list[str] = []
    for item in roles:
        role, sep, scope = item.strip().partition("@")
        role = role.strip()
        if role == ADMIN:
            if sep and scope not in ("", "*"):
                raise InvalidInput(f"系统管理员（{ADMIN}）的授权不分流程，请写 --role {ADMIN}", rule=RULE_ISSUER)
            out.append(f"{ADMIN}@*")
            continue
        wanted = [scope.strip()] if sep else list(default_scopes)
        if not wanted:
            options = "、".join(f"{k}（{v}）" for k, v in known.items())
            raise InvalidInput(f"角色 {role!r} 须写明所属的流程或发布机关：--role {role}@范围 或 --for 范围；"
                               f"可用范围：{options}", rule=RULE_ISSUER)
        for sc in wanted:
            if sc not in known:
                options = "、".join(f"{k}（{v}）" for k, v in known.items())
                raise InvalidInput(f"没有流程或发布机关 {sc!r}；可用：{options}", rule=RULE_ISSUER)
            specs = [s for s in catalog.specs() if s.id == sc or (s.issuer is not None and s.issuer.id == sc)]
            if not any(role in s.roles for s in specs):
                have = "、".join(dict.fromkeys(f"{r}（{lbl}）" for s in specs for r, lbl in s.roles.items()))
                raise InvalidInput(f"{known[sc]}没有角色 {role!r}；可用：{have}", rule=RULE_ISSUER)
            grant = f"{role}@{sc}"
            if grant not in out:
                out.append(grant)
    return out


def grant_label(catalog: Catalog, grant: str) -> str:
    """`office@sha` -> 市审定办（上海市政府质量奖）, for people."""
    role, _, scope = grant.partition("@")
    if role == ADMIN:
        return ADMIN_LABEL
    label = role
    for spec in catalog.specs():
        if (spec.id == scope or (spec.issuer is not None and spec.issuer.id == scope)) and role in spec.roles:
            label = spec.roles[role]
            break
    return f"{label}（{scopes(catalog).get(scope, scope)}）"


def change_hash(row: StaffChangeRow) -> str:
    """SHA-256 over a roster change and the previous change's hash (the roster's own chain)."""
    payload = {"seq": row.seq, "name": row.name, "kind": row.kind, "data": row.data, "actor": row.actor,
               "entered_by": row.entered_by, "identity": row.identity,
               "business_time": utc_text(row.business_time),
               "wall_time": utc_text(row.wall_time), "prev_hash": row.prev_hash}
    raw = canonical_json(payload)
    return hashlib.sha256(raw.encode()).hexdigest()


def require_member(actor: Actor, what: str) -> None:
    """A stranger (a login on no roster, a disabled member) may read nothing personal and change nothing."""
    if actor.timer or actor.on_roster:
        return
    raise _refuse(f"{what}：{_who(actor)}", RULE_IDENTITY, _hint(actor))


def authorize(actor: Actor, spec: ProcessSpec, work: str, what: str) -> str:
    """Check that `actor` may do the office work `work` (`rounds`, `parties`, ...) in `spec`; return the role.

    Raises:
        Refused: not a member, or no role the definition's `permissions` names for that work (exit 3).
    """
    require_member(actor, what)
    perm = spec.permissions.get(work)
    if perm is None:
        raise _refuse(f"{what}：流程“{spec.title}”未规定由谁办理（permissions.{work}）", RULE_DUTY,
                      f"请在流程定义的 permissions 中写明 {work} 的角色")
    held = actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)
    for role in perm.roles:
        if role in held:
            return role
    need = "、".join(spec.roles.get(r, r) for r in perm.roles)
    have = "、".join(spec.roles.get(r, r) for r in held) or "无"
    raise Refused(f"{what}只能由{spec.title}的 {need} 办理；{actor.name} 在该流程的角色为：{have}",
                  [Verdict(passed=False, guard="role", rule=perm.rule, reason=f"角色不符（需要：{need}）")])


def authorize_any(actor: Actor, catalog: Catalog, work: str, what: str) -> None:
    """Registers shared by every procedure (parties): a role for that work in any procedure will do."""
    require_member(actor, what)
    for spec in catalog.specs():
        perm = spec.permissions.get(work)
        if perm and set(perm.roles) & set(actor.roles_for(spec.id, spec.issuer.id if spec.issuer else None)):
            return
    raise _refuse(f"{what}：{actor.name} 在任何流程中都没有办理此事的角色", RULE_DUTY,
                  "请系统管理员授予相应角色（award staff add NAME --role office@流程）")


def _who(actor: Actor) -> str:
    """The summary's subject: why this actor is not a member (for `require_member`)."""
    if actor.identity == "disabled":
        return f"{actor.name} 已停用"
    if actor.identity == "shared-missing":
        return "未用 --as 指明操作人"
    if actor.identity == "unverified":
        return "无法从操作系统确认操作人"
    return f"系统登录名 {actor.login or actor.name} 不是在册的工作人员"


def _hint(actor: Actor) -> str:
    if actor.identity == "shared-missing":
        return "本办公室设为共用电脑模式（identity = \"shared\"）：每条命令须用 --as 姓名 指明操作人"
    if actor.identity == "disabled":
        return f"{actor.name} 已停用，不能操作也不能查看；如需恢复请联系系统管理员（award staff enable）"
    if actor.identity == "unverified":
        return "无法从操作系统确认登录名：请在 award.toml 中设置 identity = \"shared\" 并用 --as 指明操作人"
    return (f"请系统管理员用 award staff add 姓名 --login {actor.login or actor.name} --role 角色@流程 登记并绑定；"
            "环境变量 LOGNAME/USER 不能改变登录名")


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """One roster member as stored (a row of `staff` and its account)."""

    name: str
    grants: tuple[str, ...]
    email: str | None
    phone: str | None
    login: str | None
    disabled: bool


@dataclass(kw_only=True, slots=True)
class Roster:
    """The roster: members, their logins, grants and contact data, and every change to them."""

    db: Database
    catalog: Catalog
    clock: Clock
    wall_clock: Clock | None = None
    sealer: Sealer | None = None

    # ------------------------------------------------------------- identity

    def resolve(self, *, login: str | None, as_name: str | None, mode: str) -> Actor:
        """Who is acting: the member bound to `login`, or with `--as`, the member an administrator acts for.

        Args:
            login: the OS login as the operating system reports it (None: it cannot be verified).
            as_name: `--as`; delegation in `bound` mode, the (unauthenticated) operator in `shared` mode.
            mode: `bound` or `shared` (award.toml's `identity`).

        Raises:
            Refused: `--as` by someone who is not an administrator (exit 3, AWD-2).
            StaffLookupError: `--as` names no member (exit 4).
        """
        if mode not in ("bound", "shared"):
            raise InvalidInput(f"award.toml 的 identity 须为 bound 或 shared，收到 {mode!r}")
        with self.db.session() as s:
            if self.sealer is not None:
                self.sealer.check_roster(s)
            if mode == "shared" or login is None:
                if as_name is None:
                    return Actor(name=login or "unknown", roles=(), on_roster=False,
                                 identity="shared-missing" if mode == "shared" else "unverified", login=login)
                member = self._member(s, as_name)
                return self._actor(member, identity="shared", entered_by=None, login=login)
            typed = self._member_by_login(s, login)
            if as_name is None:
                if typed is None:
                    return Actor(name=login, roles=(), on_roster=False, identity="unbound", login=login)
                return self._actor(typed, identity="bound", entered_by=None, login=login)
            if typed is None or typed.disabled or f"{ADMIN}@*" not in typed.grants:
                who = typed.name if typed else f"系统登录名 {login}"
                raise _refuse(f"{who} 不能使用 --as：--as 是代为操作，只限系统管理员", RULE_ROSTER,
                              "请以自己的系统登录名操作（不带 --as）；需要代为操作时请系统管理员执行")
            if as_name == typed.name:
                return self._actor(typed, identity="bound", entered_by=None, login=login)
            member = self._member(s, as_name)
            return self._actor(member, identity="delegated", entered_by=typed.name, login=login)

    def member(self, name: str) -> Actor:
        """A member as an actor for code that calls the engine in-process (set-up scripts, tests)."""
        with self.db.session() as s:
            return self._actor(self._member(s, name), identity="in-process", entered_by=None, login=None)

    @staticmethod
    def _actor(m: Member, *, identity: str, entered_by: str | None, login: str | None) -> Actor:
        if m.disabled:
            return Actor(name=m.name, roles=(), on_roster=False, identity="disabled", entered_by=entered_by,
                         login=login)
        return Actor(name=m.name, roles=m.grants, on_roster=True, identity=identity, entered_by=entered_by,
                     login=login)

    def _member(self, s: Session, name: str) -> Member:
        row = s.get(StaffRow, name)
        if row is None:
            raise StaffLookupError(name)
        return self._view(row, s.get(StaffAccountRow, name))

    def _member_by_login(self, s: Session, login: str) -> Member | None:
        account = s.exec(select(StaffAccountRow).where(StaffAccountRow.login == login)).first()
        if account is None:
            return None
        row = s.get(StaffRow, account.name)
        return self._view(row, account) if row is not None else None

    @staticmethod
    def _view(row: StaffRow, account: StaffAccountRow | None) -> Member:
        return Member(name=row.name, grants=tuple(g for g in row.roles if "@" in g), email=row.email,
                      phone=account.phone if account else None, login=account.login if account else None,
                      disabled=bool(account and account.disabled))

    def has_admin(self) -> bool:
        with self.db.session() as s:
            return any(f"{ADMIN}@*" in r.roles and not self._disabled(s, r.name)
                       for r in s.exec(select(StaffRow)).all())

    @staticmethod
    def _disabled(s: Session, name: str) -> bool:
        account = s.get(StaffAccountRow, name)
        return bool(account and account.disabled)

    # -------------------------------------------------------------- changes

    def _require_admin(self, actor: Actor, what: str) -> None:
        require_member(actor, what)
        if actor.timer or f"{ADMIN}@*" not in actor.roles:
            raise _refuse(f"{what}：只有系统管理员可以改动工作人员名单；{actor.name} 不是系统管理员", RULE_ROSTER,
                          "请系统管理员执行（首位管理员在 award init --admin 时指定）")

    def bootstrap_admin(self, name: str, login: str | None) -> StaffView:
        """`award init --admin NAME`: the first administrator, bound to the login that runs init.

        Raises:
            Refused: the roster already has an administrator (AWD-2): then only they change it.
        """
        if self.has_admin():
            raise _refuse("名单中已有系统管理员：新的管理员须由现有管理员用 award staff add 姓名 --role admin 添加",
                          RULE_ROSTER, "首位管理员只能在尚无管理员时由 award init --admin 指定")
        if login is None:
            raise InvalidInput("无法从操作系统确认当前登录名：请用 --login 写明首位管理员的系统登录名")
        actor = Actor(name=name, roles=(f"{ADMIN}@*",), on_roster=True, identity="bootstrap", login=login)
        return self._write(actor, name, grants=[f"{ADMIN}@*"], login=login, email=None, phone=None,
                           kind="added", allow_bootstrap=True)

    def add(self, actor: Actor, name: str, roles: Sequence[str], *, login: str | None = None,
            for_scopes: Sequence[str] = (), email: str | None = None, phone: str | None = None) -> StaffView:
        """Add a member (bound to `login`), or add grants to one. Only an administrator may."""
        self._require_admin(actor, "登记工作人员")
        grants = parse_grants(self.catalog, roles, for_scopes)
        return self._write(actor, name, grants=grants, login=login, email=email, phone=phone, kind="added")

    def revoke(self, actor: Actor, name: str, roles: Sequence[str], *, for_scopes: Sequence[str] = ()) -> StaffView:
        """Take grants away from a member (the last administrator cannot remove their own)."""
        self._require_admin(actor, "收回角色")
        grants = parse_grants(self.catalog, roles, for_scopes)
        with self.db.session() as s:
            self._trusted(s)
            row = s.get(StaffRow, name)
            if row is None:
                raise StaffLookupError(name)
            missing = [g for g in grants if g not in row.roles]
            if missing:
                raise InvalidInput(f"{name} 没有角色 {'、'.join(grant_label(self.catalog, g) for g in missing)}")
            left = [g for g in row.roles if g not in grants]
            if f"{ADMIN}@*" in grants and not self._other_admin(s, name):
                raise _refuse("不能收回最后一位系统管理员的管理员角色", RULE_ROSTER, "请先添加另一位系统管理员")
            row.roles = left
            s.add(row)
            self._change(s, actor, name, "ungranted", {"grants": grants})
            return self._staff_view(s, row)

    def update(self, actor: Actor, name: str, *, email: str | None = None, phone: str | None = None,
               login: str | None = None) -> StaffView:
        """Change a member's contact data or bound login, with history."""
        self._require_admin(actor, "修改工作人员信息")
        if email is None and phone is None and login is None:
            raise InvalidInput("请给出要修改的内容：--email、--phone 或 --login")
        with self.db.session() as s:
            self._trusted(s)
            row = s.get(StaffRow, name)
            if row is None:
                raise StaffLookupError(name)
            account = self._account(s, name)
            before = {"email": row.email, "phone": account.phone, "login": account.login}
            if email is not None:
                row.email = email.strip() or None
            if phone is not None:
                account.phone = phone.strip() or None
            if login is not None:
                account.login = self._login_ok(s, login, name)
            account.updated_at = self.clock()
            s.add(row)
            s.add(account)
            after = {"email": row.email, "phone": account.phone, "login": account.login}
            self._flush(s, name)
            self._change(s, actor, name, "updated",
                         {"before": {k: v for k, v in before.items() if v != after[k]},
                          "after": {k: v for k, v in after.items() if before[k] != v}})
            return self._staff_view(s, row)

    def set_disabled(self, actor: Actor, name: str, *, disabled: bool, reason: str) -> StaffView:
        """Disable a member (they can no longer act or read) or enable them again; a reason is required."""
        self._require_admin(actor, "停用工作人员" if disabled else "恢复工作人员")
        if not reason.strip():
            raise InvalidInput("请用 --reason 写明原因")
        with self.db.session() as s:
            self._trusted(s)
            row = s.get(StaffRow, name)
            if row is None:
                raise StaffLookupError(name)
            if disabled and name == actor.name:
                raise _refuse("系统管理员不能停用自己", RULE_ROSTER, "请由另一位系统管理员执行")
            if disabled and f"{ADMIN}@*" in row.roles and not self._other_admin(s, name):
                raise _refuse("不能停用最后一位系统管理员", RULE_ROSTER, "请先添加另一位系统管理员")
            account = self._account(s, name)
            account.disabled, account.disabled_reason = disabled, reason.strip() if disabled else None
            account.updated_at = self.clock()
            s.add(account)
            self._change(s, actor, name, "disabled" if disabled else "enabled", {"reason": reason.strip()})
            return self._staff_view(s, row)

    def _other_admin(self, s: Session, name: str) -> bool:
        return any(f"{ADMIN}@*" in r.roles and r.name != name and not self._disabled(s, r.name)
                   for r in s.exec(select(StaffRow)).all())

    def _account(self, s: Session, name: str) -> StaffAccountRow:
        account = s.get(StaffAccountRow, name)
        if account is None:
            account = StaffAccountRow(name=name, updated_at=self.clock())
        return account

    def _login_ok(self, s: Session, login: str, name: str) -> str:
        login = login.strip()
        if not login or len(login) > 64 or any(c.isspace() for c in login):
            raise InvalidInput(f"系统登录名 {login!r} 无效：须为不含空格的登录名（如 wangfang）")
        other = s.exec(select(StaffAccountRow).where(StaffAccountRow.login == login,
                                                     col(StaffAccountRow.name) != name)).first()
        if other is not None:
            raise InvalidInput(f"系统登录名 {login} 已绑定给 {other.name}：一个登录名只能绑定一位工作人员",
                               rule=RULE_IDENTITY)
        return login

    def _write(self, actor: Actor, name: str, *, grants: list[str], login: str | None, email: str | None,
               phone: str | None, kind: str, allow_bootstrap: bool = False) -> StaffView:
        from ..inputs import single_line

        name = single_line(name, "工作人员姓名", max_chars=64).strip()  # one line: it heads mail and history
        if not name:
            raise InvalidInput("工作人员姓名不能为空，也不能超过64个字符")
        if name.lower() in RESERVED:
            raise InvalidInput(f"{name!r} 是保留名（定时任务以 system 的身份执行），不能登记为工作人员",
                               rule=RULE_TIMER)
        with self.db.session() as s:
            self._trusted(s)
            row = s.get(StaffRow, name)
            created = row is None
            if row is None:
                if login is None:
                    raise InvalidInput(f"新登记的工作人员须用 --login 绑定其系统登录名（如 --login {name}）",
                                       rule=RULE_IDENTITY)
                row = StaffRow(name=name, roles=[], email=email, created_at=self.clock())
            added = [g for g in grants if g not in row.roles]
            row.roles = [*row.roles, *added]
            if email:
                row.email = email
            s.add(row)
            account = self._account(s, name)
            if login is not None:
                account.login = self._login_ok(s, login, name)
            if phone:
                account.phone = phone
            account.updated_at = self.clock()
            s.add(account)
            self._flush(s, name)
            data: dict[str, Any] = {"grants": added}
            if created:
                data.update(login=account.login, email=row.email, phone=account.phone)
                self._change(s, actor, name, kind, data)
            elif added or login is not None:
                if login is not None:
                    data["login"] = account.login
                self._change(s, actor, name, "granted", data)
            return self._staff_view(s, row)

    @staticmethod
    def _flush(s: Session, name: str) -> None:
        try:
            s.flush()
        except IntegrityError:
            raise ConflictError(f"工作人员 {name}") from None

    def _change(self, s: Session, actor: Actor, name: str, kind: str, data: dict[str, Any]) -> None:
        last = s.exec(select(StaffChangeRow).order_by(col(StaffChangeRow.seq).desc())).first()
        now = self.clock()
        row = StaffChangeRow(seq=(last.seq if last else 0) + 1, name=name, kind=kind, data={"v": 1, **data},
                             actor=actor.name, entered_by=actor.entered_by, identity=actor.identity,
                             business_time=now, wall_time=(self.wall_clock or self.clock)(),
                             prev_hash=last.hash if last else _GENESIS, hash="")
        row.hash = change_hash(row)
        s.add(row)
        self._flush(s, name)
        seal_roster(s, now, self.sealer)

    def _trusted(self, s: Session) -> None:
        """Before any roster change: the roster as read now must match its seal (no laundering)."""
        if self.sealer is not None:
            self.sealer.check_roster(s)

    # ---------------------------------------------------------------- reads

    def _staff_view(self, s: Session, row: StaffRow) -> StaffView:
        account = s.get(StaffAccountRow, row.name)
        return StaffView(name=row.name, roles=tuple(row.roles), email=row.email,
                         login=account.login if account else None, phone=account.phone if account else None,
                         disabled=bool(account and account.disabled))

    def members(self) -> list[StaffView]:
        with self.db.session() as s:
            return [self._staff_view(s, r) for r in s.exec(select(StaffRow).order_by(col(StaffRow.name))).all()]

    def changes(self, name: str | None = None) -> list[dict[str, Any]]:
        """The roster's history (every change, oldest first), optionally of one member."""
        with self.db.session() as s:
            q = select(StaffChangeRow).order_by(col(StaffChangeRow.seq))
            if name:
                q = q.where(StaffChangeRow.name == name)
            return [{"seq": r.seq, "name": r.name, "kind": r.kind,
                     "data": {k: v for k, v in r.data.items() if k != "v"}, "actor": r.actor,
                     "entered_by": r.entered_by, "identity": r.identity,
                     "business_time": utc(r.business_time).isoformat(), "wall_time": utc(r.wall_time).isoformat()}
                    for r in s.exec(q).all()]

    def verify(self) -> list[str]:
        """Breaks in the roster's chain (empty when intact); the seal is checked by `seal.verify_all`."""
        problems: list[str] = []
        with self.db.session() as s:
            prev = _GENESIS
            for expected, r in enumerate(s.exec(select(StaffChangeRow).order_by(col(StaffChangeRow.id))).all(),
                                         start=1):
                if r.seq != expected:
                    problems.append(f"名单变更第{expected}条的位置上是第{r.seq}条：记录被删除或调换")
                if r.prev_hash != prev:
                    problems.append(f"名单变更第{r.seq}条与前一条不相连：前面的记录被修改或删除")
                if change_hash(r) != r.hash:
                    problems.append(f"名单变更第{r.seq}条的内容与其哈希不符：记录被修改")
                prev = r.hash
        return problems
