"""The egress policy: which addresses outbound requests may reach, read as the resolver reads
them, and the destinations an operator allows past it."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from inbox.domain.egress import (
    PUBLIC_ONLY,
    EgressPolicy,
    ForbiddenDestination,
    is_loopback_host,
    numeric_host,
    parse_allowed,
)
from inbox.domain.errors import ConfigurationError


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:5432/x", "points to a loopback address (127.0.0.1)"),
        ("https://localhost/hook", "localhost is a name of the local network"),
        ("https://LOCALHOST./hook", "localhost is a name of the local network"),
        ("https://app.localhost/hook", "app.localhost is a name of the local network"),
        ("https://[::1]/hook", "points to a loopback address (::1)"),
        (
            "https://[::ffff:127.0.0.1]/hook",
            "points to a loopback address (::ffff:127.0.0.1, that is 127.0.0.1)",
        ),
        ("https://0.0.0.0/hook", "points to the unspecified address (0.0.0.0)"),
        ("https://[::]/hook", "points to the unspecified address (::)"),
        ("https://2130706433/hook", "points to a loopback address (127.0.0.1)"),
        ("https://127.1/hook", "points to a loopback address (127.0.0.1)"),
        ("https://0x7f.1/hook", "points to a loopback address (127.0.0.1)"),
        ("https://0x7F000001/hook", "points to a loopback address (127.0.0.1)"),
        ("https://0177.0.0.1/hook", "points to a loopback address (127.0.0.1)"),
        ("https://017700000001/hook", "points to a loopback address (127.0.0.1)"),
        ("https://127.0.0.1./hook", "points to a loopback address (127.0.0.1)"),
        ("https://169.254.169.254/latest/meta-data", "a link-local address (169.254.169.254)"),
        ("https://[fe80::1]/hook", "points to a link-local address (fe80::1)"),
        ("https://10.0.0.5/hook", "points to a private address (10.0.0.5)"),
        ("https://172.16.3.4/hook", "points to a private address (172.16.3.4)"),
        ("https://192.168.1.20/hook", "points to a private address (192.168.1.20)"),
        ("https://[fd12:3456::1]/hook", "points to a private address (fd12:3456::1)"),
        ("https://[fec0::1]/hook", "points to a private address (fec0::1)"),
        ("https://100.64.0.1/hook", "a shared address (carrier-grade NAT) (100.64.0.1)"),
        ("https://224.0.0.251/hook", "points to a multicast address (224.0.0.251)"),
        ("https://[ff02::1]/hook", "points to a multicast address (ff02::1)"),
        ("https://240.0.0.1/hook", "points to a reserved address (240.0.0.1)"),
        ("https://255.255.255.255/hook", "points to a reserved address (255.255.255.255)"),
        ("https://0.1.2.3/hook", "points to a reserved address (0.1.2.3)"),
        ("https://192.0.2.10/hook", "points to a reserved address (192.0.2.10)"),
        ("https://metadata.google.internal/computeMetadata/v1/", "a name of the local network"),
        ("https://printer.local/hook", "printer.local is a name of the local network"),
        ("https://router.home.arpa/hook", "router.home.arpa is a name of the local network"),
        ("https://intranet/hook", "intranet has no domain"),
    ],
)
def test_internal_destinations_are_refused_naming_the_field_and_the_reason(
    url: str, reason: str
) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        PUBLIC_ONLY.destination(url, "webhook url")
    assert refused.value.setting == "webhook url"
    assert reason in refused.value.reason
    assert "INBOX_ALLOWED_INTERNAL_HOSTS" in refused.value.reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://[::127.0.0.1]/", "a loopback address (::127.0.0.1, that is 127.0.0.1)"),
        ("https://[::ffff:0:a00:5]/", "a private address (::ffff:0:a00:5, that is 10.0.0.5)"),
        ("https://[2002:7f00:1::]/", "a loopback address (2002:7f00:1::, that is 127.0.0.1)"),
        ("https://[2002:a9fe:a9fe::1]/", "a link-local address (2002:a9fe:a9fe::1, that is 169"),
        ("https://[64:ff9b::a00:5]/", "a private address (64:ff9b::a00:5, that is 10.0.0.5)"),
        ("https://[64:ff9b:1::5]/", "a reserved address (64:ff9b:1::5)"),
        # Teredo keeps the client's address inverted: 80ff:fffe is 127.0.0.1.
        ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "a loopback address (2001:0:"),
        ("https://[2001:0:4136:e378:8000:63bf:fefe:fefe]/", "a Teredo tunnel address (2001:0"),
    ],
)
def test_ipv6_forms_that_carry_an_internal_ipv4_address_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        PUBLIC_ONLY.destination(url, "webhook url")
    assert f"points to {reason}" in refused.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/T0/s3cret",
        "https://93.184.215.14/hook",
        "https://1.1.1.1:8443/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://[::ffff:1.1.1.1]/hook",
        "https://[2002:101:101::1]/hook",
    ],
)
def test_public_destinations_over_https_are_accepted(url: str) -> None:
    assert PUBLIC_ONLY.destination(url, "webhook url").scheme == "https"


def test_a_name_is_left_to_resolution_and_an_address_is_not() -> None:
    named = PUBLIC_ONLY.destination("https://Hooks.Example.com./x?token=1", "webhook url")
    numeric = PUBLIC_ONLY.destination("https://1.1.1.1/x", "webhook url")
    assert (named.host, named.port, named.address) == ("hooks.example.com", 443, None)
    assert PUBLIC_ONLY.needs_resolution(named)
    assert not PUBLIC_ONLY.needs_resolution(numeric)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("ftp://hooks.example.com/x", "must be an https:// URL"),
        ("https:///x", "has no host"),
        ("https://hooks.example.com:0/x", "port 0"),
        ("https://hooks.example.com:70000/x", "not a number up to 65535"),
        ("https://256.1.1.1/x", "neither a host name nor an IP address"),
        ("https://09.1.1.1/x", "neither a host name nor an IP address"),
        ("https://1.2.3.4.5/x", "neither a host name nor an IP address"),
        ("https://0x01.0x01.0x01.0x01/x", "write the address as 1.1.1.1"),
        ("https://16843009/x", "write the address as 1.1.1.1"),
    ],
)
def test_plain_http_unreadable_hosts_and_odd_spellings_of_public_addresses_are_refused(
    url: str, reason: str
) -> None:
    with pytest.raises(ForbiddenDestination, match=reason):
        PUBLIC_ONLY.destination(url, "webhook url")


def test_refusals_never_show_the_path_or_query_where_receivers_keep_secrets() -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        PUBLIC_ONLY.destination("http://10.0.0.5/hooks/s3cret?token=t0ken", "webhook url")
    assert "s3cret" not in str(refused.value)
    assert "t0ken" not in str(refused.value)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104 (an address read, not bound)
        ("0x", "0.0.0.0"),  # noqa: S104
        ("::1", "::1"),
        ("hooks.example.com", None),
        ("1e3.example", None),
    ],
)
def test_numeric_hosts_are_read_as_the_c_library_reads_them(host: str, address: str | None) -> None:
    assert numeric_host(host) == (ip_address(address) if address else None)


def test_a_name_ending_in_a_number_that_is_no_address_is_not_a_name() -> None:
    for host in ("256.0.0.1", "08", "1..2", "example.123", "4294967296"):
        with pytest.raises(ValueError, match=r"\S"):
            numeric_host(host)


def test_the_allow_list_reads_names_addresses_and_ranges_with_optional_ports() -> None:
    allowed = parse_allowed(" hooks.internal:443, 10.0.0.5  [fd00::5]:8443,192.168.0.0/16:80 ")
    policy = EgressPolicy(allowed)
    assert policy.destination("https://hooks.internal/x", "url").host == "hooks.internal"
    assert policy.destination("https://10.0.0.5:9000/x", "url").port == 9000
    assert policy.destination("https://[fd00::5]:8443/x", "url").port == 8443
    assert policy.destination("http://192.168.7.7/x", "url").scheme == "http"
    for refused in (
        "https://hooks.internal:8443/x",  # another port
        "https://[fd00::5]/x",
        "http://192.168.7.7:8080/x",
        "https://10.0.0.6/x",
        "https://127.0.0.1/x",
    ):
        with pytest.raises(ForbiddenDestination):
            policy.destination(refused, "url")


def test_an_allowed_destination_may_use_plain_http_and_others_may_not() -> None:
    policy = EgressPolicy.from_setting("127.0.0.1:8081")
    assert policy.destination("http://127.0.0.1:8081/hook", "url").scheme == "http"
    with pytest.raises(ForbiddenDestination, match="loopback"):
        policy.destination("http://127.0.0.1:8082/hook", "url")


def test_an_allowed_name_is_not_resolved_and_an_allowed_address_admits_any_name_to_it() -> None:
    policy = EgressPolicy.from_setting("hooks.internal, 10.0.0.0/8:443")
    target = policy.destination("https://hooks.internal/x", "url")
    assert not policy.needs_resolution(target)
    policy.check_resolved("url", "crm.corp.example", 443, ip_address("10.9.8.7"))
    with pytest.raises(ForbiddenDestination, match=r"crm\.corp\.example resolves to a private"):
        policy.check_resolved("url", "crm.corp.example", 8443, ip_address("10.9.8.7"))


def test_a_resolved_internal_address_is_refused_without_showing_it() -> None:
    with pytest.raises(ForbiddenDestination) as refused:
        PUBLIC_ONLY.check_resolved("url", "rebind.example.net.", 443, ip_address("10.1.2.3"))
    assert "rebind.example.net resolves to a private address" in refused.value.reason
    assert "10.1.2.3" not in refused.value.reason
    PUBLIC_ONLY.check_resolved("url", "hooks.example.com", 443, ip_address("93.184.215.14"))


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("hooks.internal:0", "port is not from 1 to 65535"),
        ("hooks.internal:http", "port is not from 1 to 65535"),
        ("[fd00::5", "write [address]:port"),
        ("127.1", "write the address as 127.0.0.1"),
        ("bad_host!", "not a host name, an IP address or a range"),
        ("-leading.example", "not a host name, an IP address or a range"),
    ],
)
def test_an_unreadable_allow_list_is_refused_naming_the_setting(setting: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_allowed(setting)
    assert refused.value.setting == "INBOX_ALLOWED_INTERNAL_HOSTS"
    assert reason in refused.value.reason


def test_the_allow_list_is_empty_by_default() -> None:
    assert parse_allowed("") == ()
    assert EgressPolicy.from_setting("  ") == PUBLIC_ONLY


def test_loopback_hosts_are_recognised_in_every_spelling() -> None:
    assert all(is_loopback_host(h) for h in ("localhost", "127.0.0.1", "127.1", "::1", "0x7f.1"))
    assert not any(is_loopback_host(h) for h in ("10.0.0.1", "example.com", "999.1.1.1"))
