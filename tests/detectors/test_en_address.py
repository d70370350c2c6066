"""US and UK street addresses: the core, the tail that proves it, context.

Every address here is made up; ZIP codes and postcodes only have the right
shape.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers.base import Candidate, SegmentView
from detectors.recognizers.en_address import EnglishAddressRecognizer
from detectors.types import Segment

THRESHOLD = Detector(recognizers=[]).min_confidence


def candidates(text: str) -> list[Candidate]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text), "en")
    return list(EnglishAddressRecognizer().find(view))


def reported(text: str) -> list[str]:
    """Return the covered text of each address the engine would report."""
    return [
        text[c.start : c.end] for c in candidates(text) if c.confidence >= THRESHOLD
    ]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        (
            "Please ship it to Mark Olsen, 4471 Birch Lane, Apt 3C, Greenville, SC 29601. Thanks",
            "4471 Birch Lane, Apt 3C, Greenville, SC 29601",
        ),
        (
            "Send the form to 88 Willow Court, Suite 210, Boise, ID 83702-1234 please",
            "88 Willow Court, Suite 210, Boise, ID 83702-1234",
        ),
        (
            "Deliver to 500 N Main St, Springfield, IL 62701.",
            "500 N Main St, Springfield, IL 62701",
        ),
        (
            "New address: 350 5th Avenue, New York, NY 10118",
            "350 5th Avenue, New York, NY 10118",
        ),
        ("19 Orchard Rd. #4, Salem, OR 97301", "19 Orchard Rd. #4, Salem, OR 97301"),
        ("PO Box 5521, Austin, TX 78701", "PO Box 5521, Austin, TX 78701"),
        # lower case, proven by the state and ZIP code
        (
            "ship to 6120 walnut ave, fresno, ca 93711 thx",
            "6120 walnut ave, fresno, ca 93711",
        ),
        # UK addresses with a postcode
        (
            "My new address is 17 Harbour Street, Bristol BS1 4RT.",
            "17 Harbour Street, Bristol BS1 4RT",
        ),
        ("Flat 2, 9 Mill Road, Oxford OX4 1AB", "Flat 2, 9 Mill Road, Oxford OX4 1AB"),
        ("it's 41 Station Close Leeds LS6 2QT", "41 Station Close Leeds LS6 2QT"),
        # a town and state without a ZIP code
        ("4471 Birch Lane, Greenville SC", "4471 Birch Lane, Greenville SC"),
        # a street with a unit and no town
        ("Apartment is 230 Elm Drive, Apt 12", "230 Elm Drive, Apt 12"),
        # a bare street after personal context, without the final full stop
        ("I live at 42 Oak Street.", "42 Oak Street"),
        (
            "It resides at 1307 Southwest 71st Terrace now",
            "1307 Southwest 71st Terrace",
        ),
        # Chinese text around an English address
        (
            "请寄到 2210 Cedar Blvd, Apt 5, Tampa, FL 33602，谢谢",
            "2210 Cedar Blvd, Apt 5, Tampa, FL 33602",
        ),
    ],
)
def test_addresses_are_found(text: str, covered: str) -> None:
    assert reported(text) == [covered]


@pytest.mark.parametrize(
    "text",
    [
        "I have 3 Main concerns about the bill",  # no street suffix
        "Visit 12 Court dates are listed",  # a suffix with no street name
        "We met at 5 PM on Main Street",  # a time, then a street
        "The fee is $300 Park Avenue style",  # an amount
        "Order 4471 Birch Lane shipped",  # a bare street without context
        "I ordered 12 Green Park tickets",  # a weak suffix without a ZIP
        "2 Park Lane",  # a bare street without context
        "call me at 3.5 Main Street",  # a decimal number
        "the code is CB2 1TN",  # a postcode alone
        "i live at 12 oak street",  # lower case needs a ZIP code
        "Meet at 12 Main Street OR the park",  # a state code with no town or ZIP
    ],
)
def test_non_addresses_are_ignored(text: str) -> None:
    assert reported(text) == []


def test_business_address_is_not_reported() -> None:
    text = "Our office is located at 100 Market Street, San Francisco, CA 94105"
    assert reported(text) == []


def test_full_stop_of_an_abbreviation_stays() -> None:
    text = "Mail goes to 12 Ash St., Reno, NV 89501"
    assert reported(text) == ["12 Ash St., Reno, NV 89501"]


def test_confidence_orders_tails() -> None:
    zip_code = candidates("4471 Birch Lane, Greenville, SC 29601")[0]
    unit = candidates("4471 Birch Lane, Apt 3C")[0]
    bare = candidates("4471 Birch Lane")[0]
    assert zip_code.confidence > unit.confidence > bare.confidence
    assert bare.confidence < THRESHOLD


def test_value_and_tags() -> None:
    found = candidates("ship to 88 Willow Court,\nSuite 210, Boise, ID 83702")[0]
    assert found.value == "88 Willow Court, Suite 210, Boise, ID 83702"
    assert found.tags == {"en_address", "street", "unit", "town", "state", "zip"}


def test_full_width_digits_are_folded() -> None:
    text = "ship to ４４７１ Birch Lane, Greenville, SC ２９６０１"
    found = candidates(text)
    assert [text[c.start : c.end] for c in found] == [
        "４４７１ Birch Lane, Greenville, SC ２９６０１"
    ]
    assert found[0].value == "4471 Birch Lane, Greenville, SC 29601"
