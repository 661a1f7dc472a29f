"""What a revocation sets going (收回奖牌、证书，追缴奖金，纳入平台), and revoking an imported award."""

from __future__ import annotations

from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings
from .params import DAY, RECORD_ID
from .preview import confirm, yes_option


@click.group("revocation")
def revocation() -> None:
    """撤销奖励后的事项：收回奖牌、证书，追缴奖金，纳入信用平台；撤销导入的（系统启用前的）获奖记录。"""


def _pending_text(pending: list[dict[str, Any]]) -> str:
    if not pending:
        return "撤销后的事项已全部登记"
    return "尚待办理：" + "、".join(f"{p['label']}（{p['item']}）" for p in pending)


@revocation.command("record")
@click.argument("target", metavar="案件或申报主体")
@click.argument("item", metavar="事项")
@click.option("--status", "outcome", type=click.Choice(["done", "failed"]), required=True,
              help="done（已完成：已收回、已追缴、已纳入）或 failed（无法完成，须用 --note 写明原因）。")
@click.option("--on", "on", type=DAY, help="办理日期（默认今天），如 2026-11-02。")
@click.option("--ref", "reference", help="文号或编号（纳入平台的须写明）。")
@click.option("--note", help="说明（无法完成的须写明原因）。")
@click.option("--record", "record_id", type=RECORD_ID,
              help="登记导入的获奖记录的事项：此时第一个参数是申报主体，此项为 award party show 中的记录编号。")
@json_option
@pass_settings
def record(settings: Settings, target: str, item: str, outcome: str, on: Any, reference: str | None,
           note: str | None, record_id: int | None, as_json: bool) -> None:
    """登记撤销奖励后的一项事项（收回奖牌、证书，追缴奖金，纳入信用平台），记入案件（或申报主体）的历史。

    \b
    示例：
      award revocation record SHA-2026-001 plaque --status done --on 2026-11-02
      award revocation record SHA-2026-001 credit_platform --status done --ref 信用平台登记号123
      award revocation record SHA-2026-001 bonus --status failed --note 该单位已注销，奖金无法追缴
      award revocation record 91310000MA1FL1GF9K certificate --record 3 --status done
    """
    from award.workflow.revocations import RecoveryEntry, record_case_recovery, record_import_recovery
    from award.workflow.timing.clock import local_date

    engine = settings.engine()
    entry = RecoveryEntry(item=item, outcome=outcome, on=on or local_date(engine.clock()), reference=reference,
                          note=note)
    if record_id is None:
        done = record_case_recovery(engine, target, entry, actor=settings.actor())
        where = done["case"]
    else:
        done = record_import_recovery(engine.office, target, record_id, entry, actor=settings.actor(),
                                      wall_clock=engine.wall_clock)
        where = f"{done['party']} 的获奖记录 #{record_id}"
    from award.workflow.revocations import OUTCOMES
    from award.workflow.timing.clock import cn_date

    text = (f"{where}：已登记“{done['label']}”{OUTCOMES[done['outcome']]}（{cn_date(entry.on)}"
            + (f"，{done['reference']}" if done["reference"] else "") + "）\n" + _pending_text(done["pending"]))
    render.emit(done, as_json=as_json, text=text)


@revocation.command("revoke-record")
@click.argument("party", metavar="申报主体")
@click.argument("record_id", type=RECORD_ID, metavar="编号")
@click.option("--rule", required=True, help="撤销依据的规则编号，如 SHA-35（虚假材料）或 SHA-36（获奖后重大事故）。")
@click.option("--reason", help="撤销原因（默认为该规则的原因）。")
@click.option("--on", "on", type=DAY, help="撤销日期（默认今天）。")
@yes_option
@json_option
@pass_settings
def revoke_record(settings: Settings, party: str, record_id: int, rule: str, reason: str | None, on: Any,
                  yes: bool, as_json: bool) -> None:
    """撤销导入的（系统启用前获得的）奖励：按该规则设定不得再次申报的期限，并列出须收回的事项。

    \b
    示例：award revocation revoke-record 91310000MA1FL1GF9K 3 --rule SHA-35 --reason "经查提供虚假材料" --yes
    """
    from award.workflow.revocations import revoke_record as revoke
    from award.workflow.timing.clock import cn_date

    engine = settings.engine()
    actor = settings.actor()
    confirm([f"撤销获奖记录 #{record_id}（依据 {rule}）"], "撤销奖励", yes)
    done = revoke(engine.office, party, record_id, rule=rule, reason=reason, on=on, actor=actor,
                  wall_clock=engine.wall_clock)
    bar = f"，{cn_date(done['bar_until'])}前不接受再次申报" if done["bar_until"] else ""
    text = (f"已撤销 {done['party']} 的“{done['label']}”（{done['rule']}：{done['reason']}）{bar}\n"
            + _pending_text(done["pending"]))
    render.emit(done, as_json=as_json, text=text)


COMMANDS: list[click.Command] = [revocation]
