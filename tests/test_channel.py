"""The Channel object itself: constructor options, the servers property, local binding,
reinit, wait, timeout, close, and what a closed channel does.

Queries and their results are in test_queries.py; lifetimes, threads and crashes in
test_channel_lifetime.py; the manual event loop in test_sock_state.py; argument
validation in test_bad_input.py.
"""

from __future__ import annotations

import inspect
import os
import threading
from typing import Any, Callable, Dict

import pytest

import ctypes_cares as cares
from capabilities import needs, needs_version
from cares_helpers import ChannelFactory, Recorder, Requester
from ctypes_cares import errno as ares_errno
from dnsserver import DNSServer

A = cares.QUERY_TYPE_A


def test_class_attributes() -> None:
    assert cares.Channel.__qtypes__ == (1, 28, 255, 257, 5, 65, 15, 35, 2, 12, 6, 33, 52, 16, 256)
    assert cares.Channel.__qclasses__ == (1, 3, 4, 254, 255)
    assert not hasattr(cares.Channel, "__enter__")
    assert not hasattr(cares.Channel, "getsock")
    assert not hasattr(cares.Channel, "gethostbyname")


def test_constructor_is_keyword_only() -> None:
    params = inspect.signature(cares.Channel).parameters
    assert list(params) == [
        "flags", "timeout", "tries", "ndots", "tcp_port", "udp_port", "servers", "domains",
        "lookups", "sock_state_cb", "socket_send_buffer_size", "socket_receive_buffer_size",
        "rotate", "local_ip", "local_dev", "resolvconf_path",
        # extensions (docs/guide/settings.md), after pycares 5.2.1's arguments
        "qcache_max_ttl", "max_timeout", "udp_max_queries", "hosts_path", "edns_packet_size",
        "server_retry_chance", "server_retry_delay", "server_state_cb",
    ]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())


def test_channel_pointer_and_instance_attributes(make_channel: ChannelFactory) -> None:
    channel = make_channel()
    assert channel._channel is not None
    channel.my_attribute = 1  # type: ignore[attr-defined]  # no __slots__: tests patch attributes
    channel.close()
    assert channel._channel is None
    channel.close()  # idempotent
    assert channel._channel is None


