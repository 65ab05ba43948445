"""Loading libcares: the prototype table, binding it, and what the loaded library can do.

The C declarations the table uses (structs, callback types, option masks) are in
``_cdefs`` and re-exported here.

This module decides nothing about behaviour: it loads the library, binds every function
once, and records what the loaded library can do as plain facts (`caps`) that the rest of
the package consults.  No Python object of the binding lives here.

Which file is loaded (``CARES_LIBRARY``, else the package's own library) is decided in
``_loader``.
"""

from __future__ import annotations

import ctypes
import struct
import sys
import warnings
from ctypes import (
    POINTER,
    c_char_p,
    c_int,
    c_size_t,
    c_ubyte,
    c_uint,
    c_ushort,
    c_void_p,
)
from typing import Any, Callable, NamedTuple, Optional, Sequence, Tuple

from ._cdefs import (
    ADDRINFO_CB,
    ARES_LIB_INIT_ALL,
    DNSREC_CB,
    HOST_CB,
    NAMEINFO_CB,
    ON_PYPY,
    QUERY_CB,
    SERVER_STATE_CB,
    ares_addr_port_node,
    ares_addrinfo_hints,
    ares_options,
    ares_socket_t,
    ares_socklen_t,
    channel_p,
    dns_record_p,
    timeval,
)
from ._loader import ENV_VAR, load_library

MIN_VERSION = (1, 17, 0)
#: The newest c-ares security release we know of: 1.34.9 (October 2026) fixes the
#: advisories GHSA-wpr3-8q3r-4q8c, GHSA-fqh5-3x7m-wp44, GHSA-97vq-4mxv-7vhm,
#: GHSA-rf6g-ww74-97qh, GHSA-mw23-pfg6-2x9r, GHSA-v33j-65h4-4ch8, GHSA-pj7p-v3cw-hq66 and
#: more (c-ares/RELEASE-NOTES.md); 1.34.7 fixed CVE-2026-33630, 1.34.5 CVE-2025-31498.
#: Raise it when a newer one is vendored (docs/development.md, "Security updates").
SECURITY_RELEASE = (1, 34, 9)
#: How the warning about an older library starts (a fixed prefix, for warning filters).
OUTDATED_WARNING = "libcares predates the c-ares security release"


# --------------------------------------------------------------------------------------
# The prototype table: (C name, restype, argtypes, first c-ares version that has it).
# `None` as version: present in every supported release (>= 1.17), so a missing one is
# an error; otherwise the symbol is optional and bound as None when absent.


class Proto(NamedTuple):
    name: str
    restype: Any
    argtypes: Sequence[Any]
    since: Optional[Tuple[int, int, int]] = None


