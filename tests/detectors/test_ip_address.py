"""IP addresses: public addresses only, versions and amounts left alone."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.ip_address import IpAddressRecognizer
from detectors.types import Segment


def found(text: str) -> list[tuple[str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [(text[c.start : c.end], c.value) for c in IpAddressRecognizer().find(view)]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("登录IP是58.214.13.77谢谢", "58.214.13.77", "58.214.13.77"),
        ("last login from 81.47.202.9.", "81.47.202.9", "81.47.202.9"),
        ("proxy 121.36.94.250:8080", "121.36.94.250", "121.36.94.250"),
        ("IP 2.5.1.7", "2.5.1.7", "2.5.1.7"),
        ("IPv6地址2409:8a1e:63f0::2b", "2409:8a1e:63f0::2b", "2409:8a1e:63f0::2b"),
        (
            "from 2A01:0E0A:0004:0000:0000:0000:0000:0C31 today",
            "2A01:0E0A:0004:0000:0000:0000:0000:0C31",
            "2a01:e0a:4::c31",
        ),
    ],
)
def test_public_addresses_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [(covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "路由器地址192.168.1.1",  # private network
        "10.24.3.8",  # private network
        "100.72.14.3",  # carrier-grade NAT
        "127.0.0.1",  # loopback
        "203.0.113.45",  # documentation range
        "224.0.0.251",  # multicast
        "DNS改成114.114.114.114试试",  # public resolver
        "version 2.0.1.4",  # a version number
        "固件升级到3.10.2.15",  # firmware version
        "v58.214.13.77",  # letter glued in front
        "2.0.1.4",  # four single digits without an IP keyword
        "1.2.3",  # three parts
        "256.1.1.1",  # octet too large
        "58.214.013.77",  # leading zero
        "58.214.13.77.5",  # five parts
        "金额12.34.56.78",  # after an amount keyword
        "fe80::1",  # link-local
        "2001:db8::7",  # documentation range
        "12:30:45",  # a time
        "dead::beef",  # not global unicast space
    ],
)
def test_other_values_are_ignored(text: str) -> None:
    assert found(text) == []


def test_full_width_address_spans_original_characters() -> None:
    text = "ＩＰ：５８．２１４．１３．７７。"
    assert found(text) == [("５８．２１４．１３．７７", "58.214.13.77")]


def test_keyword_raises_confidence() -> None:
    recognizer = IpAddressRecognizer()
    (with_keyword,) = recognizer.find(
        SegmentView(Segment("s1", "c", "IP 58.214.13.77"))
    )
    (without_keyword,) = recognizer.find(
        SegmentView(Segment("s1", "c", "58.214.13.77"))
    )
    assert with_keyword.confidence > without_keyword.confidence
