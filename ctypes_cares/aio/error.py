"""The exception of the asyncio resolver and the c-ares status codes (``aiodns.error``).

Every lookup failure reaches the caller as ``DNSError(status, message)``: ``status`` is
the c-ares status code (the constants below, same values as
:mod:`ctypes_cares.errno`), ``message`` its text, e.g.
``DNSError(4, 'Domain name not found')``.
"""

from __future__ import annotations

from ..errno import (
    ARES_EADDRGETNETWORKPARAMS,
    ARES_EBADFAMILY,
    ARES_EBADFLAGS,
    ARES_EBADHINTS,
    ARES_EBADNAME,
    ARES_EBADQUERY,
    ARES_EBADRESP,
    ARES_EBADSTR,
    ARES_ECANCELLED,
    ARES_ECONNREFUSED,
    ARES_EDESTRUCTION,
    ARES_EFILE,
    ARES_EFORMERR,
    ARES_ELOADIPHLPAPI,
    ARES_ENODATA,
    ARES_ENOMEM,
    ARES_ENONAME,
    ARES_ENOTFOUND,
    ARES_ENOTIMP,
    ARES_ENOTINITIALIZED,
    ARES_EOF,
    ARES_EREFUSED,
    ARES_ESERVFAIL,
    ARES_ESERVICE,
    ARES_ETIMEOUT,
    ARES_SUCCESS,
)

__all__ = (
    "ARES_EADDRGETNETWORKPARAMS",
    "ARES_EBADFAMILY",
    "ARES_EBADFLAGS",
    "ARES_EBADHINTS",
    "ARES_EBADNAME",
    "ARES_EBADQUERY",
    "ARES_EBADRESP",
    "ARES_EBADSTR",
    "ARES_ECANCELLED",
    "ARES_ECONNREFUSED",
    "ARES_EDESTRUCTION",
    "ARES_EFILE",
    "ARES_EFORMERR",
    "ARES_ELOADIPHLPAPI",
    "ARES_ENODATA",
    "ARES_ENOMEM",
    "ARES_ENONAME",
    "ARES_ENOTFOUND",
    "ARES_ENOTIMP",
    "ARES_ENOTINITIALIZED",
    "ARES_EOF",
    "ARES_EREFUSED",
    "ARES_ESERVFAIL",
    "ARES_ESERVICE",
    "ARES_ETIMEOUT",
    "ARES_SUCCESS",
    "DNSError",
)


class DNSError(Exception):
    """A failed lookup: ``DNSError(status, message)``, e.g. ``(12, 'Timeout while ...')``.

    ``args[0]`` is the c-ares status code, ``args[1]`` its message.  Not an OSError and
    not a :class:`ctypes_cares.AresError`.
    """


class ResolverClosedError(DNSError, RuntimeError):
    """A lookup on a closed :class:`~ctypes_cares.aio.DNSResolver`.

    ``args == (ARES_EDESTRUCTION, 'DNS resolver is closed, no new queries allowed')``.
    It is a :class:`DNSError`; it is also a ``RuntimeError`` because aiodns raises the
    binding's ``RuntimeError`` there, so code written for aiodns keeps working.
    """


#: The message of :class:`ResolverClosedError`.
CLOSED_MESSAGE = "DNS resolver is closed, no new queries allowed"
