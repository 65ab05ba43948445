"""``aio.install``: an asyncio loop's own ``getaddrinfo``/``getnameinfo`` through c-ares.

asyncio resolves every name it connects to (``open_connection``, ``create_connection``,
``create_server``, ``sock_connect``, datagram endpoints) with ``self.getaddrinfo``,
which runs the blocking system resolver on the loop's thread pool.  :func:`install` sets
``getaddrinfo`` and ``getnameinfo`` on the loop *instance* to coroutines that ask a
:class:`~ctypes_cares.aio.DNSResolver` instead, with the socket module's result shapes
and ``socket.gaierror``s (:mod:`ctypes_cares._socketlike`); :func:`uninstall` deletes
them, so the class's methods apply again.

uvloop (and any loop that is not an ``asyncio.BaseEventLoop``) resolves inside its own
C code, which never calls ``loop.getaddrinfo``: :func:`install` refuses such loops
rather than appear to work.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from .. import _socketlike
from .error import DNSError

if TYPE_CHECKING:
    from . import DNSResolver

__all__ = ["install", "uninstall"]

_HOOKED = ("getaddrinfo", "getnameinfo")


class _LoopHooks:
    """The two coroutines set on a loop; they hold the resolver that serves them."""

    def __init__(self, resolver: "DNSResolver") -> None:
        self.resolver = resolver

    async def getaddrinfo(
        self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0,
        flags: int = 0,
    ) -> List[Tuple[Any, ...]]:
        plan = _socketlike.plan_getaddrinfo(host, port, family, type, proto, flags)
        if isinstance(plan, list):
            return plan
        result: Any = None
        status: Optional[int] = None
        try:
            result = await self.resolver.getaddrinfo(
                plan.name,  # type: ignore[arg-type]  # bytes are accepted as well
                family=plan.family,  # type: ignore[arg-type]
                flags=plan.cares_flags,
            )
        except DNSError as exc:
            status = exc.args[0]
        return _socketlike.finish_getaddrinfo(plan, result, status)

    async def getnameinfo(self, sockaddr: Tuple[Any, ...], flags: int = 0) -> Tuple[str, str]:
        plan = _socketlike.plan_getnameinfo(sockaddr, flags)
        if not isinstance(plan, _socketlike.NameInfoPlan):
            return plan
        result: Any = None
        status: Optional[int] = None
        try:
            result = await self.resolver.getnameinfo(plan.sockaddr, plan.cares_flags)
        except DNSError as exc:
            status = exc.args[0]
        return _socketlike.finish_getnameinfo(plan, result, status)


def _hooks_of(loop: asyncio.AbstractEventLoop) -> Optional[_LoopHooks]:
    method = vars(loop).get("getaddrinfo") if hasattr(loop, "__dict__") else None
    owner = getattr(method, "__self__", None)
    return owner if isinstance(owner, _LoopHooks) else None


def install(
    loop: Optional[asyncio.AbstractEventLoop] = None, **channel_options: Any
) -> "DNSResolver":
    """Make ``loop`` (default: the running loop) resolve names through c-ares.

    ``channel_options`` are :class:`ctypes_cares.Channel`'s keyword arguments
    (``servers=[...]``, ``timeout``, ``tries``, ...).  Returns the resolver serving the
    loop (its other lookups are yours to use).  RuntimeError for a loop that already has
    one (uninstall it first) and for loops whose connections do not resolve through
    ``loop.getaddrinfo`` (uvloop).
    """
    from . import DNSResolver

    if loop is None:
        loop = asyncio.get_running_loop()
    if not isinstance(loop, asyncio.BaseEventLoop):
        raise RuntimeError(
            f"{type(loop).__module__}.{type(loop).__qualname__} resolves names in its own "
            "code (uvloop: inside libuv), not through loop.getaddrinfo, so c-ares cannot "
            "be installed there; use ctypes_cares.aio.DNSResolver directly, or asyncio's "
            "default loop"
        )
    if _hooks_of(loop) is not None:
        raise RuntimeError("ctypes_cares.aio.install(): this loop has it already")
    resolver = DNSResolver(loop=loop, **channel_options)
    hooks = _LoopHooks(resolver)
    for name in _HOOKED:
        setattr(loop, name, getattr(hooks, name))
    return resolver


def uninstall(loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
    """Give ``loop`` (default: the running loop) its own methods back and close the
    resolver :func:`install` made: lookups still in flight fail with
    ``socket.gaierror``.  Does nothing for a loop without it."""
    if loop is None:
        loop = asyncio.get_running_loop()
    hooks = _hooks_of(loop)
    if hooks is None:
        return
    for name in _HOOKED:
        vars(loop).pop(name, None)
    hooks.resolver.cancel()
    hooks.resolver._cleanup()
