"""ctypes_cares.trio: trio's hostname resolver on c-ares, against the test DNS server."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Tuple, TypeVar

import pytest
import trio

import ctypes_cares.trio as cares_trio
from dnsserver import DNSServer
from socketlike_cases import (
    NAMEINFO, NUMERIC, NUMERIC_IDS, REFUSED, REFUSED_IDS, needs_services, outcome_of_awaiting,
    skip_without_ipv6, system_getaddrinfo, system_outcome,
)

T = TypeVar("T")
EAI_NODATA = getattr(socket, "EAI_NODATA", socket.EAI_NONAME)


@pytest.fixture
def names(dns_server: DNSServer) -> DNSServer:
    """Names only the test server knows."""
    dns_server.add("svc.test", "A", "127.0.0.1")
    dns_server.add("both.test", "A", "127.0.0.1")
    dns_server.add("both.test", "AAAA", "::1")
    dns_server.add("alias.test", "CNAME", "svc.test")
    dns_server.add("mail.test", "MX", (10, "svc.test"))
    dns_server.add("1.0.0.10.in-addr.arpa", "PTR", "www.example")
    return dns_server


def options(server: DNSServer) -> Dict[str, Any]:
    return {"servers": [server.address], "timeout": 2.0, "tries": 1}


def run(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    async def bounded() -> T:
        with trio.fail_after(20):
            return await main(*args)

    return trio.run(bounded)


async def settled(resolver: cares_trio.HostnameResolver) -> None:
    """Until nothing is in flight and the driver task has ended."""
    tasks = resolver._tasks
    while tasks.in_flight or tasks.driving:
        await trio.sleep(0.005)


def test_open_tcp_stream_reaches_a_listener_by_a_name_only_the_test_server_knows(
    names: DNSServer,
) -> None:
    received: List[bytes] = []

    async def main() -> None:
        cares_trio.install(**options(names))
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        done = trio.Event()

        async def handler(stream: trio.SocketStream) -> None:
            received.append(await stream.receive_some())
            done.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, handler, listeners)
            stream = await trio.open_tcp_stream("svc.test", port)
            await stream.send_all(b"hello")
            await done.wait()
            await stream.aclose()
            nursery.cancel_scope.cancel()

    run(main)
    assert received == [b"hello"]
    assert [query.name for query in names.queries] == ["svc.test", "svc.test"]  # A and AAAA


@pytest.mark.parametrize("case", NUMERIC, ids=NUMERIC_IDS)
def test_numeric_hosts_none_and_localhost_equal_socket_getaddrinfo(
    names: DNSServer, case: Tuple[Any, ...]
) -> None:
    skip_without_ipv6(case)

    async def main() -> Tuple[Any, Any]:
        resolver = cares_trio.install(**options(names))
        through_trio = await outcome_of_awaiting(trio.socket.getaddrinfo(*case))
        direct = await outcome_of_awaiting(resolver.getaddrinfo(*case))  # what trio would not even ask us
        return through_trio, direct

    expected = system_outcome(case)
    assert run(main) == (expected, expected)
    assert names.queries == []


@needs_services
def test_names_give_the_socket_modules_shapes(names: DNSServer) -> None:
    async def main() -> List[Any]:
        cares_trio.install(**options(names))
        return [
            await trio.socket.getaddrinfo("svc.test", "http", type=socket.SOCK_STREAM),
            await trio.socket.getaddrinfo("both.test", 53, socket.AF_INET, socket.SOCK_DGRAM),
            await trio.socket.getaddrinfo("alias.test", 80, 0, socket.SOCK_STREAM, 0,
                                          socket.AI_CANONNAME),
        ]

    http, dgram, canonical = run(main)
    assert http == system_getaddrinfo(("127.0.0.1", "http", 0, socket.SOCK_STREAM))
    assert dgram == system_getaddrinfo(("127.0.0.1", 53, socket.AF_INET, socket.SOCK_DGRAM))
    assert canonical == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "svc.test",
                          ("127.0.0.1", 80))]


@pytest.mark.parametrize("fault,code", [
    ("nxdomain", socket.EAI_NONAME),
    ("servfail", socket.EAI_AGAIN),
    ("refused", socket.EAI_AGAIN),
])
def test_dns_failures_raise_the_matching_gaierror(names: DNSServer, fault: str, code: int) -> None:
    names.set_fault(fault, "svc.test")

    async def main() -> None:
        cares_trio.install(**options(names))
        await trio.socket.getaddrinfo("svc.test", 80)

    with pytest.raises(socket.gaierror) as info:
        run(main)
    assert info.value.errno == code


def test_a_name_without_addresses_is_no_data(names: DNSServer) -> None:
    async def main() -> None:
        cares_trio.install(**options(names))
        await trio.socket.getaddrinfo("mail.test", 25)

    with pytest.raises(socket.gaierror) as info:
        run(main)
    assert info.value.errno in (EAI_NODATA, socket.EAI_NONAME)


@pytest.mark.parametrize("case,code", REFUSED, ids=REFUSED_IDS)
def test_bad_arguments_fail_before_any_query(names: DNSServer, case: Tuple[Any, ...], code: int) -> None:
    async def main() -> None:
        resolver = cares_trio.install(**options(names))
        await resolver.getaddrinfo(*case)

    with pytest.raises(socket.gaierror) as info:
        run(main)
    assert info.value.errno == code
    assert names.queries == []


def test_getnameinfo_through_c_ares_and_without_dns(names: DNSServer) -> None:
    async def main() -> List[Any]:
        cares_trio.install(**options(names))
        found = await trio.socket.getnameinfo(("10.0.0.1", 80), 0)
        unknown = await trio.socket.getnameinfo(("10.0.0.9", 80), socket.NI_NUMERICSERV)
        numeric = [await trio.socket.getnameinfo(*case) for case in NAMEINFO if ":" not in case[0][0]]
        try:
            await trio.socket.getnameinfo(("10.0.0.9", 80), socket.NI_NAMEREQD)
        except socket.gaierror as exc:
            return [found, unknown, numeric, exc.errno]
        return [found, unknown, numeric, None]

    found, unknown, numeric, required = run(main)
    service = socket.getnameinfo(("10.0.0.1", 80), socket.NI_NUMERICHOST)[1]
    assert found == ("www.example", service)
    assert unknown == ("10.0.0.9", "80")
    assert numeric == [socket.getnameinfo(*case) for case in NAMEINFO if ":" not in case[0][0]]
    assert required == socket.EAI_NONAME


def test_a_cancelled_lookup_leaves_nothing_behind(names: DNSServer) -> None:
    names.add("slow.test", "A", "127.0.0.1")
    names.set_fault("delay", "slow.test", seconds=0.3)
    outcome: List[Any] = []

    async def main() -> None:
        resolver = cares_trio.install(**options(names))
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.socket.getaddrinfo, "slow.test", 80)
                await trio.to_thread.run_sync(names.wait_for_queries, 2)  # A and AAAA sent
                scope.cancel()
        outcome.append(resolver._tasks.in_flight)
        await settled(resolver)  # the delayed answer arrives and is dropped
        outcome.append(resolver._tasks._interest)
        outcome.append(await trio.socket.getaddrinfo("svc.test", 80, type=socket.SOCK_STREAM))
        await settled(resolver)

    run(main)
    assert outcome[0] == 1
    assert outcome[1] == {}
    assert outcome[2] == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 80))]


def test_many_lookups_at_once(names: DNSServer) -> None:
    results: List[Any] = []

    async def main() -> None:
        # 400 queries at once: the test server (a Python thread waiting for the GIL) may
        # drop one; a retry, as c-ares makes by default, must then get it answered.
        cares_trio.install(
            **dict(options(names), tries=3), socket_receive_buffer_size=1 << 21
        )

        async def one(port: int) -> None:
            results.append(await trio.socket.getaddrinfo("svc.test", port, type=socket.SOCK_STREAM))

        async with trio.open_nursery() as nursery:
            for port in range(1, 201):
                nursery.start_soon(one, port)

    run(main)
    assert sorted(rows[0][4][1] for rows in results) == list(range(1, 201))


def test_truncated_answers_are_fetched_over_tcp(names: DNSServer) -> None:
    names.set_fault("truncate", "svc.test", transport="udp")

    async def main() -> Any:
        cares_trio.install(**options(names))
        return await trio.socket.getaddrinfo("svc.test", 80, socket.AF_INET, socket.SOCK_STREAM)

    assert run(main) == system_getaddrinfo(("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM))
    assert "tcp" in {query.transport for query in names.queries}


def test_close_fails_lookups_in_flight_and_later_ones(silent: DNSServer) -> None:
    errors: List[Any] = []

    async def main() -> None:
        resolver = cares_trio.install(**options(silent))

        async def lookup() -> None:
            try:
                await trio.socket.getaddrinfo("svc.test", 80)
            except socket.gaierror as exc:
                errors.append(exc.errno)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(lookup)
            await trio.to_thread.run_sync(silent.wait_for_queries, 1)
            resolver.close()
        resolver.close()  # idempotent
        with pytest.raises(RuntimeError):
            await resolver.getaddrinfo("svc.test", 80)

    run(main)
    assert errors == [socket.EAI_FAIL]


def test_one_resolver_serves_one_run_after_another(names: DNSServer) -> None:
    resolver = cares_trio.HostnameResolver(**options(names))

    async def main() -> Any:
        trio.socket.set_custom_hostname_resolver(resolver)
        return await trio.socket.getaddrinfo("svc.test", 80, socket.AF_INET, socket.SOCK_STREAM)

    try:
        assert run(main) == run(main)
    finally:
        resolver.close()


def test_options_are_checked_and_install_needs_a_run(names: DNSServer) -> None:
    with pytest.raises(TypeError):
        cares_trio.HostnameResolver(sock_state_cb=print)
    with pytest.raises(TypeError):
        cares_trio.HostnameResolver(no_such_option=1)
    with pytest.raises(RuntimeError):
        cares_trio.install(**options(names))


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"hello over " + self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_httpx_on_trio_fetches_by_a_name_only_the_test_server_knows(
    names: DNSServer, http_server: ThreadingHTTPServer
) -> None:
    httpx = pytest.importorskip("httpx")
    port = http_server.server_address[1]

    async def main() -> Tuple[int, bytes]:
        cares_trio.install(**options(names))
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.get(f"http://svc.test:{port}/")
            return response.status_code, response.content

    assert run(main) == (200, f"hello over svc.test:{port}".encode())
    assert "svc.test" in {query.name for query in names.queries}


def test_the_package_imports_neither_trio_nor_anyio_unless_asked() -> None:
    from cares_helpers import run_python

    done = run_python(
        """
        import sys
        import ctypes_cares, ctypes_cares.aio
        print(sorted(name for name in ("trio", "anyio", "sniffio") if name in sys.modules))
        import ctypes_cares.trio
        print("trio" in sys.modules, "anyio" in sys.modules)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True False"]
