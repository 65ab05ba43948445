"""The Channel: the pycares-compatible resolver object on top of one ``ares_channel_t``.

How a request travels:

* the method validates its arguments in Python, enters the core (``with core as
  ptr``: no c-ares call on a destroyed channel), files the request in the registry
  (``_requests.register``, BEFORE the submit: c-ares may call back inside the submit
  call), and makes one ctypes call with the request id as ``void *arg``;
* c-ares calls one of the thunks of ``_requests`` (created once, never freed), which
  takes the request from the registry exactly once, copies the result out of C memory
  and runs the user's callback (``_requests.deliver``).

The C side only ever holds integers.  What must outlive the Python object (the C
pointer, the sock_state_cb target) lives in a small ``_lifetime.Core`` that the destroyer
thread takes over when the channel is closed or collected.
"""

from __future__ import annotations

import ctypes
import socket
import threading
import time
from ctypes import addressof, byref, c_void_p
from typing import Any, Callable, Dict, Iterable, List, NoReturn, Optional

from . import _background, _cdefs, _lifetime, _requests, _settings
from ._args import (
    addrinfo_hints,
    c_name,
    c_string,
    check_c_int,
    check_socket,
    parse_ip,
    timeval_cap,
)
from ._lifetime import DESTROYED, REOPEN, Core, add_live_core, destroyer, next_token
from ._cstructs import sockaddr_for
from ._lib import caps, copy_bytes, lib, unchecked
from ._options import init_options
from ._requests import (
    ADDRINFO_THUNK,
    CANCEL_REENTRANT,
    DNSREC_THUNK,
    DNSREC_WIRE_THUNK,
    HOST_THUNK,
    NAMEINFO_THUNK,
    SERVER_STATE_THUNK,
    InFlight,
    complete,
    delivering_on_this_thread,
    forget,
    legacy_submit,
    register,
)
from ._results import servers_from_nodes
from .message import build_query, check_code, send as send_message
from .constants import (
    ARES_FLAG_NORECURSE,
    DNS_FLAG_RD,
    EDNS_PACKET_SIZE_DEFAULT,
    QUERY_CLASSES,
    QUERY_TYPES,
)
from .errno import (
    ARES_EBADNAME,
    ARES_EBADSTR,
    ARES_ENOMEM,
    ARES_ENOTIMP,
    ARES_ESERVICE,
    ARES_SUCCESS,
    strerror,
)
from .utils import ascii_bytes, parse_name

__all__ = ["AresError", "Channel"]

Callback = Callable[[Any, Optional[int]], Any]



class AresError(Exception):
    """A c-ares failure: ``AresError(status, message)`` (construction: one message)."""


def _raise_status(status: int) -> NoReturn:
    raise AresError(status, strerror(status))


# --------------------------------------------------------------------------------------


def _check_callable(callback: Any) -> None:
    if not callable(callback):
        raise TypeError("a callable is required")


def _check_query_args(query_type: Any, query_class: Any) -> None:
    if query_type not in QUERY_TYPES:
        raise ValueError("invalid query type specified")
    if query_class not in QUERY_CLASSES:
        raise ValueError("invalid query class specified")
    if not isinstance(query_type, int) or not isinstance(query_class, int):
        raise TypeError("query type and class must be integers")


