"""ctypes_cares.aio.DNSResolver: close and cancellation, how the loop drives c-ares
(bursts, timers, no threads), the event-thread mode and the completion handlers.
"""

from __future__ import annotations


import asyncio
import gc
import logging
import os
import select
import socket
import sys
import threading
import time
import warnings
from typing import Any, Callable, Dict, List
from unittest import mock

import pytest

import ctypes_cares
from ctypes_cares import aio
from ctypes_cares.aio import _driver
from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.error import DNSError, ResolverClosedError
from dnsserver import DNSServer
from capabilities import needs
from ctypes_cares._lib import caps

from aio_helpers import _new_loop, expect_dns_error, make


# --------------------------------------------------------- close and cancellation

def test_close_cancels_and_rejects(run: Any, dns_server: DNSServer) -> None:
    dns_server.set_fault("drop")

    async def main() -> None:
        resolver = make(dns_server)
        pending = [resolver.query_dns(f"n{i}.example", "A") for i in range(5)]
        pending.append(resolver.getaddrinfo("x.example", socket.AF_INET))
        await asyncio.sleep(0)  # one iteration: the timer is armed
        assert resolver._read_fds and resolver._timer is not None
        await resolver.close()
        for fut in pending:
            await expect_dns_error(fut, 24)
        assert resolver._closed and resolver._timer is None
        assert not resolver._read_fds and not resolver._write_fds
        calls: List[Callable[[], Any]] = [
            lambda: resolver.query_dns("www.example", "A"),
            lambda: resolver.query("www.example", "A"),
            lambda: resolver.gethostbyname("www.example", socket.AF_INET),
            lambda: resolver.getaddrinfo("www.example"),
            lambda: resolver.getnameinfo(("127.0.0.1", 0)),
            lambda: resolver.gethostbyaddr("127.0.0.1"),
            lambda: resolver.nameservers,
        ]
        for call in calls:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                with pytest.raises(DNSError) as info:
                    call()
            assert isinstance(info.value, ResolverClosedError)
            assert isinstance(info.value, RuntimeError)  # what aiodns code may catch
            assert info.value.args == (16, "DNS resolver is closed, no new queries allowed")
        with pytest.raises(ResolverClosedError):
            resolver.nameservers = [dns_server.address]
        resolver.cancel()  # nothing in flight any more: a no-op
        await resolver.close()  # idempotent

    run(main())


def test_async_with_closes_through_instance(run: Any, dns_server: DNSServer) -> None:
    async def main() -> None:
        resolver = make(dns_server)
        calls = 0
        real_close = resolver.close

        async def counting_close() -> None:
            nonlocal calls
            calls += 1
            await real_close()

        resolver.close = counting_close  # type: ignore[method-assign]
        with pytest.raises(ZeroDivisionError):
            async with resolver as entered:
                assert entered is resolver
                await resolver.close()
                1 / 0  # noqa: B018 - raises inside the async with
        assert calls == 2 and resolver._closed

    run(main())


def test_aiodns_shaped_state_and_release(run: Any, zone: DNSServer) -> None:
    """The driver's state shows where aiodns keeps it (aiodns's own tests set and read
    it), and an idle resolver dropped releases its channel at once, like aiodns's."""

    async def main() -> None:
        resolver = make(zone)
        await resolver.query_dns("www.example", "A")
        loop = resolver.loop
        with mock.patch.object(loop, "remove_reader") as remove_reader:
            resolver._read_fds.add(-5)
            resolver._timer = timer = loop.call_later(60, lambda: None)
            resolver._cleanup()
        assert mock.call(-5) in remove_reader.call_args_list and timer.cancelled()
        assert resolver._closed and resolver._timer is None and not resolver._read_fds

        resolver = make(zone)
        channel = resolver._channel
        closed: List[bool] = []
        with mock.patch.object(channel, "close", side_effect=lambda: closed.append(True)):
            del resolver
            if sys.implementation.name != "cpython":
                gc.collect()  # no reference counting
            assert closed == [True]
        channel.close()

    run(main())


def test_cancel_method(run: Any, zone: DNSServer) -> None:
    zone.set_fault("drop", "lost.example")
    zone.set_fault("drop", "9.9.9.10.in-addr.arpa")

    async def main() -> None:
        async with make(zone) as resolver:
            futs = [resolver.query_dns("lost.example", "A") for _ in range(3)]
            futs.append(resolver.gethostbyaddr("10.9.9.9"))
            assert len(zone.wait_for_queries(4)) >= 4  # all four are out
            resolver.cancel()
            for fut in futs:
                await expect_dns_error(fut, 24)
            assert (await resolver.query_dns("www.example", "A")).answer

    run(main())


