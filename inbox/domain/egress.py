"""Where the inbox may send a request: the rules every outbound address is held to.

Webhook receivers, Mastodon instances, Bluesky services and the Graph API URL are typed in by
people, and the server's requests to them start inside the operator's network. So an address
is refused when it reaches this machine or a network behind it: loopback, link-local (the
cloud metadata service at 169.254.169.254 among them), private (RFC 1918, unique-local
fc00::/7), shared (100.64.0.0/10), multicast, unspecified, reserved, and the IPv6 forms that
carry one of those IPv4 addresses (mapped, compatible, 6to4, Teredo, NAT64). A numeric host is
read the way the C library's resolver reads it (`2130706433`, `127.1`, `0x7f.1` and
`0177.0.0.1` are all 127.0.0.1), and refused unless written as a plain address. Names kept for
local networks (`localhost`, `*.internal`, `*.local`...) and names without a dot are refused
by name; any other name is resolved and every address it resolves to is checked, when it is
typed in and again at each connection (`connectors.common.egress`).

Plain http is refused too: Page tokens, access tokens, app passwords and the secret paths of
webhook URLs travel with the requests.

The one way past both rules is a destination the operator names in
INBOX_ALLOWED_INTERNAL_HOSTS (an on-premise receiver, or a test double on this machine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from urllib.parse import urlsplit

from inbox.domain.errors import ConfigurationError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

ALLOW_SETTING = "INBOX_ALLOWED_INTERNAL_HOSTS"
DEFAULT_PORTS = {"https": 443, "http": 80}

# Names that only mean something on a local network (RFC 6761, RFC 6762, RFC 8375, and the
# ".internal" top-level domain kept for private use), cloud metadata hosts among them.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")

_PRIVATE = tuple(
    ip_network(block)
    for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)
_SHARED = IPv4Network("100.64.0.0/10")
_NAT64 = IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = IPv6Network("::/96")
_IPV4_TRANSLATED = IPv6Network("::ffff:0:0:0/96")
_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*$")
_HINT = f"internal destinations must be listed in {ALLOW_SETTING}"


class ForbiddenDestination(ConfigurationError):
    """An outbound address the inbox does not send to. The reason names the host, never the
    URL's path or query (receivers keep secrets there)."""


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a URL leads: its scheme, host (lower case, without brackets or a final dot), port,
    and the address itself when the host is numeric."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None


@dataclass(frozen=True, slots=True)
class AllowedDestination:
    """One entry of INBOX_ALLOWED_INTERNAL_HOSTS: a name, an address or a range (CIDR), on one
    port or on any."""

    name: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    def admits_name(self, host: str, port: int) -> bool:
        return self.name is not None and self.name == host and self.port in (None, port)

    def admits_address(self, address: IPAddress, port: int) -> bool:
        if self.network is None or self.port not in (None, port):
            return False
        forms = (address, embedded_ipv4(address) if isinstance(address, IPv6Address) else None)
        return any(
            form is not None and form.version == self.network.version and form in self.network
            for form in forms
        )


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """The rules above, with the destinations the operator allows past them (none by
    default)."""

    allowed: tuple[AllowedDestination, ...] = ()

    @classmethod
    def from_setting(cls, text: str) -> EgressPolicy:
        return cls(parse_allowed(text))

    def admits_name(self, host: str, port: int) -> bool:
        host = normal_host(host)
        return any(entry.admits_name(host, port) for entry in self.allowed)

    def admits_address(self, address: IPAddress, port: int) -> bool:
        return any(entry.admits_address(address, port) for entry in self.allowed)

    def destination(self, url: str, setting: str) -> Destination:
        """Where `url` leads, once everything that can be refused without resolving its name
        has been checked; `setting` names the field in the refusal. A name still has each of
        its addresses checked (`needs_resolution`, `check_resolved`)."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ForbiddenDestination(setting, "must be an https:// URL")
        host = normal_host(parts.hostname or "")
        if not host:
            raise ForbiddenDestination(setting, "has no host")
        try:
            port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
        except ValueError:
            raise ForbiddenDestination(setting, "the port is not a number up to 65535") from None
        if port == 0:
            raise ForbiddenDestination(setting, "port 0 is no port")
        try:
            address = numeric_host(host)
        except ValueError:
            raise ForbiddenDestination(
                setting, f"{host} is neither a host name nor an IP address"
            ) from None
        target = Destination(scheme, host, port, address)
        if self._admits(target):
            return target  # named by the operator: any address, plain http too
        if address is not None:
            kind = internal_kind(address)
            if kind is not None:
                raise ForbiddenDestination(
                    setting, f"points to {kind} ({shown(address, host)}); {_HINT}"
                )
            if isinstance(address, IPv4Address) and host != str(address):
                raise ForbiddenDestination(setting, f"write the address as {address}")
        else:
            _refuse_local_name(setting, host)
        if scheme != "https":
            raise ForbiddenDestination(
                setting,
                "must use https: tokens and secret paths would travel in clear "
                f"(plain http only to a destination listed in {ALLOW_SETTING})",
            )
        return target

    def needs_resolution(self, target: Destination) -> bool:
        """Whether the addresses `target`'s name resolves to are still to be checked."""
        return target.address is None and not self.admits_name(target.host, target.port)

    def check_resolved(self, setting: str, host: str, port: int, address: IPAddress) -> None:
        """Refuse a connection to `host` when one of the addresses it resolved to is internal.
        The address is not shown: a name's internal addresses are the operator's business."""
        if self.admits_address(address, port):
            return
        kind = internal_kind(address)
        if kind is not None:
            raise ForbiddenDestination(setting, f"{normal_host(host)} resolves to {kind}; {_HINT}")

    def _admits(self, target: Destination) -> bool:
        if self.admits_name(target.host, target.port):
            return True
        return target.address is not None and self.admits_address(target.address, target.port)


