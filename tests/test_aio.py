"""ctypes_cares.aio.DNSResolver against the in-process DNS server, on asyncio and uvloop.

Every test that resolves runs once per loop kind (``run`` fixture); the loop's exception
handler must stay silent (no "Future exception was never retrieved", no callback
errors).  Crash-class cases run in a subprocess with ``-X faulthandler``.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, List, TypeVar
from unittest import mock

import pytest

import ctypes_cares
from ctypes_cares import aio
from ctypes_cares.aio import _driver
from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.compat import (
    AresHostResult,
    AresQueryAResult,
    AresQueryCNAMEResult,
    AresQueryMXResult,
    AresQueryPTRResult,
    AresQuerySOAResult,
    AresQueryTXTResult,
)
from ctypes_cares.aio.error import DNSError, ResolverClosedError
from dnsserver import DNSServer
from capabilities import needs, needs_version
from ctypes_cares._lib import caps

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


# ------------------------------------------------------------------------ query_dns

QUERY_CASES = [
    ("www.example", "A", 1, lambda d: sorted(x.addr for x in d), ["10.0.0.1", "10.0.0.2"]),
    ("www.example", "AAAA", 28, lambda d: [x.addr for x in d], ["2001:db8::1"]),
    ("alias.example", "CNAME", 5, lambda d: [x.cname for x in d], ["www.example"]),
    ("example", "MX", 15, lambda d: sorted((x.priority, x.exchange) for x in d),
     [(10, "mail.example"), (20, "mail2.example")]),
    ("example", "NS", 2, lambda d: [x.nsdname for x in d], ["ns1.example"]),
    ("example", "TXT", 16, lambda d: [x.data for x in d], [b"helloworld"]),
    ("example", "SOA", 6, lambda d: [(x.mname, x.serial, x.minimum) for x in d],
     [("ns1.example", 7, 300)]),
    ("_sip._udp.example", "SRV", 33,
     lambda d: [(x.priority, x.weight, x.port, x.target) for x in d],
     [(10, 5, 5060, "sip.example")]),
    ("example", "NAPTR", 35, lambda d: [(x.order, x.flags, x.service, x.replacement) for x in d],
     [(100, "S", "SIP+D2U", "_sip._udp.example")]),
    ("example", "CAA", 257, lambda d: [(x.critical, x.tag, x.value) for x in d],
     [(0, "issue", "ca.example")]),
    ("1.0.0.10.in-addr.arpa", "PTR", 12, lambda d: [x.dname for x in d], ["www.example"]),
    # Beyond aiodns: every type of the binding, in any case.
    ("example", "HTTPS", 65, lambda d: [(x.priority, x.target, x.params) for x in d],
     [(1, "", [(1, b"\x02h2")])]),
    ("_443._tcp.example", "tlsa", 52,
     lambda d: [(x.cert_usage, x.cert_association_data) for x in d],
     [(3, b"\x01\x02\x03")]),
    ("_http._tcp.example", "Uri", 256, lambda d: [(x.priority, x.target) for x in d],
     [(10, "https://www.example/")]),
    ("www.example", "aaaa", 28, lambda d: [x.addr for x in d], ["2001:db8::1"]),
]


@pytest.mark.parametrize("name, qtype, code, extract, expected", QUERY_CASES,
                         ids=[f"{c[1]}-{c[0]}" for c in QUERY_CASES])
def test_query_dns_types(run: Any, zone: DNSServer, name: str, qtype: str, code: int,
                         extract: Callable[[List[Any]], Any], expected: Any) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            result = await resolver.query_dns(name, qtype)
        assert isinstance(result, ctypes_cares.DNSResult)
        records = [r for r in result.answer if r.type == code]
        assert extract([r.data for r in records]) == expected
        assert all(r.record_class == ctypes_cares.QUERY_CLASS_IN for r in records)

    run(main())


def test_query_dns_any_cname_and_ttl(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            result = await resolver.query_dns("example", "ANY")
            types = {r.type for r in result.answer}
            assert {2, 6, 15, 16, 35, 257, 65} <= types
            # An A query answered through a CNAME: both records, CNAME first.
            chased = await resolver.query_dns("alias.example", "A")
            assert [r.type for r in chased.answer] == [5, 1, 1]
            # Only a CNAME and no A: still a normal DNSResult for query_dns.
            dangling = await resolver.query_dns("dangling.example", "A")
            assert [r.type for r in dangling.answer] == [5]
            www = await resolver.query_dns("www.example", "A")
            assert {r.ttl for r in www.answer} <= {600, 599, 598}

    run(main())


@needs("query_cache", "1.31")  # the second answer comes from the cache
def test_query_dns_class(run: Any, dns_server: DNSServer) -> None:
    dns_server.add("version.example", "TXT", "v1", rclass=3)

    async def main() -> None:
        async with make(dns_server) as resolver:
            result = await resolver.query_dns("version.example", "TXT", "CHAOS")
            assert result.answer[0].record_class == 3
            result = await resolver.query_dns("version.example", "TXT", "chaos")
            assert result.answer[0].data.data == b"v1"
            with pytest.raises(ValueError, match="invalid query class: BOGUS"):
                resolver.query_dns("version.example", "TXT", "BOGUS")
        # The second answer came from c-ares's query cache.
        assert [q.qclass for q in dns_server.queries] == [3]

    run(main())


def test_query_dns_bad_type(run: Any, dns_server: DNSServer) -> None:
    async def main() -> None:
        async with make(dns_server) as resolver:
            for bad in ("BOGUS", "SVCB", "", 1, None, ["A"]):
                with pytest.raises(ValueError, match="invalid query type") as info:
                    resolver.query_dns("www.example", bad)  # type: ignore[arg-type]
                assert str(info.value) == f"invalid query type: {bad}"
        assert dns_server.queries == []

    run(main())


def test_query_type_maps() -> None:
    assert set(aio.query_type_map) == {
        "A", "AAAA", "ANY", "CAA", "CNAME", "MX", "NAPTR", "NS", "PTR", "SOA", "SRV", "TXT"
    }
    assert aio.query_class_map == {"IN": 1, "CHAOS": 3, "HS": 4, "NONE": 254, "ANY": 255}
    assert aio.__all__ == ("DNSResolver", "error")
    assert aio.__version__ == "4.0.4"
    assert aio.pycares is ctypes_cares


@needs("dnsrec", "1.28")  # 1.17/1.18 report ECONNREFUSED after SERVFAIL/REFUSED
# ---------------------------------------------------------------------- DNS errors

@pytest.mark.parametrize("mode, errno", [
    ("nxdomain", 4), ("servfail", 3), ("refused", 6), ("nodata", 1),
])
def test_rcode_errors(run: Any, zone: DNSServer, mode: str, errno: int) -> None:
    zone.set_fault(mode, "www.example")

    async def main() -> None:
        async with make(zone) as resolver:
            await expect_dns_error(resolver.query_dns("www.example", "A"), errno)
            # Other names are unaffected.
            assert (await resolver.query_dns("alias.example", "CNAME")).answer

    run(main())


def test_nxdomain_from_zone(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            await expect_dns_error(resolver.query_dns("missing.example", "A"), 4)
            await expect_dns_error(resolver.gethostbyaddr("10.9.9.9"), 4)

    run(main())


def test_timeout_on_time(run: Any, zone: DNSServer) -> None:
    """A lost packet fails with ETIMEOUT after ~timeout, also while other queries run."""
    zone.set_fault("drop", "lost.example")

    async def main() -> None:
        async with make(zone, timeout=0.2, tries=1) as resolver:
            start = time.monotonic()
            await expect_dns_error(resolver.query_dns("lost.example", "A"), 12)
            assert 0.15 < time.monotonic() - start < 1.5
            assert resolver._timer is None and not resolver._read_fds

            # Keep the socket busy with answered queries while one packet is lost.
            start = time.monotonic()
            lost = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            while not lost.done():
                assert (await resolver.query_dns("www.example", "A")).answer
                await asyncio.sleep(0.02)
            assert 0.15 < time.monotonic() - start < 1.5
            await expect_dns_error(lost, 12)

    run(main())


@needs_version("1.29")  # server latency metrics
def test_timer_moves_earlier_for_adaptive_timeouts(run: Any, zone: DNSServer) -> None:
    """c-ares shortens timeouts once it knows the server's latency (5 x average, at
    least 250 ms): a query sent while the timer waits for an older, longer deadline
    must still time out on its own, earlier deadline."""
    zone.set_fault("delay", "slow.example", seconds=1.5)
    zone.add("slow.example", "A", "10.1.1.1")
    zone.set_fault("drop", "lost.example")
    for i in range(5):
        zone.add(f"m{i}.example", "A", "10.2.2.2")

    async def main() -> None:
        async with make(zone, timeout=3.0, tries=1) as resolver:
            slow = resolver.query_dns("slow.example", "A")  # deadline: now + 3 s
            await asyncio.sleep(0.05)
            for i in range(5):  # latency samples for c-ares's metrics (not cached names)
                assert (await resolver.query_dns(f"m{i}.example", "A")).answer
            start = time.monotonic()
            await expect_dns_error(resolver.query_dns("lost.example", "A"), 12)
            assert time.monotonic() - start < 0.6
            assert (await slow).answer[0].data.addr == "10.1.1.1"

    run(main())


@needs("dnsrec", "1.28")  # name validation at submission
def test_bad_names(run: Any, dns_server: DNSServer) -> None:
    async def main() -> None:
        async with make(dns_server) as resolver:
            # Rejected by c-ares at once: exactly one DNSError on the future.
            await expect_dns_error(resolver.query_dns("example test.com", "A"), 8)
            await expect_dns_error(resolver.query_dns("a" * 64 + ".example", "A"), 8)
            with pytest.warns(DeprecationWarning):
                await expect_dns_error(resolver.query("bad name.example", "A"), 8)
            await expect_dns_error(resolver.getaddrinfo("bad\x00name"), 8)
            # Argument errors of the binding are raised by the call itself.
            with pytest.raises(TypeError):
                resolver.query_dns(123, "A")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="invalid IP address"):
                resolver.gethostbyaddr("not-an-ip")
            with pytest.raises(ValueError):
                resolver.getnameinfo(("300.1.1.1", 80))
        assert dns_server.queries == []

    run(main())


@needs_version("1.24")  # ARES_ENOSERVER
def test_no_servers(run: Any, dns_server: DNSServer) -> None:
    async def main() -> None:
        async with make(dns_server) as resolver:
            resolver.nameservers = []
            assert resolver.nameservers == [""]
            error = await expect_dns_error(resolver.query_dns("www.example", "A"), 26)
            assert error.args == (26, "No DNS servers were configured")
            # Servers can be set again afterwards.
            resolver.nameservers = [dns_server.address]
            await expect_dns_error(resolver.query_dns("www.example", "A"), 4)

    run(main())


# ---------------------------------------------------------------- other lookups

def test_getaddrinfo(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            result = await resolver.getaddrinfo("www.example", socket.AF_INET, 80)
            assert isinstance(result, ctypes_cares.AddrInfoResult)
            assert sorted(n.addr for n in result.nodes) == [(b"10.0.0.1", 80), (b"10.0.0.2", 80)]
            assert {n.family for n in result.nodes} == {socket.AF_INET}
            result = await resolver.getaddrinfo("alias.example", family=socket.AF_INET6,
                                                type=socket.SOCK_STREAM)
            assert [n.addr[0] for n in result.nodes] == [b"2001:db8::1"]
            assert [(c.alias, c.name) for c in result.cnames] == [("alias.example", "www.example")]
            # Answered from the hosts file, synchronously inside the call.
            local = await resolver.getaddrinfo("localhost", socket.AF_INET)
            assert [n.addr[0] for n in local.nodes] == [b"127.0.0.1"]
            await expect_dns_error(resolver.getaddrinfo("missing.example", socket.AF_INET), 4)
            await expect_dns_error(resolver.getaddrinfo("www.example", port="no-such-svc"), 25)

    run(main())


def test_gethostbyname_deprecated(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = await resolver.gethostbyname("www.example", socket.AF_INET)
            assert [str(w.message) for w in caught] == [
                "gethostbyname() is deprecated, use getaddrinfo() instead"
            ]
            assert caught[0].category is DeprecationWarning
            assert caught[0].filename == __file__
            assert isinstance(result, AresHostResult)
            assert result.name == "www.example" and result.aliases == []
            assert sorted(result.addresses) == ["10.0.0.1", "10.0.0.2"]
            with pytest.warns(DeprecationWarning):
                result = await resolver.gethostbyname("alias.example", family=socket.AF_INET6)
            assert result == AresHostResult("www.example", [], ["2001:db8::1"])
            with pytest.warns(DeprecationWarning):
                await expect_dns_error(
                    resolver.gethostbyname("missing.example", socket.AF_INET), 4
                )
            with pytest.warns(DeprecationWarning):  # a family c-ares does not know
                await expect_dns_error(resolver.gethostbyname("www.example", -1), 5)

    run(main())


@needs("query_cache", "1.31")  # the second PTR lookup comes from the cache
def test_gethostbyaddr_and_getnameinfo(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone, lookups="b") as resolver:
            host = await resolver.gethostbyaddr("10.0.0.1")
            assert isinstance(host, ctypes_cares.HostResult)
            assert host.name == "www.example" and host.addresses == ["10.0.0.1"]
            info = await resolver.getnameinfo(("10.0.0.1", 0))
            assert (info.node, info.service) == ("www.example", None)
            flags = (ctypes_cares.ARES_NI_LOOKUPHOST | ctypes_cares.ARES_NI_LOOKUPSERVICE
                     | ctypes_cares.ARES_NI_NUMERICHOST | ctypes_cares.ARES_NI_NUMERICSERV)
            info = await resolver.getnameinfo(("127.0.0.1", 8080), flags)
            assert (info.node, info.service) == ("127.0.0.1", "8080")
            ptrs = [q for q in zone.queries if q.qtype == 12]
            # One PTR query: the second lookup was answered from c-ares's cache.
            assert [q.name for q in ptrs] == ["1.0.0.10.in-addr.arpa"]

    run(main())


def test_query_deprecated_legacy_results(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone) as resolver:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                a = await resolver.query("www.example", "A")
            assert [str(w.message) for w in caught] == [
                "query() is deprecated, use query_dns() instead"
            ]
            assert caught[0].filename == __file__
            assert sorted(a, key=lambda r: r.host) == [
                AresQueryAResult("10.0.0.1", 600), AresQueryAResult("10.0.0.2", 600)
            ]
            with pytest.warns(DeprecationWarning):
                cname = await resolver.query("alias.example", "CNAME")
            assert cname == AresQueryCNAMEResult("www.example", 300)
            with pytest.warns(DeprecationWarning):
                soa = await resolver.query("example", "SOA")
            assert soa == AresQuerySOAResult("ns1.example", "hostmaster.example", 7, 3600, 600,
                                             86400, 300, 300)
            with pytest.warns(DeprecationWarning):
                ptr = await resolver.query("1.0.0.10.in-addr.arpa", "PTR")
            assert ptr == AresQueryPTRResult("www.example", 300, [])
            with pytest.warns(DeprecationWarning):
                mx = await resolver.query("example", "MX")
            assert sorted(mx, key=lambda r: r.priority) == [
                AresQueryMXResult("mail.example", 10, 300),
                AresQueryMXResult("mail2.example", 20, 300),
            ]
            with pytest.warns(DeprecationWarning):
                txt = await resolver.query("utf8.example", "TXT")
            assert txt == [AresQueryTXTResult("café".encode(), 300)]
            # Only a CNAME for an A query: no data in the legacy shape.
            with pytest.warns(DeprecationWarning):
                await expect_dns_error(resolver.query("dangling.example", "A"), 1)
            with pytest.warns(DeprecationWarning):
                await expect_dns_error(resolver.query("missing.example", "A"), 4)
            with pytest.warns(DeprecationWarning):
                anything = await resolver.query("example", "ANY")
            assert {type(r).__name__ for r in anything} >= {
                "AresQueryMXResult", "AresQuerySOAResult", "DNSRecord"
            }
            # The warning comes before argument validation.
            with pytest.warns(DeprecationWarning), pytest.raises(ValueError):
                resolver.query("www.example", "BOGUS")

    run(main())


# ------------------------------------------------------------------ nameservers

def test_nameservers_property(run: Any, dns_server: DNSServer, tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.7\n")

    async def main() -> None:
        async with make(dns_server) as resolver:
            assert resolver.nameservers == ["127.0.0.1"]
            resolver.nameservers = ["192.0.2.1", "[2001:db8::1]:53", b"192.0.2.2:5353"]
            assert resolver.nameservers == ["192.0.2.1", "[2001:db8::1]", "192.0.2.2"]
            assert resolver._channel.servers[2] == "192.0.2.2:5353"
            with pytest.raises(ctypes_cares.AresError):
                resolver.nameservers = ["not-an-ip"]
        # Falsy nameservers keep the configured servers.
        async with DNSResolver(nameservers=[], resolvconf_path=str(conf)) as resolver:
            assert resolver.nameservers == ["192.0.2.7"]

    run(main())


# ----------------------------------------------------------------- construction

def test_constructor_arguments(run: Any, dns_server: DNSServer) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        # A user sock_state_cb is dropped; the loop defaults to the running one.
        called: List[Any] = []
        async with make(dns_server, sock_state_cb=called.append) as resolver:
            assert resolver.loop is loop
            assert resolver._event_thread is False
            assert resolver._timeout == 2.0
            assert (await resolver.query_dns("www.example", "A")).answer
        assert called == []
        with pytest.raises(TypeError):
            DNSResolver(nameservers=[dns_server.address], no_such_option=1)
        with pytest.raises(ctypes_cares.AresError):
            DNSResolver(nameservers=["not-an-ip"])
        with pytest.raises(ctypes_cares.AresError):
            DNSResolver(servers=["not-an-ip"])

    run(main())


def test_explicit_loop_argument(loop_kind: str, dns_server: DNSServer) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    loop = _new_loop(loop_kind)
    try:
        resolver = DNSResolver([dns_server.address], loop, timeout=1.0)
        assert resolver.loop is loop
        result = loop.run_until_complete(resolver.query_dns("www.example", "A"))
        assert result.answer[0].data.addr == "10.0.0.1"
        loop.run_until_complete(resolver.close())
    finally:
        loop.close()


# --------------------------------------------------------- close and cancellation

def test_close_cancels_and_rejects(run: Any, dns_server: DNSServer) -> None:
    dns_server.set_fault("drop")

    async def main() -> None:
        resolver = make(dns_server)
        pending = [resolver.query_dns(f"n{i}.example", "A") for i in range(5)]
        pending.append(resolver.getaddrinfo("x.example", socket.AF_INET))
        await asyncio.sleep(0.01)
        assert resolver._read_fds and resolver._timer is not None
        await resolver.close()
        for fut in pending:
            await expect_dns_error(fut, 24)
        assert resolver._closed and resolver._timer is None
        assert not resolver._read_fds and not resolver._write_fds
        calls: List[Callable[[], Any]] = [
            lambda: resolver.query_dns("www.example", "A"),
            lambda: resolver.query("www.example", "A"),
            lambda: resolver.gethostbyname("www.example", socket.AF_INET),
            lambda: resolver.getaddrinfo("www.example"),
            lambda: resolver.getnameinfo(("127.0.0.1", 0)),
            lambda: resolver.gethostbyaddr("127.0.0.1"),
            lambda: resolver.nameservers,
        ]
        for call in calls:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                with pytest.raises(DNSError) as info:
                    call()
            assert isinstance(info.value, ResolverClosedError)
            assert isinstance(info.value, RuntimeError)  # what aiodns code may catch
            assert info.value.args == (16, "DNS resolver is closed, no new queries allowed")
        with pytest.raises(ResolverClosedError):
            resolver.nameservers = [dns_server.address]
        resolver.cancel()  # nothing in flight any more: a no-op
        await resolver.close()  # idempotent

    run(main())


def test_async_with_closes_through_instance(run: Any, dns_server: DNSServer) -> None:
    async def main() -> None:
        resolver = make(dns_server)
        calls = 0
        real_close = resolver.close

        async def counting_close() -> None:
            nonlocal calls
            calls += 1
            await real_close()

        resolver.close = counting_close  # type: ignore[method-assign]
        with pytest.raises(ZeroDivisionError):
            async with resolver as entered:
                assert entered is resolver
                await resolver.close()
                1 / 0  # noqa: B018 - raises inside the async with
        assert calls == 2 and resolver._closed

    run(main())


def test_cancel_method(run: Any, zone: DNSServer) -> None:
    zone.set_fault("drop", "lost.example")
    zone.set_fault("drop", "9.9.9.10.in-addr.arpa")

    async def main() -> None:
        async with make(zone) as resolver:
            futs = [resolver.query_dns("lost.example", "A") for _ in range(3)]
            futs.append(resolver.gethostbyaddr("10.9.9.9"))
            await asyncio.sleep(0.01)
            resolver.cancel()
            for fut in futs:
                await expect_dns_error(fut, 24)
            assert (await resolver.query_dns("www.example", "A")).answer

    run(main())


def test_task_cancellation_releases_query(run: Any, zone: DNSServer) -> None:
    """Cancelled awaiters: late answers are dropped, nothing leaks, the resolver works."""
    zone.set_fault("delay", "slow.example", seconds=0.3)
    zone.set_fault("drop", "lost.example")
    zone.add("slow.example", "A", "10.1.1.1")
    in_flight = ctypes_cares._handle_to_channel

    async def main() -> None:
        async with make(zone, timeout=0.5, tries=1) as resolver:
            before = len(in_flight)
            tasks = [asyncio.ensure_future(resolver.query_dns("slow.example", "A"))
                     for _ in range(10)]
            tasks += [asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
                      for _ in range(10)]
            tasks.append(asyncio.ensure_future(resolver.getaddrinfo("slow.example",
                                                                    socket.AF_INET)))
            await asyncio.sleep(0.05)
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            # wait_for() cancels its inner future the same way.
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(resolver.query_dns("slow.example", "A"), 0.05)
            # The resolver works while the abandoned queries are still in c-ares.
            assert (await resolver.query_dns("www.example", "A")).answer
            # Late answers and timeouts reach only done futures; then all is released.
            deadline = time.monotonic() + 5
            while len(in_flight) > before and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert len(in_flight) == before
            assert not resolver._channel._in_flight.ids
            assert (await resolver.query_dns("slow.example", "A")).answer[0].data.addr == "10.1.1.1"

    run(main())


def test_many_concurrent_queries(run: Any, dns_server: DNSServer) -> None:
    names = {f"host{i}.example": f"10.{i // 256}.{i % 256}.{(i * 7) % 256}" for i in range(500)}
    for name, addr in names.items():
        dns_server.add(name, "A", addr)

    async def main() -> None:
        # 500 datagrams at once can overflow the server's socket buffer: retry fast.
        async with make(dns_server, timeout=0.5, tries=5) as resolver:
            async def lookup(name: str) -> str:
                result = await resolver.query_dns(name, "A")
                assert [r.name for r in result.answer] == [name]
                return str(result.answer[0].data.addr)

            order = list(names)
            got = await asyncio.gather(*(lookup(n) for n in order))
            assert got == [names[n] for n in order]
            # Everything done: sockets closed and the timer disarmed.
            await asyncio.sleep(0)
            assert not resolver._read_fds and resolver._timer is None

    run(main())


def test_burst_of_answers_decoded_in_slices(run: Any, zone: DNSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Socket-callback mode: a burst of answers is kept as bytes and decoded a slice per
    loop iteration, so decoded results never pile up ahead of the tasks awaiting them."""
    for i in range(300):
        zone.add(f"b{i}.example", "A", f"10.1.{i // 256}.{i % 256}")
    state = {"decoded": 0, "consumed": 0, "ahead": 0}
    parse = _driver.parse_dns_response

    def counting_parse(data: bytes, **kwargs: Any) -> Any:
        state["decoded"] += 1
        state["ahead"] = max(state["ahead"], state["decoded"] - state["consumed"])
        return parse(data, **kwargs)

    monkeypatch.setattr(_driver, "parse_dns_response", counting_parse)

    async def main() -> None:
        async with make(zone, timeout=0.5, tries=5) as resolver:
            async def lookup(i: int) -> str:
                result = await resolver.query_dns(f"b{i}.example", "A")
                state["consumed"] += 1
                return str(result.answer[0].data.addr)

            got = await asyncio.gather(*(lookup(i) for i in range(300)))
            assert got == [f"10.1.{i // 256}.{i % 256}" for i in range(300)]
            assert not resolver._undecoded and not resolver._decode_pending

    run(main())
    if caps.dnsrec:  # older libraries hand over decoded answers
        assert state["decoded"] == 300
        assert 1 <= state["ahead"] <= _driver.DECODE_SLICE