def test_task_cancellation_releases_query(run: Any, zone: DNSServer) -> None:
    """Cancelled awaiters: late answers are dropped, nothing leaks, the resolver works."""
    zone.set_fault("delay", "slow.example", seconds=0.3)
    zone.set_fault("drop", "lost.example")
    zone.add("slow.example", "A", "10.1.1.1")
    in_flight = ctypes_cares._handle_to_channel

    async def main() -> None:
        async with make(zone, timeout=0.5, tries=1) as resolver:
            before = len(in_flight)
            tasks = [asyncio.ensure_future(resolver.query_dns("slow.example", "A"))
                     for _ in range(10)]
            tasks += [asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
                      for _ in range(10)]
            tasks.append(asyncio.ensure_future(resolver.getaddrinfo("slow.example",
                                                                    socket.AF_INET)))
            await asyncio.sleep(0)  # every task runs up to its await: all submitted
            assert len(zone.wait_for_queries(21)) >= 21
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            # wait_for() cancels its inner future the same way.
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(resolver.query_dns("slow.example", "A"), 0.05)
            # The resolver works while the abandoned queries are still in c-ares.
            assert (await resolver.query_dns("www.example", "A")).answer
            # Late answers and timeouts reach only done futures; then all is released.
            deadline = time.monotonic() + 5
            while len(in_flight) > before and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert len(in_flight) == before
            assert not resolver._channel._in_flight.ids
            assert (await resolver.query_dns("slow.example", "A")).answer[0].data.addr == "10.1.1.1"

    run(main())


def test_many_concurrent_queries(run: Any, dns_server: DNSServer) -> None:
    names = {f"host{i}.example": f"10.{i // 256}.{i % 256}.{(i * 7) % 256}" for i in range(500)}
    for name, addr in names.items():
        dns_server.add(name, "A", addr)

    async def main() -> None:
        # 500 datagrams at once can overflow the server's socket buffer: retry fast.
        async with make(dns_server, timeout=0.5, tries=5) as resolver:
            async def lookup(name: str) -> str:
                result = await resolver.query_dns(name, "A")
                assert [r.name for r in result.answer] == [name]
                return str(result.answer[0].data.addr)

            order = list(names)
            got = await asyncio.gather(*(lookup(n) for n in order))
            assert got == [names[n] for n in order]
            # Everything done: sockets closed and the timer disarmed.
            await asyncio.sleep(0)
            assert not resolver._read_fds and resolver._timer is None

    run(main())


