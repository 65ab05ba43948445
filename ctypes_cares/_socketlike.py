"""``socket.getaddrinfo`` and ``socket.getnameinfo`` semantics on top of c-ares.

The trio hostname resolver and ``ctypes_cares.aio.install`` promise results shaped
exactly like the socket module's and ``socket.gaierror`` for failures.  This module is
that promise, independent of any event loop: each lookup is *planned* (arguments checked
by the socket module itself, numeric hosts answered at once, no DNS), then the name is
resolved by c-ares, then the answer is *finished* into the socket module's shape.

What the socket module does for us, never touching DNS:

* numeric hosts (``AI_NUMERICHOST`` lookups), a ``None`` host (``AI_PASSIVE``), the
  ``localhost`` name (answered as the system answers it, from the hosts file: c-ares
  adds the loopback address of a family the hosts file does not list, RFC 6761, which
  would change the address a connection tries first);
* checking family, socket type, protocol, flags and the service before any query;
* service names, and the (type, protocol) rows of each address, by expanding every
  address c-ares found with ``AI_NUMERICHOST``, in c-ares's order (RFC 6724 sorted).
"""

from __future__ import annotations

import _socket
import ctypes
import functools
import operator
import socket
import sys
from typing import Any, List, NamedTuple, Optional, Tuple, Union

from . import errno as _errno
from .constants import ARES_NI_LOOKUPHOST, ARES_NI_NAMEREQD, ARES_NI_NOFQDN

# c-ares's own getaddrinfo hint flags (ares.h; pycares 5 exports none of them).
ARES_AI_CANONNAME = 1 << 0
ARES_AI_V4MAPPED = 1 << 4
ARES_AI_ALL = 1 << 5
ARES_AI_ADDRCONFIG = 1 << 6

AddrInfo = Tuple[Any, ...]  # (family, type, proto, canonname, sockaddr)
NameInfo = Tuple[str, str]

_LOCALHOST = frozenset(("localhost", "localhost."))

# The socket module's flags as plain ints: AI_*/NI_* are IntFlag members there, and
# every & or | on them builds a new enum object (several microseconds per lookup).
AI_NUMERICHOST = int(socket.AI_NUMERICHOST)
AI_NUMERICSERV = int(socket.AI_NUMERICSERV)
AI_CANONNAME = int(socket.AI_CANONNAME)
NI_NUMERICHOST = int(socket.NI_NUMERICHOST)
NI_NUMERICSERV = int(socket.NI_NUMERICSERV)
NI_DGRAM = int(socket.NI_DGRAM)
NI_NAMEREQD = int(socket.NI_NAMEREQD)
NI_NOFQDN = int(socket.NI_NOFQDN)
_FAMILIES_FOR_DNS = (int(socket.AF_UNSPEC), int(socket.AF_INET), int(socket.AF_INET6))
_AF_INET6 = int(socket.AF_INET6)

# Flags that name no DNS behaviour c-ares must know about are left to the socket module.
_PASSED_TO_CARES = (
    (int(socket.AI_V4MAPPED), ARES_AI_V4MAPPED),
    (int(socket.AI_ALL), ARES_AI_ALL),
    (int(socket.AI_ADDRCONFIG), ARES_AI_ADDRCONFIG),
)

# c-ares statuses as getaddrinfo(3) reports them: a missing name, a transient failure
# (try again), or a permanent one.  Anything else is EAI_FAIL.
_EAI_NODATA: int = getattr(socket, "EAI_NODATA", socket.EAI_NONAME)
_EAI_OF_STATUS = {
    _errno.ARES_ENOTFOUND: socket.EAI_NONAME,
    _errno.ARES_EBADNAME: socket.EAI_NONAME,
    _errno.ARES_ENODATA: _EAI_NODATA,
    _errno.ARES_ETIMEOUT: socket.EAI_AGAIN,
    _errno.ARES_ECONNREFUSED: socket.EAI_AGAIN,
    _errno.ARES_ESERVFAIL: socket.EAI_AGAIN,
    _errno.ARES_EREFUSED: socket.EAI_AGAIN,
    _errno._ARES_ENOSERVER: socket.EAI_AGAIN,
    _errno.ARES_EBADFAMILY: socket.EAI_FAMILY,
    _errno.ARES_EBADFLAGS: socket.EAI_BADFLAGS,
    _errno.ARES_ESERVICE: socket.EAI_SERVICE,
    _errno.ARES_ENOMEM: socket.EAI_MEMORY,
}

