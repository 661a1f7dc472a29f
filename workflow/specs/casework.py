"""Frozen models of the qualification review's checklists.

A definition declares the checklist of conditions that need the reviewer's judgement (SHA-16/17,
SQI-5/6): each item cites its rule. The findings themselves are history events (`workflow/casework.py`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..labels import FINDINGS

__all__ = ["FINDINGS", "ChecklistItem", "ChecklistSpec"]


Condition = dict[str, str | int | bool | float | list[str | int | bool | float]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # as the definitions' models: built when first validated


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