@pytest.mark.parametrize("method", ["query_dns", "getaddrinfo"])
def test_replies_read_during_a_run_of_submissions(run: Any, zone: DNSServer, method: str) -> None:
    """Socket-callback mode: after every READ_EVERY submissions without a processing
    step, c-ares reads its sockets at once, so the answers to a long run of submissions
    are not all held back for one burst at the next loop iteration."""
    count = _driver.READ_EVERY
    for i in range(count):
        zone.add(f"r{i}.example", "A", f"10.2.0.{i}")

    def submit(resolver: DNSResolver, i: int) -> "asyncio.Future[Any]":
        if method == "query_dns":
            return resolver.query_dns(f"r{i}.example", "A")
        return resolver.getaddrinfo(f"r{i}.example", socket.AF_INET)

    def read(resolver: DNSResolver, fut: "asyncio.Future[Any]") -> bool:
        return fut.done() or bool(resolver._undecoded)  # query_dns decodes later

    async def main() -> None:
        async with make(zone) as resolver:
            futs = [submit(resolver, 0)]
            time.sleep(0.3)  # the answer waits in the socket; the loop does not run
            futs += [submit(resolver, i) for i in range(1, count - 1)]
            assert not read(resolver, futs[0])
            futs.append(submit(resolver, count - 1))
            if not resolver._event_thread:
                assert read(resolver, futs[0])
            results = await asyncio.gather(*futs)
            if method == "query_dns":
                got = [str(r.answer[0].data.addr) for r in results]
            else:
                got = [n.addr[0].decode() for r in results for n in r.nodes]
            assert got == [f"10.2.0.{i}" for i in range(count)]

    run(main())


