"""Channel.getaddrinfo (and its parity with pycares' results) against the test server."""

from __future__ import annotations

import socket
import threading
from typing import Any, Sequence, Tuple
import pytest
from capabilities import needs
from cares_helpers import ChannelFactory, Requester
from dnsserver import DNSServer
import ctypes_cares as cares
from ctypes_cares import (
    AddrInfoCname,
    AddrInfoNode,
    AddrInfoResult,
    ARecordData,
    HostResult,
    NameInfoResult,
)
from ctypes_cares import errno as ares_errno
from test_queries import A, AAAA, PTR, assert_same, server_log


# --------------------------------------------------------------------------------------
# getaddrinfo


def _node(addr: Tuple[Any, ...], ttl: int = 300, family: int = socket.AF_INET) -> AddrInfoNode:
    return AddrInfoNode(ttl, 0, socket.AddressFamily(family), 0, 0, addr)


@pytest.fixture
def addr_zone(dns_server: DNSServer) -> DNSServer:
    dns_server.add("www.example", "A", "10.0.0.1", ttl=600)
    dns_server.add("www.example", "AAAA", "2001:db8::1", ttl=700)
    dns_server.add("alias.example", "CNAME", "mid.example", ttl=50)
    dns_server.add("mid.example", "CNAME", "www.example", ttl=40)
    dns_server.add("v6only.example", "AAAA", "2001:db8::6")
    dns_server.set_soa("example")
    return dns_server


