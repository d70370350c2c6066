"""IP addresses that can point at a customer: public IPv4 and IPv6 addresses.

A loose pattern proposes dotted quads and colon-separated hex groups, and the
standard library's `ipaddress` proves them (octets up to 255, no leading
zeros, at most one "::").

Only globally routable addresses are reported. A customer's home or mobile
address is public and is personal data. Private (10/8, 172.16/12,
192.168/16, fc00::/7), shared (100.64/10), loopback, link-local, multicast,
reserved and documentation addresses are not routed on the internet, so they
do not point at a customer and are not reported at all. The well-known
public DNS resolvers that people quote when troubleshooting are left out
too.

Dotted numbers after a version keyword (version 2.0.1.4, 固件 1.2.3.4) are
read as versions and those after an amount keyword as amounts. Four
single-digit parts without an IP keyword are read as a version too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)

CONTEXT = keyword_pattern(["ip", "ip地址", "ipv4", "ipv6", "ip address"])
# Words after which dotted numbers are versions or amounts, not addresses.
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "金额",
        "价格",
        "amount",
        "price",
        "total",
        "version",
        "ver",
        "build",
        "release",
        "firmware",
        "版本",
        "固件",
        "系统",
        "ios",
        "android",
        "app",
        "更新",
        "升级",
    ]
)

_IPV4 = re.compile(
    r"""
    (?<![0-9A-Za-z.])
    (?P<address>[0-9]{1,3}(?:\.[0-9]{1,3}){3})
    (?![0-9A-Za-z]|\.[0-9])
    """,
    re.VERBOSE,
)
# At least two colons among hex groups, optionally ending in a dotted quad
# (::ffff:203.0.113.9); `ipaddress` decides whether the groups add up.
_IPV6 = re.compile(
    r"""
    (?<![0-9A-Za-z:.])
    (?P<address>
        (?:[0-9A-Fa-f]{1,4})?
        (?::[0-9A-Fa-f]{0,4}){2,7}
        (?:(?<=:)[0-9]{1,3}(?:\.[0-9]{1,3}){3})?
    )
    (?![0-9A-Za-z:]|\.[0-9])
    """,
    re.VERBOSE,
)
# Public resolvers of Google, Cloudflare, Quad9, 114DNS, AliDNS, DNSPod and
# Baidu: company servers that support chats name, not anyone's address.
_PUBLIC_RESOLVERS = frozenset(
    {
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "9.9.9.9",
        "114.114.114.114",
        "114.114.115.115",
        "223.5.5.5",
        "223.6.6.6",
        "119.29.29.29",
        "180.76.76.76",
        "2001:4860:4860::8888",
        "2001:4860:4860::8844",
        "2606:4700:4700::1111",
    }
)
# Globally routable unicast IPv6 space (2000::/3): `ipaddress` also calls
# unassigned space global, which would let words like "dead::beef" through.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")


def _is_personal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Check whether an address is public, unicast and not a known resolver."""
    if not address.is_global or address.is_multicast:
        return False
    is_v6 = isinstance(address, ipaddress.IPv6Address)
    if is_v6 and address not in _GLOBAL_UNICAST_V6:
        return False
    return address.compressed not in _PUBLIC_RESOLVERS


RULES = (
    Rule(
        "ip_address.ipv4",
        "IP_ADDRESS",
        "a public IPv4 address, with or without an IP keyword",
        examples=(
            "我家宽带IP是 116.228.41.9",
            "登录地址显示 203.119.27.64，不是我",
            "login from 81.2.69.160 yesterday",
        ),
        counter_examples=("256.1.2.3",),
    ),
    Rule(
        "ip_address.ipv4_single_digits",
        "IP_ADDRESS",
        "four single-digit parts are an address only after an IP keyword",
        examples=("ip 5.6.7.8",),
        counter_examples=("5.6.7.8",),
    ),
    Rule(
        "ip_address.ipv6",
        "IP_ADDRESS",
        "a globally routable unicast IPv6 address (2000::/3)",
        examples=("my ipv6 is 2408:8207:1a2b:3c4d::17", "2a01:4f8:c17:9d0e::2"),
        counter_examples=("dead::beef", "fe80::1"),
    ),
    Rule(
        "ip_address.not_public",
        "IP_ADDRESS",
        "private, shared, loopback, link-local, reserved and documentation "
        "addresses point at no customer",
        examples=("内网是 192.168.1.20，外网 116.228.41.9",),
        counter_examples=(
            "ip 192.168.1.20",
            "内网 172.16.8.44",
            "10.0.3.7",
            "100.64.2.9",
            "203.0.113.9",
            "2001:db8::7",
        ),
    ),
    Rule(
        "ip_address.public_resolver",
        "IP_ADDRESS",
        "well-known public DNS resolvers are company servers",
        examples=("DNS是8.8.8.8，出口IP 116.228.41.9",),
        counter_examples=("DNS改成 8.8.8.8 了", "114.114.114.114"),
    ),
    Rule(
        "ip_address.version_or_amount",
        "IP_ADDRESS",
        "dotted numbers after a version, firmware or amount keyword are not addresses",
        examples=("app版本是 3.2.1.0，我这边的IP地址是 116.228.41.9",),
        counter_examples=("版本 3.12.104.8", "firmware 10.4.22.130"),
    ),
)


class IpAddressRecognizer(Recognizer):
    name = "ip_address"
    types = ("IP_ADDRESS",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        yield from self._ipv4(view)
        yield from self._ipv6(view)

    def _ipv4(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _IPV4.finditer(view.folded.text):
            text = match.group("address")
            try:
                address = ipaddress.IPv4Address(text)
            except ValueError:
                continue
            start, end = match.span()
            if NEGATIVE_CONTEXT.search(view.before(start, 12)):
                continue
            has_context = bool(CONTEXT.search(view.before(start, 16)))
            single_digits = all(len(part) == 1 for part in text.split("."))
            if single_digits and not has_context:
                continue
            if not _is_personal(address):
                continue
            yield self._candidate(start, end, address, has_context, "IPv4")

    def _ipv6(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _IPV6.finditer(view.folded.text):
            try:
                address = ipaddress.IPv6Address(match.group("address"))
            except ValueError:
                continue
            if not _is_personal(address):
                continue
            start, end = match.span()
            has_context = bool(CONTEXT.search(view.before(start, 16)))
            yield self._candidate(start, end, address, has_context, "IPv6")

    def _candidate(
        self,
        start: int,
        end: int,
        address: ipaddress.IPv4Address | ipaddress.IPv6Address,
        has_context: bool,
        family: str,
    ) -> Candidate:
        # The value is the RFC 5952 form (lower-case, zeros compressed), so
        # every spelling of one address gets one fingerprint.
        return Candidate(
            start,
            end,
            "IP_ADDRESS",
            "full",
            address.compressed,
            0.95 if has_context else 0.85,
            self.name,
            f"public {family} address"
            + (" next to an IP keyword" if has_context else ""),
        )


RECOGNIZERS = [IpAddressRecognizer()]
