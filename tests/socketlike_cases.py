"""Lookups whose answers the socket module gives without DNS, shared by the tests of
every socket-shaped resolver (trio, aio.install, _socketlike): each resolver must give
exactly what ``socket.getaddrinfo``/``socket.getnameinfo`` give for them."""

from __future__ import annotations

import socket
from typing import Any, Awaitable, Callable, List, Tuple

import pytest

from conftest import _ipv6_loopback

_V6 = _ipv6_loopback()

# (host, port, family, type, proto, flags)
NUMERIC: List[Tuple[Any, ...]] = [
    ("127.0.0.1", 80, 0, 0, 0, 0),
    ("127.0.0.1", "http", 0, 0, 0, 0),
    ("127.0.0.1", b"443", socket.AF_INET, socket.SOCK_STREAM, 0, 0),
    (b"10.1.2.3", None, 0, socket.SOCK_DGRAM, 0, 0),
    ("::1", 53, 0, 0, 0, 0),
    ("::1", 53, socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP, 0),
    ("fe80::1%1", 22, 0, socket.SOCK_STREAM, 0, 0),
    (None, 8080, 0, 0, 0, socket.AI_PASSIVE),
    (None, 8080, socket.AF_INET, socket.SOCK_STREAM, 0, 0),
    (None, "domain", 0, 0, 0, 0),
    ("localhost", 80, 0, 0, 0, 0),
    ("LOCALHOST", 80, socket.AF_INET, socket.SOCK_STREAM, 0, 0),
    ("localhost", None, 0, 0, 0, socket.AI_CANONNAME),
]
NUMERIC_IDS = [repr(case) for case in NUMERIC]

# Lookups the socket module refuses without DNS: (arguments, EAI code).
REFUSED: List[Tuple[Tuple[Any, ...], int]] = [
    (("127.0.0.1", "no-such-service", 0, 0, 0, 0), socket.EAI_SERVICE),
    (("svc.test", "no-such-service", 0, 0, 0, 0), socket.EAI_SERVICE),
    (("svc.test", 80, 12345, 0, 0, 0), socket.EAI_FAMILY),
    (("svc.test", 80, 0, 12345, 0, 0), socket.EAI_SOCKTYPE),
    (("svc.test", 80, 0, 0, 0, socket.AI_NUMERICHOST), socket.EAI_NONAME),
    (("svc.test", 80, 0, 0, 0, 1 << 20), socket.EAI_BADFLAGS),
]
REFUSED_IDS = [repr(case[0]) for case in REFUSED]

NAMEINFO: List[Tuple[Tuple[Any, ...], int]] = [
    (("127.0.0.1", 80), socket.NI_NUMERICHOST),
    (("127.0.0.1", 53), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV),
    (("127.0.0.1", 53), socket.NI_NUMERICHOST | socket.NI_DGRAM),
    (("::1", 443, 0, 0), socket.NI_NUMERICHOST),
]


def skip_without_ipv6(case: Tuple[Any, ...]) -> None:
    host = case[0]
    text = host.decode() if isinstance(host, bytes) else host
    if not _V6 and text is not None and ":" in text:
        pytest.skip("no IPv6 loopback")


def system_getaddrinfo(case: Tuple[Any, ...]) -> List[Tuple[Any, ...]]:
    return list(socket.getaddrinfo(*case))


def _services_known() -> bool:
    try:
        socket.getservbyname("http", "tcp")
    except OSError:
        return False
    return True


#: For the tests that use service names: a system without a services database
#: (/etc/services; Debian's netbase, absent from a bare debootstrap) knows none.
needs_services = pytest.mark.skipif(
    not _services_known(), reason="the system knows no service names (no /etc/services)"
)


def outcome(call: Callable[[], Any]) -> Tuple[str, Any]:
    """``("ok", list)`` or ``("gaierror", errno)``: what a lookup gave."""
    try:
        return "ok", list(call())
    except socket.gaierror as exc:
        return "gaierror", exc.errno


async def outcome_of_awaiting(lookup: Awaitable[Any]) -> Tuple[str, Any]:
    """:func:`outcome` of a lookup coroutine."""
    try:
        result = await lookup
    except socket.gaierror as exc:
        return "gaierror", exc.errno
    return outcome(lambda: result)


def system_outcome(case: Tuple[Any, ...]) -> Tuple[str, Any]:
    """What the socket module gives for ``case``: a system without a services database
    refuses service names, and a socket-shaped resolver must refuse them the same way."""
    return outcome(lambda: socket.getaddrinfo(*case))
