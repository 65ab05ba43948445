"""The resolver settings beyond pycares (ctypes_cares._settings; docs/guide/settings.md), against the in-process server: each works, or on a library too old for it
the ENOTIMP message names the release that brought it."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, Dict, List, Tuple

import pytest

import ctypes_cares as cares
from cares_helpers import ChannelFactory, Recorder, Requester
from ctypes_cares import _lib, aio
from ctypes_cares.constants import ARES_SERV_STATE_UDP as UDP
from ctypes_cares.errno import ARES_ENODATA, ARES_ENOTIMP, ARES_ETIMEOUT
from dnsserver import DNSServer

A, AAAA = cares.QUERY_TYPE_A, cares.QUERY_TYPE_AAAA

#: setting -> (a valid value, the c-ares release that introduced it).  Written here
#: independently of _settings.SETTINGS, so a wrong row there fails.
SAMPLES: Dict[str, Tuple[Any, str]] = {
    "qcache_max_ttl": (0, "1.23.0"),
    "max_timeout": (2.5, "1.22.0"),
    "udp_max_queries": (5, "1.20.0"),
    "hosts_path": ("/etc/hosts", "1.19.0"),
    "edns_packet_size": (1400, "1.10.0"),
    "server_retry_chance": (3, "1.29.0"),
    "server_retry_delay": (0.5, "1.29.0"),
    "server_state_cb": (lambda server, success, flags: None, "1.29.0"),
}


def has(version: str) -> bool:
    return _lib.caps.version >= tuple(int(x) for x in version.split("."))


def needs(setting: str) -> Any:
    version = SAMPLES[setting][1]
    return pytest.mark.skipif(
        not has(version), reason=f"needs c-ares >= {version} ({setting}); loaded {_lib.caps.version_str}"
    )


# -- every setting on this library: accepted, or refused naming the version ----------------


@pytest.mark.parametrize("setting", sorted(SAMPLES))
def test_setting_works_or_names_the_version(
    setting: str, make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    value, version = SAMPLES[setting]
    if has(version):
        channel = make_channel(**{setting: value})
        dns_server.add("www.example", "A", "192.0.2.1")
        assert resolve.result(channel.query, "www.example", A).answer[0].data.addr == "192.0.2.1"
        return
    with pytest.raises(cares.AresError) as info:
        make_channel(**{setting: value})
    assert info.value.args[0] == ARES_ENOTIMP
    assert f"{setting} needs c-ares >= {version}" in info.value.args[1]
    assert _lib.caps.version_str in info.value.args[1]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"qcache_max_ttl": "0"}, TypeError),
        ({"qcache_max_ttl": -1}, OverflowError),
        ({"qcache_max_ttl": 2**32}, OverflowError),
        ({"max_timeout": "1"}, TypeError),
        ({"max_timeout": -1.0}, ValueError),
        ({"max_timeout": float("nan")}, ValueError),
        ({"max_timeout": 1e10}, OverflowError),
        ({"udp_max_queries": 1.5}, TypeError),
        ({"udp_max_queries": -1}, ValueError),
        ({"udp_max_queries": 2**31}, OverflowError),
        ({"hosts_path": 5}, TypeError),
        ({"hosts_path": "/etc/ho\x00sts"}, ValueError),
        ({"edns_packet_size": "1232"}, TypeError),
        ({"edns_packet_size": 511}, ValueError),
        ({"edns_packet_size": 65536}, ValueError),
        ({"server_retry_chance": 1.0}, TypeError),
        ({"server_retry_chance": 65536}, ValueError),
        ({"server_retry_chance": -1}, ValueError),
        ({"server_retry_delay": "5"}, TypeError),
        ({"server_retry_delay": -0.5}, ValueError),
        ({"server_state_cb": 42}, TypeError),
    ],
)
def test_bad_values_are_refused_on_every_library(
    kwargs: Dict[str, Any], error: type, make_channel: ChannelFactory
) -> None:
    with pytest.raises(error):
        make_channel(**kwargs)


# -- the query cache --------------------------------------------------------------------


def _ask_twice(channel: cares.Channel, resolve: Requester, qtype: int) -> List[Any]:
    return [resolve.run(channel.query, "www.example", qtype) for _ in range(2)]


@needs("qcache_max_ttl")
def test_qcache_max_ttl_0_sends_every_query(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    dns_server.set_soa("example")
    dns_server.add("www.example", "A", "192.0.2.1", ttl=600)
    channel = make_channel(qcache_max_ttl=0)
    for qtype, errno in ((A, None), (AAAA, ARES_ENODATA)):  # NODATA: SOA in authority
        calls = _ask_twice(channel, resolve, qtype)
        assert [e for _, e in calls] == [errno, errno]
    assert [q.qtype for q in dns_server.queries] == [A, A, AAAA, AAAA]


@pytest.mark.skipif(not _lib.caps.query_cache, reason="needs c-ares >= 1.31.0 (cache on by default)")
def test_default_cache_answers_repeats_and_nodata(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    dns_server.set_soa("example")
    dns_server.add("www.example", "A", "192.0.2.1", ttl=600)
    channel = make_channel()
    for qtype in (A, AAAA):
        _ask_twice(channel, resolve, qtype)
    assert [q.qtype for q in dns_server.queries] == [A, AAAA]


# -- max_timeout ------------------------------------------------------------------------


@needs("max_timeout")
def test_max_timeout_bounds_each_try(make_channel: ChannelFactory, dns_server: DNSServer) -> None:
    """A dead server: c-ares's next deadline (ares_timeout, computed, not measured) is
    capped by max_timeout although the first try was given 5 s, and the query ends."""
    dns_server.set_fault("drop")
    channel = make_channel(timeout=5.0, tries=3, max_timeout=0.3)
    recorder = Recorder()
    channel.query("www.example", A, callback=recorder)
    assert channel.timeout() <= 0.3  # not the 5 s of the first try
    assert recorder.error() == ARES_ETIMEOUT  # 3 tries of 5 s would outlast this wait
    assert len(dns_server.queries) == 3


@needs("max_timeout")
def test_slow_answer_after_fast_ones_still_arrives(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    """The spurious-timeout pattern: after fast answers c-ares's adaptive timeout is
    short; a server that then answers slowly is still heard with the recommended
    settings (more tries, each retry's doubling capped by max_timeout)."""
    dns_server.add("www.example", "A", "192.0.2.1")
    channel = make_channel(tries=4, max_timeout=2.0, qcache_max_ttl=0)
    for _ in range(5):
        assert resolve.run(channel.query, "www.example", A)[1] is None
    dns_server.set_fault("delay", seconds=0.6)
    result = resolve.result(channel.query, "www.example", A)
    assert result.answer[0].data.addr == "192.0.2.1"


# -- other settings that show on the wire -------------------------------------------------


def test_edns_packet_size_is_advertised(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    dns_server.add("www.example", "A", "192.0.2.1")
    channel = make_channel(flags=cares.ARES_FLAG_EDNS, edns_packet_size=1400)
    resolve.result(channel.query, "www.example", A)
    assert [q.udp_size for q in dns_server.queries] == [1400]


@needs("udp_max_queries")
def test_udp_max_queries_changes_the_source_port(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester
) -> None:
    dns_server.add("www.example", "A", "192.0.2.1")
    channel = make_channel(udp_max_queries=1, qcache_max_ttl=0 if has("1.23.0") else None)
    for _ in range(3):
        resolve.result(channel.query, "www.example", A)
    ports = [q.port for q in dns_server.queries]
    assert len(ports) == 3 and len(set(ports)) >= 2  # unlimited: all three on one socket


@needs("hosts_path")
def test_hosts_path_is_read(make_channel: ChannelFactory, tmp_path: Any, resolve: Requester) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("192.0.2.77 only-in-our-hosts.test\n")
    channel = make_channel(hosts_path=str(hosts), lookups="f")
    result = resolve.result(channel.getaddrinfo, "only-in-our-hosts.test", None, family=2)
    assert [node.addr[0] for node in result.nodes] == [b"192.0.2.77"]


# -- server_state_cb and failover ----------------------------------------------------------


class ServerLog:
    """A server_state_cb that records reports and the thread they ran on."""

    def __init__(self) -> None:
        self.reports: List[Tuple[str, bool, int]] = []
        self.threads: List[str] = []
        self.changed = threading.Condition()

    def __call__(self, server: str, success: bool, flags: int) -> None:
        with self.changed:
            self.reports.append((server, success, flags))
            self.threads.append(threading.current_thread().name)
            self.changed.notify_all()

    def wait_for(self, count: int) -> List[Tuple[str, bool, int]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.reports) >= count, 5.0), self.reports
            return list(self.reports)


@pytest.fixture
def dead_server() -> Any:
    with DNSServer() as server:
        server.set_fault("drop")
        yield server


@needs("server_state_cb")
def test_server_state_cb_reports_failure_then_success(
    make_channel: ChannelFactory, dns_server: DNSServer, dead_server: DNSServer, resolve: Requester
) -> None:
    dns_server.add("www.example", "A", "192.0.2.1")
    log = ServerLog()
    channel = make_channel(
        servers=[dead_server.address, dns_server.address], tries=2, timeout=0.25,
        server_state_cb=log,
    )
    assert resolve.result(channel.query, "www.example", A).answer
    assert log.wait_for(2)[:2] == [
        (dead_server.address, False, UDP),
        (dns_server.address, True, UDP),
    ]
    assert set(log.threads) == {"ctypes_cares-driver"}


@needs("server_retry_chance")
def test_retry_settings_bring_a_recovered_server_back(
    make_channel: ChannelFactory, dns_server: DNSServer, dead_server: DNSServer, resolve: Requester
) -> None:
    for server in (dns_server, dead_server):
        server.add("www.example", "A", "192.0.2.1")
    log = ServerLog()
    channel = make_channel(
        servers=[dead_server.address, dns_server.address], tries=2, timeout=0.25,
        server_retry_chance=1, server_retry_delay=0, server_state_cb=log, qcache_max_ttl=0,
    )
    resolve.result(channel.query, "www.example", A)
    log.wait_for(2)
    dead_server.clear_faults()  # recovered
    resolve.result(channel.query, "www.example", A)
    reports = log.wait_for(4)
    assert (dead_server.address, True, UDP) in reports[2:]


@needs("server_state_cb")
def test_server_state_cb_that_raises_is_reported(
    make_channel: ChannelFactory, dns_server: DNSServer, resolve: Requester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reported: List[Any] = []
    seen = threading.Event()

    def hook(info: Any) -> None:
        reported.append((info.exc_value, info.object))
        seen.set()

    def broken(server: str, success: bool, flags: int) -> None:
        raise RuntimeError("server_state_cb bug")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    dns_server.add("www.example", "A", "192.0.2.1")
    channel = make_channel(server_state_cb=broken)
    resolve.result(channel.query, "www.example", A)
    assert seen.wait(5.0)
    [(exc, obj)] = reported
    assert str(exc) == "server_state_cb bug" and obj is broken
    resolve.result(channel.query, "www.example", A)  # the channel keeps working


@needs("server_state_cb")
@pytest.mark.parametrize("event_thread", [False, True])
def test_resolver_runs_server_state_cb_on_the_loop(
    dns_server: DNSServer, event_thread: bool
) -> None:
    dns_server.add("www.example", "A", "192.0.2.1")
    log = ServerLog()

    async def main() -> threading.Thread:
        resolver = aio.DNSResolver(
            [dns_server.address], event_thread=event_thread, server_state_cb=log, tries=1
        )
        try:
            await resolver.query_dns("www.example", "A")
            while not log.reports:
                await asyncio.sleep(0)
        finally:
            await resolver.close()
        return threading.current_thread()

    loop_thread = asyncio.run(main())
    assert log.reports[0][:2] == (dns_server.address, True)
    assert log.threads[0] == loop_thread.name
