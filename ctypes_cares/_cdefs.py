"""The C declarations the binding shares with libcares: option masks, the socket type,
the structs (mirrored field by field from ares.h), opaque handle types, and the callback
types.  Declarations only: nothing here loads or calls the library (``_lib`` does)."""

from __future__ import annotations

import ctypes
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_char_p,
    c_int,
    c_long,
    c_size_t,
    c_ubyte,
    c_uint,
    c_uint16,
    c_uint32,
    c_ushort,
    c_void_p,
)
from typing import Any, List, Tuple


# --------------------------------------------------------------------------------------
# Constants (ares.h).  Values c-ares exposes at run time (flags, statuses) live in the
# public modules; these are the ones only the binding needs.

ARES_LIB_INIT_ALL = 1

ARES_OPT_FLAGS = 1 << 0
ARES_OPT_TIMEOUT = 1 << 1
ARES_OPT_TRIES = 1 << 2
ARES_OPT_NDOTS = 1 << 3
ARES_OPT_UDP_PORT = 1 << 4
ARES_OPT_TCP_PORT = 1 << 5
ARES_OPT_SERVERS = 1 << 6
ARES_OPT_DOMAINS = 1 << 7
ARES_OPT_LOOKUPS = 1 << 8
ARES_OPT_SOCK_STATE_CB = 1 << 9
ARES_OPT_SORTLIST = 1 << 10
ARES_OPT_SOCK_SNDBUF = 1 << 11
ARES_OPT_SOCK_RCVBUF = 1 << 12
ARES_OPT_TIMEOUTMS = 1 << 13
ARES_OPT_ROTATE = 1 << 14
ARES_OPT_EDNSPSZ = 1 << 15
ARES_OPT_NOROTATE = 1 << 16
ARES_OPT_RESOLVCONF = 1 << 17
ARES_OPT_HOSTS_FILE = 1 << 18
ARES_OPT_UDP_MAX_QUERIES = 1 << 19
ARES_OPT_MAXTIMEOUTMS = 1 << 20
ARES_OPT_QUERY_CACHE = 1 << 21
ARES_OPT_EVENT_THREAD = 1 << 22
ARES_OPT_SERVER_FAILOVER = 1 << 23

ARES_EVSYS_DEFAULT = 0

#: On PyPy some calls and callbacks take another form, cheaper there (its JIT makes
#: typed calls cheap; ctypes objects cost it more than ints).
ON_PYPY = sys.implementation.name == "pypy"

if sys.platform == "win32":  # pragma: no cover
    ares_socket_t: Any = c_size_t  # SOCKET
    ARES_SOCKET_BAD = (1 << (8 * ctypes.sizeof(c_size_t))) - 1
else:
    ares_socket_t = c_int
    ARES_SOCKET_BAD = -1

ares_socklen_t = c_uint32 if sys.platform != "win32" else c_int


# --------------------------------------------------------------------------------------
# Structs, mirrored field by field from ares.h (1.34.9).  Fields appended in later
# releases are only read by c-ares when their ARES_OPT_* bit is set, so the newest
# layout is safe to pass to older libraries.


class ares_server_failover_options(Structure):
    _fields_ = [("retry_chance", c_ushort), ("retry_delay", c_size_t)]


SOCK_STATE_CB = CFUNCTYPE(None, c_void_p, ares_socket_t, c_int, c_int)


class ares_options(Structure):
    _fields_ = [
        ("flags", c_int),
        ("timeout", c_int),
        ("tries", c_int),
        ("ndots", c_int),
        ("udp_port", c_ushort),
        ("tcp_port", c_ushort),
        ("socket_send_buffer_size", c_int),
        ("socket_receive_buffer_size", c_int),
        ("servers", c_void_p),  # struct in_addr *
        ("nservers", c_int),
        ("domains", POINTER(c_char_p)),
        ("ndomains", c_int),
        ("lookups", c_char_p),
        ("sock_state_cb", SOCK_STATE_CB),
        ("sock_state_cb_data", c_void_p),
        ("sortlist", c_void_p),  # struct apattern *
        ("nsort", c_int),
        ("ednspsz", c_int),
        ("resolvconf_path", c_char_p),
        ("hosts_path", c_char_p),
        ("udp_max_queries", c_int),
        ("maxtimeout", c_int),
        ("qcache_max_ttl", c_uint),
        ("evsys", c_int),
        ("server_failover_opts", ares_server_failover_options),
    ]


class ares_in6_addr(Structure):
    _fields_ = [("_S6_u8", c_ubyte * 16)]


class in_addr(Structure):
    _fields_ = [("s_addr", c_uint32)]  # network byte order


class _ares_addr_union(Union):
    _fields_ = [("addr4", in_addr), ("addr6", ares_in6_addr)]


class ares_addr_port_node(Structure):
    pass


ares_addr_port_node._fields_ = [
    ("next", POINTER(ares_addr_port_node)),
    ("family", c_int),
    ("addr", _ares_addr_union),
    ("udp_port", c_int),
    ("tcp_port", c_int),
]

if sys.platform.startswith(("darwin", "freebsd", "openbsd", "netbsd", "dragonfly")):
    # BSD sockaddrs start with a length byte and a one-byte family.
    _SA_HEAD: List[Tuple[str, Any]] = [("sa_len", c_ubyte), ("sa_family", c_ubyte)]
