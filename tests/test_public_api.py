"""The package's public surface is pinned: a change to it is a deliberate change to this list."""

from __future__ import annotations

import workflow


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