# What getaddrinfo(3) says for each code where libc cannot be asked (Windows).
_FALLBACK_MESSAGES = {
    socket.EAI_NONAME: "Name or service not known",
    _EAI_NODATA: "No address associated with hostname",
    socket.EAI_AGAIN: "Temporary failure in name resolution",
    socket.EAI_FAIL: "Non-recoverable failure in name resolution",
    socket.EAI_FAMILY: "ai_family not supported",
    socket.EAI_BADFLAGS: "Bad value for ai_flags",
    socket.EAI_SERVICE: "Servname not supported for ai_socktype",
    socket.EAI_MEMORY: "Memory allocation failure",
}


def _system_getaddrinfo(
    host: Any, port: Any, family: int, type: int, proto: int, flags: int
) -> List[AddrInfo]:
    rows: List[AddrInfo] = []
    rows.extend(socket.getaddrinfo(host, port, family, type, proto, flags))
    return rows


@functools.lru_cache(maxsize=None)
def _libc_gai_strerror() -> Any:
    """libc's gai_strerror (looked up on first use), or None where it cannot be called."""
    if sys.platform == "win32":
        return None
    try:
        function = ctypes.CDLL(None).gai_strerror
    except (OSError, AttributeError):  # pragma: no cover - every POSIX libc has it
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_char_p
    return function


def gaierror(code: int) -> socket.gaierror:
    """``socket.gaierror(code, message)`` with the platform's own message."""
    message: Optional[str] = None
    gai_strerror = _libc_gai_strerror()
    if gai_strerror is not None:
        raw = gai_strerror(code)
        message = raw.decode("utf-8", "replace") if raw else None
    if not message:
        message = _FALLBACK_MESSAGES.get(code, f"getaddrinfo error {code}")
    return socket.gaierror(code, message)


def error_of_status(status: int) -> socket.gaierror:
    """The ``socket.gaierror`` a lookup that ended with c-ares ``status`` raises."""
    return gaierror(_EAI_OF_STATUS.get(status, socket.EAI_FAIL))


# -- getaddrinfo -------------------------------------------------------------------------


class AddrInfoPlan(NamedTuple):
    """A lookup that needs DNS: what to ask c-ares, and what to finish with."""

    name: Union[str, bytes]  # for c-ares
    port: Any  # as the caller gave it (the socket module resolves services)
    family: int
    type: int
    proto: int
    flags: int
    cares_flags: int


def _is_localhost(host: Union[str, bytes]) -> bool:
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    return text.lower() in _LOCALHOST


def plan_getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> Union[List[AddrInfo], AddrInfoPlan]:
    """The socket module's answer where no DNS is needed, else the plan for c-ares.

    Raises what ``socket.getaddrinfo`` raises for the same bad arguments.
    """
    if host is None or isinstance(host, (bytes, bytearray)) and not host:
        return _system_getaddrinfo(None, port, family, type, proto, flags)
    if isinstance(host, bytearray):
        host = bytes(host)
    if not isinstance(host, (str, bytes)):
        raise TypeError(f"getaddrinfo() argument 1 must be string or None, not {host!r}")
    flags = operator.index(flags)
    numeric_candidate = isinstance(host, bytes) or host.isascii()
    if numeric_candidate:
        try:  # (_socket's: rows of plain ints, which we only look at on success)
            # (bytes: a str host would go through Python's idna codec, ~4 us)
            probe = host if isinstance(host, bytes) else host.encode("ascii")
            _socket.getaddrinfo(probe, port, family, type, proto, flags | AI_NUMERICHOST)
        except socket.gaierror as exc:
            if exc.errno != socket.EAI_NONAME or flags & AI_NUMERICHOST:
                raise
        else:
            return _system_getaddrinfo(host, port, family, type, proto, flags | AI_NUMERICHOST)
        if _is_localhost(host):
            return _system_getaddrinfo(host, port, family, type, proto, flags)
    elif flags & AI_NUMERICHOST:
        raise gaierror(socket.EAI_NONAME)
    # Family, type, protocol, flags and service are checked the way the socket module
    # checks them, before anything is sent (a None host never reaches DNS).
    _socket.getaddrinfo(
        None, 0 if port is None else port, family, type, proto, flags & ~AI_CANONNAME
    )
    if family not in _FAMILIES_FOR_DNS:
        raise gaierror(socket.EAI_FAMILY)
    cares_flags = ARES_AI_CANONNAME if flags & AI_CANONNAME else 0
    for system_flag, cares_flag in _PASSED_TO_CARES:
        if flags & system_flag:
            cares_flags |= cares_flag
    return AddrInfoPlan(host, port, family, type, proto, flags, cares_flags)