def test_all_options_accepted(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    channel = make_channel(
        flags=cares.ARES_FLAG_EDNS | cares.ARES_FLAG_STAYOPEN,
        timeout=0.5,
        tries=3,
        ndots=2,
        domains=["a.example", b"b.example"],
        lookups="bf",
        socket_send_buffer_size=65536,
        socket_receive_buffer_size=65536,
        rotate=True,
        local_ip="127.0.0.1",
        local_dev=b"lo",
    )
    assert channel.servers == [dns_server.address]
    # local_dev needs privileges to take effect; only check the query does not crash.
    resolve.run(channel.query, "www.example", A)


def test_ports_for_servers_without_port(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    channel = make_channel(servers=[dns_server.host], udp_port=dns_server.port, tcp_port=dns_server.port)
    if cares.capabilities.servers_csv:  # the older server-list API reports port 0 as 53
        assert channel.servers == [dns_server.address]
    resolve.result(channel.query, "www.example", A)
    usevc = make_channel(servers=[dns_server.host], tcp_port=dns_server.port, flags=cares.ARES_FLAG_USEVC)
    resolve.result(usevc.query, "www.example", A)
    assert [q.transport for q in dns_server.queries] == ["udp", "tcp"]


@needs_version("1.24")  # "nameserver ip:port" in resolv.conf (1.17/1.18 ignore the port)
def test_resolvconf_path(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester, tmp_path: Any) -> None:
    """The path buffer must outlive ares_init_options (pycares frees it too early)."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {dns_server.address}\nsearch a.example\noptions ndots:2\n")
    dns_server.add("www.a.example", "A", "10.0.0.2")
    channel = make_channel(servers=None, timeout=None, tries=None, resolvconf_path=str(conf))
    assert channel.servers == [dns_server.address]
    assert resolve.result(channel.search, "www", A).answer[0].name == "www.a.example"
    assert [q.name for q in dns_server.queries] == ["www.a.example"]
    channel.reinit()
    assert channel.servers == [dns_server.address]


def test_missing_resolvconf_falls_back(make_channel: ChannelFactory, tmp_path: Any) -> None:
    channel = make_channel(servers=None, resolvconf_path=os.fsencode(tmp_path / "missing.conf"))
    assert channel.servers == ["127.0.0.1:53"]


@needs_version("1.24")  # 1.17/1.18 initialise anyway
def test_no_default_server_fails_to_initialise(tmp_path: Any) -> None:
    conf = tmp_path / "empty.conf"
    conf.write_text("")
    with pytest.raises(cares.AresError) as info:
        cares.Channel(resolvconf_path=str(conf), flags=cares.ARES_FLAG_NO_DFLT_SVR)
    assert info.value.args == ("Failed to initialize c-ares channel",)


def test_falsy_options_are_ignored(make_channel: ChannelFactory) -> None:
    default = make_channel(servers=None)
    channel = make_channel(servers=[], domains=[], lookups="", local_ip="", local_dev="", rotate=False)
    assert channel.servers == default.servers


# --------------------------------------------------------------------------------------
# servers


@needs("servers_csv", "1.24")  # URI and bracketed forms
def test_servers_round_trip(make_channel: ChannelFactory) -> None:
    channel = make_channel()
    channel.servers = ["dns://9.9.9.9:53", "[2001:db8::1]:5353", b"1.1.1.1", "8.8.8.8,8.8.4.4", "::1"]
    assert channel.servers == ["9.9.9.9:53", "[2001:db8::1]:5353", "1.1.1.1:53", "8.8.8.8:53", "8.8.4.4:53", "[::1]:53"]
    channel.servers = ("10.0.0.1:5353",)
    assert channel.servers == ["10.0.0.1:5353"]


@needs_version("1.24")  # ARES_ENOSERVER; 1.17/1.18 report ESERVFAIL
def test_no_servers(make_channel: ChannelFactory, resolve: Requester) -> None:
    channel = make_channel()
    channel.servers = []
    assert channel.servers == [""]
    recorder = Recorder()
    with pytest.raises(cares.AresError) as info:
        channel.query("www.example", A, callback=recorder)
    assert info.value.args == (26, "No DNS servers were configured")
    assert recorder.error(0) == 26  # ARES_ENOSERVER: delivered AND raised
    assert resolve.error(channel.getaddrinfo, "www.example", None) == 26


@needs("servers_csv", "1.24")  # older parsers accept some of these
def test_servers_setter_errors(make_channel: ChannelFactory) -> None:
    channel = make_channel()
    before = channel.servers
    for bad in (["not-an-ip"], ["1.2.3.4:70000"], "1.2.3.4", ["1.2.3.4:"], ["[::1"]):
        with pytest.raises(cares.AresError) as info:
            channel.servers = bad  # a plain str is iterated per character
        assert info.value.args == (17, "Misformatted string")
    with pytest.raises(TypeError, match="sequence item 0: expected str instance, int found"):
        channel.servers = [1]
    with pytest.raises(UnicodeEncodeError):
        channel.servers = ["1.2.3.4é"]
    with pytest.raises(TypeError):
        channel.servers = None  # type: ignore[assignment]
    assert channel.servers == before


def test_switching_servers_redirects_queries(make_channel: ChannelFactory, resolve: Requester) -> None:
    with DNSServer() as one, DNSServer() as two:
        one.add("www.example", "A", "10.0.0.1")
        two.add("www.example", "A", "10.0.0.2")
        channel = make_channel(servers=[one.address])
        assert resolve.result(channel.query, "www.example", A).answer[0].data.addr == "10.0.0.1"
        channel.servers = [two.address]
        # c-ares drops its cache when the server list changes.
        assert resolve.result(channel.query, "www.example", A).answer[0].data.addr == "10.0.0.2"


# --------------------------------------------------------------------------------------
# local binding and reinit


def test_set_local_ip_and_dev(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    channel = make_channel()
    channel.set_local_ip("127.0.0.1")
    channel.set_local_ip(b"::1")  # the IPv6 source; IPv4 queries keep 127.0.0.1
    resolve.result(channel.query, "www.example", A)
    channel.set_local_dev("no-such-dev0")  # accepted, not validated
    with pytest.raises(ValueError, match="invalid IP address"):
        channel.set_local_ip("256.0.0.1")


@needs("reinit", "1.22")
def test_reinit_keeps_explicit_servers(make_channel: ChannelFactory) -> None:
    channel = make_channel()
    before = channel.servers
    channel.reinit()
    assert channel.servers == before


# --------------------------------------------------------------------------------------
# wait


def test_wait_idle(channel: cares.Channel) -> None:
    assert channel.wait(0) is True
    assert channel.wait() is True
    assert channel.wait(-1) is True


def test_wait_for_pending(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("drop")  # unanswered until the faults are cleared; c-ares retries
    channel = make_channel(timeout=0.1, tries=20)
    recorder = resolve(channel.query, "www.example", A)
    assert channel.wait(0) is False
    assert channel.wait(0.01) is False
    dns_server.clear_faults()
    assert channel.wait() is True
    assert recorder.called
    recorder.result()


def test_wait_timeout_with_silent_server(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.set_fault("drop")
    channel = make_channel(timeout=5.0)
    recorder = resolve(channel.query, "www.example", A)
    assert channel.wait(0.1) is False
    channel.cancel()
    assert recorder.error(0) == ares_errno.ARES_ECANCELLED
    assert channel.wait(0) is True


def test_wait_from_several_threads(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("delay", seconds=0.1)
    resolve(channel.query, "www.example", A)
    results: Dict[int, bool] = {}

    def waiter(i: int) -> None:
        results[i] = channel.wait(5)

    threads = [threading.Thread(target=waiter, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {0: True, 1: True, 2: True, 3: True}


# --------------------------------------------------------------------------------------
# timeout()


def test_timeout_idle(channel: cares.Channel) -> None:
    assert channel.timeout() == 0.0
    assert channel.timeout(1.0) == 1.0
    assert channel.timeout(2.5) == 2.5
    assert channel.timeout(0) == 0.0
    assert channel.timeout(1e-7) == 0.0
    assert channel.timeout(3) == 3.0
    assert type(channel.timeout()) is float


def test_timeout_with_pending_query(dns_server: DNSServer, make_channel: ChannelFactory, resolve: Requester) -> None:
    dns_server.set_fault("drop")
    channel = make_channel(timeout=2.0, sock_state_cb=lambda fd, r, w: None)
    resolve(channel.query, "www.example", A)
    assert 1.0 < channel.timeout() <= 2.0
    assert 1.0 < channel.timeout(10) <= 2.0
    assert channel.timeout(0.1) == 0.1
    channel.cancel()


# --------------------------------------------------------------------------------------
# A closed channel


def _closed_calls(channel: cares.Channel) -> Dict[str, Callable[[], Any]]:
    cb = Recorder()
    return {
        "query": lambda: channel.query("www.example", A, callback=cb),
        "search": lambda: channel.search("www.example", A, callback=cb),
        "getaddrinfo": lambda: channel.getaddrinfo("www.example", None, callback=cb),
        "gethostbyaddr": lambda: channel.gethostbyaddr("10.0.0.1", callback=cb),
        "getnameinfo": lambda: channel.getnameinfo(("10.0.0.1", 80), 0, callback=cb),
        "cancel": channel.cancel,
        "reinit": channel.reinit,
        "wait": channel.wait,
        "wait(0)": lambda: channel.wait(0),
        "servers get": lambda: channel.servers,
        "servers set": lambda: setattr(channel, "servers", ["10.0.0.1"]),
        "set_local_ip": lambda: channel.set_local_ip("127.0.0.1"),
        "set_local_dev": lambda: channel.set_local_dev("lo"),
        "process_fd": lambda: channel.process_fd(-1, -1),
        "process_read_fd": lambda: channel.process_read_fd(-1),
        "process_write_fd": lambda: channel.process_write_fd(-1),
        "timeout": channel.timeout,
        "timeout(1)": lambda: channel.timeout(1.0),
    }


@pytest.mark.parametrize("sock_state", [False, True], ids=["event-thread", "sock_state_cb"])
def test_every_method_raises_on_a_closed_channel(sock_state: bool, make_channel: ChannelFactory) -> None:
    kwargs: Dict[str, Any] = {"sock_state_cb": lambda fd, r, w: None} if sock_state else {}
    channel = make_channel(**kwargs)
    channel.close()
    before = len(cares._handle_to_channel)
    for name, call in _closed_calls(channel).items():
        with pytest.raises(RuntimeError, match="destroyed") as info:
            call()
        assert info.value.args == ("Channel is destroyed, no new queries allowed",), name
    assert len(cares._handle_to_channel) == before
    channel.close()


def test_validation_order_on_a_closed_channel(channel: cares.Channel) -> None:
    channel.close()
    cb = Recorder()
    # Argument checks that come before the closed check (pycares order).
    with pytest.raises(TypeError, match="a callable is required"):
        channel.query("www.example", A, callback=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid query type"):
        channel.query("www.example", 4242, callback=cb)
    with pytest.raises(ValueError, match="invalid query class"):
        channel.query("www.example", A, query_class=2, callback=cb)
    with pytest.raises(ValueError, match="invalid IP address"):
        channel.gethostbyaddr("nope", callback=cb)
    with pytest.raises(ValueError, match="Invalid IPv4 address"):
        channel.getnameinfo(("nope", 1), 0, callback=cb)
    with pytest.raises(UnicodeError):
        channel.search("\udc80bad", A, callback=cb)  # search encodes before the check
    with pytest.raises(TypeError):
        channel.servers = [1]  # converted before the check
    # ... and ones that come after it.
    with pytest.raises(RuntimeError, match="destroyed"):
        channel.set_local_ip("nope")
    with pytest.raises(RuntimeError, match="destroyed"):
        channel.query("\udc80bad", A, callback=cb)
    assert cb.calls == []
