"""`award demo`: the 2026 round of the Shanghai Government Quality Award, one case per track.

Every step is a real `award` command run against a fresh SQLite file in the
demo folder, printed as the office would type it. Business time moves with
`--now` across the 2026 National Day holiday (a make-up Saturday counts).
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["run_demo"]

DEPLOYMENT = """\
office:
  name: 上海市政府质量奖审定委员会办公室
  email: [award-office@example.gov.cn]
districts:
  浦东新区: {email: [quality@pudong.example.gov.cn]}
  徐汇区: {email: [quality@xuhui.example.gov.cn]}
notifiers:
  email: {kind: spool, folder: mail, sender: award-office@example.gov.cn}
delivery: {inline: true}      # the demo spools in its own process; an office delivers from the scheduler
"""

PAST_AWARDS = """\
code,procedure,award,awarded_on,label
91310115MA1H7GQX5D,sha,gold_model,2021-12-20,2021年上海市质量金奖·先进质量管理模式
"""

ORG_A = "91310000MA1FL1GF94"
ORG_B = "91310115MA1H7GQX5D"
PERSON_C = "11010519491231002X"
PERSON_D = "440524188001010014"

DECLARE_ORG = ["registered_in_shanghai=是", "licensed_compliant=是", "chief_quality_officer=是", "no_loss_5y=是",
               "no_major_accident=是", "no_major_complaint=是", "no_serious_dishonesty=是",
               "district_award_same_year=否"]


def run_demo(folder: Path, main: Callable[..., None]) -> None:
    """Run the whole walk-through in `folder` (recreated)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (folder / "past-awards.csv").write_text(PAST_AWARDS, encoding="utf-8")
    db = str(folder / "award.db")
    base = ["--db", db, "--deployment", str(folder / "deployment.yaml")]

    def award(*args: str, now: str | None = None, who: str | None = "wang", quiet: bool = False) -> None:
        extra = (["--now", now] if now else []) + (["--as", who] if who else [])
        argv = [*base, *extra, *args]
        shown = " ".join(shlex.quote(a) for a in [*extra, *args])
        print(f"\n$ award {shown}")
        try:
            main(argv)
        except SystemExit as exc:
            if exc.code not in (0, None):
                print(f"(exit {exc.code})")

    def entry_number(ref: str, entry: str) -> int:
        """The number of the latest entry of that kind on the case (read quietly from `entry list --json`)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main([*base, "--as", "wang", "entry", "list", ref, "--json"])
            except SystemExit:
                pass
        return int([e["number"] for e in json.loads(out.getvalue()) if e["entry"] == entry][-1])

    def many(ref: str, steps: Sequence[tuple[str, str, Sequence[str]]], who: str) -> None:
        for trigger, now, sets in steps:
            award("advance", ref, trigger, *[a for s in sets for a in ("--set", s)], now=now, who=who)

    print("== 准备：数据库、工作人员、轮次、申报主体、系统启用前的获奖记录 ==")
    # Whoever runs the demo is its administrator (bound to their own OS login); the officers it
    # acts for are bound to logins of their own, and each `--as` below is recorded as delegation.
    award("init", "--admin", "admin", who=None)
    award("staff", "add", "wang", "--login", "demo-wang", "--role", "office@sha", who=None)
    award("staff", "add", "li", "--login", "demo-li", "--role", "reviewer@sha", "--email", "li@example.gov.cn",
          who=None)
    award("staff", "add", "zhao", "--login", "demo-zhao", "--role", "committee@sha", who=None)
    award("round", "open", "sha", "2026", now="2026-03-02 09:00")
    award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", ORG_A,
          "--registered-on", "2015-06-01", "--district", "浦东新区", "--email", "quality@jia.example.com")
    award("party", "add", "--kind", "organization", "--name", "上海乙精密制造有限公司", "--code", ORG_B,
          "--registered-on", "2008-04-10", "--district", "徐汇区", "--email", "qm@yi.example.com")
    award("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON_C, "--email", "chen@example.com",
          "--district", "浦东新区")
    award("party", "add", "--kind", "person", "--name", "邓卓越", "--code", PERSON_D, "--email", "deng@example.com",
          "--district", "徐汇区")
    award("party", "import-awards", str(folder / "past-awards.csv"))

    print("\n== 开启案件：四个赛道（其中一件由推荐而来，SHA-21） ==")
    award("case", "new", "--party", ORG_A, "--round", "sha-2026", "--track", "gold_model", "--start", "recommend",
          "--set", "recommender=上海市经济和信息化委员会", now="2026-03-02 09:00")
    award("case", "new", "--party", ORG_B, "--round", "sha-2026", "--track", "mayor_model", now="2026-03-02 09:10")
    award("case", "new", "--party", PERSON_C, "--round", "sha-2026", "--track", "gold_achievement",
          now="2026-03-02 09:20")
    award("case", "new", "--party", PERSON_D, "--round", "sha-2026", "--track", "mayor_achievement",
          now="2026-03-02 09:30")
    award("advance", "SHA-2026-001", "confirm_willingness", now="2026-03-02 10:00")

    print("\n== 内部公示（SHA-20，5个工作日）：提前提交会被拒绝 ==")
    award("advance", "--round", "sha-2026", "--state", "draft", "start_internal_notice", now="2026-03-02 11:00")
    award("advance", "SHA-2026-002", "submit", now="2026-03-05 09:00")
    award("tick", now="2026-03-10 08:00", who=None)

    print("\n== 提交申报：资格条件逐条检查（SHA-16、SHA-17、SHA-18） ==")
    award("advance", "SHA-2026-003", "submit", "--set", "district_award_same_year=否", "--set",
          "quality_work_since=2023-01-01", now="2026-03-10 09:00")
    for ref, sets in (
        ("SHA-2026-001", [*DECLARE_ORG, "contact_email=quality@jia.example.com"]),
        ("SHA-2026-002", [*DECLARE_ORG, "contact_email=qm@yi.example.com"]),
        ("SHA-2026-003", ["quality_work_since=2015-03-01", "is_principal=否", "district_award_same_year=否",
                          "contact_email=chen@example.com"]),
        ("SHA-2026-004", ["quality_work_since=2009-07-01", "is_principal=否", "district_award_same_year=否",
                          "contact_email=deng@example.com"]),
    ):
        award("advance", ref, "submit", *[a for s in sets for a in ("--set", s)], now="2026-03-10 09:30")

    print("\n== 资格审查与公示（SHA-22）、资料评审（SHA-23）、现场评审（SHA-24）、综合评价（SHA-25） ==")
    award("entry", "add", "SHA-2026-001", "consultation", "--to", "市生态环境局", "--on", "2026-03-12",
          "--text", "近5年有无环境违法记录", now="2026-03-12 10:00")
    letter = entry_number("SHA-2026-001", "consultation")
    award("entry", "answer", "SHA-2026-001", str(letter), "--on", "2026-03-18", "--text", "近5年无环境违法记录",
          now="2026-03-18 10:00")
    for ref in ("SHA-2026-001", "SHA-2026-002", "SHA-2026-003", "SHA-2026-004"):
        award("checklist", "record", ref, "--all", "--finding", "符合", now="2026-03-19 10:00", who="li")
    award("advance", "--round", "sha-2026", "--state", "qualification_review", "pass_qualification",
          now="2026-03-20 10:00", who="li")
    award("tick", now="2026-03-28 00:30", who=None)
    for ref in ("SHA-2026-001", "SHA-2026-002", "SHA-2026-003", "SHA-2026-004"):
        many(ref, [
            ("select_for_site_review", "2026-05-15 10:00", ["material_review_report=资料评审报告：过程管理与结果指标较好，建议加强数字化质量管理。"]),
        ], who="wang")
        many(ref, [
            ("complete_site_review", "2026-07-10 10:00", ["site_review_report=现场评审报告：领导作用突出。"]),
            ("complete_evaluation", "2026-08-20 10:00", ["evaluation_report=综合评价报告：建议授奖。"]),
        ], who="li")
        award("advance", ref, "propose", now="2026-09-01 10:00")

    print("\n== 审定委审议（名额 SHA-3）、报批、拟获奖名单公示跨国庆假期（SHA-26） ==")
    award("advance", "--round", "sha-2026", "--state", "committee_review", "committee_approve",
          now="2026-09-15 10:00", who="zhao")
    award("advance", "--round", "sha-2026", "--state", "approval", "approve", "--set",
          "approval_document=沪审定委〔2026〕5号", now="2026-09-28 09:00")
    award("calendar", "due", "2026-09-28 09:00", "5 working days", who=None)
    award("tick", now="2026-10-10 12:00", who=None)
    award("tick", now="2026-10-11 00:05", who=None)

    print("\n== 发文表彰（SHA-27）；获奖后3年每年报送质量绩效报告（SHA-33） ==")
    award("advance", "--round", "sha-2026", "--state", "commendation", "commend", "--set",
          "award_document=沪府〔2026〕88号", now="2026-10-20 09:00")
    award("cases", "--round", "sha-2026", who=None)
    award("show", "SHA-2026-002", now="2026-10-20 09:30")
    award("history", "SHA-2026-001", who=None)
    award("outbox", "list", who=None)
    award("verify", who=None)
    print(f"\n演示完成。数据库：{db}；发出的邮件（.eml）在 {folder / 'mail'}")
