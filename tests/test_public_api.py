"""The package's public surface is pinned: a change to it is a deliberate change to this list.

The names are re-exported lazily (PEP 562): `import award.workflow` stays as light as `import cli`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from award import workflow

HEAVY = {"sqlalchemy", "sqlmodel", "transitions", "jinja2", "rich", "chinese_calendar", "apscheduler", "ruamel",
         "psycopg"}


def test_all_is_sorted_and_resolves() -> None:
    assert workflow.__all__ == sorted(workflow.__all__)
    for name in workflow.__all__:
        assert getattr(workflow, name) is not None, name


def test_public_names_are_pinned() -> None:
    assert workflow.__all__ == [
        "Actor", "AwardError", "Calendar", "CalendarYearUnknown", "CaseLookupError", "CaseView", "Catalog",
        "Clock", "ConfigError", "ConflictError", "DataError", "DayInfo", "DefinitionChanged", "DefinitionError",
        "DefinitionsInvalid", "DeliveryError", "Due", "Engine", "EventView", "InvalidInput", "Message", "NotFound",
        "Notifier", "OfficialCalendar", "PartyLookupError", "Problem", "ProcessSpec", "Refused",
        "RoundLookupError", "StateSpec", "StepResult", "TamperedHistory", "TransitionSpec", "Verdict",
        "load_catalog",
    ]


@pytest.mark.parametrize("name", workflow.__all__)
def test_each_name_is_the_defining_module_s_object(name: str) -> None:
    obj = getattr(workflow, name)
    homes = [m.__name__ for m in list(sys.modules.values())
             if getattr(m, "__name__", "").startswith("award.workflow.") and getattr(m, name, None) is obj
             and name in getattr(m, "__all__", ())]
    assert homes, f"{name} is in no workflow module's __all__"
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__code__"):
        assert obj.__module__ in homes
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_unknown_name_and_dir() -> None:
    with pytest.raises(AttributeError, match="module 'award.workflow' has no attribute 'Nope'"):
        workflow.Nope  # noqa: B018
    assert set(workflow.__all__) <= set(dir(workflow))


def test_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from award.workflow import *", namespace)  # noqa: S102
    assert set(workflow.__all__) <= set(namespace)


def _imported(code: str) -> set[str]:
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in r.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_import_stays_light_until_a_heavy_name_is_used() -> None:
    light = _imported("import award.workflow; from award.workflow import AwardError, Refused, Problem")
    assert "award" in light
    assert not light & HEAVY, sorted(light & HEAVY)
    heavy = _imported("from award.workflow import Engine")
    assert "sqlalchemy" in heavy