class Channel:
    """A c-ares resolver channel with the pycares 5.2.1 interface.

    All arguments are keyword-only.  Without ``sock_state_cb`` the channel resolves on
    its own and callbacks run on a background thread: the package's one driver thread
    for all default channels (``_background``; c-ares's event thread where the platform
    has no poll()).  With ``sock_state_cb(fd, readable, writable)`` the
    caller watches the sockets and calls :meth:`process_fd`; callbacks then run inside
    ``process_fd``.  Completions that c-ares can answer at once (cache hits, hosts file,
    rejected submissions, :meth:`cancel`) run in the calling thread before the method
    returns.  Every request callback is called exactly once as ``callback(result, None)``
    or ``callback(None, status)``.
    """

    __qtypes__ = QUERY_TYPES
    __qclasses__ = QUERY_CLASSES

    def __init__(
        self,
        *,
        flags: Optional[int] = None,
        timeout: Optional[float] = None,
        tries: Optional[int] = None,
        ndots: Optional[int] = None,
        tcp_port: Optional[int] = None,
        udp_port: Optional[int] = None,
        servers: Optional[Iterable[Any]] = None,
        domains: Optional[Iterable[Any]] = None,
        lookups: Any = None,
        sock_state_cb: Optional[Callable[[int, int, int], Any]] = None,
        socket_send_buffer_size: Optional[int] = None,
        socket_receive_buffer_size: Optional[int] = None,
        rotate: bool = False,
        local_ip: Any = None,
        local_dev: Any = None,
        resolvconf_path: Any = None,
        qcache_max_ttl: Optional[int] = None,
        max_timeout: Optional[float] = None,
        udp_max_queries: Optional[int] = None,
        hosts_path: Any = None,
        edns_packet_size: Optional[int] = None,
        server_retry_chance: Optional[int] = None,
        server_retry_delay: Optional[float] = None,
        server_state_cb: Optional[Callable[[str, bool, int], Any]] = None,
    ) -> None:
        # What a forked child rebuilds the channel from (see _lifetime.Core._reopen).
        settings = {name: value for name, value in locals().items() if name != "self"}
        self._core: Optional[Core] = None
        self._edns_size = edns_packet_size or EDNS_PACKET_SIZE_DEFAULT  # for query_message
        self._in_flight = InFlight()
        self._flags = 0 if flags is None else flags

        token = next_token()
        # The arguments are checked as they are written into the C options.
        options, optmask, keep, driven = init_options(settings, token, _not_available)

        ptr = _cdefs.channel_p()
        # `keep` holds every buffer the options point to until c-ares has copied them.
        status = lib.ares_init_options(byref(ptr), byref(options), optmask)
        del keep
        if status != ARES_SUCCESS or not ptr:
            raise AresError("Failed to initialize c-ares channel")
        serial = None if caps.threadsafe else threading.RLock()
        _settings.watch_servers(ptr, token, settings, SERVER_STATE_THUNK)
        core = Core(ptr, sock_state_cb if sock_state_cb else None, token, serial)
        core.settings, core.in_flight, core.server_state_cb = settings, self._in_flight, server_state_cb
        add_live_core(core)
        if driven:
            try:
                _background.driver.add(core)
            except BaseException:  # shutting down: free the C channel now, not never
                core.destroy()
                raise
        self._core = core
        destroyer.start()

        if servers:
            self.servers = servers
        if local_ip:
            self.set_local_ip(local_ip)
        if local_dev:
            self.set_local_dev(local_dev)

    # -- lifetime ------------------------------------------------------------------

    @property
    def _channel(self) -> Any:
        """The C channel pointer while open, None once closed (pycares compatibility)."""
        core = self._core
        return core.ptr if core is not None and not core.closed else None

    def close(self) -> None:
        """Stop the channel: no new requests; pending ones are told ARES_ECANCELLED.

        Idempotent, callable from any thread and from inside a callback; returns at once.
        The C channel is cancelled and destroyed on a background thread.
        """
        core = self._core
        if core is not None:
            core.close()

    def __del__(self, _requests: Any = _requests) -> None:
        # (_requests bound as a default: module globals may be gone at interpreter exit.)
        core = self.__dict__.get("_core")
        if core is not None and not _requests._finalizing:
            core.close(collected=True)

    def _c(self) -> Core:
        """The core, for ``with self._c() as ptr:`` around a c-ares call."""
        core = self._core
        if core is None:
            raise RuntimeError(DESTROYED)
        return core

    # -- queries -------------------------------------------------------------------
    #
    # The submit methods are the hot path: no lock of ours beyond the core's, one
    # registry call, one ctypes call.

    def query(
        self,
        name: Any,
        query_type: int,
        *,
        query_class: int = 1,
        callback: Callback,
    ) -> None:
        """Send one DNS question (no search domains); callback gets a DNSResult."""
        _check_callable(callback)
        _check_query_args(query_type, query_class)
        self._ask(name, query_type, query_class, callback, DNSREC_THUNK)

    def search(
        self,
        name: Any,
        query_type: int,
        *,
        query_class: int = 1,
        callback: Callback,
    ) -> None:
        """Like :meth:`query`, but applies the search domains and ``ndots``."""
        _check_callable(callback)
        _check_query_args(query_type, query_class)
        encoded = parse_name(name)  # before the closed check, as pycares does
        self._ask(encoded, query_type, query_class, callback, None)

    def _ask(
        self, name: Any, query_type: int, query_class: int, callback: Callback, thunk: Any
    ) -> None:
        """Submit a query (``thunk``: its completion) or a search (``thunk`` None)."""
        core = self._c()
        ptr = core.enter()
        try:
            request_id = register(self, self._in_flight, callback)
            try:
                cname = c_name(name)
            except BaseException:
                forget(request_id)
                raise
            if cname is None:
                complete(request_id, None, ARES_EBADNAME)
                _raise_status(ARES_EBADNAME)
            if not caps.dnsrec:
                submit = lib.ares_query if thunk is not None else lib.ares_search
                status = legacy_submit(submit, ptr, cname, query_class, query_type, request_id)
            elif thunk is not None:
                # (Unchecked: a c_void_p for the id; the type and class are checked ints.)
                status = _query_dnsrec(
                    ptr, cname, query_class, query_type, thunk, c_void_p(request_id), None
                )
            else:
                status = self._search_dnsrec(ptr, cname, query_type, query_class, request_id)
        finally:
            core.leave()
        if status != ARES_SUCCESS:
            forget(request_id)
            _raise_status(status)

    def _search_dnsrec(
        self, ptr: Any, name: bytes, query_type: int, query_class: int, request_id: int
    ) -> int:
        flags = 0 if self._flags & ARES_FLAG_NORECURSE else DNS_FLAG_RD
        status, record = build_query(name, query_type, query_class, flags, None)
        if status != ARES_SUCCESS:
            complete(request_id, None, status)
            return status
        try:
            return int(lib.ares_search_dnsrec(ptr, record, DNSREC_THUNK, request_id))
        finally:
            lib.ares_dns_record_destroy(record)

    def query_message(
        self,
        name: Any,
        query_type: int,
        *,
        query_class: int = 1,
        recursion_desired: bool = True,
        checking_disabled: bool = False,
        dnssec_ok: bool = False,
        callback: Callback,
    ) -> None:
        """One question of any type (a number: 48 is DNSKEY) with these header bits and
        EDNS (``dnssec_ok``: DO); the callback gets a DNSMessage (docs/guide/migrating.md, "The whole message")."""
        _check_callable(callback)
        query_type, query_class = check_code(query_type, "query_type"), check_code(query_class, "query_class")
        if not caps.dnsrec:
            _not_available("query_message()", _settings.release_of("ares_send_dnsrec"))
        header = (recursion_desired, checking_disabled, dnssec_ok)
        with self._c() as ptr:
            status = send_message(self, ptr, name, query_type, query_class, header, callback)
        if status != ARES_SUCCESS:
            _raise_status(status)

    def getaddrinfo(
        self,
        host: Any,
        port: Any,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
        callback: Callback,
    ) -> None:
        """Resolve ``host`` (and the service ``port``) like getaddrinfo(3).

        ``flags`` are c-ares ``ARES_AI_*`` values.  The callback gets an AddrInfoResult;
        ``AddrInfoNode.addr[0]`` is the address as bytes (pycares compatibility).
        """
        _check_callable(callback)
        if port is None:
            service = None
        elif isinstance(port, int):
            service = str(port).encode("ascii")
        else:
            service = ascii_bytes(port)
        hints = addrinfo_hints(flags, family, type, proto)
        with self._c() as ptr:
            request_id = register(self, self._in_flight, callback)
            try:
                node = c_name(host)
            except BaseException:
                forget(request_id)
                raise
            if node is None:
                complete(request_id, None, ARES_EBADNAME)
            elif service is not None and b"\x00" in service:
                complete(request_id, None, ARES_ESERVICE)
            else:
                lib.ares_getaddrinfo(ptr, node, service, byref(hints), ADDRINFO_THUNK, request_id)

    def gethostbyaddr(self, addr: Any, *, callback: Callback) -> None:
        """Reverse-resolve an IPv4/IPv6 address; the callback gets a HostResult."""
        _check_callable(callback)
        family, packed = parse_ip(addr)
        with self._c() as ptr:
            request_id = register(self, self._in_flight, callback)
            lib.ares_gethostbyaddr(ptr, packed, len(packed), family, HOST_THUNK, request_id)

    def getnameinfo(self, address: Any, flags: int, *, callback: Callback) -> None:
        """getnameinfo(3): ``address`` is ``(ip, port)`` or ``(ip, port, flowinfo, scope_id)``."""
        _check_callable(callback)
        flags = check_c_int(flags, "flags")
        sa = sockaddr_for(address)
        with self._c() as ptr:
            request_id = register(self, self._in_flight, callback)
            lib.ares_getnameinfo(
                ptr, addressof(sa), ctypes.sizeof(sa), flags, NAMEINFO_THUNK, request_id
            )

    # -- control -------------------------------------------------------------------

    def cancel(self) -> None:
        """Cancel every pending request: callbacks get ARES_ECANCELLED before this returns.

        (From inside one of this channel's callbacks on c-ares < 1.34.9, shortly after
        instead: see ``_requests.CANCEL_REENTRANT``.)
        """
        core = self._core
        if not CANCEL_REENTRANT and delivering_on_this_thread(core):
            if core is None or core.closed:
                raise RuntimeError(DESTROYED)
            threading.Thread(target=self._cancel_later, name="ctypes_cares-cancel", daemon=True).start()
            return
        with self._c() as ptr:
            lib.ares_cancel(ptr)

    def _cancel_later(self) -> None:
        """cancel() for a callback: runs once the c-ares call delivering it has returned."""
        try:
            # Entering waits for that call (the serial lock or c-ares's own).
            with self._c() as ptr:
                lib.ares_cancel(ptr)
        except RuntimeError:
            pass  # closed meanwhile: destruction cancels what is pending

    def reinit(self) -> None:
        """Re-read the system configuration (c-ares >= 1.22); AresError on failure."""
        with self._c() as ptr:  # a closed channel says so first, whatever the library
            if not caps.reinit:
                _not_available("reinit()", "1.22.0")
            status = lib.ares_reinit(ptr)
        if status != ARES_SUCCESS:
            _raise_status(status)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until no request of this channel is pending; False if ``timeout`` ran out.

        Waits on the channel's own table of pending requests and holds no lock that a
        callback could need, so callbacks may submit new requests meanwhile.  A
        ``timeout`` of None (or a negative one) waits without limit.
        """
        core = self._core
        if core is None:
            raise RuntimeError(DESTROYED)
        if core.closed and core.after_fork != REOPEN:  # (nothing in flight in a child)
            raise core.closed_error()
        deadline = None
        if timeout is not None and timeout != timeout:  # NaN would mean "no limit" below
            raise ValueError("timeout must be a number, not NaN")
        # Negative, or too long for Condition.wait(): no limit.
        if timeout is not None and 0 <= timeout < threading.TIMEOUT_MAX:
            deadline = _monotonic() + timeout
        return self._in_flight.wait(deadline)

    @property
    def servers(self) -> List[str]:
        """The servers as ``'ip:port'`` / ``'[ipv6]:port'`` strings (``['']`` when none)."""
        with self._c() as ptr:
            if caps.servers_csv:
                raw = lib.ares_get_servers_csv(ptr)
                if not raw:
                    _raise_status(ARES_ENOMEM)
                try:
                    text = copy_bytes(raw).decode("ascii", "replace")
                finally:
                    lib.ares_free_string(raw)
                return [s.strip() for s in text.split(",")]
            status, servers = servers_from_nodes(ptr)
            if status != ARES_SUCCESS:
                _raise_status(status)
            return servers

    @servers.setter
    def servers(self, servers: Iterable[Any]) -> None:
        items = []
        for index, item in enumerate(servers):  # str.join's message, on every Python
            if isinstance(item, bytes):
                item = item.decode("ascii")
            elif not isinstance(item, str):
                raise TypeError(
                    f"sequence item {index}: expected str instance, {type(item).__name__} found"
                )
            items.append(item)
        csv = ",".join(items)
        data = csv.encode("ascii")
        with self._c() as ptr:
            if b"\x00" in data:  # c-ares reads a C string: a NUL would cut the list short
                status = ARES_EBADSTR
            elif data:
                status = lib.ares_set_servers_ports_csv(ptr, data)
            else:  # c-ares < 1.20 ignores an empty CSV instead of clearing the list
                status = lib.ares_set_servers_ports(ptr, None)
        if status != ARES_SUCCESS:
            _raise_status(status)
        self._remember("servers", items)

    def set_local_ip(self, ip: Any) -> None:
        """Bind outgoing queries to a local IPv4 or IPv6 address."""
        with self._c() as ptr:
            family, packed = parse_ip(ip)
            if family == socket.AF_INET:
                lib.ares_set_local_ip4(ptr, int.from_bytes(packed, "big"))
            else:
                lib.ares_set_local_ip6(ptr, packed)
        self._remember("local_ip", ip)

    def set_local_dev(self, dev: Any) -> None:
        """Bind outgoing queries to a network device (not validated)."""
        name = c_string(ascii_bytes(dev))
        with self._c() as ptr:
            lib.ares_set_local_dev(ptr, name)
        self._remember("local_dev", dev)

    def _remember(self, setting: str, value: Any) -> None:
        """A setting made after construction, for a forked child's rebuild."""
        core = self._core
        settings = core.settings if core is not None else None
        if settings is not None:
            settings[setting] = value

    # -- sock_state_cb mode ------------------------------------------------------------

    def process_fd(self, read_fd: int, write_fd: int) -> None:
        """Process readiness of c-ares sockets (ARES_SOCKET_BAD for "none")."""
        read_fd = check_socket(read_fd, "read_fd")
        write_fd = check_socket(write_fd, "write_fd")
        with self._c() as ptr:
            lib.ares_process_fd(ptr, read_fd, write_fd)

    def process_read_fd(self, read_fd: int) -> None:
        self.process_fd(read_fd, _cdefs.ARES_SOCKET_BAD)

    def process_write_fd(self, write_fd: int) -> None:
        self.process_fd(_cdefs.ARES_SOCKET_BAD, write_fd)

    def timeout(self, t: Optional[float] = None) -> float:
        """Seconds until c-ares next needs ``process_fd`` for timeouts, capped at ``t``.

        0.0 when nothing is pending and no ``t`` was given.
        """
        maxtv = timeval_cap(t)
        tv = _cdefs.timeval()
        with self._c() as ptr:
            ret = lib.ares_timeout(ptr, byref(maxtv) if maxtv is not None else None, byref(tv))
        if not ret:
            return 0.0
        chosen = maxtv if maxtv is not None and ret == addressof(maxtv) else tv
        return float(chosen.tv_sec + chosen.tv_usec / 1_000_000)


