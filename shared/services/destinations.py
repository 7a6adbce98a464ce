"""Use case helper: is a webhook URL an allowed destination? Names are resolved through a port.

The rules are the domain's (`shared.domain.destinations`); resolving a name is I/O, so it goes
through `HostResolver`, implemented by `shared.adapters.dns_resolver.DnsResolver`. Used when an
endpoint is created and, by the webhook sender, before every delivery.
"""

from __future__ import annotations

from shared.domain.destinations import (
    Destination,
    check_addresses,
    parse_addresses,
    parse_destination,
)
from shared.services.ports import HostResolver


async def check_destination(
    url: str, resolver: HostResolver, *, allow_loopback: bool, allow_unresolved: bool = False
) -> Destination:
    """The destination of `url`, or InvalidRequest (param `url`) saying why it is refused.

    `allow_unresolved` (dev mode, at creation): a name that does not resolve yet is kept; it is
    checked again, like every name, before each delivery.
    """
    destination = parse_destination(url, allow_loopback=allow_loopback)
    if destination.is_name:
        found = await resolver.resolve(destination.host, destination.port)
        if not found and allow_unresolved:
            return destination
        check_addresses(destination, parse_addresses(found), allow_loopback=allow_loopback)
    return destination
