"""Webhook destination rules (pure): which URLs and addresses a webhook may be sent to."""

from __future__ import annotations

import ipaddress

import pytest

from shared.domain.destinations import (
    FORBIDDEN_CODE,
    address_problem,
    check_addresses,
    parse_destination,
)
from shared.domain.errors import InvalidRequest

REFUSED_ADDRESSES = {
    "private-10": "10.1.2.3",
    "private-172": "172.16.0.1",
    "private-192": "192.168.1.1",
    "ula": "fc00::1",
    "ula-fd": "fd12:3456::1",
    "link-local": "169.254.1.1",
    "link-local-v6": "fe80::1",
    "metadata": "169.254.169.254",
    "metadata-v6": "fd00:ec2::254",
    "metadata-alibaba": "100.100.100.200",
    "unspecified": "0.0.0.0",
    "unspecified-v6": "::",
    "this-network": "0.1.2.3",
    "multicast": "224.0.0.1",
    "multicast-v6": "ff02::1",
    "broadcast": "255.255.255.255",
    "reserved": "240.0.0.1",
    "cgnat": "100.64.0.1",
    "documentation": "192.0.2.1",
    "benchmarking": "198.18.0.1",
    "mapped-metadata": "::ffff:169.254.169.254",
    "mapped-private": "::ffff:10.0.0.1",
    "compatible-metadata": "::169.254.169.254",
    "6to4-metadata": "2002:a9fe:a9fe::1",
    "nat64-metadata": "64:ff9b::a9fe:a9fe",
    "loopback": "127.0.0.1",
    "loopback-8": "127.8.9.10",
    "loopback-v6": "::1",
    "mapped-loopback": "::ffff:127.0.0.1",
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("name", sorted(REFUSED_ADDRESSES))
def test_refused_addresses(name: str) -> None:
    address = ipaddress.ip_address(REFUSED_ADDRESSES[name])
    assert address_problem(address, allow_loopback=False) is not None


@pytest.mark.parametrize("value", PUBLIC)
def test_public_addresses_are_allowed(value: str) -> None:
    assert address_problem(ipaddress.ip_address(value), allow_loopback=False) is None


def test_loopback_only_in_dev_mode() -> None:
    for value in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert address_problem(ipaddress.ip_address(value), allow_loopback=True) is None
    for name, value in REFUSED_ADDRESSES.items():
        if "loopback" not in name:
            assert address_problem(ipaddress.ip_address(value), allow_loopback=True), name


def refusal(url: str, *, dev: bool = False) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse_destination(url, allow_loopback=dev)
    assert caught.value.param == "url" and caught.value.http_status == 400
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:169.254.169.254]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://METADATA.GOOGLE.INTERNAL./",
        "https://2852039166/",  # 169.254.169.254 in decimal
        "https://0251.0376.0251.0376/",  # octal
        "https://0xa9fea9fe/",  # hex
        "https://0xa9.0xfe.0xa9.0xfe/",
        "https://169.254.43518/",  # shortened
        "https://127.1/",
        "https://0/",
        "https://10.0.0.1/",
        "https://[fe80::1%25eth0]/",
        "https://user@10.0.0.1/",
        "https://127.0.0.1/",
    ],
)
def test_refused_urls(url: str) -> None:
    error = refusal(url)
    assert error.code in ("url_invalid", FORBIDDEN_CODE)


@pytest.mark.parametrize(
    "url", ["http://example.com/hook", "ftp://example.com/", "http://8.8.8.8/", "https:///x"]
)
def test_https_only_outside_loopback(url: str) -> None:
    assert refusal(url).code == "url_invalid"
    assert refusal(url, dev=True).code == "url_invalid"


def test_backslash_and_parser_tricks_are_refused() -> None:
    refusal("https://example.com\\@169.254.169.254/")
    refusal("https://example.com:99999/")


def test_dev_mode_takes_loopback_http() -> None:
    for url in ("http://127.0.0.1:8090/webhooks", "http://[::1]:9/x", "http://localhost:9/"):
        parse_destination(url, allow_loopback=True)
    refusal("http://127.0.0.1:8090/webhooks")
    refusal("http://10.0.0.1/", dev=True)


def test_names_are_checked_on_what_they_resolve_to() -> None:
    destination = parse_destination("https://hooks.example.com/x", allow_loopback=False)
    assert destination.is_name and destination.port == 443
    check_addresses(destination, [ipaddress.ip_address("93.184.216.34")], allow_loopback=False)
    for bad in ("169.254.169.254", "10.0.0.1", "::1"):
        addresses = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address(bad)]
        with pytest.raises(InvalidRequest, match="resolves to"):
            check_addresses(destination, addresses, allow_loopback=False)
    with pytest.raises(InvalidRequest, match="does not resolve"):
        check_addresses(destination, [], allow_loopback=False)
    http_local = parse_destination("http://localhost:9/", allow_loopback=True)
    with pytest.raises(InvalidRequest, match="https"):
        check_addresses(http_local, [ipaddress.ip_address("8.8.8.8")], allow_loopback=True)
