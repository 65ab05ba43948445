"""Reading and building the C structures the Channel exchanges with c-ares.

Results are copied out of c-ares's memory (hostent, ares_addrinfo, server lists) into the
records dataclasses while that memory is still valid, i.e. inside the completion
callback; sockaddrs and addresses are built from Python values after validating them.
"""

from __future__ import annotations

import ctypes
import socket
import struct
import sys
from ctypes import POINTER, byref, c_char_p
from typing import Any, List, Optional, Tuple

from . import _lib
from ._lib import copy_bytes, lib
from .errno import ARES_SUCCESS
from .records import AddrInfoCname, AddrInfoNode, AddrInfoResult, BadResponse, HostResult
from .utils import ascii_bytes, maybe_str


def check_int(value: Any, what: str) -> int:
    if not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return int(value)


def check_port(value: Any) -> int:
    value = check_int(value, "port")
    if not 0 <= value <= 0xFFFF:
        raise OverflowError(f"port {value} does not fit in an unsigned short")
    return value


def c_string(data: bytes) -> bytes:
    """Bytes for a C string: an embedded NUL would silently cut it short."""
    if b"\x00" in data:
        raise ValueError("embedded null byte")
    return data


def check_c_int(value: Any, what: str) -> int:
    """An int that fits a C ``int`` (ctypes would silently truncate it)."""
    value = check_int(value, what)
    if not -(2**31) <= value < 2**31:
        raise OverflowError(f"{what}={value} does not fit in a C int")
    return value


def check_u32(value: Any, what: str) -> int:
    """An int that fits a C ``uint32_t`` (ctypes would silently truncate it)."""
    value = check_int(value, what)
    if not 0 <= value <= 0xFFFFFFFF:
        raise OverflowError(f"{what}={value} does not fit in an unsigned 32-bit int")
    return value


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
    options = _lib.ares_options()
    optmask = 0
    if flags is not None:
        options.flags = check_c_int(flags, "flags")
        optmask |= _lib.ARES_OPT_FLAGS
    if timeout is not None:
        if not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
        if not timeout >= 0:  # also rejects NaN
            raise ValueError("timeout must be a non-negative number of seconds")
        options.timeout = check_c_int(int(timeout * 1000), "timeout (ms)")
        optmask |= _lib.ARES_OPT_TIMEOUTMS
    if tries is not None:
        options.tries = check_c_int(tries, "tries")
        optmask |= _lib.ARES_OPT_TRIES
    if ndots is not None:
        options.ndots = check_c_int(ndots, "ndots")
        optmask |= _lib.ARES_OPT_NDOTS
    if tcp_port is not None:
        options.tcp_port = check_port(tcp_port)
        optmask |= _lib.ARES_OPT_TCP_PORT
    if udp_port is not None:
        options.udp_port = check_port(udp_port)
        optmask |= _lib.ARES_OPT_UDP_PORT
    if socket_send_buffer_size is not None:
        options.socket_send_buffer_size = check_c_int(socket_send_buffer_size, "socket_send_buffer_size")
        optmask |= _lib.ARES_OPT_SOCK_SNDBUF
    if socket_receive_buffer_size is not None:
        options.socket_receive_buffer_size = check_c_int(
            socket_receive_buffer_size, "socket_receive_buffer_size"
        )
        optmask |= _lib.ARES_OPT_SOCK_RCVBUF
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
        optmask |= _lib.ARES_OPT_LOOKUPS
    if domains:
        if not hasattr(domains, "__len__"):  # the same message on every Python
            raise TypeError(f"object of type '{type(domains).__name__}' has no len()")
        count = len(domains)
        items = [c_string(ascii_bytes(d)) for d in domains]
        array = (c_char_p * max(count, 1))(*items)
        keep.append(array)
        options.domains = array
        options.ndomains = len(items)
        optmask |= _lib.ARES_OPT_DOMAINS
    if resolvconf_path is not None:
        path_buf = c_char_p(c_string(ascii_bytes(resolvconf_path)))
        keep.append(path_buf)
        options.resolvconf_path = path_buf.value
        optmask |= _lib.ARES_OPT_RESOLVCONF
    return optmask


def host_result(host_p: Any) -> HostResult:
    """Copy a ``struct hostent *`` (gethostbyaddr's answer)."""
    if not host_p:
        raise BadResponse("no hostent")
    host = host_p.contents
    aliases: List[str] = []
    if host.h_aliases:
        i = 0
        while host.h_aliases[i] is not None:
            aliases.append(host.h_aliases[i].decode("utf-8", "replace"))
            i += 1
    addresses: List[str] = []
    family, length = host.h_addrtype, host.h_length
    if host.h_addr_list and length in (4, 16):
        i = 0
        while host.h_addr_list[i]:
            addresses.append(socket.inet_ntop(family, copy_bytes(host.h_addr_list[i], length)))
            i += 1
    name = host.h_name.decode("utf-8", "replace") if host.h_name is not None else ""
    return HostResult(name, aliases, addresses)


