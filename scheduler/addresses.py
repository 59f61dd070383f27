"""Which addresses Veille fetches from: never this machine, private networks, link-local or
cloud metadata addresses for article pages (and for feeds when scaled out), unless allowed.

A feed item's link is written by whoever publishes the feed, so following it must not reach
the services beside Veille (SSRF). The check is made where the connection is made, on every
request and every redirect hop:

* names go through `GuardedResolver`, which drops the addresses that are not allowed from the
  DNS answer before aiohttp connects (or caches) them, so a public-looking name that resolves
  to 127.0.0.1 is refused, and the answer checked is the one connected to;
* literal addresses, which aiohttp never resolves, are checked by `GuardedConnector.connect`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.connector import Connection
from aiohttp.resolver import ThreadedResolver
from aiohttp.tracing import Trace

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

SETTING = "fetch_allow_networks"
# cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba)
METADATA = frozenset(ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
NAT64 = IPv6Network("64:ff9b::/96")


class AddressRefused(aiohttp.ClientConnectionError):
    """A fetch refused because its host is, or resolves to, an address that is not allowed."""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The allowed networks of the setting (``10.0.0.0/8``, ``::1``), ValueError if malformed."""
    out = []
    for value in values:
        try:
            out.append(ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an IP network (CIDR such as 10.0.0.0/8, fd00::/8 or 127.0.0.1)"
            ) from None
    return tuple(out)


def _deciding(ip: Address) -> list[Address]:
    """The addresses that decide for this one: an IPv4 address carried in IPv6 (mapped, NAT64)
    is what is really reached, and a 6to4 address must be fine on both sides."""
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return [ip.ipv4_mapped]
        if ip in NAT64:
            return [IPv4Address(int(ip) & 0xFFFFFFFF)]
        if ip.sixtofour is not None:
            return [ip, ip.sixtofour]
    return [ip]


def _kind(ip: Address) -> str | None:
    """What makes one address internal, in words, or None for a globally routable one."""
    if ip in METADATA:
        return "a cloud metadata address"
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, words in checks:
        if getattr(ip, attribute):
            return words
    return None if ip.is_global else "not a globally routable address"


@dataclass(frozen=True)
class AddressPolicy:
    """Globally routable addresses only, plus the networks the operator allowed."""

    allow: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, networks: Iterable[str]) -> AddressPolicy:
        """The policy of the ``fetch_allow_networks`` setting (already validated)."""
        return cls(parse_networks(networks))

    def problem(self, address: str) -> str | None:
        """Why this address may not be fetched from ('a loopback address'), None if it may."""
        ip = ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not the address
        deciding = _deciding(ip)
        if any(a in net for a in [ip, *deciding] for net in self.allow):
            return None
        for a in deciding:
            kind = _kind(a)
            if kind:
                return kind if a == ip else f"{kind} ({a} inside {address})"
        return None

    def refusal(self, host: str, address: str, kind: str) -> AddressRefused:
        """The error saying what was refused and how to allow it."""
        what = f"{host} is {kind}" if host == address else f"{host} resolves to {address}, {kind}"
        return AddressRefused(f"refused: {what} (allow with {SETTING})")


def looks_numeric(host: str) -> bool:
    """True for hosts aiohttp connects to without resolving them (literal addresses)."""
    return ":" in host or host.replace(".", "").isdigit()


class GuardedResolver(ThreadedResolver):
    """The system resolver, with the addresses the policy refuses taken out of every answer."""

    def __init__(self, policy: AddressPolicy, exempt: Iterable[str] = ()) -> None:
        super().__init__()
        self.policy = policy
        self.exempt = frozenset(h.lower() for h in exempt)  # the configured proxy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve, keep the allowed addresses; AddressRefused when none is left."""
        answers = await super().resolve(host, port, family)
        if host.lower().rstrip(".") in self.exempt:
            return answers
        kept = [a for a in answers if self.policy.problem(a["host"]) is None]
        if answers and not kept:
            first = answers[0]["host"]
            raise self.policy.refusal(host, first, self.policy.problem(first) or "refused")
        return kept


class GuardedConnector(aiohttp.TCPConnector):
    """A TCP connector that refuses hosts outside the policy, on every request and redirect."""

    def __init__(self, policy: AddressPolicy, exempt: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(resolver=GuardedResolver(policy, exempt), **kwargs)
        self.policy = policy

    async def connect(
        self, req: aiohttp.ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        """Check a literal address before connecting; names are checked once resolved."""
        host = (req.url.raw_host or "").strip("[]")
        if host and looks_numeric(host):
            try:
                kind = self.policy.problem(host)
            except ValueError:
                # 2130706433, 127.1: the system would read them as addresses nobody checked
                raise AddressRefused(f"refused: {host} is not a canonical IP address") from None
            if kind:
                raise self.policy.refusal(host, host, kind)
        return await super().connect(req, traces, timeout)
