"""Chinese words for the engine's own ids: event kinds, timer and notification statuses, periods.

Output for people never shows `pending`, `dismissed` or `5 working days`; `--json` keeps the ids.
A word missing here is shown as "（未知：id）" rather than leaking silently, and a test checks that
every status the engine writes has its word.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EVENT_KINDS", "FINDINGS", "NOTIFY_EVENTS", "OBJECTION_STATUS", "OUTBOX_STATUS", "PARTY_KINDS", "TIMER_KINDS",
           "TIMER_STATUS",
           "event_kind", "objection_status", "outbox_status", "party_kind", "period", "roles", "timer_kind",
           "timer_label", "timer_status"]

EVENT_KINDS = {
    "created": "开启案件", "transition": "办理", "correction": "更正", "objection_filed": "提出异议",
    "objection_resolved": "处理异议", "report_submitted": "提交报告", "reminder": "提醒", "marked": "标记",
    "duty_met": "按时履行义务", "duty_overdue": "义务逾期", "entry_recorded": "登记事项", "entry_answered": "答复事项",
    "recovery_recorded": "登记撤销后事项", "definition_migrated": "改按新版流程定义办理",
}
TIMER_STATUS = {"pending": "等待到期", "held": "暂缓", "blocked": "缺日历数据", "failed": "失败", "fired": "已触发", "cancelled": "已取消",
                "overdue": "已逾期"}
TIMER_KINDS = {"transition": "到期办理", "reminder": "提醒", "duty": "义务", "mark": "标记", "retention": "材料保存期满"}
OUTBOX_STATUS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                 "cancelled": "已撤回"}
OBJECTION_STATUS = {"open": "待处理", "dismissed": "不成立", "upheld": "成立"}
PARTY_KINDS = {"organization": "组织", "person": "个人"}
FINDINGS = {"met": "符合", "unmet": "不符合", "pending": "待补充"}
"""A reviewer's finding on one checklist item: id -> Chinese word (either is accepted on input)."""

NOTIFY_EVENTS: dict[str, str] = {
    "objection_filed": "收到异议",
    "objection_resolved": "异议处理完毕",
    "reminder": "提醒到期",
    "duty_met": "义务按时履行",
    "duty_overdue": "义务逾期未履行",
    "report_submitted": "报告已提交",
    "marked": "期限标记到期",
    "timer_held": "期满触发因条件不满足而暂缓",
    "delivery_failed": "通知最终未能送达",
    "entry_recorded": "登记了记录事项（如求助、书面征求意见）",
    "entry_answered": "记录事项已答复（如服务站答复、部门复函）",
    "timer_recomputed": "按新的节假日安排重算定时",
    "timer_rearmed": "补充节假日安排后定时重新排队",
    "review_assigned": "分配评审专家",
    "review_scored": "专家评分",
    "review_recused": "专家回避",
    "review_disqualified": "取消评审资格",
    "review_feedback": "双向评价",
    "conflict_recorded": "记录利害关系",
    "conflict_withdrawn": "撤销利害关系记录",
    "experts_joined": "列入评审专家库",
    "access_refused": "拒绝查看（回避或未分配）",
    "score_refused": "拒绝评分（回避或未分配）",
    "checklist_finding": "记录核查意见",
    "recovery_recorded": "登记撤销奖励后的事项（收回奖牌、证书，追缴奖金，纳入平台）",
}
"""The non-transition history events `on_events` may send on, with what each means."""


def _word(table: dict[str, str], key: str | None) -> str:
    if key is None:
        return ""
    return table.get(key, f"（未知：{key}）")


def event_kind(kind: str) -> str:
    return _word(EVENT_KINDS, kind)


def timer_status(status: str) -> str:
    return _word(TIMER_STATUS, status)


def timer_kind(kind: str) -> str:
    return _word(TIMER_KINDS, kind)


def outbox_status(status: str) -> str:
    return _word(OUTBOX_STATUS, status)


def objection_status(status: str) -> str:
    return _word(OBJECTION_STATUS, status)


def party_kind(kind: str) -> str:
    return _word(PARTY_KINDS, kind)


def period(text: str, start_day_counts: bool = False) -> str:
    """A period as written in a definition (`5 working days`) in Chinese (`5个工作日`)."""
    from .errors import InvalidInput
    from .timing.periods import describe, parse_offset, parse_period

    try:
        p = parse_period(text)
    except InvalidInput:
        try:
            p = parse_offset(text)
        except InvalidInput:
            return text
        return describe(p, start_day_counts).split("（")[0] + "前"
    phrase = describe(p, start_day_counts)
    return phrase.split("（")[0] if p.kind in ("working_days", "natural_days") else phrase


def roles(labels: dict[str, str], ids: tuple[str, ...] | list[str]) -> str:
    """Role ids as the definition's Chinese labels (`system` is the timer)."""
    return "、".join("定时任务" if r == "system" else labels.get(r, r) for r in ids)


def timer_label(spec: Any, state: str, kind: str, trigger: str | None, duty: str | None) -> str:
    """A timer as the definition names it (its `label`, else its trigger's label), never its id."""
    if kind == "retention":  # the definition's retention (SHA-39), not a timer of the state
        keep = getattr(spec, "retention", None)
        return str(keep.label) if keep is not None else timer_kind(kind)
    st = spec.state_map.get(state)
    label = None
    if st is not None:
        for t in st.timers:
            if (trigger and t.trigger == trigger) or (duty and duty in (t.duty, t.mark)):
                label = t.label
                break
    if label is None and trigger:
        label = next((t.label for t in spec.transitions if t.trigger == trigger), None)
    label = label or duty or timer_kind(kind)
    return f"提醒：{label}" if kind == "reminder" else label