@needs("dnsrec", (1, 28, 0))
def test_undecodable_answer_is_ebadresp(run: Any, zone: DNSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes, **kwargs: Any) -> Any:
        raise ctypes_cares.records.BadResponse("refused by the decoder")

    monkeypatch.setattr(_driver, "parse_dns_response", refuse)

    async def main() -> None:
        async with make(zone) as resolver:
            await expect_dns_error(resolver.query_dns("www.example", "A"), aio.error.ARES_EBADRESP)
            monkeypatch.undo()
            assert (await resolver.query_dns("www.example", "A")).answer  # still usable

    run(main())


def test_one_timer_not_per_query(dns_server: DNSServer) -> None:
    """200 concurrent queries arm the loop timer a handful of times, not 200."""
    for i in range(200):
        dns_server.add(f"t{i}.example", "A", "10.0.0.1")
    loop = asyncio.new_event_loop()
    armed: List[float] = []
    real_call_at = loop.call_at

    def counting_call_at(when: float, callback: Any, *args: Any, **kw: Any) -> Any:
        armed.append(when)
        return real_call_at(when, callback, *args, **kw)

    loop.call_at = counting_call_at  # type: ignore[method-assign]
    try:
        async def main() -> None:
            async with make(dns_server, timeout=5.0) as resolver:
                await asyncio.gather(*(resolver.query_dns(f"t{i}.example", "A")
                                       for i in range(200)))
                assert resolver._timer is None
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert 1 <= len(armed) <= 10, armed