else:
    _SA_HEAD = [("sa_family", c_ushort)]


class sockaddr(Structure):
    _fields_ = _SA_HEAD + [("sa_data", c_ubyte * 14)]


class sockaddr_in(Structure):
    _fields_ = [(n.replace("sa_", "sin_"), t) for n, t in _SA_HEAD] + [
        ("sin_port", c_uint16),  # network byte order
        ("sin_addr", in_addr),
        ("sin_zero", c_ubyte * 8),
    ]


class sockaddr_in6(Structure):
    _fields_ = [(n.replace("sa_", "sin6_"), t) for n, t in _SA_HEAD] + [
        ("sin6_port", c_uint16),  # network byte order
        ("sin6_flowinfo", c_uint32),  # network byte order
        ("sin6_addr", ares_in6_addr),
        ("sin6_scope_id", c_uint32),
    ]


class hostent(Structure):
    _fields_ = [
        ("h_name", c_char_p),
        ("h_aliases", POINTER(c_char_p)),
        ("h_addrtype", c_int if sys.platform != "win32" else ctypes.c_short),
        ("h_length", c_int if sys.platform != "win32" else ctypes.c_short),
        ("h_addr_list", POINTER(POINTER(c_ubyte))),
    ]


class ares_addrinfo_node(Structure):
    pass


ares_addrinfo_node._fields_ = [
    ("ai_ttl", c_int),
    ("ai_flags", c_int),
    ("ai_family", c_int),
    ("ai_socktype", c_int),
    ("ai_protocol", c_int),
    ("ai_addrlen", ares_socklen_t),
    ("ai_addr", POINTER(sockaddr)),
    ("ai_next", POINTER(ares_addrinfo_node)),
]


class ares_addrinfo_cname(Structure):
    pass


ares_addrinfo_cname._fields_ = [
    ("ttl", c_int),
    ("alias", c_char_p),
    ("name", c_char_p),
    ("next", POINTER(ares_addrinfo_cname)),
]


class ares_addrinfo(Structure):
    # `char *name` follows in c-ares >= 1.18; the binding never reads it, so the
    # 1.16-compatible prefix is declared.
    _fields_ = [
        ("cnames", POINTER(ares_addrinfo_cname)),
        ("nodes", POINTER(ares_addrinfo_node)),
    ]


class ares_addrinfo_hints(Structure):
    _fields_ = [
        ("ai_flags", c_int),
        ("ai_family", c_int),
        ("ai_socktype", c_int),
        ("ai_protocol", c_int),
    ]


class timeval(Structure):
    _fields_ = [("tv_sec", c_long), ("tv_usec", c_long)]


# Opaque handles: distinct types so a wrong handle is a ctypes ArgumentError, not a crash.
class _Channel(Structure):
    pass


class _DnsRecord(Structure):
    pass


channel_p = POINTER(_Channel)
#: For records we create (search, query_message).  The read-only accessors
#: (``ares_dns_write``, ``ares_dns_record_rr_*``, ``ares_dns_rr_get_*``) take ``c_void_p``
#: instead: a completion callback receives its record as a plain int, and a typed
#: pointer would cost a cast per call on the hottest path.
dns_record_p = POINTER(_DnsRecord)


# --------------------------------------------------------------------------------------
# Callback types (all return void).  Thunks of these types are created once, at import,
# by _requests.py; `arg` carries an integer request id.

# typedef void (*ares_callback)(void *arg, int status, int timeouts,
#                               unsigned char *abuf, int alen);
QUERY_CB = CFUNCTYPE(None, c_void_p, c_int, c_int, POINTER(c_ubyte), c_int)
# typedef void (*ares_callback_dnsrec)(void *arg, ares_status_t status, size_t timeouts,
#                                      const ares_dns_record_t *dnsrec);
# On CPython the record arrives as a pointer object, not an int, so that it can be
# handed on to a c-ares call made without argtypes (_answer.dns_record_wire).  PyPy
# makes typed calls cheap, and an int is cheaper there than a pointer object.
DNSREC_CB = CFUNCTYPE(
    None, c_void_p, c_int, c_size_t, c_void_p if ON_PYPY else dns_record_p
)
# typedef void (*ares_host_callback)(void *arg, int status, int timeouts,
#                                    struct hostent *hostent);
HOST_CB = CFUNCTYPE(None, c_void_p, c_int, c_int, POINTER(hostent))
# typedef void (*ares_nameinfo_callback)(void *arg, int status, int timeouts,
#                                        char *node, char *service);
NAMEINFO_CB = CFUNCTYPE(None, c_void_p, c_int, c_int, c_char_p, c_char_p)
# typedef void (*ares_addrinfo_callback)(void *arg, int status, int timeouts,
#                                        struct ares_addrinfo *res);
# The result as an address: _results.addrinfo_result reads it with struct, not ctypes.
ADDRINFO_CB = CFUNCTYPE(None, c_void_p, c_int, c_int, c_void_p)
# typedef void (*ares_server_state_callback)(const char *server_string,
#                                            ares_bool_t success, int flags, void *data);
SERVER_STATE_CB = CFUNCTYPE(None, c_char_p, c_int, c_int, c_void_p)
