"""Every error `award` raises, each with the exit code the CLI uses.

Our exception hierarchy::

    AwardError                      exit 1  anything unexpected
    ├── InvalidInput                exit 2  a value the user typed is wrong (a field, a code, a date)
    ├── Refused                     exit 3  the procedure says no: guards, roles, triggers, objections
    ├── NotFound                    exit 4  a case, party, round, definition, ... does not exist
    │   ├── CaseLookupError
    │   ├── PartyLookupError
    │   ├── RoundLookupError
    │   ├── DefinitionLookupError
    │   ├── StaffLookupError
    │   └── RecordLookupError        (objections, outbox rows, timers)
    ├── ConflictError               exit 5  lost a race with another writer; nothing changed, safe to retry
    │   └── DatabaseBusy             another writer held the database past the busy timeout
    ├── DataError                   exit 6  office data is wrong or missing
    │   ├── DefinitionError          one problem in a definition file (file, line, reason)
    │   ├── DefinitionsInvalid       every problem found in the definitions
    │   ├── DefinitionChanged        a definition's content changed while its version did not
    │   ├── CalendarYearUnknown      no official working-day data for a year
    │   ├── ConfigError              the deployment file is wrong
    │   └── DatabaseUnavailable      the database file is corrupt, read-only or cannot be opened
    ├── DeliveryError               exit 1  a notifier could not deliver (kept in the outbox, retried)
    └── TamperedHistory             exit 7  `award verify` found an event edited, reordered or deleted

Every message is written for the office: what is wrong, which rule, how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .values import Verdict

__all__ = [
    "AwardError",
    "CalendarYearUnknown",
    "CaseLookupError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "DefinitionChanged",
    "DefinitionError",
    "DefinitionLookupError",
    "DefinitionsInvalid",
    "DeliveryError",
    "InvalidInput",
    "NotFound",
    "PartyLookupError",
    "Problem",
    "RecordLookupError",
    "Refused",
    "RoundLookupError",
    "StaffLookupError",
    "TamperedHistory",
]


class AwardError(Exception):
    """Base of every error `award` raises on purpose."""

    exit_code: ClassVar[int] = 1

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids this error cites (empty when none applies)."""
        return ()


class InvalidInput(AwardError, ValueError):
    """A value given on the command line or in a file is not acceptable."""

    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule

    @property
    def rules(self) -> tuple[str, ...]:
        return (self.rule,) if self.rule else ()


class Refused(AwardError):
    """The procedure refuses the step; nothing was changed.

    Attributes:
        failures: every failed check, each with its rule id and reason.
        summary: one line saying what was refused.
    """

    exit_code: ClassVar[int] = 3

    def __init__(self, summary: str, failures: Sequence[Verdict] = ()) -> None:
        self.summary = summary
        self.failures = tuple(failures)
        lines = [summary]
        lines += [f"  - [{v.rule}] {v.reason}" for v in self.failures]
        super().__init__("\n".join(lines))

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule for v in self.failures if v.rule))


class NotFound(AwardError, LookupError):
    """Something named on the command line does not exist."""

    exit_code: ClassVar[int] = 4
    kind: ClassVar[str] = "记录"
    hint: ClassVar[str] = ""

    def __init__(self, key: object) -> None:
        self.key = key
        message = f"找不到{self.kind} {key!s}"
        if self.hint:
            message += f"（{self.hint}）"
        super().__init__(message)


class CaseLookupError(NotFound):
    """No case has this reference or id."""

    kind = "案件"
    hint = "用 award cases 列出案件"


class PartyLookupError(NotFound):
    """No party has this id, code or name."""

    kind = "申报主体"
    hint = "用 award party list 列出，或用 award party add 登记"


class RoundLookupError(NotFound):
    """No round has this id."""

    kind = "评审轮次"
    hint = "用 award round list 列出，或用 award round open 开启"


class DefinitionLookupError(NotFound):
    """No definition (or version of it) has this id."""

    kind = "流程定义"
    hint = "用 award definitions list 列出"


class StaffLookupError(NotFound):
    """No staff member on the roster has this name."""

    kind = "工作人员"
    hint = "用 award staff add NAME --login LOGIN --role ROLE@SCOPE 登记"


class RecordLookupError(NotFound):
    """No objection, notification or timer has this id."""

    kind = "记录"


class ConflictError(AwardError):
    """The case changed under us between reading and writing; nothing was written."""

    exit_code: ClassVar[int] = 5

    def __init__(self, case_ref: str) -> None:
        self.case_ref = case_ref
        super().__init__(
            f"案件 {case_ref} 已被另一位操作者同时修改，本次操作未生效；请用 award show {case_ref} 查看后重试"
        )


class DatabaseBusy(ConflictError):
    """Another process held the database's write lock past the busy timeout; nothing was written."""

    def __init__(self, shown: str) -> None:
        self.case_ref = ""
        self.database = shown
        AwardError.__init__(self, f"另一个写入者正在使用数据库 {shown}；未做任何改动，请重试")


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """One problem found in a definition, template or calendar file."""

    file: str
    line: int | None
    reason: str
    rule: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class DataError(AwardError):
    """Office data (definitions, calendars, deployment config) is wrong or incomplete."""

    exit_code: ClassVar[int] = 6


class DefinitionError(DataError):
    """One problem in one definition file."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class DefinitionsInvalid(DataError):
    """Every problem found while loading the definitions; nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("流程定义有误：\n" + "\n".join(f"  {p}" for p in self.problems))


class DefinitionChanged(DataError):
    """A case runs under a definition version whose content has since changed."""

    def __init__(self, definition_id: str, version: str, case_ref: str) -> None:
        super().__init__(
            f"流程定义 {definition_id} 版本 {version} 的内容已被修改，但版本号未变；"
            f"案件 {case_ref} 正按原内容办理。请恢复原文件，并把修改另存为新版本（改 version）"
        )


class CalendarYearUnknown(DataError):
    """No official working-day arrangement is known for a year: never guess."""

    def __init__(self, year: int, hint: str) -> None:
        self.year = year
        super().__init__(f"没有 {year} 年的官方节假日安排数据，无法计算工作日。{hint}")


class ConfigError(DataError):
    """The deployment configuration is wrong or incomplete."""


class DatabaseUnavailable(DataError):
    """The database cannot be used: a corrupt or truncated file, a read-only file, no such folder."""


class DeliveryError(AwardError):
    """A notifier could not deliver a message; the outbox keeps it and retries.

    Attributes:
        permanent: True when retrying cannot help (a refused address).
        uncertain: True when the message may have been delivered all the same (the server took the
            whole message, then did not answer in time): retrying could send a second copy, so the
            outbox does not retry it by itself.
    """

    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


class TamperedHistory(AwardError):
    """The hash chain of a case's history does not hold."""

    exit_code: ClassVar[int] = 7