PROTOTYPES: Tuple[Proto, ...] = (
    # const char *ares_version(int *version);
    Proto("ares_version", c_char_p, [POINTER(c_int)]),
    # int ares_library_init(int flags);
    Proto("ares_library_init", c_int, [c_int]),
    # ares_bool_t ares_threadsafety(void);
    Proto("ares_threadsafety", c_int, [], (1, 23, 0)),
    # const char *ares_strerror(int code);
    Proto("ares_strerror", c_char_p, [c_int]),
    # int ares_init_options(ares_channel_t **channelptr,
    #                       const struct ares_options *options, int optmask);
    Proto("ares_init_options", c_int, [POINTER(channel_p), POINTER(ares_options), c_int]),
    # ares_status_t ares_reinit(ares_channel_t *channel);
    Proto("ares_reinit", c_int, [channel_p], (1, 22, 0)),
    # void ares_destroy(ares_channel_t *channel);
    Proto("ares_destroy", None, [channel_p]),
    # void ares_cancel(ares_channel_t *channel);
    Proto("ares_cancel", None, [channel_p]),
    # ares_status_t ares_queue_wait_empty(ares_channel_t *channel, int timeout_ms);
    Proto("ares_queue_wait_empty", c_int, [channel_p, c_int], (1, 27, 0)),
    # size_t ares_queue_active_queries(const ares_channel_t *channel);
    Proto("ares_queue_active_queries", c_size_t, [channel_p], (1, 27, 0)),
    # int ares_set_servers_ports_csv(ares_channel_t *channel, const char *servers);
    Proto("ares_set_servers_ports_csv", c_int, [channel_p, c_char_p]),
    # int ares_set_servers_ports(ares_channel_t *channel,
    #                            const struct ares_addr_port_node *servers);
    Proto("ares_set_servers_ports", c_int, [channel_p, POINTER(ares_addr_port_node)]),
    # char *ares_get_servers_csv(const ares_channel_t *channel);
    Proto("ares_get_servers_csv", c_void_p, [channel_p], (1, 24, 0)),
    # int ares_get_servers_ports(const ares_channel_t *channel,
    #                            struct ares_addr_port_node **servers);
    Proto("ares_get_servers_ports", c_int, [channel_p, POINTER(POINTER(ares_addr_port_node))]),
    # void ares_free_data(void *dataptr);
    Proto("ares_free_data", None, [c_void_p]),
    # void ares_free_string(void *str);
    Proto("ares_free_string", None, [c_void_p]),
    # void ares_set_local_ip4(ares_channel_t *channel, unsigned int local_ip);
    Proto("ares_set_local_ip4", None, [channel_p, c_uint]),
    # void ares_set_local_ip6(ares_channel_t *channel, const unsigned char *local_ip6);
    Proto("ares_set_local_ip6", None, [channel_p, c_char_p]),
    # void ares_set_local_dev(ares_channel_t *channel, const char *local_dev_name);
    Proto("ares_set_local_dev", None, [channel_p, c_char_p]),
    # void ares_query(ares_channel_t *channel, const char *name, int dnsclass, int type,
    #                 ares_callback callback, void *arg);
    Proto("ares_query", None, [channel_p, c_char_p, c_int, c_int, QUERY_CB, c_void_p]),
    # void ares_search(ares_channel_t *channel, const char *name, int dnsclass, int type,
    #                  ares_callback callback, void *arg);
    Proto("ares_search", None, [channel_p, c_char_p, c_int, c_int, QUERY_CB, c_void_p]),
    # ares_status_t ares_query_dnsrec(ares_channel_t *channel, const char *name,
    #     ares_dns_class_t dnsclass, ares_dns_rec_type_t type,
    #     ares_callback_dnsrec callback, void *arg, unsigned short *qid);
    Proto(
        "ares_query_dnsrec",
        c_int,
        [channel_p, c_char_p, c_int, c_int, DNSREC_CB, c_void_p, POINTER(c_ushort)],
        (1, 28, 0),
    ),
    # ares_status_t ares_search_dnsrec(ares_channel_t *channel,
    #     const ares_dns_record_t *dnsrec, ares_callback_dnsrec callback, void *arg);
    Proto("ares_search_dnsrec", c_int, [channel_p, dns_record_p, DNSREC_CB, c_void_p], (1, 28, 0)),
    # ares_status_t ares_send_dnsrec(ares_channel_t *channel, const ares_dns_record_t *dnsrec,
    #     ares_callback_dnsrec callback, void *arg, unsigned short *qid);
    Proto(
        "ares_send_dnsrec",
        c_int,
        [channel_p, dns_record_p, DNSREC_CB, c_void_p, POINTER(c_ushort)],
        (1, 28, 0),
    ),
    # void ares_set_server_state_callback(ares_channel_t *channel,
    #     ares_server_state_callback callback, void *user_data);
    Proto(
        "ares_set_server_state_callback",
        None,
        [channel_p, SERVER_STATE_CB, c_void_p],
        (1, 29, 0),
    ),
    # The OPT record of Channel.query_message:
    # ares_status_t ares_dns_record_rr_add(ares_dns_rr_t **rr_out, ares_dns_record_t *dnsrec,
    #     ares_dns_section_t sect, const char *name, ares_dns_rec_type_t type,
    #     ares_dns_class_t rclass, unsigned int ttl);
    Proto(
        "ares_dns_record_rr_add",
        c_int,
        [POINTER(c_void_p), dns_record_p, c_int, c_char_p, c_int, c_int, c_uint],
        (1, 22, 0),
    ),
    # ares_status_t ares_dns_rr_set_u8(ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key,
    #                                  unsigned char val);
    Proto("ares_dns_rr_set_u8", c_int, [c_void_p, c_int, c_ubyte], (1, 22, 0)),
    # ares_status_t ares_dns_rr_set_u16(ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key,
    #                                   unsigned short val);
    Proto("ares_dns_rr_set_u16", c_int, [c_void_p, c_int, c_ushort], (1, 22, 0)),
    # ares_status_t ares_dns_record_create(ares_dns_record_t **dnsrec, unsigned short id,
    #     unsigned short flags, ares_dns_opcode_t opcode, ares_dns_rcode_t rcode);
    Proto(
        "ares_dns_record_create",
        c_int,
        [POINTER(dns_record_p), c_ushort, c_ushort, c_int, c_int],
        (1, 22, 0),
    ),
    # ares_status_t ares_dns_record_query_add(ares_dns_record_t *dnsrec, const char *name,
    #     ares_dns_rec_type_t qtype, ares_dns_class_t qclass);
    Proto("ares_dns_record_query_add", c_int, [dns_record_p, c_char_p, c_int, c_int], (1, 22, 0)),
    # void ares_dns_record_destroy(ares_dns_record_t *dnsrec);
    Proto("ares_dns_record_destroy", None, [dns_record_p], (1, 22, 0)),
    # ares_status_t ares_dns_write(const ares_dns_record_t *dnsrec, unsigned char **buf,
    #                              size_t *buf_len);
    Proto("ares_dns_write", c_int, [c_void_p, POINTER(c_void_p), POINTER(c_size_t)], (1, 22, 0)),
    # size_t ares_dns_record_rr_cnt(const ares_dns_record_t *dnsrec, ares_dns_section_t sect);
    Proto("ares_dns_record_rr_cnt", c_size_t, [c_void_p, c_int], (1, 22, 0)),
    # const ares_dns_rr_t *ares_dns_record_rr_get_const(const ares_dns_record_t *dnsrec,
    #     ares_dns_section_t sect, size_t idx);
    Proto("ares_dns_record_rr_get_const", c_void_p, [c_void_p, c_int, c_size_t], (1, 22, 0)),
    # const char *ares_dns_rr_get_name(const ares_dns_rr_t *rr);
    Proto("ares_dns_rr_get_name", c_char_p, [c_void_p], (1, 22, 0)),
    # ares_dns_rec_type_t ares_dns_rr_get_type(const ares_dns_rr_t *rr);
    Proto("ares_dns_rr_get_type", c_int, [c_void_p], (1, 22, 0)),
    # ares_dns_class_t ares_dns_rr_get_class(const ares_dns_rr_t *rr);
    Proto("ares_dns_rr_get_class", c_int, [c_void_p], (1, 22, 0)),
    # unsigned int ares_dns_rr_get_ttl(const ares_dns_rr_t *rr);
    Proto("ares_dns_rr_get_ttl", c_uint, [c_void_p], (1, 22, 0)),
    # const struct in_addr *ares_dns_rr_get_addr(const ares_dns_rr_t *dns_rr, key);
    Proto("ares_dns_rr_get_addr", c_void_p, [c_void_p, c_int], (1, 22, 0)),
    # const struct ares_in6_addr *ares_dns_rr_get_addr6(const ares_dns_rr_t *dns_rr, key);
    Proto("ares_dns_rr_get_addr6", c_void_p, [c_void_p, c_int], (1, 22, 0)),
    # const char *ares_dns_rr_get_str(const ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key);
    Proto("ares_dns_rr_get_str", c_char_p, [c_void_p, c_int], (1, 22, 0)),
    # unsigned char ares_dns_rr_get_u8(const ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key);
    Proto("ares_dns_rr_get_u8", c_ubyte, [c_void_p, c_int], (1, 22, 0)),
    # unsigned short ares_dns_rr_get_u16(const ares_dns_rr_t *dns_rr, key);
    Proto("ares_dns_rr_get_u16", c_ushort, [c_void_p, c_int], (1, 22, 0)),
    # unsigned int ares_dns_rr_get_u32(const ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key);
    Proto("ares_dns_rr_get_u32", c_uint, [c_void_p, c_int], (1, 22, 0)),
    # const unsigned char *ares_dns_rr_get_bin(const ares_dns_rr_t *dns_rr, key,
    #                                          size_t *len);
    Proto("ares_dns_rr_get_bin", c_void_p, [c_void_p, c_int, POINTER(c_size_t)], (1, 22, 0)),
    # size_t ares_dns_rr_get_abin_cnt(const ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key);
    Proto("ares_dns_rr_get_abin_cnt", c_size_t, [c_void_p, c_int], (1, 28, 0)),
    # const unsigned char *ares_dns_rr_get_abin(const ares_dns_rr_t *dns_rr, key,
    #                                           size_t idx, size_t *len);
    Proto(
        "ares_dns_rr_get_abin", c_void_p, [c_void_p, c_int, c_size_t, POINTER(c_size_t)], (1, 28, 0)
    ),
    # size_t ares_dns_rr_get_opt_cnt(const ares_dns_rr_t *dns_rr, ares_dns_rr_key_t key);
    Proto("ares_dns_rr_get_opt_cnt", c_size_t, [c_void_p, c_int], (1, 22, 0)),
    # unsigned short ares_dns_rr_get_opt(const ares_dns_rr_t *dns_rr, key, size_t idx,
    #                                    const unsigned char **val, size_t *val_len);
    Proto(
        "ares_dns_rr_get_opt",
        c_ushort,
        [c_void_p, c_int, c_size_t, POINTER(c_void_p), POINTER(c_size_t)],
        (1, 22, 0),
    ),
    # void ares_getaddrinfo(ares_channel_t *channel, const char *node, const char *service,
    #     const struct ares_addrinfo_hints *hints, ares_addrinfo_callback callback,
    #     void *arg);
    Proto(
        "ares_getaddrinfo",
        None,
        [channel_p, c_char_p, c_char_p, POINTER(ares_addrinfo_hints), ADDRINFO_CB, c_void_p],
    ),
    # void ares_freeaddrinfo(struct ares_addrinfo *ai);
    Proto("ares_freeaddrinfo", None, [c_void_p]),
    # void ares_gethostbyaddr(ares_channel_t *channel, const void *addr, int addrlen,
    #                         int family, ares_host_callback callback, void *arg);
    Proto("ares_gethostbyaddr", None, [channel_p, c_char_p, c_int, c_int, HOST_CB, c_void_p]),
    # void ares_getnameinfo(ares_channel_t *channel, const struct sockaddr *sa,
    #     ares_socklen_t salen, int flags, ares_nameinfo_callback callback, void *arg);
    Proto(
        "ares_getnameinfo",
        None,
        [channel_p, c_void_p, ares_socklen_t, c_int, NAMEINFO_CB, c_void_p],
    ),
    # void ares_process_fd(ares_channel_t *channel, ares_socket_t read_fd,
    #                      ares_socket_t write_fd);
    Proto("ares_process_fd", None, [channel_p, ares_socket_t, ares_socket_t]),
    # struct timeval *ares_timeout(const ares_channel_t *channel, struct timeval *maxtv,
    #                              struct timeval *tv);
    Proto("ares_timeout", c_void_p, [channel_p, POINTER(timeval), POINTER(timeval)]),
)


