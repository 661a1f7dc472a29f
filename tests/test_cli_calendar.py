"""`award calendar import` and `award calendar show` through the CLI, in a fresh office data folder.

The office's years go to `<AWARD_HOME>/calendars/`, outside the installed package: a reinstall (here:
a fresh copy of the bundled definitions, as pip lays them down) does not lose them.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest
from award.cli import main
from award.workflow.specs.loader import bundled_definitions
from click.testing import CliRunner

from tests.conftest import Result, make_runner

NOTICES = Path(__file__).resolve().parent / "data" / "notices"

# MADE-UP TEST DATA, NOT THE OFFICIAL 2027 ARRANGEMENT: the State Council had not published it when this
# was written. New Year's Day deliberately reaches back to Thursday 2026-12-31, so that it moves due times
# counted through late December 2026. The office imports the real notice when it is published.
MADE_UP_2027 = """国务院办公厅关于2027年部分节假日安排的通知（测试用虚构文本，非官方）
　　一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
　　二、春节：2月5日（农历除夕、周五）至12日（周五）放假调休，共8天。2月20日（周六）上班。
"""


@pytest.fixture
def home() -> Path:
    return Path(os.environ["AWARD_HOME"])


@pytest.fixture
def nodb(tmp_path):
    """The CLI before `award init`: the calendar commands must not need a database."""
    return make_runner(str(tmp_path / "never-created.db"), tmp_path)


def run_with_input(argv: list[str], text: str, workdir: Path) -> Result:
    """The CLI with `text` on stdin (for `import -` and the confirmation prompt)."""
    runner = CliRunner()
    code = 0
    with runner.isolation(input=text) as streams:
        cwd = os.getcwd()
        os.chdir(workdir)
        try:
            main(["--db", str(workdir / "never-created.db"), *argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(cwd)
    return Result(code=code, out=streams[0].getvalue().decode(), err=streams[1].getvalue().decode())


def test_every_real_year_imported_in_a_fresh_data_folder_matches_chinesecalendar(nodb, home):
    for year in range(2015, 2027):
        result = nodb("calendar", "import", str(NOTICES / f"{year}.txt"), "--yes", who=None)
        assert result.code == 0, result
        assert f"已保存 {year} 年节假日安排" in result.out
    for year in range(2015, 2027):
        shown = nodb("calendar", "show", str(year), "--json", who=None)
        assert shown.code == 0, shown
        days = shown.json["days"]
        assert len(days) == (date(year, 12, 31) - date(year, 1, 1)).days + 1
        for info in days:
            day = date.fromisoformat(info["day"])
            assert info["working"] == chinese_calendar.is_workday(day), info
            assert info["source"].startswith("办公数据/calendars/"), info  # the imported file, not the package
    assert sorted(p.name for p in (home / "calendars").glob("*.yaml")) == [f"{y}.yaml" for y in range(2015, 2027)]


def test_import_records_who_and_when_and_survives_a_reinstall(award, home, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(MADE_UP_2027, encoding="utf-8")
    result = award("calendar", "import", str(notice), "--yes", now="2026-12-01 10:00")
    assert result.code == 0, result
    saved = home / "calendars" / "2027.yaml"
    text = saved.read_text(encoding="utf-8")
    assert 'imported_by: "wang"' in text and "imported_at: " in text
    assert "{name: 元旦, off: [2026-12-31, 2027-01-03], makeup: [2027-01-09]}" in text
    assert (home / "calendars" / "2027.notice.txt").read_text(encoding="utf-8") == MADE_UP_2027  # the source kept
    package = Path(str(bundled_definitions())).resolve().parent
    assert not saved.resolve().is_relative_to(package)
    assert not (bundled_definitions() / "calendars" / "2027.yaml").exists()

    # a reinstall lays the package's files down afresh: the office's year is still there and still counts
    reinstalled = tmp_path / "reinstalled" / "definitions"
    shutil.copytree(bundled_definitions(), reinstalled)
    day = award("calendar", "day", "2026-12-31", "--json", definitions=str(reinstalled))
    assert day.code == 0, day
    assert (day.json["working"], day.json["holiday"], day.json["source"]) == (
        False, "元旦", "办公数据/calendars/2027.yaml")
    assert award("calendar", "day", "2027-01-09", "--json").json["kind"] == "makeup"


def test_import_shows_the_grid_and_the_changes_before_saving(nodb, home, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(MADE_UP_2027, encoding="utf-8")
    result = nodb("calendar", "import", str(notice), "--yes", who=None)
    assert result.code == 0, result
    assert "2027年1月" in result.out and "一   二   三   四   五   六   日" in result.out
    assert " 9班" in result.out and " 1休" in result.out
    assert "当前没有 2027 年的数据" in result.out
    # the one 2026 day it changes is listed against the bundled data
    assert "2026年12月31日" in result.out and "工作日" in result.out and "元旦放假" in result.out

    again = nodb("calendar", "import", str(notice), "--yes", who=None)
    assert again.code == 0 and "与当前数据相比没有变化" in again.out and "将替换" in again.out


def test_import_asks_before_saving(tmp_path, home):
    notice = tmp_path / "2026.txt"
    notice.write_text((NOTICES / "2026.txt").read_text(encoding="utf-8"), encoding="utf-8")
    declined = run_with_input(["calendar", "import", str(notice)], "n\n", tmp_path)
    assert declined.code == 0, declined
    assert "已取消" in declined.out and not (home / "calendars" / "2026.yaml").exists()
    accepted = run_with_input(["calendar", "import", str(notice)], "y\n", tmp_path)
    assert accepted.code == 0, accepted
    assert (home / "calendars" / "2026.yaml").exists()


def test_import_from_stdin_needs_yes(tmp_path, home):
    text = (NOTICES / "2024.txt").read_text(encoding="utf-8")
    refused = run_with_input(["calendar", "import", "-"], text, tmp_path)
    assert refused.code == 2, refused
    assert "--yes" in refused.err and not (home / "calendars" / "2024.yaml").exists()
    saved = run_with_input(["calendar", "import", "-", "--yes"], text, tmp_path)
    assert saved.code == 0, saved
    assert (home / "calendars" / "2024.yaml").exists()


@pytest.mark.parametrize("item,sentence", [
    ("一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。", "1月1日（周五）至3日（周六）放假调休"),
    ("一、国庆节：10月1日（周五）至7日（周四）放假调休，共8天。", "共8天"),
    ("一、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。10月13日（周三）上班。", "10月13日（周三）上班"),
])
def test_a_malformed_notice_is_refused_with_its_sentence_and_nothing_is_saved(nodb, home, tmp_path, item, sentence):
    notice = tmp_path / "bad.txt"
    notice.write_text(f"国务院办公厅关于2027年部分节假日安排的通知\n{item}\n", encoding="utf-8")
    result = nodb("calendar", "import", str(notice), "--yes", who=None)
    assert result.code == 2, result
    assert sentence in result.err and "Traceback" not in result.err
    assert not (home / "calendars" / "2027.yaml").exists()


def test_a_year_that_clashes_with_another_imported_year_is_refused(nodb, home, tmp_path):
    assert nodb("calendar", "import", str(NOTICES / "2019.txt"), "--yes", who=None).code == 0
    clash = (NOTICES / "2018.txt").read_text(encoding="utf-8").replace(
        "　　节假日期间", "　　八、测试：12月29日（星期六）放假。\n　　节假日期间")
    notice = tmp_path / "2018.txt"
    notice.write_text(clash, encoding="utf-8")
    result = nodb("calendar", "import", str(notice), "--yes", who=None)
    assert result.code == 2, result
    assert "冲突" in result.err and "2018-12-29" in result.err
    assert not (home / "calendars" / "2018.yaml").exists()


def test_calendar_show_month_grid_and_json(nodb):
    shown = nodb("calendar", "show", "2026", "--month", "10", who=None)
    assert shown.code == 0, shown
    lines = shown.out.splitlines()
    assert "一   二   三   四   五   六   日" in lines
    assert " 1休  2休  3休  4休" in shown.out and "10班" in shown.out
    assert "  国庆节：放假 1—7日；调休上班 10日" in lines
    assert "2026年9月" not in shown.out
    days = nodb("calendar", "show", "2026", "--month", "10", "--json", who=None).json["days"]
    assert len(days) == 31 and days[9]["kind"] == "makeup" and days[0]["holiday"] == "国庆节"
    year = nodb("calendar", "show", "2026", "--json", who=None).json
    assert len(year["days"]) == 365 and year["source"] == "calendars/2026.yaml"
    assert next(d["day"] for d in year["days"] if d["provisional"]) == "2026-12-20"


def test_calendar_show_of_an_unknown_year_names_the_import_command(nodb, home):
    result = nodb("calendar", "show", "2027", who=None)
    assert result.code == 6, result
    assert "award calendar import" in result.err and str(home / "calendars") in result.err


def test_a_year_after_an_unknown_one_can_be_imported(nodb, home, tmp_path):
    notice = tmp_path / "2028.txt"
    notice.write_text("国务院办公厅关于2028年部分节假日安排的通知（测试用虚构文本，非官方）\n"
                      "　　一、元旦：1月1日（周六）至3日（周一）放假，共3天。\n", encoding="utf-8")
    result = nodb("calendar", "import", str(notice), "--yes", who=None)
    assert result.code == 0, result
    assert nodb("calendar", "day", "2028-01-03", "--json", who=None).json["kind"] == "holiday"
