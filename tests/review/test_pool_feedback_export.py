"""The pool (add, import, list, show, disable), two-way feedback, the export, winners joining the pool."""

from __future__ import annotations

import csv
import os

from openpyxl import Workbook, load_workbook

from tests.fixtures_sha import Office
from tests.helpers import uscc
from tests.review.conftest import NOW, Review, items

ROUND = "sha-2026"


def test_pool_add_import_list_show_disable(award, tmp_path) -> None:
    code = uscc("91310000MA1PL0001")
    r = award("expert", "add", "王教授", "--pool", "shanghai_gov", "--org-name", "某大学", "--org-code", code,
              "--speciality", "卓越绩效", "--speciality", "质量管理", "--json")
    assert r.code == 0, r
    assert r.json["joined_by"] == "appointed" and r.json["specialities"] == ["卓越绩效", "质量管理"]
    r = award("expert", "add", "王教授", "--pool", "shanghai_gov", "--org-code", code)
    assert r.code == 2 and "专家库中已有 王教授" in r.err
    r = award("expert", "add", "某人", "--pool", "nowhere")
    assert r.code == 2 and "没有专家库 'nowhere'" in r.err and "shanghai_gov（上海市政府质量奖评审专家库）" in r.err
    r = award("expert", "add", "某人", "--pool", "shanghai_gov", "--org-code", "91310000MA1PL00010")
    assert r.code == 2 and "校验位" in r.err
    r = award("expert", "add", "某人", "--pool", "shanghai_gov", who="li")
    assert r.code == 3 and "登记专家只能由市审定办办理" in r.err
    book = tmp_path / "experts.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "单位", "统一社会信用代码", "职务", "专业领域", "电子邮箱"])
    ws.append(["李研究员", "某研究院", uscc("91310000MA1PL0002"), "研究员", "统计、可靠性", "li@example.com"])
    ws.append(["赵总", "某公司", None, "总经理", None, None])
    wb.save(book)
    r = award("expert", "import", str(book), "--pool", "shanghai_gov", "--json")
    assert r.code == 0, r
    assert [(e["name"], e["specialities"], e["joined_by"]) for e in r.json] == [
        ("李研究员", ["统计", "可靠性"], "import"), ("赵总", [], "import")]
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "统一社会信用代码", "籍贯"])
        w.writerow(["钱某", "123", "上海"])
    r = award("expert", "import", str(bad), "--pool", "shanghai_gov")
    assert r.code == 2 and "未导入任何专家" in r.err and "第2行：未知的列 籍贯" in r.err
    listed = award("expert", "list", "--pool", "shanghai_gov", "--json").json
    assert [e["name"] for e in listed] == ["王教授", "李研究员", "赵总"]
    assert award("expert", "disable", "赵总", "--reason", "本人申请退出").code == 0
    assert [e["name"] for e in award("expert", "list", "--json").json] == ["王教授", "李研究员"]
    shown = award("expert", "show", "赵总", "--json").json
    assert shown["active"] is False and shown["disabled_reason"] == "本人申请退出"
    table = award("expert", "list", "--all").out
    assert "已停用：本人申请退出" in table and "表格导入" in table
    assert award("expert", "show", "无此人").code == 4


def test_two_way_feedback_and_its_summary(review: Review) -> None:
    ref = review.refs[0]
    review.ok("review", "assign", ref, "--stage", "material", "--expert", "张一", "--expert", "张二")
    review.ok("review", "feedback", ref, "--stage", "material", "--expert", "张一", "--of", "expert", "--rating", "5")
    review.ok("review", "feedback", ref, "--stage", "material", "--expert", "张二", "--of", "expert", "--rating", "2",
              "--comment", "评审时接受宴请")
    review.ok("review", "feedback", ref, "--stage", "material", "--expert", "张一", "--of", "applicant",
              "--rating", "4", who="zhang1")
    r = review.run("review", "feedback", ref, "--stage", "material", "--expert", "张一", "--of", "expert",
                   "--rating", "1", who="zhang1")
    assert r.code == 3 and "由办公室据申报方的评价表录入" in r.err and "SHA-30" in r.err
    r = review.run("review", "feedback", ref, "--stage", "material", "--expert", "张二", "--of", "applicant",
                   "--rating", "4", who="zhang1")
    assert r.code == 3 and "以本人身份" in r.err
    r = review.run("review", "feedback", ref, "--stage", "material", "--expert", "张三", "--of", "expert", "--rating", "4")
    assert r.code == 3 and "未参加" in r.err
    r = review.run("review", "feedback", ref, "--stage", "material", "--expert", "张一", "--of", "expert", "--rating", "6")
    assert r.code == 2 and "1 到 5" in r.err
    summary = review.ok("review", "feedback-summary", "--round", ROUND, "--json").json
    per = {e["expert"]: e for e in summary["experts"]}
    assert (per["张一"]["received"], per["张一"]["received_mean"], per["张一"]["given"]) == (1, 5.0, 1)
    assert per["张二"]["low"] == [f"{ref}：2分（评审时接受宴请）"]
    assert summary["round"] == {"of_expert": 2, "of_expert_mean": 3.5, "of_applicant": 1, "of_applicant_mean": 4.0}
    kinds = [e["kind"] for e in review.history(ref)]
    assert kinds.count("review_feedback") == 3


