"""`award import parties|awards FILE`: real .xlsx (openpyxl, LibreOffice) and CSV files as offices save them."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.helpers import resident_id, uscc

ORG_A = uscc("91310115MA1H7G8K0")
ORG_B = uscc("91310101MA1FPX0A1")
PERSON = resident_id("31010119800101001")

HEADER = ["统一社会信用代码", "名称", "登记注册日期", "所在区", "电子邮箱"]
GOOD = [
    [ORG_A, "上海浦江质量科技有限公司", "2015-06-01", "浦东新区", "a@example.cn"],
    [ORG_B, "上海乙质量有限公司", "2016/03/02", "黄浦区", "b@example.cn"],
    [PERSON, "陈质量", "", "徐汇区", ""],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    path.write_bytes("\r\n".join(",".join(r) for r in rows).encode(encoding) + b"\r\n")
    return path


def parties(award) -> list[dict]:
    r = award("party", "list", "--json")
    assert r.code == 0, r
    return r.json


def test_gbk_csv_from_chinese_excel_then_reimport_changes_nothing(award, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "申报主体.csv", [HEADER, *GOOD], "gbk")
    r = award("import", "parties", str(path))
    assert r.code == 0, r
    assert "已导入 3 条申报主体（新增 3 条，修改 0 条，不变 0 条，编码 gb18030）" in r.out
    listed = parties(award)
    assert [(p["name"], p["district"], p["registered_on"]) for p in listed] == [
        ("上海浦江质量科技有限公司", "浦东新区", "2015-06-01"), ("上海乙质量有限公司", "黄浦区", "2016-03-02"),
        ("陈质量", "徐汇区", None)]
    assert listed[2]["kind"] == "person" and listed[2]["code"] == "310101********0018"
    again = award("import", "parties", str(path))
    assert again.code == 0, again
    assert "新增 0 条，修改 0 条，不变 3 条" in again.out
    assert len(parties(award)) == 3


def test_bom_csv_with_ids_as_headers_and_chinese_dates(award, tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(f"code,name,registered_on,kind\n{ORG_A},上海浦江质量科技有限公司,2015年6月1日,组织\n",
                    encoding="utf-8-sig")
    r = award("import", "parties", str(path), "--json")
    assert r.code == 0, r
    assert r.json["encoding"] == "utf-8-sig" and [c["action"] for c in r.json["changes"]] == ["new"]
    assert parties(award)[0]["registered_on"] == "2015-06-01"


def test_bad_rows_at_several_places_are_all_reported_and_nothing_is_written(award, tmp_path: Path) -> None:
    rows = [HEADER, GOOD[0],
            [ORG_B, "上海乙质量有限公司", "2016-02-30", "黄浦区", "not-an-address"],
            [uscc("91310101MA1FPX0A1")[:17] + "0", "校验位错的公司", "2016-01-01", "", ""],
            GOOD[2],
            ["", "没有代码的公司", "", "", ""],
            [ORG_A, "上海浦江质量科技有限公司", "2015-06-01", "", ""]]
    r = award("import", "parties", str(write_csv(tmp_path / "bad.csv", rows, "utf-8")))
    assert r.code == 2, r
    assert "Traceback" not in r.err
    assert "bad.csv：申报主体名单有 5 处错误，整个文件均未导入" in r.err
    for line in ("第3行“登记注册日期”列：2016-02-30 不是存在的日期",
                 "第3行“电子邮箱”列：“电子邮箱”（email）不是有效的电子邮件地址：'not-an-address'",
                 "第4行“统一社会信用代码”列：", "第6行“统一社会信用代码”列：必填，不能为空",
                 "第7行“统一社会信用代码”列：与第2行是同一代码，同一文件中只能出现一次"):
        assert line in r.err, r
    assert parties(award) == []


def test_xlsx_with_title_row_merged_headers_and_excel_date_cells(award, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年申报主体名单", None, None, None, None])
    ws.merge_cells("A1:E1")
    ws.append(["统一社会信用代码", "名称*", "登记注册日期（年月日）", "联系方式", None])
    ws.merge_cells("D2:E2")
    ws.append([None, None, None, "电子邮箱", "电话"])
    # a vertically merged header: the reader takes its top-left value for both rows
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:C3")
    ws.append([ORG_A, "上海浦江质量科技有限公司", datetime(2015, 6, 1), "a@example.cn", "021-12345678"])
    ws.cell(row=4, column=3).number_format = "yyyy/m/d"
    ws.append([ORG_B, "上海乙质量有限公司", date(2016, 3, 2), "b@example.cn", None])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    r = award("import", "parties", str(path))
    assert r.code == 0, r
    got = {p["name"]: p for p in parties(award)}
    assert got["上海浦江质量科技有限公司"]["registered_on"] == "2015-06-01"
    assert got["上海浦江质量科技有限公司"]["phone"] == "021-12345678"
    assert got["上海乙质量有限公司"]["email"] == "b@example.cn"


def test_dry_run_shows_changes_and_writes_nothing(award, tmp_path: Path) -> None:
    assert award("import", "parties", str(write_csv(tmp_path / "a.csv", [HEADER, *GOOD], "utf-8"))).code == 0
    changed = [HEADER, [ORG_A, "上海浦江质量科技有限公司", "2015-06-01", "闵行区", "new@example.cn"], GOOD[1]]
    path = write_csv(tmp_path / "b.csv", changed, "utf-8")
    r = award("import", "parties", str(path), "--dry-run")
    assert r.code == 0, r
    assert "试运行，未写入：文件中有 2 条申报主体（新增 0 条，修改 1 条，不变 1 条" in r.out
    plan = award("import", "parties", str(path), "--dry-run", "--json").json
    assert [(c["line"], c["action"], c["fields"]) for c in plan["changes"]] == [
        (2, "changed", ["email", "district"]), (3, "unchanged", [])]
    assert parties(award)[0]["district"] == "浦东新区"
    r = award("import", "parties", str(path))
    assert r.code == 0 and parties(award)[0]["district"] == "闵行区"


def test_latin1_csv_is_refused_with_a_clean_message(award, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("code,name\n91310115MA1H7G8K0Q,Société Générale\n".encode("latin-1"))
    r = award("import", "parties", str(path))
    assert r.code == 2 and "Traceback" not in r.err, r
    assert "不是 UTF-8" in r.err and "--encoding" in r.err
    r = award("import", "parties", str(path), "--encoding", "latin-1")
    assert r.code == 0, r


@pytest.mark.parametrize(("target", "message"), [
    pytest.param("/dev/zero", "不是普通文件", id="dev_zero"),
    pytest.param("missing.csv", "无法读取", id="missing"),
    pytest.param("old.xls", "旧版 Excel", id="xls"),
])
def test_files_that_are_not_spreadsheets(award, tmp_path: Path, target: str, message: str) -> None:
    if target == "old.xls":
        (tmp_path / target).write_bytes(b"\xd0\xcf\x11\xe0")
    r = award("import", "parties", target)
    assert r.code == 2 and message in r.err and "Traceback" not in r.err, r


def test_huge_cell_is_refused(award, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(f"code,name\n{ORG_A},{'大' * 20000}\n", encoding="utf-8")
    r = award("import", "parties", str(path))
    assert r.code == 2 and "第2行“name”列：超过 10000 个字符" in r.err, r


def test_same_organisation_name_with_another_code_is_refused(award, tmp_path: Path) -> None:
    assert award("import", "parties", str(write_csv(tmp_path / "a.csv", [HEADER, GOOD[0]], "utf-8"))).code == 0
    clash = [HEADER, [ORG_B, "上海浦江质量科技有限公司", "2016-01-01", "", ""]]
    r = award("import", "parties", str(write_csv(tmp_path / "b.csv", clash, "utf-8")))
    assert r.code == 2 and f"第2行“名称”列：已有同名组织 #1（{ORG_A}）" in r.err, r


AWARDS_HEADER = ["统一社会信用代码", "流程", "奖项", "获奖日期"]


def test_past_awards_by_chinese_labels_three_date_forms_and_reimport(award, tmp_path: Path) -> None:
    assert award("import", "parties", str(write_csv(tmp_path / "p.csv", [HEADER, *GOOD], "utf-8"))).code == 0
    rows = [AWARDS_HEADER,
            [ORG_A, "上海市政府质量奖", "上海市质量金奖·先进质量管理模式", "2021/12/20"],
            [ORG_B, "sha", "gold_model", "2020年12月18日"],
            [PERSON, "上海市政府质量奖", "gold_achievement", "2019-12-20"]]
    path = write_csv(tmp_path / "历年获奖.csv", rows, "gbk")
    r = award("import", "awards", str(path))
    assert r.code == 0, r
    assert "已导入 3 条获奖记录（新增 3 条" in r.out
    shown = award("party", "show", ORG_A, "--json").json["records"]
    assert [(x["award"], x["awarded_on"], x["source"]) for x in shown] == [("gold_model", "2021-12-20", "import")]
    again = award("party", "import-awards", str(path))  # the old name is an alias
    assert again.code == 0 and "新增 0 条，修改 0 条，不变 3 条" in again.out, again
    assert len(award("party", "show", ORG_A, "--json").json["records"]) == 1


def test_past_awards_bad_rows_reported_together(award, tmp_path: Path) -> None:
    assert award("import", "parties", str(write_csv(tmp_path / "p.csv", [HEADER, *GOOD], "utf-8"))).code == 0
    rows = [AWARDS_HEADER,
            [ORG_A, "sha", "silver_model", "2021-12-20"],
            [ORG_B, "sha", "gold_model", "2021-12-20"],
            [PERSON, "sha", "gold_model", "2021-12-20"],
            [ORG_B, "nope", "gold_model", "2099-01-01"]]
    r = award("import", "awards", str(write_csv(tmp_path / "a.csv", rows, "utf-8")))
    assert r.code == 2, r
    assert "第2行“奖项”列：上海市政府质量奖没有奖项 'silver_model'" in r.err
    assert "第4行“奖项”列：上海市质量金奖·先进质量管理模式只授予组织，而 陈质量 是个人" in r.err
    assert "第5行“流程”列：没有选项 'nope'" in r.err
    assert award("party", "show", ORG_B, "--json").json["records"] == []


def test_template_has_the_chinese_headers_and_reads_back(award, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    r = award("import", "template", "parties", "-o", str(out))
    assert r.code == 0, r
    ws = load_workbook(out).active
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["统一社会信用代码*", "名称*", "类型", "登记注册日期"]
    ws.append([ORG_A, "上海浦江质量科技有限公司", "组织", "2015-06-01"])
    ws.parent.save(out)
    assert award("import", "parties", str(out)).code == 0
    assert parties(award)[0]["name"] == "上海浦江质量科技有限公司"


def test_xlsx_saved_by_libreoffice(award, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui to run this test")
    csv_path = write_csv(tmp_path / "lo.csv", [HEADER, *GOOD], "utf-8")

    def convert(column_formats: str) -> Path:
        # CSV filter: comma, double quote, UTF-8, start at line 1, then per-column formats (2 = text)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                        f"--infilter=CSV:44,34,76,1,{column_formats}", "--convert-to", "xlsx",
                        "--outdir", str(tmp_path), str(csv_path)], check=True, capture_output=True, timeout=300)
        return tmp_path / "lo.xlsx"

    # As a clerk opens a CSV: the ID number becomes a number and loses its last digits. Caught, explained.
    r = award("import", "parties", str(convert("1/1")))
    assert r.code == 2, r
    assert "第4行“统一社会信用代码”列：这个单元格存成了数字" in r.err and "设为“文本”格式" in r.err
    r = award("import", "parties", str(convert("1/2")))
    assert r.code == 0, r
    assert [p["name"] for p in parties(award)] == [g[1] for g in GOOD]


CASES_HEADER = ["统一社会信用代码", "赛道", "开始方式", "推荐单位", "推荐单位电子邮箱"]


def test_cases_of_a_round_from_a_spreadsheet_all_or_none_then_idempotent(award, tmp_path: Path) -> None:
    assert award("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    assert award("import", "parties", str(write_csv(tmp_path / "p.csv", [HEADER, *GOOD], "utf-8"))).code == 0
    bad = [CASES_HEADER,
           [ORG_A, "上海市质量金奖·先进质量管理模式", "推荐（SHA-21）", "市经济信息化委", "jxw@example.gov.cn"],
           [PERSON, "gold_model", "apply", "", ""],
           [uscc("91310101MA1FPX0B1"), "gold_model", "apply", "", ""],
           [ORG_B, "gold_model", "推荐（SHA-21）", "", "not-an-address"]]
    r = award("import", "cases", str(write_csv(tmp_path / "c.csv", bad, "gbk")), "--round", "sha-2026",
              now="2026-03-10 09:00")
    assert r.code == 2 and "Traceback" not in r.err, r
    assert "c.csv：案件名单有 3 处错误，整个文件均未导入" in r.err
    assert "第3行：" in r.err and "只接受组织申报" in r.err
    assert "第4行“统一社会信用代码”列：该代码未登记" in r.err
    assert "第5行：" in r.err and "不是有效的电子邮件地址" in r.err
    assert award("cases", "--json").json == []
    good = [CASES_HEADER,
            [ORG_A, "上海市质量金奖·先进质量管理模式", "推荐（SHA-21）", "市经济信息化委", "jxw@example.gov.cn"],
            [ORG_B, "gold_model", "apply", "", ""],
            [PERSON, "上海市质量金奖·先进质量管理成果", "apply", "", ""]]
    path = tmp_path / "c.xlsx"
    wb = Workbook()
    for line in good:
        wb.active.append(line)
    wb.save(path)
    dry = award("import", "cases", str(path), "--round", "sha-2026", "--dry-run", now="2026-03-10 09:00")
    assert dry.code == 0 and "试运行，未写入：文件中有 3 条案件（新增 3 条" in dry.out, dry
    assert award("cases", "--json").json == []
    r = award("import", "cases", str(path), "--round", "sha-2026", now="2026-03-10 09:00")
    assert r.code == 0 and "已导入 3 条案件（新增 3 条" in r.out, r
    listed = award("cases", "--json").json
    assert [(c["ref"], c["party"], c["state"]) for c in listed] == [
        ("SHA-2026-001", "上海浦江质量科技有限公司", "recommended"), ("SHA-2026-002", "上海乙质量有限公司", "draft"),
        ("SHA-2026-003", "陈质量", "draft")]
    again = award("import", "cases", str(path), "--round", "sha-2026", now="2026-03-11 09:00")
    assert again.code == 0 and "新增 0 条，修改 0 条，不变 3 条" in again.out, again
    assert len(award("cases", "--json").json) == 3
    assert award("verify").code == 0


def test_experts_import_reads_a_gbk_csv_through_the_same_reader(award, tmp_path: Path) -> None:
    path = tmp_path / "专家.csv"
    path.write_bytes("姓名,单位,职务,专业领域\r\n李研究员,某研究院,研究员,统计、可靠性\r\n".encode("gbk"))
    r = award("expert", "import", str(path), "--pool", "shanghai_gov", "--json")
    assert r.code == 0, r
    assert [(e["name"], e["specialities"]) for e in r.json] == [("李研究员", ["统计", "可靠性"])]
    r = award("expert", "import", "/dev/zero", "--pool", "shanghai_gov")
    assert r.code == 2 and "不是普通文件" in r.err, r
