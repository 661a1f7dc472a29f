"""`award advance CASE submit --from FILE`: the Wuhu application form (23 fields) from xlsx, csv, yaml, json."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from tests.scenarios.test_whi import CONDITIONS, add_org, open_case, setup_cycle, show


def form_pairs() -> list[tuple[str, str]]:
    return [tuple(item.split("=", 1)) for item in CONDITIONS]  # type: ignore[misc]


def case(award) -> str:
    setup_cycle(award)
    add_org(award, 1)
    return open_case(award, 1, "弋江区质量发展委员会")


def test_form_from_xlsx_with_chinese_labels_and_an_excel_date(award, tmp_path: Path) -> None:
    ref = case(award)
    wb = Workbook()
    ws = wb.active
    ws.append(["字段", "内容"])
    for name, value in form_pairs():
        if name == "address":
            ws.append(["地址", value])  # the Chinese label, as on the paper form
        elif name == "licensed_since":
            ws.append([name, date(2018, 5, 1)])
        elif name == "excellence_model_since":
            ws.append([name, "2021年1月1日"])
        else:
            ws.append([name, value])
    path = tmp_path / "申报表.xlsx"
    wb.save(path)
    r = award("advance", ref, "submit", "--from", str(path), now="2025-03-12 10:00")
    assert r.code == 0, r
    data = show(award, ref)["data"]
    assert data["address"] == "芜湖市弋江区某某路1号" and data["licensed_since"] == "2018-05-01"
    assert data["excellence_model_since"] == "2021-01-01" and data["profitable_3y"] is True


def test_form_from_csv_row_layout(award, tmp_path: Path) -> None:
    ref = case(award)
    pairs = form_pairs()
    path = tmp_path / "form.csv"
    path.write_text(",".join(n for n, _ in pairs) + "\n" + ",".join(f'"{v}"' for _, v in pairs) + "\n",
                    encoding="gbk")
    r = award("advance", ref, "submit", "--from", str(path), now="2025-03-12 10:00")
    assert r.code == 0, r


def test_every_bad_value_is_reported_at_once_and_nothing_changes(award, tmp_path: Path) -> None:
    ref = case(award)
    values = dict(form_pairs())
    values.update({"contact_phone": "call me", "licensed_since": "2018-13-01", "profitable_3y": "也许"})
    path = tmp_path / "form.json"
    path.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    before = show(award, ref)
    r = award("advance", ref, "submit", "--from", str(path), now="2025-03-12 10:00")
    assert r.code == 2 and "Traceback" not in r.err, r
    assert "有 3 处填写错误，未作任何修改" in r.err and "须为日期 YYYY-MM-DD，收到 '2018-13-01'" in r.err, r
    values["licensed_since"] = "2018-05-01"
    path = tmp_path / "form.yaml"
    path.write_text("\n".join(f"{k}: \"{v}\"" for k, v in values.items()), encoding="utf-8")
    r = award("advance", ref, "submit", "--from", str(path), now="2025-03-12 10:00")
    assert r.code == 2, r
    assert "有 2 处填写错误，未作任何修改" in r.err
    assert "不是有效的电话号码：'call me'" in r.err and "'也许'" in r.err
    assert show(award, ref) == before
    r = award("advance", ref, "submit", "--from", str(path), "--set", "contact_phone=0553-1234567",
              "--set", "profitable_3y=是", now="2025-03-12 10:00")
    assert r.code == 0, r


def test_unknown_field_names_are_listed(award, tmp_path: Path) -> None:
    ref = case(award)
    path = tmp_path / "form.yaml"
    path.write_text("地址: 芜湖\n不存在的字段: x\nnope: y\n", encoding="utf-8")
    r = award("advance", ref, "submit", "--from", str(path), now="2025-03-12 10:00")
    assert r.code == 2 and "有 2 处错误" in r.err and "“不存在的字段”不是流程 whi 的字段" in r.err, r
