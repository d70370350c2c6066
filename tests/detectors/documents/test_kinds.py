"""Document kinds from text, the kind finding, and the interaction form."""

from __future__ import annotations

import pytest

from detectors.documents import Document, document_kind_finding, to_interaction
from detectors.documents.kinds import detect_kind, mask_line
from detectors.documents.lines import make_line
from detectors.documents.model import TextLine, Word

ID_NUMBER = "110105198803151232"
CARD_NUMBER = "6228480012345671"


def lines_of(*texts: str, page: int = 1) -> list[TextLine]:
    lines = []
    for row, text in enumerate(texts):
        words = [
            Word(part, (0.0, row * 40.0, 100.0, row * 40.0 + 30.0), 90.0)
            for part in text.split()
        ]
        line = make_line(words, page)
        assert line is not None
        lines.append(line)
    return lines


@pytest.mark.parametrize(
    ("texts", "kind", "line"),
    [
        (
            (
                "姓名 林晓雨",
                "性别 女 民族 汉",
                "出生 1988 年 3 月 15 日",
                f"公民身份号码 {ID_NUMBER}",
            ),
            "resident_id_front",
            3,
        ),
        # OCR noise: one wrong character in the number label, Traditional forms.
        (("姓名 林晓雨", f"公民身价号码 {ID_NUMBER}"), "resident_id_front", 1),
        (
            ("姓名 林晓雨", "性別 女", "住址 北京市", "出生 1988"),
            "resident_id_front",
            0,
        ),
        # The number unreadable: the labels alone decide.
        (("姓名 林晓雨", "性别 女", "公民身份号码 ####"), "resident_id_front", 2),
        # OCR garbled every label but one; the number has a birth date inside.
        (
            ("姓名 代用名", "性 ow 民 ik", "AESHESH 430512198908131367"),
            "resident_id_front",
            2,
        ),
        # Three labels and no label before the number: the longest digit run
        # is the kind's line, so a number that fails its checksum is covered.
        (
            (
                "姓名 林晓雨",
                "性别 男 民族 汉",
                "出生 1961 年 8 月 4 日",
                "ARAMESH 32622196108040096",
            ),
            "resident_id_front",
            3,
        ),
        (
            (
                "中华人民共和国",
                "居民身份证",
                "签发机关 北京市公安局朝阳分局",
                "有效期限 2016.05.10-2036.05.10",
            ),
            "resident_id_back",
            2,
        ),
        (
            ("中華人民共和國", "簽發機關 台北", "有效期限 2016.05.10-長期"),
            "resident_id_back",
            1,
        ),
        (
            ("中国农业银行", CARD_NUMBER, "VALID THRU 08/29", "UnionPay 银联"),
            "bank_card",
            1,
        ),
        (("VISA", "VALID THRU 08/29", "CARDHOLDER NAME"), "bank_card", 0),
        (("护照 PASSPORT", "E12345678", "姓名 / Name", "性别 / Sex"), "passport", 0),
        (("P<CHNLIN<<XIAOYU<<<<<<<<<<<<<<<<<<<<<<<<<<<<",), "passport", 0),
        (
            (
                "房屋租赁合同",
                "甲方 张三",
                "乙方 李四",
                f"身份证号码 {ID_NUMBER}",
                "签字",
            ),
            "contract",
            0,
        ),
        (
            ("SERVICE AGREEMENT", "Party A: Example Ltd", "Party B: Someone"),
            "contract",
            0,
        ),
        (("会议纪要", "下午三点开会", "电话 13912345678"), "other", None),
        # One label and an 18-digit number without a birth date inside.
        (("姓名 林晓雨", "订单 430512000013131367"), "other", None),
        # A capitalised English line is not a passport's machine-readable zone.
        (("PROJECT IS CREATED BY SOMEONE AND WELCOMES CONTRIBUTIONS",), "other", None),
        ((), "other", None),
    ],
)
def test_detect_kind(texts: tuple[str, ...], kind: str, line: int | None) -> None:
    match = detect_kind(lines_of(*texts))

    assert match.kind == kind
    assert match.line == line


def test_passport_page_is_not_an_id_card() -> None:
    # A passport prints name, sex and birth labels like an ID card front.
    texts = (
        "中华人民共和国",
        "护照 PASSPORT",
        "姓名 / Name",
        "性别 / Sex",
        "出生日期 / Date of birth",
    )

    assert detect_kind(lines_of(*texts)).kind == "passport"


def test_mask_line_keeps_labels_only() -> None:
    masked = mask_line(f"公民身份号码 {ID_NUMBER}", ["公民身份号码", "姓名"])

    assert masked == "公民身份号码 " + "*" * 18


def test_mask_line_hides_names() -> None:
    assert mask_line("姓名 林晓雨", ["姓名"]) == "姓名 ***"


def document_of(
    *texts: str, kind: str, line: int, keywords: tuple[str, ...]
) -> Document:
    return Document(
        kind=kind,
        lines=lines_of(*texts),
        kind_line=line,
        kind_keywords=keywords,
        engine="tesseract",
    )


def test_to_interaction_segments() -> None:
    document = document_of(
        "姓名 林晓雨",
        f"公民身份号码 {ID_NUMBER}",
        kind="resident_id_front",
        line=1,
        keywords=("公民身份号码",),
    )

    interaction = to_interaction(document, "ticket-1:attachment-2", speaker="agent")

    assert interaction.channel == "document"
    assert [s.id for s in interaction.segments] == ["p1l1", "p1l2"]
    assert interaction.segments[1].speaker == "agent"
    assert interaction.segments[1].extra == {
        "page": 1,
        "box": [0.0, 40.0, 100.0, 70.0],
        "document_kind": "resident_id_front",
    }


def test_segment_ids_count_lines_per_page() -> None:
    document = Document(lines=lines_of("a", "b", page=1) + lines_of("c", page=2))

    interaction = to_interaction(document, "x")

    assert [s.id for s in interaction.segments] == ["p1l1", "p1l2", "p2l1"]


@pytest.mark.parametrize(
    ("speaker", "severity"), [("customer", "medium"), ("agent", "high")]
)
def test_kind_finding_severity(speaker: str, severity: str) -> None:
    document = document_of(
        "姓名 林晓雨",
        "公民身份号码 1101051988O3",
        kind="resident_id_front",
        line=1,
        keywords=("公民身份号码", "姓名"),
    )
    interaction = to_interaction(document, "t1", speaker=speaker)

    finding = document_kind_finding(document, interaction)

    assert finding is not None
    assert finding.type == "CN_RESIDENT_ID"
    assert finding.form == "full"
    assert finding.behaviour == "document_exposure"
    assert finding.severity == severity
    assert finding.rule == "document_kind_resident_id_front"
    assert finding.segment == "p1l2"
    assert "1101" not in finding.masked
    assert finding.masked.startswith("公民身份号码 ")


@pytest.mark.parametrize(
    ("kind", "entity_type"),
    [
        ("resident_id_back", "CN_RESIDENT_ID"),
        ("bank_card", "BANK_CARD"),
        ("passport", "PASSPORT"),
    ],
)
def test_kind_finding_types(kind: str, entity_type: str) -> None:
    document = document_of("some label", kind=kind, line=0, keywords=())
    finding = document_kind_finding(document, to_interaction(document, "t"))

    assert finding is not None
    assert finding.type == entity_type


@pytest.mark.parametrize("kind", ["contract", "other"])
def test_no_kind_finding(kind: str) -> None:
    document = document_of("甲方 乙方", kind=kind, line=0, keywords=())

    assert document_kind_finding(document, to_interaction(document, "t")) is None
