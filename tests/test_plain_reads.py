"""`show` and `history` without the ORM (workflow/plainread.py): the same bytes as the engine's path, fewer imports.

Each command runs twice in-process on one office: once as the CLI runs it (the plain path serves a
SQLite file), once with an engine factory (which always takes the engine's path); the outputs must be
equal byte for byte. A real process then shows what the plain path spares: no SQLAlchemy, SQLModel,
engine, Jinja2 or ruamel (an open case's guards import pydantic and the definitions' models, nothing
more). Open cases of every procedure, in states whose guards read quotas and counts, periods on the
working-day calendar, a registered recommender, an override and an open objection, print the same on
both paths. Whatever the plain path does not answer falls back to the engine with its own refusals (a
stranger, `--as`, a tampered roster).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from award.cli import main
from award.commands.context import Settings, build_engine, os_login
from award.workflow.registers.identity import uscc_check_character
from click.testing import CliRunner

from tests.conftest import STAFF, AwardRunner, add_staff, make_runner

REF = "SHA-2026-001"
SECOND = "91310000MA1FL1GF8" + uscc_check_character("91310000MA1FL1GF8")
THIRD = "91310000MA1FL1GF7" + uscc_check_character("91310000MA1FL1GF7")
HEAVY = ("sqlalchemy", "sqlmodel", "award.workflow.engine", "jinja2", "ruamel", "apscheduler", "transitions",
         "pydantic", "award.workflow.specs.model", "award.workflow.guards")
"""What the plain path never imports: the ORM, the engine, templates, YAML, the scheduler, the state machine, and
the definitions' models (their labels come from their own cache, specs/readspec.py)."""
GUARDS_NEED = ("pydantic", "award.workflow.specs.model", "award.workflow.guards")
"""What `show` of an open case imports of those when a guard of its triggers applies: the guards run on the checked
definition's models (a case none of whose triggers' guards applies is shown from the labels, importing none)."""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[AwardRunner, Path]:
    """A SHA case with a form, a few steps and a comment, withdrawn (so it is closed), an open one whose triggers
    have no guards (a draft), and one in the internal notice, whose triggers' guards apply."""
    folder = tmp_path_factory.mktemp("plain")
    run = make_runner(str(folder / "award.db"), folder, home=folder / "home")
    add_staff(run)
    for args in [("round", "open", "sha", "2026"),
                 ("party", "add", "--kind", "organization", "--name", "上海[b]甲[/b]质量科技有限公司",
                  "--code", "91310000MA1FL1GF94", "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", REF, "start_internal_notice"),
                 ("party", "add", "--kind", "organization", "--name", "上海乙质量有限公司", "--code", SECOND,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", SECOND, "--round", "sha-2026", "--track", "gold_model"),
                 ("party", "add", "--kind", "organization", "--name", "上海丙质量有限公司", "--code", THIRD,
                  "--registered-on", "2015-06-01"),
                 ("case", "new", "--party", THIRD, "--round", "sha-2026", "--track", "gold_model"),
                 ("advance", "SHA-2026-003", "start_internal_notice")]:
        r = run(*args, now="2026-03-02 09:00")
        assert r.code == 0, r
    r = run("advance", REF, "withdraw", "--yes", "--comment", "企业决定明年再申报", now="2026-03-03 10:00")
    assert r.code == 0, r
    return run, folder


def _engine_path(folder: Path, *args: str, who: str = "wang") -> tuple[int, str, str]:
    """The command as the engine's path runs it (an engine factory turns the plain path off)."""
    runner = CliRunner()
    settings = Settings(db=None, definitions=None, now=None, as_name=None, deployment=None,
                        engine_factory=build_engine, login_source=lambda: who)
    code = 0
    with runner.isolation() as streams:
        try:
            main(["--db", str(folder / "award.db"), "--home", str(folder / "home"), *args], settings=settings)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        finally:
            if settings._engine is not None:
                settings._engine.db.dispose()
    return code, streams[0].getvalue().decode(), streams[1].getvalue().decode()


@pytest.mark.parametrize("args", [
    ("history", REF), ("history", "--json", REF), ("history", "--limit", "2", "--offset", "1", REF),
    ("history", REF.lower()), ("history", "1"), ("show", REF), ("show", "--json", REF),
    ("show", "SHA-2026-002"), ("show", "SHA-2026-003"), ("show", "--json", "SHA-2026-003"),
    ("history", "SHA-2026-404"), ("show", "SHA-2026-404"),
])
def test_the_plain_path_prints_what_the_engine_prints(office: tuple[AwardRunner, Path], args: tuple[str, ...]) -> None:
    run, folder = office
    plain = run(*args)
    code, out, err = _engine_path(folder, *args)
    assert (plain.code, plain.out, plain.err) == (code, out, err)
    if "404" not in args[-1]:
        assert plain.code == 0, plain


def test_the_plain_path_is_the_one_taken_and_imports_no_orm(office: tuple[AwardRunner, Path], tmp_path: Path) -> None:
    run, folder = office
    login = os_login()
    if login is None or login in STAFF or login == "admin":
        pytest.skip("needs an OS login that is not one of the test roster's names")
    r = run("staff", "add", "reader", "--login", login, "--role", "office", "--for=shanghai", who="admin")
    assert r.code == 0, r
    probe = ("import sys\nfrom award.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
             "    code = exc.code\n"
             f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules), 'CODE', code, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARD_") or k == "AWARD_CACHE_DIR"}
    env.update(AWARD_HOME=str(folder / "home"), AWARD_DB=str(folder / "award.db"),
               AWARD_SYSTEM_CONFIG=str(tmp_path / "none.toml"), COLUMNS="160")
    warm = subprocess.run([sys.executable, "-m", "award.cli", "history", REF], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # the first read writes the labels' cache (this office's definitions)
    assert warm.returncode == 0, warm.stderr
    for args in (["history", REF], ["show", REF], ["show", "SHA-2026-002"]):  # closed; open, no guard applies
        done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert "HEAVY [] CODE 0" in done.stderr, done.stderr
        assert done.stdout == run(*args, who=login).out
    for args in (["show", "SHA-2026-003"], ["show", "--json", "SHA-2026-003"]):  # an open case: guards to evaluate
        done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        # the models, not the ORM; and the calendar's files (YAML), for the notice's period in working days
        assert f"HEAVY {sorted((*GUARDS_NEED, 'ruamel'))!r} CODE 0" in done.stderr, done.stderr
        assert done.stdout == run(*args, who=login).out


def test_a_stranger_is_refused_as_before(office: tuple[AwardRunner, Path]) -> None:
    run, folder = office
    r = run("history", REF, who="nobody")
    assert r.code == 3 and "[AWD-1]" in r.err and "nobody" in r.err, r
    assert (r.code, r.out, r.err) == _engine_path(folder, "history", REF, who="nobody")


def test_a_roster_edited_behind_the_engine_is_refused_on_the_plain_path_too(tmp_path: Path) -> None:
    import sqlite3

    run = make_runner(str(tmp_path / "award.db"), tmp_path, home=tmp_path / "home")
    add_staff(run)
    assert run("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    with sqlite3.connect(tmp_path / "award.db") as con:
        con.execute("UPDATE staff SET roles = '[\"admin@*\"]' WHERE name = 'li'")
    r = run("history", REF, who="li")
    assert r.code == 7 and "工作人员名单" in r.err, r


def test_an_upgrade_pending_database_is_refused_on_the_plain_path_too(office: tuple[AwardRunner, Path],
                                                                      tmp_path: Path) -> None:
    import shutil
    import sqlite3

    _run, folder = office
    copy = tmp_path / "old.db"
    shutil.copy(folder / "award.db", copy)
    with sqlite3.connect(copy) as con:
        con.execute("UPDATE award_meta SET value = '1' WHERE key = 'schema_version'")
    other = make_runner(str(copy), tmp_path, home=folder / "home")
    r = other("history", REF)
    assert r.code == 6 and "award init" in r.err, r



# ------------------------------------------------------------------ open cases: guards on the plain path


def _ok(run: AwardRunner, *args: str, now: str, who: str = "wang") -> Any:
    r = run(*args, now=now, who=who)
    assert r.code == 0, r
    return r


def _sha_cases(run: AwardRunner) -> dict[str, str]:
    """SHA cases waiting on a quota (committee), a held notice (open objection), a running period and a submission."""
    from tests.helpers import ORG_DECLARATIONS, sets, uscc

    _ok(run, "round", "open", "sha", "2026", now="2026-03-02 09:00")
    refs = {}
    for n, label in enumerate(("sha committee (quota)", "sha notice, objection open", "sha ready (submit guards)",
                               "sha internal notice (period)"), start=1):
        code = uscc(f"91310000MA1FL{n:04d}")
        _ok(run, "party", "add", "--kind", "organization", "--name", f"上海第{n}质量有限公司", "--code", code,
            "--registered-on", "2015-06-01", "--district", "浦东新区", now="2026-03-02 09:00")
        refs[label] = _ok(run, "case", "new", "--party", code, "--round", "sha-2026", "--track", "gold_model",
                          "--json", now="2026-03-02 09:00").json["ref"]
    quota, held, ready, period = refs.values()
    for ref in (quota, held, ready):
        _ok(run, "advance", ref, "start_internal_notice", now="2026-03-02 10:00")
    _ok(run, "tick", now="2026-03-25 09:00")
    for ref in (quota, held):
        _ok(run, "advance", ref, "submit", *sets(ORG_DECLARATIONS), now="2026-03-26 09:00")
        _ok(run, "checklist", "record", ref, "--all", "--finding", "符合", now="2026-03-26 10:00", who="li")
    _ok(run, "advance", quota, "pass_qualification", now="2026-03-27 10:00", who="li")
    _ok(run, "tick", now="2026-04-30 09:00")
    for trigger, who, items in [("select_for_site_review", "wang", ["material_review_report=建议加强数字化质量管理。"]),
                                ("complete_site_review", "li", ["site_review_report=领导作用突出。"]),
                                ("complete_evaluation", "li", ["evaluation_report=建议授奖。"]), ("propose", "wang", [])]:
        _ok(run, "advance", quota, trigger, *sets(items), now="2026-05-06 10:00", who=who)
    _ok(run, "advance", held, "pass_qualification", now="2026-05-11 10:00", who="li")
    _ok(run, "objection", "file", held, "--by", "张三", "--contact", "13800000000", "--reason", "申报材料数据存疑",
        now="2026-05-12 10:00")
    _ok(run, "advance", period, "start_internal_notice", now="2026-11-30 10:00")
    return refs


def _other_cases(run: AwardRunner) -> dict[str, str]:
    """SHI, SQA, SQI and WHI cases in states whose triggers have guards of every kind."""
    from tests.helpers import sets, uscc
    from tests.scenarios import test_shi, test_sqa, test_sqi, test_whi

    refs = {}
    test_shi.setup(run)
    refs["shi draft, empty form"] = test_shi.new_case(run, test_shi.OLD)
    refs["shi draft, young party, full form"] = test_shi.new_case(run, test_shi.YOUNG, *sets(test_shi.FORM))
    test_sqa.open_round(run, 2021, "2021-06-30", "2021-08-15", "2021-10-25")
    member = uscc("91310000MA1FL2001")
    _ok(run, "party", "add", "--kind", "organization", "--name", "上海甲质量科技集团有限公司", "--code", member,
        "--registered-on", "2010-01-01", "--attr", "saq_member=是", now="2021-05-02 09:00")
    refs["sqa registered (deadline passed)"] = test_sqa.register(run, member)
    _ok(run, "round", "open", "sqi", "2024", "--date", "submission_deadline=2024-08-23 15:00", now=test_sqi.OPEN)
    parties = [uscc(f"91310000MA1FL300{n}") for n in range(1, 4)]
    for n, code in enumerate(parties, start=1):
        _ok(run, "party", "add", "--kind", "organization", "--name", f"上海第{n}管理创新有限公司", "--code", code,
            "--registered-on", "2015-06-01", "--email", "info@example.com", now=test_sqi.OPEN)
    refs["sqi condition review (checklist)"] = test_sqi.submitted(run, party=parties[0])
    supplement = test_sqi.submitted(run, party=parties[1])
    _ok(run, "advance", supplement, "request_supplement", "--set", "supplement_items=请说明ESG披露情况",
        "--set", "supplement_deadline=5 working days", now="2024-09-12 10:00")
    refs["sqi supplement (working-day period)"] = supplement
    publicity = test_sqi.submitted(run, party=parties[2])
    test_sqi.to_approval(run, publicity)
    _ok(run, "advance", publicity, "approve", "--set", "grade=标杆级", now="2024-09-27 10:00", who="zhao")
    _ok(run, "objection", "file", publicity, "--by", "张三", "--contact", "13800000000", "--reason", "成果数据存疑",
        now="2024-10-01 10:00")
    refs["sqi publicity, objection open"] = publicity
    test_whi.setup_cycle(run)
    for n in (1, 2, 3):
        test_whi.add_org(run, n)
    refs["whi classification (counts, recommender)"] = test_whi.to_classification(run, 1, "芜湖市家电行业协会")
    refs["whi incubating (cycle year)"] = test_whi.admit(run, 2, "芜湖市家电行业协会", "B")
    code = test_whi.add_recommender(run, "芜湖市家电行业协会")
    refs["whi draft, cap overridden"] = _ok(
        run, "case", "new", "--party", test_whi.CODES[3], "--round", "whi-2025", "--track", "pool",
        "--set", f"recommender={code}", "--override", "经市创奖办主任会议研究同意", "--json",
        now="2025-05-08 09:00").json["ref"]
    return refs


@pytest.fixture(scope="module")
def open_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[AwardRunner, Path, dict[str, str]]:
    """One office with open cases of every procedure, each in a state whose triggers' guards read its facts."""
    folder = tmp_path_factory.mktemp("plain-open")
    run = make_runner(str(folder / "award.db"), folder, home=folder / "home")
    add_staff(run)
    refs = {**_sha_cases(run), **_other_cases(run)}
    return run, folder, refs


OPEN_CASES = ["sha committee (quota)", "sha notice, objection open", "sha ready (submit guards)",
              "sha internal notice (period)", "shi draft, empty form", "shi draft, young party, full form",
              "sqa registered (deadline passed)", "sqi condition review (checklist)",
              "sqi supplement (working-day period)", "sqi publicity, objection open",
              "whi classification (counts, recommender)", "whi incubating (cycle year)", "whi draft, cap overridden"]


def _reader(folder: Path) -> Any:
    from award.workflow.plainread import PlainReader
    from award.workflow.sealmac import KEY_NAME
    from award.workflow.specs.locations import bundled_definitions
    from award.workflow.specs.readspec import load_read_catalog
    from award.workflow.timing.calendar import OfficialCalendar

    root = bundled_definitions()
    home = folder / "home"
    return PlainReader(path=folder / "award.db", catalog=load_read_catalog(root), key_path=home / "secrets" / KEY_NAME,
                       busy_timeout=5.0,
                       calendar=lambda: OfficialCalendar(files_dir=root / "calendars", office_dir=home / "calendars"))


def _plain_show(folder: Path, ref: str, login: str) -> Any:
    """What the plain reader itself answers (None: it leaves the case to the engine)."""
    reader = _reader(folder)
    try:
        return reader.show(ref, actor=reader.actor(login))
    finally:
        reader.close()


@pytest.mark.parametrize("label", OPEN_CASES)
def test_an_open_case_is_shown_by_the_plain_path_as_the_engine_shows_it(
        open_cases: tuple[AwardRunner, Path, dict[str, str]], label: str) -> None:
    run, folder, refs = open_cases
    ref = refs[label]
    view = _plain_show(folder, ref, "wang")
    assert view is not None and view.triggers and not view.closed, label  # answered here, guards evaluated
    if label == "whi draft, cap overridden":  # the excuse recorded in its history is read back
        assert any(v.overridden and "wang于2025年5月8日破例准许" in v.reason for t in view.triggers for v in t.verdicts)
    if label == "sha committee (quota)":
        assert any(v.guard == "quota" for t in view.triggers for v in t.verdicts)
    for args in (("show", ref), ("show", "--json", ref)):
        for who in ("wang", "li"):  # `allowed` depends on the roles
            plain = run(*args, who=who)
            assert plain.code == 0, plain
            assert (plain.code, plain.out, plain.err) == _engine_path(folder, *args, who=who), (label, args, who)


COUNTS: list[dict[str, Any]] = [
    {}, {"states": ["draft"]}, {"states": []}, {"where": {"track": "pool"}}, {"where": {"track": ["gold_model", "pool"]}},
    {"states": ["classification", "incubating", "survey"], "where": {"class": ["B", "C"]}},
    {"where": {"level": "gold", "category": "model"}}, {"where": {"level": "gold", "category": "model", "track": "x"}},
    {"where": {"a": "1", "b": "2", "c": "3", "d": "4"}},  # more fields than `round_counts` groups by
    {"where": {"profitable_3y": True}}, {"where": {"ownership": ["private", 1]}},  # not text: counted in Python
    {"where": {"recommender": "芜湖市家电行业协会"}},
]


@pytest.mark.parametrize("label", OPEN_CASES)
def test_the_plain_path_reads_the_facts_the_engine_reads(open_cases: tuple[AwardRunner, Path, dict[str, str]],
                                                         label: str) -> None:
    """Party, round, records, other cases, notes, names, overrides and counts, field by field."""
    from datetime import UTC, datetime

    _run, folder, refs = open_cases
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    reader = _reader(folder)  # open while the facts are read: records, other cases and notes on demand
    plain = reader.case_facts(refs[label], now)
    settings = Settings(db=str(folder / "award.db"), definitions=None, now=None, as_name=None, deployment=None,
                        home_dir=str(folder / "home"))
    engine = build_engine(settings)
    try:
        with engine.db.session() as s:
            facts = engine.facts_at(s, engine.spec_of(engine.case_row(s, refs[label])), engine.case_row(s, refs[label]),
                                    at=now)
            assert plain is not None
            for name in ("case_id", "ref", "track", "state", "data", "round", "now", "today", "open_objections",
                         "entered_at", "before", "names", "overrides"):
                assert getattr(plain, name) == getattr(facts, name), name
            assert plain.party == facts.party and tuple(plain.party.records) == tuple(facts.party.records)
            assert tuple(plain.party.other_cases) == tuple(facts.party.other_cases)
            assert tuple(plain.notes) == tuple(facts.notes)
            # the round's counts a guard may ask for, with this case's own form values too
            own = {k: v for k, v in facts.data.items() if isinstance(v, str) and len(v) < 60}
            for ask in [*COUNTS, *({"where": {k: v}} for k, v in own.items())]:
                assert plain.count_cases(**ask) == facts.count_cases(**ask), ask
    finally:
        engine.db.dispose()
        reader.close()
