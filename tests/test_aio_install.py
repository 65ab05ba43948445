"""ctypes_cares.aio.install: a loop's own getaddrinfo/getnameinfo through c-ares."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Callable, List, Tuple, TypeVar

import pytest

from ctypes_cares import aio
from dnsserver import DNSServer
from socketlike_cases import (
    NAMEINFO, NUMERIC, NUMERIC_IDS, REFUSED, REFUSED_IDS, needs_services, outcome_of_awaiting,
    skip_without_ipv6, system_getaddrinfo, system_outcome,
)

T = TypeVar("T")


@pytest.fixture
def names(dns_server: DNSServer) -> DNSServer:
    dns_server.add("svc.test", "A", "127.0.0.1")
    dns_server.add("alias.test", "CNAME", "svc.test")
    dns_server.add("1.0.0.10.in-addr.arpa", "PTR", "www.example")
    return dns_server


def run(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    return asyncio.run(asyncio.wait_for(main(*args), 20))


def install(server: DNSServer) -> aio.DNSResolver:
    return aio.install(servers=[server.address], timeout=2.0, tries=1)


async def _echo_server() -> Tuple[asyncio.AbstractServer, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(100))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_open_connection_and_create_connection_reach_a_test_only_name(names: DNSServer) -> None:
    async def main() -> List[bytes]:
        server, port = await _echo_server()
        install(names)
        replies = []
        reader, writer = await asyncio.open_connection("svc.test", port)
        writer.write(b"one")
        replies.append(await reader.read(100))
        writer.close()
        loop = asyncio.get_running_loop()
        received = loop.create_future()

        class Client(asyncio.Protocol):
            def connection_made(self, transport: Any) -> None:
                transport.write(b"two")

            def data_received(self, data: bytes) -> None:
                received.set_result(data)

        transport, _ = await loop.create_connection(Client, "alias.test", port)
        replies.append(await received)
        transport.close()
        aio.uninstall()
        server.close()
        await server.wait_closed()
        return replies

    assert run(main) == [b"one", b"two"]
    assert {query.name for query in names.queries} == {"svc.test", "alias.test"}


@pytest.mark.parametrize("case", NUMERIC, ids=NUMERIC_IDS)
def test_numeric_hosts_none_and_localhost_equal_socket_getaddrinfo(
    names: DNSServer, case: Tuple[Any, ...]
) -> None:
    skip_without_ipv6(case)
    host, port, family, kind, proto, flags = case

    async def main() -> Any:
        install(names)
        return await outcome_of_awaiting(asyncio.get_running_loop().getaddrinfo(
            host, port, family=family, type=kind, proto=proto, flags=flags
        ))

    assert run(main) == system_outcome(case)
    assert names.queries == []


@pytest.mark.parametrize("case,code", REFUSED, ids=REFUSED_IDS)
def test_bad_arguments_raise_the_socket_modules_gaierror(
    names: DNSServer, case: Tuple[Any, ...], code: int
) -> None:
    host, port, family, kind, proto, flags = case

    async def main() -> Any:
        install(names)
        return await asyncio.get_running_loop().getaddrinfo(
            host, port, family=family, type=kind, proto=proto, flags=flags
        )

    with pytest.raises(socket.gaierror) as info:
        run(main)
    assert info.value.errno == code
    assert names.queries == []


@needs_services
def test_names_and_failures(names: DNSServer) -> None:
    names.set_fault("nxdomain", "gone.test")
    names.set_fault("servfail", "broken.test")

    async def main() -> List[Any]:
        install(names)
        loop = asyncio.get_running_loop()
        out: List[Any] = [
            await loop.getaddrinfo("svc.test", "http", type=socket.SOCK_STREAM),
            await loop.getaddrinfo("alias.test", 80, type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME),
        ]
        for name in ("gone.test", "broken.test"):
            try:
                await loop.getaddrinfo(name, 80)
            except socket.gaierror as exc:
                out.append(exc.errno)
        return out

    http, canonical, gone, broken = run(main)
    assert http == system_getaddrinfo(("127.0.0.1", "http", 0, socket.SOCK_STREAM))
    assert canonical == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "svc.test",
                          ("127.0.0.1", 80))]
    assert (gone, broken) == (socket.EAI_NONAME, socket.EAI_AGAIN)


def test_getnameinfo(names: DNSServer) -> None:
    async def main() -> List[Any]:
        install(names)
        loop = asyncio.get_running_loop()
        return [await loop.getnameinfo(("10.0.0.1", 80)),
                await loop.getnameinfo(("10.0.0.9", 80), socket.NI_NUMERICSERV)] + [
            await loop.getnameinfo(*case) for case in NAMEINFO if ":" not in case[0][0]
        ]

    found, unknown, *numeric = run(main)
    assert found == ("www.example", socket.getnameinfo(("10.0.0.1", 80), socket.NI_NUMERICHOST)[1])
    assert unknown == ("10.0.0.9", "80")
    assert numeric == [socket.getnameinfo(*case) for case in NAMEINFO if ":" not in case[0][0]]


def test_uninstall_restores_the_loops_methods_and_fails_lookups_in_flight(silent: DNSServer) -> None:
    async def main() -> List[Any]:
        loop = asyncio.get_running_loop()
        own = (loop.getaddrinfo, loop.getnameinfo)
        resolver = install(silent)
        installed = (loop.getaddrinfo, loop.getnameinfo)
        with pytest.raises(RuntimeError, match="already"):
            install(silent)
        pending = asyncio.ensure_future(loop.getaddrinfo("svc.test", 80))
        await asyncio.get_running_loop().run_in_executor(None, silent.wait_for_queries, 1)
        aio.uninstall()
        aio.uninstall()  # nothing left to undo
        with pytest.raises(socket.gaierror) as info:
            await pending
        restored = (loop.getaddrinfo, loop.getnameinfo)
        numeric = await loop.getaddrinfo("127.0.0.1", 80)
        return [own, installed, restored, resolver._closed, info.value.errno, numeric]

    own, installed, restored, closed, errno, numeric = run(main)
    assert installed != own and restored == own
    assert closed and errno == socket.EAI_FAIL
    assert numeric == socket.getaddrinfo("127.0.0.1", 80)


def test_uvloop_is_refused_with_the_reason() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    try:
        with pytest.raises(RuntimeError, match="libuv"):
            aio.install(loop)
    finally:
        loop.close()


def test_install_needs_a_loop() -> None:
    with pytest.raises(RuntimeError):
        aio.install()
    with pytest.raises(RuntimeError):
        aio.uninstall()
