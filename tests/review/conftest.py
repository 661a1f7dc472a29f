"""A SHA round in material review with an expert pool, through the CLI (set-up of the cases via the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from award.workflow.review.scoring import load_table
from award.workflow.specs.loader import bundled_definitions

from tests.fixtures_sha import Office, any_office_fixture, office_fixture  # noqa: F401 - fixtures
from tests.helpers import uscc

PUBLISHED = "2026-05-06 10:00"
DUE = "2026-05-13 00:00"
NOW = "2026-05-14 09:00"
TABLE = load_table(bundled_definitions(), "gbt19580-2012")

EXPERTS = [  # (name, staff login, organisation code body)
    ("张一", "zhang1", "91310000MA1EX0001"),
    ("张二", "zhang2", "91310000MA1EX0002"),
    ("张三", "zhang3", "91310000MA1EX0003"),
    ("张四", "zhang4", "91310000MA1EX0004"),
    ("张五", "zhang5", "91310000MA1EX0005"),
]


def items(fraction: float, **override: float) -> list[str]:
    """`--item` arguments giving every GB/T 19580-2012 item `fraction` of its points (one decimal)."""
    out = []
    for clause, item in TABLE.items().items():
        value = override.get(clause.replace(".", "_"), round(item.points * fraction, 1))
        out += ["--item", f"{clause}={value}"]
    return out


@dataclass
class Review:
    """The office, its cases in material review, its experts (name -> (id, login, org code))."""

    office: Office
    refs: list[str]
    codes: list[str]
    experts: dict[str, tuple[int, str, str]]

    def run(self, *args: str, who: str = "wang") -> Any:
        return self.office.run(*args, now=NOW, who=who)

    def ok(self, *args: str, who: str = "wang") -> Any:
        r = self.run(*args, who=who)
        assert r.code == 0, r
        return r

    def history(self, ref: str) -> list[dict[str, Any]]:
        return list(self.ok("history", ref, "--json").json["events"])


def make_review(office: Office, cases: int = 4, experts: int = 5, panel: bool = True) -> Review:
    refs = [office.in_notice(PUBLISHED) for _ in range(cases)]
    fired = office.tick(DUE).fired
    assert sorted(r for _, r, _, _ in fired) == sorted(refs)
    codes = [office.show(ref)["party"]["code"] for ref in refs]
    found: dict[str, tuple[int, str, str]] = {}
    for name, login, body in EXPERTS[:experts]:
        assert office.run("staff", "add", login, "--login", login, "--role", "reviewer@shanghai",
                          who="admin").code == 0
        code = uscc(body)
        r = office.run("expert", "add", name, "--pool", "shanghai_gov", "--org-name", f"{name}所在大学",
                       "--org-code", code, "--staff", login, "--speciality", "卓越绩效", "--json", now=NOW)
        assert r.code == 0, r
        found[name] = (r.json["id"], login, code)
    review = Review(office=office, refs=refs, codes=codes, experts=found)
    if panel:
        args = [a for name in found for a in ("--expert", name)]
        review.ok("panel", "form", "--round", "sha-2026", *args)
    return review


@pytest.fixture
def review(office: Office) -> Review:
    return make_review(office)


@pytest.fixture
def review_any(any_office: Office) -> Review:
    """The same on each backend: SQLite, and PostgreSQL when AWARD_TEST_DATABASE_URL is set."""
    return make_review(any_office)