def test_no_thread_in_socket_mode(run: Any, zone: DNSServer) -> None:
    def os_threads() -> int:
        return len(os.listdir("/proc/self/task"))

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("needs /proc")

    async def main() -> None:
        # The binding's one destroyer thread may start with the first channel.
        make(zone)._closed = True
        before = (os_threads(), threading.active_count())
        async with make(zone) as resolver:
            await resolver.query_dns("www.example", "A")
            assert (os_threads(), threading.active_count()) == before
            tid: List[int] = []
            resolver.query_dns("www.example", "AAAA").add_done_callback(
                lambda f: tid.append(threading.get_ident())
            )
            await asyncio.sleep(0.2)
            assert tid == [threading.get_ident()]

    run(main())


def test_processing_failure_closes_resolver_once(loop_kind: str, dns_server: DNSServer) -> None:
    """A failing process_fd is reported once, not re-run on every loop iteration."""
    dns_server.set_fault("delay", "slow.example", seconds=0.1)
    dns_server.add("slow.example", "A", "10.0.0.1")
    loop = _new_loop(loop_kind)
    reports: List[Dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))

    async def main() -> None:
        resolver = make(dns_server)
        pending = resolver.query_dns("slow.example", "A")
        with mock.patch.object(resolver._channel, "process_fd",
                               side_effect=RuntimeError("boom")):
            await expect_dns_error(pending, 24)
            await asyncio.sleep(0.05)
        assert resolver._closed and not resolver._read_fds and resolver._timer is None
        with pytest.raises(ResolverClosedError):
            resolver.query_dns("slow.example", "A")

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 10))
    finally:
        loop.close()
    assert len(reports) == 1, reports
    assert str(reports[0]["exception"]) == "boom"


