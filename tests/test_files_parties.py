"""Files given to a case kept and got back (checked by `award verify`); parties found and corrected."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tests.fixtures_sha import (
    Office,
    office_fixture,  # noqa: F401 - fixtures
)
from tests.helpers import resident_id, uscc

PUBLISHED = "2026-05-06 10:00"


def stored_path(sha: str) -> Path:
    return Path(os.environ["AWARD_HOME"]) / "files" / sha[:2] / sha


def test_objection_evidence_is_kept_listed_got_back_and_verified(office: Office, tmp_path: Path) -> None:
    ref = office.in_notice(PUBLISHED)
    proof = tmp_path / "证书复印件.pdf"
    proof.write_bytes(b"%PDF-1.4 evidence " * 100)
    sha = hashlib.sha256(proof.read_bytes()).hexdigest()
    r = office.run("objection", "file", ref, "--by", "张三", "--contact", "13800000000", "--reason", "证书存疑",
                   "--evidence", str(proof), now="2026-05-08 09:00")
    assert r.code == 0, r
    proof.unlink()  # the office's copy is what counts now
    listed = office.run("case", "files", ref, "--json").json
    assert [(f["name"], f["sha256"], f["purpose"], f["stored"]) for f in listed] == [
        ("证书复印件.pdf", sha, "evidence", True)]
    history = office.run("history", ref, "--json").json["events"]
    filed = next(e for e in history if e["kind"] == "objection_filed")
    assert filed["detail"]["evidence"][0]["sha256"] == sha and filed["seq"] == listed[0]["event_seq"]
    out = tmp_path / "取回.pdf"
    r = office.run("case", "file", ref, "证书复印件.pdf", "-o", str(out))
    assert r.code == 0, r
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    r = office.run("verify")
    assert r.code == 0 and "1 个存档文件与摘要相符" in r.out, r
    target = stored_path(sha)
    os.chmod(target, 0o640)
    target.write_bytes(b"changed")
    r = office.run("verify")
    assert r.code == 7 and f"{ref} 文件 证书复印件.pdf：存档与记录的摘要不符" in r.err, r
    r = office.run("case", "file", ref, "证书复印件.pdf", "-o", str(out))
    assert r.code == 7 and "可能被改动" in r.err, r
    target.unlink()
    r = office.run("verify", ref)
    assert r.code == 7 and "存档不见了" in r.err, r


def test_attach_documents_and_the_same_content_is_stored_once(office: Office, tmp_path: Path) -> None:
    ref = office.new_case(at="2026-04-01 09:00")
    a, b = tmp_path / "调查报告.pdf", tmp_path / "副本.pdf"
    a.write_bytes(b"survey report")
    b.write_bytes(b"survey report")
    r = office.run("case", "attach", ref, str(a), str(b), "--comment", "区审核通过的调查报告")
    assert r.code == 0, r
    files = office.run("case", "files", ref, "--json").json
    assert [f["name"] for f in files] == ["调查报告.pdf", "副本.pdf"]
    assert len({f["sha256"] for f in files}) == 1
    assert sorted(p.name for p in (Path(os.environ["AWARD_HOME"]) / "files").rglob("*") if p.is_file()) == [
        files[0]["sha256"]]
    r = office.run("case", "file", ref, "nope.pdf", "-o", str(tmp_path / "x"))
    assert r.code == 4 and "找不到" in r.err, r


ORG = uscc("91310115MA1H7G8K0")
OTHER = uscc("91310101MA1FPX0A1")


def test_same_organisation_name_refused_persons_told_apart_by_id(office: Office) -> None:
    run = office.run
    assert run("party", "add", "--kind", "organization", "--name", "上海浦江质量科技有限公司", "--code", ORG).code == 0
    r = run("party", "add", "--kind", "organization", "--name", "上海浦江质量科技有限公司", "--code", OTHER)
    assert r.code == 2 and "已有同名组织 #1 上海浦江质量科技有限公司" in r.err, r
    p1, p2 = resident_id("31010119800101001"), resident_id("31010119850202002")
    assert run("party", "add", "--kind", "person", "--name", "张伟", "--code", p1).code == 0
    assert run("party", "add", "--kind", "person", "--name", "张伟", "--code", p2).code == 0
    r = run("party", "show", "张伟")
    assert r.code == 2 and "名称“张伟”对应 2 个申报主体" in r.err and "310101********0018" in r.err, r
    assert p1 not in r.err and p2 not in r.err
    assert run("party", "show", p2, "--json").json["name"] == "张伟"


def test_search_set_and_history(office: Office) -> None:
    run = office.run
    assert run("party", "add", "--kind", "organization", "--name", "上海浦江质量科技有限公司", "--code", ORG,
               "--district", "浦东新区", "--email", "old@example.cn").code == 0
    assert run("party", "add", "--kind", "organization", "--name", "上海黄浦制造有限公司", "--code", OTHER).code == 0
    found = run("party", "search", "浦江", "--json").json
    assert [p["name"] for p in found] == ["上海浦江质量科技有限公司"]
    r = run("party", "set", ORG, "--name", "上海浦江卓越质量科技有限公司", "--email", "new@example.cn",
            "--district", "闵行区", "--reason", "更名，见新营业执照", now="2026-06-01 10:00")
    assert r.code == 0, r
    assert "名称：上海浦江质量科技有限公司 → 上海浦江卓越质量科技有限公司" in r.out
    assert "所在区：浦东新区 → 闵行区" in r.out
    r = run("party", "set", ORG, "--name", "上海黄浦制造有限公司")
    assert r.code == 2 and "已有同名组织" in r.err, r
    r = run("party", "set", ORG, "--email", "not-an-address")
    assert r.code == 2 and "不是有效的电子邮件地址" in r.err, r
    history = run("party", "history", ORG, "--json").json["history"]
    assert [(h["kind"], h["actor"], h["reason"]) for h in history] == [("party_changed", "wang", "更名，见新营业执照")]
    assert history[0]["data"]["changes"] == {"name": ["上海浦江质量科技有限公司", "上海浦江卓越质量科技有限公司"],
                                             "email": ["old@example.cn", "new@example.cn"],
                                             "district": ["浦东新区", "闵行区"]}
    assert history[0]["business_time"] == "2026-06-01T10:00:00+08:00"  # JSON times in Shanghai


def test_imported_record_corrected_and_removed_with_a_reason(office: Office, tmp_path: Path) -> None:
    run = office.run
    assert run("party", "add", "--kind", "organization", "--name", "上海浦江质量科技有限公司", "--code", ORG).code == 0
    csv = tmp_path / "a.csv"
    csv.write_text(f"统一社会信用代码,流程,奖项,获奖日期\n{ORG},sha,gold_model,2020-12-20\n", encoding="utf-8")
    assert run("import", "awards", str(csv)).code == 0
    record = run("party", "show", ORG, "--json").json["records"][0]
    r = run("party", "record", "correct", ORG, str(record["id"]), "--set", "awarded_on=2021年12月20日",
            "--reason", "原表年份有误")
    assert r.code == 0 and "获奖日期：2020-12-20 → 2021-12-20" in r.out, r
    assert run("party", "show", ORG, "--json").json["records"][0]["awarded_on"] == "2021-12-20"
    r = run("party", "record", "remove", ORG, str(record["id"]), "--reason", "误录")
    assert r.code == 0, r
    assert run("party", "show", ORG, "--json").json["records"] == []
    kinds = [(h["kind"], h["reason"]) for h in run("party", "history", ORG, "--json").json["history"]]
    assert kinds == [("record_imported", None), ("record_corrected", "原表年份有误"), ("record_removed", "误录")]
    r = run("party", "record", "remove", ORG, str(record["id"]), "--reason", "再删")
    assert r.code == 4, r


def test_case_contact_corrected_at_a_late_stage_and_notices_follow(office: Office) -> None:
    ref = office.in_notice(PUBLISHED)
    due = office.timer(ref, "qualification_notice_elapsed")["due_at"]
    office.tick(due)  # the case is now in material review: contact fields are no longer editable by --set
    r = office.run("advance", ref, "not_selected", "--set", "contact_email=x@example.com",
                   "--set", "material_review_report=报告")
    assert r.code == 2 and "不能修改" in r.err, r
    r = office.run("case", "contact", ref, "--set", "contact_email=new@example.com", "--set", "contact_phone=bad!",
                   "--reason", "联系人变更")
    assert r.code == 2 and "有 1 处错误，未作任何修改" in r.err and "不是有效的电话号码：'bad!'" in r.err, r
    r = office.run("case", "contact", ref, "--set", "contact_email=new@example.com", "--reason", "联系人变更",
                   who="li")
    assert r.code == 3 and "更正案件联系方式只能由 市审定办 执行" in r.err, r
    r = office.run("case", "contact", ref, "--set", "contact_email=new@example.com", "--reason", "联系人变更")
    assert r.code == 0 and "contact_email=new@example.com" in r.out, r
    events = office.run("history", ref, "--json").json["events"]
    last = events[-1]
    assert last["kind"] == "contact_corrected" and last["comment"] == "联系人变更" and last["actor"] == "wang"
    assert last["changes"] == {"联系人电子邮箱": "new@example.com"}
    assert last["detail"]["before"] == {"contact_email": "applicant@example.com"}
    r = office.run("advance", ref, "not_selected", "--set", "material_review_report=资料评审报告：……")
    assert r.code == 0, r
    rows = office.run("outbox", "list", "--case", ref, "--json").json
    feedback = [x for x in rows if x["template"] == "material_review_feedback"]
    assert [x["recipient"] for x in feedback] == ["new@example.com"]
    assert office.run("verify", ref).code == 0


def test_files_given_with_a_step_are_kept_in_the_same_transaction(office: Office, tmp_path: Path) -> None:
    ref = office.new_case(at="2026-04-01 09:00")
    scan = tmp_path / "内部公示照片.jpg"
    scan.write_bytes(b"\xff\xd8 photo of the notice board")
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    r = office.run("advance", ref, "start_internal_notice", "--file", str(scan), now="2026-04-01 10:00")
    assert r.code == 0, r
    files = office.run("case", "files", ref, "--json").json
    events = office.run("history", ref, "--json").json["events"]
    step = events[-1]
    assert step["trigger"] == "start_internal_notice" and step["detail"]["files"][0]["sha256"] == sha
    assert [(f["name"], f["event_seq"], f["purpose"]) for f in files] == [("内部公示照片.jpg", step["seq"], "attachment")]
    other = office.new_case(at="2026-04-01 09:00")
    r = office.run("advance", other, "submit", "--file", str(scan), now="2026-04-01 10:00")
    assert r.code == 3, r  # refused: nothing recorded for that case
    assert office.run("case", "files", other, "--json").json == []
