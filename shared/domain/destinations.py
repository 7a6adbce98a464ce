"""Where a webhook may be sent: the URL and IP address rules (pure; resolving is an adapter's).

A webhook URL is chosen by the merchant and fetched by paygate, from inside paygate's network:
without rules it reaches the cloud metadata service (`http://169.254.169.254/…`, credentials),
the VPC's private addresses, or the function's own loopback. So a destination is allowed only
when it is `https` to a public address, or, in dev mode, loopback (the demo receiver, the
tests' local servers). Refused whatever the mode: private (10/8, 172.16/12, 192.168/16,
fc00::/7), CGNAT 100.64/10, link-local (169.254/16, fe80::/10), cloud metadata names and
addresses, unspecified, multicast, broadcast, reserved and documentation ranges, IPv4 embedded
in IPv6 (mapped, compatible, 6to4, NAT64, Teredo) when the IPv4 inside is refused, and IPv4
written any way but dotted decimal (`2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe`, `127.1`):
resolvers accept those spellings, and a check that reads them otherwise is bypassed.

Names are resolved at creation and again at every delivery (DNS can change): `check_addresses`
is what both apply to the addresses found.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.domain.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

URL_CODE = "url_invalid"
FORBIDDEN_CODE = "url_destination_forbidden"

METADATA_HOSTNAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack…
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS IPv6 metadata
        "100.100.100.200",  # Alibaba Cloud
    )
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
CANONICAL_IPV4 = re.compile(rf"^{_OCTET}(\.{_OCTET}){{3}}$")


@dataclass(frozen=True)
class Destination:
    """A webhook URL taken apart: what to connect to, and the literal address if it is one."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None

    @property
    def is_name(self) -> bool:
        return self.address is None


class DestinationForbidden(InvalidRequest):
    """A URL whose destination is not allowed (400 url_destination_forbidden, param url)."""

    code = FORBIDDEN_CODE


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a connection to `address` is refused, or None when it is allowed."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped (zone) IPv6 address"
        inner = _embedded_ipv4(address)
        if inner is not None:
            problem = address_problem(inner, allow_loopback=allow_loopback)
            return f"an IPv6 address embedding {problem}" if problem else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _forbidden(message: str) -> DestinationForbidden:
    return DestinationForbidden(f"url: {message}", param="url")


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(f"url: {message}", code=URL_CODE, param="url")


def _literal_address(host: str) -> IPAddress | None:
    """The address a host names literally; non-canonical IPv4 spellings are refused."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid("not a valid IPv6 address") from None
    labels = host.split(".")
    if NUMERIC_LABEL.match(labels[-1]):  # WHATWG: a host ending in a number is an IPv4 address
        if CANONICAL_IPV4.match(host):
            return ipaddress.IPv4Address(host)
        raise _forbidden(
            "an IP address must be written as four decimal numbers (a.b.c.d); "
            "decimal, octal, hexadecimal and shortened spellings are refused"
        )
    return None


def parse_destination(url: str, *, allow_loopback: bool) -> Destination:
    """Check what can be checked without DNS; raise InvalidRequest (param `url`) otherwise."""
    if "\\" in url or any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise _invalid("must not contain backslashes, spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _invalid("must be an https URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _invalid("has no host")
    address = _literal_address(host)
    if address is None and host in METADATA_HOSTNAMES:
        raise _forbidden(f"{host} is a cloud metadata service")
    destination = Destination(scheme, host, port or (443 if scheme == "https" else 80), address)
    if address is not None:
        check_addresses(destination, [address], allow_loopback=allow_loopback)
    elif scheme != "https" and not (allow_loopback and host == "localhost"):
        raise _invalid("must be an https URL (http only to loopback, in dev mode)")
    return destination


def check_addresses(
    destination: Destination, addresses: list[IPAddress], *, allow_loopback: bool
) -> None:
    """Every address the destination resolves to must be allowed (and http only to loopback)."""
    if not addresses:
        raise _invalid(f"{destination.host} does not resolve to any address")
    for address in addresses:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem is not None:
            shown = destination.host if destination.is_name else str(address)
            resolved = f" resolves to {address}," if destination.is_name else ""
            raise _forbidden(f"{shown}{resolved} is {problem}; webhooks go to public addresses")
        if destination.scheme != "https" and not address.is_loopback:
            raise _invalid("must be an https URL (http only to loopback, in dev mode)")


def parse_addresses(values: list[str]) -> list[IPAddress]:
    """Addresses as a resolver returns them (IPv6 scope ids kept, so they are refused)."""
    return [ipaddress.ip_address(value) for value in values]