# ------------------------------------------------------------------- event thread

def test_event_thread_mode(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone, event_thread=True) as resolver:
            assert resolver._event_thread is True
            result = await resolver.query_dns("www.example", "A")
            assert sorted(r.data.addr for r in result.answer) == ["10.0.0.1", "10.0.0.2"]
            got = await asyncio.gather(*(resolver.query_dns("www.example", t)
                                         for t in ("A", "AAAA", "MX", "TXT") * 25),
                                       return_exceptions=True)
            for qtype, outcome in zip(("A", "AAAA", "MX", "TXT") * 25, got):
                if qtype in ("A", "AAAA"):
                    assert outcome.answer[0].type == (1 if qtype == "A" else 28)
                else:  # www.example has no MX or TXT: no data
                    assert isinstance(outcome, DNSError) and outcome.args[0] == 1
            if caps.dnsrec:  # c-ares < 1.28 sends such names to the server
                await expect_dns_error(resolver.query_dns("bad name", "A"), 8)
            with pytest.warns(DeprecationWarning):
                assert (await resolver.query("example", "MX"))[0].priority in (10, 20)
            host = await resolver.getaddrinfo("localhost", socket.AF_INET)
            assert host.nodes[0].addr[0] == b"127.0.0.1"
            zone.set_fault("drop", "lost.example")
            lost = resolver.query_dns("lost.example", "A")
            cancelled = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            await asyncio.sleep(0.05)
            cancelled.cancel()
            assert not resolver._read_fds and resolver._timer is None
        await expect_dns_error(lost, 24)
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    run(main())


