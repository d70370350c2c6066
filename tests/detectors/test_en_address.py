"""US, UK and continental street addresses: core, proving tail, context.

Every address here is made up. ZIP codes and postcodes only have the right
shape.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers.base import Candidate, SegmentView
from detectors.recognizers.en_address import (
    _COMMON_NOUN_STREET_WORD_TABLE,
    _STREET_WORD_TABLE,
    EnglishAddressRecognizer,
)
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
    ("text", "covered"),
    [
        # UK street words, with straight and typographic apostrophes
        (
            "Please post it to 3 Bishop's Parade, Ely CB7 4QT",
            "3 Bishop's Parade, Ely CB7 4QT",
        ),
        ("send to 21 Miller’s Wharf, Hull HU1 2PQ", "21 Miller’s Wharf, Hull HU1 2PQ"),
        ("it's 6 Tanners Yard, Derby DE1 3RB", "6 Tanners Yard, Derby DE1 3RB"),
        ("18 Foxglove Rise, Truro TR1 3SW", "18 Foxglove Rise, Truro TR1 3SW"),
        # USPS suffixes that are also common nouns, proven by the ZIP code
        (
            "I live at 640 Aspen Ferry, Boise ID 83702",
            "640 Aspen Ferry, Boise ID 83702",
        ),
        (
            "ship to 77 Quail Hollow, Macon, GA 31201",
            "77 Quail Hollow, Macon, GA 31201",
        ),
        ("1450 Juniper Knoll, Provo, UT 84601", "1450 Juniper Knoll, Provo, UT 84601"),
        # USPS suffixes that only name streets, proven by context
        ("I live at 908 Harlow Causeway", "908 Harlow Causeway"),
        ("ship to 33 Delmont Turnpike, Apt 2", "33 Delmont Turnpike, Apt 2"),
        # St. as a saint's name, and a lettered street
        (
            "deliver to 40 St. Clement's Road, Leeds LS9 8PT",
            "40 St. Clement's Road, Leeds LS9 8PT",
        ),
        ("ship to 920 N Street Southwest", "920 N Street Southwest"),
        # lower case, proven by a UK postcode
        ("my address is 5 rowan passage, cb1 2zq", "5 rowan passage, cb1 2zq"),
        # a common-noun suffix right after a lead-in
        ("She resides at 4410 Sutter Meadows.", "4410 Sutter Meadows"),
        ("my address is 12 Fenwick Landing Apt. 7", "12 Fenwick Landing Apt. 7"),
        # two units, and a town and country after the street
        (
            "ship to 88 Harbor Blvd Suite 4 Apt 12, Ventura, CA 93001",
            "88 Harbor Blvd Suite 4 Apt 12, Ventura, CA 93001",
        ),
        (
            "I live at 14 Kestrel Road, Dundee, Scotland",
            "14 Kestrel Road, Dundee, Scotland",
        ),
        (
            "ship to 9 Oak Street, Salem, OR 97301, USA",
            "9 Oak Street, Salem, OR 97301, USA",
        ),
    ],
)
def test_more_street_words_are_found(text: str, covered: str) -> None:
    assert reported(text) == [covered]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        # German: suffix glued to the name, and as a word of its own
        ("Lindenstraße 23, 50674 Köln", "Lindenstraße 23, 50674 Köln"),
        ("Hohe Str. 4, 44139 Dortmund", "Hohe Str. 4, 44139 Dortmund"),
        ("ship to Kastanienallee 7a, 10435 Berlin", "Kastanienallee 7a, 10435 Berlin"),
        (
            "bitte an Mainzer Landstrasse 15, D-60329 Frankfurt am Main",
            "Mainzer Landstrasse 15, D-60329 Frankfurt am Main",
        ),
        ("Am Birkenweg 3, 8004 Zürich", "Am Birkenweg 3, 8004 Zürich"),
        # Dutch, with the letters of the postcode
        ("Kerkstraat 41, 3512 BT Utrecht", "Kerkstraat 41, 3512 BT Utrecht"),
        ("Prinsengracht 200 1016 HN Amsterdam", "Prinsengracht 200 1016 HN Amsterdam"),
        # French, street word first, number after or before
        ("Rue de la Paix 9, 75002 Paris", "Rue de la Paix 9, 75002 Paris"),
        ("18 rue des Lilas, 69003 Lyon", "18 rue des Lilas, 69003 Lyon"),
        (
            "chez moi : 7 avenue Jean Jaurès, 31000 Toulouse",
            "7 avenue Jean Jaurès, 31000 Toulouse",
        ),
        (
            "Chemin d'Entre-Bois 12, 1018 Lausanne",
            "Chemin d'Entre-Bois 12, 1018 Lausanne",
        ),
        # Spanish with a comma before the number, Italian and Portuguese
        ("Calle Mayor, 10, 28013 Madrid", "Calle Mayor, 10, 28013 Madrid"),
        ("Via Garibaldi 8, 20121 Milano", "Via Garibaldi 8, 20121 Milano"),
        (
            "Piazza del Duomo 3, 50122 Firenze, Italy",
            "Piazza del Duomo 3, 50122 Firenze, Italy",
        ),
        ("Rua Augusta 120, 1100 Lisboa", "Rua Augusta 120, 1100 Lisboa"),
        # lower case, proven by the postcode and city
        ("lindenstraße 23, 50674 köln", "lindenstraße 23, 50674 köln"),
        # no postcode, right after a lead-in
        ("I live at Birkenweg 7", "Birkenweg 7"),
        ("my address is Via Roma 15.", "Via Roma 15"),
        # a number before a street-first address is no house number
        ("4 Via Roma 15, 00184 Roma", "Via Roma 15, 00184 Roma"),
    ],
)
def test_continental_addresses_are_found(text: str, covered: str) -> None:
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
        "I bought 5 Summit passes",  # a common-noun suffix without a ZIP
        "I live in Leeds and bought 86 Linden Meadows prints",  # no lead-in
        "I live at 5 minutes walk",  # lower case, no suffix before the noun
        "we booked Room 5, 10115 guests came",  # no street word
        "Lindenstraße 23",  # continental, no postcode and no lead-in
        "Straße 5, 50674 Köln",  # a street word with no name
        "Rue de 5, 75002 Paris",  # a name that ends in a particle
        "ship it via Express 2",  # via as an English word
        "it costs 12 Euro, 10115 Berlin store",  # no street word
        "the 2 Park View rooms are free",  # a weak suffix without a ZIP
        "12 Green Park tickets, 10115 Berlin",  # no continental street word
    ],
)
def test_non_addresses_are_ignored(text: str) -> None:
    assert reported(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Our office is located at 100 Market Street, San Francisco, CA 94105",
        "our store is at Lindenstraße 23, 50674 Köln",
        "visit us at 18 rue des Lilas, 69003 Lyon",
        "the hotel is at 3 Bishop's Parade, Ely CB7 4QT",
    ],
)
def test_business_address_is_not_reported(text: str) -> None:
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


def test_continental_tags() -> None:
    found = candidates("Via Garibaldi 8, 20121 Milano, Italy")[0]
    assert found.tags == {
        "en_address",
        "continental_street",
        "postcode",
        "town",
        "country",
    }
    assert found.confidence >= 0.88


def test_lead_in_scores_a_common_noun_suffix() -> None:
    found = candidates("she resides at 86 Linden Meadows")
    assert len(found) == 1
    assert found[0].tags == {"en_address", "weak_street"}
    assert found[0].confidence >= THRESHOLD


def test_street_word_tables_have_no_duplicates() -> None:
    words = (_STREET_WORD_TABLE + _COMMON_NOUN_STREET_WORD_TABLE).split()
    duplicates = sorted({word for word in words if words.count(word) > 1})
    assert duplicates == []
