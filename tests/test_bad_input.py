"""Bad arguments: each is a Python exception or a c-ares status, never a crash.

Wrong types are TypeError, bad values ValueError / OverflowError, and names c-ares
refuses are reported the way pycares reports them: the callback gets ``(None, status)``
synchronously AND the call raises ``AresError(status, message)`` (query/search), or only
the callback fires (getaddrinfo, void in C).
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Dict, List, Tuple, Type

import pytest

import ctypes_cares as cares
from capabilities import needs
from cares_helpers import ChannelFactory, Recorder, Requester
from ctypes_cares import errno as ares_errno
from dnsserver import DNSServer

A = cares.QUERY_TYPE_A


@pytest.fixture(autouse=True)
def _no_request_left(channel: cares.Channel) -> Any:
    before = len(cares._handle_to_channel)
    yield
    assert len(cares._handle_to_channel) == before, "a failing call left a request behind"


def _reject(call: Callable[[Recorder], Any], status: int) -> None:
    """``call`` must deliver (None, status) synchronously and raise AresError(status, msg)."""
    recorder = Recorder()
    with pytest.raises(cares.AresError) as info:
        call(recorder)
    assert info.value.args == (status, ares_errno.strerror(status))
    assert recorder.called, "the callback fires before the exception"
    assert recorder.error(0) == status


# --------------------------------------------------------------------------------------
# Synchronous rejections (the pycares double delivery)

LONG_LABEL = "x" * 64 + ".example"
LONG_NAME = ".".join(["x" * 60] * 5)  # 304 characters


# Name validation at submission is a property of ares_query_dnsrec / ares_search_dnsrec.
needs_name_checks = needs("dnsrec", "1.28")


@needs_name_checks
@pytest.mark.parametrize(
    "name, status",
    [
        ("example test.com", ares_errno.ARES_EBADNAME),  # space
        (LONG_LABEL, ares_errno.ARES_EBADNAME),
        (LONG_NAME, ares_errno.ARES_EBADNAME),
        ("café.example".encode(), ares_errno.ARES_EBADNAME),  # UTF-8 bytes reach c-ares raw
        ("foo.onion", ares_errno.ARES_ENOTFOUND),  # RFC 7686
        ("FOO.ONION.", ares_errno.ARES_ENOTFOUND),
        ("ü..example", ares_errno.ARES_EBADNAME),  # IDNA keeps the empty ASCII label
        # Our choice: c-ares would read only up to the NUL and ask for another name.
        ("nul\x00.example", ares_errno.ARES_EBADNAME),
        (b"www.example\x00.evil", ares_errno.ARES_EBADNAME),
    ],
)
def test_query_rejects(name: Any, status: int, dns_server: DNSServer, channel: cares.Channel) -> None:
    _reject(lambda cb: channel.query(name, A, callback=cb), status)
    assert dns_server.queries == []


@needs_name_checks
@pytest.mark.parametrize(
    "name, status",
    [
        # search reports ENOMEM (15) for names it cannot build a query from (pycares quirk)
        ("example test.com", ares_errno.ARES_ENOMEM),
        (LONG_LABEL, ares_errno.ARES_ENOMEM),
        (LONG_NAME, ares_errno.ARES_ENOMEM),
        ("foo.onion", ares_errno.ARES_ENOTFOUND),
        ("nul\x00.example", ares_errno.ARES_EBADNAME),
    ],
)
def test_search_rejects(name: Any, status: int, dns_server: DNSServer, channel: cares.Channel) -> None:
    _reject(lambda cb: channel.search(name, A, callback=cb), status)
    assert dns_server.queries == []


@needs_name_checks
@pytest.mark.parametrize(
    "host, port, status",
    [
        ("nul\x00.example", None, ares_errno.ARES_EBADNAME),
        ("foo.onion", None, ares_errno.ARES_ENOTFOUND),
        (LONG_NAME, None, ares_errno.ARES_EBADNAME),
        ("www.example", "8\x000", ares_errno.ARES_ESERVICE),
        ("www.example", -1, ares_errno.ARES_ESERVICE),
        ("www.example", 2**70, ares_errno.ARES_ESERVICE),
    ],
)
def test_getaddrinfo_rejects_through_the_callback_only(host: Any, port: Any, status: int, channel: cares.Channel, resolve: Requester) -> None:
    assert resolve.error(channel.getaddrinfo, host, port) == status


# --------------------------------------------------------------------------------------
# Wrong types and values, per method

# The channel argument is typed Any: these calls are wrong on purpose.
BAD_CALLS: Dict[str, Tuple[Type[BaseException], str, Callable[[Any, Recorder], Any]]] = {
    # callback
    "query callback None": (TypeError, "a callable is required", lambda c, CB: c.query("x", A, callback=None)),
    "search callback int": (TypeError, "a callable is required", lambda c, CB: c.search("x", A, callback=1)),
    "getaddrinfo callback": (TypeError, "a callable is required", lambda c, CB: c.getaddrinfo("x", None, callback="f")),
    "gethostbyaddr callback": (TypeError, "a callable is required", lambda c, CB: c.gethostbyaddr("10.0.0.1", callback=None)),
    "getnameinfo callback": (TypeError, "a callable is required", lambda c, CB: c.getnameinfo(("10.0.0.1", 1), 0, callback=None)),
    "callback positional": (TypeError, "", lambda c, CB: c.query("x", A, CB)),
    # query type / class
    "type unknown": (ValueError, "invalid query type specified", lambda c, CB: c.query("x", 64, callback=CB)),
    "type str": (ValueError, "invalid query type specified", lambda c, CB: c.query("x", "A", callback=CB)),
    "type None": (ValueError, "invalid query type specified", lambda c, CB: c.search("x", None, callback=CB)),
    "type float": (TypeError, "", lambda c, CB: c.query("x", 1.0, callback=CB)),
    "class unknown": (ValueError, "invalid query class specified", lambda c, CB: c.query("x", A, query_class=2, callback=CB)),
    "class str": (ValueError, "invalid query class specified", lambda c, CB: c.search("x", A, query_class="IN", callback=CB)),
    # names
    "name int": (TypeError, "only str and bytes are supported", lambda c, CB: c.query(1, A, callback=CB)),
    "name None": (TypeError, "only str and bytes are supported", lambda c, CB: c.search(None, A, callback=CB)),
    "name bytearray": (TypeError, "only str and bytes are supported", lambda c, CB: c.query(bytearray(b"x"), A, callback=CB)),
    "host list": (TypeError, "only str and bytes are supported", lambda c, CB: c.getaddrinfo(["x"], None, callback=CB)),
    "name surrogate": (UnicodeError, "", lambda c, CB: c.query("\udc80bad.example", A, callback=CB)),
    "search surrogate": (UnicodeError, "", lambda c, CB: c.search("\udc80bad.example", A, callback=CB)),
    "host surrogate": (UnicodeError, "", lambda c, CB: c.getaddrinfo("\udc80bad", None, callback=CB)),
    "name bad idna": (UnicodeError, "", lambda c, CB: c.query("a\u200d.example", A, callback=CB)),
    # getaddrinfo
    "port float": (TypeError, "only str (ascii encoding) and bytes are supported", lambda c, CB: c.getaddrinfo("x", 1.5, callback=CB)),
    "port non-ascii": (UnicodeEncodeError, "", lambda c, CB: c.getaddrinfo("x", "ħttp", callback=CB)),
    "family str": (TypeError, "", lambda c, CB: c.getaddrinfo("x", None, family="inet", callback=CB)),
    "family float": (TypeError, "", lambda c, CB: c.getaddrinfo("x", None, family=2.0, callback=CB)),  # == a cached hint
    "family huge": (OverflowError, "", lambda c, CB: c.getaddrinfo("x", None, family=2**40, callback=CB)),
    "flags huge": (OverflowError, "", lambda c, CB: c.getaddrinfo("x", None, flags=-(2**40), callback=CB)),
    "type huge": (OverflowError, "", lambda c, CB: c.getaddrinfo("x", None, type=2**31, callback=CB)),
    "proto huge": (OverflowError, "", lambda c, CB: c.getaddrinfo("x", None, proto=2**63, callback=CB)),
    # gethostbyaddr
    "addr text": (ValueError, "invalid IP address", lambda c, CB: c.gethostbyaddr("not-an-ip", callback=CB)),
    "addr cidr": (ValueError, "invalid IP address", lambda c, CB: c.gethostbyaddr("1.2.3.4/24", callback=CB)),
    "addr 256": (ValueError, "invalid IP address", lambda c, CB: c.gethostbyaddr("256.1.1.1", callback=CB)),
    "addr nul": (ValueError, "invalid IP address", lambda c, CB: c.gethostbyaddr("1.2.3.4\x00", callback=CB)),
    "addr non-ascii bytes": (ValueError, "invalid IP address", lambda c, CB: c.gethostbyaddr(b"\xff", callback=CB)),
    "addr int": (TypeError, "only str (ascii encoding) and bytes are supported", lambda c, CB: c.gethostbyaddr(167772161, callback=CB)),
    # getnameinfo
    "sa bad ipv4": (ValueError, "Invalid IPv4 address 'x'", lambda c, CB: c.getnameinfo(("x", 80), 0, callback=CB)),
    "sa ipv6 in 2-tuple": (ValueError, "Invalid IPv4 address '::1'", lambda c, CB: c.getnameinfo(("::1", 80), 0, callback=CB)),
    "sa bad ipv6": (ValueError, "Invalid IPv6 address '10.0.0.1'", lambda c, CB: c.getnameinfo(("10.0.0.1", 80, 0, 0), 0, callback=CB)),
    "sa length 3": (ValueError, "Invalid address argument", lambda c, CB: c.getnameinfo(("10.0.0.1", 80, 0), 0, callback=CB)),
    "sa str": (ValueError, "Invalid address argument", lambda c, CB: c.getnameinfo("10.0.0.1", 0, callback=CB)),
    "sa None": (TypeError, "", lambda c, CB: c.getnameinfo(None, 0, callback=CB)),
    "sa port str": (TypeError, "", lambda c, CB: c.getnameinfo(("10.0.0.1", "80"), 0, callback=CB)),
    "sa port big": (OverflowError, "", lambda c, CB: c.getnameinfo(("10.0.0.1", 65536), 0, callback=CB)),
    "sa port negative": (OverflowError, "", lambda c, CB: c.getnameinfo(("::1", -1, 0, 0), 0, callback=CB)),
    "sa flowinfo big": (OverflowError, "", lambda c, CB: c.getnameinfo(("::1", 80, 2**32, 0), 0, callback=CB)),
    "sa scope negative": (OverflowError, "", lambda c, CB: c.getnameinfo(("::1", 80, 0, -1), 0, callback=CB)),
    "ni flags huge": (OverflowError, "", lambda c, CB: c.getnameinfo(("10.0.0.1", 80), 2**40, callback=CB)),
    "ni flags str": (TypeError, "", lambda c, CB: c.getnameinfo(("10.0.0.1", 80), "0", callback=CB)),
    # servers
    "servers not an ip": (cares.AresError, "Misformatted string", lambda c, CB: setattr(c, "servers", ["not-an-ip"])),
    "servers port": (cares.AresError, "Misformatted string", lambda c, CB: setattr(c, "servers", ["1.2.3.4:65536" if cares.capabilities.servers_csv else "1.2.3.4:x"])),
    "servers nul": (cares.AresError, "Misformatted string", lambda c, CB: setattr(c, "servers", ["1.2.3.4\x00junk"])),
    "servers str": (cares.AresError, "Misformatted string", lambda c, CB: setattr(c, "servers", "1.2.3.4")),
    "servers int item": (TypeError, "expected str instance, int found", lambda c, CB: setattr(c, "servers", [1])),
    "servers None": (TypeError, "", lambda c, CB: setattr(c, "servers", None)),
    "servers non-ascii": (UnicodeEncodeError, "", lambda c, CB: setattr(c, "servers", ["1.2.3.4é"])),
    "servers non-ascii bytes": (UnicodeDecodeError, "", lambda c, CB: setattr(c, "servers", [b"\xff"])),
    # local binding
    "local ip text": (ValueError, "invalid IP address", lambda c, CB: c.set_local_ip("bad")),
    "local ip int": (TypeError, "only str (ascii encoding) and bytes are supported", lambda c, CB: c.set_local_ip(1)),
    "local dev int": (TypeError, "only str (ascii encoding) and bytes are supported", lambda c, CB: c.set_local_dev(1)),
    "local dev non-ascii": (UnicodeEncodeError, "", lambda c, CB: c.set_local_dev("é")),
    "local dev nul": (ValueError, "", lambda c, CB: c.set_local_dev("lo\x00")),
    # timeout / wait / process_fd
    "timeout negative": (ValueError, "timeout needs to be a positive number or None", lambda c, CB: c.timeout(-1)),
    "timeout negative small": (ValueError, "timeout needs to be a positive number or None", lambda c, CB: c.timeout(-1e-9)),
    "timeout nan": (ValueError, "", lambda c, CB: c.timeout(float("nan"))),
    "timeout huge": (OverflowError, "", lambda c, CB: c.timeout(1e300)),
    "timeout str": (TypeError, "", lambda c, CB: c.timeout("1")),
    "wait str": (TypeError, "", lambda c, CB: c.wait("1")),
    "wait nan": (ValueError, "", lambda c, CB: c.wait(float("nan"))),
    "process_fd str": (TypeError, "", lambda c, CB: c.process_fd("3", -1)),
    "process_fd None": (TypeError, "", lambda c, CB: c.process_fd(None, -1)),
    "process_fd huge": (OverflowError, "", lambda c, CB: c.process_fd(2**40, -1)),
    "process_read_fd huge": (OverflowError, "", lambda c, CB: c.process_read_fd(-(2**40))),
    "process_write_fd float": (TypeError, "", lambda c, CB: c.process_write_fd(1.0)),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_call(case: str, channel: cares.Channel) -> None:
    exc_type, message, call = BAD_CALLS[case]
    callback = Recorder()  # never called: every case fails before submission
    with pytest.raises(exc_type) as info:
        call(channel, callback)
    assert message in str(info.value)
    assert callback.calls == []
    # The channel is still fine.
    assert channel.timeout() == 0.0


def test_bad_call_errors_are_exact() -> None:
    """Spot checks of full messages (pycares wording)."""
    channel = cares.Channel(servers=["127.0.0.1:9"])
    try:
        with pytest.raises(cares.AresError) as info:
            channel.servers = ["bad"]
        assert info.value.args == (17, "Misformatted string")
        with pytest.raises(ValueError) as value_info:
            channel.gethostbyaddr("bad", callback=Recorder())
        assert value_info.value.args == ("invalid IP address",)
        with pytest.raises(ValueError) as value_info:
            channel.timeout(-1)
        assert value_info.value.args == ("timeout needs to be a positive number or None",)
    finally:
        channel.close()


def test_wait_with_a_huge_timeout_waits_without_limit(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    dns_server.set_fault("delay", seconds=0.05)
    recorder = resolve(channel.query, "www.example", A)
    assert channel.wait(1e300) is True
    assert recorder.called


def test_query_type_true_is_a(dns_server: DNSServer, channel: cares.Channel, resolve: Requester) -> None:
    """Membership is tested with ==, so True is accepted as type 1 (pycares quirk)."""
    dns_server.add("www.example", "A", "10.0.0.1")
    assert resolve.result(channel.query, "www.example", True).answer[0].type == 1
    assert dns_server.queries[0].qtype == 1


# --------------------------------------------------------------------------------------
# The constructor

BAD_OPTIONS: List[Tuple[Dict[str, Any], Type[BaseException], str]] = [
    ({"timeout": -1}, ValueError, ""),  # our choice (pycares passes it on)
    ({"timeout": -0.001}, ValueError, ""),
    ({"timeout": float("nan")}, ValueError, ""),
    ({"timeout": float("inf")}, OverflowError, ""),
    ({"timeout": 1e20}, OverflowError, ""),
    ({"timeout": "1"}, TypeError, ""),
    ({"tries": 2**40}, OverflowError, ""),
    ({"tries": 1.5}, TypeError, ""),
    ({"flags": 2**31}, OverflowError, ""),
    ({"ndots": -(2**31) - 1}, OverflowError, ""),
    ({"tcp_port": 65536}, OverflowError, ""),
    ({"udp_port": -1}, OverflowError, ""),
    ({"udp_port": "53"}, TypeError, ""),
    ({"socket_send_buffer_size": 2**40}, OverflowError, ""),
    ({"socket_receive_buffer_size": 2**40}, OverflowError, ""),
    ({"sock_state_cb": 1}, TypeError, "sock_state_cb is not callable"),
    ({"sock_state_cb": "cb"}, TypeError, "sock_state_cb is not callable"),
    ({"domains": (d for d in ["a.example"])}, TypeError, "has no len()"),
    ({"domains": [1]}, TypeError, "only str (ascii encoding) and bytes are supported"),
    ({"domains": ["é.example"]}, UnicodeEncodeError, ""),
    ({"domains": ["a\x00b"]}, ValueError, ""),
    ({"lookups": 1}, TypeError, "only str (ascii encoding) and bytes are supported"),
    ({"lookups": "b\x00"}, ValueError, ""),
    ({"resolvconf_path": 1}, TypeError, "only str (ascii encoding) and bytes are supported"),
    ({"resolvconf_path": "/tmp/x\x00y"}, ValueError, ""),
    ({"servers": ["not-an-ip"]}, cares.AresError, "Misformatted string"),
    ({"servers": "1.2.3.4"}, cares.AresError, "Misformatted string"),
    ({"servers": [None]}, TypeError, ""),
    ({"local_ip": "bad"}, ValueError, "invalid IP address"),
    ({"local_ip": 1}, TypeError, ""),
    ({"local_dev": 1}, TypeError, ""),
    ({"unknown_option": 1}, TypeError, "unexpected keyword argument"),
]


@pytest.mark.parametrize("kwargs, exc_type, message", BAD_OPTIONS, ids=[repr(sorted(o[0].items()))[:50] for o in BAD_OPTIONS])
def test_bad_constructor_arguments(kwargs: Dict[str, Any], exc_type: Type[BaseException], message: str) -> None:
    with pytest.raises(exc_type) as info:
        cares.Channel(**kwargs)
    assert message in str(info.value)


def test_positional_arguments_rejected() -> None:
    with pytest.raises(TypeError):
        cares.Channel(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        cares.Channel(None, 1.0)  # type: ignore[misc]


def test_odd_but_valid_options(make_channel: ChannelFactory, resolve: Requester) -> None:
    """Values c-ares accepts or clamps itself: no exception, no crash."""
    for kwargs in (
        {"tries": -1}, {"tries": 0}, {"ndots": -5}, {"timeout": 0}, {"timeout": True},
        {"flags": -1}, {"udp_port": 0}, {"lookups": b"\xff"}, {"lookups": "xyz"},
        {"domains": ["", "."]}, {"domains": "ab"}, {"sock_state_cb": 0}, {"rotate": 1},
        {"socket_send_buffer_size": -1}, {"local_dev": "x" * 1000},
    ):
        channel = make_channel(**kwargs)
        channel.getaddrinfo("127.0.0.1", None, callback=Recorder())
        channel.cancel()
        channel.close()


@needs_name_checks
def test_non_ascii_bytes_name_query(dns_server: DNSServer, channel: cares.Channel) -> None:
    """Bytes are passed through untouched; c-ares judges them (pycares behaviour)."""
    _reject(lambda cb: channel.query(b"\xff\xfe.example", A, callback=cb), ares_errno.ARES_EBADNAME)


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_gethostbyaddr_accepts_both_families(family: int, channel: cares.Channel, resolve: Requester, dns_server: DNSServer) -> None:
    address = "10.0.0.1" if family == socket.AF_INET else "2001:db8::1"
    assert resolve.error(channel.gethostbyaddr, address) == ares_errno.ARES_ENOTFOUND
