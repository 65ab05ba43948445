"""The Channel: the pycares-compatible resolver object on top of one ``ares_channel_t``.

How a request travels:

* the method validates its arguments in Python, takes a request id, records
  ``_handle_to_channel[id] = channel`` and ``channel._pending[id] = callback`` (both
  BEFORE the submit: c-ares may call back inside the submit call), and makes one
  ctypes call with the id as ``void *arg``;
* c-ares calls one of the thunks of ``_routing`` (created once, never freed), which
  completes the request exactly once and hands the result to ``Channel._deliver``; that
  runs the user's callback and then drops the pending entry.

The C side only ever holds integers.  What must outlive the Python object (the C
pointer, the sock_state_cb target) lives in a small ``_core.Core`` that the destroyer
thread takes over when the channel is closed or collected.
"""

from __future__ import annotations

import ctypes
import math
import socket
import threading
import time
from ctypes import addressof, byref
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import _background, _lib
from ._lib import caps, copy_bytes, lib
from ._convert import (
    add_string_options,
    build_options,
    c_string,
    check_c_int,
    check_int,
    parse_ip,
    servers_from_nodes,
    sockaddr_for,
)
from ._core import DESTROYED, Core, destroyer, live_cores, next_token, report, sock_state_targets
from . import _routing
from ._routing import (
    ADDRINFO_THUNK,
    DNSREC_THUNK,
    DNSREC_WIRE_THUNK,
    HOST_THUNK,
    NAMEINFO_THUNK,
    SOCK_STATE_THUNK,
    _handle_to_channel,
    _next_request_id,
    finish,
    legacy_submit,
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

QUERY_TYPES = (1, 28, 255, 257, 5, 65, 15, 35, 2, 12, 6, 33, 52, 16, 256)
QUERY_CLASSES = (1, 3, 4, 254, 255)
_ARES_FLAG_NORECURSE = 8


class AresError(Exception):
    """A c-ares failure: ``AresError(status, message)`` (construction: one message)."""


def _raise_status(status: int) -> None:
    raise AresError(status, strerror(status))


#: Before 1.34.9, ares_cancel called from inside one of the channel's own callbacks frees
#: queries the outer c-ares call is still walking (a double free with 1.17 and 1.18).
#: There, cancel() from a callback is handed to a short-lived thread, which cancels as
#: soon as the c-ares call running the callback has returned.
_CANCEL_REENTRANT = caps.version >= (1, 34, 9)
#: ``.cores``: the cores whose request callback is running on this thread (innermost last).
_delivering = threading.local()


# --------------------------------------------------------------------------------------


def _check_callable(callback: Any) -> None:
    if not callable(callback):
        raise TypeError("a callable is required")


def _c_name(name: bytes) -> Any:
    """A name for c-ares: it reads a C string, so an embedded NUL would silently cut it."""
    if b"\x00" in name:
        raise _Rejected(ARES_EBADNAME)
    return name


class _Rejected(Exception):
    """A submission refused before reaching c-ares, reported the way c-ares reports one."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


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
    ) -> None:
        self._core: Optional[Core] = None
        self._pending: Dict[int, Callback] = {}
        self._waiting = 0
        self._wait_cv = threading.Condition(threading.Lock())
        self._flags = 0 if flags is None else flags

        options, optmask, keep = build_options(
            flags=flags,
            timeout=timeout,
            tries=tries,
            ndots=ndots,
            tcp_port=tcp_port,
            udp_port=udp_port,
            socket_send_buffer_size=socket_send_buffer_size,
            socket_receive_buffer_size=socket_receive_buffer_size,
        )
        token = next_token()
        if sock_state_cb and not callable(sock_state_cb):
            raise TypeError("sock_state_cb is not callable")
        # Default channels are driven by our one background thread (``_background``),
        # through the same sock_state_cb route; c-ares's own event thread only where
        # the platform has no poll().
        driven = not sock_state_cb and _background.AVAILABLE
        if sock_state_cb or driven:
            options.sock_state_cb = SOCK_STATE_THUNK
            options.sock_state_cb_data = token
            optmask |= _lib.ARES_OPT_SOCK_STATE_CB
        elif caps.event_thread:
            options.evsys = _lib.ARES_EVSYS_DEFAULT
            optmask |= _lib.ARES_OPT_EVENT_THREAD
        else:  # pragma: no cover - no poll() and an old library: nothing can drive it
            _not_available("a Channel without sock_state_cb on this platform", "1.26.0")
        optmask |= add_string_options(
            options, keep, lookups=lookups, domains=domains, resolvconf_path=resolvconf_path
        )
        if rotate:
            optmask |= _lib.ARES_OPT_ROTATE

        ptr = _lib.channel_p()
        # `keep` holds every buffer the options point to until c-ares has copied them.
        status = lib.ares_init_options(byref(ptr), byref(options), optmask)
        del keep
        if status != ARES_SUCCESS or not ptr:
            raise AresError("Failed to initialize c-ares channel")
        serial = None if caps.threadsafe else threading.RLock()
        core = Core(ptr, sock_state_cb if sock_state_cb else None, token, serial)
        if sock_state_cb or driven:
            sock_state_targets[token] = core
        if driven:
            try:
                _background.driver.add(core)
            except BaseException:  # shutting down: free the C channel now, not never
                core.destroy()
                raise
        live_cores.add(core)
        self._core = core
        destroyer.start()

        if servers:
            self.servers = servers  # type: ignore[assignment]
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

    def __del__(self) -> None:
        core = self.__dict__.get("_core")
        if core is not None and not _routing._finalizing:
            core.close()

    def _enter(self) -> Any:
        core = self._core
        if core is None:
            raise RuntimeError(DESTROYED)
        return core.enter()

    def _leave(self) -> None:
        self._core.leave()  # type: ignore[union-attr]

    # -- request plumbing ----------------------------------------------------------

    def _register(self, callback: Callback) -> int:
        request_id = _next_request_id()
        self._pending[request_id] = callback
        _handle_to_channel[request_id] = self
        return request_id

    def _unregister(self, request_id: int) -> bool:
        """Forget a request that will never be called back; False if it already was."""
        if _handle_to_channel.pop(request_id, None) is None:
            return False
        self._pending.pop(request_id, None)
        return True

    def _deliver(self, request_id: int, result: Any, status: int) -> None:
        callback = self._pending.get(request_id)
        # Only old libraries need to know which channel's callback is running (cancel()).
        delivering = None if _CANCEL_REENTRANT else _delivering.__dict__.setdefault("cores", [])
        if delivering is not None:
            delivering.append(self._core)
        try:
            if callback is not None:
                if status == ARES_SUCCESS:
                    callback(result, None)
                else:
                    callback(None, status)
        except BaseException as exc:
            report(exc, f"DNS callback {callback!r}", callback)
        finally:
            if delivering is not None:
                delivering.pop()
            self._pending.pop(request_id, None)
            if self._waiting:
                with self._wait_cv:
                    self._wait_cv.notify_all()

    def _reject(self, request_id: int, status: int) -> None:
        """Report a refused submission: callback first, then AresError (like c-ares)."""
        finish(request_id, None, status)
        _raise_status(status)

    # -- queries -------------------------------------------------------------------

    def _check_query_args(self, query_type: Any, query_class: Any) -> None:
        if query_type not in QUERY_TYPES:
            raise ValueError("invalid query type specified")
        if query_class not in QUERY_CLASSES:
            raise ValueError("invalid query class specified")
        if not isinstance(query_type, int) or not isinstance(query_class, int):
            raise TypeError("query type and class must be integers")

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
        self._check_query_args(query_type, query_class)
        self._ask(name, query_type, query_class, callback, search=False)

    def _query_wire(
        self, name: Any, query_type: int, query_class: int, callback: Callback
    ) -> None:
        """:meth:`query` whose callback gets the answer undecoded: wire ``bytes`` for
        :func:`~ctypes_cares.records.parse_dns_response` (BadResponse means
        ARES_EBADRESP), or a DNSResult where only that could be had.

        For ctypes_cares.aio: answers that arrive in one burst are copied out compactly
        and decoded one slice per loop iteration, instead of all being alive at once.
        """
        self._check_query_args(query_type, query_class)
        self._ask(name, query_type, query_class, callback, search=False, wire=True)

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
        self._check_query_args(query_type, query_class)
        encoded = parse_name(name)  # before the closed check, as pycares does
        self._ask(encoded, query_type, query_class, callback, search=True)

    def _ask(
        self,
        name: Any,
        query_type: int,
        query_class: int,
        callback: Callback,
        search: bool,
        wire: bool = False,
    ) -> None:
        ptr = self._enter()
        try:
            request_id = self._register(callback)
            try:
                cname = _c_name(parse_name(name))
            except _Rejected as exc:
                self._reject(request_id, exc.status)
            except BaseException:
                self._unregister(request_id)
                raise
            if not caps.dnsrec:
                submit = lib.ares_search if search else lib.ares_query
                status = legacy_submit(submit, ptr, cname, query_class, query_type, request_id)
            elif search:
                status = self._search_dnsrec(ptr, cname, query_type, query_class, request_id)
            else:
                thunk = DNSREC_WIRE_THUNK if wire else DNSREC_THUNK
                status = lib.ares_query_dnsrec(
                    ptr, cname, query_class, query_type, thunk, request_id, None
                )
        finally:
            self._leave()
        if status != ARES_SUCCESS:
            self._unregister(request_id)
            _raise_status(status)

    def _search_dnsrec(
        self, ptr: Any, name: bytes, query_type: int, query_class: int, request_id: int
    ) -> int:
        flags = 0 if self._flags & _ARES_FLAG_NORECURSE else _lib.ARES_DNS_FLAG_RD
        record = _lib.dns_record_p()
        status = lib.ares_dns_record_create(
            byref(record), 0, flags, _lib.ARES_OPCODE_QUERY, _lib.ARES_RCODE_NOERROR
        )
        if status != ARES_SUCCESS:
            finish(request_id, None, status)
            return int(status)
        try:
            status = lib.ares_dns_record_query_add(record, name, query_type, query_class)
            if status != ARES_SUCCESS:
                finish(request_id, None, status)
                return int(status)
            return int(lib.ares_search_dnsrec(ptr, record, DNSREC_THUNK, request_id))
        finally:
            lib.ares_dns_record_destroy(record)

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
        hints = _lib.ares_addrinfo_hints(
            check_c_int(flags, "flags"),
            check_c_int(family, "family"),
            check_c_int(type, "type"),
            check_c_int(proto, "proto"),
        )
        ptr = self._enter()
        try:
            request_id = self._register(callback)
            try:
                node = _c_name(parse_name(host))
                if service is not None and b"\x00" in service:
                    raise _Rejected(ARES_ESERVICE)
            except _Rejected as exc:
                finish(request_id, None, exc.status)
                return
            except BaseException:
                self._unregister(request_id)
                raise
            lib.ares_getaddrinfo(
                ptr,
                node,
                service,
                byref(hints),
                ADDRINFO_THUNK,
                request_id,
            )
        finally:
            self._leave()

    def gethostbyaddr(self, addr: Any, *, callback: Callback) -> None:
        """Reverse-resolve an IPv4/IPv6 address; the callback gets a HostResult."""
        _check_callable(callback)
        family, packed = parse_ip(addr)
        ptr = self._enter()
        try:
            request_id = self._register(callback)
            lib.ares_gethostbyaddr(
                ptr, packed, len(packed), family, HOST_THUNK, request_id
            )
        finally:
            self._leave()

    def getnameinfo(self, address: Any, flags: int, *, callback: Callback) -> None:
        """getnameinfo(3): ``address`` is ``(ip, port)`` or ``(ip, port, flowinfo, scope_id)``."""
        _check_callable(callback)
        flags = check_c_int(flags, "flags")
        sa = sockaddr_for(address)
        ptr = self._enter()
        try:
            request_id = self._register(callback)
            lib.ares_getnameinfo(
                ptr, addressof(sa), ctypes.sizeof(sa), flags, NAMEINFO_THUNK, request_id
            )
        finally:
            self._leave()

    # -- control -------------------------------------------------------------------

    def cancel(self) -> None:
        """Cancel every pending request: callbacks get ARES_ECANCELLED before this returns.

        (From inside one of this channel's callbacks on c-ares < 1.34.9, shortly after
        instead: see ``_CANCEL_REENTRANT``.)
        """
        core = self._core
        if not _CANCEL_REENTRANT and core in getattr(_delivering, "cores", ()):
            if core is None or core.closed:
                raise RuntimeError(DESTROYED)
            threading.Thread(target=self._cancel_later, name="ctypes_cares-cancel", daemon=True).start()
            return
        ptr = self._enter()
        try:
            lib.ares_cancel(ptr)
        finally:
            self._leave()

    def _cancel_later(self) -> None:
        """cancel() for a callback: runs once the c-ares call delivering it has returned."""
        try:
            ptr = self._enter()  # waits for that call (the serial lock or c-ares's own)
        except RuntimeError:
            return  # closed meanwhile: destruction cancels what is pending
        try:
            lib.ares_cancel(ptr)
        finally:
            self._leave()

    def reinit(self) -> None:
        """Re-read the system configuration (c-ares >= 1.22); AresError on failure."""
        ptr = self._enter()  # a closed channel says so first, whatever the library
        try:
            if not caps.reinit:
                _not_available("reinit()", "1.22.0")
            status = lib.ares_reinit(ptr)
        finally:
            self._leave()
        if status != ARES_SUCCESS:
            _raise_status(status)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until no request of this channel is pending; False if ``timeout`` ran out.

        Waits on the channel's own table of pending requests and holds no lock that a
        callback could need, so callbacks may submit new requests meanwhile.  A
        ``timeout`` of None (or a negative one) waits without limit.
        """
        core = self._core
        if core is None or core.closed:
            raise RuntimeError(DESTROYED)
        deadline = None
        if timeout is not None and timeout != timeout:  # NaN would mean "no limit" below
            raise ValueError("timeout must be a number, not NaN")
        # Negative, or too long for Condition.wait(): no limit.
        if timeout is not None and 0 <= timeout < threading.TIMEOUT_MAX:
            deadline = _monotonic() + timeout
        with self._wait_cv:
            self._waiting += 1
            try:
                while self._pending:
                    if deadline is None:
                        self._wait_cv.wait()
                    else:
                        remaining = deadline - _monotonic()
                        if remaining <= 0:
                            return False
                        self._wait_cv.wait(remaining)
            finally:
                self._waiting -= 1
        return True

    @property
    def servers(self) -> List[str]:
        """The servers as ``'ip:port'`` / ``'[ipv6]:port'`` strings (``['']`` when none)."""
        ptr = self._enter()
        try:
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
        finally:
            self._leave()

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
        ptr = self._enter()
        try:
            if b"\x00" in data:  # c-ares reads a C string: a NUL would cut the list short
                status = ARES_EBADSTR
            elif data:
                status = lib.ares_set_servers_ports_csv(ptr, data)
            else:  # c-ares < 1.20 ignores an empty CSV instead of clearing the list
                status = lib.ares_set_servers_ports(ptr, None)
        finally:
            self._leave()
        if status != ARES_SUCCESS:
            _raise_status(status)

    def set_local_ip(self, ip: Any) -> None:
        """Bind outgoing queries to a local IPv4 or IPv6 address."""
        ptr = self._enter()
        try:
            family, packed = parse_ip(ip)
            if family == socket.AF_INET:
                lib.ares_set_local_ip4(ptr, int.from_bytes(packed, "big"))
            else:
                lib.ares_set_local_ip6(ptr, packed)
        finally:
            self._leave()

    def set_local_dev(self, dev: Any) -> None:
        """Bind outgoing queries to a network device (not validated)."""
        name = c_string(ascii_bytes(dev))
        ptr = self._enter()
        try:
            lib.ares_set_local_dev(ptr, name)
        finally:
            self._leave()

    # -- sock_state_cb mode ------------------------------------------------------------

    def process_fd(self, read_fd: int, write_fd: int) -> None:
        """Process readiness of c-ares sockets (ARES_SOCKET_BAD for "none")."""
        read_fd = _check_socket(read_fd, "read_fd")
        write_fd = _check_socket(write_fd, "write_fd")
        ptr = self._enter()
        try:
            lib.ares_process_fd(ptr, read_fd, write_fd)
        finally:
            self._leave()

    def process_read_fd(self, read_fd: int) -> None:
        self.process_fd(read_fd, _lib.ARES_SOCKET_BAD)

    def process_write_fd(self, write_fd: int) -> None:
        self.process_fd(_lib.ARES_SOCKET_BAD, write_fd)

    def timeout(self, t: Optional[float] = None) -> float:
        """Seconds until c-ares next needs ``process_fd`` for timeouts, capped at ``t``.

        0.0 when nothing is pending and no ``t`` was given.
        """
        maxtv = None
        if t is not None:
            if not isinstance(t, (int, float)) or isinstance(t, bool):
                raise TypeError("timeout must be a number or None")
            if t < 0:
                raise ValueError("timeout needs to be a positive number or None")
            if math.isinf(t) or math.isnan(t):
                raise ValueError("timeout must be finite")
            seconds = int(math.floor(t))
            if ctypes.c_long(seconds).value != seconds:  # ctypes would silently wrap it
                raise OverflowError(f"timeout {t} is too large")
            maxtv = _lib.timeval(seconds, int(math.fmod(t, 1) * 1_000_000))
        tv = _lib.timeval()
        ptr = self._enter()
        try:
            ret = lib.ares_timeout(ptr, byref(maxtv) if maxtv is not None else None, byref(tv))
        finally:
            self._leave()
        if not ret:
            return 0.0
        chosen = maxtv if maxtv is not None and ret == addressof(maxtv) else tv
        return chosen.tv_sec + chosen.tv_usec / 1_000_000


# --------------------------------------------------------------------------------------
# Helpers for the methods above.

_monotonic = time.monotonic


def _check_socket(fd: Any, what: str) -> int:
    """A socket number that fits ``ares_socket_t`` (ctypes would silently truncate it)."""
    fd = check_int(fd, what)
    if _lib.ares_socket_t(fd).value != fd:
        raise OverflowError(f"{what}={fd} is not a valid socket number")
    return fd


def _not_available(what: str, version: str) -> None:
    raise AresError(
        ARES_ENOTIMP, f"{what} needs c-ares >= {version}; the loaded library is {caps.version_str}"
    )
