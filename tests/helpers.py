"""Valid codes and ready-made steps for scenario tests."""

from __future__ import annotations

from workflow.identity import resident_id_check_character, uscc_check_character


def uscc(body17: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    return body17 + uscc_check_character(body17)


def resident_id(body17: str) -> str:
    """A valid resident ID number from its first 17 characters."""
    return body17 + resident_id_check_character(body17)


ORG_DECLARATIONS = [
    "registered_in_shanghai=是", "licensed_compliant=是", "chief_quality_officer=是", "no_loss_5y=是",
    "no_major_accident=是", "no_major_complaint=是", "no_serious_dishonesty=是", "district_award_same_year=否",
    "contact_email=applicant@example.com",
]
PERSON_DECLARATIONS = ["is_principal=否", "district_award_same_year=否", "contact_email=person@example.com"]


def sets(items: list[str]) -> list[str]:
    return [a for item in items for a in ("--set", item)]