def _canonical_name(name: str, result: Any) -> str:
    """Follow the CNAME chain c-ares reported from ``name`` to its end."""
    targets = {cname.alias.lower(): cname.name for cname in result.cnames}
    seen = set()
    while name.lower() in targets and name.lower() not in seen:
        seen.add(name.lower())
        name = targets[name.lower()]
    return name


def finish_getaddrinfo(plan: AddrInfoPlan, result: Any, status: Optional[int]) -> List[AddrInfo]:
    """``socket.getaddrinfo``'s list for c-ares's answer to ``plan`` (or its gaierror)."""
    if status is not None:
        raise error_of_status(status)
    rows: List[AddrInfo] = []
    expand_flags = AI_NUMERICHOST | (plan.flags & AI_NUMERICSERV)
    for node in result.nodes:
        address: bytes = node.addr[0]  # bytes: no idna codec on the way in
        if node.family == _AF_INET6 and node.addr[3]:
            address += b"%" + str(node.addr[3]).encode("ascii")
        rows += _system_getaddrinfo(
            address, plan.port, node.family, plan.type, plan.proto, expand_flags
        )
    if not rows:
        raise gaierror(_EAI_NODATA)
    if plan.flags & AI_CANONNAME:
        name = plan.name.decode("ascii", "replace") if isinstance(plan.name, bytes) else plan.name
        family, kind, proto, _, sockaddr = rows[0]
        rows[0] = (family, kind, proto, _canonical_name(name, result), sockaddr)
    return rows


# -- getnameinfo -------------------------------------------------------------------------


class NameInfoPlan(NamedTuple):
    """A reverse lookup for c-ares, and the numeric answer to fall back on."""

    sockaddr: Tuple[Any, ...]  # numeric, for c-ares
    cares_flags: int
    numeric_host: str
    service: str
    name_required: bool


def plan_getnameinfo(sockaddr: Any, flags: int) -> Union[NameInfo, NameInfoPlan]:
    """The answer where no DNS is needed (``NI_NUMERICHOST``), else the plan for c-ares.

    Raises what ``socket.getnameinfo`` raises for the same bad arguments (a host that
    is not numeric included).
    """
    flags = operator.index(flags)
    numeric_host, _ = socket.getnameinfo(sockaddr, NI_NUMERICHOST | NI_NUMERICSERV)
    _, service = socket.getnameinfo(sockaddr, NI_NUMERICHOST | (flags & (NI_NUMERICSERV | NI_DGRAM)))
    if flags & NI_NUMERICHOST:
        return numeric_host, service
    address = numeric_host.split("%", 1)[0]
    if len(sockaddr) == 2 and ":" not in address:
        for_cares: Tuple[Any, ...] = (address, 0)
    else:
        scope = sockaddr[3] if len(sockaddr) > 3 else 0
        flowinfo = sockaddr[2] if len(sockaddr) > 2 else 0
        for_cares = (address, 0, flowinfo, scope)
    cares_flags = ARES_NI_LOOKUPHOST | ARES_NI_NAMEREQD
    if flags & NI_NOFQDN:
        cares_flags |= ARES_NI_NOFQDN
    return NameInfoPlan(
        for_cares, cares_flags, numeric_host, service, bool(flags & NI_NAMEREQD)
    )


def finish_getnameinfo(plan: NameInfoPlan, result: Any, status: Optional[int]) -> NameInfo:
    """``socket.getnameinfo``'s pair for c-ares's answer to ``plan`` (or its gaierror):
    the numeric host when no name was found, unless ``NI_NAMEREQD`` was asked."""
    if status is None and result is not None and result.node:
        return result.node, plan.service
    if not plan.name_required:
        return plan.numeric_host, plan.service
    if status is not None and _EAI_OF_STATUS.get(status) == socket.EAI_AGAIN:
        raise gaierror(socket.EAI_AGAIN)
    raise gaierror(socket.EAI_NONAME)