def test_getaddrinfo_both_families(addr_zone: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    result = resolve.result(channel.getaddrinfo, "www.example", 443)
    assert_same(
        result,
        AddrInfoResult([], [_node((b"10.0.0.1", 443), 600), _node((b"2001:db8::1", 443, 0, 0), 700, socket.AF_INET6)]),
    )
    assert sorted(q[1] for q in server_log(addr_zone)) == [A, AAAA]


def test_getaddrinfo_family_and_hints(addr_zone: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    result = resolve.result(
        channel.getaddrinfo, "www.example", None, family=socket.AF_INET6, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    assert_same(
        result,
        AddrInfoResult([], [AddrInfoNode(700, 0, socket.AF_INET6, int(socket.SOCK_STREAM), int(socket.IPPROTO_TCP), (b"2001:db8::1", 0, 0, 0))]),
    )
    assert server_log(addr_zone) == [("www.example", AAAA, "udp")]


def test_getaddrinfo_cname_chain(addr_zone: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    result = resolve.result(channel.getaddrinfo, "alias.example", "80", family=socket.AF_INET)
    assert_same(
        result,
        AddrInfoResult(
            [AddrInfoCname(50, "alias.example", "mid.example"), AddrInfoCname(40, "mid.example", "www.example")],
            [_node((b"10.0.0.1", 80), 600)],
        ),
    )


def test_getaddrinfo_service_name(addr_zone: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    try:
        port = socket.getservbyname("http", "tcp")
    except OSError:
        pytest.skip("no services database")
    result = resolve.result(channel.getaddrinfo, "www.example", "http", family=socket.AF_INET)
    assert result.nodes[0].addr == (b"10.0.0.1", port)
    assert resolve.error(channel.getaddrinfo, "www.example", "no-such-service") == ares_errno.ARES_ESERVICE


@needs("dnsrec", "1.28")  # 1.17/1.18 answer numeric hosts from their next process call
def test_getaddrinfo_numeric_host_is_synchronous(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    recorder = resolve(channel.getaddrinfo, "127.0.0.1", 53)
    assert recorder.called
    assert_same(recorder.result(), AddrInfoResult([], [_node((b"127.0.0.1", 53), 0)]))
    v6 = resolve(channel.getaddrinfo, "::1", b"53")
    assert v6.called
    assert_same(v6.result(), AddrInfoResult([], [_node((b"::1", 53, 0, 0), 0, socket.AF_INET6)]))
    assert dns_server.queries == []


def test_getaddrinfo_errors(addr_zone: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    assert resolve.error(channel.getaddrinfo, "nx.example", None) == ares_errno.ARES_ENOTFOUND
    assert resolve.error(channel.getaddrinfo, "v6only.example", None, family=socket.AF_INET) == ares_errno.ARES_ENODATA
    assert resolve.error(channel.getaddrinfo, "www.example", None, family=-1) == ares_errno.ARES_ENOTIMP
    assert resolve.error(channel.getaddrinfo, "www.example", True) == ares_errno.ARES_ESERVICE  # str(True)
    if cares.capabilities.dnsrec:  # 1.17/1.18 send the bytes as they are: NXDOMAIN
        assert resolve.error(channel.getaddrinfo, "café.example".encode(), None) == ares_errno.ARES_EBADNAME


def test_getaddrinfo_lookups_files_only(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    channel = make_channel(lookups="f")
    resolve.error(channel.getaddrinfo, "www.example", None)
    assert dns_server.queries == []


# --------------------------------------------------------------------------------------
# gethostbyaddr and getnameinfo


@pytest.fixture
def ptr_zone(dns_server: DNSServer) -> DNSServer:
    dns_server.add("1.0.0.10.in-addr.arpa", "PTR", "www.example")
    v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    dns_server.add(v6, "PTR", "six.example")
    return dns_server


def test_gethostbyaddr(ptr_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(lookups="b")
    assert_same(resolve.result(channel.gethostbyaddr, "10.0.0.1"), HostResult("www.example", ["www.example"], ["10.0.0.1"]))
    assert_same(
        resolve.result(channel.gethostbyaddr, b"2001:db8::1"), HostResult("six.example", ["six.example"], ["2001:db8::1"])
    )
    assert resolve.error(channel.gethostbyaddr, "10.0.0.2") == ares_errno.ARES_ENOTFOUND
    assert [q[:2] for q in server_log(ptr_zone)] == [
        ("1.0.0.10.in-addr.arpa", PTR),
        ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", PTR),
        ("2.0.0.10.in-addr.arpa", PTR),
    ]


def test_getnameinfo(ptr_zone: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel(lookups="b")
    host = cares.ARES_NI_LOOKUPHOST
    assert_same(resolve.result(channel.getnameinfo, ("10.0.0.1", 80), host), NameInfoResult("www.example", None))
    assert_same(resolve.result(channel.getnameinfo, ("10.0.0.1", 80), 0), NameInfoResult("www.example", None))
    service = resolve.result(channel.getnameinfo, ("10.0.0.1", 4242), host | cares.ARES_NI_LOOKUPSERVICE | cares.ARES_NI_NUMERICSERV)
    assert_same(service, NameInfoResult("www.example", "4242"))
    v6 = resolve.result(channel.getnameinfo, ("2001:db8::1", 80, 0, 0), host)
    assert_same(v6, NameInfoResult("six.example", None))
    # Unresolvable: the numeric form (IPv6 with a scope suffix), or ENOTFOUND with NAMEREQD.
    assert_same(resolve.result(channel.getnameinfo, ("10.0.0.2", 80), host), NameInfoResult("10.0.0.2", None))
    assert_same(resolve.result(channel.getnameinfo, ("2001:db8::2", 80, 0, 0), host), NameInfoResult("2001:db8::2%0", None))
    namereqd = host | cares.ARES_NI_NAMEREQD
    assert resolve.error(channel.getnameinfo, ("10.0.0.2", 80), namereqd) == ares_errno.ARES_ENOTFOUND


def test_getnameinfo_service(channel: cares.Channel, resolve: Requester) -> None:
    try:
        name = socket.getservbyport(80, "tcp")
    except OSError:
        pytest.skip("no services database")
    flags = cares.ARES_NI_LOOKUPHOST | cares.ARES_NI_LOOKUPSERVICE | cares.ARES_NI_NUMERICHOST
    assert_same(resolve.result(channel.getnameinfo, ("10.0.0.1", 80), flags), NameInfoResult("10.0.0.1", name))


def test_getnameinfo_lookupservice_only_calls_back(channel: cares.Channel, resolve: Requester) -> None:
    """pycares never calls back here (its C callback crashes on node=NULL); we report node=None."""
    recorder = resolve(channel.getnameinfo, ("10.0.0.1", 53), cares.ARES_NI_LOOKUPSERVICE | cares.ARES_NI_NUMERICSERV)
    result = recorder.result()
    assert type(result) is NameInfoResult
    assert result.node is None
    assert result.service == "53"


def test_event_thread_callbacks_run_off_the_main_thread(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    recorder = resolve(channel.query, "www.example", A)
    recorder.result()
    assert recorder.threads[0] is not threading.current_thread()


def test_many_concurrent_queries(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    names: Sequence[str] = [f"h{i}.example" for i in range(200)]
    for i, name in enumerate(names):
        dns_server.add(name, "A", f"10.0.{i // 256}.{i % 256}")
    recorders = [resolve(channel.query, name, A) for name in names]
    assert channel.wait(10)
    for i, recorder in enumerate(recorders):
        assert recorder.result().answer[0].data == ARecordData(f"10.0.{i // 256}.{i % 256}")
