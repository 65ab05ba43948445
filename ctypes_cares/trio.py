"""c-ares as trio's hostname resolver: ``trio.socket.getaddrinfo`` without threads.

::

    import ctypes_cares.trio

    async def main():
        ctypes_cares.trio.install(servers=["10.0.0.53"])   # Channel keyword arguments
        stream = await trio.open_tcp_stream("example.com", 443)

After :func:`install`, everything that resolves through ``trio.socket`` in this run
(``trio.open_tcp_stream``, ``trio.socket.getaddrinfo``, anyio and httpx on trio)
resolves with c-ares instead of a worker thread per lookup.  Results have exactly
``socket.getaddrinfo``'s / ``socket.getnameinfo``'s shapes; failures raise
``socket.gaierror`` with the matching ``EAI_*`` code.  Numeric hosts, ``None`` and
``localhost`` are answered as the socket module answers them (see
:mod:`ctypes_cares._socketlike`).

The channel is driven by trio itself: ``wait_readable``/``wait_writable`` on c-ares's
sockets and a timer for its deadlines, in a system task that exists while lookups are
in flight.  Needs ``pip install ctypes-cares[trio]``.
"""

from __future__ import annotations

from typing import Any, Hashable, List, Tuple, Union

import trio

from . import _socketlike
from ._taskdriver import Backend, TaskChannel

__all__ = ["HostnameResolver", "install"]


def _spawn(async_fn: Any) -> None:
    trio.lowlevel.spawn_system_task(async_fn, name="ctypes_cares driver")


def _current_run() -> Hashable:
    return trio.lowlevel.current_trio_token()


BACKEND = Backend(
    name="trio",
    wait_readable=trio.lowlevel.wait_readable,
    wait_writable=trio.lowlevel.wait_writable,
    notify_closing=trio.lowlevel.notify_closing,
    closed_error=trio.ClosedResourceError,
    task_group=trio.open_nursery,
    move_on_after=trio.move_on_after,
    event=trio.Event,
    spawn=_spawn,
    current_run=_current_run,
)


class HostnameResolver(trio.abc.HostnameResolver):
    """A ``trio.abc.HostnameResolver`` on a c-ares channel.

    ``channel_options`` are :class:`ctypes_cares.Channel`'s keyword arguments
    (``servers=[...]``, ``timeout``, ``tries``, ``rotate``, ``qcache_max_ttl``, ...);
    ``sock_state_cb`` is the resolver's own.  One resolver serves one trio run at a
    time.  :meth:`close` (or the end of the program) releases the channel.
    """

    def __init__(self, **channel_options: Any) -> None:
        self._tasks = TaskChannel(BACKEND, channel_options)

    async def getaddrinfo(
        self,
        host: Union[bytes, str, None],
        port: Union[bytes, str, int, None],
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> List[Tuple[Any, ...]]:
        """``socket.getaddrinfo(host, port, family, type, proto, flags)``, through c-ares."""
        plan = _socketlike.plan_getaddrinfo(host, port, family, type, proto, flags)
        if isinstance(plan, list):
            await trio.lowlevel.checkpoint()
            return plan
        result, status = await self._tasks.submit(
            "getaddrinfo", plan.name, None, family=plan.family, flags=plan.cares_flags
        )
        return _socketlike.finish_getaddrinfo(plan, result, status)

    async def getnameinfo(self, sockaddr: Tuple[Any, ...], flags: int) -> Tuple[str, str]:
        """``socket.getnameinfo(sockaddr, flags)``, the reverse lookup through c-ares."""
        plan = _socketlike.plan_getnameinfo(sockaddr, flags)
        if not isinstance(plan, _socketlike.NameInfoPlan):
            await trio.lowlevel.checkpoint()
            return plan
        result, status = await self._tasks.submit("getnameinfo", plan.sockaddr, plan.cares_flags)
        return _socketlike.finish_getnameinfo(plan, result, status)

    def cancel(self) -> None:
        """Fail every lookup in flight (``socket.gaierror(EAI_FAIL)``)."""
        self._tasks.cancel()

    def close(self) -> None:
        """Fail what is in flight and release the channel; idempotent.  Lookups after
        this raise RuntimeError."""
        self._tasks.close()


def install(**channel_options: Any) -> HostnameResolver:
    """Resolve names for the running trio run with a new :class:`HostnameResolver`.

    Calls ``trio.socket.set_custom_hostname_resolver`` (so: inside ``trio.run``) and
    returns the resolver.  ``trio.socket.set_custom_hostname_resolver(None)`` undoes it.
    """
    resolver = HostnameResolver(**channel_options)
    try:
        trio.socket.set_custom_hostname_resolver(resolver)
    except BaseException:  # outside a run: release the channel now
        resolver.close()
        raise
    return resolver