def test_event_thread_fallback_logs(run: Any, dns_server: DNSServer,
                                    caplog: pytest.LogCaptureFixture) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    real_channel = ctypes_cares.Channel
    calls: List[Dict[str, Any]] = []

    def flaky_channel(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 1:
            raise ctypes_cares.AresError("Mock error")
        return real_channel(**kwargs)

    async def main() -> None:
        with mock.patch("ctypes_cares.aio.pycares.Channel", side_effect=flaky_channel):
            resolver = make(dns_server, event_thread=True)
        async with resolver:
            assert resolver._event_thread is False
            assert (await resolver.query_dns("www.example", "A")).answer

    with caplog.at_level(logging.WARNING, logger="aiodns"):
        run(main())
    assert "sock_state_cb" not in calls[0] and callable(calls[1]["sock_state_cb"])
    assert calls[0]["timeout"] == calls[1]["timeout"] == 2.0
    message = caplog.records[0].getMessage()
    assert message.endswith("Mock error")
    for phrase in ("automatic monitoring of", "Falling back to socket state callback"):
        assert phrase in message
    if sys.platform == "linux":
        assert "system ran out of inotify watches" in message


# ----------------------------------------------- completion handlers (aiodns API)

def test_completion_handlers_ignore_done_futures() -> None:
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        fut.cancel()
        DNSResolver._callback(fut, None, 4)
        DNSResolver._query_callback(fut, 1, None, None)
        DNSResolver._gethostbyname_callback(fut, "host", None, None)
        fut = loop.create_future()
        DNSResolver._query_callback(fut, 1, ctypes_cares.DNSResult([], [], []), None)
        assert fut.exception().args[0] == 1  # type: ignore[union-attr]
        fut = loop.create_future()
        resolver = DNSResolver(nameservers=["127.0.0.1:1"], loop=loop)
        # Undecoded answers: a cancelled awaiter's is skipped, failures and answers that
        # arrive decoded complete at once, the rest on the next loop iteration.
        gone, failed, decoded, later = (loop.create_future() for _ in range(4))
        gone.cancel()
        answer = ctypes_cares.DNSResult([], [], [])
        resolver._answer_callback(gone, b"not even a header", None)
        resolver._answer_callback(failed, None, 11)
        resolver._answer_callback(decoded, answer, None)
        resolver._answer_callback(later, b"\0" * 12, None)  # an empty, well-formed header
        assert failed.exception().args[0] == 11  # type: ignore[union-attr]
        assert decoded.result() is answer and not later.done()
        loop.run_until_complete(asyncio.sleep(0))
        assert later.exception().args[0] == aio.error.ARES_EBADRESP  # type: ignore[union-attr]
        with resolver._capture_ares_error(fut):
            raise ctypes_cares.AresError(8, "Misformatted domain name")
        assert fut.exception().args == (8, "Misformatted domain name")  # type: ignore[union-attr]
        with resolver._capture_ares_error(fut):  # already done: swallowed
            raise ctypes_cares.AresError(4, "x")
        with pytest.raises(KeyError), resolver._capture_ares_error(loop.create_future()):
            raise KeyError("passes through")
        loop.run_until_complete(resolver.close())
    finally:
        loop.close()


# -------------------------------------------------------- lifetime (subprocesses)

def _run_script(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), str(TESTS), env.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(script), *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=str(TESTS),
    )


