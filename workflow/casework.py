"""What the review's checklist findings mean (SHA-16/17, SQI-5/6), and the guards that read the review's
records (`checklist_complete`, `recheck`).

The findings are history events of the case (`checklist_finding`, written by `casework_record.py`);
every view here is derived from them, so the hash chain holds them and nothing is kept twice. Pure
functions of `CaseFacts`. (Written consultations, SHA-22, are entries: `entries.py`.)
"""

from __future__ import annotations

from pydantic import Field

from .caserecords import Finding, applicable_items, case_records, checklist_for, findings
from .facts import CaseFacts
from .guards import GUARDS, Params, evaluate_all

__all__ = ["Finding", "applicable_items", "case_records", "checklist_for", "findings"]  # derived in caserecords.py


# ------------------------------------------------------------------------------------------ guards


class ChecklistComplete(Params):
    """`checklist`: the name of a checklist of the definition (`checklists:`)."""

    checklist: str


@GUARDS.register("checklist_complete", ChecklistComplete)
def checklist_complete(facts: CaseFacts, p: ChecklistComplete) -> tuple[bool, str, str | None]:
    """Every applicable checklist item has the reviewer's finding, and each is 符合."""
    cl = facts.spec.checklists.get(p.checklist)
    if cl is None:
        return False, f"流程未定义核查表 {p.checklist!r}", None
    rows = findings(facts.spec, p.checklist, facts.data, facts.notes)
    groups = [("不符合", [r for r in rows if r.finding == "unmet"]),
              ("待补充", [r for r in rows if r.finding == "pending"]),
              ("尚未核查", [r for r in rows if r.finding is None])]
    bad = [(word, items) for word, items in groups if items]
    if not bad:
        return True, f"“{cl.label}”{len(rows)}项均已核查，均为符合", None
    parts = [f"{word}：" + "；".join(f"“{r.label}”（{r.item}，{r.rule}）" for r in items) for word, items in bad]
    first = bad[0][1][0]
    return False, (f"“{cl.label}”" + "。".join(parts) + f"。核查意见用 award checklist record {facts.ref} 项目 "
                   "--finding 符合|不符合|待补充 记录"), first.rule


class Recheck(Params):
    """`trigger`: another transition whose guards citing `rules` are evaluated again now."""

    trigger: str
    rules: list[str] = Field(min_length=1)


@GUARDS.register("recheck", Recheck)
def recheck(facts: CaseFacts, p: Recheck) -> tuple[bool, str, str | None]:
    """The conditions another step checked (e.g. at submission) still hold now (after a supplement)."""
    calls = [g for t in facts.spec.transitions if t.trigger == p.trigger for g in t.guards
             if g.rule in p.rules and g.check != "recheck"]
    failed = [v for v in evaluate_all(calls, facts) if not v.passed]
    label = next((t.label for t in facts.spec.transitions if t.trigger == p.trigger), p.trigger)
    rules = "、".join(p.rules)
    if not failed:
        return True, f"重新核查“{label}”时的{rules}条件：均符合", None
    return False, (f"重新核查“{label}”时的{rules}条件，以下不符合：" + "；".join(f"[{v.rule}] {v.reason}" for v in failed)),\
        failed[0].rule
