"""Checking the arguments users pass, before anything reaches C.

ctypes silently truncates an int that does not fit its C type and C reads strings up
to the first NUL; these checks turn both into clear Python exceptions.
"""

from __future__ import annotations

import ctypes
import math
import socket
from typing import Any, Dict, Optional, Tuple

from . import _cdefs
from .utils import maybe_str, parse_name


def check_int(value: Any, what: str) -> int:
    if not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return int(value)


def check_port(value: Any) -> int:
    port = check_int(value, "port")
    if not 0 <= port <= 0xFFFF:
        raise OverflowError(f"port {port} does not fit in an unsigned short")
    return port


def c_name(name: Any) -> Optional[bytes]:
    """A host or query name for c-ares (:func:`~ctypes_cares.utils.parse_name`'s bytes),
    or None when it holds a NUL: c-ares reads a C string, which would silently cut the
    name there (callers report ARES_EBADNAME, as c-ares does for a bad name).

    The ASCII ``str`` case is written out first: this runs once per query."""
    encoded = name.encode() if name.__class__ is str and name.isascii() else parse_name(name)
    return None if b"\x00" in encoded else encoded


def addrinfo_hints(flags: Any, family: Any, type_: Any, proto: Any) -> Any:
    """The ``ares_addrinfo_hints`` for getaddrinfo's arguments, each checked as a C int.

    c-ares copies the hints it is given, and a program uses few combinations: the first
    64 are kept and shared (they are never changed), which spares the checks and a
    ctypes structure per lookup.
    """
    if (
        isinstance(flags, int)
        and isinstance(family, int)
        and isinstance(type_, int)
        and isinstance(proto, int)
    ):
        hints = _HINTS.get((flags, family, type_, proto))
        if hints is not None:
            return hints
    hints = _cdefs.ares_addrinfo_hints(
        check_c_int(flags, "flags"),
        check_c_int(family, "family"),
        check_c_int(type_, "type"),
        check_c_int(proto, "proto"),
    )
    if len(_HINTS) < 64:
        _HINTS[(hints.ai_flags, hints.ai_family, hints.ai_socktype, hints.ai_protocol)] = hints
    return hints


#: Checked getaddrinfo arguments -> their shared hints (see addrinfo_hints).
_HINTS: Dict[Tuple[int, int, int, int], Any] = {}


def c_string(data: bytes) -> bytes:
    """Bytes for a C string: an embedded NUL would silently cut it short."""
    if b"\x00" in data:
        raise ValueError("embedded null byte")
    return data


def check_c_int(value: Any, what: str) -> int:
    """An int that fits a C ``int`` (ctypes would silently truncate it)."""
    number = check_int(value, what)
    if not -(2**31) <= number < 2**31:
        raise OverflowError(f"{what}={number} does not fit in a C int")
    return number


def check_u32(value: Any, what: str) -> int:
    """An int that fits a C ``uint32_t`` (ctypes would silently truncate it)."""
    number = check_int(value, what)
    if not 0 <= number <= 0xFFFFFFFF:
        raise OverflowError(f"{what}={number} does not fit in an unsigned 32-bit int")
    return number


def check_socket(fd: Any, what: str) -> int:
    """A socket number that fits ``ares_socket_t`` (ctypes would silently truncate it)."""
    number = check_int(fd, what)
    if _cdefs.ares_socket_t(number).value != number:
        raise OverflowError(f"{what}={number} is not a valid socket number")
    return number


def timeval_cap(t: Any) -> Any:
    """``Channel.timeout(t)``'s cap as a ``struct timeval`` (None: no cap)."""
    if t is None:
        return None
    if not isinstance(t, (int, float)) or isinstance(t, bool):
        raise TypeError("timeout must be a number or None")
    if t < 0:
        raise ValueError("timeout needs to be a positive number or None")
    if math.isinf(t) or math.isnan(t):
        raise ValueError("timeout must be finite")
    seconds = int(math.floor(t))
    if ctypes.c_long(seconds).value != seconds:  # ctypes would silently wrap it
        raise OverflowError(f"timeout {t} is too large")
    return _cdefs.timeval(seconds, int(math.fmod(t, 1) * 1_000_000))


def milliseconds(seconds: Any, what: str) -> int:
    """A non-negative number of seconds as the C ``int`` of milliseconds c-ares takes."""
    if not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(seconds).__name__}")
    if not seconds >= 0:  # also rejects NaN
        raise ValueError(f"{what} must be a non-negative number of seconds")
    return check_c_int(int(seconds * 1000), f"{what} (ms)")


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
