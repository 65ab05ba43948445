"""asyncio DNS resolver on ctypes_cares: the aiodns 4.0.4 API.

``from ctypes_cares.aio import DNSResolver`` replaces ``from aiodns import DNSResolver``;
``ctypes_cares.aio.error`` and ``ctypes_cares.aio.compat`` mirror ``aiodns.error`` and
``aiodns.compat``.  Every lookup method returns an :class:`asyncio.Future` bound to the
resolver's loop; failures arrive as :class:`~ctypes_cares.aio.error.DNSError`.

How c-ares is driven (differs from aiodns, on purpose): by default the channel runs in
c-ares's ``sock_state_cb`` mode.  Its sockets are watched with ``loop.add_reader`` /
``loop.add_writer`` and c-ares's timeouts with ONE loop timer, so every answer is
handled and every future completed on the loop thread, with no extra thread and no
cross-thread hand-off.  aiodns instead prefers c-ares's own event thread and falls back
to socket callbacks only when that thread cannot be created.  A background-thread mode
is available here too (``DNSResolver(event_thread=True)``, and automatically on Windows
loops that cannot watch sockets): the channel is a default Channel, driven by the
package's driver thread (c-ares's event thread where there is no poll()); its answers
cross to the loop in batches, one wake-up per burst.

One resolver per event loop is the intended use: create it once, share it between the
tasks of that loop, ``await resolver.close()`` when done (or ``async with``).  A
resolver is bound to the loop it was created for; do not await its futures from
another loop or thread.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import socket
import sys
import warnings
import weakref
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import ctypes_cares as pycares
from ..channel import query_wire
from ..constants import QUERY_TYPE_SVCB
from ..records import DNSMessage

from . import error
from ._driver import LoopDriver, complete, dns_error, settled_without_result
from .error import CLOSED_MESSAGE, DNSError, ResolverClosedError
from ._install import install as install, uninstall as uninstall  # ours, not in __all__

if TYPE_CHECKING:
    from .compat import AresHostResult


__version__ = "4.0.4"
__all__ = ("DNSResolver", "error")  # as aiodns; install/uninstall are ours (see _install)

# aiodns re-exports its legacy result types here.  They serve only the deprecated
# query()/gethostbyname(), so their module is imported on first use, not with ours.
_COMPAT_NAMES = frozenset({
    "AresHostResult", "AresQueryAAAAResult", "AresQueryAResult", "AresQueryCAAResult",
    "AresQueryCNAMEResult", "AresQueryMXResult", "AresQueryNAPTRResult", "AresQueryNSResult",
    "AresQueryPTRResult", "AresQuerySOAResult", "AresQuerySRVResult", "AresQueryTXTResult",
    "ConvertedRecord", "QueryResult", "convert_result",
})


def __getattr__(name: str) -> Any:
    if name == "compat" or name in _COMPAT_NAMES:
        compat = importlib.import_module(".compat", __name__)  # binds our `compat` too
        return compat if name == "compat" else getattr(compat, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | _COMPAT_NAMES | {"compat"})

# Logger name kept from aiodns so that existing logging configuration applies.
_LOGGER = logging.getLogger("aiodns")

# Logged when c-ares cannot start its event thread (phrases as in aiodns's message).
_FALLBACK_HEAD = (
    "Failed to create DNS resolver channel with automatic monitoring of resolver "
    "configuration changes."
)
_FALLBACK_LINUX = (
    " This usually means the system ran out of inotify watches. Falling back to socket "
    "state callback. Consider increasing the system inotify watch limit: %s"
)
_FALLBACK_OTHER = " Falling back to socket state callback: %s"

WINDOWS_SELECTOR_ERR_MSG = (
    "On Windows, ctypes_cares.aio without the c-ares event thread needs an "
    "asyncio.SelectorEventLoop or a winloop.Loop"
)

#: The query types of aiodns 4.0.4 (``query_dns`` here accepts more, see below).
query_type_map: Dict[str, int] = {
    "A": pycares.QUERY_TYPE_A,
    "AAAA": pycares.QUERY_TYPE_AAAA,
    "ANY": pycares.QUERY_TYPE_ANY,
    "CAA": pycares.QUERY_TYPE_CAA,
    "CNAME": pycares.QUERY_TYPE_CNAME,
    "MX": pycares.QUERY_TYPE_MX,
    "NAPTR": pycares.QUERY_TYPE_NAPTR,
    "NS": pycares.QUERY_TYPE_NS,
    "PTR": pycares.QUERY_TYPE_PTR,
    "SOA": pycares.QUERY_TYPE_SOA,
    "SRV": pycares.QUERY_TYPE_SRV,
    "TXT": pycares.QUERY_TYPE_TXT,
}

query_class_map: Dict[str, int] = {
    "IN": pycares.QUERY_CLASS_IN,
    "CHAOS": pycares.QUERY_CLASS_CHAOS,
    "HS": pycares.QUERY_CLASS_HS,
    "NONE": pycares.QUERY_CLASS_NONE,
    "ANY": pycares.QUERY_CLASS_ANY,
}

# Every type the binding supports, by upper- and lower-case name (other spellings go
# through str.upper()).
_QUERY_TYPES: Dict[str, int] = dict(
    query_type_map,
    HTTPS=pycares.QUERY_TYPE_HTTPS,
    TLSA=pycares.QUERY_TYPE_TLSA,
    URI=pycares.QUERY_TYPE_URI,
)
_QUERY_TYPES.update({name.lower(): code for name, code in _QUERY_TYPES.items()})
_QUERY_CLASSES: Dict[str, int] = dict(query_class_map)
_QUERY_CLASSES.update({name.lower(): code for name, code in query_class_map.items()})


_Callback = Callable[[Any, Optional[int]], None]


def _qtype_code(qtype: Any) -> int:
    """The RR type number for a type name in any case (slow path of the lookups)."""
    try:
        return _QUERY_TYPES[qtype.upper()]
    except (KeyError, AttributeError, TypeError) as exc:
        raise ValueError(f"invalid query type: {qtype}") from exc


def _qclass_code(qclass: Any) -> int:
    try:
        return _QUERY_CLASSES[qclass]
    except (KeyError, TypeError):
        pass
    try:
        return _QUERY_CLASSES[qclass.upper()]
    except (KeyError, AttributeError, TypeError) as exc:
        raise ValueError(f"invalid query class: {qclass}") from exc



def _closed_error() -> ResolverClosedError:
    return ResolverClosedError(error.ARES_EDESTRUCTION, CLOSED_MESSAGE)


def _loop_can_watch_sockets(loop: asyncio.AbstractEventLoop) -> bool:
    """False for loops without add_reader/add_writer (Windows' proactor loop)."""
    if sys.platform != "win32":
        return True
    return isinstance(loop, asyncio.SelectorEventLoop) or type(loop).__module__.startswith(
        "winloop"
    )


class DNSResolver:
    """An asyncio DNS resolver (aiodns 4.0.4 compatible).

    ``nameservers``: servers to use instead of the system's (``'ip'`` or ``'ip:port'``,
    IPv6 as ``'[addr]:port'``).  ``loop``: the loop the futures belong to (default:
    ``asyncio.get_event_loop()``).  Other keyword arguments go to
    :class:`ctypes_cares.Channel` (``timeout``, ``tries``, ``ndots``, ``rotate``,
    ``udp_port``, ``domains``, ``flags``, ...), including the extensions
    (``qcache_max_ttl``, ``max_timeout``, ``server_state_cb``, ...: docs/guide/settings.md); a ``sock_state_cb`` is ignored.  ``server_state_cb`` runs on the loop
    thread.

    ``event_thread`` (not in aiodns): ``False`` drives c-ares from the loop (no thread;
    the default), ``True`` resolves on a background thread the way aiodns does (a
    default Channel; falling back to the loop when that channel cannot be created),
    ``None`` picks ``False`` unless the loop cannot watch sockets (Windows proactor loop).
    """

    def __init__(
        self,
        nameservers: Optional[Sequence[str]] = None,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        *,
        event_thread: Optional[bool] = None,
        **kwargs: Any,
    ) -> None:
        self.loop: asyncio.AbstractEventLoop = loop or asyncio.get_event_loop()
        # Closed (lookups refused) until the channel is made and handed to it.
        self._driver = LoopDriver(self.loop)
        kwargs.pop("sock_state_cb", None)
        self._timeout: Optional[float] = kwargs.pop("timeout", None)
        if event_thread is None:
            event_thread = not _loop_can_watch_sockets(self.loop)
        self._event_thread = bool(event_thread)
        self._event_thread, self._channel = self._make_channel(**kwargs)
        # Its loop is this process's: in a forked child the channel is refused (a clear
        # RuntimeError), not rebuilt, and the loop is never touched (LoopDriver.close).
        self._channel._core.settings = None
        self._driver.start(self._channel, self._event_thread)
        if nameservers:
            try:
                self.nameservers = nameservers
            except BaseException:
                self._cleanup()  # release the channel now, not at garbage collection
                raise

    # -- channel creation ----------------------------------------------------------

    def _make_channel(self, **kwargs: Any) -> Tuple[bool, Any]:
        """Create the channel; returns ``(uses c-ares's event thread, channel)``.

        In event-thread mode, an AresError from c-ares (e.g. no inotify watches left)
        is logged and the channel is created in socket-callback mode instead.
        """
        # The channel keeps its callbacks alive for its whole life; weak references
        # keep them from holding the driver (no driver -> channel -> driver cycle).
        weak_driver = weakref.ref(self._driver)
        server_state_cb = kwargs.get("server_state_cb")
        if server_state_cb is not None and self._event_thread and callable(server_state_cb):

            def server_state_on_loop(server: str, success: bool, flags: int) -> None:
                driver = weak_driver()
                if driver is not None:
                    driver.post(server_state_cb, server, success, flags)

            kwargs["server_state_cb"] = server_state_on_loop
        if self._event_thread:
            try:
                return True, pycares.Channel(timeout=self._timeout, **kwargs)
            except pycares.AresError as exc:
                tail = _FALLBACK_LINUX if sys.platform == "linux" else _FALLBACK_OTHER
                _LOGGER.warning(_FALLBACK_HEAD + tail, exc)
                if sys.platform == "win32" and not isinstance(
                    self.loop, asyncio.SelectorEventLoop
                ):
                    try:
                        import winloop
                    except ModuleNotFoundError as import_exc:
                        raise RuntimeError(WINDOWS_SELECTOR_ERR_MSG) from import_exc
                    if not isinstance(self.loop, winloop.Loop):
                        raise RuntimeError(WINDOWS_SELECTOR_ERR_MSG) from exc

        def sock_state_cb_wrapper(fd: int, readable: int, writable: int) -> None:
            driver = weak_driver()
            if driver is not None:
                driver.sock_state_cb(fd, readable, writable)

        return False, pycares.Channel(
            sock_state_cb=sock_state_cb_wrapper, timeout=self._timeout, **kwargs
        )

    # -- the driver's state, where aiodns keeps it ----------------------------------

    @property
    def _closed(self) -> bool:
        return self._driver.closed

    @_closed.setter
    def _closed(self, closed: bool) -> None:  # aiodns's tests set it
        self._driver.closed = closed

    @property
    def _timer(self) -> Optional[asyncio.Handle]:
        return self._driver.timer

    @_timer.setter
    def _timer(self, timer: Optional[asyncio.Handle]) -> None:  # aiodns's tests set it
        self._driver.timer = timer

    @property
    def _read_fds(self) -> Set[int]:
        return self._driver.read_fds

    @property
    def _write_fds(self) -> Set[int]:
        return self._driver.write_fds

    # -- properties ----------------------------------------------------------------

    @property
    def nameservers(self) -> List[str]:
        """The servers in use, without their ports (``['127.0.0.1']``; ``['']`` if none)."""
        if self._closed:
            raise _closed_error()
        return [server.rsplit(":", 1)[0] for server in self._channel.servers]

    @nameservers.setter
    def nameservers(self, value: Iterable[str]) -> None:
        if self._closed:
            raise _closed_error()
        self._channel.servers = value

    # -- completions (on the loop thread) ------------------------------------------

    def _bind(self, handler: Callable[..., None], *args: Any) -> _Callback:
        """The binding's ``cb(result, errno)`` for ``handler(*args, result, errno)``."""
        if self._event_thread:
            return functools.partial(self._driver.post, handler, *args)
        return functools.partial(handler, *args)

    def _get_future_callback(self) -> Tuple[asyncio.Future[Any], _Callback]:
        future = self.loop.create_future()
        return future, self._bind(self._callback, future)

    def _get_query_future_callback(self, qtype: int) -> Tuple[asyncio.Future[Any], _Callback]:
        future = self.loop.create_future()
        return future, self._bind(self._query_callback, future, qtype)

    _callback = staticmethod(complete)

    @staticmethod
    def _query_callback(
        fut: asyncio.Future[Any], qtype: int, result: Any, errorno: Optional[int]
    ) -> None:
        if settled_without_result(fut, errorno):
            return
        from .compat import convert_result

        try:
            converted = convert_result(result, qtype)
        except DNSError as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(converted)

    @staticmethod
    def _gethostbyname_callback(
        fut: asyncio.Future[Any], host: str, result: Any, errorno: Optional[int]
    ) -> None:
        if settled_without_result(fut, errorno):
            return
        from .compat import AresHostResult

        name = result.cnames[0].name if result.cnames else host
        addresses = [node.addr[0].decode() for node in result.nodes]
        fut.set_result(AresHostResult(name=name, aliases=[], addresses=addresses))

    @staticmethod
    def _reject(fut: asyncio.Future[Any], exc: BaseException) -> None:
        # The binding reports a refused submission twice (callback, then AresError);
        # whichever arrives first completes the future.
        if not fut.done():
            status = exc.args[0] if exc.args else None
            if not isinstance(status, int):  # e.g. the message-only construction error
                status = error.ARES_EFORMERR
            fut.set_exception(dns_error(status))

    # -- lookups -------------------------------------------------------------------

    def query_dns(
        self, host: str, qtype: str, qclass: Optional[str] = None
    ) -> "asyncio.Future[pycares.DNSResult]":
        """Look up ``host``'s records of type ``qtype``; the future gets a ``DNSResult``.

        ``qtype``: any type name the binding supports, in any case ('A', 'aaaa', 'MX',
        'TXT', 'SRV', 'HTTPS', 'TLSA', 'URI', 'ANY', ...); ``qclass``: 'IN' (default),
        'CHAOS', 'HS', 'NONE' or 'ANY'.  Unknown names raise ValueError at once; DNS
        failures set ``DNSError(status, message)`` on the future.
        """
        try:
            code = _QUERY_TYPES[qtype]
        except (KeyError, TypeError):
            code = _qtype_code(qtype)
        driver = self._driver
        if driver.closed:
            raise _closed_error()
        fut = self.loop.create_future()
        qclass_code = 1 if qclass is None else _qclass_code(qclass)
        try:
            if self._event_thread:
                self._channel.query(
                    host, code, query_class=qclass_code, callback=self._bind(self._callback, fut)
                )
            else:
                query_wire(
                    self._channel, host, code, qclass_code,
                    functools.partial(driver.answer_callback, fut),
                )
        except pycares.AresError as exc:
            self._reject(fut, exc)
        driver.after_submit()
        return fut

    def query_message(
        self,
        host: str,
        qtype: Union[str, int],
        qclass: Optional[str] = None,
        *,
        recursion_desired: bool = True,
        checking_disabled: bool = False,
        dnssec_ok: bool = False,
    ) -> "asyncio.Future[DNSMessage]":
        """Like :meth:`query_dns`, but the future gets the whole ``DNSMessage`` (header
        bits, rcode, EDNS, raw rdata of other types): an extension, c-ares >= 1.28.

        ``qtype`` is a name as for :meth:`query_dns` or 'SVCB', or any type number (48:
        DNSKEY); the keywords are :meth:`ctypes_cares.Channel.query_message`'s.
        """
        if isinstance(qtype, int) and not isinstance(qtype, bool):
            code = qtype
        elif str(qtype).upper() == "SVCB":
            code = QUERY_TYPE_SVCB
        else:
            code = _qtype_code(qtype)
        if self._closed:
            raise _closed_error()
        fut, callback = self._get_future_callback()
        return self._submit(
            fut, "query_message", host, code,
            query_class=1 if qclass is None else _qclass_code(qclass),
            recursion_desired=recursion_desired, checking_disabled=checking_disabled,
            dnssec_ok=dnssec_ok, callback=callback,
        )

    def query(self, host: str, qtype: str, qclass: Optional[str] = None) -> "asyncio.Future[Any]":
        """Deprecated: like :meth:`query_dns`, but with pycares-4 shaped results.

        A, AAAA, MX, NS, TXT, SRV, NAPTR, CAA give a list, CNAME, SOA, PTR one object
        (see :mod:`ctypes_cares.aio.compat`); no record of the asked type gives
        ``DNSError(ARES_ENODATA)``.
        """
        warnings.warn(
            "query() is deprecated, use query_dns() instead", DeprecationWarning, stacklevel=2
        )
        try:
            code = _QUERY_TYPES[qtype]
        except (KeyError, TypeError):
            code = _qtype_code(qtype)
        qclass_code = None if qclass is None else _qclass_code(qclass)
        if self._closed:
            raise _closed_error()
        fut, callback = self._get_query_future_callback(code)
        if qclass_code is None:
            return self._submit(fut, "query", host, code, callback=callback)
        return self._submit(fut, "query", host, code, query_class=qclass_code, callback=callback)

    def gethostbyname(
        self, host: str, family: socket.AddressFamily
    ) -> "asyncio.Future[AresHostResult]":
        """Deprecated: addresses of ``host`` for ``family`` as an ``AresHostResult``.

        ``name`` is the target of the first CNAME (or ``host``), ``aliases`` is ``[]``.
        """
        warnings.warn(
            "gethostbyname() is deprecated, use getaddrinfo() instead",
            DeprecationWarning,
            stacklevel=2,
        )
        if self._closed:
            raise _closed_error()
        fut = self.loop.create_future()
        callback = self._bind(self._gethostbyname_callback, fut, host)
        return self._submit(fut, "getaddrinfo", host, None, family=family, callback=callback)

    def getaddrinfo(
        self,
        host: str,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        port: Optional[int] = None,
        proto: int = 0,
        type: int = 0,
        flags: int = 0,
    ) -> "asyncio.Future[pycares.AddrInfoResult]":
        """getaddrinfo(3) through c-ares; the future gets an ``AddrInfoResult``.

        ``flags`` are c-ares ``ARES_AI_*`` values; node addresses are bytes
        (``node.addr == (b'10.0.0.1', port)``).
        """
        if self._closed:
            raise _closed_error()
        fut, callback = self._get_future_callback()
        return self._submit(fut, "getaddrinfo", host, port, family=family, type=type,
                            proto=proto, flags=flags, callback=callback)

    def getnameinfo(
        self, sockaddr: Any, flags: int = 0
    ) -> "asyncio.Future[pycares.NameInfoResult]":
        """getnameinfo(3): ``sockaddr`` is ``(ip, port)`` or ``(ip6, port, flow, scope)``."""
        if self._closed:
            raise _closed_error()
        fut, callback = self._get_future_callback()
        return self._submit(fut, "getnameinfo", sockaddr, flags, callback=callback)

    def gethostbyaddr(self, name: str) -> "asyncio.Future[pycares.HostResult]":
        """Reverse lookup of an IPv4/IPv6 address; ValueError at once for a bad one."""
        if self._closed:
            raise _closed_error()
        fut, callback = self._get_future_callback()
        return self._submit(fut, "gethostbyaddr", name, callback=callback)

    def _submit(
        self, fut: asyncio.Future[Any], method: str, *args: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        """Call a channel method for ``fut``; a synchronous AresError lands on ``fut``."""
        try:
            getattr(self._channel, method)(*args, **kwargs)
        except pycares.AresError as exc:
            self._reject(fut, exc)
        self._driver.after_submit()
        return fut

    # -- control and lifetime ------------------------------------------------------

    def cancel(self) -> None:
        """Abort every lookup in flight: their futures get ``DNSError(ARES_ECANCELLED)``.

        A no-op on a closed resolver (close() already cancelled everything).
        """
        if self._closed:
            return
        self._channel.cancel()

    async def close(self) -> None:
        """Cancel what is in flight, stop watching sockets, release the channel.

        Idempotent.  Afterwards every lookup raises ``DNSError(ARES_EDESTRUCTION, ...)``
        (a :class:`~ctypes_cares.aio.error.ResolverClosedError`).
        """
        if not self._closed:
            try:
                if self._driver.in_own_process():  # (a forked child has nothing to cancel)
                    self._channel.cancel()
            finally:
                self._cleanup()

    def _cleanup(self) -> None:
        """Stop watching sockets, drop the timer, hand the channel to the binding."""
        self._driver.close()

    async def __aenter__(self) -> "DNSResolver":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self.close()

    # No __del__: LoopDriver.__del__ releases the channel once neither the resolver nor
    # anything in flight (loop callbacks, request callbacks) holds the driver.

