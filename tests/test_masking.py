"""Personal data stays masked everywhere (issue 14, point 7).

A person's resident ID number never appears in full: not in any command's output or error, not in
a log line (the CLI run with `AWARD_LOG=DEBUG`), not in a notification (the spooled mail). This
test drives every kind of command that can name a party, then greps everything it produced.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.conftest import AwardRunner
from tests.helpers import PERSON_DECLARATIONS, resident_id, sets

PERSON = resident_id("31010119800101123")
UNREGISTERED = resident_id("31010119800101007")
OPENED = "2026-03-02 09:00"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def leaks(text: str) -> list[str]:
    """Every full resident ID number in `text`, valid or not (USCCs have letters, so they do not match)."""
    return ID_NUMBER.findall(text)


@pytest.fixture
def seen(award: AwardRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """Runs a command and keeps everything it printed; the caller greps the lot at the end."""
    monkeypatch.setenv("AWARD_LOG", "DEBUG")
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []

    def run(*args: str, **kw: object) -> object:
        r = award(*args, **kw)  # type: ignore[arg-type]
        typed = " ".join("<ID>" if ID_NUMBER.fullmatch(a) else a for a in args)  # what was typed is not output
        outputs.append(f"$ award {typed}\n{r.out}\n{r.err}")
        return r

    run.outputs = outputs  # type: ignore[attr-defined]
    return run


def test_no_command_output_log_line_or_message_shows_a_full_id_number(seen, award: AwardRunner, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    assert seen("round", "open", "sha", "2026", now=OPENED).code == 0
    r = seen("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON, "--email", "chen@example.com",
             "--district", "浦东新区")
    assert r.code == 0, r
    # Refusals and errors that name the number.
    assert seen("party", "add", "--kind", "person", "--name", "陈质量", "--code", PERSON).code == 2
    assert seen("party", "add", "--kind", "person", "--name", "某", "--code", PERSON[:-1] + "0").code == 2
    assert seen("party", "show", UNREGISTERED).code == 4
    csv = tmp_path / "past.csv"
    csv.write_text(f"code,procedure,award,awarded_on\n{UNREGISTERED},sha,gold_achievement,2020-12-01\n",
                   encoding="utf-8")
    r = seen("party", "import-awards", str(csv))
    assert r.code == 2 and "未登记" in r.err, r
    csv.write_text(f"code,procedure,award,awarded_on\n{PERSON},sha,gold_model,2020-12-01\n", encoding="utf-8")
    assert seen("party", "import-awards", str(csv)).code == 2
    # A case of the person through the steps that notify and record.
    r = seen("case", "new", "--party", PERSON, "--round", "sha-2026", "--track", "gold_achievement", "--json",
             now=OPENED)
    assert r.code == 0, r
    ref = r.json["ref"]
    assert seen("advance", ref, "start_internal_notice", now="2026-03-02 11:00").code == 0
    assert seen("tick", now="2026-03-10 00:05", who=None).code == 0
    fill = [*PERSON_DECLARATIONS, "quality_work_since=2015-03-01"]
    assert seen("advance", ref, "submit", *sets(fill), now="2026-03-10 09:30").code == 0
    for args in (["party", "show", PERSON], ["party", "show", PERSON, "--json"], ["party", "list"],
                 ["party", "list", "--json"], ["show", ref], ["show", ref, "--json"], ["history", ref],
                 ["history", ref, "--json"], ["cases"], ["cases", "--json"], ["outbox", "list", "--json"],
                 ["timers", "list", "--json"], ["case", "new", "--party", PERSON, "--round", "sha-2026", "--track",
                                                "gold_achievement"]):
        seen(*args)
    assert seen("outbox", "deliver").code == 0
    mails = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "mail").glob("*.eml"))
    assert mails, "the steps above spool mail"
    everything = {"outputs": "\n".join(seen.outputs), "logs": "\n".join(r.getMessage() for r in caplog.records),
                  "mail": mails}
    for where, text in everything.items():
        assert leaks(text) == [], (where, leaks(text))
    assert "310101********" in everything["outputs"]  # the masked form is what people see
