"""Exports read back with openpyxl/csv, and the public-notice document read back with python-docx.

The qualification notice is published on Monday 2026-09-28: five working days, the publication day
not counted (SHA-22, `start_day_counts: false`), cross National Day (10-01..10-07 off) and end on the
make-up Saturday 10-10: 公示期：2026年9月28日至2026年10月10日.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import chinese_calendar
from docx import Document
from openpyxl import load_workbook

from tests.fixtures_sha import (
    Office,
    office_fixture,  # noqa: F401 - fixtures
)
from tests.helpers import resident_id
from tests.scenarios.test_sqi import sqi as sqi_fixture  # noqa: F401 - a fixture, used by that name
from tests.scenarios.test_sqi import submitted, to_approval

PUBLISHED = "2026-09-28 10:00"
AWARDED = "已获奖"


def notice_office(office: Office, n: int = 2) -> list[str]:
    refs = [office.in_notice(PUBLISHED, year=2026) for _ in range(n)]
    (Path(office.workdir) / "home").mkdir(exist_ok=True)
    return refs


def configure_home(tmp_path: Path, monkeypatch) -> Path:
    import os

    home = Path(os.environ["AWARD_HOME"])
    (home / "award.toml").write_text('office_name = "上海市政府质量奖审定委员会办公室"\n'
                                     'office_contact = "王老师，021-12345678，上海市某某路100号"\n', encoding="utf-8")
    return home


def test_cases_export_xlsx_has_chinese_headers_and_shanghai_times(office: Office, tmp_path: Path) -> None:
    refs = notice_office(office)
    out = tmp_path / "案件.xlsx"
    r = office.run("cases", "--round", "sha-2026", "--output", "xlsx", "-o", str(out))
    assert r.code == 0, r
    assert f"已导出 2 行到 {out}" in r.out
    ws = load_workbook(out).active
    rows = list(ws.values)
    assert rows[0] == ("案件", "轮次", "申报主体", "代码", "所在区", "推荐单位", "赛道", "状态", "异议暂停",
                       "开启时间", "进入当前状态时间", "最后更新时间")
    assert [row[0] for row in rows[1:]] == refs
    first = rows[1]
    assert first[4] == "浦东新区" and first[7] == "资格审查结果公示中"
    assert first[10] == "2026-09-28 10:00"  # Shanghai time, as the clerk did it


def test_csv_export_is_utf8_with_bom(office: Office, tmp_path: Path) -> None:
    notice_office(office, 1)
    out = tmp_path / "名单.csv"
    r = office.run("notice", "list", "--round", "sha-2026", "--notice", "qualification_notice", "-o", str(out))
    assert r.code == 0, r
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "案件", "名称", "代码", "赛道", "所在区", "推荐单位"]  # listed: [recommender]
    assert rows[1][2] == "上海第1质量科技有限公司" and rows[1][4] == "上海市质量金奖·先进质量管理模式"


def test_history_and_timers_export(office: Office, tmp_path: Path) -> None:
    ref = notice_office(office, 1)[0]
    out = tmp_path / "history.xlsx"
    assert office.run("history", ref, "--output", "xlsx", "-o", str(out)).code == 0
    ws = load_workbook(out).active
    header = next(ws.values)
    assert header == ("#", "业务时间", "事项", "状态", "操作人", "内容", "实际记录时间")
    assert [row[2] for row in list(ws.values)[1:]][-1] == "资格审查通过"
    out = tmp_path / "timers.csv"
    assert office.run("timers", "list", "--case", ref, "--output", "csv", "-o", str(out)).code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "2026-10-10" in text and "待到期" in text


def test_person_ids_masked_unless_unmask_which_is_recorded(office: Office, tmp_path: Path) -> None:
    code = resident_id("31010119800101001")
    assert office.run("party", "add", "--kind", "person", "--name", "陈质量", "--code", code).code == 0
    out = tmp_path / "p.xlsx"
    assert office.run("party", "list", "--output", "xlsx", "-o", str(out)).code == 0
    assert list(load_workbook(out).active.values)[1][3] == "310101********0018"
    r = office.run("party", "list", "--output", "xlsx", "-o", str(out), "--unmask")
    assert r.code == 0 and "含完整身份证号，已记录" in r.out, r
    assert list(load_workbook(out).active.values)[1][3] == code
    history = office.run("party", "history", code, "--json").json["history"]
    assert [(h["kind"], h["actor"]) for h in history] == [("unmasked", "wang")]
    assert "p.xlsx" in history[0]["reason"]
    r = office.run("party", "list", "--unmask")
    assert r.code == 2 and "--unmask 只用于导出文件" in r.err
    r = office.run("party", "list", "--output", "xlsx", "-o", str(out), "--unmask", who="li")
    assert r.code == 3 and "完整身份证号只能由" in r.err and "市审定办" in r.err and "li 没有该角色" in r.err, r


def test_notice_document_docx_crosses_national_day(office: Office, tmp_path: Path, monkeypatch) -> None:
    configure_home(tmp_path, monkeypatch)
    notice_office(office, 2)
    out = tmp_path / "资格审查公示.docx"
    r = office.run("notice", "document", "--round", "sha-2026", "--notice", "qualification_notice", "-o", str(out))
    assert r.code == 0, r
    doc = Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "2026年上海市政府质量奖资格审查结果公示"
    assert "公示期：2026年9月28日至2026年10月10日" in texts
    # the period's end checked against the official calendar: five working days after 9-28
    days, day = [], date(2026, 9, 29)
    while len(days) < 5:
        if chinese_calendar.is_workday(day):
            days.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    assert days[-1] == date(2026, 10, 10)
    table = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["序号", "名称", "奖项类别", "所在区"]
    assert cells[1] == ["1", "上海第1质量科技有限公司", "上海市质量金奖·先进质量管理模式", "浦东新区"]
    assert len(cells) == 3
    body = "\n".join(texts)
    assert "实名" in body and "证明材料（SHA-32）" in body
    assert "王老师，021-12345678" in body and texts[-1] == "2026年9月28日"


def test_notice_document_text_and_office_template_override(office: Office, tmp_path: Path, monkeypatch) -> None:
    home = configure_home(tmp_path, monkeypatch)
    notice_office(office, 1)
    out = tmp_path / "公示.txt"
    assert office.run("notice", "document", "--round", "sha-2026", "--notice", "qualification_notice",
                      "-o", str(out)).code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("2026年上海市政府质量奖资格审查结果公示\n") and "#" not in text and "|" not in text
    (home / "templates" / "sha").mkdir(parents=True)
    (home / "templates" / "sha" / "_notice.md.j2").write_text(
        "# 本办自拟的公示\n\n{{ notice.period_text }}\n", encoding="utf-8")
    out = tmp_path / "公示.md"
    assert office.run("notice", "document", "--round", "sha-2026", "--notice", "qualification_notice",
                      "-o", str(out)).code == 0
    assert out.read_text(encoding="utf-8") == "# 本办自拟的公示\n\n公示期：2026年9月28日至2026年10月10日\n"


def test_notice_document_needs_the_office_contact(office: Office, tmp_path: Path) -> None:
    notice_office(office, 1)
    r = office.run("notice", "document", "--round", "sha-2026", "--notice", "qualification_notice",
                   "-o", str(tmp_path / "x.docx"))
    assert r.code == 6 and "office_name、office_contact" in r.err, r


def test_definitions_check_renders_the_notice_templates(tmp_path: Path) -> None:
    import shutil

    from award.workflow.specs.loader import bundled_definitions
    from award.workflow.specs.validate import check_all

    root = tmp_path / "definitions"
    shutil.copytree(bundled_definitions(), root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    assert check_all(root)[0] == []
    (root / "templates" / "sha" / "_notice.md.j2").write_text("# {{ notice.no_such_thing }}\n", encoding="utf-8")
    problems = check_all(root)[0]
    assert len(problems) == 2 and all("no_such_thing" in p.reason for p in problems), problems


def test_sqi_publicity_document_seven_natural_days(tmp_path: Path, monkeypatch, sqi_fixture) -> None:  # noqa: F811
    sqi = sqi_fixture
    configure_home(tmp_path, monkeypatch)
    ref = submitted(sqi)
    to_approval(sqi, ref)
    assert sqi("advance", ref, "approve", "--set", "grade=标杆级", now="2024-09-27 10:00", who="zhao").code == 0
    out = tmp_path / "publicity.md"
    r = sqi("notice", "document", "--round", "sqi-2024", "-o", str(out), now="2024-09-27 11:00")
    assert r.code == 0, r
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 2024年卓越管理创新成果评价审定结果公示\n")
    assert "公示期：2024年9月27日至2024年10月4日" in text  # 7 natural days: National Day does not stretch it
    assert "提供必要的证明材料（SQI-17）" in text and "上海质量网" in text


def test_round_winners_and_objections_export(office: Office, tmp_path: Path) -> None:
    ref = office.in_commendation("2026-05-06 10:00")
    assert office.run("advance", ref, "commend", "--set", "award_document=沪府〔2026〕88号",
                      now="2026-10-20 09:00").code == 0
    other = office.in_notice("2026-09-28 10:00", year=2026)
    assert office.run("objection", "file", other, "--by", "张三", "--contact", "13800000000", "--reason", "证书存疑",
                      now="2026-09-29 09:00").code == 0
    out = tmp_path / "获奖名单.xlsx"
    r = office.run("round", "winners", "sha-2026", "--output", "xlsx", "-o", str(out))
    assert r.code == 0, r
    rows = list(load_workbook(out).active.values)
    assert rows[0] == ("序号", "案件", "名称", "代码", "所在区", "奖项", "获奖日期", "撤销日期", "状态")
    assert [(x[1], x[2], x[4], x[8]) for x in rows[1:]] == [(ref, "上海第1质量科技有限公司", "浦东新区", AWARDED)]
    assert "上海市质量金奖" in rows[1][5]
    assert isinstance(rows[1][6], datetime) and rows[1][6].date() == date(2026, 10, 20)  # a real Excel date
    out = tmp_path / "异议.csv"
    assert office.run("objection", "list", "--round", "sha-2026", "-o", str(out)).code == 0
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert lines[0][:5] == ["#", "案件", "申报主体", "公示", "提出人"]
    assert lines[1][1:5] == [other, "上海第2质量科技有限公司", "资格审查结果公示中", "张三"] and lines[1][8] == "待处理"
