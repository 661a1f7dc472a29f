"""Bad input is refused cleanly (issue 16, items 1-4): ids, dates, text, files. No traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ISSUERS, add_staff, make_runner
from tests.helpers import execute_sql, resident_id, table_dump

ORG = "91310000MA1FL1GF94"
PERSON = resident_id("31010119800101001")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, module_db_url: str):
    """A round, an organisation whose name is rich markup, and a case in its internal notice (once per backend)."""
    folder = tmp_path_factory.mktemp("robust")
    deployment = folder / "deployment.yaml"
    deployment.write_text("office:\n  email: [office@example.gov.cn]\n"
                          "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n",
                          encoding="utf-8")
    run = make_runner(module_db_url, folder, deployment, home=folder / "home")
    add_staff(run, {"wang": ("office", ISSUERS)})
    for args in (("round", "open", "sha", "2026", "--opened-on", "2026-03-02"),
                 ("party", "add", "--kind", "organization", "--name", "上海[/]质量[bold]公司", "--code", ORG,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", ORG, "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", "SHA-2026-001", "start_internal_notice", "--comment", "[/]说明")):
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    run.folder = folder  # type: ignore[attr-defined]
    run.db = module_db_url  # type: ignore[attr-defined]
    return run


def db_bytes(db: str) -> bytes:
    """The SQLite file's bytes (for the tests about the file itself)."""
    return Path(db).read_bytes()


# ------------------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize("args", [
    ("show", "²"), ("show", "٣"), ("show", "99999999999999999999"), ("show", "--", "-1"), ("show", ""),
    ("history", "99999999999999999999"), ("verify", "²"), ("party", "show", "99999999999999999999"),
    ("party", "show", "²"),
])
def test_odd_case_and_party_ids_are_not_found(office, args: tuple[str, ...]) -> None:
    r = office(*args)
    assert r.code == 4, r
    assert "找不到" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("command", [("timers", "retry"), ("outbox", "retry"), ("objection", "resolve")])
@pytest.mark.parametrize("value", ["²", "99999999999999999999", "-1", "", "0", "1.5"])
def test_odd_record_ids_are_usage_errors(office, command: tuple[str, ...], value: str) -> None:
    extra = ("--dismiss", "--reason", "理由") if command[0] == "objection" else ()
    r = office(*command, *extra, "--", value)
    assert r.code == 2, r
    assert "编号须为 1 到 2147483647 之间的整数" in r.err


def test_a_large_but_valid_record_id_is_not_found(office) -> None:
    # PostgreSQL's INTEGER ids end at 2**31-1; a larger id used to reach the query there and fail with
    # "integer out of range" (a traceback). Every backend now takes ids up to that bound only.
    r = office("timers", "retry", "2147483647")
    assert r.code == 4, r
    r = office("timers", "retry", "2147483648")
    assert r.code == 2 and "编号须为 1 到 2147483647 之间的整数" in r.err, r


# ------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize("args", [
    ("--now", "0001-01-01", "cases"), ("--now", "9999-12-31 23:59", "cases"),
    ("calendar", "due", "9999-12-31", "5 working days"), ("calendar", "due", "0001-01-01", "1 days"),
    ("calendar", "day", "9999-12-31"), ("calendar", "day", "0001-01-01"),
    ("calendar", "due", "2026-01-01", "9999-12-31"),
])
def test_dates_at_the_edges_of_time_name_the_accepted_range(office, args: tuple[str, ...]) -> None:
    r = office(*args)
    assert r.code == 2, r
    assert "1900-01-01 至 2999-12-31" in r.err


def test_a_period_of_a_huge_number_of_days_names_the_limit(office) -> None:
    r = office("calendar", "due", "2026-01-01", "999999999999999999999 days")
    assert r.code == 2, r
    assert "可处理的期限为 1 至 3660" in r.err


def test_a_round_date_of_9999_is_refused_and_no_round_is_opened(award) -> None:
    r = award("round", "open", "sqa", "2026", "--date", "registration_deadline=2026-05-01",
              "--date", "submission_deadline=9999-12-31")
    assert r.code == 2, r
    assert "超出可处理的范围" in r.err
    assert award("round", "list", "--json").json == []


