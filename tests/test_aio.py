"""ctypes_cares.aio.DNSResolver against the in-process DNS server, on asyncio and uvloop:
the lookups, their errors, nameservers and construction.

Every test that resolves runs once per loop kind (``run`` fixture, ``aio_helpers``); the
loop's exception handler must stay silent (no "Future exception was never retrieved",
no callback errors).
"""

from __future__ import annotations


import asyncio
import socket
import warnings
from pathlib import Path
from typing import Any, Callable, List

import pytest

import ctypes_cares
from ctypes_cares import aio
from ctypes_cares.aio import DNSResolver, _driver
from ctypes_cares.aio.compat import (
    AresHostResult,
    AresQueryAResult,
    AresQueryCNAMEResult,
    AresQueryMXResult,
    AresQueryPTRResult,
    AresQuerySOAResult,
    AresQueryTXTResult,
)
from dnsserver import DNSServer
from capabilities import needs, needs_version

from aio_helpers import _new_loop, expect_dns_error, make


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
    """A lost packet fails with ETIMEOUT on the timer c-ares asks for, also while other
    queries keep the socket busy."""
    zone.set_fault("drop", "lost.example")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with make(zone, timeout=0.2, tries=1) as resolver:
            lost = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            await asyncio.sleep(0)  # the submit's timer is armed by the next iteration
            assert resolver._timer is not None
            # armed for c-ares's own deadline (plus the driver's slack), not a later one
            deadline = loop.time() + resolver._channel.timeout() + _driver.TIMER_SLACK
            assert resolver._driver._timer_when <= deadline + _driver.TIMER_TOLERANCE
            await expect_dns_error(lost, 12)
            assert resolver._timer is None and not resolver._read_fds

            # Keep the socket busy with answered queries while one packet is lost: the
            # answers must not push the lost query's deadline back.
            lost = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            answered = 0
            while not lost.done():
                assert (await resolver.query_dns("www.example", "A")).answer
                answered += 1
            assert answered > 0
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
            slow = asyncio.ensure_future(resolver.query_dns("slow.example", "A"))  # now + 3 s
            await asyncio.sleep(0)  # one iteration: the timer is armed for that deadline
            assert resolver._timer is not None
            for i in range(5):  # latency samples for c-ares's metrics (not cached names)
                assert (await resolver.query_dns(f"m{i}.example", "A")).answer
            lost = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            done, _ = await asyncio.wait({lost, slow}, return_when=asyncio.FIRST_COMPLETED)
            assert done == {lost}  # its own, earlier deadline fired first
            await expect_dns_error(lost, 12)
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


