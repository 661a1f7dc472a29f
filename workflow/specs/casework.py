"""Frozen models of the qualification review's own records: written consultations and checklists.

A definition declares who may ask other departments in writing and in which states (SHA-22), and
the checklist of conditions that need the reviewer's judgement (SHA-16/17, SQI-5/6): each item
cites its rule. The records themselves are history events (`workflow/casework.py`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FINDINGS", "ChecklistItem", "ChecklistSpec", "ConsultationSpec"]

FINDINGS = {"met": "符合", "unmet": "不符合", "pending": "待补充"}
"""A reviewer's finding on one checklist item: id -> Chinese word (either is accepted on input)."""

Condition = dict[str, str | int | bool | float | list[str | int | bool | float]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConsultationSpec(_Frozen):
    """Written consultation of other departments during a review (SHA-22: 必要时以书面形式征求相关部门意见).

    Attributes:
        label: what the office calls it.
        states: the states in which a consultation may be sent or answered.
        roles: who sends and records them.
        rule: the rule that allows it.
    """

    label: str = "书面征求相关部门意见"
    states: list[str] = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    rule: str


class ChecklistItem(_Frozen):
    """One condition the reviewer judges (e.g. 质量工作成绩显著), for the cases `when` matches."""

    label: str
    rule: str
    when: Condition | None = None


class ChecklistSpec(_Frozen):
    """A review checklist: one finding (符合/不符合/待补充) per applicable item, recorded by `roles` in `states`.

    A transition that needs it complete names it in a `checklist_complete` guard.
    """

    label: str
    states: list[str] = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    rule: str
    items: dict[str, ChecklistItem] = Field(min_length=1)