def _open_core(settings: Dict[str, Any]) -> Core:
    """A new C channel made exactly as ``Channel(**settings)`` makes one (in a forked
    child, for a channel made before the fork): its core, without the Channel."""
    fresh = Channel(**settings)
    core = fresh._core
    assert core is not None
    fresh._core = None  # the caller takes the core over; fresh.__del__ does nothing
    return core


_lifetime.open_core = _open_core


# --------------------------------------------------------------------------------------
# Helpers for the methods above.

_monotonic = time.monotonic
_query_dnsrec = unchecked(lib.ares_query_dnsrec)


def _not_available(what: str, version: str) -> None:
    raise AresError(
        ARES_ENOTIMP, f"{what} needs c-ares >= {version}; the loaded library is {caps.version_str}"
    )


def query_wire(
    channel: Channel, name: Any, query_type: int, query_class: int, callback: Callback
) -> None:
    """:meth:`Channel.query` whose callback gets the answer undecoded: wire ``bytes`` for
    :func:`~ctypes_cares.records.parse_dns_response` (BadResponse means ARES_EBADRESP),
    or a DNSResult where only that could be had.

    For ctypes_cares.aio: answers that arrive in one burst are copied out compactly and
    decoded one slice per loop iteration, instead of all being alive at once.
    """
    _check_query_args(query_type, query_class)
    channel._ask(name, query_type, query_class, callback, DNSREC_WIRE_THUNK)
