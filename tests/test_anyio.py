"""ctypes_cares.anyio: the aiodns-shaped resolver under anyio's asyncio and trio backends."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Awaitable, Callable, List, TypeVar

import anyio
import pytest

import ctypes_cares
from capabilities import needs
from ctypes_cares.anyio import DNSError, DNSResolver
from ctypes_cares.aio.error import ResolverClosedError
from dnsserver import DNSServer

T = TypeVar("T")
BACKENDS = ["asyncio", "trio"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def names(zone: DNSServer) -> DNSServer:
    zone.add("slow.example", "A", "10.0.0.7")
    zone.set_fault("delay", "slow.example", seconds=0.3)
    return zone


def make(server: DNSServer) -> DNSResolver:
    return DNSResolver([server.address], timeout=2.0, tries=1)


def run(backend: str, main: Callable[..., Awaitable[T]], *args: Any) -> T:
    async def bounded() -> T:
        with anyio.fail_after(20):
            return await main(*args)

    return anyio.run(bounded, backend=backend)


async def settled(resolver: DNSResolver) -> None:
    tasks = resolver._tasks
    while tasks.in_flight or tasks.driving:
        await anyio.sleep(0.005)


def test_every_lookup(backend: str, names: DNSServer) -> None:
    async def main() -> List[Any]:
        async with make(names) as resolver:
            with pytest.warns(DeprecationWarning):
                legacy = await resolver.query("www.example", "A")
            with pytest.warns(DeprecationWarning):
                byname = await resolver.gethostbyname("alias.example", socket.AF_INET)
            return [
                await resolver.query_dns("www.example", "A"),
                await resolver.query_dns("example", "mx", "IN"),
                legacy,
                byname,
                await resolver.getaddrinfo("www.example", socket.AF_INET, port=80),
                await resolver.getnameinfo(("10.0.0.1", 80), ctypes_cares.ARES_NI_LOOKUPHOST),
                await resolver.gethostbyaddr("10.0.0.1"),
                resolver.nameservers,
            ]

    dns_a, mx, legacy, byname, addrinfo, nameinfo, hostent, servers = run(backend, main)
    assert sorted(record.data.addr for record in dns_a.answer) == ["10.0.0.1", "10.0.0.2"]
    assert sorted(record.data.priority for record in mx.answer) == [10, 20]
    assert sorted(item.host for item in legacy) == ["10.0.0.1", "10.0.0.2"]
    assert byname.name == "www.example" and sorted(byname.addresses) == ["10.0.0.1", "10.0.0.2"]
    assert sorted(node.addr for node in addrinfo.nodes) == [(b"10.0.0.1", 80), (b"10.0.0.2", 80)]
    assert nameinfo.node == "www.example"
    assert hostent.name == "www.example"
    assert servers == [names.address.rsplit(":", 1)[0]]


@needs("dnsrec", "1.28")
def test_query_message(backend: str, names: DNSServer) -> None:
    async def main() -> Any:
        async with make(names) as resolver:
            return await resolver.query_message("www.example", 1, checking_disabled=True)

    message = run(backend, main)
    assert sorted(record.data.addr for record in message.answer) == ["10.0.0.1", "10.0.0.2"]
    assert message.flags.cd and names.queries[-1].cd


@pytest.mark.parametrize("fault,status", [
    ("nxdomain", ctypes_cares.errno.ARES_ENOTFOUND),
    # 1.17/1.18 report ECONNREFUSED after SERVFAIL
    pytest.param("servfail", ctypes_cares.errno.ARES_ESERVFAIL, marks=needs("dnsrec", "1.28")),
    ("nodata", ctypes_cares.errno.ARES_ENODATA),
])
def test_failures_are_dns_errors(backend: str, names: DNSServer, fault: str, status: int) -> None:
    names.set_fault(fault, "www.example")

    async def main() -> None:
        async with make(names) as resolver:
            await resolver.query_dns("www.example", "A")

    with pytest.raises(DNSError) as info:
        run(backend, main)
    assert info.value.args == (status, ctypes_cares.errno.strerror(status))


def test_bad_arguments_raise_at_once(backend: str, names: DNSServer) -> None:
    async def main() -> List[type]:
        raised = []
        async with make(names) as resolver:
            for call in (
                lambda: resolver.query_dns("www.example", "NOPE"),
                lambda: resolver.query_dns("www.example", "A", "NOPE"),
                lambda: resolver.gethostbyaddr("not an address"),
            ):
                try:
                    await call()
                except Exception as exc:
                    raised.append(type(exc))
        return raised

    assert run(backend, main) == [ValueError, ValueError, ValueError]
    assert names.queries == []


def test_cancel_fails_lookups_in_flight(backend: str, silent: DNSServer) -> None:
    async def main() -> List[Any]:
        errors: List[Any] = []
        async with make(silent) as resolver:

            async def lookup() -> None:
                try:
                    await resolver.query_dns("www.example", "A")
                except DNSError as exc:
                    errors.append(exc.args[0])

            async with anyio.create_task_group() as group:
                group.start_soon(lookup)
                group.start_soon(lookup)
                await anyio.to_thread.run_sync(silent.wait_for_queries, 2)
                resolver.cancel()
            await settled(resolver)
        return errors

    assert run(backend, main) == [ctypes_cares.errno.ARES_ECANCELLED] * 2


def test_a_cancelled_awaiter_leaves_nothing_behind(backend: str, names: DNSServer) -> None:
    async def main() -> List[Any]:
        async with make(names) as resolver:
            with anyio.CancelScope() as scope:
                async with anyio.create_task_group() as group:
                    group.start_soon(resolver.query_dns, "slow.example", "A")
                    await anyio.to_thread.run_sync(names.wait_for_queries, 1)
                    scope.cancel()
            pending = resolver._tasks.in_flight
            await settled(resolver)
            after = await resolver.query_dns("www.example", "A")
            return [pending, resolver._tasks._interest, len(after.answer)]

    assert run(backend, main) == [1, {}, 2]


def test_closed_resolvers_refuse_lookups(backend: str, names: DNSServer) -> None:
    async def main() -> None:
        resolver = make(names)
        await resolver.close()
        await resolver.close()
        await resolver.query_dns("www.example", "A")

    with pytest.raises(ResolverClosedError):
        run(backend, main)


def test_many_lookups_at_once(backend: str, names: DNSServer) -> None:
    async def main() -> int:
        answers: List[Any] = []
        # (tries=3: the test server may drop one of a burst of queries; see test_trio.py)
        async with DNSResolver(
            [names.address], timeout=2.0, tries=3, socket_receive_buffer_size=1 << 21
        ) as resolver:

            async def one() -> None:
                answers.append(await resolver.query_dns("www.example", "A"))

            async with anyio.create_task_group() as group:
                for _ in range(200):
                    group.start_soon(one)
        return sum(len(answer.answer) for answer in answers)

    assert run(backend, main) == 400


def test_one_resolver_per_loop(names: DNSServer) -> None:
    resolver = make(names)

    async def main() -> int:
        return len((await resolver.query_dns("www.example", "A")).answer)

    try:
        assert [run(backend, main) for backend in BACKENDS * 2] == [2, 2, 2, 2]
    finally:
        anyio.run(resolver.close)
    with pytest.raises(TypeError):
        DNSResolver(sock_state_cb=print)


def test_a_resolver_busy_in_one_loop_refuses_another(names: DNSServer) -> None:
    """One resolver, two event loops at once (threads): the second gets a clear error."""
    resolver = DNSResolver([names.address], timeout=60.0, tries=1)
    names.set_fault("delay", "slow.example", seconds=60)  # until released below
    first: List[Any] = []

    def in_a_thread() -> None:
        async def main() -> None:
            first.append(len((await resolver.query_dns("slow.example", "A")).answer))

        anyio.run(main, backend="asyncio")

    async def second() -> None:
        await resolver.query_dns("www.example", "A")

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    try:
        names.wait_for_queries(1)  # the first loop's lookup is in flight, and stays,
        while not resolver._tasks.driving:  # and that loop's driver has started
            time.sleep(0.001)
        with pytest.raises(RuntimeError, match="another event loop"):
            anyio.run(second, backend="trio")
    finally:
        names.release_delayed()
        thread.join()
    assert first == [1]
    anyio.run(resolver.close)


def test_a_failing_processing_step_fails_the_lookups_instead_of_hanging(
    backend: str, silent: DNSServer
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("the channel is gone")

    async def main() -> Any:
        resolver = make(silent)

        async def lookup() -> None:
            with pytest.raises(DNSError) as info:
                await resolver.query_dns("www.example", "A")
            assert info.value.args[0] == ctypes_cares.errno.ARES_ECANCELLED

        async with anyio.create_task_group() as group:
            group.start_soon(lookup)
            await anyio.to_thread.run_sync(silent.wait_for_queries, 1)
            # c-ares's deadline passes next: that processing step fails.
            resolver._tasks.channel.process_fd = broken
        return resolver._tasks.closed

    # The lookup ends (cancelled by the close) and the resolver is closed: it neither
    # hangs nor retries the failing step forever.
    assert run(backend, main) is True
