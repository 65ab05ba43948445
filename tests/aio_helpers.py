"""Shared by the test_aio*.py modules: loops, the ``run`` and ``zone`` fixtures, and
helpers to make resolvers and check their errors."""

from __future__ import annotations


import asyncio
import gc
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, List, TypeVar

import pytest

import ctypes_cares
from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.error import DNSError
from dnsserver import DNSServer


T = TypeVar("T")
# Where the ctypes_cares under test lives: the source tree in development, site-packages
# when CI tests the installed wheel (the source tree there has no library).
ROOT = Path(ctypes_cares.__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

LOOP_KINDS = ["asyncio", "uvloop"]


def _new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        return uvloop.new_event_loop()  # type: ignore[no-any-return]
    return asyncio.new_event_loop()


@pytest.fixture(params=LOOP_KINDS)
def loop_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "uvloop":  # skip before the test creates any coroutine
        pytest.importorskip("uvloop")
    return str(request.param)


Runner = Callable[[Awaitable[T]], T]


@pytest.fixture
def run(loop_kind: str) -> Iterator[Callable[..., Any]]:
    """Run a coroutine to completion on a fresh loop of the parametrized kind."""
    problems: List[Dict[str, Any]] = []

    def runner(coro: Awaitable[T], timeout: float = 30.0) -> T:
        loop = _new_loop(loop_kind)
        loop.set_exception_handler(lambda _loop, context: problems.append(context))
        try:
            return loop.run_until_complete(asyncio.wait_for(coro, timeout))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    yield runner
    gc.collect()
    assert not problems, problems


@pytest.fixture
def zone(dns_server: DNSServer) -> DNSServer:
    """The test server with a small zone of every record type."""
    s = dns_server
    s.add("www.example", "A", "10.0.0.1", ttl=600)
    s.add("www.example", "A", "10.0.0.2", ttl=600)
    s.add("www.example", "AAAA", "2001:db8::1")
    s.add("alias.example", "CNAME", "www.example")
    s.add("dangling.example", "CNAME", "elsewhere.invalid")
    s.add("example", "MX", (10, "mail.example"))
    s.add("example", "MX", (20, "mail2.example"))
    s.add("example", "NS", "ns1.example")
    s.add("example", "SOA", ("ns1.example", "hostmaster.example", 7, 3600, 600, 86400, 300))
    s.add("example", "TXT", ["hello", "world"])
    s.add("utf8.example", "TXT", "café")
    s.add("_sip._udp.example", "SRV", (10, 5, 5060, "sip.example"))
    s.add("example", "NAPTR", (100, 10, "S", "SIP+D2U", "", "_sip._udp.example"))
    s.add("example", "CAA", (0, "issue", "ca.example"))
    s.add("1.0.0.10.in-addr.arpa", "PTR", "www.example")
    s.add("example", "HTTPS", (1, ".", [(1, b"\x02h2")]))
    s.add("_443._tcp.example", "TLSA", (3, 1, 1, b"\x01\x02\x03"))
    s.add("_http._tcp.example", "URI", (10, 1, "https://www.example/"))
    return s


def make(server: DNSServer, **kwargs: Any) -> DNSResolver:
    """A resolver that talks to ``server`` only (never to the system's servers)."""
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("tries", 1)
    return DNSResolver(nameservers=[server.address], **kwargs)


async def expect_dns_error(awaitable: Awaitable[Any], errno: int) -> DNSError:
    with pytest.raises(DNSError) as info:
        await awaitable
    assert info.value.args[0] == errno, info.value.args
    assert info.value.args[1] == ctypes_cares.errno.strerror(errno)
    return info.value


