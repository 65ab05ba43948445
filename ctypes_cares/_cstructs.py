"""Building the C structures c-ares reads (``struct ares_options``, sockaddrs) from
checked Python values."""

from __future__ import annotations

import ctypes
import socket
import sys
from ctypes import c_char_p
from typing import Any, List, Optional, Tuple

from . import _cdefs
from ._args import c_string, check_c_int, check_port, check_u32, inet_pton, milliseconds
from .utils import ascii_bytes, maybe_str


def build_options(
    *,
    flags: Optional[int],
    timeout: Optional[float],
    tries: Optional[int],
    ndots: Optional[int],
    tcp_port: Optional[int],
    udp_port: Optional[int],
    socket_send_buffer_size: Optional[int],
    socket_receive_buffer_size: Optional[int],
) -> Tuple[Any, int, List[Any]]:
    """The numeric part of ``struct ares_options``: (options, optmask, keep-alive list).

    Options given as None are left to c-ares (pycares semantics); values are checked
    here so that nothing out of range is silently truncated by ctypes.
    """
    options = _cdefs.ares_options()
    optmask = 0
    if flags is not None:
        options.flags = check_c_int(flags, "flags")
        optmask |= _cdefs.ARES_OPT_FLAGS
    if timeout is not None:
        options.timeout = milliseconds(timeout, "timeout")
        optmask |= _cdefs.ARES_OPT_TIMEOUTMS
    if tries is not None:
        options.tries = check_c_int(tries, "tries")
        optmask |= _cdefs.ARES_OPT_TRIES
    if ndots is not None:
        options.ndots = check_c_int(ndots, "ndots")
        optmask |= _cdefs.ARES_OPT_NDOTS
    if tcp_port is not None:
        options.tcp_port = check_port(tcp_port)
        optmask |= _cdefs.ARES_OPT_TCP_PORT
    if udp_port is not None:
        options.udp_port = check_port(udp_port)
        optmask |= _cdefs.ARES_OPT_UDP_PORT
    if socket_send_buffer_size is not None:
        options.socket_send_buffer_size = check_c_int(socket_send_buffer_size, "socket_send_buffer_size")
        optmask |= _cdefs.ARES_OPT_SOCK_SNDBUF
    if socket_receive_buffer_size is not None:
        options.socket_receive_buffer_size = check_c_int(
            socket_receive_buffer_size, "socket_receive_buffer_size"
        )
        optmask |= _cdefs.ARES_OPT_SOCK_RCVBUF
    return options, optmask, []


def add_string_options(
    options: Any, keep: List[Any], *, lookups: Any, domains: Any, resolvconf_path: Any
) -> int:
    """Fill the string options; every buffer goes into ``keep``. Returns the optmask bits.

    Falsy ``lookups``/``domains`` are ignored, ``domains`` must support len() and a plain
    str is iterated per character (pycares semantics).
    """
    optmask = 0
    if lookups:
        lookups_buf = c_char_p(c_string(ascii_bytes(lookups)))
        keep.append(lookups_buf)
        options.lookups = lookups_buf.value
        optmask |= _cdefs.ARES_OPT_LOOKUPS
    if domains:
        if not hasattr(domains, "__len__"):  # the same message on every Python
            raise TypeError(f"object of type '{type(domains).__name__}' has no len()")
        count = len(domains)
        items = [c_string(ascii_bytes(d)) for d in domains]
        array = (c_char_p * max(count, 1))(*items)
        keep.append(array)
        options.domains = array
        options.ndomains = len(items)
        optmask |= _cdefs.ARES_OPT_DOMAINS
    if resolvconf_path is not None:
        options.resolvconf_path = c_path(resolvconf_path, keep)
        optmask |= _cdefs.ARES_OPT_RESOLVCONF
    return optmask


def c_path(path: Any, keep: List[Any]) -> Optional[bytes]:
    """A file path option as the C string c-ares reads; the buffer goes into ``keep``."""
    buf = c_char_p(c_string(ascii_bytes(path)))
    keep.append(buf)
    return buf.value


def sockaddr_for(address: Any) -> Any:
    if not isinstance(address, tuple) and not isinstance(address, list):
        if not hasattr(address, "__len__"):
            raise TypeError("address must be a tuple")
    if len(address) == 2:
        ip, port = address
        try:
            packed = inet_pton(socket.AF_INET, maybe_str(ip))
        except (OSError, TypeError, ValueError):
            raise ValueError(f"Invalid IPv4 address {ip!r}") from None
        sa = _cdefs.sockaddr_in()
        set_family(sa, "sin", socket.AF_INET)
        sa.sin_port = socket.htons(check_port(port))
        sa.sin_addr.s_addr = int.from_bytes(packed, sys.byteorder)
        return sa
    if len(address) == 4:
        ip, port, flowinfo, scope_id = address
        try:
            packed = inet_pton(socket.AF_INET6, maybe_str(ip))
        except (OSError, TypeError, ValueError):
            raise ValueError(f"Invalid IPv6 address {ip!r}") from None
        sa6 = _cdefs.sockaddr_in6()
        set_family(sa6, "sin6", socket.AF_INET6)
        sa6.sin6_port = socket.htons(check_port(port))
        sa6.sin6_flowinfo = socket.htonl(check_u32(flowinfo, "flowinfo"))
        sa6.sin6_addr._S6_u8[:] = list(packed)
        sa6.sin6_scope_id = check_u32(scope_id, "scope_id")
        return sa6
    raise ValueError("Invalid address argument")


def set_family(sa: Any, prefix: str, family: int) -> None:
    setattr(sa, f"{prefix}_family", family)
    if hasattr(sa, f"{prefix}_len"):
        setattr(sa, f"{prefix}_len", ctypes.sizeof(sa))
