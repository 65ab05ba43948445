"""Copying results out of c-ares's memory (hostent, ares_addrinfo, server lists) into
the records dataclasses, while that memory is still valid: inside the completion
callback, or before the list is freed."""

from __future__ import annotations

import ctypes
import socket
import struct
from ctypes import POINTER, byref
from typing import Any, List, Optional, Tuple

from . import _cdefs
from ._lib import copy_bytes, lib, read_struct
from .errno import ARES_SUCCESS
from .records import (
    AddrInfoCname,
    AddrInfoNode,
    AddrInfoResult,
    BadResponse,
    HostResult,
)


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
assert _CNAME.size == ctypes.sizeof(_cdefs.ares_addrinfo_cname)
assert _NODE.size == ctypes.sizeof(_cdefs.ares_addrinfo_node)
assert _INFO.size <= ctypes.sizeof(_cdefs.ares_addrinfo)
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
    cname, node = read_struct(_INFO, info_p)
    cnames: List[AddrInfoCname] = []
    while cname:
        ttl, alias, name, cname = read_struct(_CNAME, cname)
        cnames.append(AddrInfoCname(ttl, _c_text(alias), _c_text(name)))
    nodes: List[AddrInfoNode] = []
    ntop = socket.inet_ntop
    while node:
        ttl, flags, family, socktype, protocol, _, addr, node = read_struct(_NODE, node)
        if not addr:
            continue
        if family == _AF_INET:
            port, packed = read_struct(_SIN, addr)
            where: Tuple[Any, ...] = (ntop(family, packed).encode("ascii"), port)
        elif family == _AF_INET6:
            port_bytes, flowinfo, packed, scope_id = read_struct(_SIN6, addr)
            port = int.from_bytes(port_bytes, "big")
            where = (ntop(family, packed).encode("ascii"), port, flowinfo, scope_id)
        else:
            continue
        nodes.append(AddrInfoNode(ttl, flags, _FAMILIES[family], socktype, protocol, where))
    return AddrInfoResult(cnames, nodes)


def servers_from_nodes(ptr: Any) -> Tuple[int, List[str]]:
    """The server list through ares_get_servers_ports (c-ares < 1.24): (status, servers)."""
    head = POINTER(_cdefs.ares_addr_port_node)()
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
