"""Parity with pycares 5.2.1: the same requests through both against the test server,
results compared field by field.

pycares is not a test dependency: these tests skip unless it is importable
(``pip install pycares==5.2.1``). The dataclasses of the two packages are different
classes, so results are compared after converting each object to
``(class name, fields...)`` with every leaf tagged by its exact type.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import ctypes_cares
from dnsserver import DNSServer

pycares = pytest.importorskip("pycares")
if not str(getattr(pycares, "__version__", "")).startswith("5."):  # pragma: no cover
    pytest.skip(f"parity needs pycares 5.x, found {pycares.__version__}", allow_module_level=True)
if pycares.ARES_VERSION != ctypes_cares.ARES_VERSION:
    # Statuses and name checks differ between c-ares releases: compare like with like.
    pytest.skip(
        f"pycares bundles c-ares {pycares.ARES_VERSION}, the loaded library is "
        f"{ctypes_cares.ARES_VERSION}",
        allow_module_level=True,
    )

TIMEOUT = 5.0

#: Label bytes that are legal in DNS but unusual in presentation form.
WEIRD_LABELS = [
    "first\\.last",  # a dot inside a label
    "back\\\\slash",
    "\\195\\169t\\195\\169",  # UTF-8 bytes
    "sp\\032ace",
    "quo\\\"te",
    "ff\\255",
    "nul\\000byte",
    "semi\\;colon",
    "paren\\(s\\)",
    "at\\@sign",
    "dollar\\$",
    "tab\\009",
    # escaped forms too long for ares_dns_write: decoded through the record accessors
    "\\000" * 40 + "." + "\\255" * 40,
    "\\." * 62 + "." + "\\\\" * 62,
]


def plain(value: Any) -> Any:
    """A structure comparable across the two packages (class names, exact leaf types)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return ("tuple",) + tuple(plain(v) for v in value)
    return (type(value).__name__, value)


class Outcome:
    """Everything a request produced: callback calls (in order) and a raised exception."""

    def __init__(self) -> None:
        self.calls: List[Tuple[Any, Any]] = []
        self.raised: Optional[Tuple[str, Any]] = None
        self.done = threading.Event()

    def callback(self, result: Any, errno: Optional[int]) -> None:
        self.calls.append((plain(result), errno))
        self.done.set()

    def summary(self) -> Dict[str, Any]:
        return {"calls": self.calls, "raised": self.raised}