# struct ares_addrinfo, ares_addrinfo_cname and ares_addrinfo_node read with one copy
# and one unpack each: far cheaper than ctypes field access through pointers (cast,
# .contents), on CPython and PyPy alike.  The layouts are _lib's structures (checked
# against the C headers by the compiled probe; the sizes below are checked at import).
_INFO = struct.Struct("@PP")  # cnames, nodes (the prefix every version shares)
_CNAME = struct.Struct("@iPPP")  # ttl, alias, name, next
_NODE = struct.Struct("@iiiiiIPP")  # ttl, flags, family, socktype, protocol, addrlen, addr, next
assert _CNAME.size == ctypes.sizeof(_lib.ares_addrinfo_cname)
assert _NODE.size == ctypes.sizeof(_lib.ares_addrinfo_node)
assert _INFO.size <= ctypes.sizeof(_lib.ares_addrinfo)
#: sockaddr_in / sockaddr_in6 after the family field: port (network order), then
#: the IPv4 address, or flowinfo, the IPv6 address and scope_id.
_SIN = struct.Struct("!2xH4s")
_SIN6 = struct.Struct("=2x2sI16sI")
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_FAMILIES = {_AF_INET: socket.AddressFamily(_AF_INET), _AF_INET6: socket.AddressFamily(_AF_INET6)}


def _c_text(address: Optional[int]) -> str:
    return copy_bytes(address).decode("utf-8", "replace") if address else ""


def addrinfo_result(info_p: Optional[int]) -> AddrInfoResult:
    """Copy a ``struct ares_addrinfo *`` (an address); the caller frees it."""
    if not info_p:
        raise BadResponse("no addrinfo")
    cname, node = _INFO.unpack(copy_bytes(info_p, _INFO.size))
    cnames: List[AddrInfoCname] = []
    while cname:
        ttl, alias, name, cname = _CNAME.unpack(copy_bytes(cname, _CNAME.size))
        cnames.append(AddrInfoCname(ttl, _c_text(alias), _c_text(name)))
    nodes: List[AddrInfoNode] = []
    ntop = socket.inet_ntop
    while node:
        ttl, flags, family, socktype, protocol, _, addr, node = _NODE.unpack(
            copy_bytes(node, _NODE.size)
        )
        if not addr:
            continue
        if family == _AF_INET:
            port, packed = _SIN.unpack(copy_bytes(addr, _SIN.size))
            where: Tuple[Any, ...] = (ntop(family, packed).encode("ascii"), port)
        elif family == _AF_INET6:
            port_bytes, flowinfo, packed, scope_id = _SIN6.unpack(copy_bytes(addr, _SIN6.size))
            port = int.from_bytes(port_bytes, "big")
            where = (ntop(family, packed).encode("ascii"), port, flowinfo, scope_id)
        else:
            continue
        nodes.append(AddrInfoNode(ttl, flags, _FAMILIES[family], socktype, protocol, where))
    return AddrInfoResult(cnames, nodes)


def inet_pton(family: int, text: Any) -> bytes:
    """socket.inet_pton, refusing an embedded NUL everywhere (PyPy's stops reading there)."""
    if "\x00" in text:
        raise ValueError("embedded null character")
    return socket.inet_pton(family, text)


def parse_ip(address: Any) -> Tuple[int, bytes]:
    text = maybe_str(address)
    if isinstance(text, str):
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                return family, inet_pton(family, text)
            except (OSError, ValueError):
                pass
    raise ValueError("invalid IP address")




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
        sa = _lib.sockaddr_in()
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
        sa6 = _lib.sockaddr_in6()
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




def servers_from_nodes(ptr: Any) -> Tuple[int, List[str]]:
    """The server list through ares_get_servers_ports (c-ares < 1.24): (status, servers)."""
    head = POINTER(_lib.ares_addr_port_node)()
    status = lib.ares_get_servers_ports(ptr, byref(head))
    if status != ARES_SUCCESS:
        return status, []
    out: List[str] = []
    try:
        node = head
        while node:
            n = node.contents
            port = n.udp_port or 53
            if n.family == socket.AF_INET:
                out.append(f"{socket.inet_ntop(socket.AF_INET, bytes(n.addr.addr4))}:{port}")
            elif n.family == socket.AF_INET6:
                ip = socket.inet_ntop(socket.AF_INET6, bytes(n.addr.addr6))
                out.append(f"[{ip}]:{port}")
            node = n.next
    finally:
        if head:
            lib.ares_free_data(head)
    return ARES_SUCCESS, out or [""]
