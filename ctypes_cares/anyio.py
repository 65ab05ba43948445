"""The aiodns-shaped resolver for anyio: the same lookups under asyncio and under trio.

::

    from ctypes_cares.anyio import DNSResolver

    async def main():
        async with DNSResolver(["10.0.0.53"]) as resolver:
            result = await resolver.query_dns("example.com", "MX")

:class:`DNSResolver` has :class:`ctypes_cares.aio.DNSResolver`'s methods as coroutine
functions, the same results and the same :class:`~ctypes_cares.aio.error.DNSError` errors.
It is driven by anyio's ``wait_readable``/``wait_writable`` and a timer, in a background
task that exists while lookups are in flight (a system task under trio): no threads.
One resolver serves one event loop (or trio run) at a time.  Needs
``pip install ctypes-cares[anyio]`` (anyio >= 4.7).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import warnings
from typing import Any, Callable, Hashable, Iterable, List, Optional, Sequence, Set, Union, cast

import anyio

from . import aio as _aio
from ._taskdriver import Backend, TaskChannel
from .aio._driver import complete
from .aio.error import DNSError
from .constants import QUERY_TYPE_SVCB

__all__ = ["DNSError", "DNSResolver"]

_asyncio_drivers: Set["asyncio.Task[None]"] = set()  # strong references while they run


def _in_trio() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def _spawn(async_fn: Callable[[], Any]) -> None:
    if _in_trio():
        sys.modules["trio"].lowlevel.spawn_system_task(async_fn, name="ctypes_cares driver")
        return
    task = asyncio.get_running_loop().create_task(async_fn(), name="ctypes_cares driver")
    _asyncio_drivers.add(task)
    task.add_done_callback(_asyncio_drivers.discard)


def _current_run() -> Hashable:
    if _in_trio():
        return cast(Hashable, sys.modules["trio"].lowlevel.current_trio_token())
    return asyncio.get_running_loop()


BACKEND = Backend(
    name="anyio",
    wait_readable=anyio.wait_readable,
    wait_writable=anyio.wait_writable,
    notify_closing=anyio.notify_closing,
    closed_error=anyio.ClosedResourceError,
    task_group=anyio.create_task_group,
    move_on_after=anyio.move_on_after,
    event=anyio.Event,
    spawn=_spawn,
    current_run=_current_run,
)


class _Outcome:
    """The part of an asyncio future that the asyncio resolver's completions use."""

    __slots__ = ("_done", "_error", "_value")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._error: Optional[BaseException] = None

    def done(self) -> bool:
        return self._done

    def set_result(self, value: Any) -> None:
        self._value, self._done = value, True

    def set_exception(self, error: BaseException) -> None:
        self._error, self._done = error, True

    def unwrap(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


class DNSResolver:
    """An anyio DNS resolver with aiodns 4.0.4's API (lookups are coroutine functions).

    ``nameservers``: servers instead of the system's (``'ip'`` or ``'ip:port'``); other
    keyword arguments go to :class:`ctypes_cares.Channel` (``timeout``, ``tries``,
    ``rotate``, ``qcache_max_ttl``, ...; ``sock_state_cb`` is the resolver's own).
    """

    def __init__(self, nameservers: Optional[Sequence[str]] = None, **kwargs: Any) -> None:
        kwargs.pop("loop", None)  # aiodns's argument: anyio has the running loop
        self._tasks = TaskChannel(BACKEND, kwargs)
        if nameservers:
            try:
                self.nameservers = nameservers
            except BaseException:
                self._tasks.close()
                raise

    @property
    def nameservers(self) -> List[str]:
        """The servers in use, without their ports (``['127.0.0.1']``)."""
        self._check_open()
        return [server.rsplit(":", 1)[0] for server in self._tasks.channel.servers]

    @nameservers.setter
    def nameservers(self, value: Iterable[str]) -> None:
        self._check_open()
        self._tasks.channel.servers = value

    def _check_open(self) -> None:
        if self._tasks.closed:
            raise _aio._closed_error()

    async def _lookup(
        self, finish: Callable[..., None], extra: Sequence[Any], method: str, *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Await ``channel.<method>(...)``; ``finish(outcome, *extra, result, status)``
        (the asyncio resolver's completion) turns its answer into a value or a DNSError."""
        self._check_open()
        result, status = await self._tasks.submit(method, *args, **kwargs)
        outcome = _Outcome()
        finish(outcome, *extra, result, status)
        return outcome.unwrap()

    # -- lookups ----------------------------------------------------------------------

    async def query_dns(self, host: str, qtype: str, qclass: Optional[str] = None) -> Any:
        """``host``'s records of type ``qtype`` as a ``DNSResult`` (see the asyncio
        resolver's :meth:`~ctypes_cares.aio.DNSResolver.query_dns`)."""
        code = _aio._qtype_code(qtype)
        qclass_code = 1 if qclass is None else _aio._qclass_code(qclass)
        return await self._lookup(complete, (), "query", host, code, query_class=qclass_code)

    async def query_message(
        self, host: str, qtype: Union[str, int], qclass: Optional[str] = None, **header: bool
    ) -> Any:
        """The whole ``DNSMessage`` (c-ares >= 1.28): see the asyncio resolver's
        :meth:`~ctypes_cares.aio.DNSResolver.query_message`."""
        if isinstance(qtype, int) and not isinstance(qtype, bool):
            code = qtype
        elif str(qtype).upper() == "SVCB":
            code = QUERY_TYPE_SVCB
        else:
            code = _aio._qtype_code(qtype)
        qclass_code = 1 if qclass is None else _aio._qclass_code(qclass)
        return await self._lookup(
            complete, (), "query_message", host, code, query_class=qclass_code, **header
        )

    async def query(self, host: str, qtype: str, qclass: Optional[str] = None) -> Any:
        """Deprecated: :meth:`query_dns` with pycares-4 shaped results."""
        warnings.warn(
            "query() is deprecated, use query_dns() instead", DeprecationWarning, stacklevel=2
        )
        code = _aio._qtype_code(qtype)
        kwargs = {} if qclass is None else {"query_class": _aio._qclass_code(qclass)}
        return await self._lookup(
            _aio.DNSResolver._query_callback, (code,), "query", host, code, **kwargs
        )

    async def gethostbyname(self, host: str, family: socket.AddressFamily) -> Any:
        """Deprecated: addresses of ``host`` for ``family`` as an ``AresHostResult``."""
        warnings.warn(
            "gethostbyname() is deprecated, use getaddrinfo() instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return await self._lookup(
            _aio.DNSResolver._gethostbyname_callback, (host,), "getaddrinfo", host, None,
            family=family,
        )

    async def getaddrinfo(
        self,
        host: str,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        port: Optional[int] = None,
        proto: int = 0,
        type: int = 0,
        flags: int = 0,
    ) -> Any:
        """getaddrinfo(3) through c-ares: an ``AddrInfoResult`` (``flags``: ``ARES_AI_*``)."""
        return await self._lookup(
            complete, (), "getaddrinfo", host, port, family=family, type=type, proto=proto,
            flags=flags,
        )

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> Any:
        """getnameinfo(3): ``sockaddr`` is ``(ip, port)`` or ``(ip6, port, flow, scope)``."""
        return await self._lookup(complete, (), "getnameinfo", sockaddr, flags)

    async def gethostbyaddr(self, name: str) -> Any:
        """Reverse lookup of an IPv4/IPv6 address: a ``HostResult``."""
        return await self._lookup(complete, (), "gethostbyaddr", name)

    # -- control and lifetime -----------------------------------------------------------

    def cancel(self) -> None:
        """Abort every lookup in flight: they raise ``DNSError(ARES_ECANCELLED)``."""
        self._tasks.cancel()

    async def close(self) -> None:
        """Cancel what is in flight and release the channel; idempotent.  Lookups
        afterwards raise ``DNSError(ARES_EDESTRUCTION)``."""
        self._tasks.close()
        await anyio.lowlevel.checkpoint()

    async def __aenter__(self) -> "DNSResolver":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()