class MissingSymbols(ImportError):
    """The loaded library lacks functions every supported c-ares release has."""


class Functions:
    """The bound functions, typed for the checker; an optional one absent from the library
    is None at run time (callers check ``caps`` first, so the types say callable).

    One annotation per row of ``PROTOTYPES``, in the same order (test_lib checks that
    both name the same functions), the C types mapped as ctypes converts them: integers
    to ``int``, ``char *`` to ``Optional[bytes]``, a returned ``void *`` to
    ``Optional[int]``; pointers and callbacks passed in are ``Any``.
    """

    ares_version: Callable[[Any], Optional[bytes]]
    ares_library_init: Callable[[int], int]
    ares_threadsafety: Callable[[], int]
    ares_strerror: Callable[[int], Optional[bytes]]
    ares_init_options: Callable[[Any, Any, int], int]
    ares_reinit: Callable[[Any], int]
    ares_destroy: Callable[[Any], None]
    ares_cancel: Callable[[Any], None]
    ares_queue_wait_empty: Callable[[Any, int], int]
    ares_queue_active_queries: Callable[[Any], int]
    ares_set_servers_ports_csv: Callable[[Any, Optional[bytes]], int]
    ares_set_servers_ports: Callable[[Any, Any], int]
    ares_get_servers_csv: Callable[[Any], Optional[int]]
    ares_get_servers_ports: Callable[[Any, Any], int]
    ares_free_data: Callable[[Any], None]
    ares_free_string: Callable[[Any], None]
    ares_set_local_ip4: Callable[[Any, int], None]
    ares_set_local_ip6: Callable[[Any, Optional[bytes]], None]
    ares_set_local_dev: Callable[[Any, Optional[bytes]], None]
    ares_query: Callable[[Any, Optional[bytes], int, int, Any, Any], None]
    ares_search: Callable[[Any, Optional[bytes], int, int, Any, Any], None]
    ares_query_dnsrec: Callable[[Any, Optional[bytes], int, int, Any, Any, Any], int]
    ares_search_dnsrec: Callable[[Any, Any, Any, Any], int]
    ares_send_dnsrec: Callable[[Any, Any, Any, Any, Any], int]
    ares_set_server_state_callback: Callable[[Any, Any, Any], None]
    ares_dns_record_rr_add: Callable[[Any, Any, int, Optional[bytes], int, int, int], int]
    ares_dns_rr_set_u8: Callable[[Any, int, int], int]
    ares_dns_rr_set_u16: Callable[[Any, int, int], int]
    ares_dns_record_create: Callable[[Any, int, int, int, int], int]
    ares_dns_record_query_add: Callable[[Any, Optional[bytes], int, int], int]
    ares_dns_record_destroy: Callable[[Any], None]
    ares_dns_write: Callable[[Any, Any, Any], int]
    ares_dns_record_rr_cnt: Callable[[Any, int], int]
    ares_dns_record_rr_get_const: Callable[[Any, int, int], Optional[int]]
    ares_dns_rr_get_name: Callable[[Any], Optional[bytes]]
    ares_dns_rr_get_type: Callable[[Any], int]
    ares_dns_rr_get_class: Callable[[Any], int]
    ares_dns_rr_get_ttl: Callable[[Any], int]
    ares_dns_rr_get_addr: Callable[[Any, int], Optional[int]]
    ares_dns_rr_get_addr6: Callable[[Any, int], Optional[int]]
    ares_dns_rr_get_str: Callable[[Any, int], Optional[bytes]]
    ares_dns_rr_get_u8: Callable[[Any, int], int]
    ares_dns_rr_get_u16: Callable[[Any, int], int]
    ares_dns_rr_get_u32: Callable[[Any, int], int]
    ares_dns_rr_get_bin: Callable[[Any, int, Any], Optional[int]]
    ares_dns_rr_get_abin_cnt: Callable[[Any, int], int]
    ares_dns_rr_get_abin: Callable[[Any, int, int, Any], Optional[int]]
    ares_dns_rr_get_opt_cnt: Callable[[Any, int], int]
    ares_dns_rr_get_opt: Callable[[Any, int, int, Any, Any], int]
    ares_getaddrinfo: Callable[[Any, Optional[bytes], Optional[bytes], Any, Any, Any], None]
    ares_freeaddrinfo: Callable[[Any], None]
    ares_gethostbyaddr: Callable[[Any, Optional[bytes], int, int, Any, Any], None]
    ares_getnameinfo: Callable[[Any, Any, int, int, Any, Any], None]
    ares_process_fd: Callable[[Any, int, int], None]
    ares_timeout: Callable[[Any, Any, Any], Optional[int]]


    def __getattr__(self, name: str) -> Any:  # only reached for names never bound
        raise AttributeError(f"{name} is not in the prototype table")