def test_export_to_excel_and_csv_with_chinese_headers(review: Review, tmp_path) -> None:
    review.ok("review", "assign", "--round", ROUND, "--stage", "material")
    ref = review.refs[0]
    first = next(a for a in review.ok("review", "assignments", ref, "--json").json)
    review.ok("review", "score", ref, "--stage", "material", *items(0.6), "--comment", "建议完善战略部署",
              who=review.experts[first["expert"]][1])
    review.ok("review", "feedback", ref, "--stage", "material", "--expert", first["expert"], "--of", "expert",
              "--rating", "5")
    path = tmp_path / "评审.xlsx"
    r = review.ok("review", "export", "--round", ROUND, "--format", "xlsx", "-o", str(path))
    assert "资料评审" in r.out
    wb = load_workbook(path)
    assert wb.sheetnames == ["资料评审", "现场评审", "综合评价", "资料评审排名", "现场评审排名", "双向反馈", "反馈汇总"]
    ws = wb["资料评审"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["案件编号", "申报主体", "赛道", "专家", "分配人", "分配时间", "分配状态"]
    assert "4.7 结果（400分）" in header and "是否计入" in header
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 12
    scored = next(r for r in rows if r[0] == ref and r[3] == first["expert"])
    assert scored[header.index("总分")] == 600 and scored[header.index("4.7 结果（400分）")] == 240
    assert scored[header.index("评语")] == "建议完善战略部署" and scored[header.index("是否计入")] == "是"
    ranking = [[c.value for c in row] for row in wb["资料评审排名"].iter_rows()]
    assert ranking[0][:4] == ["赛道", "名次", "并列", "案件编号"] and ranking[1][3] == ref
    assert [c.value for c in wb["双向反馈"][2]][3:5] == ["申报方评价专家纪律", 5]
    csv_path = tmp_path / "评审.csv"
    review.ok("review", "export", "--round", ROUND, "--format", "csv", "-o", str(csv_path))
    with csv_path.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0][:3] == ["表", "案件编号", "申报主体"]
    assert sum(1 for line in lines if line and line[0] == "资料评审") == 12
    r = review.run("review", "export", "--round", ROUND, "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert r.code == 2
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    r = review.run("review", "export", "--round", ROUND, "--format", "xlsx", "-o", str(fifo))
    assert r.code == 2 and "不是普通文件" in r.err


def test_winners_senior_managers_join_the_pool(office: Office) -> None:
    ref = office.in_commendation("2026-05-06 10:00")
    r = office.run("advance", ref, "commend", "--set", "award_document=沪府〔2026〕1号",
                   "--set", "senior_managers=陈董事长,董事长\n刘总经理,总经理", now="2026-09-01 10:00")
    assert r.code == 0, r
    joined = [e for e in office.run("expert", "list", "--pool", "shanghai_gov", "--json", now=NOW).json]
    party = office.show(ref)["party"]
    assert [(e["name"], e["title"], e["org_code"], e["joined_by"]) for e in joined] == [
        ("陈董事长", "董事长", party["code"], "award"), ("刘总经理", "总经理", party["code"], "award")]
    event = [e for e in office.history(ref) if e["kind"] == "experts_joined"]
    assert len(event) == 1 and event[0]["detail"]["rule"] == "SHA-33"