def test_burst_of_answers_decoded_in_slices(run: Any, zone: DNSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Socket-callback mode: a burst of answers is kept as bytes and decoded a slice per
    loop iteration, so decoded results never pile up ahead of the tasks awaiting them."""
    for i in range(300):
        zone.add(f"b{i}.example", "A", f"10.1.{i // 256}.{i % 256}")
    state = {"decoded": 0, "consumed": 0, "ahead": 0}
    parse = _driver.parse_dns_response

    def counting_parse(data: bytes, **kwargs: Any) -> Any:
        state["decoded"] += 1
        state["ahead"] = max(state["ahead"], state["decoded"] - state["consumed"])
        return parse(data, **kwargs)

    monkeypatch.setattr(_driver, "parse_dns_response", counting_parse)

    async def main() -> None:
        async with make(zone, timeout=0.5, tries=5) as resolver:
            async def lookup(i: int) -> str:
                result = await resolver.query_dns(f"b{i}.example", "A")
                state["consumed"] += 1
                return str(result.answer[0].data.addr)

            got = await asyncio.gather(*(lookup(i) for i in range(300)))
            assert got == [f"10.1.{i // 256}.{i % 256}" for i in range(300)]
            assert not resolver._driver._undecoded and not resolver._driver._decode_pending

    run(main())
    if caps.dnsrec:  # older libraries hand over decoded answers
        assert state["decoded"] == 300
        assert 1 <= state["ahead"] <= _driver.DECODE_SLICE


@pytest.mark.parametrize("method", ["query_dns", "getaddrinfo"])
def test_replies_read_during_a_run_of_submissions(run: Any, zone: DNSServer, method: str) -> None:
    """Socket-callback mode: after every READ_EVERY submissions without a processing
    step, c-ares reads its sockets at once, so the answers to a long run of submissions
    are not all held back for one burst at the next loop iteration."""
    count = _driver.READ_EVERY
    for i in range(count):
        zone.add(f"r{i}.example", "A", f"10.2.0.{i}")

    def submit(resolver: DNSResolver, i: int) -> "asyncio.Future[Any]":
        if method == "query_dns":
            return resolver.query_dns(f"r{i}.example", "A")
        return resolver.getaddrinfo(f"r{i}.example", socket.AF_INET)

    def read(resolver: DNSResolver, fut: "asyncio.Future[Any]") -> bool:
        return fut.done() or bool(resolver._driver._undecoded)  # query_dns decodes later

    async def main() -> None:
        async with make(zone) as resolver:
            futs = [submit(resolver, 0)]
            # The answer waits in the socket; the loop does not run meanwhile.
            assert select.select(list(resolver._read_fds), [], [], 5)[0]
            futs += [submit(resolver, i) for i in range(1, count - 1)]
            assert not read(resolver, futs[0])
            futs.append(submit(resolver, count - 1))
            if not resolver._event_thread:
                assert read(resolver, futs[0])
            results = await asyncio.gather(*futs)
            if method == "query_dns":
                got = [str(r.answer[0].data.addr) for r in results]
            else:
                got = [n.addr[0].decode() for r in results for n in r.nodes]
            assert got == [f"10.2.0.{i}" for i in range(count)]

    run(main())


@needs("dnsrec", (1, 28, 0))
def test_undecodable_answer_is_ebadresp(run: Any, zone: DNSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes, **kwargs: Any) -> Any:
        raise ctypes_cares.records.BadResponse("refused by the decoder")

    monkeypatch.setattr(_driver, "parse_dns_response", refuse)

    async def main() -> None:
        async with make(zone) as resolver:
            await expect_dns_error(resolver.query_dns("www.example", "A"), aio.error.ARES_EBADRESP)
            monkeypatch.undo()
            assert (await resolver.query_dns("www.example", "A")).answer  # still usable

    run(main())


def test_one_timer_not_per_query(dns_server: DNSServer) -> None:
    """200 concurrent queries arm the loop timer a handful of times, not 200."""
    for i in range(200):
        dns_server.add(f"t{i}.example", "A", "10.0.0.1")
    loop = asyncio.new_event_loop()
    armed: List[float] = []
    real_call_at = loop.call_at

    def counting_call_at(when: float, callback: Any, *args: Any, **kw: Any) -> Any:
        armed.append(when)
        return real_call_at(when, callback, *args, **kw)

    loop.call_at = counting_call_at  # type: ignore[method-assign]
    try:
        async def main() -> None:
            async with make(dns_server, timeout=5.0) as resolver:
                await asyncio.gather(*(resolver.query_dns(f"t{i}.example", "A")
                                       for i in range(200)))
                assert resolver._timer is None
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert 1 <= len(armed) <= 10, armed


def test_no_thread_in_socket_mode(run: Any, zone: DNSServer) -> None:
    def os_threads() -> int:
        return len(os.listdir("/proc/self/task"))

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("needs /proc")

    async def main() -> None:
        # The binding's one destroyer thread may start with the first channel.
        make(zone)._closed = True
        before = (os_threads(), threading.active_count())
        async with make(zone) as resolver:
            await resolver.query_dns("www.example", "A")
            assert (os_threads(), threading.active_count()) == before
            tid: List[int] = []
            fut = resolver.query_dns("www.example", "AAAA")
            fut.add_done_callback(lambda f: tid.append(threading.get_ident()))
            await fut
            await asyncio.sleep(0)  # done callbacks run one iteration later
            assert tid == [threading.get_ident()]

    run(main())


def test_processing_failure_closes_resolver_once(loop_kind: str, dns_server: DNSServer) -> None:
    """A failing process_fd is reported once, not re-run on every loop iteration."""
    dns_server.set_fault("delay", "slow.example", seconds=0.1)
    dns_server.add("slow.example", "A", "10.0.0.1")
    loop = _new_loop(loop_kind)
    reports: List[Dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))

    async def main() -> None:
        resolver = make(dns_server)
        pending = resolver.query_dns("slow.example", "A")
        with mock.patch.object(resolver._channel, "process_fd",
                               side_effect=RuntimeError("boom")):
            await expect_dns_error(pending, 24)
            while resolver._read_fds or resolver._timer is not None:
                await asyncio.sleep(0)  # the close finishes on the loop
        assert resolver._closed and not resolver._read_fds and resolver._timer is None
        with pytest.raises(ResolverClosedError):
            resolver.query_dns("slow.example", "A")

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 10))
    finally:
        loop.close()
    assert len(reports) == 1, reports
    assert str(reports[0]["exception"]) == "boom"


# ------------------------------------------------------------------- event thread

def test_event_thread_mode(run: Any, zone: DNSServer) -> None:
    async def main() -> None:
        async with make(zone, event_thread=True) as resolver:
            assert resolver._event_thread is True
            result = await resolver.query_dns("www.example", "A")
            assert sorted(r.data.addr for r in result.answer) == ["10.0.0.1", "10.0.0.2"]
            got = await asyncio.gather(*(resolver.query_dns("www.example", t)
                                         for t in ("A", "AAAA", "MX", "TXT") * 25),
                                       return_exceptions=True)
            for qtype, outcome in zip(("A", "AAAA", "MX", "TXT") * 25, got):
                if qtype in ("A", "AAAA"):
                    assert outcome.answer[0].type == (1 if qtype == "A" else 28)
                else:  # www.example has no MX or TXT: no data
                    assert isinstance(outcome, DNSError) and outcome.args[0] == 1
            if caps.dnsrec:  # c-ares < 1.28 sends such names to the server
                await expect_dns_error(resolver.query_dns("bad name", "A"), 8)
            with pytest.warns(DeprecationWarning):
                assert (await resolver.query("example", "MX"))[0].priority in (10, 20)
            host = await resolver.getaddrinfo("localhost", socket.AF_INET)
            assert host.nodes[0].addr[0] == b"127.0.0.1"
            zone.set_fault("drop", "lost.example")
            lost = resolver.query_dns("lost.example", "A")
            cancelled = asyncio.ensure_future(resolver.query_dns("lost.example", "A"))
            await asyncio.sleep(0)  # the task runs up to its await: submitted
            cancelled.cancel()
            assert not resolver._read_fds and resolver._timer is None
        await expect_dns_error(lost, 24)
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    run(main())


def test_event_thread_fallback_logs(run: Any, dns_server: DNSServer,
                                    caplog: pytest.LogCaptureFixture) -> None:
    dns_server.add("www.example", "A", "10.0.0.1")
    real_channel = ctypes_cares.Channel
    calls: List[Dict[str, Any]] = []

    def flaky_channel(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 1:
            raise ctypes_cares.AresError("Mock error")
        return real_channel(**kwargs)

    async def main() -> None:
        with mock.patch("ctypes_cares.aio.pycares.Channel", side_effect=flaky_channel):
            resolver = make(dns_server, event_thread=True)
        async with resolver:
            assert resolver._event_thread is False
            assert (await resolver.query_dns("www.example", "A")).answer

    with caplog.at_level(logging.WARNING, logger="aiodns"):
        run(main())
    assert "sock_state_cb" not in calls[0] and callable(calls[1]["sock_state_cb"])
    assert calls[0]["timeout"] == calls[1]["timeout"] == 2.0
    message = caplog.records[0].getMessage()
    assert message.endswith("Mock error")
    for phrase in ("automatic monitoring of", "Falling back to socket state callback"):
        assert phrase in message
    if sys.platform == "linux":
        assert "system ran out of inotify watches" in message


# ----------------------------------------------- completion handlers (aiodns API)

def test_completion_handlers_ignore_done_futures() -> None:
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        fut.cancel()
        DNSResolver._callback(fut, None, 4)
        DNSResolver._query_callback(fut, 1, None, None)
        DNSResolver._gethostbyname_callback(fut, "host", None, None)
        fut = loop.create_future()
        DNSResolver._query_callback(fut, 1, ctypes_cares.DNSResult([], [], []), None)
        assert fut.exception().args[0] == 1  # type: ignore[union-attr]
        fut = loop.create_future()
        resolver = DNSResolver(nameservers=["127.0.0.1:1"], loop=loop)
        # Undecoded answers: a cancelled awaiter's is skipped, failures and answers that
        # arrive decoded complete at once, the rest on the next loop iteration.
        gone, failed, decoded, later = (loop.create_future() for _ in range(4))
        gone.cancel()
        answer = ctypes_cares.DNSResult([], [], [])
        driver = resolver._driver
        driver.answer_callback(gone, b"not even a header", None)
        driver.answer_callback(failed, None, 11)
        driver.answer_callback(decoded, answer, None)
        driver.answer_callback(later, b"\0" * 12, None)  # an empty, well-formed header
        assert failed.exception().args[0] == 11  # type: ignore[union-attr]
        assert decoded.result() is answer and not later.done()
        loop.run_until_complete(asyncio.sleep(0))
        assert later.exception().args[0] == aio.error.ARES_EBADRESP  # type: ignore[union-attr]
        resolver._reject(fut, ctypes_cares.AresError(8, "Misformatted domain name"))
        assert fut.exception().args == (8, "Misformatted domain name")  # type: ignore[union-attr]
        resolver._reject(fut, ctypes_cares.AresError(4, "x"))  # already done: ignored
        assert fut.exception().args[0] == 8  # type: ignore[union-attr]
        loop.run_until_complete(resolver.close())
    finally:
        loop.close()