def test_a_form_date_out_of_range_is_refused(award) -> None:
    assert award("round", "open", "sha", "2026", "--opened-on", "2026-03-02").code == 0
    assert award("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON).code == 0
    r = award("case", "new", "--party", PERSON, "--round", "sha-2026", "--track", "gold_achievement",
              "--set", "quality_work_since=9999-12-31")
    assert r.code == 2, r
    assert "超出可处理的范围" in r.err
    r = award("party", "add", "--kind", "organization", "--name", "甲", "--code", ORG, "--registered-on", "9999-12-31")
    assert r.code == 2, r
    assert "1900-01-01 至 2999-12-31" in r.err


# -------------------------------------------------------------------------------------------- text


def test_markup_in_names_and_comments_is_printed_literally(office) -> None:
    for args in (("cases",), ("show", "SHA-2026-001"), ("history", "SHA-2026-001"), ("party", "list"),
                 ("party", "show", ORG), ("staff", "list"), ("timers", "list"), ("outbox", "list")):
        r = office(*args)
        assert r.code == 0, (args, r)
        assert "Traceback" not in r.err
        if args[0] != "staff" and args[0] != "timers" and args[0] != "outbox":
            assert "上海[/]质量[bold]公司" in r.out, (args, r.out)
    assert "[/]说明" in office("history", "SHA-2026-001").out


def test_arguments_that_are_not_utf8_are_usage_errors(award, db_file: str) -> None:
    before = table_dump(db_file)
    r = award("staff", "add", "\udcff", "--login", "x", "--role", "office@sha", who="admin")
    assert r.code == 2, r
    assert "不是有效的 UTF-8 文本" in r.err
    assert table_dump(db_file) == before


@pytest.mark.parametrize("name", ["\x1b[31m红色公司\x1b[0m", "甲\n乙公司", "甲\r乙", "甲\u2028乙", "甲\x00乙", "甲\u202e乙"])
def test_names_with_control_characters_or_line_breaks_are_refused(award, name: str) -> None:
    r = award("party", "add", "--kind", "organization", "--name", name, "--code", ORG)
    assert r.code == 2, r
    assert "Traceback" not in r.err
    assert award("party", "list", "--json").json == []


def test_a_staff_name_with_a_line_break_is_refused(award) -> None:
    r = award("staff", "add", "甲\n乙", "--login", "x", "--role", "office@sha", who="admin")
    assert r.code == 2, r
    assert "只能是一行文字" in r.err


def test_control_characters_already_stored_are_shown_escaped(award, db_file: str) -> None:
    """Data written before these checks (or by another tool) never reaches the terminal raw."""
    assert award("party", "add", "--kind", "organization", "--name", "甲公司", "--code", ORG,
                 "--district", "浦东新区").code == 0
    execute_sql(db_file, "UPDATE parties SET name = :name, district = :district",
                {"name": "甲\x1b[2J公司", "district": "浦东\x1b]0;x\x07"})
    for args in (("party", "show", ORG), ("party", "list")):
        r = award(*args)
        assert r.code == 0, r
        assert "\x1b" not in r.out and "\x07" not in r.out
        assert "\\x1b" in r.out


# ------------------------------------------------------------------------------------------- files


@pytest.mark.sqlite_only("a SQLite file cut short or overwritten with garbage")
def test_a_corrupt_or_truncated_database_is_exit_6_naming_the_file(office, tmp_path: Path) -> None:
    whole = db_bytes(office.db)
    for name, content in (("truncated.db", whole[: len(whole) // 3]), ("garbage.db", b"not a database" * 100)):
        path = tmp_path / name
        path.write_bytes(content)
        run = make_runner(str(path), tmp_path)
        for args in (("cases",), ("staff", "add", "zz", "--login", "zz", "--role", "office@sha"), ("init",)):
            r = run(*args, who=None)
            assert r.code == 6, (name, args, r)
            assert str(path) in r.err and "已损坏" in r.err


@pytest.mark.parametrize("args", [
    ("party", "import-awards", "/dev/zero"),
    ("report", "submit", "SHA-2026-001", "--year", "1", "--file", "/dev/zero"),
    ("objection", "file", "SHA-2026-001", "--by", "张三", "--contact", "138", "--reason", "不实",
     "--evidence", "/dev/zero"),
])
def test_device_files_are_refused_by_a_size_limit(office, args: tuple[str, ...]) -> None:
    before = table_dump(office.db)
    r = office(*args, now="2026-03-03 09:00")
    assert r.code == 2, r
    assert "/dev/zero" in r.err and ("上限" in r.err or "不是普通文件" in r.err)  # refused, never read
    assert table_dump(office.db) == before


def test_a_fifo_is_refused_without_blocking(office, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    r = office("party", "import-awards", str(fifo))
    assert r.code == 2, r
    assert "管道" in r.err


def test_a_latin1_csv_is_a_clean_error(office, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,procedure,award,awarded_on,reason\n"
                     f"{ORG},sha,gold_model,2020-01-01,Société Générale à Paris\n".encode("latin-1"))
    before = table_dump(office.db)
    r = office("party", "import-awards", str(path))
    assert r.code == 2, r
    assert "UTF-8" in r.err and "latin1.csv" in r.err
    assert table_dump(office.db) == before


def test_a_128_kib_csv_field_is_a_clean_error(office, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("code,procedure,award,awarded_on,reason\n" f"{ORG},sha,gold,2020-01-01,{'长' * 140_000}\n",
                    encoding="utf-8")
    before = table_dump(office.db)
    r = office("party", "import-awards", str(path))
    assert r.code == 2, r
    assert "不是有效的 CSV" in r.err and "field larger than field limit" in r.err
    assert table_dump(office.db) == before


def test_a_5000_character_definitions_path_is_a_clean_error(office) -> None:
    r = office("cases", definitions="d/" * 2500)
    assert r.code == 2, r
    assert "路径过长" in r.err
    r = office("definitions", "check", "x" * 5000)
    assert r.code == 2, r
    assert "路径过长" in r.err


@pytest.mark.parametrize("interval", ["0", "-5"])
def test_a_scheduler_interval_below_one_second_is_a_usage_error(office, interval: str) -> None:
    r = office("scheduler", "--interval", interval)
    assert r.code == 2, r
    assert "--interval" in r.err


def _alias_bomb(path: Path) -> Path:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_yaml_alias_bomb_is_refused_in_bounded_time(office, tmp_path: Path) -> None:
    """Ten aliases to ten aliases ... nine deep: a billion nodes in 400 bytes, in a definition or deployment file."""
    import shutil
    import time

    from award.workflow.specs.loader import bundled_definitions

    folder = tmp_path / "defs"
    folder.mkdir()
    shutil.copy(bundled_definitions() / "rules.yaml", folder / "rules.yaml")
    _alias_bomb(folder / "bomb.yaml")
    started = time.monotonic()
    r = office("definitions", "check", str(folder), who=None)
    assert r.code == 6, r
    assert "别名" in r.err and "bomb.yaml" in r.err
    deployment = _alias_bomb(tmp_path / "deployment.yaml")
    r = office("--deployment", str(deployment), "outbox", "list")
    assert r.code == 6, r
    assert "别名" in r.err
    assert time.monotonic() - started < 20
