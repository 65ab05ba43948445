"""c-ares status codes, their names and their messages (``pycares.errno``).

The messages are those of c-ares 1.34.9's ``ares_strerror``, kept as a Python table so
that this module works without the C library.
"""

from __future__ import annotations

import operator

__all__ = (
    "errorcode",
    "strerror",
    "ARES_SUCCESS",
    "ARES_ENODATA",
    "ARES_EFORMERR",
    "ARES_ESERVFAIL",
    "ARES_ENOTFOUND",
    "ARES_ENOTIMP",
    "ARES_EREFUSED",
    "ARES_EBADQUERY",
    "ARES_EBADNAME",
    "ARES_EBADFAMILY",
    "ARES_EBADRESP",
    "ARES_ECONNREFUSED",
    "ARES_ETIMEOUT",
    "ARES_EOF",
    "ARES_EFILE",
    "ARES_ENOMEM",
    "ARES_EDESTRUCTION",
    "ARES_EBADSTR",
    "ARES_EBADFLAGS",
    "ARES_ENONAME",
    "ARES_EBADHINTS",
    "ARES_ENOTINITIALIZED",
    "ARES_ELOADIPHLPAPI",
    "ARES_EADDRGETNETWORKPARAMS",
    "ARES_ECANCELLED",
    "ARES_ESERVICE",
)

ARES_SUCCESS = 0
ARES_ENODATA = 1
ARES_EFORMERR = 2
ARES_ESERVFAIL = 3
ARES_ENOTFOUND = 4
ARES_ENOTIMP = 5
ARES_EREFUSED = 6
ARES_EBADQUERY = 7
ARES_EBADNAME = 8
ARES_EBADFAMILY = 9
ARES_EBADRESP = 10
ARES_ECONNREFUSED = 11
ARES_ETIMEOUT = 12
ARES_EOF = 13
ARES_EFILE = 14
ARES_ENOMEM = 15
ARES_EDESTRUCTION = 16
ARES_EBADSTR = 17
ARES_EBADFLAGS = 18
ARES_ENONAME = 19
ARES_EBADHINTS = 20
ARES_ENOTINITIALIZED = 21
ARES_ELOADIPHLPAPI = 22
ARES_EADDRGETNETWORKPARAMS = 23
ARES_ECANCELLED = 24
ARES_ESERVICE = 25

# c-ares can deliver this status (a channel whose server list is empty), but pycares
# 5.2.1 neither exports it nor lists it in ``errorcode``; ``strerror`` still knows it.
_ARES_ENOSERVER = 26

#: Status value -> constant name, for the 26 exported statuses (0..25).
errorcode: dict[int, str] = {globals()[name]: name for name in __all__[2:]}

_MESSAGES: dict[int, str] = {
    ARES_SUCCESS: "Successful completion",
    ARES_ENODATA: "DNS server returned answer with no data",
    ARES_EFORMERR: "DNS server claims query was misformatted",
    ARES_ESERVFAIL: "DNS server returned general failure",
    ARES_ENOTFOUND: "Domain name not found",
    ARES_ENOTIMP: "DNS server does not implement requested operation",
    ARES_EREFUSED: "DNS server refused query",
    ARES_EBADQUERY: "Misformatted DNS query",
    ARES_EBADNAME: "Misformatted domain name",
    ARES_EBADFAMILY: "Unsupported address family",
    ARES_EBADRESP: "Misformatted DNS reply",
    ARES_ECONNREFUSED: "Could not contact DNS servers",
    ARES_ETIMEOUT: "Timeout while contacting DNS servers",
    ARES_EOF: "End of file",
    ARES_EFILE: "Error reading file",
    ARES_ENOMEM: "Out of memory",
    ARES_EDESTRUCTION: "Channel is being destroyed",
    ARES_EBADSTR: "Misformatted string",
    ARES_EBADFLAGS: "Illegal flags specified",
    ARES_ENONAME: "Given hostname is not numeric",
    ARES_EBADHINTS: "Illegal hints flags specified",
    ARES_ENOTINITIALIZED: "c-ares library initialization not yet performed",
    ARES_ELOADIPHLPAPI: "Error loading iphlpapi.dll",
    ARES_EADDRGETNETWORKPARAMS: "Could not find GetNetworkParams function",
    ARES_ECANCELLED: "DNS query cancelled",
    ARES_ESERVICE: "Invalid service name or number",
    _ARES_ENOSERVER: "No DNS servers were configured",
}


def strerror(code: int) -> str:
    """Return c-ares' message for the status ``code``.

    Unknown integers give ``'unknown'`` (as ``ares_strerror`` does); anything that is
    not an integer (``float``, ``str``, ``None``...) raises ``TypeError``. ``bool`` and
    other objects implementing ``__index__`` count as integers.
    """
    try:
        value = operator.index(code)
    except TypeError:
        raise TypeError(f"an integer is required, not {type(code).__name__}") from None
    return _MESSAGES.get(value, "unknown")
