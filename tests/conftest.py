"""Shared fixtures: the in-process DNS server every test talks to (never the internet)."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from dnsserver import DNSServer  # tests/ is on sys.path (rootdir conftest, no __init__.py)
from capabilities import pytest_terminal_summary  # noqa: F401  (a hook: counts capability skips)

pytest_plugins = ["aio_helpers"]  # the aio fixtures: loop_kind, run, zone


def _check_health(server: DNSServer) -> None:
    """Fail at once, naming the cause, if the server thread is dead or stuck (every later
    test would otherwise just time out)."""
    problem = server.health()
    if problem is not None:
        pytest.fail(f"DNS test server: {problem}")


def _check_server(server: DNSServer) -> None:
    """Fail the test if the server thread is unwell or hit an exception while serving it."""
    _check_health(server)
    errors = list(server.errors)
    server.errors.clear()
    if errors:
        pytest.fail(f"DNS test server raised while serving: {errors!r}")


# --- server fixtures --------------------------------------------------------------------

@pytest.fixture(scope="session")
def _dns_server_session() -> Iterator[DNSServer]:
    """One server (127.0.0.1, UDP+TCP on one port) for the whole session."""
    with DNSServer() as server:
        yield server


@pytest.fixture
def dns_server(_dns_server_session: DNSServer) -> Iterator[DNSServer]:
    """The session server, emptied: no zone, no faults, empty log, compression on."""
    server = _dns_server_session
    _check_health(server)
    server.reset()
    yield server
    _check_server(server)


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def dns_server6() -> Iterator[DNSServer]:
    """A fresh server on ``::1`` for this test; skipped where IPv6 loopback is missing."""
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    with DNSServer("::1") as server:
        yield server
        _check_server(server)


# --- channel fixtures (binding) ---------------------------------------------------------

from cares_helpers import ChannelFactory, Requester  # noqa: E402

import ctypes_cares  # noqa: E402


@pytest.fixture
def make_channel(dns_server: DNSServer) -> Iterator[ChannelFactory]:
    """Factory of channels on the test server (see ChannelFactory), closed after the test."""
    factory = ChannelFactory(dns_server.address)
    yield factory
    factory.close_all()


@pytest.fixture
def channel(make_channel: ChannelFactory) -> ctypes_cares.Channel:
    """An event-thread channel on the test server (timeout 1 s, 1 try), closed afterwards."""
    return make_channel()


@pytest.fixture
def resolve() -> Iterator[Requester]:
    """Submits requests with recording callbacks; checks each ran at most once."""
    requester = Requester()
    yield requester
    requester.check()


@pytest.fixture
def silent(dns_server: DNSServer) -> DNSServer:
    """The server, dropping every query: requests stay pending until cancelled."""
    dns_server.set_fault("drop")
    return dns_server
