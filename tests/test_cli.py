"""The `award` command line: help with examples, JSON for every read command, errors without tracebacks,
a safe `init`, masked resident ID numbers, and a light start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from award import cli
from award.workflow.store import SCHEMA_VERSION

from tests.conftest import add_staff, make_runner
from tests.helpers import PERSON_DECLARATIONS, resident_id, sets

PERSON = resident_id("31010119800101001")
PERSON_MASKED = PERSON[:6] + "*" * 8 + PERSON[14:]
ORG = "91310000MA1FL1GF94"



@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, module_db_url: str):
    """Shared by the read-only tests of this module (once per backend): a round, a person (resident ID) with
    a submitted case, and an organisation. The runner works in `office.folder` (the mail spool is there)."""
    folder = tmp_path_factory.mktemp("office")
    deployment = folder / "deployment.yaml"
    deployment.write_text("office:\n  email: [office@example.gov.cn]\n"
                          "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n"
                          "delivery: {inline: true}\n",
                          encoding="utf-8")
    run = make_runner(module_db_url, folder, deployment, home=folder / "home")
    add_staff(run)
    steps = [
        ("round", "open", "sha", "2026", "--opened-on", "2026-03-02"),
        ("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON, "--email", "chen@example.com",
         "--district", "浦东新区"),
        ("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司", "--code", ORG,
         "--registered-on", "2015-06-01"),
        ("case", "new", "--party", PERSON, "--round", "sha-2026", "--track", "gold_achievement"),
        ("advance", "SHA-2026-001", "start_internal_notice"),
    ]
    for args in steps:
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    assert run("tick", now="2026-03-10 00:05", who=None).code == 0
    r = run("advance", "SHA-2026-001", "submit", *sets([*PERSON_DECLARATIONS, "quality_work_since=2015-03-01"]),
            now="2026-03-10 09:30")
    assert r.code == 0, r
    run.folder = folder  # type: ignore[attr-defined]
    return run


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory):
    """A runner on a database nobody initialised (help and definitions need none)."""
    folder = tmp_path_factory.mktemp("bare")
    return make_runner(str(folder / "award.db"), folder)


# ------------------------------------------------------------------------------ help


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


COMMANDS = list(_commands(cli.cli))
GROUPS = [name for name, c in sorted(cli.cli.commands.items()) if isinstance(c, click.Group)]


def test_top_level_help(bare) -> None:
    r = bare("--help", who=None)
    assert r.code == 0, r
    assert "示例" in r.out and "award case new" in r.out
    for name in cli.cli.commands:
        assert name in r.out


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help_with_an_example(bare, path: tuple[str, ...]) -> None:
    r = bare(*path, "--help", who=None)
    assert r.code == 0, r
    assert f"用法：award {' '.join(path)}" in r.out
    assert "示例" in r.out, f"`award {' '.join(path)} --help` shows no example"


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_lists_its_commands(bare, group: str) -> None:
    r = bare(group, "--help", who=None)
    assert r.code == 0, r
    for name in cli.cli.commands[group].commands:  # type: ignore[attr-defined]
        assert name in r.out


# ----------------------------------------------------------------------- definitions


def test_definitions_list_and_show(bare) -> None:
    award = bare
    r = award("definitions", "list", who=None)
    assert r.code == 0, r
    assert "sha" in r.out and "上海市政府质量奖" in r.out and "2022.2" in r.out
    r = award("definitions", "show", "sha", who=None)
    assert r.code == 0, r
    for text in ("上海市政府质量奖", "沪府办规〔2022〕9号", "内部公示中", "资格审查中", "已获奖", "市审定办", "组织", "个人",
                 "提交申报", "引用的规则", "第十六条"):
        assert text in r.out, text
    for rule in ("SHA-3", "SHA-16", "SHA-17", "SHA-18", "SHA-20", "SHA-22", "SHA-26", "SHA-35", "SHA-36"):
        assert rule in r.out, rule
    data = award("definitions", "show", "sha", "--json", who=None).json
    assert {s["name"]: s["label"] for s in data["states"]}["internal_notice"] == "内部公示中"
    submit = next(t for t in data["transitions"] if t["trigger"] == "submit")
    assert {g["rule"] for g in submit["guards"]} >= {"SHA-16", "SHA-17", "SHA-18", "SHA-35"}
    r = award("definitions", "show", "nope", who=None)
    assert r.code == 4 and "找不到流程定义 nope" in r.err, r


# ---------------------------------------------------------------------------- JSON

READS = [
    pytest.param(("cases",), list, id="cases"),
    pytest.param(("show", "SHA-2026-001"), dict, id="show"),
    pytest.param(("history", "SHA-2026-001"), dict, id="history"),
    pytest.param(("party", "show", ORG), dict, id="party_show"),
    pytest.param(("party", "list"), list, id="party_list"),
    pytest.param(("round", "list"), list, id="round_list"),
    pytest.param(("round", "show", "sha-2026"), dict, id="round_show"),
    pytest.param(("staff", "list"), list, id="staff_list"),
    pytest.param(("definitions", "list"), list, id="definitions_list"),
    pytest.param(("definitions", "show", "sha"), dict, id="definitions_show"),
    pytest.param(("outbox", "list"), list, id="outbox_list"),
    pytest.param(("calendar", "day", "2026-10-10"), dict, id="calendar_day"),
    pytest.param(("calendar", "due", "2026-09-28 09:00", "5 working days"), dict, id="calendar_due"),
    pytest.param(("verify",), dict, id="verify"),
]


@pytest.mark.parametrize(("args", "kind"), READS)
def test_every_read_command_has_json(office, args: tuple[str, ...], kind: type) -> None:
    r = office(*args, "--json")
    assert r.code == 0, r
    data = json.loads(r.out)
    assert isinstance(data, kind) and data


def test_json_content(office) -> None:
    assert office("calendar", "day", "2026-10-10", "--json").json["kind"] == "makeup"
    show = office("show", "SHA-2026-001", "--json").json
    assert (show["state"], show["track"], show["party"]["name"]) == ("qualification_review", "gold_achievement", "陈质量")
    assert [c["ref"] for c in office("cases", "--json").json] == ["SHA-2026-001"]
    assert {s["name"] for s in office("staff", "list", "--json").json} == {"admin", "wang", "li", "zhao"}
    assert office("round", "show", "sha-2026", "--json").json["cases_by_state"] == {"资格审查中": 1}


# -------------------------------------------------------------------------- errors

ERRORS = [
    pytest.param(("show", "SHA-2026-999"), 4, "找不到案件 SHA-2026-999", id="unknown_case"),
    pytest.param(("--now", "tomorrow", "cases"), 2, "--now / AWARD_NOW：不是有效的日期或时间：'tomorrow'", id="bad_now"),
    pytest.param(("frobnicate",), 2, "没有命令 frobnicate", id="unknown_command"),
    pytest.param(("party", "add", "--kind", "person", "--name", "张三", "--code", "123"), 2,
                 "公民身份号码应为 18 位，收到 3 位", id="short_resident_id"),
    pytest.param(("round", "open", "nope", "2026"), 4, "找不到流程定义 nope", id="unknown_procedure"),
    pytest.param(("calendar", "day", "2099-01-01"), 6, "没有 2099 年的官方节假日安排数据", id="calendar_year_unknown"),
    pytest.param(("calendar", "due", "2026-09-28", "5 fortnights"), 2, "无法识别的期限 '5 fortnights'", id="bad_period"),
    pytest.param(("party", "import-awards", "missing.csv"), 2, "无法读取获奖记录文件 missing.csv", id="missing_file"),
    pytest.param(("--deployment", "missing.yaml", "cases"), 6, "部署文件有误", id="missing_deployment"),
    pytest.param(("--definitions", "/nonexistent/definitions", "cases"), 6, "流程定义目录不存在", id="missing_definitions"),
    pytest.param(("advance", "SHA-2026-001"), 2, "用法：award advance 案件 操作", id="advance_without_trigger"),
    pytest.param(("objection", "resolve", "1", "--reason", "x"), 2, "请用 --dismiss 或 --uphold", id="resolve_no_outcome"),
    pytest.param(("objection", "file", "SHA-2026-001", "--by", "张三", "--contact", "138", "--reason", "不实"), 3,
                 "当前不在公示期内", id="objection_outside_a_notice"),
    pytest.param(("outbox", "retry", "999"), 4, "找不到记录 通知 #999", id="unknown_outbox_row"),
]


@pytest.mark.parametrize(("args", "code", "message"), ERRORS)
def test_user_errors_never_show_a_traceback(office, args: tuple[str, ...], code: int, message: str) -> None:
    r = office(*args)
    assert r.code == code, r
    assert message in r.err, r
    assert "Traceback" not in r.err + r.out


def test_init_twice_is_safe(office) -> None:
    r = office("init", who=None)
    assert r.code == 0, r
    assert f"数据库已是最新结构（版本 {SCHEMA_VERSION}），无需改动" in r.out
    assert [c["ref"] for c in office("cases", "--json").json] == ["SHA-2026-001"]


def test_uninitialised_database(tmp_path: Path) -> None:
    run = make_runner(str(tmp_path / "new.db"), tmp_path)
    for args in (["cases"], ["staff", "list"], ["show", "SHA-2026-001"]):
        r = run(*args, who=None)
        assert r.code == 6, r
        assert "不存在" in r.err and "award init" in r.err and "Traceback" not in r.err, r
        assert not (tmp_path / "new.db").exists()  # never created by a command other than init
    (tmp_path / "new.db").touch()  # a file that is there but empty: not initialised
    r = run("cases", who=None)
    assert r.code == 6 and "尚未初始化：请先运行 award init" in r.err, r
    assert run("init", "--admin", "wang", "--login", "wang", who=None).code == 0
    assert run("cases", "--json", who="wang").json == []


def test_uninitialised_postgres_database(pg_url: str, tmp_path: Path) -> None:
    run = make_runner(pg_url, tmp_path)
    r = run("cases", who=None)
    assert r.code == 6, r
    assert "尚未初始化：请先运行 award init" in r.err and "Traceback" not in r.err, r


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("{tmp}/no/such/folder/award.db", id="sqlite_folder_missing"),
        pytest.param("postgresql://award@127.0.0.1:9/award", id="postgres_unreachable"),
    ],
)
def test_unreachable_database_is_not_called_uninitialised(tmp_path: Path, url: str) -> None:
    run = make_runner(url.format(tmp=tmp_path), tmp_path)
    r = run("cases", who=None)
    assert r.code == 6, r
    assert "Traceback" not in r.err, r
    assert "尚未初始化" not in r.err, r  # running `award init` would not help
    assert "无法" in r.err or "不存在" in r.err, r


# --------------------------------------------------------------------- personal data


def test_resident_id_numbers_are_masked_everywhere(office) -> None:
    outputs = []
    for args in (("party", "list"), ("party", "show", PERSON), ("show", "SHA-2026-001"), ("history", "SHA-2026-001"),
                 ("cases",), ("outbox", "list")):
        for extra in ((), ("--json",)):
            r = office(*args, *extra)
            assert r.code == 0, r
            outputs.append((args, extra, r.out + r.err))
    for args, extra, text in outputs:
        assert PERSON not in text, (args, extra)
    shown = {args: text for args, extra, text in outputs if extra}
    assert PERSON_MASKED in shown[("party", "list")] and PERSON_MASKED in shown[("party", "show", PERSON)]
    assert office("show", "SHA-2026-001", "--json").json["party"]["code"] == PERSON_MASKED
    mails = [p for p in office.folder.glob("mail/**/*") if p.is_file()]
    assert mails  # the applicant was written to
    assert not [p for p in mails if PERSON in p.read_text(encoding="utf-8", errors="replace")]


def test_resident_id_masked_in_errors(office) -> None:
    r = office("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON)
    assert r.code == 2 and PERSON not in r.err and PERSON_MASKED in r.err, r
    other = resident_id("31011519750615002")
    r = office("party", "show", other)
    assert r.code == 4 and other not in r.err, r


# ---------------------------------------------------------------------------- start-up

HEAVY = {"sqlalchemy", "sqlmodel", "transitions", "jinja2", "rich", "chinese_calendar", "apscheduler", "pydantic",
         "ruamel", "psycopg"}


def imported(code: str) -> set[str]:
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    names = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "award" in names, r.stderr[-500:]
    return names


def test_start_up_stays_light() -> None:
    heavy = imported("import award.cli") & HEAVY
    assert not heavy, f"`import cli` pulls in {sorted(heavy)}"


def test_help_imports_no_command_module() -> None:
    """`award --help` lists the commands from cli.COMMAND_TABLE: no command's module is imported."""
    code = ("import sys\nfrom award.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('MODULES', sorted(m for m in sys.modules if m.startswith('award.')), file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listed = r.stderr.split("MODULES", 1)[1]
    commands = {module for module, _help in cli.COMMAND_TABLE.values()} - {"award.commands.completion"}
    assert not [m for m in commands if repr(m) in listed], listed  # completion: its completers join init and demo
    workflow = {m.strip(" '") for m in listed.strip(" []\n").split(",") if "award.workflow" in m}
    assert workflow <= {"award.workflow", "award.workflow.errors", "award.workflow.inputs",  # main's checks
                        "award.workflow.logs"}, listed  # and the logging it configures (applied on first use)
    assert "用法：award" in r.stdout and "history" in r.stdout


def test_command_table_matches_the_commands() -> None:
    """The table `award --help` lists from is what the modules define: name, module and short help."""
    import importlib

    defined: dict[str, tuple[str, click.Command]] = {}
    for module in sorted({m for m, _ in cli.COMMAND_TABLE.values()}):
        for command in importlib.import_module(module).COMMANDS:
            assert command.name not in defined, f"{command.name} is defined twice"
            defined[str(command.name)] = (module, command)
    assert set(defined) == set(cli.COMMAND_TABLE), "cli.COMMAND_TABLE lists other commands than the modules"
    for name, (module, command) in defined.items():
        assert cli.COMMAND_TABLE[name][0] == module, name
        assert not command.hidden and not command.deprecated and command.short_help is None, name
        stand_in = click.Command(name, help=cli.COMMAND_TABLE[name][1])
        for limit in (20, 45, 60, 80, 200):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name
    assert set(cli.cli.commands) == set(defined) | {"init", "demo"}


def test_help_lists_the_same_before_and_after_the_commands_are_loaded() -> None:
    def top_help(load_first: bool) -> str:
        code = ("import sys\nfrom award import cli\n" + ("dict(cli.cli.commands.items())\n" if load_first else "")
                + "cli.main(['--help'])\n")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                           env={**os.environ, "COLUMNS": "100"})
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert top_help(load_first=False) == top_help(load_first=True)


