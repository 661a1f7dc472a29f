"""The public notice (公示) of a round: its list, and the document the office publishes."""

from __future__ import annotations

from pathlib import Path

import click

from . import render
from .context import Settings, json_option, pass_settings
from .export import output_options, unmasked_codes
from .params import page_note, page_options


@click.group("notice")
def notice() -> None:
    """本轮的公示：公示名单，以及要发布的公示文件。"""


_round = click.option("--round", "round_id", required=True, help="评审轮次，如 sha-2026。")
_notice = click.option("--notice", "state", help="公示所处的状态，如 qualification_notice（只有一个时可不写）。")


@notice.command("list")
@_round
@_notice
@json_option
@output_options
@pass_settings
def notice_list(settings: Settings, round_id: str, state: str | None, as_json: bool) -> None:
    """本轮正在公示的案件及公示期。

    \b
    示例： award notice list --round sha-2026 --notice qualification_notice --output xlsx -o 公示名单.xlsx
    """
    from award.workflow.notify.documents import period_text
    from award.workflow.registers.listings import notice_list as listing

    engine = settings.engine()
    n = listing(engine.db, engine.catalog, round_id, state)
    codes = unmasked_codes(settings, [e["party_id"] for e in n.entries], "notice list")
    listed = list(dict.fromkeys(label for e in n.entries for label in e["listed"]))
    render.emit(n, as_json=as_json, table=lambda: render.Table(
        f"{n.round_title} {n.state_label}名单（{period_text(n.first_day, n.last_day)}）",
        ["序号", "案件", "名称", "代码", "赛道", "所在区", *listed],
        [[i, e["ref"], e["party"], codes.get(e["party_id"], e["code"]), e["track_label"], e["district"],
          *[e["listed"].get(label, "") for label in listed]] for i, e in enumerate(n.entries, start=1)]))


@notice.command("document")
@_round
@_notice
@click.option("-o", "--file", "file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="写入的公示文件：.docx、.md 或 .txt。")
@pass_settings
def notice_document(settings: Settings, round_id: str, state: str | None, file: Path) -> None:
    """写出公示文件：标题、名单、公示期、异议方式和联系方式。

    The template is <procedure>/_notice.md.j2, the office's copy in its data folder's templates/
    first; the office's name and contact come from award.toml (office_name, office_contact).

    \b
    示例： award notice document --round sha-2026 --notice qualification_notice -o 资格审查公示.docx
    """
    from award.workflow.errors import ConfigError, InvalidInput
    from award.workflow.notify.documents import notice_context, render_notice, write_notice
    from award.workflow.registers.listings import notice_list as listing

    engine = settings.engine()
    n = listing(engine.db, engine.catalog, round_id, state)
    if not n.entries:
        raise InvalidInput(f"{n.round_title}目前没有处于“{n.state_label}”的案件，无法生成公示文件")
    home = settings.home()
    office = {"name": home.get("office_name"), "contact": home.get("office_contact")}
    missing = [k for k, v in office.items() if not v]
    if missing:
        keys = "、".join(f"office_{k}" for k in missing)
        raise ConfigError(f"公示文件须写明办公室名称和联系方式：请在 {home.config_file} 中设置 {keys}")
    root = settings.definitions_root()
    bundled = (root if root.is_dir() else root.parent) / "templates"
    markdown = render_notice([home.path("templates"), bundled], n.procedure, notice_context(n, office))
    fmt = write_notice(markdown, file)
    click.echo(f"已写出公示文件 {file}（{fmt}，{len(n.entries)} 项；{notice_context(n, office)['notice']['period_text']}）"
               + ("　注意：所依据的节假日安排尚属暂定" if n.provisional else ""))


@click.command("winners")
@click.argument("round_id", metavar="轮次")
@json_option
@output_options
@pass_settings
def round_winners(settings: Settings, round_id: str, as_json: bool) -> None:
    """一轮的获奖名单（由本轮案件记录的奖项；已撤销的标出）。

    \b
    示例：award round winners sha-2026 --output xlsx -o 获奖名单.xlsx
    """
    from award.workflow.registers.listings import winners

    engine = settings.engine()
    rows = winners(engine.db, engine.catalog, round_id)
    codes = unmasked_codes(settings, [r["party_id"] for r in rows], "round winners")
    extra = list(dict.fromkeys(label for r in rows for label in r["award_fields"]))  # e.g. the certificate (SQI)
    render.emit(rows, as_json=as_json, table=lambda: render.Table(
        f"{round_id} 获奖名单", ["序号", "案件", "名称", "代码", "所在区", "奖项", "获奖日期", *extra, "撤销日期", "状态"],
        [[i, r["ref"], r["party"], codes.get(r["party_id"], r["code"]), r["district"], r["label"],
          r["awarded_on"], *[r["award_fields"].get(label, "") for label in extra], r["revoked_on"], r["state_label"]]
         for i, r in enumerate(rows, start=1)]))


@click.command("list")
@click.option("--round", "round_id", help="只列出此轮次的异议，如 sha-2026。")
@click.option("--status", type=click.Choice(["open", "dismissed", "upheld"]),
              help="只列出此状态：open（待处理）、dismissed（不成立）、upheld（成立）。")
@page_options(1000, "条")
@json_option
@output_options
@pass_settings
def objection_list(settings: Settings, round_id: str | None, status: str | None, limit: int, offset: int,
                   as_json: bool) -> None:
    """列出异议（提出人、针对的案件、理由、处理结果）。

    \b
    示例： award objection list --round sha-2026 --output xlsx -o 异议.xlsx
    """
    from datetime import datetime

    from award.workflow.registers.listings import objections

    engine = settings.engine()
    rows = objections(engine.db, engine.catalog, round_id=round_id, status=status, limit=limit + 1, offset=offset)
    more, rows = len(rows) > limit, rows[:limit]
    page_note(offset, limit, more, "条")
    render.emit(rows, as_json=as_json, table=lambda: render.Table("异议", ["#", "案件", "申报主体", "公示", "提出人", "联系方式", "理由", "证明材料", "状态", "处理意见",
                        "提出时间", "处理时间"],
                 [[r["id"], r["ref"], r["party"], r["state_label"], r["filed_by"], r["contact"], r["reason"],
                   "、".join(f for f in r["evidence"] if f), r["status_label"], r["resolution"],
                   render.shanghai(datetime.fromisoformat(r["filed_at"])),
                   render.shanghai(datetime.fromisoformat(r["resolved_at"])) if r["resolved_at"] else ""]
                  for r in rows]))


COMMANDS: list[click.Command] = [notice]