def submit(channel: Any, method: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Outcome:
    outcome = Outcome()
    try:
        getattr(channel, method)(*args, callback=outcome.callback, **kwargs)
    except Exception as exc:  # compared by class name and args
        outcome.raised = (type(exc).__name__, exc.args)
        outcome.done.set()
    return outcome


class Pair:
    """A pycares channel and a ctypes_cares channel with the same options."""

    def __init__(self, server: DNSServer, **kwargs: Any) -> None:
        options: Dict[str, Any] = {"servers": [server.address], "timeout": 1.0, "tries": 1, **kwargs}
        self.theirs = pycares.Channel(**options)
        self.ours = ctypes_cares.Channel(**options)

    def run(self, method: str, *args: Any, **kwargs: Any) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        theirs = submit(self.theirs, method, args, kwargs)
        ours = submit(self.ours, method, args, kwargs)
        for outcome in (theirs, ours):
            outcome.done.wait(TIMEOUT)
        # A second (wrong) delivery would show up in calls: give it a moment on both.
        self.theirs.wait(TIMEOUT)
        self.ours.wait(TIMEOUT)
        return theirs.summary(), ours.summary()

    def check(self, method: str, *args: Any, **kwargs: Any) -> Dict[str, Any]:
        theirs, ours = self.run(method, *args, **kwargs)
        assert ours == theirs, f"{method}{args!r} {kwargs!r}"
        assert theirs["calls"] or theirs["raised"], "pycares produced nothing (test bug?)"
        return ours

    def close(self) -> None:
        self.theirs.close()
        self.ours.close()


@pytest.fixture
def make_pair(dns_server: DNSServer) -> Iterator[Callable[..., Pair]]:
    pairs: List[Pair] = []

    def make(**kwargs: Any) -> Pair:
        pair = Pair(dns_server, **kwargs)
        pairs.append(pair)
        return pair

    yield make
    for pair in pairs:
        pair.close()


@pytest.fixture
def zone(dns_server: DNSServer) -> DNSServer:
    s = dns_server
    s.set_soa("example", minimum=60)
    s.add("www.example", "A", "10.0.0.1", ttl=3600)
    s.add("www.example", "A", "10.0.0.2", ttl=3600)
    s.add("www.example", "AAAA", "2001:db8::1")
    s.add("example", "NS", "ns1.example")
    s.add("example", "NS", "ns2.example")
    s.add("alias.example", "CNAME", "mid.example", ttl=50)
    s.add("mid.example", "CNAME", "www.example", ttl=40)
    s.add("example", "SOA", ("ns1.example", "hostmaster.example", 2024010101, 7200, 900, 1209600, 300))
    s.add("1.0.0.10.in-addr.arpa", "PTR", "www.example")
    s.add("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR", "www.example")
    s.add("example", "MX", (10, "mail.example"))
    s.add("example", "MX", (20, "."))
    s.add("txt.example", "TXT", ["hello", "world"])
    s.add("txt.example", "TXT", "")
    s.add("txt.example", "TXT", [b"\x00\xff\"quoted\"\\"])
    s.add("_sip._tcp.example", "SRV", (10, 60, 5060, "sip.example"))
    s.add("example", "NAPTR", (100, 10, "S", "SIP+D2T", "", "_sip._tcp.example"))
    s.add("example", "NAPTR", (101, 11, "U", "E2U+sip", "!^.*$!sip:info@example!", "."))
    s.add("_443._tcp.www.example", "TLSA", (3, 1, 1, bytes(range(32))))
    s.add("example", "HTTPS", (1, ".", [(1, b"\x02h2\x02h3"), (3, b"\x20\xfb"), (4, bytes([192, 0, 2, 1])), (65000, b"x")]))
    s.add("svc.example", "HTTPS", (0, "target.example", []))
    s.add("_http._tcp.example", "URI", (10, 1, "https://www.example/"))
    s.add("example", "CAA", (0, "issue", "ca.example"))
    s.add("example", "CAA", (128, "iodef", "mailto:x@example"))
    s.add("caa.example", "CAA", (0, "issue", "café.org"))
    s.add("caa.example", "CAA", (0, "issue", b"ca\x00junk"))
    s.add("any.example", "A", "10.0.0.9")
    s.add("any.example", "HINFO", b"\x03cpu\x02os")
    s.add("any.example", "TXT", "any")
    s.add("sections.example", "A", "10.0.0.3")
    s.add("sections.example", "NS", "ns1.example", section="authority")
    s.add("sections.example", "AAAA", "2001:db8::53", section="additional")
    s.add("version.bind", "TXT", "parity", rclass=3)
    s.add("xn--bcher-kva.example", "A", "10.0.0.7")
    s.add("www.b.example", "A", "10.0.0.5")
    s.add("maxttl.example", "A", "10.0.0.8", ttl=0xFFFFFFFF)
    for i, label in enumerate(WEIRD_LABELS):
        target = f"{label}.example"
        s.add(f"cn{i}.example", "CNAME", target)
        s.add(target, "A", f"10.1.0.{i}")
        s.add(f"mx{i}.example", "MX", (i, target))
        s.add(f"ns{i}.example", "NS", target)
        s.add(f"srv{i}.example", "SRV", (1, 2, 3, target))
        s.add(f"naptr{i}.example", "NAPTR", (1, 2, "S", "x", "", target))
        s.add(f"https{i}.example", "HTTPS", (0, target, []))
        s.add(f"soa{i}.example", "SOA", (target, target, 1, 2, 3, 4, 5))
    return s


QUERIES = [
    ("www.example", "A"), ("www.example", "AAAA"), ("example", "NS"), ("alias.example", "CNAME"),
    ("alias.example", "A"), ("example", "SOA"), ("1.0.0.10.in-addr.arpa", "PTR"), ("example", "MX"),
    ("txt.example", "TXT"), ("_sip._tcp.example", "SRV"), ("example", "NAPTR"),
    ("_443._tcp.www.example", "TLSA"), ("example", "HTTPS"), ("svc.example", "HTTPS"),
    ("_http._tcp.example", "URI"), ("example", "CAA"), ("caa.example", "CAA"), ("any.example", "ANY"),
    ("sections.example", "A"), ("maxttl.example", "A"), ("bücher.example", "A"),
    ("nx.example", "A"), ("www.example", "MX"), ("www.example", "SRV"),
    # names as typed by users
    ("WWW.EXAMPLE.", "A"), ("www.example..", "A"), ("www", "A"), ("first\\.last.example", "A"),
    ("\\195\\169t\\195\\169.example", "A"), ("www.example", "ANY"),
]


@pytest.mark.parametrize("method", ["query", "search"])
@pytest.mark.parametrize("name, qtype", QUERIES, ids=[f"{n}-{t}" for n, t in QUERIES])
def test_query_parity(method: str, name: str, qtype: str, zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    pair.check(method, name, getattr(ctypes_cares, f"QUERY_TYPE_{qtype}"))


@pytest.mark.parametrize("index", range(len(WEIRD_LABELS)), ids=[label[:20] for label in WEIRD_LABELS])
def test_weird_names_parity(index: int, zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    for prefix, qtype in [("cn", "A"), ("mx", "MX"), ("ns", "NS"), ("srv", "SRV"), ("naptr", "NAPTR"), ("https", "HTTPS"), ("soa", "SOA")]:
        pair.check("query", f"{prefix}{index}.example", getattr(ctypes_cares, f"QUERY_TYPE_{qtype}"))


def test_chaos_class_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    make_pair().check("query", "version.bind", ctypes_cares.QUERY_TYPE_TXT, query_class=ctypes_cares.QUERY_CLASS_CHAOS)


def test_cached_answer_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    pair.check("query", "www.example", ctypes_cares.QUERY_TYPE_A)
    pair.check("query", "nx.example", ctypes_cares.QUERY_TYPE_A)
    # Cache hits: the cached NXDOMAIN is delivered the same way (synchronously) by both.
    theirs, ours = pair.run("query", "nx.example", ctypes_cares.QUERY_TYPE_A)
    assert ours == theirs
    assert ours["calls"] == [(("NoneType", None), ctypes_cares.errno.ARES_ENOTFOUND)]


BAD_NAMES: List[Any] = [
    "example test.com", "x" * 64 + ".example", ".".join(["x" * 60] * 5), "foo.onion",
    "café.example".encode(), b"\xff.example", "", ".", "a..b", "-leading.example",
    "under_score.example", "*.example", "trailing-.example",
]


@pytest.mark.parametrize("method", ["query", "search"])
@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:30] for n in BAD_NAMES])
def test_bad_name_parity(method: str, name: Any, zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    make_pair().check(method, name, ctypes_cares.QUERY_TYPE_A)


@pytest.mark.parametrize("fault", ["servfail", "nxdomain", "refused", "notimp", "formerr", "nodata", "truncate"])
def test_fault_parity(fault: str, zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    zone.set_fault(fault)
    make_pair(tries=2).check("query", "www.example", ctypes_cares.QUERY_TYPE_A)


def test_timeout_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    zone.set_fault("drop")
    make_pair(timeout=0.2, tries=2).check("query", "www.example", ctypes_cares.QUERY_TYPE_A)


def test_malformed_answer_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    zone.set_fault("raw", data=b"\x00" * 5)
    pair.check("query", "www.example", ctypes_cares.QUERY_TYPE_A)
    zone.clear_faults()
    zone.add("u.example", "URI", (1, 1, ""))
    pair.check("query", "u.example", ctypes_cares.QUERY_TYPE_URI)


def test_search_domains_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair(domains=["a.example", "b.example"], ndots=1)
    pair.check("search", "www", ctypes_cares.QUERY_TYPE_A)
    pair.check("search", "nothere", ctypes_cares.QUERY_TYPE_A)
    pair.check("search", "bücher", ctypes_cares.QUERY_TYPE_A)


ADDRINFO = [
    (("www.example", 80), {}),
    (("www.example", None), {"family": socket.AF_INET}),
    (("www.example", "http"), {"family": socket.AF_INET6}),
    (("alias.example", 443), {"type": socket.SOCK_STREAM, "proto": socket.IPPROTO_TCP}),
    (("nx.example", None), {}),
    (("www.example", None), {"family": -1}),
    (("www.example", "nope"), {}),
    (("www.example", True), {}),
    (("127.0.0.1", 53), {}),
    (("::1", 53), {}),
    (("bücher.example", None), {"family": socket.AF_INET}),
    (("café.example".encode(), None), {}),
    (("foo.onion", None), {}),
]


@pytest.mark.parametrize("args, kwargs", ADDRINFO, ids=[repr(a)[:40] + repr(k)[:20] for a, k in ADDRINFO])
def test_getaddrinfo_parity(args: Tuple[Any, ...], kwargs: Dict[str, Any], zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    make_pair().check("getaddrinfo", *args, **kwargs)


def test_reverse_parity(zone: DNSServer, make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    ni = ctypes_cares
    for address in ("10.0.0.1", "2001:db8::1", "10.0.0.2", b"10.0.0.1"):
        pair.check("gethostbyaddr", address)
    for sa, flags in [
        (("10.0.0.1", 80), ni.ARES_NI_LOOKUPHOST | ni.ARES_NI_LOOKUPSERVICE),
        (("10.0.0.1", 80), ni.ARES_NI_LOOKUPHOST | ni.ARES_NI_NUMERICSERV),
        (("10.0.0.1", 80), 0),
        (("10.0.0.2", 80), ni.ARES_NI_LOOKUPHOST),
        (("10.0.0.2", 80), ni.ARES_NI_LOOKUPHOST | ni.ARES_NI_NAMEREQD),
        (("2001:db8::1", 80, 0, 0), ni.ARES_NI_LOOKUPHOST),
        (("2001:db8::2", 80, 0, 0), ni.ARES_NI_LOOKUPHOST),
        (("fe80::1", 80, 0, 666), ni.ARES_NI_NUMERICHOST | ni.ARES_NI_NUMERICSCOPE),
        (("127.0.0.1", 53), ni.ARES_NI_LOOKUPHOST | ni.ARES_NI_LOOKUPSERVICE | ni.ARES_NI_DGRAM),
        # LOOKUPSERVICE alone is a deliberate difference: pycares never calls back
        # (test_queries.py::test_getnameinfo_lookupservice_only_calls_back).
    ]:
        pair.check("getnameinfo", sa, flags)


def test_argument_error_parity(make_pair: Callable[..., Pair]) -> None:
    """The same exception class and message for the errors both report the same way."""
    pair = make_pair()
    cases: List[Tuple[str, Tuple[Any, ...], Dict[str, Any]]] = [
        ("query", ("x", 4242), {}),
        ("query", ("x", "A"), {}),
        ("query", ("x", 1), {"query_class": 2}),
        ("query", (1, 1), {}),
        ("search", (None, 1), {}),
        ("getaddrinfo", ("x", 1.5), {}),
        ("gethostbyaddr", ("1.2.3.4/24",), {}),
        ("gethostbyaddr", (1,), {}),
        ("getnameinfo", (("x", 1), 0), {}),
        ("getnameinfo", (("x", 1, 0, 0), 0), {}),
        ("getnameinfo", (("x",), 0), {}),
    ]
    for method, args, kwargs in cases:
        theirs, ours = pair.run(method, *args, **kwargs)
        assert ours == theirs, (method, args)
    for method in ("query", "search", "getaddrinfo", "gethostbyaddr"):
        args = ("10.0.0.1", 1) if method in ("query", "search") else ("10.0.0.1",) if method == "gethostbyaddr" else ("x", None)
        with pytest.raises(TypeError) as theirs_info:
            getattr(pair.theirs, method)(*args, callback=None)
        with pytest.raises(TypeError) as ours_info:
            getattr(pair.ours, method)(*args, callback=None)
        assert ours_info.value.args == theirs_info.value.args


def test_servers_parity(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    for servers in (["dns://9.9.9.9:53", "[2001:db8::1]:5353", b"1.1.1.1", "8.8.8.8,8.8.4.4"], []):
        pair.theirs.servers = servers
        pair.ours.servers = servers
        assert pair.ours.servers == pair.theirs.servers
    for bad in (["not-an-ip"], "1.2.3.4", [1]):
        with pytest.raises(Exception) as theirs_info:
            pair.theirs.servers = bad
        with pytest.raises(Exception) as ours_info:
            pair.ours.servers = bad
        assert (type(ours_info.value).__name__, ours_info.value.args) == (type(theirs_info.value).__name__, theirs_info.value.args)


def test_timeout_method_parity(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair()
    for t in (None, 0, 1e-7, 1.0, 2.5, 3):
        args = () if t is None else (t,)
        assert pair.ours.timeout(*args) == pair.theirs.timeout(*args)
    with pytest.raises(ValueError) as theirs_info:
        pair.theirs.timeout(-1)
    with pytest.raises(ValueError) as ours_info:
        pair.ours.timeout(-1)
    assert ours_info.value.args == theirs_info.value.args


def test_module_surface_parity() -> None:
    assert set(ctypes_cares.__all__) == set(pycares.__all__)
    for name in pycares.__all__:
        theirs = getattr(pycares, name)
        if isinstance(theirs, int):
            assert getattr(ctypes_cares, name) == theirs, name
    assert ctypes_cares.Channel.__qtypes__ == pycares.Channel.__qtypes__
    assert ctypes_cares.Channel.__qclasses__ == pycares.Channel.__qclasses__
    assert ctypes_cares.errno.errorcode == pycares.errno.errorcode
    for code in range(-1, 30):
        assert ctypes_cares.errno.strerror(code) == pycares.errno.strerror(code)
    for name in [n for n in dir(pycares) if n.endswith(("RecordData", "Result", "Record")) or n.startswith("AddrInfo")]:
        theirs_fields = [f.name for f in dataclasses.fields(getattr(pycares, name))]
        ours_fields = [f.name for f in dataclasses.fields(getattr(ctypes_cares, name))]
        assert ours_fields == theirs_fields, name