# The policy without exceptions: public addresses over https only.
PUBLIC_ONLY = EgressPolicy()


def normal_host(host: str) -> str:
    """The host as rules compare it: lower case, without the root's final dot."""
    return host.strip().lower().removesuffix(".")


def _refuse_local_name(setting: str, host: str) -> None:
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        raise ForbiddenDestination(setting, f"{host} is a name of the local network; {_HINT}")
    if "." not in host:
        raise ForbiddenDestination(
            setting, f"{host} has no domain: it would be looked up on the local network; {_HINT}"
        )


def numeric_host(host: str) -> IPAddress | None:
    """The address a numeric host stands for, read as the C library's `inet_aton` reads it
    (one to four numbers, each decimal, octal after a 0 or hexadecimal after 0x, the last
    filling the bytes left); None for a name. Raises ValueError for a number that is no
    address (`256.1.1.1`, `09.1`): a host whose last label is a number is never a name."""
    if ":" in host:
        return IPv6Address(host)
    labels = host.split(".")
    if not _NUMBER.match(labels[-1]):
        return None
    if len(labels) > 4:
        raise ValueError(f"{host}: more than four numbers")
    numbers = [_inet_number(label) for label in labels]
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host}: a number too large for its place")
    value = last
    for place, number in enumerate(leading):
        value += number << (8 * (3 - place))
    return IPv4Address(value)


def _inet_number(label: str) -> int:
    if label.startswith("0x"):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)  # ValueError on 8 or 9, as inet_aton refuses them
    return int(label)  # ValueError on an empty label


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches: IPv4-mapped and -translated,
    IPv4-compatible, 6to4, a Teredo client, NAT64."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    low = IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return low
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        return low
    return None


def internal_kind(address: IPAddress) -> str | None:
    """What keeps the inbox from sending to `address`, in words; None for a public address."""
    if isinstance(address, IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None:
            kind = internal_kind(carried)
            if kind is None and address.teredo is not None:
                return "a Teredo tunnel address"
            return kind
        if address in _NAT64_LOCAL:
            return "a reserved address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _SHARED:
        return "a shared address (carrier-grade NAT)"
    if any(address in block for block in _PRIVATE):
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def shown(address: IPAddress, written: str) -> str:
    """The address (as written, for IPv6), and the IPv4 address it carries when it is one of
    IPv6's wrappings of one."""
    if isinstance(address, IPv4Address):
        return str(address)
    carried = embedded_ipv4(address)
    return f"{written}, that is {carried}" if carried is not None else written


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address: where a test double of a network listens."""
    host = normal_host(host)
    if host == "localhost":
        return True
    try:
        address = numeric_host(host)
    except ValueError:
        return False
    return address is not None and internal_kind(address) == "a loopback address"


def parse_allowed(text: str) -> tuple[AllowedDestination, ...]:
    """INBOX_ALLOWED_INTERNAL_HOSTS: entries separated by commas or spaces, each a host name
    (`hooks.internal`), an address (`10.0.0.5`, `fd00::5`) or a range (`10.0.0.0/24`), with
    an optional port (`hooks.internal:8443`, `[fd00::5]:8443`, `10.0.0.0/24:443`)."""
    return tuple(_allowed(entry) for entry in re.split(r"[\s,]+", text.strip()) if entry)


def _allowed(entry: str) -> AllowedDestination:
    host, port = _host_and_port(entry)
    try:
        network = ip_network(host, strict=False)
    except ValueError:
        network = None
    if network is not None:
        return AllowedDestination(network=network, port=port)
    name = normal_host(host)
    try:
        address = numeric_host(name)
    except ValueError:
        address = None
        name = ""
    if address is not None:
        raise ConfigurationError(ALLOW_SETTING, f"{entry!r}: write the address as {address}")
    if not _NAME.match(name):
        raise ConfigurationError(
            ALLOW_SETTING, f"{entry!r} is not a host name, an IP address or a range"
        )
    return AllowedDestination(name=name, port=port)


def _host_and_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ConfigurationError(ALLOW_SETTING, f"{entry!r}: write [address]:port")
        return host, _port(entry, rest[1:]) if rest else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, _port(entry, port)
    return entry, None


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(ALLOW_SETTING, f"{entry!r}: the port is not from 1 to 65535")
    return int(text)