def bind(dll: Any, table: Sequence[Proto] = PROTOTYPES) -> Functions:
    """Apply ``table`` to ``dll``; raise one MissingSymbols naming every required gap."""
    fns = Functions()
    missing = []
    for proto in table:
        try:
            fn = getattr(dll, proto.name)
        except AttributeError:
            if proto.since is None:
                missing.append(proto.name)
            setattr(fns, proto.name, None)
            continue
        fn.restype = proto.restype
        fn.argtypes = list(proto.argtypes)
        setattr(fns, proto.name, fn)
    if missing:
        raise MissingSymbols(
            f"{getattr(dll, '_name', dll)} is not a usable libcares: it lacks "
            + ", ".join(missing)
        )
    return fns


# --------------------------------------------------------------------------------------
# Copying C memory out.

try:  # PyPy: bytes made from C memory are invisible to its GC's accounting
    from __pypy__ import add_memory_pressure as _add_memory_pressure  # type: ignore
except ImportError:
    _add_memory_pressure = None

#: The address space as one char array based at address 0 (CPython): a slice of it
#: copies C memory like ``ctypes.string_at`` without a foreign call, and ``struct`` can
#: unpack from it in place (0.2 instead of 0.7 us per copy, measured here).  A slice
#: past its end comes back short, and is then taken the slow way.  PyPy refuses an
#: array this large; there a sized array at the address is cheaper still (its JIT
#: removes the temporary).
_MEMORY: Any = None
if not ON_PYPY:
    try:
        _MEMORY = (ctypes.c_char * (sys.maxsize // 2)).from_address(0)
    except (MemoryError, OverflowError, ValueError):  # pragma: no cover - no such platform known
        _MEMORY = None


def copy_bytes(address: Any, size: int = -1) -> bytes:
    """Copy ``size`` bytes (or a NUL-terminated string) from C memory into bytes.

    ``address`` is an int or a ctypes pointer.  On PyPy, bytes made from C memory live
    outside the memory its garbage collector counts, so without telling it, answers
    accumulate (measured: ~150 bytes per call, without bound) until some unrelated
    major collection; the pressure keeps it flat.
    """
    if size > 0 and address.__class__ is int:
        if _MEMORY is not None:
            data: bytes = _MEMORY[address : address + size]
            if len(data) == size:
                return data
        elif _add_memory_pressure is not None:
            data = (ctypes.c_char * size).from_address(address).raw
            _add_memory_pressure(size + 64)
            return data
    data = ctypes.string_at(address, size)
    if _add_memory_pressure is not None:
        _add_memory_pressure(len(data) + 64)
    return data


def unchecked(fn: Any) -> Any:
    """``fn`` called without its argtypes (CPython): for the hottest call, whose every
    argument is already a ctypes object or of the C type ctypes gives a plain int,
    bytes or None (0.9 instead of 1.5 us for ares_query_dnsrec here).  PyPy's JIT
    makes typed calls cheap: there ``fn`` itself."""
    address = ctypes.cast(fn, ctypes.c_void_p).value if fn is not None else None
    if not address or ON_PYPY:
        return fn
    return ctypes.CFUNCTYPE(fn.restype)(address)


def read_struct(layout: struct.Struct, address: int) -> Tuple[Any, ...]:
    """Unpack ``layout`` from C memory at ``address`` (an int)."""
    if _MEMORY is not None:
        return layout.unpack_from(_MEMORY, address)
    return layout.unpack(copy_bytes(address, layout.size))


# --------------------------------------------------------------------------------------
# Loading


def parse_version(number: int) -> Tuple[int, int, int]:
    return ((number >> 16) & 0xFF, (number >> 8) & 0xFF, number & 0xFF)


class Capabilities(NamedTuple):
    """What the loaded library can do, probed once at import."""

    path: str
    version: Tuple[int, int, int]
    version_str: str
    threadsafe: bool
    event_thread: bool  # ARES_OPT_EVENT_THREAD (1.26) on a thread-safe build
    dnsrec: bool  # ares_query_dnsrec / ares_search_dnsrec (1.28)
    dns_record: bool  # ares_dns_record_* parsing/writing API (1.22)
    txt_abin: bool  # TXT strings through ares_dns_rr_get_abin (1.28)
    reinit: bool  # ares_reinit (1.22)
    servers_csv: bool  # ares_get_servers_csv (1.24)
    queue_wait_empty: bool  # ares_queue_wait_empty (1.27)
    query_cache: bool  # query cache on by default (1.31)

    def describe(self) -> str:
        """A human-readable listing, one fact per line."""
        lines = [f"library: {self.path}", f"c-ares version: {self.version_str}"]
        for field in self._fields[3:]:
            lines.append(f"{field}: {'yes' if getattr(self, field) else 'no'}")
        return "\n".join(lines)


def _probe(dll: Any, fns: Functions, path: str) -> Capabilities:
    number = c_int(0)
    version_str = (fns.ares_version(ctypes.byref(number)) or b"").decode("ascii", "replace")
    version = parse_version(number.value)
    if version < MIN_VERSION:
        raise ImportError(
            f"{path} is c-ares {version_str}; ctypes_cares needs c-ares >= "
            + ".".join(map(str, MIN_VERSION))
            + f". Point {ENV_VAR} at a newer libcares."
        )
    threadsafe = fns.ares_threadsafety is not None and bool(fns.ares_threadsafety())
    return Capabilities(
        path=path,
        version=version,
        version_str=version_str,
        threadsafe=threadsafe,
        event_thread=threadsafe and version >= (1, 26, 0),
        dnsrec=fns.ares_query_dnsrec is not None and fns.ares_search_dnsrec is not None,
        dns_record=fns.ares_dns_write is not None,
        txt_abin=fns.ares_dns_rr_get_abin is not None,
        reinit=fns.ares_reinit is not None,
        servers_csv=fns.ares_get_servers_csv is not None,
        queue_wait_empty=fns.ares_queue_wait_empty is not None,
        query_cache=version >= (1, 31, 0),
    )


def warn_if_outdated(caps: Capabilities, stacklevel: int = 2) -> None:
    """RuntimeWarning (not an error: distributions patch old releases) if the library is
    older than the newest c-ares security release we know of."""
    if caps.version >= SECURITY_RELEASE:
        return
    fixed = ".".join(map(str, SECURITY_RELEASE))
    warnings.warn(
        f"{OUTDATED_WARNING} {fixed}: {caps.path} is c-ares {caps.version_str}. Unless its"
        f" distribution patched the advisories fixed in c-ares {fixed}, unset {ENV_VAR}"
        f" (the bundled library is {fixed} or newer) or point it at c-ares >= {fixed}.",
        RuntimeWarning,
        stacklevel=stacklevel,
    )


def _load() -> Tuple[Any, Functions, Capabilities]:
    dll, path = load_library(min_version=".".join(map(str, MIN_VERSION)))
    fns = bind(dll)
    caps = _probe(dll, fns, path)
    warn_if_outdated(caps, stacklevel=3)
    if fns.ares_library_init(ARES_LIB_INIT_ALL) != 0:
        raise ImportError(f"ares_library_init failed for {path}")
    return dll, fns, caps


dll, lib, caps = _load()
