"""The `award` engine: generic, knows no procedure by name.

The public names are re-exported lazily (PEP 562), so `import award.workflow.errors`
from the CLI does not pull in SQLAlchemy, transitions or Jinja2 at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Actor",
    "AwardError",
    "Calendar",
    "CalendarYearUnknown",
    "CaseLookupError",
    "CaseView",
    "Catalog",
    "Clock",
    "ConfigError",
    "ConflictError",
    "DataError",
    "DayInfo",
    "DefinitionChanged",
    "DefinitionError",
    "DefinitionsInvalid",
    "DeliveryError",
    "Due",
    "Engine",
    "EventView",
    "InvalidInput",
    "Message",
    "NotFound",
    "Notifier",
    "OfficialCalendar",
    "PartyLookupError",
    "Problem",
    "ProcessSpec",
    "Refused",
    "RoundLookupError",
    "StateSpec",
    "StepResult",
    "TamperedHistory",
    "TransitionSpec",
    "Verdict",
    "load_catalog",
]

_WHERE = {
    "Actor": "views", "CaseView": "views", "EventView": "views", "StepResult": "officeviews",
    "Calendar": "abc", "Clock": "abc", "Notifier": "abc",
    "Catalog": "specs.catalog", "load_catalog": "specs.catalog",
    "DayInfo": "values", "Due": "values", "Message": "values", "Verdict": "values",
    "Engine": "engine", "OfficialCalendar": "timing.calendar",
    "ProcessSpec": "specs.model", "StateSpec": "specs.model", "TransitionSpec": "specs.model",
}


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = importlib.import_module(f".{_WHERE.get(name, 'errors')}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'award.workflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