def test_walking_the_commands_loads_and_lists_every_one() -> None:
    """Iterating the group's commands while looking them up (which imports their modules, and with them
    their siblings) gives every command once, in a fresh process as in this one."""
    code = ("from award import cli\n"
            "names = [name for name, _command in cli.cli.commands.items()]\n"
            "print(len(names), len(set(names)), len(cli.COMMAND_TABLE))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    walked, distinct, table = (int(n) for n in r.stdout.split())
    assert walked == distinct == table + 2  # the table's commands, plus init and demo (cli.py's own)


def test_the_award_process_collects_again_once_its_engine_is_built(tmp_path: Path) -> None:
    """The collector is paused while `award` starts (cli.main, hold_collection) and must run again once
    the engine is built: a long `award scheduler` or `tick` would otherwise keep all its cyclic garbage."""
    code = ("import gc, sys\nfrom award.cli import main\n"
            "sys.argv = ['award', '--db', sys.argv[1], '--home', sys.argv[2], 'init']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('COLLECTOR', gc.isenabled(), gc.get_freeze_count() > 0)\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "award.db"), str(tmp_path / "home")],
                       capture_output=True, text=True, check=True)
    assert "数据库已创建" in r.stdout, r.stdout + r.stderr
    assert "COLLECTOR True True" in r.stdout, r.stdout + r.stderr
