"""Fast set-up for the time and notification tests: walk SHA cases through the engine's API.

Setting a case up through the CLI costs a catalogue load per command (~0.4 s for the bundled
definitions); the steps that are not under test go through one in-process `Engine` instead, with a clock
the test moves. The steps under test still go through the `award` command (`Office.run`, in-process like
the `award` fixture), with the parsed catalogue remembered between commands while its files are unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from award.cli import Settings, build_engine
from award.workflow.engine import Engine
from award.workflow.specs.loader import bundled_definitions
from award.workflow.timing.clock import SHANGHAI, fixed_clock, parse_moment
from award.workflow.timing.timers import tick

from tests.conftest import AwardRunner, make_runner
from tests.helpers import ORG_DECLARATIONS, uscc

AWARD = str(Path(sys.executable).with_name("award"))

DEPLOYMENT = (
    "office:\n  email: [office@example.gov.cn]\n"
    "districts:\n  浦东新区: {email: [pudong@example.gov.cn]}\n"
    "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n"
    "delivery: {inline: true}\n"
)

STAFF = {"wang": "office@shanghai", "li": "reviewer@shanghai", "zhao": "committee@shanghai"}

TO_COMMENDATION = [
    # (trigger, who, --set items)
    ("select_for_site_review", "wang", ["material_review_report=资料评审报告：建议加强数字化质量管理。"]),
    ("complete_site_review", "li", ["site_review_report=现场评审报告：领导作用突出。"]),
    ("complete_evaluation", "li", ["evaluation_report=综合评价报告：建议授奖。"]),
    ("propose", "wang", []),
    ("committee_approve", "zhao", []),
    ("approve", "wang", ["approval_document=沪审定委〔2026〕5号"]),
]


def moment(text: str) -> datetime:
    """`2026-10-01 09:00` (Asia/Shanghai) as an aware UTC datetime."""
    return parse_moment(text)


def iso(text: str) -> str:
    """`2026-10-01 09:00` (Asia/Shanghai) as the JSON views print it: ISO 8601 with +08:00."""
    return parse_moment(text).astimezone(SHANGHAI).isoformat()


def shanghai(value: str | datetime) -> str:
    """An ISO timestamp (or datetime) as `YYYY-MM-DD HH:MM` in Asia/Shanghai, for `--now`."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@dataclass
