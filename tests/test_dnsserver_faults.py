"""The test DNS server's fault modes, TCP handling and robustness (its own tests)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import List
import pytest
from dnsserver import DNSServer
from dnswire import (
    RR,
    build_message,
    build_query,
    parse_message,
    patch_id,
)
from test_dnsserver import OPT, A, addrs, ask, tcp_ask, tcp_connect, tcp_recv, udp_ask


def test_escaped_names(dns_server: DNSServer) -> None:
    dns_server.add("first\\.last.example", "A", "10.9.9.9")
    dns_server.add("sp\\032ace.example", "A", "10.9.9.8")
    msg = ask(dns_server, "first\\.last.example")
    assert addrs(msg) == ["10.9.9.9"] and msg.answers[0].name == (b"first.last", b"example")
    assert ask(dns_server, "first.last.example").rcode == 3  # three labels: another name
    assert addrs(ask(dns_server, "sp ace.example")) == ["10.9.9.8"]
    assert dns_server.queries[0].name == "first\\.last.example"
    assert dns_server.queries[2].name == "sp\\032ace.example"


# --------------------------------------------------------------------------- faults

@pytest.mark.parametrize("mode, rcode", [
    ("servfail", 2), ("nxdomain", 3), ("refused", 5), ("formerr", 1), ("notimp", 4),
    ("nodata", 0)])
@pytest.mark.parametrize("tcp", [False, True])
def test_rcode_faults(dns_server: DNSServer, mode: str, rcode: int, tcp: bool) -> None:
    dns_server.add("f.example", "A", "10.0.0.1")
    dns_server.set_fault(mode)
    msg = ask(dns_server, "F.example", tcp=tcp, edns=1232)
    assert (msg.rcode, msg.answers, msg.authority) == (rcode, [], [])
    assert msg.questions == [((b"F", b"example"), A, 1)]
    assert [rr.rtype for rr in msg.additional] == ([OPT] if mode == "nodata" else [])
    dns_server.clear_faults()
    assert addrs(ask(dns_server, "f.example", tcp=tcp)) == ["10.0.0.1"]


def test_fault_scope_name_qtype_count(dns_server: DNSServer) -> None:
    dns_server.add("a.example", "A", "10.0.0.1")
    dns_server.add("a.example", "TXT", "t")
    dns_server.add("b.example", "A", "10.0.0.2")
    dns_server.set_fault("servfail", "A.EXAMPLE", "A", count=2)
    assert ask(dns_server, "b.example").rcode == 0  # other name
    assert ask(dns_server, "a.example", "TXT").rcode == 0  # other type
    assert ask(dns_server, "a.example").rcode == 2
    assert ask(dns_server, "a.Example", tcp=True).rcode == 2
    assert addrs(ask(dns_server, "a.example")) == ["10.0.0.1"]  # count used up
    dns_server.set_fault("refused")
    dns_server.set_fault("nxdomain", "b.example")  # newest wins
    assert ask(dns_server, "b.example").rcode == 3
    assert ask(dns_server, "a.example").rcode == 5
    with pytest.raises(ValueError):
        dns_server.set_fault("explode")
    with pytest.raises(TypeError):
        dns_server.set_fault("raw")
    with pytest.raises(TypeError):
        dns_server.set_fault("drop", seconds=1)


def test_drop_udp_and_tcp(dns_server: DNSServer) -> None:
    dns_server.add("d.example", "A", "10.0.0.1")
    dns_server.set_fault("drop", "d.example", count=2)
    assert udp_ask(dns_server, build_query("d.example"), timeout=0.2) is None
    with tcp_connect(dns_server) as sock:
        sock.settimeout(0.2)
        q1, q2 = build_query("d.example", id=1), build_query("d.example", id=2)
        sock.sendall(struct.pack("!H", len(q1)) + q1)
        with pytest.raises(socket.timeout):
            sock.recv(2)
        sock.settimeout(2)
        sock.sendall(struct.pack("!H", len(q2)) + q2)  # connection still open
        msg = parse_message(tcp_recv(sock))
        assert msg.id == 2 and addrs(msg) == ["10.0.0.1"]
    assert [q.transport for q in dns_server.queries] == ["udp", "tcp", "tcp"]


def test_close_fault_on_tcp(dns_server: DNSServer) -> None:
    dns_server.set_fault("close", transport="tcp")
    with tcp_connect(dns_server) as sock:
        q = build_query("c.example")
        sock.sendall(struct.pack("!H", len(q)) + q)
        assert sock.recv(2) == b""


def test_truncate_fault_udp_only(dns_server: DNSServer) -> None:
    dns_server.add("t.example", "A", "10.0.0.7")
    dns_server.set_fault("truncate", "t.example")
    udp = ask(dns_server, "t.example")
    assert udp.flag("tc") and udp.answers == [] and udp.questions[0][0] == (b"t", b"example")
    tcp = ask(dns_server, "t.example", tcp=True)
    assert not tcp.flag("tc") and addrs(tcp) == ["10.0.0.7"]
    dns_server.set_fault("truncate", count=1)
    assert ask(dns_server, "x.example", tcp=True).rcode == 3  # TCP does not use up count
    assert ask(dns_server, "x.example").flag("tc")
    assert not ask(dns_server, "x.example").flag("tc")


def test_raw_fault(dns_server: DNSServer) -> None:
    canned = build_message(0xFFFF, rcode=0, questions=[("r.example", "A")],
                           answers=[RR("r.example", "A", "10.6.6.6")])
    dns_server.set_fault("raw", "r.example", data=canned)
    reply = udp_ask(dns_server, build_query("r.example", id=77)) or b""
    assert reply == patch_id(b"\x00\x4d", canned) and reply[:2] == b"\x00\x4d"
    assert tcp_ask(dns_server, build_query("r.example", id=78))[:2] == b"\x00\x4e"
    dns_server.set_fault("raw", "k.example", data=b"\xde\xad\xbe", keep_id=True)
    assert udp_ask(dns_server, build_query("k.example", id=5)) == b"\xde\xad\xbe"
    dns_server.set_fault("raw", "e.example", data=b"")
    assert udp_ask(dns_server, build_query("e.example")) == b""  # an empty datagram
    seen: List[bytes] = []

    def reverse(query: bytes) -> bytes:
        seen.append(query)
        return query[::-1]

    dns_server.set_fault("raw", "f.example", data=reverse)
    query = build_query("f.example", id=0x0102)
    assert udp_ask(dns_server, query) == b"\x01\x02" + query[::-1][2:]
    assert seen == [query]


def test_delay_does_not_block_other_queries(dns_server: DNSServer) -> None:
    dns_server.add("slow.example", "A", "10.0.0.1")
    dns_server.add("fast.example", "A", "10.0.0.2")
    dns_server.set_fault("delay", "slow.example", seconds=60)  # released below
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, tcp_connect(dns_server) as tcp:
        sock.settimeout(10)
        sock.sendto(build_query("slow.example", id=1), (dns_server.host, dns_server.port))
        slow_tcp = build_query("slow.example", id=3)
        tcp.sendall(struct.pack("!H", len(slow_tcp)) + slow_tcp)
        sock.sendto(build_query("fast.example", id=2), (dns_server.host, dns_server.port))
        first = parse_message(sock.recv(512))
        dns_server.wait_for_queries(3)
        dns_server.release_delayed()
        second = parse_message(sock.recv(512))
        third = parse_message(tcp_recv(tcp))
    # The delayed reply does not hold up the one asked after it.
    assert (first.id, addrs(first)) == (2, ["10.0.0.2"])
    assert (second.id, addrs(second)) == (1, ["10.0.0.1"])
    assert (third.id, addrs(third)) == (3, ["10.0.0.1"])


# --------------------------------------------------------------------------- TCP and robustness

def test_tcp_two_queries_one_connection(dns_server: DNSServer) -> None:
    dns_server.add("one.example", "A", "10.0.0.1")
    dns_server.add("two.example", "A", "10.0.0.2")
    q1, q2 = build_query("one.example", id=1), build_query("two.example", id=2)
    with tcp_connect(dns_server) as sock:
        sock.sendall(struct.pack("!H", len(q1)) + q1 + struct.pack("!H", len(q2)) + q2[:5])
        time.sleep(0.05)  # the second message arrives in two pieces
        sock.sendall(q2[5:])
        r1, r2 = parse_message(tcp_recv(sock)), parse_message(tcp_recv(sock))
        q3 = build_query("one.example", id=3)
        sock.sendall(struct.pack("!H", len(q3)) + q3)
        r3 = parse_message(tcp_recv(sock))
    assert [(r.id, addrs(r)) for r in (r1, r2, r3)] == [
        (1, ["10.0.0.1"]), (2, ["10.0.0.2"]), (3, ["10.0.0.1"])]


def test_client_disconnects_mid_message(dns_server: DNSServer) -> None:
    dns_server.add("ok.example", "A", "10.0.0.1")
    query = build_query("ok.example")
    with tcp_connect(dns_server) as sock:
        sock.sendall(struct.pack("!H", len(query)) + query[:7])
    with tcp_connect(dns_server) as sock:  # abortive close: RST
        sock.sendall(b"\x00")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    dns_server.set_fault("delay", seconds=0.05)
    with tcp_connect(dns_server) as sock:  # gone before its delayed reply
        sock.sendall(struct.pack("!H", len(query)) + query)
    assert len(dns_server.wait_for_queries(1)) == 1
    # The asks below are delayed too, so their replies are due after that one: when
    # they arrive, the server has tried to send it.
    assert addrs(ask(dns_server, "ok.example", tcp=True)) == ["10.0.0.1"]
    assert addrs(ask(dns_server, "ok.example")) == ["10.0.0.1"]
    dns_server.sync()
    assert dns_server.errors == []


def test_malformed_queries(dns_server: DNSServer) -> None:
    assert udp_ask(dns_server, b"\x01\x02\x03", timeout=0.2) is None
    reply = udp_ask(dns_server, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab")
    msg = parse_message(reply or b"")
    assert (msg.id, msg.rcode, msg.questions) == (0x1234, 1, [])
    response = build_message(9, qr=True, questions=[("x.example", "A")])
    assert udp_ask(dns_server, response, timeout=0.2) is None  # responses are ignored
    assert dns_server.queries == []


def test_reset(dns_server: DNSServer) -> None:
    dns_server.add("r.example", "A", "10.0.0.1")
    dns_server.set_soa()
    dns_server.set_fault("servfail")
    dns_server.compress = False
    ask(dns_server, "r.example")
    dns_server.reset()
    assert dns_server.queries == [] and dns_server.compress is True
    msg = ask(dns_server, "r.example")
    assert (msg.rcode, msg.authority) == (3, [])
    dns_server.add("late.example", "A", "10.0.0.1")
    dns_server.set_fault("delay", seconds=30)  # far beyond the reset below
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.4)
        sock.sendto(build_query("late.example"), (dns_server.host, dns_server.port))
        dns_server.reset()  # cancels the delayed reply
        with pytest.raises(socket.timeout):
            sock.recv(512)


def test_errors_while_serving_are_kept(dns_server: DNSServer) -> None:
    def broken(query: bytes) -> bytes:
        raise RuntimeError("boom")

    dns_server.set_fault("raw", "boom.example", data=broken)
    assert udp_ask(dns_server, build_query("boom.example"), timeout=0.2) is None
    dns_server.sync()
    assert [str(e) for e in dns_server.errors] == ["boom"]
    dns_server.errors.clear()  # or the fixture fails the test
    dns_server.add("fine.example", "A", "10.0.0.1")
    assert addrs(ask(dns_server, "fine.example")) == ["10.0.0.1"]


def test_lifecycle_and_address() -> None:
    server = DNSServer()
    server.stop()  # never started: no-op
    with server:
        assert server.host == "127.0.0.1" and server.port > 0
        assert server.address == f"127.0.0.1:{server.port}"
        server.add("x.example", "A", "10.0.0.1")
        assert addrs(ask(server, "x.example", tcp=True)) == ["10.0.0.1"]
        with pytest.raises(RuntimeError):
            server.start()
    server.stop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", server.port))  # the port was released


def test_ipv6(dns_server6: DNSServer) -> None:
    assert dns_server6.address == f"[::1]:{dns_server6.port}"
    dns_server6.add("six.example", "AAAA", "::1")
    assert addrs(ask(dns_server6, "six.example", "AAAA")) == ["::1"]
    assert addrs(ask(dns_server6, "six.example", "AAAA", tcp=True)) == ["::1"]


def test_concurrent_clients(dns_server: DNSServer) -> None:
    dns_server.add("c.example", "A", "10.0.0.1")
    results: List[List[str]] = []

    def worker(tcp: bool) -> None:
        for _ in range(10):
            results.append(addrs(ask(dns_server, "c.example", tcp=tcp)))

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [["10.0.0.1"]] * 40
    assert len(dns_server.wait_for_queries(40)) == 40


def test_health_names_a_stuck_or_dead_server_thread() -> None:
    """A server thread that stops serving makes the fixtures fail at once with the cause
    (where it is stuck, or what ended it) instead of every later test timing out."""

    def stuck_in_a_handler(query: bytes) -> bytes:
        time.sleep(1.0)
        return b""

    def thread_ending(query: bytes) -> bytes:
        raise SystemExit("ended by a handler")

    with DNSServer() as server:
        assert server.health() is None
        server.set_fault("raw", "slow.example", data=stuck_in_a_handler)
        udp_ask(server, build_query("slow.example"), timeout=0.1)
        problem = server.health(timeout=0.3)
        assert problem is not None and "stuck_in_a_handler" in problem, problem
        assert server.health(timeout=2.0) is None  # round its loop again

        server.set_fault("raw", "fatal.example", data=thread_ending)
        udp_ask(server, build_query("fatal.example"), timeout=0.1)
        server._thread.join(2.0)  # type: ignore[union-attr]
        assert server.health() == "the server thread died: SystemExit('ended by a handler')"