def _assert_clean(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Fatal Python error" not in proc.stderr, proc.stderr


GC_SCRIPT = """
import asyncio, gc, sys, time
from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.error import DNSError

addr, loop_kind, mode = sys.argv[1], sys.argv[2], sys.argv[3]
event_thread = mode == "thread"
if loop_kind == "uvloop":
    import uvloop
    new_loop = uvloop.new_event_loop
else:
    new_loop = asyncio.new_event_loop

async def dropped_resolver_keeps_working():
    # The resolver is unreferenced while its queries are pending: they still end.
    resolver = DNSResolver(nameservers=[addr], timeout=0.2, tries=1, event_thread=event_thread)
    futs = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
    del resolver
    gc.collect()
    results = await asyncio.gather(*futs, return_exceptions=True)
    assert all(isinstance(r, DNSError) and r.args[0] == 12 for r in results), results

loop = new_loop()
loop.run_until_complete(dropped_resolver_keeps_working())
loop.close()

# Resolver and futures dropped with queries pending, then the loop closed under them.
loop = new_loop()
resolver = DNSResolver(nameservers=[addr], loop=loop, timeout=0.3, tries=1,
                       event_thread=event_thread)
futs = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
loop.run_until_complete(asyncio.sleep(0.05))
for fut in futs:
    fut.cancel()
del resolver, futs
gc.collect()
loop.run_until_complete(asyncio.sleep(0))
loop.close()
gc.collect()
time.sleep(0.5)  # their timeouts pass (the event thread completes them on a closed loop)

# Same without cancelling: the process exits with queries in flight.
loop = new_loop()
resolver = DNSResolver(nameservers=[addr], loop=loop, timeout=5, tries=1,
                       event_thread=event_thread)
keep = [resolver.query_dns(f"lost{i}.example", "A") for i in range(20)]
loop.run_until_complete(asyncio.sleep(0.05))
del resolver
gc.collect()
print("ok")
"""


@pytest.mark.parametrize("mode", ["socket", "thread"])
def test_gc_with_queries_pending(loop_kind: str, mode: str, dns_server: DNSServer) -> None:
    if loop_kind == "uvloop":
        pytest.importorskip("uvloop")
    dns_server.set_fault("drop")
    proc = _run_script(GC_SCRIPT, dns_server.address, loop_kind, mode)
    _assert_clean(proc)
    assert proc.stdout.strip() == "ok"


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def _os_thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.parametrize("event_thread", [False, True], ids=["socket", "thread"])
def test_no_fd_or_thread_leak(loop_kind: str, event_thread: bool, dns_server: DNSServer) -> None:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc")
    dns_server.add("www.example", "A", "10.0.0.1")
    loop = _new_loop(loop_kind)

    async def cycle(n: int) -> None:
        for _ in range(n):
            resolver = make(dns_server, event_thread=event_thread)
            assert (await resolver.query_dns("www.example", "A")).answer
            pending = resolver.query_dns("www.example", "AAAA")
            await resolver.close()
            with pytest.raises(DNSError):
                await pending

    try:
        loop.run_until_complete(cycle(2))  # warm up: destroyer thread, caches
        gc.collect()
        fds, threads, py_threads = _fd_count(), _os_thread_count(), threading.active_count()
        loop.run_until_complete(cycle(50))
        gc.collect()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _fd_count() <= fds and _os_thread_count() <= threads:
                break
            time.sleep(0.05)
        assert _fd_count() <= fds
        assert _os_thread_count() <= threads
        if not event_thread:
            assert threading.active_count() == py_threads
    finally:
        loop.close()


def test_dropping_many_resolvers_without_close(dns_server: DNSServer) -> None:
    """aiohttp's pattern: cancel() then drop the resolver, no close()."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc")
    dns_server.add("www.example", "A", "10.0.0.1")
    loop = asyncio.new_event_loop()

    async def cycle(n: int) -> None:
        for _ in range(n):
            resolver = make(dns_server)
            assert (await resolver.query_dns("www.example", "A")).answer
            resolver.cancel()
            del resolver

    try:
        loop.run_until_complete(cycle(2))
        gc.collect()
        fds = _fd_count()
        loop.run_until_complete(cycle(50))
        gc.collect()
        deadline = time.monotonic() + 10
        while _fd_count() > fds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _fd_count() <= fds
    finally:
        loop.close()


# ------------------------------------------------------------- compatibility

AIOHTTP_SCRIPT = """
import asyncio, socket, sys
import ctypes_cares.aio
sys.modules["aiodns"] = ctypes_cares.aio
import aiohttp.resolver
from aiohttp.resolver import AsyncResolver
assert aiohttp.resolver.aiodns is ctypes_cares.aio

async def main():
    resolver = AsyncResolver(nameservers=[sys.argv[1]])
    hosts = await resolver.resolve("www.example", 443, family=socket.AF_INET)
    print(sorted((h["host"], h["port"], h["hostname"]) for h in hosts))
    try:
        await resolver.resolve("missing.example", 443, family=socket.AF_INET)
    except OSError as exc:
        print("error", exc.strerror)
    await resolver.close()

asyncio.run(main())
"""


def test_aiohttp_async_resolver(dns_server: DNSServer) -> None:
    if importlib.util.find_spec("aiohttp") is None:
        pytest.skip("aiohttp is not installed")
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.add("www.example", "A", "10.0.0.2")
    proc = _run_script(AIOHTTP_SCRIPT, dns_server.address)
    _assert_clean(proc)
    assert proc.stdout.splitlines() == [
        "[('10.0.0.1', 443, 'www.example'), ('10.0.0.2', 443, 'www.example')]",
        "error Domain name not found",
    ]


AIODNS_SCRIPT = """
import asyncio, sys, warnings
import ctypes_cares
sys.modules["pycares"] = ctypes_cares
import aiodns
assert aiodns.__version__ == "4.0.4", aiodns.__version__

async def main():
    resolver = aiodns.DNSResolver(nameservers=[sys.argv[1]], timeout=2, tries=1)
    result = await resolver.query_dns("www.example", "A")
    print([r.data.addr for r in result.answer])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        print([r.host for r in await resolver.query("www.example", "A")])
    try:
        await resolver.query_dns("missing.example", "A")
    except aiodns.error.DNSError as exc:
        print("error", exc.args)
    await resolver.close()

asyncio.run(main())
"""


def test_real_aiodns_runs_on_the_binding(dns_server: DNSServer) -> None:
    if importlib.util.find_spec("aiodns") is None:
        pytest.skip("aiodns is not installed (pip install --no-deps aiodns==4.0.4)")
    dns_server.add("www.example", "A", "10.0.0.1")
    proc = _run_script(AIODNS_SCRIPT, dns_server.address)
    _assert_clean(proc)
    assert proc.stdout.splitlines() == [
        "['10.0.0.1']",
        "['10.0.0.1']",
        "error (4, 'Domain name not found')",
    ]