class Office:
    """One office's database, driven by an in-process engine (set-up) and the CLI (what is tested).

    Attributes:
        db: `--db` (a SQLite file or a PostgreSQL URL).
        workdir: the folder the CLI runs in (`mail/` is the spool folder).
        deployment: the deployment file.
        engine: the set-up engine; its clock is moved by `at()`.
        run: `run(*args, now=..., who=...)`, the CLI in-process.
    """

    db: str
    workdir: Path
    deployment: Path
    engine: Engine
    run: AwardRunner
    parties: int = 0
    refs: list[str] = field(default_factory=list)

    def at(self, when: str | datetime) -> Office:
        self.engine.clock = fixed_clock(moment(when) if isinstance(when, str) else when)
        return self

    def actor(self, name: str = "wang") -> Any:
        return self.engine.office.actor(name, "test")

    def advance(self, ref: str, trigger: str, *, at: str | datetime, who: str = "wang",
                sets: Sequence[str] = (), comment: str | None = None) -> Any:
        self.at(at)
        return self.engine.advance(ref, trigger, actor=self.actor(who), sets=list(sets), comment=comment)

    def tick(self, at: str | datetime) -> Any:
        self.at(at)
        return tick(self.engine)

    def ensure_round(self, year: int) -> str:
        rid = f"sha-{year}"
        if not any(r.id == rid for r in self.engine.office.round_list("sha")):
            self.engine.office.round_open(procedure="sha", year=year)
        return rid

    def new_case(self, *, at: str | datetime, year: int | None = None, district: str = "浦东新区") -> str:
        """A gold-model case in draft for a new organisation."""
        self.at(at)
        when = self.engine.clock()
        rid = self.ensure_round(year or when.astimezone(SHANGHAI).year)
        self.parties += 1
        code = uscc(f"91310000MA1FL{self.parties:04d}")
        self.engine.office.party_add(kind="organization", name=f"上海第{self.parties}质量科技有限公司", code=code,
                                     registered_on=datetime(2015, 6, 1).date(), district=district,
                                     email=f"org{self.parties}@example.com")
        view = self.engine.case_new(party=code, round_id=rid, track="gold_model", start="apply", sets=[],
                                    actor=self.actor())
        self.refs.append(view.ref)
        return str(view.ref)

    def in_review(self, ready_by: str | datetime, *, year: int | None = None) -> str:
        """A case that reaches qualification review a day before `ready_by` (its internal notice done)."""
        ready = moment(ready_by) if isinstance(ready_by, str) else ready_by
        start = ready - timedelta(days=21)
        ref = self.new_case(at=start, year=year or ready.astimezone(SHANGHAI).year)
        self.advance(ref, "start_internal_notice", at=start)
        report = self.tick(ready - timedelta(days=2))
        assert [r for _, r, _, _ in report.fired] == [ref], report
        self.advance(ref, "submit", at=ready - timedelta(days=1), sets=ORG_DECLARATIONS)
        self.checklist_met(ref)
        return ref

    def checklist_met(self, ref: str, who: str = "li") -> None:
        """The reviewer finds every qualification checklist item 符合 (SHA-16/17; the set-up of most tests)."""
        from award.workflow.casework_record import record_findings

        record_findings(self.engine, ref, [], finding="符合", note="", actor=self.actor(who), every=True)

    def in_notice(self, passed_at: str | datetime, *, year: int | None = None) -> str:
        """A case whose qualification notice was published at `passed_at`."""
        when = moment(passed_at) if isinstance(passed_at, str) else passed_at
        ref = self.in_review(when, year=year)
        self.advance(ref, "pass_qualification", at=when, who="li")
        return ref

    def in_commendation(self, passed_at: str | datetime) -> str:
        """A case whose award notice has elapsed without objection: ready for `commend`."""
        when = moment(passed_at) if isinstance(passed_at, str) else passed_at
        ref = self.in_notice(when)
        due = self.timer(ref, "qualification_notice_elapsed")["due_at"]
        assert [r for _, r, _, _ in self.tick(due).fired] == [ref]
        step = datetime.fromisoformat(due) + timedelta(hours=10)
        for trigger, who, items in TO_COMMENDATION:
            self.advance(ref, trigger, at=step, who=who, sets=items)
            step += timedelta(days=7)
        due = self.timer(ref, "award_notice_elapsed")["due_at"]
        assert [r for _, r, _, _ in self.tick(due).fired] == [ref]
        return ref

    # -- reading ---------------------------------------------------------------------------------

    def show(self, ref: str) -> dict[str, Any]:
        result = self.run("show", ref, "--json")
        assert result.code == 0, result
        return dict(result.json)

    def history(self, ref: str) -> list[dict[str, Any]]:
        result = self.run("history", ref, "--json")
        assert result.code == 0, result
        return list(result.json["events"])

    def timer(self, ref: str, what: str) -> dict[str, Any]:
        """The one live timer of a case whose trigger (or duty/mark) is `what`."""
        found = [t for t in self.show(ref)["timers"] if what in (t["trigger"], t["duty"])]
        assert len(found) == 1, found
        return dict(found[0])

    def spool(self) -> list[Path]:
        folder = self.workdir / "mail"
        return sorted(folder.glob("*.eml")) if folder.is_dir() else []

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        # The same office data folder (and its history seal key) as the in-process commands.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWARD_")
               or k in ("AWARD_HOME", "AWARD_SYSTEM_CONFIG")}
        env.update({"AWARD_DB": self.db, "AWARD_DEPLOYMENT": str(self.deployment), "PYTHONUNBUFFERED": "1"})
        env.update(extra)
        return env

    def spawn(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """`award ARGS` in a separate process (for what needs a second process)."""
        return subprocess.Popen([AWARD, *args], cwd=self.workdir, env=self.subprocess_env(**env), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def spawn_together(self, *commands: Sequence[str], timeout: float = 30) -> list[tuple[int, str, str]]:
        """Run several `award` commands in separate processes, released at the same moment.

        Each process imports the CLI and then waits at a barrier (a file), so that start-up time does
        not decide which one runs first; returns (exit code, stdout, stderr) of each.
        """
        go = self.workdir / f"go-{time.monotonic_ns()}"
        procs = []
        for i, argv in enumerate(commands):
            ready = go.with_name(f"{go.name}.ready{i}")
            code = (f"import os, sys, time\nfrom award.cli import main\nopen({str(ready)!r}, 'w').close()\n"
                    f"while not os.path.exists({str(go)!r}): time.sleep(0.001)\nmain(sys.argv[1:])\n")
            procs.append(subprocess.Popen([sys.executable, "-c", code, *argv], cwd=self.workdir,
                                          env=self.subprocess_env(), text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        deadline = time.monotonic() + timeout
        while not all(go.with_name(f"{go.name}.ready{i}").exists() for i in range(len(procs))):
            assert time.monotonic() < deadline, "the processes did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.005)
        go.touch()
        out = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=timeout)
            out.append((p.returncode, stdout, stderr))
        return out


def build(settings: Settings, *, require_schema: bool = True) -> Engine:
    """`cli.build_engine` (the catalogue is cached by content inside `load_catalog`)."""
    return build_engine(settings, require_schema=require_schema)


def open_office(db: str, workdir: Path, deployment: Path | None = None, *, deliver: bool = False) -> Office:
    """A fresh database with the staff roster, an engine for set-up and a CLI runner.

    With `deliver` False (the default, for tests that are not about mail) notifications stay in the
    outbox: the set-up engine and every command run with `--no-deliver`.
    """
    if deployment is None:
        deployment = workdir / "deployment.yaml"
        deployment.write_text(DEPLOYMENT, encoding="utf-8")
    settings = Settings(db=db, definitions=None, now=None, as_name=None, deployment=str(deployment),
                        deliver=deliver)
    engine = build(settings, require_schema=False)
    engine.db.init(moment("2024-01-01 08:00"))
    engine.office.staff_add("admin", ["admin"])
    for name, role in STAFF.items():
        engine.office.staff_add(name, [role])
    return Office(db=db, workdir=workdir, deployment=deployment, engine=engine,
                  run=make_runner(db, workdir, deployment, deliver=deliver))


@pytest.fixture(name="office")
def office_fixture(db_url: str, tmp_path: Path) -> Iterator[Office]:
    """An office on a fresh database: SQLite, and PostgreSQL when AWARD_TEST_DATABASE_URL is set."""
    o = open_office(db_url, tmp_path)
    yield o
    o.engine.db.dispose()


@pytest.fixture(name="any_office")
def any_office_fixture(db_url: str, tmp_path: Path) -> Iterator[Office]:
    """The same as `office` (the name older tests use for "both backends")."""
    o = open_office(db_url, tmp_path)
    yield o
    o.engine.db.dispose()


def sha_definitions(folder: Path) -> Path:
    """A copy of the bundled definitions with SHA alone (rules, sha.yaml, its templates, the calendars, scoring tables).

    Other procedures are left out so that a test of this copy does not depend on them.
    """
    source = bundled_definitions()
    folder.mkdir(parents=True)
    for name in ("rules.yaml", "sha.yaml"):
        shutil.copy2(source / name, folder / name)
    shutil.copytree(source / "calendars", folder / "calendars")
    shutil.copytree(source / "scoring", folder / "scoring")  # the review's scoring tables
    shutil.copytree(source / "templates" / "sha", folder / "templates" / "sha")
    return folder


def events(history: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in history if e["kind"] == kind]
