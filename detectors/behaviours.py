"""The behaviour catalogue: how a leak happened, and its default severity."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Behaviour:
    name: str
    severity: str
    meaning: str


BEHAVIOURS = {
    b.name: b
    for b in (
        Behaviour(
            "agent_full_disclosure",
            "high",
            "the agent says or writes a complete high-sensitivity identifier",
        ),
        Behaviour(
            "credential_request",
            "high",
            "the agent asks for a password, PIN, CVV or one-time code, "
            "or such a secret appears in the record",
        ),
        Behaviour(
            "private_channel",
            "high",
            "the agent moves the customer or their data to a personal channel",
        ),
        Behaviour(
            "unauthorised_retention",
            "medium",
            "the agent keeps, notes down, photographs or saves customer data "
            "outside the system",
        ),
        Behaviour(
            "unmasked_record",
            "medium",
            "a complete identifier or contact detail stays unmasked in the record",
        ),
        Behaviour(
            "document_exposure",
            "medium",
            "an ID photo, bank card photo or contract with identifiers is "
            "uploaded or forwarded without redaction",
        ),
        Behaviour(
            "over_collection",
            "medium",
            "the agent asks for more than the process needs",
        ),
        Behaviour(
            "partial_hint",
            "low",
            "the agent asks for part of an identifier, or reveals more of one "
            "than its last four characters",
        ),
        Behaviour(
            "redundant_verification",
            "low",
            "the same sensitive item is asked for again in one interaction",
        ),
    )
}

# Identifiers whose complete form in an agent's words is a disclosure.
HIGH_SENSITIVITY_TYPES = frozenset(
    {
        "CN_RESIDENT_ID",
        "BANK_CARD",
        "BANK_ACCOUNT",
        "PASSPORT",
        "US_SSN",
        "HK_MO_TW_ID",
        "TRAVEL_PERMIT",
        "OTHER_NATIONAL_ID",
        "SOCIAL_INSURANCE_NUMBER",
    }
)
# Secrets: keeping them in the record is never allowed, whoever wrote them.
SECRET_TYPES = frozenset({"PASSWORD", "VERIFICATION_CODE", "CARD_CVV"})
# Recognised so they are never mistaken for personal data; never a case.
NON_PERSONAL_TYPES = frozenset({"COMPANY_CODE"})
